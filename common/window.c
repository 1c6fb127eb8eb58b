/*
 * Transfer windows (window.h): "DAYS [HH:MM-HH:MM] CAP" rules separated
 * by ';', the first that holds wins.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "human.h"
#include "tz.h"
#include "window.h"

static const char *window_day_names[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};

/* Where the parser is, for its messages. */
struct window_pos {
	const char	*text;
	int		 rule;		/* from 1 */
	char		 tok[WINDOW_TEXT_MAX + 1];	/* any token fits whole */
	size_t		 col;		/* from 1 */
};

static int
window_bad(struct window_pos *p, char **cause, const char *why)
{
	return (err_set(cause, FERRY_ERR_PARSE, "rule %d, column %zu: "
	    "\"%s\": %s", p->rule, p->col, p->tok, why));
}

static int
window_day(const char *s, size_t len)
{
	int	i;

	for (i = 0; i < 7; i++)
		if (len == 3 && strncasecmp(s, window_day_names[i], 3) == 0)
			return (i);
	return (-1);
}

/* "*", or days and ranges joined by ',': "Mon-Fri", "Sat,Sun". */
static int
window_days(struct window_pos *p, unsigned *days, char **cause)
{
	const char	*s = p->tok, *dash, *comma;
	int		 a, b;

	*days = 0;
	if (strcmp(s, "*") == 0) {
		*days = 0x7f;
		return (0);
	}
	for (; *s != '\0'; s = *comma != '\0' ? comma + 1 : comma) {
		comma = s + strcspn(s, ",");
		dash = memchr(s, '-', (size_t)(comma - s));
		a = window_day(s, (size_t)((dash ? dash : comma) - s));
		b = dash ? window_day(dash + 1, (size_t)(comma - dash - 1)) : a;
		if (a == -1 || b == -1)
			return (window_bad(p, cause, "not days: Mon, Tue, Wed, "
			    "Thu, Fri, Sat, Sun, a range such as Mon-Fri, a "
			    "list such as Sat,Sun, or * for every day"));
		/* A range may wrap: Fri-Mon is Fri, Sat, Sun, Mon. */
		for (;;) {
			*days |= 1u << a;
			if (a == b)
				break;
			a = (a + 1) % 7;
		}
		if (*comma != '\0' && comma[1] == '\0')
			return (window_bad(p, cause, "a day list ends with "
			    "','"));
	}
	return (0);
}

static int
window_hhmm(const char *s, int *out)
{
	if (strlen(s) < 5 || s[0] < '0' || s[0] > '2' || s[1] < '0' ||
	    s[1] > '9' || s[2] != ':' || s[3] < '0' || s[3] > '5' ||
	    s[4] < '0' || s[4] > '9')
		return (-1);
	*out = ((s[0] - '0') * 10 + s[1] - '0') * 60 + (s[3] - '0') * 10 +
	    s[4] - '0';
	return (*out > 24 * 60 ? -1 : 0);
}

/* HH:MM-HH:MM; 24:00 ends a day; the end may be before the start. */
static int
window_range(struct window_pos *p, int *from, int *to, char **cause)
{
	const char	*s = p->tok;

	if (strlen(s) != 11 || s[5] != '-' || window_hhmm(s, from) != 0 ||
	    window_hhmm(s + 6, to) != 0)
		return (window_bad(p, cause, "not a time range: HH:MM-HH:MM, "
		    "24-hour, as 09:00-19:00 or 22:00-06:00"));
	if (*from == 24 * 60)
		return (window_bad(p, cause, "a range cannot start at 24:00"));
	if (*from == *to || (*from == 0 && *to == 24 * 60))
		return (window_bad(p, cause, *from == *to ? "an empty time "
		    "range (for the whole day, leave the range out)" :
		    "the whole day: leave the range out"));
	if (*to == 24 * 60)
		*to = 0;
	return (0);
}

/* A rate (50M, 200Mbit), a percentage (1%-100%) or none. */
static int
window_capspec(struct window_pos *p, struct window_rule *r, char **cause)
{
	const char	*s = p->tok;
	char		*end, *why = NULL;
	long		 v;
	size_t		 len = strlen(s);

	if (strcasecmp(s, "none") == 0)
		return (0);
	if (len > 1 && s[len - 1] == '%') {
		v = strtol(s, &end, 10);
		if (*s < '0' || *s > '9' || end != s + len - 1 || v < 1 ||
		    v > 100)
			return (window_bad(p, cause, "a percentage is 1% to "
			    "100% of the site's bandwidth cap"));
		r->pct = (int)v;
		return (0);
	}
	if (human_parse_rate(s, &r->rate, &why) != 0) {
		free(why);
		return (window_bad(p, cause, "not a cap: a rate in bytes per "
		    "second (50M; K, M, G, T are powers of 1024), in bits "
		    "(200Mbit), a percentage of the site's cap (50%) or "
		    "none"));
	}
	if (r->rate == 0)
		return (window_bad(p, cause, "a window cannot stop transfers: "
		    "write none for no cap"));
	/* The control messages carry it as a JSON integer (int64). */
	if (r->rate > INT64_MAX)
		return (window_bad(p, cause, "a rate of at most "
		    "9223372036854775807 bytes per second"));
	return (0);
}

