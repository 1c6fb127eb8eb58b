/*
 * The WebSocket layer: frame headers (every protocol error), masking,
 * lengths in all three forms, the parser (fragments, interleaved control
 * frames, byte-at-a-time input, limits, close payloads), the opening
 * handshake, and a client against a scripted server over a real socket.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "test.h"
#include "ws-frame-int.h"
#include "ws-handshake-int.h"
#include "ws-int.h"

/* Parses a header from the bytes; returns the result, frees the cause. */
static int
header(const uint8_t *p, size_t n, enum ws_sender from, uint64_t max,
    struct ws_frame_header *h, const char *want_cause)
{
	char	*cause = NULL;
	int	 r;

	r = ws_frame_header_parse(p, n, from, max, h, &cause);
	if (want_cause != NULL)
		ASSERT_STR_CONTAINS(cause, want_cause);
	if (r >= 0)
		ASSERT_TRUE(cause == NULL);
	free(cause);
	return (r);
}

static void
test_header_errors(void)
{
	struct ws_frame_header	h;
	uint8_t			p[16];
	int			op, bit;

	/* Each reserved bit alone. */
	for (bit = 0x10; bit <= 0x40; bit <<= 1) {
		p[0] = (uint8_t)(0x81 | bit);
		p[1] = 0;
		ASSERT_INT_EQ(header(p, 2, WS_FROM_SERVER, 100, &h,
		    "reserved bits"), FERRY_ERR_PROTO);
		/* Refused from its first byte. */
		ASSERT_INT_EQ(header(p, 1, WS_FROM_SERVER, 100, &h, NULL),
		    FERRY_ERR_PROTO);
	}
	/* Every reserved opcode. */
	for (op = 3; op <= 0xf; op++) {
		if (op >= 8 && op <= 0xa)
			continue;
		p[0] = (uint8_t)(0x80 | op);
		ASSERT_INT_EQ(header(p, 1, WS_FROM_SERVER, 100, &h,
		    "reserved opcode"), FERRY_ERR_PROTO);
	}
	/* Fragmented control frames. */
	for (op = 8; op <= 0xa; op++) {
		p[0] = (uint8_t)op;
		ASSERT_INT_EQ(header(p, 1, WS_FROM_SERVER, 100, &h,
		    "may not be fragmented"), FERRY_ERR_PROTO);
	}
	/* Control frames over 125 bytes, in each length form. */
	p[0] = 0x89;
	p[1] = 126;
	ASSERT_INT_EQ(header(p, 2, WS_FROM_SERVER, 1000, &h, "at most 125"),
	    FERRY_ERR_PROTO);
	p[1] = 127;
	ASSERT_INT_EQ(header(p, 2, WS_FROM_SERVER, 1000, &h, "at most 125"),
	    FERRY_ERR_PROTO);
	p[0] = 0x88;
	p[1] = 125;
	ASSERT_INT_EQ(header(p, 2, WS_FROM_SERVER, 1000, &h, NULL), 1);
	/* Masking: a server must not, a client must. */
	p[0] = 0x81;
	p[1] = 0x85;
	ASSERT_INT_EQ(header(p, 2, WS_FROM_SERVER, 100, &h,
	    "servers must not mask"), FERRY_ERR_PROTO);
	p[1] = 0x05;
	ASSERT_INT_EQ(header(p, 2, WS_FROM_CLIENT, 100, &h,
	    "clients must mask"), FERRY_ERR_PROTO);
	/* Lengths not in their shortest form, and the 64-bit top bit. */
	memset(p, 0, sizeof p);
	p[0] = 0x82;
	p[1] = 126;
	p[3] = 125;
	ASSERT_INT_EQ(header(p, 4, WS_FROM_SERVER, 1 << 20, &h,
	    "shortest form"), FERRY_ERR_PROTO);
	p[1] = 127;
	p[3] = 0;
	p[8] = 0xff;
	p[9] = 0xff;
	ASSERT_INT_EQ(header(p, 10, WS_FROM_SERVER, 1 << 20, &h,
	    "shortest form"), FERRY_ERR_PROTO);
	p[2] = 0x80;
	ASSERT_INT_EQ(header(p, 10, WS_FROM_SERVER, UINT64_MAX, &h,
	    "most significant bit"), FERRY_ERR_PROTO);
	/* Over the limit: refused before the payload arrives. */
	p[0] = 0x82;
	p[1] = 126;
	p[2] = 0x01;
	p[3] = 0x00;
	ASSERT_INT_EQ(header(p, 4, WS_FROM_SERVER, 255, &h, "limit of 255"),
	    FERRY_ERR_TOOBIG);
	ASSERT_INT_EQ(header(p, 4, WS_FROM_SERVER, 256, &h, NULL), 1);
	ASSERT_INT_EQ(h.len, 256);
	ASSERT_INT_EQ(h.hdrlen, 4);
}

