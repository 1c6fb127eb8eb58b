#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "err.h"
#include "sdnotify.h"

int
sdnotify_send(const char *msg, char **cause)
{
	const char	*name;

	name = getenv(SDNOTIFY_ENV);
	if (name == NULL || *name == '\0')
		return (0);
	if (compat_notify(name, msg) == -1) {
		if (errno == EINVAL)
			return (err_set(cause, FERRY_ERR_INVAL, "%s=%s: not an "
			    "absolute path or an abstract '@' name of a usable "
			    "length", SDNOTIFY_ENV, name));
		return (err_set(cause, FERRY_ERR_IO, "cannot notify %s: %s",
		    name, strerror(errno)));
	}
	return (0);
}

int
sdnotify_ready(char **cause)
{
	return (sdnotify_send("READY=1", cause));
}

int
sdnotify_stopping(char **cause)
{
	return (sdnotify_send("STOPPING=1", cause));
}

int
sdnotify_reloading(char **cause)
{
	struct timespec	 ts;
	char		 msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	    (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
	return (sdnotify_send(msg, cause));
}

int
sdnotify_watchdog(char **cause)
{
	return (sdnotify_send("WATCHDOG=1", cause));
}

int
sdnotify_status(char **cause, const char *fmt, ...)
{
	char	 msg[1024], *p;
	va_list	 ap;

	/* A long status is cut short: it is one line on a screen. */
	memcpy(msg, "STATUS=", 7);
	va_start(ap, fmt);
	vsnprintf(msg + 7, sizeof msg - 7, fmt, ap);
	va_end(ap);
	/* A newline would start a new, unintended, assignment. */
	for (p = msg; *p != '\0'; p++) {
		if (*p == '\n')
			*p = ' ';
	}
	return (sdnotify_send(msg, cause));
}

int
sdnotify_watchdog_usec(uint64_t *usecp)
{
	const char	*s;
	char		*end;
	uintmax_t	 v;

	if ((s = getenv("WATCHDOG_PID")) != NULL && *s != '\0') {
		errno = 0;
		v = strtoumax(s, &end, 10);
		if (errno != 0 || *end != '\0' || v != (uintmax_t)getpid())
			return (0);
	}
	if ((s = getenv("WATCHDOG_USEC")) == NULL || *s == '\0')
		return (0);
	errno = 0;
	v = strtoumax(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0)
		return (0);
	*usecp = (uint64_t)v;
	return (1);
}
