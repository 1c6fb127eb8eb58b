/*
 * The machine's time zone on Windows (compat.h). Windows keeps no TZif
 * files: IANA names are read from the zoneinfo folder a package may ship
 * in %ProgramData%\ferry\zoneinfo (or $TZDIR), and this machine's own
 * zone is written as a POSIX TZ rule from GetTimeZoneInformation, whose
 * fields are the same thing (bias, and month/week/weekday/hour of each
 * change) in another form. Windows names its zones ("W. Europe Standard
 * Time"), not IANA's; the rule gives the right offsets all the same.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "compat.h"

const char *
compat_tz_dir(void)
{
	static char	*dir;
	const char	*base;
	size_t		 n;

	if (dir != NULL)
		return (dir);
	base = compat_statedir_default();
	n = strlen(base) + sizeof "\\zoneinfo";
	if ((dir = malloc(n)) == NULL)
		return ("C:\\ProgramData\\ferry\\zoneinfo");
	snprintf(dir, n, "%s\\zoneinfo", base);
	return (dir);
}

/* A bias in minutes west of UTC as a POSIX offset: "5", "-1", "-5:30". */
static void
tz_win_offset(char *out, size_t n, LONG bias)
{
	const char	*sign = bias < 0 ? "-" : "";
	LONG		 a = bias < 0 ? -bias : bias;

	if (a % 60 != 0)
		snprintf(out, n, "%s%ld:%02ld", sign, a / 60, a % 60);
	else
		snprintf(out, n, "%s%ld", sign, a / 60);
}

int
compat_tz_local(char *buf, size_t n)
{
	TIME_ZONE_INFORMATION	 tzi;
	char			 std[16], dst[16];
	DWORD			 r;

	if ((r = GetTimeZoneInformation(&tzi)) == TIME_ZONE_ID_INVALID) {
		errno = EIO;
		return (-1);
	}
	tz_win_offset(std, sizeof std, tzi.Bias + tzi.StandardBias);
	/* A zone without daylight saving has no change dates. */
	if (tzi.DaylightDate.wMonth == 0 || tzi.StandardDate.wMonth == 0) {
		snprintf(buf, n, "WST%s", std);
		return (0);
	}
	tz_win_offset(dst, sizeof dst, tzi.Bias + tzi.DaylightBias);
	/* wDay is the week (1-5, 5 the last), as POSIX's Mm.w.d has it. */
	snprintf(buf, n, "WST%sWDT%s,M%u.%u.%u/%u,M%u.%u.%u/%u", std, dst,
	    tzi.DaylightDate.wMonth, tzi.DaylightDate.wDay,
	    tzi.DaylightDate.wDayOfWeek, tzi.DaylightDate.wHour,
	    tzi.StandardDate.wMonth, tzi.StandardDate.wDay,
	    tzi.StandardDate.wDayOfWeek, tzi.StandardDate.wHour);
	return (0);
}
