/*
 * Numbers a person reads: sizes and rates in IEC units (KiB, MiB, GiB, as
 * rsync -h and curl print them), durations, and the byte rates people
 * type ("200M" is 200 MiB/s; "200Mbit" is 200 megabits per second).
 * Raw numbers stay in JSON; these are for text output only.
 */
#ifndef FERRY_HUMAN_H
#define FERRY_HUMAN_H

#include <stddef.h>
#include <stdint.h>

/* Longest text the formatters write, with its NUL. */
#define HUMAN_LEN	32

/* "0 B", "17 B", "1.4 KiB", "212 MiB", "1.4 GiB"; returns out. */
char	*human_bytes(double v, char *out, size_t n);
/* human_bytes() with "/s": "212 MiB/s". */
char	*human_rate(double v, char *out, size_t n);
/* "0s", "45s", "3m05s", "2h07m", "3d04h"; "--" when unknown (< 0). */
char	*human_duration(double secs, char *out, size_t n);
/*
 * Parses a byte rate: a whole number with an optional suffix K, M, G or T
 * (powers of 1024, "KiB"/"MiB"... and "KB"/"MB"... mean the same), or
 * bits per second with "bit" or "bps" ("200Mbit", "1Gbps": powers of 1000,
 * as networks count). Returns 0, or FERRY_ERR_INVAL (cause says why).
 */
int	human_parse_rate(const char *s, uint64_t *out, char **cause);
/* Parses a whole number from min to max; 0 or FERRY_ERR_INVAL. */
int	human_parse_long(const char *s, long min, long max, long *out);
/*
 * Parses a permission mask, octal digits only (no sign, no space, "027")
 * from 0 to max; 0 or FERRY_ERR_INVAL.
 */
int	human_parse_mask(const char *s, unsigned max, unsigned *out);

/*
 * The moving average of a rate, for progress lines: fed the byte count
 * now and then, it does not halve every tick while a transfer stalls, and
 * it says when nothing has moved for HUMAN_STALL_SECS.
 */
#define HUMAN_STALL_SECS	5.0
struct human_meter {
	double		rate;		/* bytes per second, smoothed */
	double		last_t;		/* when bytes last grew */
	double		sample_t;	/* the previous sample */
	uint64_t	sample_bytes;
	int		primed;
};
/* Records bytes done at time now (seconds, monotonic). */
void	human_meter_add(struct human_meter *m, double now, uint64_t bytes);
/* 1 if nothing moved for HUMAN_STALL_SECS before now. */
int	human_meter_stalled(const struct human_meter *m, double now);
/* Seconds left for left bytes at the current rate; -1 if unknown. */
double	human_meter_eta(const struct human_meter *m, double now,
	    uint64_t left);

/* The terminal's width on fd, or 80 (COLUMNS wins when set). */
int	human_columns(int fd);

#endif
