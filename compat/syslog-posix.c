/* The system log on POSIX (compat.h): syslog(3), facility daemon. */
#include "config.h"

#include <syslog.h>

#include "compat.h"

int
compat_syslog_open(const char *progname)
{
	openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	return (0);
}

void
compat_syslog(int level, const char *msg)
{
	static const int	prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO,
	    LOG_DEBUG };

	if (level < 0 || level > 3)
		level = 3;
	syslog(prio[level], "%s", msg);
}
