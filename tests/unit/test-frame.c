/* Frame encoder and incremental decoder: round trips and every bad case. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "frame.h"
#include "test.h"

/* Decoded frames, copied out of the decoder. */
struct got {
	int		 n;
	int		 type[64];
	uint32_t	 len[64];
	uint8_t		*payload[64];
};

static void
got_free(struct got *g)
{
	int	i;

	for (i = 0; i < g->n; i++)
		free(g->payload[i]);
	memset(g, 0, sizeof *g);
}

/*
 * Feeds data to a fresh decoder in chunks of step bytes (0: all at once).
 * Returns the first error, or 0; *partial says whether a frame was left
 * unfinished.
 */
static int
feed(const uint8_t *data, size_t len, size_t step, struct got *g,
    int *partial, char **cause)
{
	struct frame_decoder	 d;
	struct frame		 f;
	size_t			 off = 0, chunk, used;
	int			 r = 0;

	memset(g, 0, sizeof *g);
	frame_decoder_init(&d);
	while (off < len && r >= 0) {
		chunk = step == 0 || len - off < step ? len - off : step;
		while (chunk > 0) {
			if ((r = frame_decode(&d, data + off, chunk, &used, &f,
			    cause)) < 0)
				break;
			ASSERT_TRUE(used <= chunk);
			off += used;
			chunk -= used;
			if (r == 1 && g->n < 64) {
				g->type[g->n] = f.type;
				g->len[g->n] = f.len;
				g->payload[g->n] = malloc(f.len + 1);
				if (f.len > 0)
					memcpy(g->payload[g->n], f.payload,
					    f.len);
				g->n++;
			}
			if (r == 0)
				ASSERT_INT_EQ(chunk, 0);
		}
	}
	*partial = frame_decoder_partial(&d);
	frame_decoder_free(&d);
	return (r < 0 ? r : 0);
}

static void
fill(uint8_t *p, size_t n, unsigned int seed)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* A stream of frames of assorted types and sizes, decoded at many steps. */
static void
test_round_trip(void)
{
	static const size_t	 sizes[] = { 0, 1, 7, 8, 9, 100, 4096,
	    FRAME_MAX_BULK };
	static const int	 types[] = { FRAME_TOKEN, FRAME_ACK, FRAME_DATA,
	    FRAME_DELTA, FRAME_FILE_END, FRAME_ERROR, FRAME_SIGNATURE,
	    FRAME_DATA };
	static const size_t	 steps[] = { 0, 1, 3, 8, 4097, 65536 };
	struct buf		 out;
	struct got		 g;
	uint8_t			*src;
	size_t			 i, s, len;
	int			 partial, k;

	buf_init(&out, 0);
	src = malloc(FRAME_MAX_BULK);
	fill(src, FRAME_MAX_BULK, 7);
	for (i = 0; i < 8; i++) {
		len = sizes[i];
		if (len > frame_type_max_len(types[i]))
			len = frame_type_max_len(types[i]);
		ASSERT_INT_EQ(frame_encode(&out, types[i], 0, src, len, NULL),
		    0);
	}
	for (s = 0; s < sizeof steps / sizeof steps[0]; s++) {
		ASSERT_INT_EQ(feed((uint8_t *)out.data, out.len, steps[s], &g,
		    &partial, NULL), 0);
		ASSERT_INT_EQ(g.n, 8);
		ASSERT_INT_EQ(partial, 0);
		for (k = 0; k < g.n && k < 8; k++) {
			len = sizes[k];
			if (len > frame_type_max_len(types[k]))
				len = frame_type_max_len(types[k]);
			ASSERT_INT_EQ(g.type[k], types[k]);
			ASSERT_INT_EQ(g.len[k], len);
			ASSERT_TRUE(memcmp(g.payload[k], src, len) == 0);
		}
		got_free(&g);
	}
	free(src);
	buf_free(&out);
}

