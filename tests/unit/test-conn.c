/*
 * Frames read through a connection's read-ahead buffer (transfer/conn.c):
 * a peer thread writes raw bytes over TLS on a socket pair, the main
 * thread reads them as frames. Small frames come out of the buffer, bulk
 * payloads land in the aligned rbuf or the caller's room, a header is
 * refused before its payload is read, and a peer that stops inside a
 * frame is told apart from one that closes between frames. The room for
 * a bulk payload to be read from a file into starts a page
 * (iobuf-int.h).
 */
#include "config.h"

#include <sys/socket.h>

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conn-int.h"
#include "err.h"
#include "frame.h"
#include "identity.h"
#include "iobuf-int.h"
#include "tls.h"
#include "test.h"

#define TIMEOUT_MS	5000

static struct identity	*id_server, *id_client;

/* What the peer thread writes, then it closes (close_notify). */
struct peer {
	int		 fd;
	const uint8_t	*bytes;
	size_t		 len;
	int		 rc;
	size_t		 drained;	/* with drain: bytes read till closed */
	int		 drain;
};

static void
fill(uint8_t *p, size_t n, unsigned int seed)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* The peer's bytes go in TLS records of this many (0: all at once). */
static size_t	piece_len;

static void *
peer_main(void *arg)
{
	struct peer	*p = arg;
	struct tls_conn	*c = NULL;

	p->rc = tls_connect(p->fd, id_client, identity_fp(id_server),
	    TIMEOUT_MS, &c, NULL);
	if (p->rc == 0 && p->len > 0 && piece_len == 0)
		p->rc = tls_write(c, p->bytes, p->len, NULL);
	for (size_t o = 0; p->rc == 0 && piece_len > 0 && o < p->len;
	    o += piece_len)
		p->rc = tls_write(c, p->bytes + o, p->len - o < piece_len ?
		    p->len - o : piece_len, NULL);
	/* Reads what the other side sends, till it closes. */
	while (p->rc == 0 && p->drain) {
		uint8_t	junk[4096];
		size_t	got;

		if (tls_read_some(c, junk, sizeof junk, &got, NULL) != 0 ||
		    got == 0)
			break;
		p->drained += got;
	}
	if (c != NULL) {
		tls_shutdown(c, NULL);
		tls_free(c);
	}
	close(p->fd);
	return (NULL);
}

/* Appends a frame of type and len payload bytes from seed. */
static void
add_frame(struct buf *b, int type, size_t len, unsigned int seed)
{
	uint8_t	*p = malloc(len + 1);

	ASSERT_TRUE(p != NULL);
	fill(p, len, seed);
	ASSERT_INT_EQ(frame_encode(b, type, 0, p, len, NULL), 0);
	free(p);
}

/* Starts the peer on bytes and accepts it into c (with its tls). */
static void
start(struct peer *p, pthread_t *t, const struct buf *b, struct conn *c,
    struct tls_conn **tls)
{
	int	sv[2];

	ASSERT_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	p->fd = sv[1];
	p->bytes = (const uint8_t *)b->data;
	p->len = b->len;
	ASSERT_INT_EQ(pthread_create(t, NULL, peer_main, p), 0);
	ASSERT_INT_EQ(tls_accept(sv[0], id_server, identity_fp(id_client),
	    TIMEOUT_MS, tls, NULL), 0);
	ASSERT_INT_EQ(conn_init(c, *tls), 0);
}

static void
finish(struct peer *p, pthread_t t, struct conn *c, struct tls_conn *tls)
{
	int	fd = tls_fd(tls);

	conn_free(c);
	tls_free(tls);
	close(fd);
	pthread_join(t, NULL);
	(void)p;
}

/* Reads the next frame and checks its type, length and bytes. */
static const uint8_t *
want_frame(struct conn *c, uint8_t *room, size_t roomlen, int type,
    size_t len, unsigned int seed)
{
	struct frame	 f;
	uint8_t		*p = malloc(len + 1);
	char		*cause = NULL;

	ASSERT_TRUE(p != NULL);
	fill(p, len, seed);
	ASSERT_INT_EQ(conn_read_to(c, &f, room, roomlen, &cause), 0);
	if (cause != NULL)
		fprintf(stderr, "%s\n", cause);
	ASSERT_INT_EQ(f.type, type);
	ASSERT_INT_EQ(f.len, len);
	ASSERT_TRUE(len == 0 ? f.payload == NULL :
	    memcmp(f.payload, p, len) == 0);
	free(p);
	free(cause);
	return (f.payload);
}

