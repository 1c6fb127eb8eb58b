/*
 * A WebSocket client connection (RFC 6455) over libcurl. libcurl 7.88 on
 * Debian 12 has no WebSocket support, so libcurl only connects
 * (CURLOPT_CONNECT_ONLY: TCP, TLS, proxy CONNECT, timeouts) and this code
 * does the upgrade and the framing with curl_easy_send and curl_easy_recv.
 * Proxies come from the usual environment variables, as libcurl reads them.
 *
 * One connection is used by one thread. Library tier: 0 or a negative
 * FERRY_ERR_* code, with a cause; nothing is logged.
 *
 * Private to ftrack/eventhub/ (and its tests and fuzz targets).
 */
#ifndef FERRY_WS_INT_H
#define FERRY_WS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ws-frame-int.h"

#define WS_DEFAULT_MAX_MESSAGE	(16 * 1024 * 1024)
#define WS_DEFAULT_TIMEOUT_MS	10000

struct ws_conn;

struct ws_options {
	/* ws://, wss://, http:// or https://host[:port]/path[?query] */
	const char		*url;
	/* NULL or extra "Name: value" upgrade headers, NULL-terminated;
	 * they may hold secrets and never reach a cause. */
	const char *const	*headers;
	long			 connect_timeout_ms;	/* 0: the default */
	size_t			 max_message;		/* 0: the default */
	const char		*ca_file;		/* NULL: the system's */
};

/*
 * Connects, upgrades and checks the server's answer. FERRY_ERR_IO when
 * the server cannot be reached, FERRY_ERR_TIMEOUT, FERRY_ERR_AUTH when the
 * upgrade is refused with 401 or 403, FERRY_ERR_PROTO for a bad answer.
 */
int	 ws_connect(const struct ws_options *o, struct ws_conn **out,
	     char **cause);
/* Sends one masked message or control frame within timeout_ms. */
int	 ws_send(struct ws_conn *c, int opcode, const void *data, size_t len,
	     int timeout_ms, char **cause);
/*
 * Waits up to timeout_ms (0: only what has arrived) for a text or binary
 * message. Pings are answered and pongs dropped on the way. Returns 1 with
 * *m filled (valid until the next call), 0 on timeout, FERRY_ERR_CLOSED
 * when the server closed (its close is answered, the cause names the code
 * and reason) or the connection ended, or the parser's error (after which
 * a close with the matching status is sent).
 */
int	 ws_recv(struct ws_conn *c, int timeout_ms, struct ws_msg *m,
	     char **cause);
/* Milliseconds since bytes last arrived from the server. */
int64_t	 ws_idle_ms(const struct ws_conn *c);
/*
 * The closing handshake: sends a close with code and reason, then waits
 * up to timeout_ms for the server's. Returns 0 when the server answered
 * or hung up, FERRY_ERR_TIMEOUT if it did neither. Nothing may be sent
 * afterwards; ws_free still must be called.
 */
int	 ws_close(struct ws_conn *c, int code, const char *reason,
	     int timeout_ms, char **cause);
void	 ws_free(struct ws_conn *c);

#endif