static void
test_header_partial(void)
{
	struct ws_frame_header	h;
	struct buf		b;
	uint8_t			key[4] = { 1, 2, 3, 4 };
	size_t			i;

	buf_init(&b, 0);
	ASSERT_INT_EQ(ws_frame_encode(&b, WS_OP_BINARY, 1, NULL, 0, key,
	    NULL), 0);
	ASSERT_INT_EQ(b.len, 6);
	/* Every prefix of a good header asks for more. */
	for (i = 0; i < b.len; i++)
		ASSERT_INT_EQ(header((uint8_t *)b.data, i, WS_FROM_CLIENT, 10,
		    &h, NULL), 0);
	ASSERT_INT_EQ(header((uint8_t *)b.data, b.len, WS_FROM_CLIENT, 10, &h,
	    NULL), 1);
	ASSERT_TRUE(h.masked && h.fin && h.opcode == WS_OP_BINARY);
	ASSERT_TRUE(memcmp(h.mask, key, 4) == 0);
	buf_free(&b);
}

static void
fill(uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + i / 251);
}

/* Encodes len bytes, checks the length form, and gets them back. */
static void
roundtrip(size_t len, int want_len7, size_t want_hdr)
{
	struct ws_frame_header	 h;
	struct buf		 b;
	uint8_t			*src, key[4] = { 0xa5, 0x5a, 0x0f, 0xf0 };
	uint8_t			*payload;

	src = malloc(len + 1);
	fill(src, len);
	buf_init(&b, 0);
	ASSERT_INT_EQ(ws_frame_encode(&b, WS_OP_BINARY, 1, src, len, key,
	    NULL), 0);
	ASSERT_INT_EQ(b.len, want_hdr + len);
	ASSERT_INT_EQ((uint8_t)b.data[1] & 0x7f, want_len7);
	ASSERT_INT_EQ(header((uint8_t *)b.data, b.len, WS_FROM_CLIENT,
	    UINT64_MAX, &h, NULL), 1);
	ASSERT_INT_EQ(h.len, len);
	ASSERT_INT_EQ(h.hdrlen, want_hdr);
	payload = (uint8_t *)b.data + h.hdrlen;
	/* On the wire the payload is masked... */
	if (len >= 4)
		ASSERT_TRUE(memcmp(payload, src, 4) != 0);
	/* ...and unmasking gives it back. */
	ws_mask(payload, len, h.mask, 0);
	ASSERT_TRUE(memcmp(payload, src, len) == 0);
	buf_free(&b);
	free(src);
}

static void
test_lengths_and_masking(void)
{
	struct buf	b;
	uint8_t		key[4] = { 9, 8, 7, 6 }, data[10];
	uint8_t		part[10];

	roundtrip(0, 0, 6);
	roundtrip(125, 125, 6);
	roundtrip(126, 126, 8);
	roundtrip(65535, 126, 8);
	roundtrip(65536, 127, 14);
	roundtrip(70000, 127, 14);
	/* Masking at an offset continues the key where it left off. */
	fill(data, sizeof data);
	memcpy(part, data, sizeof part);
	ws_mask(part, 3, key, 0);
	ws_mask(part + 3, 7, key, 3);
	ws_mask(part, 10, key, 0);
	ASSERT_TRUE(memcmp(part, data, sizeof data) == 0);
	/* What cannot be sent is refused. */
	buf_init(&b, 0);
	ASSERT_INT_EQ(ws_frame_encode(&b, 3, 1, NULL, 0, NULL, NULL),
	    FERRY_ERR_INVAL);
	ASSERT_INT_EQ(ws_frame_encode(&b, WS_OP_PING, 0, NULL, 0, NULL, NULL),
	    FERRY_ERR_INVAL);
	ASSERT_INT_EQ(ws_frame_encode(&b, WS_OP_PING, 1, data, 126, NULL,
	    NULL), FERRY_ERR_INVAL);
	ASSERT_INT_EQ(b.len, 0);
	buf_free(&b);
}

