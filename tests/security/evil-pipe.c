/*
 * evil-pipe: a data-plane sender against a receiver's pipelined commit
 * (feature PIPELINE, docs/protocol.md 6.1), for tests/security/
 * pipeline-race.sh, and bad data for the receiver's writer threads
 * (transfer/recv-write.c) for aside-forged.sh. One stream, files of SIZE
 * bytes sent whole (no striping), so that the receiver commits a held
 * batch in a thread while the next one arrives:
 *
 *   evil-pipe STATE PEER_FP TOKEN_HEX HOST:PORT MODE SIZE
 *
 *   MODE  twice  batch 1 offers "a" (bytes 'A'); batch 2 offers "a" again
 *                (bytes 'B') while batch 1's commit runs, taking any
 *                resume offset the PLAN offers; then asks for the ACKs
 *                and ends the session
 *         streams  two streams: stream 0 sends "a" (bytes 'A') and its
 *                data's end (held, committing), then stream 1 sends "a"
 *                (bytes 'B', another mtime) 150 ms later, while stream
 *                0's commit runs;
 *                then both ask for their ACKs ("stream N:" before each)
 *         cut    batch 1 offers "a" (and 63 more files), and the
 *                connection is dropped right after its data's end, while
 *                its commit runs
 *         bad    batch 1 offers "a" and f1 to f63, all SIZE bytes; f5's
 *                data runs 4,096 bytes past SIZE (its FILE_END says so,
 *                with the hash of all it sent), f6's stops 100 bytes
 *                short of it (its FILE_END says SIZE), f7's hash is
 *                wrong; then asks for the ACKs and ends the session
 *
 *   With feature KEEPALIVE agreed (docs/protocol.md 6.3), keep-alives
 *   between files, as a sender hashing its prefix of a resume would send;
 *   batch 1 offers "a" (a partial file of it is planted, so the PLAN
 *   offers an offset) and f1 (none), sent as bad does, bytes 'A':
 *         kagood    three for "a", 1, 2 and 3 bytes, 300 ms apart, then
 *                   the data as it should (the control)
 *         kastall   one every 200 ms for "a", always 1 byte
 *         kaforever one every 200 ms for "a", a byte more each time
 *         kaover    one for "a" with a byte more than its offset
 *         kaother   one for f1 while "a" is due
 *         kanores   after "a"'s data, one for f1, which has no resume
 *         kadata    one in the middle of "a"'s DATA
 *         kanofeat  KEEPALIVE left out of the HELLO, and one for "a"
 *
 * Prints "plan: ID ACTION OFFSET", "ack: ID STATUS REASON" and "end:
 * CAUSE", and exits 0; 1 on its own errors.
 */
#include "config.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn-int.h"
#include "err.h"
#include "hash-int.h"
#include "identity.h"
#include "link.h"
#include "msg-int.h"
#include "session-int.h"
#include "evil-peer.h"
#include "tls.h"

static struct conn	cs[2], *cp = &cs[0];	/* the stream in use */
#define c (*cp)
static uint64_t		size;
static const char	*mode = "";
static int		 sfd = -1;	/* stream 0's socket */

static void __attribute__((noreturn))
die(const char *what, char *cause)
{
	fprintf(stderr, "evil-pipe: %s: %s\n", what, cause ? cause : "?");
	exit(1);
}

static void
put(struct buf *b)
{
	if (conn_put(&c, b->data, b->len, NULL) != 0)
		die("put", NULL);
	buf_reset(b);
}

/* A keep-alive for id, done bytes hashed, flushed; 0 or -1. */
static int
keepalive(uint32_t id, uint64_t done)
{
	struct msg_keepalive	ka = { id, done };
	struct buf		b;
	int			r;

	buf_init(&b, 0);
	msg_keepalive_encode(&b, &ka);
	r = conn_put(&c, b.data, b.len, NULL) == 0 &&
	    conn_flush(&c, NULL) == 0 ? 0 : -1;
	buf_free(&b);
	return (r);
}