/* Many frames of every size in one write: each comes out whole. */
static void
test_mixed(void)
{
	struct peer	 p = { 0 };
	struct conn	 c;
	struct tls_conn	*tls;
	struct buf	 b;
	pthread_t	 t;
	struct frame	 f;
	uint8_t		 room[8192];
	const uint8_t	*got;
	char		*cause = NULL;
	unsigned int	 i;

	buf_init(&b, 0);
	for (i = 0; i < 300; i++) {
		add_frame(&b, FRAME_FILE_BEGIN, 20 + i % 7, i);
		add_frame(&b, FRAME_DATA, 4096, i);
		add_frame(&b, FRAME_FILE_END, 50, i);
	}
	add_frame(&b, FRAME_FILE_ENTRY, FRAME_MAX_ENTRY, 1);
	add_frame(&b, FRAME_DATA, FRAME_MAX_BULK, 2);
	add_frame(&b, FRAME_DATA, 100, 3);
	add_frame(&b, FRAME_SIGNATURE, 70000, 4);
	add_frame(&b, FRAME_PLAN, 0, 5);
	start(&p, &t, &b, &c, &tls);
	for (i = 0; i < 300; i++) {
		/* Only DATA goes to the room: it is the file's bytes. */
		got = want_frame(&c, room, sizeof room, FRAME_FILE_BEGIN,
		    20 + i % 7, i);
		ASSERT_TRUE(got != room);
		/* A DATA payload that fits goes to the room given. */
		got = want_frame(&c, room, sizeof room, FRAME_DATA, 4096, i);
		ASSERT_TRUE(got == room);
		got = want_frame(&c, room, sizeof room, FRAME_FILE_END, 50, i);
		ASSERT_TRUE(got != room);
	}
	want_frame(&c, NULL, 0, FRAME_FILE_ENTRY, FRAME_MAX_ENTRY, 1);
	/* Too large for the room: the aligned buffer (O_DIRECT). */
	got = want_frame(&c, room, sizeof room, FRAME_DATA, FRAME_MAX_BULK, 2);
	ASSERT_TRUE(got != room && (uintptr_t)got % 4096 == 0);
	got = want_frame(&c, NULL, 0, FRAME_DATA, 100, 3);
	ASSERT_TRUE((uintptr_t)got % 4096 == 0);
	want_frame(&c, NULL, 0, FRAME_SIGNATURE, 70000, 4);
	want_frame(&c, NULL, 0, FRAME_PLAN, 0, 5);
	ASSERT_TRUE(c.bytes_in == b.len);
	/* Closed between frames: plainly closed. */
	ASSERT_INT_EQ(conn_read(&c, &f, &cause), FERRY_ERR_CLOSED);
	ASSERT_TRUE(cause == NULL || strstr(cause, "middle") == NULL);
	free(cause);
	finish(&p, t, &c, tls);
	ASSERT_INT_EQ(p.rc, 0);
	buf_free(&b);
}

/*
 * A peer whose frames come a few bytes a record (one byte, then seven):
 * each read of the read-ahead buffer gets that much, headers and
 * payloads are gathered across reads, a DATA frame partly held goes to
 * the room or straight to rbuf, and nothing is taken from the next frame.
 */
static void
test_split(size_t piece)
{
	struct peer	 p = { 0 };
	struct conn	 c;
	struct tls_conn	*tls;
	struct buf	 b;
	pthread_t	 t;
	struct frame	 f;
	uint8_t		 room[8192];
	char		*cause = NULL;
	unsigned int	 i;

	buf_init(&b, 0);
	for (i = 0; i < 20; i++) {
		add_frame(&b, FRAME_FILE_BEGIN, 13, i);
		add_frame(&b, FRAME_DATA, 1000 + i, i);
		add_frame(&b, FRAME_FILE_END, 0, i);
	}
	add_frame(&b, FRAME_KEEPALIVE, 12, 7);
	add_frame(&b, FRAME_FILE_ENTRY, 3000, 8);
	add_frame(&b, FRAME_DATA, 40000, 9);	/* rest read past ibuf */
	add_frame(&b, FRAME_DATA, 9000, 10);	/* larger than the room */
	add_frame(&b, FRAME_PLAN, 0, 11);
	piece_len = piece;
	start(&p, &t, &b, &c, &tls);
	for (i = 0; i < 20; i++) {
		want_frame(&c, room, sizeof room, FRAME_FILE_BEGIN, 13, i);
		ASSERT_TRUE(want_frame(&c, room, sizeof room, FRAME_DATA,
		    1000 + i, i) == room);
		want_frame(&c, room, sizeof room, FRAME_FILE_END, 0, i);
	}
	want_frame(&c, NULL, 0, FRAME_KEEPALIVE, 12, 7);
	want_frame(&c, NULL, 0, FRAME_FILE_ENTRY, 3000, 8);
	want_frame(&c, NULL, 0, FRAME_DATA, 40000, 9);
	want_frame(&c, room, sizeof room, FRAME_DATA, 9000, 10);
	want_frame(&c, NULL, 0, FRAME_PLAN, 0, 11);
	ASSERT_TRUE(c.bytes_in == b.len);
	ASSERT_INT_EQ(conn_read(&c, &f, &cause), FERRY_ERR_CLOSED);
	ASSERT_TRUE(cause == NULL || strstr(cause, "middle") == NULL);
	free(cause);
	finish(&p, t, &c, tls);
	ASSERT_INT_EQ(p.rc, 0);
	piece_len = 0;
	buf_free(&b);
}