static void
test_utf8(void)
{
	static const struct {
		const char	*s;
		int		 ok;
	} cases[] = {
		{ "plain", 1 },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xac", 1 },
		{ "\xc0\xaf", 0 },		/* overlong "/" */
		{ "\xe0\x80\xaf", 0 },		/* overlong, 3 bytes */
		{ "\xed\xa0\x80", 0 },		/* a UTF-16 surrogate */
		{ "\xf4\x90\x80\x80", 0 },	/* past U+10FFFF */
		{ "\xe2\x82", 0 },		/* cut short */
		{ "\x80", 0 },			/* a lone continuation */
		{ "\xff", 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (ws_utf8_valid((const uint8_t *)cases[i].s,
		    strlen(cases[i].s)) != cases[i].ok)
			TEST_FAIL("utf8 case %zu", i);
		test_checks++;
	}
}

/* Received messages, copied out of the parser. */
struct got {
	int	 n;
	int	 op[16];
	size_t	 len[16];
	char	*data[16];
	int	 close_code;
	char	*close_reason;
};

static void
got_free(struct got *g)
{
	int	i;

	for (i = 0; i < g->n; i++)
		free(g->data[i]);
	free(g->close_reason);
	memset(g, 0, sizeof g[0]);
}

/*
 * Feeds data in chunks of step bytes (0: all at once) to a new parser and
 * collects messages. Returns the first error (its cause in *cause) or 0.
 */
static int
feed(const void *data, size_t len, size_t step, size_t max,
    enum ws_sender from, struct got *g, int *status, char **cause)
{
	struct ws_parser	 p;
	struct ws_msg		 m;
	const uint8_t		*d = data;
	size_t			 off = 0, n;
	int			 r = 0;

	memset(g, 0, sizeof *g);
	ws_parser_init(&p, from, max);
	while (off < len && r >= 0) {
		n = step == 0 || len - off < step ? len - off : step;
		if ((r = ws_parser_feed(&p, d + off, n, cause)) != 0)
			break;
		off += n;
		while ((r = ws_parser_next(&p, &m, cause)) == 1) {
			if (g->n == 16)
				continue;
			g->op[g->n] = m.opcode;
			g->len[g->n] = m.len;
			g->data[g->n] = malloc(m.len + 1);
			memcpy(g->data[g->n], m.data, m.len + 1);
			if (m.opcode == WS_OP_CLOSE) {
				g->close_code = m.close_code;
				free(g->close_reason);
				g->close_reason = strdup(m.close_reason);
			}
			g->n++;
		}
	}
	*status = ws_parser_close_status(&p);
	if (r >= 0 && ws_parser_partial(&p))
		r = 2;
	ws_parser_free(&p);
	return (r < 0 ? r : r == 2 ? 2 : 0);
}

static void
frame(struct buf *b, int op, int fin, const char *s, size_t n)
{
	ASSERT_INT_EQ(ws_frame_encode(b, op, fin, s, n, NULL, NULL), 0);
}

static void
test_parser_fragments(void)
{
	struct buf	 b;
	struct got	 g;
	char		*cause = NULL, piece[8], *whole;
	size_t		 steps[] = { 0, 1, 2, 3, 7, 100 }, i;
	int		 k, status;

	/* A text message in 100 fragments, a ping among them, then more. */
	buf_init(&b, 0);
	whole = calloc(1, 501);
	for (k = 0; k < 100; k++) {
		snprintf(piece, sizeof piece, "%05d", k);
		strcat(whole, piece);
		frame(&b, k == 0 ? WS_OP_TEXT : WS_OP_CONT, k == 99, piece, 5);
		if (k == 50)
			frame(&b, WS_OP_PING, 1, "are you there", 13);
	}
	frame(&b, WS_OP_BINARY, 1, "\0\1\2", 3);
	frame(&b, WS_OP_PONG, 1, "", 0);
	frame(&b, WS_OP_TEXT, 1, "", 0);
	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		ASSERT_INT_EQ(feed(b.data, b.len, steps[i], 1000,
		    WS_FROM_SERVER, &g, &status, &cause), 0);
		ASSERT_INT_EQ(g.n, 5);
		/* The ping comes out before the message it interrupted. */
		ASSERT_INT_EQ(g.op[0], WS_OP_PING);
		ASSERT_STR_EQ(g.data[0], "are you there");
		ASSERT_INT_EQ(g.op[1], WS_OP_TEXT);
		ASSERT_INT_EQ(g.len[1], 500);
		ASSERT_STR_EQ(g.data[1], whole);
		ASSERT_INT_EQ(g.op[2], WS_OP_BINARY);
		ASSERT_INT_EQ(g.len[2], 3);
		ASSERT_TRUE(memcmp(g.data[2], "\0\1\2", 3) == 0);
		ASSERT_INT_EQ(g.op[3], WS_OP_PONG);
		ASSERT_INT_EQ(g.op[4], WS_OP_TEXT);
		ASSERT_INT_EQ(g.len[4], 0);
		got_free(&g);
	}
	/* One byte short: no message, and the parser says it holds part. */
	ASSERT_INT_EQ(feed(b.data, b.len - 1, 1, 1000, WS_FROM_SERVER, &g,
	    &status, &cause), 2);
	ASSERT_INT_EQ(g.n, 4);
	got_free(&g);
	/* A UTF-8 character cut between two fragments is fine. */
	buf_reset(&b);
	frame(&b, WS_OP_TEXT, 0, "\xe2\x82", 2);
	frame(&b, WS_OP_CONT, 1, "\xac", 1);
	ASSERT_INT_EQ(feed(b.data, b.len, 1, 1000, WS_FROM_SERVER, &g,
	    &status, &cause), 0);
	ASSERT_INT_EQ(g.n, 1);
	ASSERT_STR_EQ(g.data[0], "\xe2\x82\xac");
	got_free(&g);
	free(whole);
	buf_free(&b);
}