/* The receiver's verdict after a forged keep-alive: its ERROR. */
static void __attribute__((noreturn))
verdict(void)
{
	struct frame	 f;
	char		*cause = NULL;

	while (conn_read(&c, &f, &cause) == 0) {
		if (f.type == FRAME_ERROR) {
			printf("end: ERROR %.*s\n", (int)f.len, f.payload);
			exit(0);
		}
	}
	printf("end: %s\n", cause ? cause : "?");
	exit(0);
}

/*
 * MODE's keep-alives before file i's FILE_BEGIN (offsets: the plans').
 * Those that go on for ever stop when the receiver says something (its
 * ERROR) or closes: the socket becomes readable.
 */
static void
keepalives(int i, const uint64_t *offsets)
{
	struct pollfd	pfd = { sfd, POLLIN, 0 };
	uint64_t	done;

	if (strncmp(mode, "ka", 2) != 0 || strcmp(mode, "kadata") == 0)
		return;
	if (strcmp(mode, "kagood") == 0 && i == 0) {
		for (done = 1; done <= 3; done++) {
			keepalive(0, done);
			poll(NULL, 0, 300);
		}
		return;
	}
	if (strcmp(mode, "kanores") == 0) {
		if (i != 1)
			return;
		keepalive(1, 1);
	} else if (i != 0 || strcmp(mode, "kagood") == 0)
		return;
	else if (strcmp(mode, "kaover") == 0)
		keepalive(0, offsets[0] + 1);
	else if (strcmp(mode, "kaother") == 0)
		keepalive(1, 1);
	else if (strcmp(mode, "kanofeat") == 0)
		keepalive(0, 1);
	else if (strcmp(mode, "kastall") == 0 ||
	    strcmp(mode, "kaforever") == 0) {
		for (done = 1;; done += strcmp(mode, "kaforever") == 0) {
			if (keepalive(0, done) != 0 || poll(&pfd, 1, 200) != 0)
				break;
		}
	} else
		die("mode", strdup(mode));
	verdict();
}

/* Offers n files (the first "a", then f1...) and reads their plans. */
static void
offer(int n, uint64_t *offsets, uint8_t *actions, int64_t mtime)
{
	struct msg_entry	e;
	struct msg_plan		p;
	struct frame		f;
	struct buf		b;
	char			name[32], *cause = NULL;
	int			i;

	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		memset(&e, 0, sizeof e);
		snprintf(name, sizeof name, i == 0 ? "a" : "f%d", i);
		e.id = (uint32_t)i;
		e.type = MSG_ENTRY_FILE;
		/* As a retry would: no delta against batch 1's file. */
		e.flags = mtime != 1700000000 ? MSG_ENTRY_FORCE_WHOLE : 0;
		e.mode = 0644;
		e.size = size;
		e.mtime_sec = mtime;	/* else "identical": SKIP */
		e.path = name;
		e.link = "";
		e.basis = "";
		msg_entry_encode(&b, &e);
		actions[i] = 0xff;
	}
	msg_end_of_batch(&b, FRAME_FILE_ENTRY);
	put(&b);
	if (conn_flush(&c, &cause) != 0)
		die("entries", cause);
	for (;;) {
		if (conn_read(&c, &f, &cause) != 0)
			die("plan", cause);
		if (f.type == FRAME_SIGNATURE)
			continue;	/* a basis's, unused: never planned */
		if (f.type != FRAME_PLAN)
			die("plan", strdup(frame_type_name(f.type)));
		if (f.len == 0)
			break;
		if (msg_plan_decode(&f, &p, &cause) != 0)
			die("plan", cause);
		printf("plan: %u %u %ju\n", p.id, p.action,
		    (uintmax_t)p.offset);
		if (p.id < (uint32_t)n) {
			actions[p.id] = p.action;
			offsets[p.id] = p.offset;
		}
		msg_plan_clear(&p);
	}
	buf_free(&b);
}

/*
 * Sends the files planned WHOLE, all bytes fill, then the data's end;
 * with bad, files 5, 6 and 7 as "bad" says (above).
 */
