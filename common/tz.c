/*
 * Time zones (tz.h): the TZif reader and the POSIX TZ rules that its
 * footer (and $TZ) use for times past the last listed transition.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compat.h"
#include "err.h"
#include "tz.h"

#define TZ_FILE_MAX	(256 * 1024)	/* the largest zone is ~4 KiB */
#define TZ_NAME_MAX	128

/* A POSIX TZ rule's date: Jn, n or Mm.w.d, and a time of day. */
struct tz_date {
	char	 kind;		/* 'J', 'n' or 'M' */
	int	 n, m, w, d;
	int32_t	 secs;		/* local time of the change */
};

struct tz_rule {
	int	 ok;
	int32_t	 std, dst;	/* seconds east of UTC */
	int	 has_dst;
	struct tz_date start, end;
};

struct tz {
	char		*name;
	size_t		 n;		/* transitions */
	int64_t		*at;
	uint8_t		*idx;
	size_t		 ntypes;
	int32_t		*off;
	struct tz_rule	 rule;		/* after the last transition */
};

static int64_t
tz_be(const unsigned char *p, int len)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < len; i++)
		v = v << 8 | p[i];
	if (len == 4)
		return ((int64_t)(int32_t)(uint32_t)v);
	return ((int64_t)v);
}

int64_t
tz_days(int64_t y, int m, int d)
{
	int64_t	era, yoe, doy, doe;

	/* Days from civil, after H. Hinnant's published derivation. */
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

static void
tz_civil(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t	z = days + 719468, era, doe, yoe, doy, mp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
tz_leap(int64_t y)
{
	return ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0);
}

static int
tz_mdays(int64_t y, int m)
{
	static const int	md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
				    31, 30, 31 };

	return (md[m - 1] + (m == 2 && tz_leap(y)));
}

/* POSIX TZ: a name, alphabetic or <quoted>. */
static const char *
tz_rule_name(const char *s)
{
	const char	*p = s;

	if (*p == '<') {
		while (*p != '\0' && *p != '>')
			p++;
		return (*p == '>' && p - s >= 4 ? p + 1 : NULL);
	}
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	return (p - s >= 3 ? p : NULL);
}

/* [+-]hh[:mm[:ss]], hours up to 167 (RFC 8536's extension). */
static const char *
tz_rule_time(const char *s, int32_t *out)
{
	int	sign = 1, part[3] = { 0, 0, 0 }, i, digits;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	for (i = 0; i < 3; i++) {
		for (digits = 0; *s >= '0' && *s <= '9' && digits < 3;
		    digits++)
			part[i] = part[i] * 10 + (*s++ - '0');
		if (digits == 0 || (i > 0 && part[i] > 59) || part[0] > 167)
			return (NULL);
		if (*s != ':' || i == 2)
			break;
		s++;
	}
	*out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	return (s);
}

static const char *
tz_rule_num(const char *s, int lo, int hi, int *out)
{
	int	v = 0, digits = 0;

	while (*s >= '0' && *s <= '9' && digits++ < 4)
		v = v * 10 + (*s++ - '0');
	if (digits == 0 || v < lo || v > hi)
		return (NULL);
	*out = v;
	return (s);
}

/* ,Jn | ,n | ,Mm.w.d, then an optional /time (default 02:00). */
static const char *
tz_rule_date(const char *s, struct tz_date *dt)
{
	if (s == NULL || *s++ != ',')
		return (NULL);
	dt->kind = *s == 'J' || *s == 'M' ? *s++ : 'n';
	if (dt->kind == 'J')
		s = tz_rule_num(s, 1, 365, &dt->n);
	else if (dt->kind == 'n')
		s = tz_rule_num(s, 0, 365, &dt->n);
	else if ((s = tz_rule_num(s, 1, 12, &dt->m)) == NULL || *s++ != '.' ||
	    (s = tz_rule_num(s, 1, 5, &dt->w)) == NULL || *s++ != '.')
		return (NULL);
	else
		s = tz_rule_num(s, 0, 6, &dt->d);
	dt->secs = 7200;
	if (s != NULL && *s == '/')
		s = tz_rule_time(s + 1, &dt->secs);
	return (s);
}

/* "std offset [dst [offset] [,start,end]]"; the offsets count west. */
static int
tz_rule_parse(const char *s, struct tz_rule *r)
{
	int32_t	 west;

	memset(r, 0, sizeof *r);
	if ((s = tz_rule_name(s)) == NULL || (s = tz_rule_time(s,
	    &west)) == NULL)
		return (-1);
	r->std = r->dst = -west;
	if (*s != '\0') {
		if ((s = tz_rule_name(s)) == NULL)
			return (-1);
		r->has_dst = 1;
		r->dst = r->std + 3600;
		if (*s != ',' && *s != '\0') {
			if ((s = tz_rule_time(s, &west)) == NULL)
				return (-1);
			r->dst = -west;
		}
		/* No rule: the US's, as POSIX leaves it to the system. */
		if (*s == '\0')
			s = ",M3.2.0,M11.1.0";
		s = tz_rule_date(tz_rule_date(s, &r->start), &r->end);
		if (s == NULL || *s != '\0')
			return (-1);
	}
	r->ok = 1;
	return (0);
}

