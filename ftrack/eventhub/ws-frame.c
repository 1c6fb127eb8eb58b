/* RFC 6455 frame headers, masking, UTF-8 and close payloads. */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "ws-frame-int.h"

static int
ws_opcode_reserved(int op)
{
	return (op > WS_OP_BINARY && op != WS_OP_CLOSE && op != WS_OP_PING &&
	    op != WS_OP_PONG);
}

static int
ws_opcode_control(int op)
{
	return ((op & 0x8) != 0);
}

const char *
ws_opcode_name(int opcode)
{
	switch (opcode) {
	case WS_OP_CONT:
		return ("continuation");
	case WS_OP_TEXT:
		return ("text");
	case WS_OP_BINARY:
		return ("binary");
	case WS_OP_CLOSE:
		return ("close");
	case WS_OP_PING:
		return ("ping");
	case WS_OP_PONG:
		return ("pong");
	default:
		return ("reserved");
	}
}

/* The checks that need only the first two header bytes. */
static int
ws_check_start(const uint8_t *p, size_t n, enum ws_sender from, char **cause)
{
	int	op = p[0] & 0x0f, masked, len7;

	if ((p[0] & 0x70) != 0)
		return (err_set(cause, FERRY_ERR_PROTO, "WebSocket frame has "
		    "reserved bits 0x%x set, but no extension was negotiated",
		    (p[0] & 0x70) >> 4));
	if (ws_opcode_reserved(op))
		return (err_set(cause, FERRY_ERR_PROTO,
		    "WebSocket frame has reserved opcode 0x%x", op));
	if (ws_opcode_control(op) && (p[0] & 0x80) == 0)
		return (err_set(cause, FERRY_ERR_PROTO, "fragmented WebSocket "
		    "%s frame: control frames may not be fragmented",
		    ws_opcode_name(op)));
	if (n < 2)
		return (0);
	masked = (p[1] & 0x80) != 0;
	len7 = p[1] & 0x7f;
	if (from == WS_FROM_SERVER && masked)
		return (err_set(cause, FERRY_ERR_PROTO, "the server sent a "
		    "masked WebSocket frame (servers must not mask)"));
	if (from == WS_FROM_CLIENT && !masked)
		return (err_set(cause, FERRY_ERR_PROTO, "the client sent an "
		    "unmasked WebSocket frame (clients must mask)"));
	if (ws_opcode_control(op) && len7 > WS_CONTROL_MAX)
		return (err_set(cause, FERRY_ERR_PROTO, "WebSocket %s frame "
		    "longer than %d bytes: control frames carry at most %d",
		    ws_opcode_name(op), WS_CONTROL_MAX, WS_CONTROL_MAX));
	return (0);
}

static uint64_t
ws_get_be(const uint8_t *p, size_t n)
{
	uint64_t	v = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return (v);
}

/* Decodes the 16- or 64-bit length that follows a 7-bit 126 or 127. */
static int
ws_check_length(const uint8_t *p, int len7, uint64_t *len, char **cause)
{
	if (len7 == 126) {
		*len = ws_get_be(p, 2);
		if (*len < 126)
			return (err_set(cause, FERRY_ERR_PROTO, "WebSocket "
			    "length %" PRIu64 " sent in the 16-bit form; "
			    "the shortest form is required", *len));
		return (0);
	}
	*len = ws_get_be(p, 8);
	if ((*len >> 63) != 0)
		return (err_set(cause, FERRY_ERR_PROTO, "WebSocket 64-bit "
		    "length has its most significant bit set"));
	if (*len <= 0xffff)
		return (err_set(cause, FERRY_ERR_PROTO, "WebSocket length %"
		    PRIu64 " sent in the 64-bit form; the shortest form is "
		    "required", *len));
	return (0);
}

int
ws_frame_header_parse(const uint8_t *p, size_t n, enum ws_sender from,
    uint64_t max_len, struct ws_frame_header *h, char **cause)
{
	size_t		need = 2, extra;
	uint64_t	len;
	int		len7, r;

	if (n == 0)
		return (0);
	if ((r = ws_check_start(p, n, from, cause)) != 0 || n < 2)
		return (r);
	len7 = p[1] & 0x7f;
	extra = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
	if (n < need + extra)
		return (0);
	len = (uint64_t)len7;
	if (extra > 0 && (r = ws_check_length(p + 2, len7, &len, cause)) != 0)
		return (r);
	if (len > max_len)
		return (err_set(cause, FERRY_ERR_TOOBIG, "WebSocket frame of %"
		    PRIu64 " bytes exceeds the limit of %" PRIu64 " bytes",
		    len, max_len));
	need += extra;
	if ((p[1] & 0x80) != 0)
		need += 4;
	if (n < need)
		return (0);
	h->fin = (p[0] & 0x80) != 0;
	h->opcode = p[0] & 0x0f;
	h->masked = (p[1] & 0x80) != 0;
	memset(h->mask, 0, sizeof h->mask);
	if (h->masked)
		memcpy(h->mask, p + need - 4, 4);
	h->len = len;
	h->hdrlen = need;
	return (1);
}

