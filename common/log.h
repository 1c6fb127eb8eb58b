/*
 * Logging for the programs (ferry, ferryd, ferry-ftrack), in the OpenBSD
 * daemon style: messages go to stderr, or to syslog for a daemon that asks
 * for it. Libraries do not log; they return codes and causes.
 * Never pass a secret to these functions.
 */
#ifndef FERRY_LOG_H
#define FERRY_LOG_H

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

#define LOG_PRINTF(a, b) __attribute__((format(FERRY_PRINTF_FORMAT, a, b)))

/*
 * progname prefixes each message on stderr, after the time in ISO 8601
 * UTC unless stderr goes to the journal; syslog is used if use_syslog.
 */
void	log_init(const char *progname, enum log_level level, int use_syslog);
void	log_set_level(enum log_level level);
/*
 * sink, if not NULL, takes every message that passes the level instead of
 * stderr or syslog: a program chooses it (ferryd's Windows service, the
 * Event Log: agent/win/eventlog.c). msg has no newline and no control
 * characters; the sink adds its own time, if it wants one. Set it before
 * threads start; NULL puts back stderr or syslog, as log_init said.
 */
void	log_set_sink(void (*sink)(enum log_level level, const char *msg));
const char *log_progname(void);

void	log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
void	log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
/* log_warn appends strerror(errno); log_warnx does not. */
void	log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void	log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);
void	log_error(const char *fmt, ...) LOG_PRINTF(1, 2);

#endif
