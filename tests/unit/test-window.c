/*
 * Transfer windows (common/window.h) and time zones (common/tz.h): the
 * grammar and its errors, first match wins, ranges across midnight, and
 * local time on the days clocks change, read from the system's zoneinfo
 * (and, past 2037, from its footer rule), against offsets Python's
 * zoneinfo gave for the same instants.
 */
#include "config.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "test.h"
#include "tz.h"
#include "window.h"

#define M(h, m)	((h) * 60 + (m))
enum { SUN, MON, TUE, WED, THU, FRI, SAT };

static struct window *
parse_ok(const char *text)
{
	struct window	*w = NULL;
	char		*cause = NULL;

	if (window_parse(text, &w, &cause) != 0)
		TEST_FAIL("\"%s\": %s", text, cause);
	free(cause);
	return (w);
}

/* text is refused with a cause containing want. */
static void
parse_bad(const char *text, const char *want)
{
	struct window	*w = NULL;
	char		*cause = NULL;

	ASSERT_INT_EQ(window_parse(text, &w, &cause) != 0, 1);
	ASSERT_TRUE(w == NULL);
	ASSERT_STR_CONTAINS(cause, want);
	free(cause);
}

static void
test_grammar(void)
{
	struct window	*w;

	w = parse_ok("Mon-Fri 09:00-19:00 50M; * 100%");
	ASSERT_INT_EQ(w->n, 2);
	ASSERT_INT_EQ(w->v[0].days, 0x3e);
	ASSERT_INT_EQ(w->v[0].from, M(9, 0));
	ASSERT_INT_EQ(w->v[0].to, M(19, 0));
	ASSERT_INT_EQ(w->v[0].rate, 50ULL << 20);	/* bytes, IEC */
	ASSERT_INT_EQ(w->v[1].days, 0x7f);
	ASSERT_INT_EQ(w->v[1].from, -1);
	ASSERT_INT_EQ(w->v[1].pct, 100);
	window_free(w);
	w = parse_ok("  Sat,Sun   none ;Fri-Mon 22:00-06:00 200Mbit;"
	    "Tue,Thu-Wed 00:00-23:59 1K");
	window_free(w);
	w = parse_ok("Sat,Sun none; Fri-Mon 22:00-06:00 200Mbit");
	ASSERT_INT_EQ(w->v[0].days, 0x41);
	ASSERT_INT_EQ(w->v[0].rate, 0);
	ASSERT_INT_EQ(w->v[0].pct, 0);
	ASSERT_INT_EQ(w->v[1].days, 0x63);	/* Fri Sat Sun Mon */
	ASSERT_INT_EQ(w->v[1].rate, 200ULL * 1000 * 1000 / 8);
	window_free(w);
	w = parse_ok("mon 18:00-24:00 10%");
	ASSERT_INT_EQ(w->v[0].to, 0);	/* 24:00 is the day's end */
	window_free(w);
}

static void
test_errors(void)
{
	parse_bad("Mon-Fry 09:00-19:00 50M", "rule 1, column 1: \"Mon-Fry\": "
	    "not days");
	parse_bad("* 50M; Mon-Fri 09:00-1900 50M", "rule 2, column 16: "
	    "\"09:00-1900\": not a time range");
	parse_bad("Mon 25:00-26:00 1M", "column 5: \"25:00-26:00\"");
	parse_bad("Mon 09:60-10:00 1M", "\"09:60-10:00\"");
	parse_bad("Mon 09:00-09:00 1M", "an empty time range");
	parse_bad("Mon 00:00-24:00 1M", "the whole day");
	parse_bad("Mon 24:00-02:00 1M", "cannot start at 24:00");
	parse_bad("Mon 09:00-19:00 50Q", "column 17: \"50Q\": not a cap");
	parse_bad("Mon 0", "\"0\": a window cannot stop transfers");
	parse_bad("* 101%", "\"101%\": a percentage is 1% to 100%");
	parse_bad("* 0%", "\"0%\"");
	parse_bad("* -5%", "\"-5%\"");
	parse_bad("* 5x%", "\"5x%\"");
	parse_bad("* 1M;", "rule 2, column 6: \"\": an empty rule");
	parse_bad("* 1M;; * 2M", "rule 2");
	parse_bad("", "rule 1, column 1: \"\": an empty rule");
	parse_bad("Mon-Fri", "a rule needs days and a cap");
	parse_bad("Mon 09:00-10:00 1M extra", "column 20: \"extra\": one "
	    "token too many");
	parse_bad("Sat, Sun 1M", "column 1: \"Sat,\": a day list ends");
	parse_bad("Mon\n1M", "one line");
	parse_bad("12:00-13:00 1M", "\"12:00-13:00\": not days");
}