void
ws_mask(uint8_t *p, size_t n, const uint8_t key[4], uint64_t offset)
{
	size_t	i;

	for (i = 0; i < n; i++)
		p[i] ^= key[(offset + i) & 3];
}

int
ws_frame_encode(struct buf *out, int opcode, int fin, const void *payload,
    size_t len, const uint8_t *mask, char **cause)
{
	uint8_t	hdr[WS_HEADER_MAX];
	size_t	n = 2, start = out->len, i;
	int	r;

	if (ws_opcode_reserved(opcode) || opcode < 0)
		return (err_set(cause, FERRY_ERR_INVAL,
		    "cannot send reserved WebSocket opcode 0x%x", opcode));
	if (ws_opcode_control(opcode) && (!fin || len > WS_CONTROL_MAX))
		return (err_set(cause, FERRY_ERR_INVAL, "cannot send a "
		    "fragmented or %zu-byte %s frame", len,
		    ws_opcode_name(opcode)));
	hdr[0] = (uint8_t)((fin ? 0x80 : 0) | opcode);
	if (len < 126)
		hdr[1] = (uint8_t)len;
	else {
		/* The shortest form: 16 bits up to 65535, else 64. */
		hdr[1] = len <= 0xffff ? 126 : 127;
		for (i = hdr[1] == 126 ? 2 : 8; i > 0; i--)
			hdr[n++] = (uint8_t)((uint64_t)len >> (8 * (i - 1)));
	}
	if (mask != NULL) {
		hdr[1] |= 0x80;
		memcpy(hdr + n, mask, 4);
		n += 4;
	}
	if ((r = buf_add(out, hdr, n)) != 0 ||
	    (len > 0 && (r = buf_add(out, payload, len)) != 0)) {
		out->len = start;
		return (err_set(cause, r, "cannot build a WebSocket frame"));
	}
	if (mask != NULL)
		ws_mask((uint8_t *)out->data + start + n, len, mask, 0);
	return (0);
}

/* The length of the UTF-8 sequence starting at p[0..n), or 0 if bad. */
static size_t
ws_utf8_seq(const uint8_t *p, size_t n)
{
	uint32_t	cp;
	size_t		len, i;

	if (p[0] < 0x80)
		return (1);
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return (0);
	if (n < len)
		return (0);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return (0);
	return (len);
}

int
ws_utf8_valid(const uint8_t *p, size_t n)
{
	size_t	i = 0, len;

	while (i < n) {
		if ((len = ws_utf8_seq(p + i, n - i)) == 0)
			return (0);
		i += len;
	}
	return (1);
}

size_t
ws_close_encode(uint8_t *out, int code, const char *reason)
{
	size_t	n;

	if (code == 0)
		return (0);
	out[0] = (uint8_t)(code >> 8);
	out[1] = (uint8_t)code;
	n = reason != NULL ? strlen(reason) : 0;
	if (n > WS_CONTROL_MAX - 2) {
		n = WS_CONTROL_MAX - 2;
		/* Never cut a UTF-8 character in two. */
		while (n > 0 && ((uint8_t)reason[n] & 0xc0) == 0x80)
			n--;
	}
	if (n > 0)
		memcpy(out + 2, reason, n);
	return (n + 2);
}

const char *
ws_close_code_name(int code)
{
	static const char *const names[] = {
		"normal closure", "going away", "protocol error",
		"unsupported data", "reserved", "no status", "abnormal closure",
		"invalid payload data", "policy violation", "message too big",
		"missing extension", "internal error", "service restart",
		"try again later", "bad gateway"
	};

	if (code >= 1000 && code <= 1014)
		return (names[code - 1000]);
	if (code >= 3000 && code <= 4999)
		return ("application-defined");
	return ("unknown");
}

/* Codes an endpoint may put in a close frame (section 7.4). */
static int
ws_close_code_valid(int code)
{
	return ((code >= 1000 && code <= 1003) ||
	    (code >= 1007 && code <= 1014) ||
	    (code >= 3000 && code <= 4999));
}

int
ws_close_decode(const uint8_t *p, size_t n, int *code, const char **reason,
    size_t *reason_len, char **cause)
{
	int	c;

	if (n == 0) {
		*code = WS_CLOSE_NO_STATUS;
		*reason = "";
		*reason_len = 0;
		return (0);
	}
	if (n == 1)
		return (err_set(cause, FERRY_ERR_PROTO, "WebSocket close frame "
		    "of 1 byte: a status code takes 2"));
	c = p[0] << 8 | p[1];
	if (!ws_close_code_valid(c))
		return (err_set(cause, FERRY_ERR_PROTO, "WebSocket close frame "
		    "with status %d, which may not be sent", c));
	if (!ws_utf8_valid(p + 2, n - 2))
		return (err_set(cause, FERRY_ERR_PROTO, "WebSocket close "
		    "reason is not valid UTF-8"));
	*code = c;
	*reason = (const char *)p + 2;
	*reason_len = n - 2;
	return (0);
}
