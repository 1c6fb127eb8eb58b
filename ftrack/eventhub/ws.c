/*
 * The WebSocket client's I/O: libcurl connects (CONNECT_ONLY), then the
 * upgrade and every frame go through curl_easy_send and curl_easy_recv,
 * waiting on libcurl's socket with poll(2) when it says CURLE_AGAIN.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "ws-conn-int.h"
#include "ws-int.h"

#define WS_READ_CHUNK		16384

/* Waits for the socket until deadline: 1 ready, 0 timed out, or error. */
static int
ws_wait(struct ws_conn *c, int for_write, int64_t deadline, char **cause)
{
	struct pollfd	pfd;
	int64_t		left;
	int		n;

	for (;;) {
		left = deadline - clock_ms();
		pfd.fd = c->fd;
		pfd.events = for_write ? POLLOUT : POLLIN;
		pfd.revents = 0;
		if (left > 60000)
			left = 60000;
		n = poll(&pfd, 1, left > 0 ? (int)left : 0);
		if (n > 0)
			return (1);
		if (n < 0 && errno != EINTR)
			return (err_set(cause, FERRY_ERR_IO, "poll: %s",
			    strerror(errno)));
		if (n == 0 && left <= 0)
			return (0);
	}
}

int
ws_write_all(struct ws_conn *c, const void *data, size_t len,
    int64_t deadline, char **cause)
{
	const char	*p = data;
	size_t		 n;
	CURLcode	 rc;
	int		 r;

	while (len > 0) {
		rc = curl_easy_send(c->curl, p, len, &n);
		if (rc == CURLE_AGAIN) {
			if ((r = ws_wait(c, 1, deadline, cause)) < 0)
				return (r);
			if (r == 0)
				return (err_set(cause, FERRY_ERR_TIMEOUT,
				    "timed out sending to the WebSocket"));
			continue;
		}
		if (rc != CURLE_OK)
			return (err_set(cause, FERRY_ERR_IO, "WebSocket send "
			    "failed: %s", curl_easy_strerror(rc)));
		p += n;
		len -= n;
	}
	return (0);
}

int
ws_read_some(struct ws_conn *c, void *data, size_t size, size_t *got,
    int64_t deadline, char **cause)
{
	CURLcode	rc;
	int		r;

	for (;;) {
		/* Try first: TLS may hold decrypted bytes the socket lacks. */
		rc = curl_easy_recv(c->curl, data, size, got);
		if (rc == CURLE_OK && *got == 0)
			return (err_set(cause, FERRY_ERR_CLOSED, "the server "
			    "ended the connection without a WebSocket close "
			    "(1006 abnormal closure)"));
		if (rc == CURLE_OK) {
			c->last_rx = clock_ms();
			return (1);
		}
		if (rc != CURLE_AGAIN)
			return (err_set(cause, FERRY_ERR_IO, "WebSocket "
			    "receive failed: %s", curl_easy_strerror(rc)));
		if ((r = ws_wait(c, 0, deadline, cause)) <= 0)
			return (r);
	}
}

static int
ws_send_frame(struct ws_conn *c, int opcode, const void *data, size_t len,
    int64_t deadline, char **cause)
{
	uint8_t	key[4];
	int	r;

	if (RAND_bytes(key, sizeof key) != 1)
		return (err_set(cause, FERRY_ERR_CRYPTO,
		    "cannot draw a WebSocket mask key"));
	buf_reset(&c->out);
	if ((r = ws_frame_encode(&c->out, opcode, 1, data, len, key,
	    cause)) != 0)
		return (r);
	if ((r = ws_write_all(c, c->out.data, c->out.len, deadline,
	    cause)) != 0)
		c->dead = 1;	/* a frame cut short breaks the stream */
	return (r);
}