static void
test_match(void)
{
	struct window	*w;

	w = parse_ok("Mon-Fri 09:00-19:00 50M; * 100%");
	ASSERT_INT_EQ(window_match(w, MON, M(9, 0)), 0);
	ASSERT_INT_EQ(window_match(w, MON, M(8, 59)), 1);
	ASSERT_INT_EQ(window_match(w, FRI, M(18, 59)), 0);
	ASSERT_INT_EQ(window_match(w, FRI, M(19, 0)), 1);	/* end excluded */
	ASSERT_INT_EQ(window_match(w, SAT, M(12, 0)), 1);
	window_free(w);
	/* First match wins, even when a later rule is narrower. */
	w = parse_ok("* 4M; Mon 10:00-11:00 1M");
	ASSERT_INT_EQ(window_match(w, MON, M(10, 30)), 0);
	window_free(w);
	/* Across midnight: the range belongs to the day it starts. */
	w = parse_ok("Fri 22:00-06:00 1M");
	ASSERT_INT_EQ(window_match(w, FRI, M(21, 59)), -1);
	ASSERT_INT_EQ(window_match(w, FRI, M(22, 0)), 0);
	ASSERT_INT_EQ(window_match(w, FRI, M(23, 59)), 0);
	ASSERT_INT_EQ(window_match(w, SAT, M(0, 0)), 0);
	ASSERT_INT_EQ(window_match(w, SAT, M(5, 59)), 0);
	ASSERT_INT_EQ(window_match(w, SAT, M(6, 0)), -1);
	ASSERT_INT_EQ(window_match(w, FRI, M(3, 0)), -1);	/* Thu's */
	ASSERT_INT_EQ(window_match(w, SAT, M(22, 30)), -1);
	window_free(w);
	/* Sunday night into Monday wraps the week. */
	w = parse_ok("Sun 23:00-01:00 1M");
	ASSERT_INT_EQ(window_match(w, MON, M(0, 30)), 0);
	ASSERT_INT_EQ(window_match(w, SUN, M(0, 30)), -1);
	window_free(w);
	w = parse_ok("Tue 18:00-24:00 1M");
	ASSERT_INT_EQ(window_match(w, TUE, M(23, 59)), 0);
	ASSERT_INT_EQ(window_match(w, WED, M(0, 0)), -1);
	window_free(w);
}

static struct tz *
zone(const char *name)
{
	struct tz	*z = NULL;
	char		*cause = NULL;

	if (tz_load(name, &z, &cause) != 0)
		TEST_FAIL("%s: %s", name, cause);
	free(cause);
	return (z);
}