/* Feeds one bad stream; checks the error, its cause and close status. */
static void
bad_stream(const struct buf *b, size_t max, enum ws_sender from, int want,
    const char *want_cause, int want_status)
{
	struct got	 g;
	char		*cause = NULL;
	int		 status;

	ASSERT_INT_EQ(feed(b->data, b->len, 1, max, from, &g, &status, &cause),
	    want);
	ASSERT_STR_CONTAINS(cause, want_cause);
	ASSERT_INT_EQ(status, want_status);
	got_free(&g);
	free(cause);
}

static void
test_parser_errors(void)
{
	struct buf	b;
	uint8_t		close[WS_CONTROL_MAX];
	size_t		n;

	buf_init(&b, 0);
	frame(&b, WS_OP_CONT, 1, "x", 1);
	bad_stream(&b, 100, WS_FROM_SERVER, FERRY_ERR_PROTO,
	    "no fragmented message open", WS_CLOSE_PROTOCOL);
	buf_reset(&b);
	frame(&b, WS_OP_TEXT, 0, "x", 1);
	frame(&b, WS_OP_BINARY, 1, "y", 1);
	bad_stream(&b, 100, WS_FROM_SERVER, FERRY_ERR_PROTO,
	    "before the fragmented text message ended", WS_CLOSE_PROTOCOL);
	buf_reset(&b);
	frame(&b, WS_OP_TEXT, 1, "\xc0\xaf", 2);
	bad_stream(&b, 100, WS_FROM_SERVER, FERRY_ERR_PROTO, "not valid UTF-8",
	    WS_CLOSE_BAD_DATA);
	/* The limit holds across fragments, and for one big frame. */
	buf_reset(&b);
	frame(&b, WS_OP_TEXT, 0, "0123456789", 10);
	frame(&b, WS_OP_CONT, 0, "0123456789", 10);
	frame(&b, WS_OP_CONT, 1, "0", 1);
	bad_stream(&b, 20, WS_FROM_SERVER, FERRY_ERR_TOOBIG,
	    "more than 20 bytes exceeds the limit", WS_CLOSE_TOO_BIG);
	buf_reset(&b);
	frame(&b, WS_OP_BINARY, 1, "0123456789012345678901", 21);
	bad_stream(&b, 20, WS_FROM_SERVER, FERRY_ERR_TOOBIG, "limit of 20",
	    WS_CLOSE_TOO_BIG);
	/* A masked frame from the server. */
	buf_reset(&b);
	ASSERT_INT_EQ(ws_frame_encode(&b, WS_OP_TEXT, 1, "hi", 2,
	    (const uint8_t *)"abcd", NULL), 0);
	bad_stream(&b, 100, WS_FROM_SERVER, FERRY_ERR_PROTO,
	    "servers must not mask", WS_CLOSE_PROTOCOL);
	/* Bad close payloads: 1 byte, a code never sent, a bad reason. */
	buf_reset(&b);
	frame(&b, WS_OP_CLOSE, 1, "\x03", 1);
	bad_stream(&b, 100, WS_FROM_SERVER, FERRY_ERR_PROTO, "of 1 byte",
	    WS_CLOSE_PROTOCOL);
	buf_reset(&b);
	frame(&b, WS_OP_CLOSE, 1, "\x03\xed", 2);	/* 1005 */
	bad_stream(&b, 100, WS_FROM_SERVER, FERRY_ERR_PROTO,
	    "status 1005, which may not be sent", WS_CLOSE_PROTOCOL);
	buf_reset(&b);
	n = ws_close_encode(close, 1000, "\xff");
	frame(&b, WS_OP_CLOSE, 1, (char *)close, n);
	bad_stream(&b, 100, WS_FROM_SERVER, FERRY_ERR_PROTO,
	    "reason is not valid UTF-8", WS_CLOSE_PROTOCOL);
	buf_free(&b);
}