static void
data(int n, const uint64_t *offsets, const uint8_t *actions, int fill,
    int bad)
{
	static uint8_t		 chunk[65536];
	struct msg_begin	 beg;
	struct msg_end		 end;
	struct hash		*h;
	struct buf		 b;
	uint64_t		 off, len, sent;
	char			*cause = NULL;
	int			 i;

	memset(chunk, fill, sizeof chunk);
	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		if (actions[i] != MSG_PLAN_WHOLE)
			continue;
		keepalives(i, offsets);
		beg.id = (uint32_t)i;
		beg.action = MSG_PLAN_WHOLE;
		beg.offset = offsets[i];
		msg_begin_encode(&b, &beg);
		put(&b);
		h = hash_new();
		sent = size;
		if (bad && i == 5)
			sent = size + 4096;
		else if (bad && i == 6)
			sent = size > 100 ? size - 100 : 0;
		for (off = 0; off < sent; off += len) {
			len = sent - off < sizeof chunk ? sent - off :
			    sizeof chunk;
			hash_update(h, chunk, len);
			if (off + len <= offsets[i])
				continue;
			frame_encode(&b, FRAME_DATA, 0, chunk, len, NULL);
			put(&b);
			if (i == 0 && strcmp(mode, "kadata") == 0) {
				keepalive(0, 1);
				verdict();
			}
		}
		memset(&end, 0, sizeof end);
		end.id = (uint32_t)i;
		end.size = bad && i == 5 ? sent : size;
		end.reason = "";
		hash_digest(h, end.hash);
		if (bad && i == 7)
			end.hash[0] ^= 1;
		hash_free(h);
		msg_end_encode(&b, &end);
		put(&b);
	}
	msg_end_of_batch(&b, FRAME_FILE_BEGIN);
	put(&b);
	buf_free(&b);
	if (conn_flush(&c, &cause) != 0)
		die("data", cause);
}

/* Reads ACKs up to the empty one. */
static void
acks(void)
{
	struct frame	 f;
	struct msg_ack	 a;
	char		*cause = NULL;

	for (;;) {
		if (conn_read(&c, &f, &cause) != 0) {
			printf("end: %s\n", cause ? cause : "?");
			exit(0);
		}
		if (f.type == FRAME_ERROR) {
			printf("end: ERROR %.*s\n", (int)f.len, f.payload);
			exit(0);
		}
		if (f.type != FRAME_ACK || f.len == 0)
			return;
		if (msg_ack_decode(&f, &a, &cause) != 0)
			die("ack", cause);
		printf("ack: %u %u %s\n", a.id, a.status, a.reason ? a.reason :
		    "");
		msg_ack_clear(&a);
	}
}

