/*
 * Live progress for `ferry send --wait`, `ferry job --watch` and `ferry
 * jobs --watch`: a line redrawn in place on a terminal (inplace), cut to
 * the terminal's width, and a plain line otherwise.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "human.h"

#define BAR_MAX		30
#define BAR_MIN		10

static json_int_t
bar_int(const json_t *job, const char *key)
{
	return (json_integer_value(json_object_get(job, key)));
}

/* "ETA 3m05s", "stalled", or why the job waits: its first failure. */
static void
bar_tail(const json_t *job, const struct human_meter *m, double now,
    char *out, size_t n)
{
	const char	*err = json_string_value(json_object_get(job,
			    "last_error"));
	const char	*st = json_string_value(json_object_get(job, "state"));
	json_int_t	 next = bar_int(job, "next_try");
	char		 r[HUMAN_LEN], eta[HUMAN_LEN];
	uint64_t	 total = (uint64_t)bar_int(job, "bytes");
	uint64_t	 done = (uint64_t)bar_int(job, "done_bytes");

	if (err != NULL && next > 0)
		snprintf(out, n, "retry in %s: %s", human_duration((double)
		    (next - (json_int_t)time(NULL)) > 0 ? (double)(next -
		    (json_int_t)time(NULL)) : 0, eta, sizeof eta), err);
	else if (err != NULL)
		snprintf(out, n, "%s", err);
	else if (st != NULL && strcmp(st, "running") != 0)
		snprintf(out, n, "%s", "");
	else if (human_meter_stalled(m, now))
		snprintf(out, n, "stalled (no bytes for %s)", human_duration(
		    now - m->last_t, eta, sizeof eta));
	else
		snprintf(out, n, "%s ETA %s", human_rate(m->rate, r, sizeof r),
		    human_duration(human_meter_eta(m, now, total > done ?
		    total - done : 0), eta, sizeof eta));
}

double
cli_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

void
cli_bar(FILE *f, const json_t *job, const struct human_meter *m, double now,
    int inplace)
{
	double	 done = (double)bar_int(job, "done_bytes");
	double	 total = (double)bar_int(job, "bytes");
	double	 frac = total > 0 ? done / total : 1;
	char	 b1[HUMAN_LEN], b2[HUMAN_LEN], tail[512], head[128];
	char	 line[1024], out[1200], bar[BAR_MAX + 1];
	int	 i, width = BAR_MAX, cols, len;

	if (frac > 1)
		frac = 1;
	snprintf(head, sizeof head, "job %jd %s", (intmax_t)bar_int(job, "id"),
	    json_string_value(json_object_get(job, "state")));
	bar_tail(job, m, now, tail, sizeof tail);
	len = snprintf(line, sizeof line, "%3d%% %jd/%jd files %s/%s %s",
	    (int)(frac * 100), (intmax_t)bar_int(job, "done_files"),
	    (intmax_t)bar_int(job, "files"), human_bytes(done, b1, sizeof b1),
	    human_bytes(total, b2, sizeof b2), tail);
	/* On a terminal the bar gives way first, then the line is cut. */
	cols = inplace ? human_columns(fileno(f)) - 1 : 1024;
	if ((int)strlen(head) + len + BAR_MAX + 4 > cols)
		width = cols - (int)strlen(head) - len - 4;
	if (width < BAR_MIN)
		width = 0;
	for (i = 0; i < width; i++)
		bar[i] = i < (int)(frac * width) ? '#' : '.';
	bar[width] = '\0';
	snprintf(out, sizeof out, "%s%s%s%s %s", head, width ? " [" : "",
	    bar, width ? "]" : "", line);
	if (inplace && (int)strlen(out) > cols && cols > 0)
		out[cols] = '\0';
	fprintf(f, "%s%s%s", inplace ? "\r" : "", out, inplace ? "\033[K" :
	    "\n");
	fflush(f);
}