static void
test_parser_close_and_sticky(void)
{
	struct ws_parser	 p;
	struct ws_msg		 m;
	struct buf		 b;
	struct got		 g;
	uint8_t			 close[WS_CONTROL_MAX], *big;
	char			*cause = NULL;
	size_t			 n;
	int			 status;

	buf_init(&b, 0);
	n = ws_close_encode(close, 1001, "going for lunch");
	frame(&b, WS_OP_CLOSE, 1, (char *)close, n);
	frame(&b, WS_OP_CLOSE, 1, "", 0);
	ASSERT_INT_EQ(feed(b.data, b.len, 0, 100, WS_FROM_SERVER, &g, &status,
	    &cause), 0);
	ASSERT_INT_EQ(g.n, 2);
	ASSERT_INT_EQ(g.op[0], WS_OP_CLOSE);
	ASSERT_INT_EQ(g.close_code, WS_CLOSE_NO_STATUS);	/* the last */
	got_free(&g);
	ASSERT_INT_EQ(feed(b.data, n + 2, 0, 100, WS_FROM_SERVER, &g, &status,
	    &cause), 0);
	ASSERT_INT_EQ(g.close_code, 1001);
	ASSERT_STR_EQ(g.close_reason, "going for lunch");
	got_free(&g);
	/* A long reason is cut at a character boundary. */
	big = malloc(300);
	memset(big, 0, 300);
	for (n = 0; n < 100; n++)
		memcpy(big + 2 * n, "\xc3\xa9", 2);
	n = ws_close_encode(close, 4000, (char *)big);
	ASSERT_TRUE(n <= WS_CONTROL_MAX);
	ASSERT_INT_EQ(n, 2 + 122);
	ASSERT_TRUE(ws_utf8_valid(close + 2, n - 2));
	free(big);
	/* After an error, the parser keeps failing. */
	ws_parser_init(&p, WS_FROM_SERVER, 100);
	ASSERT_INT_EQ(ws_parser_feed(&p, "\xc1\x00", 2, NULL), 0);
	ASSERT_INT_EQ(ws_parser_next(&p, &m, NULL), FERRY_ERR_PROTO);
	ASSERT_INT_EQ(ws_parser_next(&p, &m, &cause), FERRY_ERR_PROTO);
	ASSERT_STR_CONTAINS(cause, "already failed");
	free(cause);
	cause = NULL;
	ASSERT_INT_EQ(ws_parser_feed(&p, "\x81\x00", 2, NULL), FERRY_ERR_PROTO);
	ws_parser_free(&p);
	/* Client frames, as a server parses them, come out unmasked. */
	buf_reset(&b);
	ASSERT_INT_EQ(ws_frame_encode(&b, WS_OP_TEXT, 0, "hel", 3,
	    (const uint8_t *)"\x11\x22\x33\x44", NULL), 0);
	ASSERT_INT_EQ(ws_frame_encode(&b, WS_OP_CONT, 1, "lo", 2,
	    (const uint8_t *)"\x55\x66\x77\x88", NULL), 0);
	ASSERT_INT_EQ(feed(b.data, b.len, 1, 100, WS_FROM_CLIENT, &g, &status,
	    &cause), 0);
	ASSERT_INT_EQ(g.n, 1);
	ASSERT_STR_EQ(g.data[0], "hello");
	got_free(&g);
	buf_free(&b);
}

