/*
 * What a failed libssh2 call means (sftp-int.h): the cause for a person and
 * the ferry error for the caller. Every file of the library reports
 * through it, so it sits below them all.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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
	case LIBSSH2_ERROR_SOCKET_SEND:
	case LIBSSH2_ERROR_SOCKET_RECV:
	case LIBSSH2_ERROR_SOCKET_DISCONNECT:
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
	if (e == LIBSSH2_ERROR_SFTP_PROTOCOL)
		err_set(cause, code, "%s: %s: %s (SFTP status %lu)", s->host,
		    what != NULL ? what : "?", msg, st);
	else
		err_set(cause, code, "%s: %s: %s", s->host,
		    what != NULL ? what : "?", msg != NULL && *msg != '\0' ?
		    msg : err_str(code));
	free(what);
	return (code);
}
