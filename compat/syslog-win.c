/*
 * The system log on Windows (compat.h): a file, PROGNAME.log in the state
 * directory's default (%ProgramData%\ferry), or the file $FERRY_LOG_FILE
 * names. Owner-only like every file there (compat_open_private). The
 * Event Log is not used: it needs a message DLL registered at install,
 * and a vendor's IT person reads a text file more easily.
 */
#include "config.h"

#include <errno.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <windows.h>

#include "compat.h"

static int	 syslog_fd = -1;
static SRWLOCK	 syslog_lock = SRWLOCK_INIT;
static char	 syslog_name[64] = "ferry";

int
compat_syslog_open(const char *progname)
{
	const char	*env;
	char		 path[1024];
	int		 fd;

	snprintf(syslog_name, sizeof syslog_name, "%s", progname);
	if ((env = getenv("FERRY_LOG_FILE")) != NULL && *env != '\0')
		snprintf(path, sizeof path, "%s", env);
	else {
		if (compat_mkdir_private(compat_statedir_default()) == -1)
			return (-1);
		snprintf(path, sizeof path, "%s\\%s.log",
		    compat_statedir_default(), progname);
	}
	if ((fd = compat_open_private(path)) == -1)
		return (-1);
	AcquireSRWLockExclusive(&syslog_lock);
	if (syslog_fd != -1)
		_close(syslog_fd);
	syslog_fd = fd;
	ReleaseSRWLockExclusive(&syslog_lock);
	return (0);
}

void
compat_syslog(int level, const char *msg)
{
	static const char	*name[] = { "error", "warning", "info",
	    "debug" };
	SYSTEMTIME		 st;
	char			 line[4300];
	int			 n;

	if (level < 0 || level > 3)
		level = 3;
	/* A file has no stamps of its own, unlike syslog: UTC, as log.c. */
	GetSystemTime(&st);
	n = snprintf(line, sizeof line, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ "
	    "%s[%lu] %s: %s\r\n", st.wYear, st.wMonth, st.wDay, st.wHour,
	    st.wMinute, st.wSecond, st.wMilliseconds, syslog_name,
	    (unsigned long)GetCurrentProcessId(), name[level], msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line)
		n = (int)sizeof line - 1;
	AcquireSRWLockExclusive(&syslog_lock);
	/* Appended whole, under the lock: lines of two threads never mix. */
	if (syslog_fd != -1 && _lseeki64(syslog_fd, 0, SEEK_END) != -1)
		(void)_write(syslog_fd, line, (unsigned)n);
	ReleaseSRWLockExclusive(&syslog_lock);
}