static void
test_handshake(void)
{
	char		 key[WS_KEY_SIZE], key2[WS_KEY_SIZE];
	char		 accept[WS_ACCEPT_SIZE], *cause = NULL;
	struct buf	 b;
	const char	*extra[] = { "ftrack-user: ana", NULL };
	const char	*bad[] = { "X: a\r\nInjected: yes", NULL };
	const char	*ok_head, *head;

	/* The example of RFC 6455, section 1.3. */
	ASSERT_INT_EQ(ws_handshake_accept("dGhlIHNhbXBsZSBub25jZQ==", accept,
	    NULL), 0);
	ASSERT_STR_EQ(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	ASSERT_INT_EQ(ws_handshake_key(key, NULL), 0);
	ASSERT_INT_EQ(ws_handshake_key(key2, NULL), 0);
	ASSERT_INT_EQ(strlen(key), 24);
	ASSERT_TRUE(strcmp(key, key2) != 0);
	ASSERT_TRUE(key[22] == '=' && key[23] == '=');

	buf_init(&b, 0);
	ASSERT_INT_EQ(ws_handshake_request(&b, "hub:8080", "/socket.io/1/x",
	    "dGhlIHNhbXBsZSBub25jZQ==", extra, NULL), 0);
	ASSERT_STR_CONTAINS(buf_str(&b), "GET /socket.io/1/x HTTP/1.1\r\n"
	    "Host: hub:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n");
	ASSERT_STR_CONTAINS(buf_str(&b), "\r\nftrack-user: ana\r\n\r\n");
	buf_reset(&b);
	ASSERT_INT_EQ(ws_handshake_request(&b, "hub", "/", "k", bad, &cause),
	    FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "extra header 1");
	free(cause);
	cause = NULL;
	ASSERT_INT_EQ(ws_handshake_request(&b, "hub\r\nX: y", "/", "k", NULL,
	    NULL), FERRY_ERR_INVAL);
	ASSERT_INT_EQ(ws_handshake_request(&b, "hub", "/a b", "k", NULL,
	    NULL), FERRY_ERR_INVAL);
	buf_free(&b);

	ok_head = "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\n"
	    "connection: keep-alive, Upgrade\r\n"
	    "sec-websocket-accept:   s3pPLMBiTxaQ9kYGzzhZRbK+xOo=  \r\n\r\n";
	ASSERT_INT_EQ(ws_handshake_head_len(ok_head, strlen(ok_head) - 1), 0);
	ASSERT_INT_EQ(ws_handshake_head_len(ok_head, strlen(ok_head)),
	    strlen(ok_head));
	ASSERT_INT_EQ(ws_handshake_check(ok_head, strlen(ok_head),
	    "dGhlIHNhbXBsZSBub25jZQ==", NULL), 0);
	ASSERT_INT_EQ(ws_handshake_check(ok_head, strlen(ok_head), key,
	    &cause), FERRY_ERR_PROTO);
	ASSERT_STR_CONTAINS(cause, "does not match");
	free(cause);
	cause = NULL;
#define CHECK_HEAD(text, code, what) do {				\
	head = (text);							\
	ASSERT_INT_EQ(ws_handshake_check(head, strlen(head),		\
	    "dGhlIHNhbXBsZSBub25jZQ==", &cause), (code));		\
	ASSERT_STR_CONTAINS(cause, (what));				\
	free(cause);							\
	cause = NULL;							\
} while (0)
	CHECK_HEAD("HTTP/1.1 404 Not Found\r\n\r\n", FERRY_ERR_PROTO,
	    "refused the WebSocket upgrade: \"HTTP/1.1 404 Not Found\"");
	CHECK_HEAD("HTTP/1.1 403 Forbidden\r\n\r\n", FERRY_ERR_AUTH, "403");
	CHECK_HEAD("SSH-2.0-OpenSSH\r\n\r\n", FERRY_ERR_PROTO, "not HTTP");
	CHECK_HEAD("HTTP/1.1 101 OK\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
	    FERRY_ERR_PROTO, "without \"Upgrade: websocket\"");
	CHECK_HEAD("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Extensions: "
	    "permessage-deflate\r\n\r\n", FERRY_ERR_PROTO,
	    "Sec-WebSocket-Extensions \"permessage-deflate\", but none");
	CHECK_HEAD("HTTP/1.1 101 OK\r\nno colon here\r\n\r\n", FERRY_ERR_PROTO,
	    "malformed header \"no colon here\"");
#undef CHECK_HEAD
}

