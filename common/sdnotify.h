/*
 * Tells systemd how the daemon is doing (Type=notify units), without
 * libsystemd: one datagram per message to the AF_UNIX socket named by
 * $NOTIFY_SOCKET ('@' at its start means the abstract namespace). Without
 * NOTIFY_SOCKET every function here does nothing and returns 0, so the
 * daemon calls them unconditionally.
 */
#ifndef FERRY_SDNOTIFY_H
#define FERRY_SDNOTIFY_H

#include <stdint.h>

#define SDNOTIFY_ENV	"NOTIFY_SOCKET"

/*
 * Sends msg (one or more "KEY=value" lines) as it is. Returns 0,
 * FERRY_ERR_INVAL (NOTIFY_SOCKET is not an absolute path or '@' name, or
 * is too long) or FERRY_ERR_IO, with a cause.
 */
int	sdnotify_send(const char *msg, char **cause);

/* READY=1: start-up is over (state loaded, socket listening). */
int	sdnotify_ready(char **cause);
/* STOPPING=1: shutting down. */
int	sdnotify_stopping(char **cause);
/* RELOADING=1 with MONOTONIC_USEC, as systemd 253 wants; READY=1 ends it. */
int	sdnotify_reloading(char **cause);
/* WATCHDOG=1: still alive. */
int	sdnotify_watchdog(char **cause);
/* STATUS=text, one line shown by systemctl status. */
int	sdnotify_status(char **cause, const char *fmt, ...)
	    __attribute__((format(FERRY_PRINTF_FORMAT, 2, 3)));

/*
 * Stores in *usecp the watchdog interval systemd asks for (WATCHDOG_USEC,
 * if WATCHDOG_PID is unset or ours) and returns 1; returns 0 if there is
 * no watchdog. Ping at half the interval.
 */
int	sdnotify_watchdog_usec(uint64_t *usecp);

#endif
