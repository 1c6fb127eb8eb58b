/*
 * What a failed libssh2 call means (sftp-int.h): the cause for a person and
 * the ferry error for the caller. Every file of the library reports
 * through it, so it sits below them all; so do the time budget of a
 * clean-up and the end of a connection that stalled or dropped.
 */
#include "config.h"

#include <sys/socket.h>

#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "err.h"
#include "sftp-int.h"

/*
 * The cause of a failed libssh2 call: what we were doing, libssh2's
 * message and, for an SFTP status, the server's code. Returns the ferry
 * error: a dropped connection is FERRY_ERR_CLOSED (the caller may retry),
 * a timeout FERRY_ERR_TIMEOUT.
 */
int
sftp_fail(struct sftp *s, char **cause, const char *fmt, ...)
{
	char		*what = NULL, *msg = NULL;
	va_list		 ap;
	int		 e, code = FERRY_ERR_IO;
	unsigned long	 st = 0;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	e = libssh2_session_last_error(s->ssh, &msg, NULL, 0);
	switch (e) {
	case LIBSSH2_ERROR_TIMEOUT:
		code = FERRY_ERR_TIMEOUT;
		break;
	case LIBSSH2_ERROR_SOCKET_DISCONNECT:
		/* The socket shut here, after a timeout: say that. */
		if (s->dead)
			code = FERRY_ERR_TIMEOUT;
		else
			code = FERRY_ERR_CLOSED;
		break;
	case LIBSSH2_ERROR_SOCKET_SEND:
	case LIBSSH2_ERROR_SOCKET_RECV:
	case LIBSSH2_ERROR_SOCKET_TIMEOUT:
	case LIBSSH2_ERROR_CHANNEL_CLOSED:
	case LIBSSH2_ERROR_CHANNEL_EOF_SENT:
		code = FERRY_ERR_CLOSED;
		break;
	case LIBSSH2_ERROR_SFTP_PROTOCOL:
		st = libssh2_sftp_last_error(s->sftp);
		if (st == LIBSSH2_FX_NO_SUCH_FILE ||
		    st == LIBSSH2_FX_NO_SUCH_PATH)
			code = FERRY_ERR_NOTFOUND;
		else if (st == LIBSSH2_FX_PERMISSION_DENIED ||
		    st == LIBSSH2_FX_WRITE_PROTECT)
			code = FERRY_ERR_DENIED;
		break;
	}
	if (code == FERRY_ERR_TIMEOUT)
		err_set(cause, code, "%s: %s: timed out: the server did not "
		    "answer within %d ms", s->host, what != NULL ? what : "?",
		    s->tmo);
	else if (e == LIBSSH2_ERROR_SFTP_PROTOCOL)
		err_set(cause, code, "%s: %s: %s (SFTP status %lu)", s->host,
		    what != NULL ? what : "?", msg, st);
	else
		err_set(cause, code, "%s: %s: %s", s->host,
		    what != NULL ? what : "?", msg != NULL && *msg != '\0' ?
		    msg : err_str(code));
	free(what);
	/* A stalled or dropped connection is not waited for again. */
	if (code == FERRY_ERR_TIMEOUT || code == FERRY_ERR_CLOSED)
		sftp_dead(s);
	return (code);
}

void
sftp_dead(struct sftp *s)
{
	if (s->dead || s->fd == -1)
		return;
	s->dead = 1;
	/* libssh2 keeps the descriptor; a shut socket fails its calls. */
	(void)shutdown(s->fd, SHUT_RDWR);
}

void
sftp_budget_start(struct sftp *s)
{
	s->budget_end = clock_ms() + s->tmo;
}

int
sftp_budget(struct sftp *s)
{
	int64_t	left;

	if (s->dead)
		return (-1);
	if (s->budget_end == 0)
		return (0);
	left = s->budget_end - clock_ms();
	if (left <= 0) {
		sftp_dead(s);
		return (-1);
	}
	libssh2_session_set_timeout(s->ssh, (long)left);
	return (0);
}

void
sftp_budget_end(struct sftp *s)
{
	s->budget_end = 0;
	if (s->ssh != NULL)
		libssh2_session_set_timeout(s->ssh, s->tmo);
}

int
sftp_stalled(struct sftp *s, int64_t since, const char *what, char **cause)
{
	struct pollfd	pfd;

	if (clock_ms() - since >= s->tmo) {
		sftp_dead(s);
		return (err_set(cause, FERRY_ERR_TIMEOUT, "%s: %s: timed out: "
		    "no progress for %d ms", s->host, what, s->tmo));
	}
	/* Not a busy loop: a little time for the server to say more. */
	pfd.fd = s->fd;
	pfd.events = POLLIN;
	(void)poll(&pfd, 1, 10);
	return (0);
}