/* Reads the client's upgrade request and answers it properly. */
static int
script_answer(int fd, struct buf *out)
{
	char	req[4096], accept[WS_ACCEPT_SIZE], *k;
	size_t	have = 0;
	ssize_t	n;

	while (have < sizeof req - 1 &&
	    (n = read(fd, req + have, sizeof req - 1 - have)) > 0) {
		have += (size_t)n;
		req[have] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	if ((k = strstr(req, "Sec-WebSocket-Key: ")) == NULL)
		return (-1);
	k += strlen("Sec-WebSocket-Key: ");
	k[24] = '\0';
	if (ws_handshake_accept(k, accept, NULL) != 0)
		return (-1);
	return (buf_printf(out, "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n\r\n", accept));
}

/* The child: serves one client, then logs what it sent until EOF. */
static void
script_serve(int lfd, const struct buf *script, const char *logpath)
{
	struct buf	 out;
	uint8_t		 in[65536];
	size_t		 have = 0;
	ssize_t		 n;
	int		 fd;
	FILE		*log;

	alarm(20);
	buf_init(&out, 0);
	if ((fd = accept(lfd, NULL, NULL)) < 0 || script_answer(fd, &out) != 0)
		_exit(3);
	/* The head and the first frames in one write: the client must keep
	 * what follows the head. */
	buf_add(&out, script->data, script->len);
	if (write(fd, out.data, out.len) != (ssize_t)out.len)
		_exit(4);
	while ((n = read(fd, in + have, sizeof in - have)) > 0)
		have += (size_t)n;
	if ((log = fopen(logpath, "w")) == NULL)
		_exit(5);
	fwrite(in, 1, have, log);
	fclose(log);
	_exit(0);
}

/*
 * A scripted server on a real socket: accepts one client, answers its
 * upgrade, sends script (raw frames) and logs to logpath every byte the
 * client sends until it hangs up.
 */
static pid_t
script_server(int *port, const struct buf *script, const char *logpath)
{
	struct sockaddr_in	 sa;
	socklen_t		 len = sizeof sa;
	int			 lfd;
	pid_t			 pid;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(lfd, 1) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len) != 0)
		return (-1);
	*port = ntohs(sa.sin_port);
	if ((pid = fork()) == 0)
		script_serve(lfd, script, logpath);
	close(lfd);
	return (pid);
}

/* The frames the client sent, as a server parses them. */
static void
client_frames(const char *logpath, struct got *g)
{
	FILE	*f = fopen(logpath, "r");
	uint8_t	 data[65536];
	size_t	 n;
	char	*cause = NULL;
	int	 status;

	n = f != NULL ? fread(data, 1, sizeof data, f) : 0;
	if (f != NULL)
		fclose(f);
	ASSERT_INT_EQ(feed(data, n, 0, 1 << 20, WS_FROM_CLIENT, g, &status,
	    &cause), 0);
	if (cause != NULL)
		TEST_FAIL("client frames: %s", cause);
	free(cause);
}