/* The header bytes are exactly as docs/protocol.md says. */
static void
test_header_layout(void)
{
	uint8_t			h[FRAME_HEADER_LEN];
	struct frame_header	fh;

	ASSERT_INT_EQ(frame_header_encode(h, FRAME_DATA, 0, 0x012345, NULL),
	    0);
	ASSERT_INT_EQ(h[0], 0xf1);
	ASSERT_INT_EQ(h[1], 6);
	ASSERT_INT_EQ(h[2], 0);
	ASSERT_INT_EQ(h[3], 0);
	ASSERT_INT_EQ(h[4], 0x00);
	ASSERT_INT_EQ(h[5], 0x01);
	ASSERT_INT_EQ(h[6], 0x23);
	ASSERT_INT_EQ(h[7], 0x45);
	ASSERT_INT_EQ(frame_header_parse(h, &fh, NULL), 0);
	ASSERT_INT_EQ(fh.type, FRAME_DATA);
	ASSERT_INT_EQ(fh.len, 0x012345);
	ASSERT_STR_EQ(frame_type_name(FRAME_FILE_END), "FILE_END");
	ASSERT_STR_EQ(frame_type_name(0), "unknown");
	ASSERT_STR_EQ(frame_type_name(FRAME_CHUNK), "CHUNK");
	ASSERT_STR_EQ(frame_type_name(FRAME_KEEPALIVE), "KEEPALIVE");
	ASSERT_STR_EQ(frame_type_name(15), "unknown");
}

static void
test_encode_refuses(void)
{
	struct buf	 out;
	uint8_t		 h[FRAME_HEADER_LEN];
	char		*cause = NULL;

	buf_init(&out, 0);
	ASSERT_INT_EQ(frame_header_encode(h, 0, 0, 0, &cause), FERRY_ERR_INVAL);
	ASSERT_INT_EQ(frame_header_encode(h, 15, 0, 0, &cause),
	    FERRY_ERR_INVAL);
	ASSERT_INT_EQ(frame_header_encode(h, FRAME_ACK, 1, 0, &cause),
	    FERRY_ERR_INVAL);
	ASSERT_INT_EQ(frame_header_encode(h, FRAME_DATA, 0, FRAME_MAX_BULK + 1,
	    &cause), FERRY_ERR_TOOBIG);
	ASSERT_STR_CONTAINS(cause, "DATA frame of 1048577 bytes");
	ASSERT_INT_EQ(frame_encode(&out, FRAME_HELLO, 0, NULL,
	    FRAME_MAX_CONTROL + 1, &cause), FERRY_ERR_TOOBIG);
	ASSERT_INT_EQ(out.len, 0);
	free(cause);
	buf_free(&out);
}

/*
 * A good frame followed by a bad header: the good one comes out, then the
 * error, whatever the chunking; and the decoder stays failed.
 */
static void
bad_case(const uint8_t *hdr, size_t hlen, const char *want)
{
	static const size_t	 steps[] = { 0, 1, 2, 5 };
	struct buf		 out;
	struct got		 g;
	char			*cause = NULL;
	size_t			 s;
	int			 partial;

	buf_init(&out, 0);
	ASSERT_INT_EQ(frame_encode(&out, FRAME_ACK, 0, "ok", 2, NULL), 0);
	ASSERT_INT_EQ(buf_add(&out, hdr, hlen), 0);
	for (s = 0; s < sizeof steps / sizeof steps[0]; s++) {
		ASSERT_INT_EQ(feed((uint8_t *)out.data, out.len, steps[s], &g,
		    &partial, &cause), FERRY_ERR_PROTO);
		ASSERT_INT_EQ(g.n, 1);
		ASSERT_STR_CONTAINS(cause, want);
		got_free(&g);
	}
	free(cause);
	buf_free(&out);
}

