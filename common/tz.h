/*
 * Time zones for transfer windows: an IANA zone (Europe/London) read from
 * the system's compiled zoneinfo (TZif, RFC 8536), or a POSIX TZ rule
 * (EST5EDT,M3.2.0,M11.1.0), turned into the offset from UTC at a given
 * moment. Thread-safe: unlike localtime(3) with setenv("TZ"), nothing
 * here touches the process's environment or libc's zone state, so a
 * daemon can hold a zone per site.
 */
#ifndef FERRY_TZ_H
#define FERRY_TZ_H

#include <stdint.h>

/*
 * Where zones are read from on POSIX, unless $TZDIR says otherwise (the
 * code asks compat_tz_dir(): Windows has no zoneinfo of its own).
 */
#define TZ_DIR_DEFAULT	"/usr/share/zoneinfo"

struct tz;

/*
 * Loads zone name: an IANA name below $TZDIR (or TZ_DIR_DEFAULT), or a
 * POSIX TZ rule; NULL or "": this machine's zone ($TZ, else
 * /etc/localtime, else compat_tz_local()'s rule on Windows, else UTC). A name that is neither is refused with a
 * cause naming it.
 */
int	 tz_load(const char *name, struct tz **out, char **cause);
void	 tz_free(struct tz *z);
/*
 * The zone's name as loaded: as given, or for this machine's zone $TZ
 * or the name /etc/localtime links to ("UTC" when neither says).
 */
const char *tz_name(const struct tz *z);
/* Seconds east of UTC at time t (seconds since the epoch, UTC). */
int32_t	 tz_offset(const struct tz *z, int64_t t);
/*
 * The local calendar at t: weekday (0 Sunday), minute of the day
 * (0-1439), and year, month (1-12), day.
 */
void	 tz_local(const struct tz *z, int64_t t, int *wday, int *minute,
	    int *ymd);
/* Days since 1970-01-01 of a date in the proleptic Gregorian calendar. */
int64_t	 tz_days(int64_t y, int m, int d);

#endif
