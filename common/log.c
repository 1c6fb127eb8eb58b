#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "log.h"

static const char	*log_name = "ferry";
static enum log_level	 log_max = LOG_LEVEL_INFO;
static int		 log_syslog;
static int		 log_stamp;
static void		(*log_sink)(enum log_level, const char *);

void
log_init(const char *progname, enum log_level level, int use_syslog)
{
	log_name = progname;
	log_max = level;
	log_syslog = use_syslog;
	/*
	 * A log on a terminal or in a file needs the time; syslog and the
	 * journal (systemd sets JOURNAL_STREAM for a unit's stderr) add
	 * their own.
	 */
	log_stamp = !use_syslog && getenv("JOURNAL_STREAM") == NULL;
	/*
	 * On Windows "syslog" is a file (compat_syslog_open); if it cannot
	 * be opened, stderr is better than silence.
	 */
	if (use_syslog && compat_syslog_open(progname) == -1) {
		fprintf(stderr, "%s: cannot open the log: %s\n", progname,
		    strerror(errno));
		log_syslog = 0;
		log_stamp = 1;
	}
}

void
log_set_level(enum log_level level)
{
	log_max = level;
}

void
log_set_sink(void (*sink)(enum log_level, const char *))
{
	log_sink = sink;
}

const char *
log_progname(void)
{
	return (log_name);
}

/* ISO 8601 in UTC, to the millisecond: "2026-12-02T16:03:22.125Z". */
static const char *
log_time(char *out, size_t n)
{
	struct timespec	ts;
	struct tm	tm;
	char		day[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%.19s.%03dZ", day,
	    (int)(ts.tv_nsec / 1000000) % 1000);
	return (out);
}

/*
 * msg with its control characters as \xNN: messages name what peers chose
 * (an agent's name, a file's), and a newline in one would write a line
 * that looks like the daemon's own, an escape a command to a terminal.
 */
static void
log_clean(const char *msg, char *out, size_t n)
{
	const unsigned char	*p;
	size_t			 o = 0;

	for (p = (const unsigned char *)msg; *p != '\0' && o + 5 < n; p++) {
		if (*p < 0x20 || *p == 0x7f)
			o += (size_t)snprintf(out + o, n - o, "\\x%02x", *p);
		else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
}

static void	log_vwrite(enum log_level, int, int, const char *, va_list)
		    __attribute__((format(FERRY_PRINTF_FORMAT, 4, 0)));

/* Writes one message; with_errno appends the text of saved errno. */
static void
log_vwrite(enum log_level level, int with_errno, int saved_errno,
    const char *fmt, va_list ap)
{
	char			 msg[4096], clean[4096], stamp[40];
	int			 n;

	if (level > log_max)
		return;
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	if (n >= 0 && with_errno && (size_t)n < sizeof msg)
		snprintf(msg + n, sizeof msg - (size_t)n, ": %s",
		    strerror(saved_errno));
	log_clean(msg, clean, sizeof clean);
	if (log_sink != NULL)
		log_sink(level, clean);
	else if (log_syslog)
		compat_syslog((int)level, clean);
	else if (log_stamp)
		fprintf(stderr, "%s %s: %s\n", log_time(stamp, sizeof stamp),
		    log_name, clean);
	else
		fprintf(stderr, "%s: %s\n", log_name, clean);
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