/* The day (since the epoch) a rule's date falls on in year y. */
static int64_t
tz_rule_day(const struct tz_date *dt, int64_t y)
{
	int64_t	first;
	int	wd, day;

	if (dt->kind == 'J')
		return (tz_days(y, 1, 1) + dt->n - 1 +
		    (tz_leap(y) && dt->n >= 60));
	if (dt->kind == 'n')
		return (tz_days(y, 1, 1) + dt->n);
	first = tz_days(y, dt->m, 1);
	wd = (int)(((first + 4) % 7 + 7) % 7);
	day = 1 + (dt->d - wd + 7) % 7 + (dt->w - 1) * 7;
	while (day > tz_mdays(y, dt->m))
		day -= 7;
	return (first + day - 1);
}

static int32_t
tz_rule_offset(const struct tz_rule *r, int64_t t)
{
	int64_t	y, start, end;
	int	m, d;

	if (!r->has_dst)
		return (r->std);
	tz_civil((t + r->std) / 86400 - ((t + r->std) % 86400 < 0), &y, &m,
	    &d);
	/* Start is in standard time, end in summer time, both local. */
	start = tz_rule_day(&r->start, y) * 86400 + r->start.secs - r->std;
	end = tz_rule_day(&r->end, y) * 86400 + r->end.secs - r->dst;
	if (start < end)
		return (t >= start && t < end ? r->dst : r->std);
	/* The southern hemisphere: summer spans the new year. */
	return (t >= end && t < start ? r->std : r->dst);
}

/* The TZif data: the 64-bit block of version 2+, else the 32-bit one. */
static int
tz_parse(struct tz *z, const unsigned char *p, size_t len)
{
	const unsigned char	*end = p + len, *q;
	int64_t			 cnt[6];
	size_t			 i, tsz = 4, blk;
	char			 footer[256];

	for (;;) {
		if (len < 44 || memcmp(p, "TZif", 4) != 0)
			return (-1);
		for (i = 0; i < 6; i++)
			cnt[i] = tz_be(p + 20 + 4 * i, 4);
		for (i = 0; i < 6; i++)
			if (cnt[i] < 0 || cnt[i] > 100000)
				return (-1);
		/* isut, isstd, leap, time, type, char */
		blk = (size_t)(cnt[3] * (int64_t)tsz + cnt[3] + cnt[4] * 6 +
		    cnt[5] + cnt[2] * (int64_t)(tsz + 4) + cnt[1] + cnt[0]);
		if (blk > (size_t)(end - p) - 44 || cnt[4] == 0)
			return (-1);
		if (tsz == 4 && p[4] >= '2') {
			p += 44 + blk;
			len = (size_t)(end - p);
			tsz = 8;
			continue;
		}
		break;
	}
	z->n = (size_t)cnt[3];
	z->ntypes = (size_t)cnt[4];
	z->at = calloc(z->n + 1, sizeof *z->at);
	z->idx = calloc(z->n + 1, 1);
	z->off = calloc(z->ntypes, sizeof *z->off);
	if (z->at == NULL || z->idx == NULL || z->off == NULL)
		return (FERRY_ERR_NOMEM);
	q = p + 44;
	for (i = 0; i < z->n; i++, q += tsz)
		z->at[i] = tz_be(q, (int)tsz);
	for (i = 0; i < z->n; i++, q++)
		if ((z->idx[i] = *q) >= z->ntypes)
			return (-1);
	for (i = 0; i < z->ntypes; i++, q += 6)
		z->off[i] = (int32_t)tz_be(q, 4);
	/* The footer: "\nRULE\n" after the 64-bit block. */
	q = p + 44 + blk;
	if (tsz == 8 && q < end && *q == '\n') {
		for (i = 0; q + 1 + i < end && q[1 + i] != '\n' &&
		    i < sizeof footer - 1; i++)
			footer[i] = (char)q[1 + i];
		footer[i] = '\0';
		if (i > 0)
			tz_rule_parse(footer, &z->rule);
	}
	return (0);
}

/* A zone name: letters, digits, '_', '-', '+', '/' and no "..". */
static int
tz_name_ok(const char *name)
{
	size_t	len = strlen(name);

	return (len > 0 && len < TZ_NAME_MAX && *name != '/' &&
	    strstr(name, "..") == NULL && strspn(name, "ABCDEFGHIJKLMNOPQRS"
	    "TUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/") == len);
}

