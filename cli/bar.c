/*
 * Live progress for `ferry job --watch` and `ferry jobs --watch`: a bar
 * redrawn in place on a terminal (inplace), a plain line otherwise.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"

/* "1.2 GiB", "340 MiB", "12 KiB", "17 B". */
static void
bar_bytes(double v, char *out, size_t n)
{
	static const char	*unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int			 i = 0;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(out, n, i == 0 ? "%.0f %s" : "%.1f %s", v, unit[i]);
}

void
cli_bar(FILE *f, const json_t *job, double rate, int inplace)
{
	double	 done = (double)json_integer_value(json_object_get(job,
		    "done_bytes"));
	double	 total = (double)json_integer_value(json_object_get(job,
		    "bytes"));
	double	 frac = total > 0 ? done / total : 1;
	char	 b1[32], b2[32], r[32], eta[32] = "";
	char	 bar[31];
	int	 i, fill = (int)(frac * 30);

	if (frac > 1)
		frac = 1;
	for (i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	bar_bytes(done, b1, sizeof b1);
	bar_bytes(total, b2, sizeof b2);
	bar_bytes(rate, r, sizeof r);
	if (rate > 0 && total > done)
		snprintf(eta, sizeof eta, " ETA %ds", (int)((total - done) /
		    rate));
	fprintf(f, "%sjob %jd %-9s [%s] %3d%% %jd/%jd files %s/%s %s/s%s%s",
	    inplace ? "\r" : "", (intmax_t)json_integer_value(json_object_get(job,
	    "id")), json_string_value(json_object_get(job, "state")), bar,
	    (int)(frac * 100), (intmax_t)json_integer_value(json_object_get(
	    job, "done_files")), (intmax_t)json_integer_value(json_object_get(
	    job, "files")), b1, b2, r, eta, inplace ? "\033[K" : "\n");
	fflush(f);
}