int
ws_send(struct ws_conn *c, int opcode, const void *data, size_t len,
    int timeout_ms, char **cause)
{
	if (c->dead || c->sent_close)
		return (err_set(cause, FERRY_ERR_STATE,
		    "the WebSocket is already closed"));
	return (ws_send_frame(c, opcode, data, len, clock_ms() + timeout_ms,
	    cause));
}

/* Sends a close (best effort) once; later I/O is refused. */
static void
ws_send_close(struct ws_conn *c, int code, const char *reason)
{
	uint8_t	payload[WS_CONTROL_MAX];
	size_t	n;

	if (c->sent_close || c->dead)
		return;
	c->sent_close = 1;
	n = ws_close_encode(payload, code, reason);
	(void)ws_send_frame(c, WS_OP_CLOSE, payload, n,
	    clock_ms() + WS_CONTROL_SEND_MS, NULL);
}

/* Answers what the server's control frame asks; 1 if m is for the caller. */
static int
ws_control(struct ws_conn *c, const struct ws_msg *m, char **cause)
{
	switch (m->opcode) {
	case WS_OP_PING:
		if (!c->sent_close && ws_send_frame(c, WS_OP_PONG, m->data,
		    m->len, clock_ms() + WS_CONTROL_SEND_MS, cause) != 0)
			return (FERRY_ERR_IO);
		return (0);
	case WS_OP_PONG:
		return (0);
	case WS_OP_CLOSE:
		/* Echo the status, as section 5.5.1 suggests. */
		ws_send_close(c, m->close_code == WS_CLOSE_NO_STATUS ? 0 :
		    m->close_code, NULL);
		c->dead = 1;
		return (err_set(cause, FERRY_ERR_CLOSED, "the server closed "
		    "the WebSocket (%d %s%s%s)", m->close_code,
		    ws_close_code_name(m->close_code),
		    m->close_reason[0] != '\0' ? ": " : "", m->close_reason));
	default:
		return (1);
	}
}

int
ws_recv(struct ws_conn *c, int timeout_ms, struct ws_msg *m, char **cause)
{
	uint8_t	chunk[WS_READ_CHUNK];
	int64_t	deadline = clock_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	size_t	got;
	int	r;

	if (c->dead)
		return (err_set(cause, FERRY_ERR_CLOSED,
		    "the WebSocket is closed"));
	for (;;) {
		if ((r = ws_parser_next(&c->parser, m, cause)) < 0) {
			ws_send_close(c, ws_parser_close_status(&c->parser),
			    NULL);
			c->dead = 1;
			return (r);
		}
		if (r == 1) {
			/* 1: the caller's message; 0: a control frame. */
			if ((r = ws_control(c, m, cause)) != 0)
				return (r);
			continue;
		}
		if ((r = ws_read_some(c, chunk, sizeof chunk, &got, deadline,
		    cause)) <= 0) {
			if (r < 0)
				c->dead = 1;
			return (r);
		}
		if ((r = ws_parser_feed(&c->parser, chunk, got, cause)) != 0) {
			c->dead = 1;
			return (r);
		}
	}
}

int64_t
ws_idle_ms(const struct ws_conn *c)
{
	return (clock_ms() - c->last_rx);
}

int
ws_close(struct ws_conn *c, int code, const char *reason, int timeout_ms,
    char **cause)
{
	struct ws_msg	 m;
	int64_t		 deadline = clock_ms() + timeout_ms, left;
	int		 r;

	if (c->dead)
		return (0);
	ws_send_close(c, code, reason);
	/* Drop messages still in flight until the server's close. */
	while ((left = deadline - clock_ms()) > 0) {
		r = ws_recv(c, (int)left, &m, NULL);
		if (r < 0) {
			c->dead = 1;
			return (0);
		}
	}
	c->dead = 1;
	return (err_set(cause, FERRY_ERR_TIMEOUT, "the server did not answer "
	    "the WebSocket close within %d ms", timeout_ms));
}

void
ws_free(struct ws_conn *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	ws_parser_free(&c->parser);
	buf_free(&c->out);
	free(c);
}