static void
test_zones(void)
{
	/* Instants and offsets as Python's zoneinfo gives them. */
	static const struct { const char *zone; int64_t t; int32_t off; } v[] = {
		{ "Europe/London", 1774745999, 0 },	/* 2026-03-29 */
		{ "Europe/London", 1774746000, 3600 },
		{ "Europe/London", 1792889999, 3600 },	/* 2026-10-25 */
		{ "Europe/London", 1792890000, 0 },
		{ "America/Los_Angeles", 1772963999, -28800 },
		{ "America/Los_Angeles", 1772964000, -25200 },
		/* Past the listed transitions: the footer's rule. */
		{ "Europe/London", 2216249999, 0 },	/* 2040-03-25 */
		{ "Europe/London", 2216250000, 3600 },
		{ "America/Los_Angeles", 2393485199, -25200 },
		{ "America/Los_Angeles", 2393485200, -28800 },
		{ "Australia/Sydney", 2210198400, 39600 },	/* summer */
		{ "Australia/Sydney", 2216822399, 39600 },
		{ "Australia/Sydney", 2216822400, 36000 },
		{ "Australia/Sydney", 2224713600, 36000 },
		{ "UTC", 1796169600, 0 },
		/* POSIX rules, as $TZ may hold them. */
		{ "GMT0BST,M3.5.0/1,M10.5.0", 1774745999, 0 },
		{ "GMT0BST,M3.5.0/1,M10.5.0", 1774746000, 3600 },
		{ "<+0530>-5:30", 1774746000, 19800 },
	};
	struct tz	*z;
	size_t		 i;

	if (access(TZ_DIR_DEFAULT "/Europe/London", R_OK) != 0)
		TEST_SKIP("no zoneinfo (apt-get install tzdata)");
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		if ((z = zone(v[i].zone)) == NULL)
			continue;
		if (tz_offset(z, v[i].t) != v[i].off)
			TEST_FAIL("%s at %jd: offset %d, expected %d",
			    v[i].zone, (intmax_t)v[i].t, tz_offset(z, v[i].t),
			    v[i].off);
		test_checks++;
		tz_free(z);
	}
}

static void
test_zone_errors(void)
{
	static const char	*bad[] = { "Europe/Lodnon", "../etc/passwd",
				    "/etc/localtime", "Europe", "" };
	struct tz		*z = NULL;
	char			*cause = NULL;
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0] - 1; i++) {
		ASSERT_INT_EQ(tz_load(bad[i], &z, &cause), FERRY_ERR_NOTFOUND);
		ASSERT_STR_CONTAINS(cause, "no such time zone");
		free(cause);
		cause = NULL;
	}
	/* "": this machine's zone, whatever it is. */
	ASSERT_INT_EQ(tz_load("", &z, &cause), 0);
	tz_free(z);
}

/* The cap in a zone, on the days clocks change. */
static void
test_cap(void)
{
	struct window	*w;
	struct tz	*z;
	int		 rule;

	if ((z = zone("Europe/London")) == NULL)
		return;
	w = parse_ok("Mon-Fri 09:00-19:00 1M; Fri 22:00-06:00 50%; "
	    "Sun 01:30-02:30 3M; * 100%");
	/* Fri 2026-12-04, winter: 09:00 UTC is 09:00 local. */
	ASSERT_INT_EQ(window_cap(w, z, 1796374799, 8 << 20, &rule), 8 << 20);
	ASSERT_INT_EQ(rule, 3);
	ASSERT_INT_EQ(window_cap(w, z, 1796374800, 8 << 20, &rule), 1 << 20);
	ASSERT_INT_EQ(rule, 0);
	ASSERT_INT_EQ(window_cap(w, z, 1796410800, 8 << 20, NULL), 8 << 20);
	/* Saturday morning, still Friday night's window. */
	ASSERT_INT_EQ(window_cap(w, z, 1796450340, 8 << 20, &rule), 4 << 20);
	ASSERT_INT_EQ(rule, 1);
	ASSERT_INT_EQ(window_cap(w, z, 1796450400, 8 << 20, NULL), 8 << 20);
	/* 50% and 100% of no cap: no cap. */
	ASSERT_INT_EQ(window_cap(w, z, 1796450340, 0, NULL), 0);
	ASSERT_INT_EQ(window_cap(w, z, 1796410800, 0, NULL), 0);
	/* Summer: 08:00 UTC is 09:00 local, inside the day's window. */
	ASSERT_INT_EQ(window_cap(w, z, 1780646400, 0, NULL), 1 << 20);
	/* 2026-03-29, 01:00 UTC: 00:59 GMT becomes 02:00 BST. */
	ASSERT_INT_EQ(window_cap(w, z, 1774745999, 0, &rule), 0);
	ASSERT_INT_EQ(rule, 3);
	ASSERT_INT_EQ(window_cap(w, z, 1774746000, 0, &rule), 3 << 20);
	ASSERT_INT_EQ(rule, 2);
	/* 2026-10-25: 01:59 BST falls back to 01:00 GMT, window again. */
	ASSERT_INT_EQ(window_cap(w, z, 1792889999 - 1200, 0, &rule), 3 << 20);
	ASSERT_INT_EQ(window_cap(w, z, 1792890000, 0, &rule), 0);
	ASSERT_INT_EQ(rule, 3);
	ASSERT_INT_EQ(window_cap(w, z, 1792890000 + 1800, 0, &rule), 3 << 20);
	window_free(w);
	tz_free(z);
}