static int
tz_read(const char *path, unsigned char **data, size_t *len)
{
	struct stat	 sb;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd;

	if ((fd = compat_open_read(path)) == -1)
		return (-1);
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > TZ_FILE_MAX || (*data = malloc((size_t)sb.st_size +
	    1)) == NULL) {
		close(fd);
		return (-1);
	}
	while (got < (size_t)sb.st_size && (n = read(fd, *data + got,
	    (size_t)sb.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	*len = got;
	return (0);
}

static int
tz_from_file(struct tz *z, const char *path)
{
	unsigned char	*data = NULL;
	size_t		 len = 0;
	int		 r;

	if (tz_read(path, &data, &len) != 0)
		return (-1);
	r = tz_parse(z, data, len);
	free(data);
	return (r);
}

static int
tz_load_named(struct tz *z, const char *name, char **cause)
{
	const char	*dir = getenv("TZDIR");
	char		 path[4096];

	if (dir == NULL || *dir == '\0')
		dir = compat_tz_dir();
	if (*name == ':')
		name++;
	if (tz_name_ok(name)) {
		snprintf(path, sizeof path, "%s/%s", dir, name);
		if (tz_from_file(z, path) == 0)
			return (0);
	}
	if (tz_rule_parse(name, &z->rule) == 0)
		return (0);
	return (err_set(cause, FERRY_ERR_NOTFOUND, "%s: no such time zone "
	    "(an IANA name such as Europe/London, as in %s, or a POSIX TZ "
	    "rule)", name, dir));
}

/* This machine's zone's name: $TZ, or what compat_tz_local says. */
static void
tz_local_name(char *buf, size_t n)
{
	const char	*env = getenv("TZ");

	snprintf(buf, n, "%s", env != NULL && *env != '\0' ? env : "UTC");
	if (env != NULL && *env != '\0')
		return;
	if (compat_tz_local(buf, n) == -1)
		snprintf(buf, n, "UTC");
}

int
tz_load(const char *name, struct tz **out, char **cause)
{
	struct tz	*z;
	const char	*env = getenv("TZ");
	char		 local[TZ_NAME_MAX];
	int		 r = 0;

	if ((z = calloc(1, sizeof *z)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	if (name != NULL && *name != '\0')
		r = tz_load_named(z, name, cause);
	else if (env != NULL && *env != '\0')
		r = tz_load_named(z, env, NULL) == 0 ? 0 :
		    tz_rule_parse("UTC0", &z->rule);
	tz_local_name(local, sizeof local);
	/*
	 * No /etc/localtime (Windows): compat_tz_local's name may be a
	 * POSIX rule itself. Failing all, UTC.
	 */
	if ((name == NULL || *name == '\0') && (env == NULL || *env == '\0') &&
	    tz_from_file(z, "/etc/localtime") != 0 &&
	    tz_rule_parse(local, &z->rule) != 0)
		tz_rule_parse("UTC0", &z->rule);
	if (r == 0 && (z->name = strdup(name != NULL && *name != '\0' ?
	    name : local)) == NULL)
		r = err_set(cause, FERRY_ERR_NOMEM, "out of memory");
	if (r != 0) {
		tz_free(z);
		return (r);
	}
	*out = z;
	return (0);
}

void
tz_free(struct tz *z)
{
	if (z == NULL)
		return;
	free(z->name);
	free(z->at);
	free(z->idx);
	free(z->off);
	free(z);
}

const char *
tz_name(const struct tz *z)
{
	return (z->name);
}

int32_t
tz_offset(const struct tz *z, int64_t t)
{
	size_t	lo = 0, hi = z->n, mid;

	if (z->n == 0 || t >= z->at[z->n - 1]) {
		if (z->rule.ok)
			return (tz_rule_offset(&z->rule, t));
		if (z->n == 0)
			return (z->ntypes > 0 ? z->off[0] : 0);
	}
	if (t < z->at[0])
		return (z->off[0]);
	/* The last transition at or before t. */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (z->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return (z->off[z->idx[lo]]);
}

void
tz_local(const struct tz *z, int64_t t, int *wday, int *minute, int *ymd)
{
	int64_t	local = t + tz_offset(z, t), days, y;
	int	m, d;

	days = local / 86400 - (local % 86400 < 0);
	if (wday != NULL)
		*wday = (int)(((days + 4) % 7 + 7) % 7);
	if (minute != NULL)
		*minute = (int)((local - days * 86400) / 60);
	if (ymd != NULL) {
		tz_civil(days, &y, &m, &d);
		*ymd = (int)(y * 10000 + m * 100 + d);
	}
}
