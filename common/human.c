/*
 * Numbers for people: IEC sizes and rates, durations, typed rates, and a
 * smoothed rate for progress lines (human.h).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "compat.h"
#include "err.h"
#include "human.h"

/* How quickly the average follows a change of rate, in seconds. */
#define HUMAN_METER_TAU		3.0
/* Samples closer together than this are merged into the next one. */
#define HUMAN_METER_MIN_DT	0.2

char *
human_bytes(double v, char *out, size_t n)
{
	static const char	*unit[] = { "B", "KiB", "MiB", "GiB", "TiB",
	    "PiB" };
	int			 i = 0;

	if (v < 0)
		v = 0;
	while (v >= 1024 && i < 5) {
		v /= 1024;
		i++;
	}
	/* Three digits at most: "1.4 GiB", "212 MiB"; bytes are whole. */
	if (i == 0)
		snprintf(out, n, "%.0f B", v);
	else if (v < 99.95)
		snprintf(out, n, "%.1f %s", v, unit[i]);
	else
		snprintf(out, n, "%.0f %s", v, unit[i]);
	return (out);
}

char *
human_rate(double v, char *out, size_t n)
{
	size_t	len;

	human_bytes(v, out, n);
	len = strlen(out);
	if (len + 3 <= n)
		memcpy(out + len, "/s", 3);
	return (out);
}

char *
human_duration(double secs, char *out, size_t n)
{
	unsigned long long	s;

	if (secs < 0 || !isfinite(secs)) {
		snprintf(out, n, "--");
		return (out);
	}
	s = (unsigned long long)(secs + 0.5);
	if (s < 60)
		snprintf(out, n, "%llus", s);
	else if (s < 3600)
		snprintf(out, n, "%llum%02llus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, n, "%lluh%02llum", s / 3600, s % 3600 / 60);
	else
		snprintf(out, n, "%llud%02lluh", s / 86400, s % 86400 / 3600);
	return (out);
}

/* The multiplier of a rate's suffix; 0 if it is none. */
static uint64_t
human_suffix(const char *s)
{
	static const struct {
		const char	*name;
		uint64_t	 mult;
	} tab[] = {
		{ "", 1 }, { "B", 1 },
		{ "K", 1ULL << 10 }, { "KB", 1ULL << 10 },
		{ "KiB", 1ULL << 10 },
		{ "M", 1ULL << 20 }, { "MB", 1ULL << 20 },
		{ "MiB", 1ULL << 20 },
		{ "G", 1ULL << 30 }, { "GB", 1ULL << 30 },
		{ "GiB", 1ULL << 30 },
		{ "T", 1ULL << 40 }, { "TB", 1ULL << 40 },
		{ "TiB", 1ULL << 40 },
	};
	size_t	i;

	for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
		if (strcasecmp(s, tab[i].name) == 0)
			return (tab[i].mult);
	}
	return (0);
}

/* Bits per second: "200Mbit", "1Gbps", "800kbit"; 0 if not bits. */
static uint64_t
human_bits(const char *s)
{
	static const char	 prefix[] = "kmgt";
	const char		*p;
	uint64_t		 mult = 1;

	if (*s != '\0' && (p = strchr(prefix, (char)(s[0] | 0x20))) != NULL) {
		for (; p >= prefix; p--)
			mult *= 1000;
		s++;
	}
	if (strcasecmp(s, "bit") == 0 || strcasecmp(s, "bps") == 0 ||
	    strcasecmp(s, "bit/s") == 0)
		return (mult);
	return (0);
}

int
human_parse_rate(const char *s, uint64_t *out, char **cause)
{
	char		*end;
	uint64_t	 v, mult;
	int		 bits = 0;

	errno = 0;
	if (*s < '0' || *s > '9' || ((v = strtoull(s, &end, 10)) == ULLONG_MAX
	    && errno == ERANGE))
		goto bad;
	if ((mult = human_suffix(end)) == 0) {
		if ((mult = human_bits(end)) == 0)
			goto bad;
		bits = 1;
	}
	if (v != 0 && mult > UINT64_MAX / v)
		goto bad;
	*out = bits ? v * mult / 8 : v * mult;
	return (0);
bad:
	return (err_set(cause, FERRY_ERR_INVAL, "%s is not a rate: bytes per "
	    "second with K, M, G or T (powers of 1024, as 200M), or bits with "
	    "bit (as 200Mbit)", s));
}

int
human_parse_long(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno == ERANGE || v < min || v > max)
		return (FERRY_ERR_INVAL);
	*out = v;
	return (0);
}

int
human_parse_mask(const char *s, unsigned max, unsigned *out)
{
	char	*end;
	long	 v;

	/* strtol takes a sign and leading spaces: a mode has neither. */
	if (*s < '0' || *s > '7')
		return (FERRY_ERR_INVAL);
	errno = 0;
	v = strtol(s, &end, 8);
	if (*end != '\0' || errno == ERANGE || v > (long)max)
		return (FERRY_ERR_INVAL);
	*out = (unsigned)v;
	return (0);
}

void
human_meter_add(struct human_meter *m, double now, uint64_t bytes)
{
	double	dt, inst, alpha;

	if (!m->primed) {
		m->primed = 1;
		m->sample_t = m->last_t = now;
		m->sample_bytes = bytes;
		return;
	}
	dt = now - m->sample_t;
	if (dt < HUMAN_METER_MIN_DT)
		return;
	/* A stall keeps the last average: "stalled" says the rest. */
	if (bytes <= m->sample_bytes) {
		m->sample_t = now;
		m->sample_bytes = bytes;
		return;
	}
	inst = (double)(bytes - m->sample_bytes) / dt;
	/* 1 - exp(-dt/tau), near enough, and no libm. */
	alpha = dt / (HUMAN_METER_TAU + dt);
	m->rate = m->rate > 0 ? m->rate + alpha * (inst - m->rate) : inst;
	m->sample_t = m->last_t = now;
	m->sample_bytes = bytes;
}

int
human_meter_stalled(const struct human_meter *m, double now)
{
	return (m->primed && now - m->last_t >= HUMAN_STALL_SECS);
}

double
human_meter_eta(const struct human_meter *m, double now, uint64_t left)
{
	if (left == 0)
		return (0);
	if (m->rate <= 0 || human_meter_stalled(m, now))
		return (-1);
	return ((double)left / m->rate);
}

int
human_columns(int fd)
{
	const char	*env = getenv("COLUMNS");
	long		 v;
	int		 cols;

	if (env != NULL && human_parse_long(env, 20, 10000, &v) == 0)
		return ((int)v);
	if ((cols = compat_term_columns(fd)) >= 20)
		return (cols);
	return (80);
}