static void
test_malformed(void)
{
	const uint8_t	magic[] = { 0x46, 0x01, 0, 0, 0, 0, 0, 0 };
	const uint8_t	type0[] = { 0xf1, 0x00, 0, 0, 0, 0, 0, 0 };
	const uint8_t	type15[] = { 0xf1, 0x0f };
	const uint8_t	type255[] = { 0xf1, 0xff, 0, 0, 0, 0, 0, 0 };
	const uint8_t	flags[] = { 0xf1, 0x06, 0x80, 0x00, 0, 0, 0, 1, 'x' };
	const uint8_t	flags1[] = { 0xf1, 0x06, 0x00, 0x01 };
	const uint8_t	bulk[] = { 0xf1, 0x06, 0, 0, 0x00, 0x10, 0x00, 0x01 };
	const uint8_t	ctrl[] = { 0xf1, 0x01, 0, 0, 0x00, 0x00, 0x10, 0x01 };
	const uint8_t	entry[] = { 0xf1, 0x03, 0, 0, 0x00, 0x01, 0x00, 0x01 };
	const uint8_t	huge[] = { 0xf1, 0x05, 0, 0, 0xff, 0xff, 0xff, 0xff };

	bad_case(magic, sizeof magic, "bad frame magic 0x46");
	bad_case(type0, sizeof type0, "unknown frame type 0");
	bad_case(type15, sizeof type15, "unknown frame type 15");
	bad_case(type255, sizeof type255, "unknown frame type 255");
	bad_case(flags, sizeof flags, "DATA frame has unknown flags 0x8000");
	bad_case(flags1, sizeof flags1, "unknown flags 0x0001");
	bad_case(bulk, sizeof bulk,
	    "DATA frame of 1048577 bytes exceeds its limit of 1048576");
	bad_case(ctrl, sizeof ctrl,
	    "HELLO frame of 4097 bytes exceeds its limit of 4096");
	bad_case(entry, sizeof entry,
	    "FILE_ENTRY frame of 65537 bytes exceeds its limit of 65536");
	bad_case(huge, sizeof huge, "DELTA frame of 4294967295 bytes");
}

/* Exactly at the limits is fine; after an error every call fails. */
static void
test_limits_and_sticky(void)
{
	struct frame_decoder	 d;
	struct frame		 f;
	struct buf		 out;
	uint8_t			*big;
	const uint8_t		 bad = 0x00;
	char			*cause = NULL;
	size_t			 used;

	buf_init(&out, 0);
	big = calloc(1, FRAME_MAX_ENTRY);
	ASSERT_INT_EQ(frame_encode(&out, FRAME_FILE_ENTRY, 0, big,
	    FRAME_MAX_ENTRY, NULL), 0);
	frame_decoder_init(&d);
	ASSERT_INT_EQ(frame_decode(&d, out.data, out.len, &used, &f, NULL), 1);
	ASSERT_INT_EQ(used, out.len);
	ASSERT_INT_EQ(f.len, FRAME_MAX_ENTRY);
	ASSERT_INT_EQ(frame_decode(&d, &bad, 1, &used, &f, &cause),
	    FERRY_ERR_PROTO);
	ASSERT_INT_EQ(used, 1);
	ASSERT_INT_EQ(frame_decode(&d, out.data, out.len, &used, &f, &cause),
	    FERRY_ERR_PROTO);
	ASSERT_INT_EQ(used, 0);
	ASSERT_STR_CONTAINS(cause, "already failed");
	frame_decoder_free(&d);
	free(big);
	free(cause);
	buf_free(&out);
}

/* A frame cut short is reported as partial, never as a frame. */
static void
test_truncated(void)
{
	struct buf	out;
	struct got	g;
	size_t		cut;
	int		partial;

	buf_init(&out, 0);
	ASSERT_INT_EQ(frame_encode(&out, FRAME_TOKEN, 0, "0123456789", 10,
	    NULL), 0);
	for (cut = 1; cut < out.len; cut++) {
		ASSERT_INT_EQ(feed((uint8_t *)out.data, cut, 1, &g, &partial,
		    NULL), 0);
		ASSERT_INT_EQ(g.n, 0);
		ASSERT_INT_EQ(partial, 1);
		got_free(&g);
	}
	buf_free(&out);
}