static int
wait_child(pid_t pid)
{
	int	st = 0;

	waitpid(pid, &st, 0);
	return (WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* Pings are answered, messages arrive, the server's close is echoed. */
static void
test_socket_conversation(const char *dir)
{
	struct ws_options	 o;
	struct ws_conn		*c;
	struct ws_msg		 m;
	struct buf		 script;
	struct got		 g;
	uint8_t			 close[WS_CONTROL_MAX];
	char			 url[128], log[512], *cause = NULL;
	pid_t			 pid;
	int			 port;

	buf_init(&script, 0);
	frame(&script, WS_OP_TEXT, 1, "1::", 3);
	frame(&script, WS_OP_PING, 1, "beat", 4);
	frame(&script, WS_OP_TEXT, 0, "5:::{\"a\":", 9);
	frame(&script, WS_OP_CONT, 1, "1}", 2);
	frame(&script, WS_OP_CLOSE, 1, (char *)close,
	    ws_close_encode(close, 1001, "server going down"));
	snprintf(log, sizeof log, "%s/conversation", dir);
	pid = script_server(&port, &script, log);
	ASSERT_TRUE(pid > 0);
	snprintf(url, sizeof url, "ws://127.0.0.1:%d/socket.io/1/websocket/s",
	    port);
	memset(&o, 0, sizeof o);
	o.url = url;
	ASSERT_INT_EQ(ws_connect(&o, &c, &cause), 0);
	ASSERT_INT_EQ(ws_recv(c, 5000, &m, NULL), 1);
	ASSERT_STR_EQ((const char *)m.data, "1::");
	ASSERT_INT_EQ(ws_send(c, WS_OP_TEXT, "2::", 3, 5000, NULL), 0);
	ASSERT_INT_EQ(ws_recv(c, 5000, &m, NULL), 1);
	ASSERT_STR_EQ((const char *)m.data, "5:::{\"a\":1}");
	ASSERT_INT_EQ(ws_recv(c, 5000, &m, &cause), FERRY_ERR_CLOSED);
	ASSERT_STR_CONTAINS(cause, "closed the WebSocket (1001 going away: "
	    "server going down)");
	free(cause);
	cause = NULL;
	ASSERT_INT_EQ(ws_send(c, WS_OP_TEXT, "x", 1, 100, NULL),
	    FERRY_ERR_STATE);
	ws_free(c);
	ASSERT_INT_EQ(wait_child(pid), 0);
	/* What the server saw: our heartbeat, a pong for its ping, and the
	 * close echoed; every frame masked (the parser checks). */
	client_frames(log, &g);
	ASSERT_INT_EQ(g.n, 3);
	ASSERT_INT_EQ(g.op[0], WS_OP_TEXT);
	ASSERT_STR_EQ(g.data[0], "2::");
	ASSERT_INT_EQ(g.op[1], WS_OP_PONG);
	ASSERT_STR_EQ(g.data[1], "beat");
	ASSERT_INT_EQ(g.op[2], WS_OP_CLOSE);
	ASSERT_INT_EQ(g.close_code, 1001);
	got_free(&g);
	buf_free(&script);
}

/* A protocol error from the server: reported, and a close 1002 sent. */
static void
test_socket_protocol_error(const char *dir)
{
	struct ws_options	 o;
	struct ws_conn		*c;
	struct ws_msg		 m;
	struct buf		 script;
	struct got		 g;
	char			 url[128], log[512], *cause = NULL;
	pid_t			 pid;
	int			 port;

	buf_init(&script, 0);
	ASSERT_INT_EQ(ws_frame_encode(&script, WS_OP_TEXT, 1, "hi", 2,
	    (const uint8_t *)"abcd", NULL), 0);
	snprintf(log, sizeof log, "%s/protocol-error", dir);
	pid = script_server(&port, &script, log);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
	memset(&o, 0, sizeof o);
	o.url = url;
	ASSERT_INT_EQ(ws_connect(&o, &c, NULL), 0);
	ASSERT_INT_EQ(ws_recv(c, 5000, &m, &cause), FERRY_ERR_PROTO);
	ASSERT_STR_CONTAINS(cause, "servers must not mask");
	free(cause);
	ws_free(c);
	ASSERT_INT_EQ(wait_child(pid), 0);
	client_frames(log, &g);
	ASSERT_INT_EQ(g.n, 1);
	ASSERT_INT_EQ(g.op[0], WS_OP_CLOSE);
	ASSERT_INT_EQ(g.close_code, WS_CLOSE_PROTOCOL);
	got_free(&g);
	buf_free(&script);
}

/* Nobody listening, and a bad URL: clear errors. */
static void
test_socket_refused(void)
{
	struct ws_options	 o;
	struct ws_conn		*c;
	struct sockaddr_in	 sa;
	socklen_t		 len = sizeof sa;
	char			 url[128], *cause = NULL;
	int			 fd;

	/* A port that was free a moment ago. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sa, sizeof sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	close(fd);
	snprintf(url, sizeof url, "ws://127.0.0.1:%d/x?api_key=SECRET",
	    ntohs(sa.sin_port));
	memset(&o, 0, sizeof o);
	o.url = url;
	ASSERT_INT_EQ(ws_connect(&o, &c, &cause), FERRY_ERR_IO);
	ASSERT_STR_CONTAINS(cause, "cannot connect to 127.0.0.1:");
	ASSERT_TRUE(cause != NULL && strstr(cause, "SECRET") == NULL);
	free(cause);
	cause = NULL;
	o.url = "ftp://host/";
	ASSERT_INT_EQ(ws_connect(&o, &c, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "\"ftp\" is not ws, wss, http or https");
	free(cause);
}

int
main(void)
{
	char	dir[] = "/tmp/test-ws.XXXXXX", cmd[64];

	signal(SIGPIPE, SIG_IGN);
	test_header_errors();
	test_header_partial();
	test_lengths_and_masking();
	test_utf8();
	test_parser_fragments();
	test_parser_errors();
	test_parser_close_and_sticky();
	test_handshake();
	if (mkdtemp(dir) == NULL)
		TEST_FAIL("mkdtemp");
	else {
		test_socket_conversation(dir);
		test_socket_protocol_error(dir);
		test_socket_refused();
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			TEST_FAIL("cannot remove %s", dir);
	}
	return (TEST_DONE());
}
