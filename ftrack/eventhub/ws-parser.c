/*
 * The incremental WebSocket parser: buffers received bytes, cuts them into
 * frames, unmasks client frames, and reassembles fragmented messages while
 * handing out control frames that arrive between the fragments.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "ws-frame-int.h"

void
ws_parser_init(struct ws_parser *p, enum ws_sender from, size_t max_msg)
{
	size_t	in_max;

	memset(p, 0, sizeof *p);
	p->from = from;
	p->max_msg = max_msg;
	/* A partial frame of the largest size, plus one feed. */
	in_max = max_msg <= SIZE_MAX - WS_HEADER_MAX - WS_FEED_MAX ?
	    max_msg + WS_HEADER_MAX + WS_FEED_MAX : SIZE_MAX;
	buf_init(&p->in, in_max);
	buf_init(&p->msg, max_msg);
}

void
ws_parser_free(struct ws_parser *p)
{
	buf_free(&p->in);
	buf_free(&p->msg);
	p->off = 0;
	p->msg_op = 0;
}

int
ws_parser_close_status(const struct ws_parser *p)
{
	return (p->status);
}

int
ws_parser_partial(const struct ws_parser *p)
{
	return (p->in.len > p->off || p->msg_op != 0);
}

/* Makes the failure sticky; the cause was set by the caller. */
static int
ws_parser_fail(struct ws_parser *p, int code, int status)
{
	p->error = code;
	p->status = status;
	return (code);
}

int
ws_parser_feed(struct ws_parser *p, const void *data, size_t len,
    char **cause)
{
	size_t	left;
	int	r;

	if (p->error != 0)
		return (err_set(cause, p->error,
		    "the WebSocket stream already failed"));
	if (len > WS_FEED_MAX)
		return (err_set(cause, FERRY_ERR_INVAL, "%zu bytes fed to the "
		    "WebSocket parser at once (at most %d)", len,
		    WS_FEED_MAX));
	/* Drop what was parsed; messages handed out do not point here. */
	if (p->off > 0) {
		left = p->in.len - p->off;
		memmove(p->in.data, p->in.data + p->off, left);
		p->in.len = left;
		p->in.data[left] = '\0';
		p->off = 0;
	}
	if ((r = buf_add(&p->in, data, len)) != 0)
		return (err_set(cause, r, "cannot buffer WebSocket input"));
	return (0);
}

static int
ws_parser_control(struct ws_parser *p, const struct ws_frame_header *h,
    const uint8_t *payload, struct ws_msg *m, char **cause)
{
	size_t	rlen;
	int	r;

	memcpy(p->ctl, payload, h->len);
	p->ctl[h->len] = '\0';
	memset(m, 0, sizeof *m);
	m->opcode = h->opcode;
	m->data = p->ctl;
	m->len = h->len;
	if (h->opcode != WS_OP_CLOSE)
		return (1);
	if ((r = ws_close_decode(p->ctl, h->len, &m->close_code,
	    &m->close_reason, &rlen, cause)) != 0)
		return (ws_parser_fail(p, r, WS_CLOSE_PROTOCOL));
	return (1);
}

/* Returns 1 when a whole message is ready, 0 when it continues. */
static int
ws_parser_data(struct ws_parser *p, const struct ws_frame_header *h,
    const uint8_t *payload, struct ws_msg *m, char **cause)
{
	int	r;

	if (h->opcode == WS_OP_CONT && p->msg_op == 0)
		return (ws_parser_fail(p, err_set(cause, FERRY_ERR_PROTO,
		    "WebSocket continuation frame with no fragmented message "
		    "open"), WS_CLOSE_PROTOCOL));
	if (h->opcode != WS_OP_CONT && p->msg_op != 0)
		return (ws_parser_fail(p, err_set(cause, FERRY_ERR_PROTO,
		    "new WebSocket %s message before the fragmented %s "
		    "message ended", ws_opcode_name(h->opcode),
		    ws_opcode_name(p->msg_op)), WS_CLOSE_PROTOCOL));
	if (h->opcode != WS_OP_CONT) {
		p->msg_op = h->opcode;
		buf_reset(&p->msg);
	}
	if (h->len > p->max_msg - p->msg.len)
		return (ws_parser_fail(p, err_set(cause, FERRY_ERR_TOOBIG,
		    "WebSocket message of more than %zu bytes exceeds the "
		    "limit", p->max_msg), WS_CLOSE_TOO_BIG));
	if ((r = buf_add(&p->msg, payload, h->len)) != 0)
		return (ws_parser_fail(p, err_set(cause, r,
		    "cannot reassemble a WebSocket message"),
		    WS_CLOSE_TOO_BIG));
	if (!h->fin)
		return (0);
	memset(m, 0, sizeof *m);
	m->opcode = p->msg_op;
	m->data = (const uint8_t *)buf_str(&p->msg);
	m->len = p->msg.len;
	p->msg_op = 0;
	if (m->opcode == WS_OP_TEXT && !ws_utf8_valid(m->data, m->len))
		return (ws_parser_fail(p, err_set(cause, FERRY_ERR_PROTO,
		    "WebSocket text message is not valid UTF-8"),
		    WS_CLOSE_BAD_DATA));
	return (1);
}

int
ws_parser_next(struct ws_parser *p, struct ws_msg *m, char **cause)
{
	struct ws_frame_header	 h;
	uint8_t			*data;
	size_t			 avail;
	int			 r;

	if (p->error != 0)
		return (err_set(cause, p->error,
		    "the WebSocket stream already failed"));
	for (;;) {
		if ((avail = p->in.len - p->off) == 0)
			return (0);
		data = (uint8_t *)p->in.data + p->off;
		r = ws_frame_header_parse(data, avail, p->from, p->max_msg, &h,
		    cause);
		if (r < 0)
			return (ws_parser_fail(p, r, r == FERRY_ERR_TOOBIG ?
			    WS_CLOSE_TOO_BIG : WS_CLOSE_PROTOCOL));
		if (r == 0 || avail - h.hdrlen < h.len)
			return (0);
		data += h.hdrlen;
		if (h.masked)
			ws_mask(data, h.len, h.mask, 0);
		p->off += h.hdrlen + h.len;
		if (h.opcode >= WS_OP_CLOSE)
			return (ws_parser_control(p, &h, data, m, cause));
		if ((r = ws_parser_data(p, &h, data, m, cause)) != 0)
			return (r);
	}
}