/* Copies the next blank-separated token of rule text s into p->tok. */
static const char *
window_token(struct window_pos *p, const char *s, const char *end)
{
	size_t	len;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	for (len = 0; s + len < end && s[len] != ' ' && s[len] != '\t';
	    len++)
		;
	p->col = (size_t)(s - p->text) + 1;
	snprintf(p->tok, sizeof p->tok, "%.*s", (int)len, s);
	return (len > 0 ? s + len : NULL);
}

/* One rule, between s and end: "DAYS [HH:MM-HH:MM] CAP". */
static int
window_rule(struct window_pos *p, const char *s, const char *end,
    struct window_rule *r, char **cause)
{
	const char	*q = s;
	size_t		 ntok = 0, i;
	int		 ret;

	memset(r, 0, sizeof *r);
	r->from = r->to = -1;
	while (ntok < 4 && (q = window_token(p, q, end)) != NULL)
		ntok++;
	if (ntok == 0)
		return (window_bad(p, cause, "an empty rule (between two ';' "
		    "or at an end)"));
	if (ntok == 4)
		return (window_bad(p, cause, "one token too many: a rule is "
		    "DAYS [HH:MM-HH:MM] CAP"));
	if (ntok == 1)
		return (window_bad(p, cause, "a rule needs days and a cap, as "
		    "\"Mon-Fri 09:00-19:00 50M\" or \"* 100%\""));
	/* Again from the start, now knowing how many there are. */
	for (i = 0, q = s; i < ntok; i++) {
		q = window_token(p, q, end);
		if (i == 0)
			ret = window_days(p, &r->days, cause);
		else if (i == 1 && ntok == 3)
			ret = window_range(p, &r->from, &r->to, cause);
		else
			ret = window_capspec(p, r, cause);
		if (ret != 0)
			return (ret);
	}
	return (0);
}

int
window_parse(const char *text, struct window **out, char **cause)
{
	struct window_pos	 p;
	struct window		*w;
	const char		*s, *semi;
	int			 r = 0;

	memset(&p, 0, sizeof p);
	p.text = text;
	if (strlen(text) > WINDOW_TEXT_MAX)
		return (err_set(cause, FERRY_ERR_TOOBIG, "a window of more "
		    "than %d characters", WINDOW_TEXT_MAX));
	if (strcspn(text, "\r\n") != strlen(text))
		return (err_set(cause, FERRY_ERR_PARSE, "a window is one "
		    "line"));
	if ((w = calloc(1, sizeof *w)) == NULL || (w->v = calloc(
	    WINDOW_RULES_MAX, sizeof *w->v)) == NULL) {
		free(w);
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	}
	for (s = text; r == 0; s = semi + 1) {
		semi = s + strcspn(s, ";");
		p.rule++;
		if (w->n == WINDOW_RULES_MAX)
			r = err_set(cause, FERRY_ERR_TOOBIG, "more than %d "
			    "rules", WINDOW_RULES_MAX);
		else if ((r = window_rule(&p, s, semi, &w->v[w->n],
		    cause)) == 0)
			w->n++;
		if (*semi == '\0')
			break;
	}
	if (r != 0) {
		window_free(w);
		return (r);
	}
	*out = w;
	return (0);
}

void
window_free(struct window *w)
{
	if (w == NULL)
		return;
	free(w->v);
	free(w);
}

static int
window_holds(const struct window_rule *r, int wday, int minute)
{
	int	yday = (wday + 6) % 7;

	if (r->from == -1)
		return ((r->days >> wday) & 1);
	if (r->from < r->to || r->to == 0)
		return (((r->days >> wday) & 1) && minute >= r->from &&
		    (r->to == 0 || minute < r->to));
	/* Across midnight: the evening of a day, or the next morning. */
	return ((((r->days >> wday) & 1) && minute >= r->from) ||
	    (((r->days >> yday) & 1) && minute < r->to));
}

int
window_match(const struct window *w, int wday, int minute)
{
	size_t	i;

	for (i = 0; i < w->n; i++)
		if (window_holds(&w->v[i], wday, minute))
			return ((int)i);
	return (-1);
}

uint64_t
window_cap(const struct window *w, const struct tz *z, int64_t t,
    uint64_t limit, int *rule)
{
	const struct window_rule	*r;
	uint64_t			 cap;
	int				 wday, minute, i;

	tz_local(z, t, &wday, &minute, NULL);
	i = window_match(w, wday, minute);
	if (rule != NULL)
		*rule = i;
	if (i == -1)
		return (limit);
	r = &w->v[i];
	if (r->pct > 0 && limit == 0)
		return (0);
	if (r->pct > 0) {
		/* No overflow, and never 0, which would lift the cap. */
		cap = limit / 100 * (uint64_t)r->pct +
		    limit % 100 * (uint64_t)r->pct / 100;
		return (cap > 0 ? cap : 1);
	}
	return (r->rate);
}
