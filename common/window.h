/*
 * Transfer windows: a bandwidth cap that depends on the local day and
 * time, as "Mon-Fri 09:00-19:00 50M; * 100%" (the grammar is in
 * docs/agent.md, "Transfer windows"). Parsing and evaluation only: what
 * the caps apply to is the caller's business.
 */
#ifndef FERRY_WINDOW_H
#define FERRY_WINDOW_H

#include <stddef.h>
#include <stdint.h>

struct tz;

#define WINDOW_TEXT_MAX	1024	/* longest window text accepted */
#define WINDOW_RULES_MAX 64

struct window_rule {
	unsigned	 days;		/* bit d: weekday d (0 Sunday) */
	int		 from, to;	/* minutes of the day; -1: all day */
	int		 pct;		/* 1-100: of the limit; 0: rate */
	uint64_t	 rate;		/* bytes/s; 0 with pct 0: no cap */
};

struct window {
	struct window_rule	*v;
	size_t			 n;
};

/*
 * Parses text into *out. A mistake is refused with a cause naming the
 * rule, the column (from 1) and the token, as
 * "rule 1, column 5: \"Mon-Fry\": ...".
 */
int	window_parse(const char *text, struct window **out, char **cause);
void	window_free(struct window *w);
/*
 * The first rule that holds at local weekday wday (0 Sunday) and minute
 * of the day, or -1. A time range that crosses midnight belongs to the
 * day it starts on: "Fri 22:00-06:00" holds until Saturday 06:00.
 */
int	window_match(const struct window *w, int wday, int minute);
/*
 * The cap at t (UTC seconds) in zone z for a site whose own limit is
 * limit (bytes/s; 0: none): the first matching rule's rate, or its
 * percentage of limit (of no limit: none), or limit when no rule holds.
 * 0 means no cap. *rule (may be NULL) gets the rule's index or -1.
 */
uint64_t window_cap(const struct window *w, const struct tz *z, int64_t t,
	    uint64_t limit, int *rule);

#endif