/* The decoder reads only the bytes it is given (ASan checks the edges). */
static void
test_exact_bounds(void)
{
	struct frame_decoder	 d;
	struct frame		 f;
	struct buf		 out;
	uint8_t			*copy;
	size_t			 i, used;
	int			 r;

	buf_init(&out, 0);
	ASSERT_INT_EQ(frame_encode(&out, FRAME_DATA, 0, "abc", 3, NULL), 0);
	frame_decoder_init(&d);
	ASSERT_INT_EQ(frame_decode(&d, NULL, 0, &used, &f, NULL), 0);
	ASSERT_INT_EQ(used, 0);
	for (i = 0; i < out.len; i++) {
		/* An empty chunk between bytes changes nothing. */
		ASSERT_INT_EQ(frame_decode(&d, NULL, 0, &used, &f, NULL), 0);
		/* Each byte in its own exactly-sized allocation. */
		copy = malloc(1);
		*copy = (uint8_t)out.data[i];
		r = frame_decode(&d, copy, 1, &used, &f, NULL);
		ASSERT_INT_EQ(used, 1);
		ASSERT_INT_EQ(r, i + 1 == out.len ? 1 : 0);
		if (r == 1)
			ASSERT_TRUE(memcmp(f.payload, "abc", 3) == 0);
		free(copy);
	}
	frame_decoder_free(&d);
	buf_free(&out);
}

static void
test_hello(void)
{
	struct frame_decoder	 d;
	struct frame		 f;
	struct frame_hello	 ours = { 3, 0x0f }, peer = { 0 }, agreed;
	struct buf		 out;
	uint8_t			 longer[FRAME_HELLO_LEN + 4] = { 0, 0, 0, 2 };
	char			*cause = NULL;
	size_t			 used;

	buf_init(&out, 0);
	ASSERT_INT_EQ(frame_hello_encode(&out, &ours, NULL), 0);
	ASSERT_INT_EQ(out.len, FRAME_HEADER_LEN + FRAME_HELLO_LEN);
	ASSERT_INT_EQ((uint8_t)out.data[FRAME_HEADER_LEN + 3], 3);
	ASSERT_INT_EQ((uint8_t)out.data[out.len - 1], 0x0f);
	frame_decoder_init(&d);
	ASSERT_INT_EQ(frame_decode(&d, out.data, out.len, &used, &f, NULL), 1);
	ASSERT_INT_EQ(frame_hello_decode(&f, &peer, NULL), 0);
	ASSERT_INT_EQ(peer.version, 3);
	ASSERT_INT_EQ(peer.features, 0x0f);

	/* Newer peers may append fields; older ones may not cut any. */
	longer[11] = 0x05;
	f.type = FRAME_HELLO;
	f.payload = longer;
	f.len = sizeof longer;
	ASSERT_INT_EQ(frame_hello_decode(&f, &peer, NULL), 0);
	ASSERT_INT_EQ(peer.version, 2);
	ASSERT_INT_EQ(peer.features, 0x05);
	ASSERT_INT_EQ(frame_hello_negotiate(&ours, &peer, &agreed, NULL), 0);
	ASSERT_INT_EQ(agreed.version, 2);
	ASSERT_INT_EQ(agreed.features, 0x05);
	peer.version = 0;
	ASSERT_INT_EQ(frame_hello_negotiate(&ours, &peer, &agreed, &cause),
	    FERRY_ERR_PROTO);
	ASSERT_STR_CONTAINS(cause, "needs 1 or newer");
	f.len = FRAME_HELLO_LEN - 1;
	ASSERT_INT_EQ(frame_hello_decode(&f, &peer, &cause), FERRY_ERR_PROTO);
	ASSERT_STR_CONTAINS(cause, "shorter than 12");
	f.len = FRAME_HELLO_LEN;
	longer[3] = 0;
	ASSERT_INT_EQ(frame_hello_decode(&f, &peer, &cause), FERRY_ERR_PROTO);
	ASSERT_STR_CONTAINS(cause, "version 0");
	f.type = FRAME_DATA;
	ASSERT_INT_EQ(frame_hello_decode(&f, &peer, &cause), FERRY_ERR_PROTO);
	ASSERT_STR_CONTAINS(cause, "expected a HELLO frame, got DATA");
	frame_decoder_free(&d);
	free(cause);
	buf_free(&out);
}

int
main(void)
{
	test_header_layout();
	test_round_trip();
	test_encode_refuses();
	test_malformed();
	test_limits_and_sticky();
	test_truncated();
	test_exact_bounds();
	test_hello();
	return (TEST_DONE());
}