/* bytes, then a close: the read's code and cause. */
static void
read_bad(const uint8_t *bytes, size_t len, int want, const char *says)
{
	struct peer	 p = { 0 };
	struct conn	 c;
	struct tls_conn	*tls;
	struct buf	 b;
	struct frame	 f;
	pthread_t	 t;
	char		*cause = NULL;

	buf_init(&b, 0);
	ASSERT_INT_EQ(buf_add(&b, bytes, len), 0);
	start(&p, &t, &b, &c, &tls);
	ASSERT_INT_EQ(conn_read(&c, &f, &cause), want);
	ASSERT_STR_CONTAINS(cause, says);
	fprintf(stderr, "%s\n", cause);
	free(cause);
	finish(&p, t, &c, tls);
	buf_free(&b);
}

static void
test_bad(void)
{
	/* PLAN of 4097 bytes: refused on its header, no payload sent. */
	static const uint8_t	big_plan[] = { 0xf1, FRAME_PLAN, 0, 0,
				    0, 0, 0x10, 0x01 };
	/* DATA of 1 MiB + 1. */
	static const uint8_t	big_data[] = { 0xf1, FRAME_DATA, 0, 0,
				    0, 0x10, 0, 0x01 };
	static const uint8_t	bad_magic[] = { 0xf2, FRAME_PLAN, 0, 0,
				    0, 0, 0, 0 };
	/* DATA of 5,000 bytes, only 3 of them sent. */
	static const uint8_t	cut_data[] = { 0xf1, FRAME_DATA, 0, 0,
				    0, 0, 0x13, 0x88, 1, 2, 3 };
	/* FILE_ENTRY of 40,000 bytes (the small frames' way), none sent. */
	static const uint8_t	cut_entry[] = { 0xf1, FRAME_FILE_ENTRY, 0,
				    0, 0, 0, 0x9c, 0x40 };
	static const uint8_t	cut_header[] = { 0xf1, FRAME_DATA, 0 };

	read_bad(big_plan, sizeof big_plan, FERRY_ERR_PROTO,
	    "PLAN frame of 4097 bytes exceeds its limit of 4096");
	read_bad(big_data, sizeof big_data, FERRY_ERR_PROTO,
	    "DATA frame of 1048577 bytes exceeds its limit");
	read_bad(bad_magic, sizeof bad_magic, FERRY_ERR_PROTO,
	    "bad frame magic 0xf2");
	read_bad(cut_data, sizeof cut_data, FERRY_ERR_CLOSED,
	    "in the middle of a DATA frame");
	read_bad(cut_entry, sizeof cut_entry, FERRY_ERR_CLOSED,
	    "in the middle of a FILE_ENTRY frame");
	read_bad(cut_header, sizeof cut_header, FERRY_ERR_CLOSED,
	    "in the middle of a frame header");
}

/*
 * A file's data is read straight into the room conn_bulk_space gives: at
 * the buffer's start (where a full bulk frame leaves it) it starts a
 * page; after a small frame it follows that frame, unless a large read
 * would then land 1 to 31 bytes into a page (the kernel's slow copy,
 * iobuf-int.h): the frame is sent first. iobuf_alloc's memory starts a
 * page, whatever its size.
 */
