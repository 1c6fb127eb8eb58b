#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static const char	*log_name = "ferry";
static enum log_level	 log_max = LOG_LEVEL_INFO;
static int		 log_syslog;

void
log_init(const char *progname, enum log_level level, int use_syslog)
{
	log_name = progname;
	log_max = level;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(enum log_level level)
{
	log_max = level;
}

const char *
log_progname(void)
{
	return (log_name);
}

static void	log_vwrite(enum log_level, int, int, const char *, va_list)
		    __attribute__((format(printf, 4, 0)));

/* Writes one message; with_errno appends the text of saved errno. */
static void
log_vwrite(enum log_level level, int with_errno, int saved_errno,
    const char *fmt, va_list ap)
{
	static const int	 prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO,
	    LOG_DEBUG };
	char			 msg[4096];
	int			 n;

	if (level > log_max)
		return;
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	if (n >= 0 && with_errno && (size_t)n < sizeof msg)
		snprintf(msg + n, sizeof msg - (size_t)n, ": %s",
		    strerror(saved_errno));
	if (log_syslog)
		syslog(prio[level], "%s", msg);
	else
		fprintf(stderr, "%s: %s\n", log_name, msg);
}

#define LOG_FN(name, level, with_errno)				\
void								\
name(const char *fmt, ...)					\
{								\
	int	saved = errno;					\
	va_list	ap;						\
								\
	va_start(ap, fmt);					\
	log_vwrite(level, with_errno, saved, fmt, ap);		\
	va_end(ap);						\
	errno = saved;						\
}

LOG_FN(log_debug, LOG_LEVEL_DEBUG, 0)
LOG_FN(log_info, LOG_LEVEL_INFO, 0)
LOG_FN(log_warn, LOG_LEVEL_WARN, 1)
LOG_FN(log_warnx, LOG_LEVEL_WARN, 0)
LOG_FN(log_error, LOG_LEVEL_ERROR, 0)

void
fatal(const char *fmt, ...)
{
	int	saved = errno;
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, 1, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, 0, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