int
main(int argc, char **argv)
{
	struct identity		*id;
	struct link_params	 p;
	struct tls_conn		*tls[2];
	struct buf		 b;
	struct frame		 f;
	uint64_t		 offsets[64];
	uint8_t			 fp[32], tok[LINK_TOKEN_LEN], actions[64];
	char			*cause = NULL, host[256], *colon;
	const char		*what;
	int			 fd[2], i, r, n;

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 7)
		die("usage", strdup("STATE PEER_FP TOKEN HOST:PORT MODE SIZE"));
	mode = argv[5];
	if (evil_peer_args(argv[1], argv[2], argv[3], &id, fp, tok, &what,
	    &cause) != 0)
		die(what, cause);
	snprintf(host, sizeof host, "%s", argv[4]);
	if ((colon = strrchr(host, ':')) == NULL)
		die("address", strdup("HOST:PORT"));
	*colon = '\0';
	size = strtoull(argv[6], NULL, 10);
	memset(&p, 0, sizeof p);
	p.id = id;
	p.peer_fp = fp;
	p.token = tok;
	n = strcmp(argv[5], "streams") == 0 ? 2 : 1;
	p.streams = n;
	p.timeout_ms = 10000;
	if (link_connect(host, atoi(colon + 1), &p, tls, fd, &cause) != 0)
		die("connect", cause);
	for (i = n - 1; i >= 0; i--) {
		cp = &cs[i];
		if (conn_init(&c, tls[i]) != 0)
			die("conn", NULL);
		if (session_hello(&c, FRAME_FEATURE_STRIPE |
		    (strcmp(mode, "kanofeat") == 0 ? FRAME_FEATURE_KEEPALIVE :
		    0), NULL, &cause) != 0)
			die("hello", cause);
	}
	sfd = fd[0];
	memset(offsets, 0, sizeof offsets);
	if (n == 2) {
		offer(1, offsets, actions, 1700000000);
		data(1, offsets, actions, 'A', 0);
		acks();		/* nothing held before */
		/* Past stream 0's syncfs and checks, into its rename. */
		usleep(150000);
		cp = &cs[1];
		offsets[0] = 0;
		offer(1, offsets, actions, 1700000001);
		data(1, offsets, actions, 'B', 0);
		acks();
		buf_init(&b, 0);
		for (i = 0; i < 2; i++) {
			cp = &cs[i];
			msg_end_of_batch(&b, FRAME_FILE_BEGIN);
			put(&b);
			if (conn_flush(&c, &cause) != 0)
				die("ask", cause);
			printf("stream %d:\n", i);
			acks();
			msg_end_of_batch(&b, FRAME_FILE_ENTRY);
			put(&b);
			conn_flush(&c, &cause);
		}
		for (i = 0; i < 2; i++) {
			cp = &cs[i];
			while (conn_read(&c, &f, &cause) == 0)
				;
		}
		printf("end: done\n");
		return (0);
	}
	if (strcmp(argv[5], "cut") == 0) {
		offer(64, offsets, actions, 1700000000);
		data(64, offsets, actions, 'A', 0);
		acks();		/* the empty ACK: nothing was held */
		printf("end: cut\n");
		_exit(0);	/* no close_notify, mid-commit */
	}
	if (strcmp(argv[5], "bad") == 0 || strncmp(mode, "ka", 2) == 0) {
		n = strcmp(argv[5], "bad") == 0 ? 64 : 2;
		offer(n, offsets, actions, 1700000000);
		data(n, offsets, actions, 'A', n == 64);
		acks();		/* the empty ACK: nothing was held */
		buf_init(&b, 0);
		msg_end_of_batch(&b, FRAME_FILE_BEGIN);
		put(&b);
		if (conn_flush(&c, &cause) != 0)
			die("ask", cause);
		printf("batch 1:\n");
		acks();
		msg_end_of_batch(&b, FRAME_FILE_ENTRY);
		put(&b);
		r = conn_flush(&c, &cause);
		while (r == 0 && (r = conn_read(&c, &f, &cause)) == 0)
			;
		printf("end: done\n");
		return (0);
	}
	if (strcmp(argv[5], "twice") != 0)
		die("mode", strdup(argv[5]));
	offer(1, offsets, actions, 1700000000);
	data(1, offsets, actions, 'A', 0);
	acks();
	offsets[0] = 0;
	offer(1, offsets, actions, 1700000001);
	data(1, offsets, actions, 'B', 0);
	printf("batch 1:\n");
	acks();		/* batch 1's */
	buf_init(&b, 0);
	msg_end_of_batch(&b, FRAME_FILE_BEGIN);
	put(&b);
	if (conn_flush(&c, &cause) != 0)
		die("ask", cause);
	printf("batch 2:\n");
	acks();		/* batch 2's */
	msg_end_of_batch(&b, FRAME_FILE_ENTRY);
	put(&b);
	r = conn_flush(&c, &cause);
	while (r == 0 && (r = conn_read(&c, &f, &cause)) == 0) {
		if (f.type == FRAME_ERROR) {
			printf("end: ERROR %.*s\n", (int)f.len, f.payload);
			return (0);
		}
	}
	printf("end: %s\n", cause ? cause : err_str(r));
	return (0);
}