static void
test_aligned(void)
{
	static const uint8_t	small[] = { 0xf1, FRAME_PLAN, 0, 0, 0, 0, 0,
				    3, 1, 2, 3 };
	static const uint8_t	big_enough[40] = { 0xf1, FRAME_PLAN, 0, 0, 0,
				    0, 0, 32 };
	struct peer		 p;
	struct conn		 c;
	struct tls_conn		*tls;
	struct buf		 b;
	pthread_t		 t;
	uint8_t			*room, *after;
	void			*m;
	size_t			 n;

	for (n = 1; n <= 4 * 1024 * 1024; n *= 4) {
		ASSERT_TRUE((m = iobuf_alloc(n)) != NULL);
		ASSERT_INT_EQ((uintptr_t)m % 4096, 0);
		free(m);
	}
	buf_init(&b, 0);
	memset(&p, 0, sizeof p);
	p.drain = 1;
	start(&p, &t, &b, &c, &tls);
	ASSERT_TRUE((room = conn_bulk_space(&c, FRAME_MAX_BULK, NULL)) !=
	    NULL);
	ASSERT_INT_EQ((uintptr_t)room % 4096, 0);
	ASSERT_INT_EQ(conn_put(&c, small, sizeof small, NULL), 0);
	/* A small read follows the frame queued: 11 bytes into a page. */
	ASSERT_TRUE((after = conn_bulk_space(&c, 4096, NULL)) != NULL);
	ASSERT_TRUE(after == room + sizeof small);
	ASSERT_INT_EQ(c.wlen, sizeof small);
	/* A large one there would be the slow copy: the frame goes first. */
	ASSERT_TRUE((after = conn_bulk_space(&c, FRAME_MAX_BULK, NULL)) !=
	    NULL);
	ASSERT_TRUE(after == room);
	ASSERT_INT_EQ(c.wlen, 0);
	/* 40 bytes in is not slow: no write for it. */
	ASSERT_INT_EQ(conn_put(&c, big_enough, sizeof big_enough, NULL), 0);
	ASSERT_TRUE((after = conn_bulk_space(&c, FRAME_MAX_BULK, NULL)) !=
	    NULL);
	ASSERT_TRUE(after == room + sizeof big_enough);
	c.wlen = 0;		/* nothing more goes out */
	ASSERT_INT_EQ(tls_shutdown(tls, NULL), 0);
	finish(&p, t, &c, tls);
	ASSERT_INT_EQ(p.drained, sizeof small);
	buf_free(&b);
}

/*
 * Records a data connection has read from the socket but not yet handed
 * out (tls_bulk's buffering BIO) count as pending: a caller that polls
 * the socket only when tls_pending says nothing is held would otherwise
 * wait on data already read.
 */
static void
test_pending(void)
{
	struct peer	 p = { 0 };
	struct conn	 c;
	struct tls_conn	*tls;
	struct buf	 b;
	pthread_t	 t;
	uint8_t		 got[64];
	size_t		 n;
	int		 fd;

	buf_init(&b, 0);
	add_frame(&b, FRAME_PLAN, 20, 7);
	add_frame(&b, FRAME_PLAN, 20, 8);
	piece_len = 28;		/* a record each */
	start(&p, &t, &b, &c, &tls);
	/* Both records (and the close) are in the socket before any read. */
	pthread_join(t, NULL);
	ASSERT_INT_EQ(p.rc, 0);
	ASSERT_INT_EQ(tls_read(tls, got, 28, NULL), 0);
	ASSERT_TRUE(memcmp(got, b.data, 28) == 0);
	ASSERT_INT_EQ(tls_pending(tls), 1);
	ASSERT_INT_EQ(tls_read(tls, got, 28, NULL), 0);
	ASSERT_TRUE(memcmp(got, b.data + 28, 28) == 0);
	/* The peer's close_notify is held too, then nothing. */
	ASSERT_INT_EQ(tls_pending(tls), 1);
	ASSERT_INT_EQ(tls_read_some(tls, got, sizeof got, &n, NULL),
	    FERRY_ERR_CLOSED);
	ASSERT_INT_EQ(tls_pending(tls), 0);
	piece_len = 0;
	fd = tls_fd(tls);
	conn_free(&c);
	tls_free(tls);
	close(fd);
	buf_free(&b);
}

int
main(void)
{
	/* As tls.h asks of its callers. */
	signal(SIGPIPE, SIG_IGN);
	if (identity_generate("server", &id_server, NULL) != 0 ||
	    identity_generate("client", &id_client, NULL) != 0)
		TEST_SKIP("cannot generate identities");
	test_mixed();
	test_split(1);
	test_split(7);
	test_bad();
	test_aligned();
	test_pending();
	identity_free(id_server);
	identity_free(id_client);
	return (TEST_DONE());
}
