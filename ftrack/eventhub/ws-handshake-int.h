/*
 * The WebSocket opening handshake (RFC 6455 section 4): the client's key,
 * the Upgrade request, and the check of the server's 101 answer with its
 * Sec-WebSocket-Accept. Pure functions apart from the random key.
 *
 * Library tier: 0 or a negative FERRY_ERR_* code, with a cause.
 *
 * Private to ftrack/eventhub/ (and its tests and fuzz targets).
 */
#ifndef FERRY_WS_HANDSHAKE_INT_H
#define FERRY_WS_HANDSHAKE_INT_H

#include <stddef.h>

#include "buf.h"

#define WS_KEY_SIZE	25	/* base64 of 16 random bytes, and a NUL */
#define WS_ACCEPT_SIZE	29	/* base64 of a SHA-1 digest, and a NUL */
#define WS_HEAD_MAX	16384	/* longest answer head accepted */

/* A fresh random Sec-WebSocket-Key (OpenSSL RAND). */
int	 ws_handshake_key(char key[WS_KEY_SIZE], char **cause);
/* The Sec-WebSocket-Accept a server must answer to key. */
int	 ws_handshake_accept(const char *key, char accept[WS_ACCEPT_SIZE],
	     char **cause);
/*
 * Appends the GET request that asks host to upgrade target (path and
 * query) to a WebSocket. headers is NULL or a NULL-terminated list of
 * extra "Name: value" lines; they may hold secrets and never reach a
 * cause. FERRY_ERR_INVAL if any part holds a CR, LF or NUL.
 */
int	 ws_handshake_request(struct buf *out, const char *host,
	     const char *target, const char *key, const char *const *headers,
	     char **cause);
/*
 * The length of the answer's head (status line and headers, up to and
 * including the empty line) at the start of p[0..n), or 0 if it has not
 * all arrived.
 */
size_t	 ws_handshake_head_len(const char *p, size_t n);
/*
 * Checks a complete answer head: status 101, "Upgrade: websocket",
 * "Connection: Upgrade", the right Sec-WebSocket-Accept, and no extension
 * or subprotocol (none was offered). FERRY_ERR_AUTH for 401 and 403,
 * FERRY_ERR_PROTO for anything else wrong.
 */
int	 ws_handshake_check(const char *head, size_t n, const char *key,
	     char **cause);

#endif