static void
test_clock(void)
{
	char	path[] = "/tmp/test-window-XXXXXX";
	int	fd;
	int64_t	now;

	ASSERT_TRUE((fd = mkstemp(path)) != -1);
	ASSERT_INT_EQ(write(fd, "-3600\n", 6), 6);
	close(fd);
	now = clock_now();
	ASSERT_TRUE(llabs(clock_now_shifted(path) - (now - 3600)) <= 1);
	ASSERT_TRUE(llabs(clock_now_shifted(NULL) - now) <= 1);
	fd = open(path, O_WRONLY | O_TRUNC);
	ASSERT_INT_EQ(write(fd, "soon", 4), 4);
	close(fd);
	ASSERT_TRUE(llabs(clock_now_shifted(path) - now) <= 1);
	/*
	 * Not a way to lift a production hub's windows: an offset past a
	 * century is ignored (2^63-1 overflowed clock_now() + off), and so
	 * is a file others may write, as /tmp's often is by mistake.
	 */
	fd = open(path, O_WRONLY | O_TRUNC);
	ASSERT_INT_EQ(write(fd, "9223372036854775807", 19), 19);
	close(fd);
	ASSERT_TRUE(llabs(clock_now_shifted(path) - now) <= 1);
	fd = open(path, O_WRONLY | O_TRUNC);
	ASSERT_INT_EQ(write(fd, "-3600\n", 6), 6);
	close(fd);
	ASSERT_INT_EQ(chmod(path, 0622), 0);
	ASSERT_TRUE(llabs(clock_now_shifted(path) - now) <= 1);
	ASSERT_INT_EQ(chmod(path, 0644), 0);
	ASSERT_TRUE(llabs(clock_now_shifted(path) - (now - 3600)) <= 1);
	unlink(path);
	ASSERT_TRUE(llabs(clock_now_shifted(path) - now) <= 1);
}

/*
 * What a careless or hostile window text must not get through: a token
 * longer than the parser's buffer (it read only the first 63 bytes, so
 * junk after a valid prefix passed), and a rate past INT64_MAX (it went
 * out as a negative "bwlimit", which the agent's message check refuses:
 * transfer.start dropped, the transfer never started).
 */
static void
test_hostile(void)
{
	char	 text[200];
	uint64_t cap;
	struct window *w;
	struct tz *z = zone("UTC0");

	snprintf(text, sizeof text, "%s 50M", "Mon,Tue,Wed,Thu,Fri,Sat,Sun,"
	    "Mon,Tue,Wed,Thu,Fri,Sat,Sun,Mon,TueXXXXXXXXXXXX");
	parse_bad(text, "not days");
	snprintf(text, sizeof text, "* 09:00-19:00 %s", "50MMMMMMMMMMMMMMMMMMMM"
	    "MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM");
	parse_bad(text, "not a cap");
	parse_bad("* 8388608T", "at most");
	parse_bad("* 18446744073709551615", "at most");
	parse_bad("* 73786976294838206464bit", "not a cap");
	/* The largest rate a message can carry still parses. */
	w = parse_ok("* 9223372036854775807");
	cap = window_cap(w, z, 0, 0, NULL);
	ASSERT_TRUE(cap == INT64_MAX);
	window_free(w);
	tz_free(z);
}

int
main(void)
{
	test_grammar();
	test_errors();
	test_match();
	test_zones();
	test_zone_errors();
	test_cap();
	test_clock();
	test_hostile();
	return (TEST_DONE());
}
