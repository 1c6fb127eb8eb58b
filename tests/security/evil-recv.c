/*
 * evil-recv: a data-plane receiver that forges its answers (PLAN and ACK
 * frames, docs/protocol.md 6.1), for tests/security/answers-forged.sh. It
 * listens as ferry-peer recv does (prints "listening PORT"), takes one
 * stream over pinned TLS with feature PIPELINE agreed (STRIPE left out)
 * and stores nothing:
 *
 *   evil-recv STATE PEER_FP TOKEN_HEX PEER_ADDR MODE
 *
 *   MODE  good      plans every file WHOLE and answers each with a DONE
 *                   ACK when its batch's ACKs are asked for (the control:
 *                   the sender believes it and is content)
 *         noplan    sends no PLAN at all, only the empty one
 *         dupplan   plans each file WHOLE, then again SKIP
 *         stray     as good, plus an ACK for id 999999, never offered
 *         dupack    as good, with the first file's ACK sent twice
 *         noack     answers the held batch with the empty ACK alone
 *         early     ACKs a batch at the end of its own data, as if
 *                   PIPELINE were not agreed (nothing is held yet)
 *
 *   With feature KEEPALIVE agreed (docs/protocol.md 6.3), keep-alives
 *   before the plans of a batch, for the first entry offered:
 *         kagood    three, with 1, 2 and 3 bytes hashed, 300 ms apart,
 *                   then plans as good does (the control)
 *         kastall   one every 200 ms, always 1 byte: no progress
 *         kaforever one every 200 ms, a byte more each time, for ever
 *         kaover    one with a byte more than the entry's size
 *         kaafter   the first entry's PLAN, then a keep-alive for it
 *         kaother   one for the second entry, the first unanswered
 *         kaack     plans as good does, and a keep-alive where the
 *                   ACKs are asked for
 *         kanofeat  KEEPALIVE left out of the HELLO, and one sent
 *
 * Prints "end: CAUSE" (the sender's ERROR, or how the session ended) and
 * exits 0; 1 on its own errors.
 */
#include "config.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn-int.h"
#include "err.h"
#include "identity.h"
#include "link.h"
#include "msg-int.h"
#include "session-int.h"
#include "evil-peer.h"
#include "tls.h"

#define MAXIDS	4096

static const char	*mode;

static void __attribute__((noreturn))
die(const char *what, char *cause)
{
	fprintf(stderr, "evil-recv: %s: %s\n", what, cause ? cause : "?");
	exit(1);
}

static void __attribute__((noreturn))
finish(struct frame *f, int r, char *cause)
{
	if (r == 0 && f->type == FRAME_ERROR)
		printf("end: ERROR %.*s\n", (int)f->len, f->payload);
	else if (r == 0)
		printf("end: %s\n", frame_type_name(f->type));
	else
		printf("end: %s\n", cause ? cause : err_str(r));
	fflush(stdout);
	exit(0);
}

static void
put(struct conn *c, struct buf *b)
{
	conn_put(c, b->data, b->len, NULL);
	buf_reset(b);
}

static void
ack(struct buf *b, uint32_t id)
{
	struct msg_ack	a = { id, MSG_ACK_DONE, "" };

	msg_ack_encode(b, &a);
}

/* A keep-alive for id, done bytes hashed, flushed; 0 or -1. */
static int
keepalive(struct conn *c, uint32_t id, uint64_t done)
{
	struct msg_keepalive	ka = { id, done };
	struct buf		b;
	int			r;

	buf_init(&b, 0);
	msg_keepalive_encode(&b, &ka);
	r = conn_put(c, b.data, b.len, NULL) == 0 &&
	    conn_flush(c, NULL) == 0 ? 0 : -1;
	buf_free(&b);
	return (r);
}

/*
 * The keep-alives of MODE before a batch's plans (ids, sizes: n of them).
 * Those that go on for ever stop only when the sender says something (its
 * ERROR) or closes: fd becomes readable, and that is read and printed.
 */
static void
keepalives(struct conn *c, int fd, const uint32_t *ids,
    const uint64_t *sizes, size_t n)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	struct frame	f;
	char		*cause = NULL;
	uint64_t	done;
	int		r;

	if (strcmp(mode, "kagood") == 0) {
		for (done = 1; done <= 3; done++) {
			keepalive(c, ids[0], done);
			poll(NULL, 0, 300);
		}
		return;
	}
	if (strcmp(mode, "kaover") == 0)
		keepalive(c, ids[0], sizes[0] + 1);
	else if (strcmp(mode, "kaother") == 0 && n > 1)
		keepalive(c, ids[1], 1);
	else if (strcmp(mode, "kanofeat") == 0)
		keepalive(c, ids[0], 1);
	else if (strcmp(mode, "kastall") == 0 ||
	    strcmp(mode, "kaforever") == 0) {
		for (done = 1;; done += strcmp(mode, "kaforever") == 0) {
			if (keepalive(c, ids[0], done) != 0 ||
			    poll(&pfd, 1, 200) != 0)
				break;
		}
	} else
		return;
	/* Then the sender's verdict. */
	if ((r = conn_read(c, &f, &cause)) != 0)
		finish(&f, r, cause);
	finish(&f, 0, NULL);
}

/* Answers the n ids of a batch as MODE says, then the empty ACK. */
static void
answer(struct conn *c, const uint32_t *ids, size_t n)
{
	struct buf	b;
	size_t		i;

	buf_init(&b, 0);
	if (strcmp(mode, "kaack") == 0 && n > 0)
		keepalive(c, ids[0], 1);
	for (i = 0; strcmp(mode, "noack") != 0 && i < n; i++) {
		ack(&b, ids[i]);
		if (i == 0 && strcmp(mode, "dupack") == 0)
			ack(&b, ids[i]);
	}
	if (n > 0 && strcmp(mode, "stray") == 0)
		ack(&b, 999999);
	msg_end_of_batch(&b, FRAME_ACK);
	put(c, &b);
	conn_flush(c, NULL);
	buf_free(&b);
}

int
main(int argc, char **argv)
{
	struct identity		*id;
	struct link_params	 p;
	struct link_listener	*l;
	struct tls_conn		*tls;
	struct conn		 c;
	struct msg_entry	 e;
	struct msg_plan		 plan;
	struct msg_begin	 beg;
	struct frame		 f;
	struct buf		 b;
	uint8_t			 fp[32], tok[LINK_TOKEN_LEN];
	uint32_t		 ids[MAXIDS], held[MAXIDS], sent[MAXIDS];
	uint64_t		 sizes[MAXIDS];
	size_t			 n, nheld = 0, nsent, i;
	char			*cause = NULL;
	const char		*what;
	int			 fd, r, port;

	signal(SIGPIPE, SIG_IGN);
	if (argc != 6)
		die("usage", strdup("STATE PEER_FP TOKEN PEER_ADDR MODE"));
	mode = argv[5];
	if (evil_peer_args(argv[1], argv[2], argv[3], &id, fp, tok, &what,
	    &cause) != 0)
		die(what, cause);
	memset(&p, 0, sizeof p);
	p.id = id;
	p.peer_fp = fp;
	p.token = tok;
	p.streams = 1;
	p.timeout_ms = 10000;
	if (link_listen("127.0.0.1", LINK_PORT_FIRST, LINK_PORT_LAST, argv[4],
	    &l, &port, &cause) != 0)
		die("listen", cause);
	printf("listening %d\n", port);
	fflush(stdout);
	if (link_accept(l, &p, &tls, &fd, &cause) != 0)
		die("accept", cause);
	link_listener_free(l);
	if (conn_init(&c, tls) != 0)
		die("conn", NULL);
	if (session_hello(&c, FRAME_FEATURE_STRIPE |
	    (strcmp(mode, "kanofeat") == 0 ? FRAME_FEATURE_KEEPALIVE : 0),
	    NULL, &cause) != 0)
		die("hello", cause);
	buf_init(&b, 0);
	for (;;) {
		/* A batch: its entries, an empty FILE_BEGIN, or the end. */
		for (n = 0;;) {
			if ((r = conn_read(&c, &f, &cause)) != 0)
				finish(&f, r, cause);
			if (n == 0 && f.type == FRAME_FILE_BEGIN && f.len == 0)
				break;
			if (f.type != FRAME_FILE_ENTRY)
				finish(&f, 0, NULL);
			if (f.len == 0)
				break;
			if (msg_entry_decode(&f, &e, &cause) != 0)
				die("entry", cause);
			if (n < MAXIDS) {
				sizes[n] = e.size;
				ids[n++] = e.id;
			}
			msg_entry_clear(&e);
		}
		if (n == 0 && f.type == FRAME_FILE_ENTRY)
			finish(&f, 0, NULL);	/* the session's end */
		if (n == 0) {
			/* Asked for the held batch's ACKs. */
			answer(&c, held, nheld);
			nheld = 0;
			continue;
		}
		if (strcmp(mode, "kaafter") != 0)
			keepalives(&c, fd, ids, sizes, n);
		for (i = 0; i < n; i++) {
			memset(&plan, 0, sizeof plan);
			plan.id = ids[i];
			plan.reason = "";
			plan.action = MSG_PLAN_WHOLE;
			if (strcmp(mode, "noplan") != 0)
				msg_plan_encode(&b, &plan);
			plan.action = MSG_PLAN_SKIP;
			if (strcmp(mode, "dupplan") == 0)
				msg_plan_encode(&b, &plan);
		}
		if (strcmp(mode, "kaafter") == 0) {
			put(&c, &b);
			keepalive(&c, ids[0], 1);
		}
		msg_end_of_batch(&b, FRAME_PLAN);
		put(&c, &b);
		if (conn_flush(&c, &cause) != 0)
			die("plans", cause);
		/* The data: every FILE_BEGIN noted, up to the empty one. */
		for (nsent = 0;;) {
			if ((r = conn_read(&c, &f, &cause)) != 0)
				finish(&f, r, cause);
			if (f.type == FRAME_ERROR)
				finish(&f, 0, NULL);
			if (f.type != FRAME_FILE_BEGIN)
				continue;
			if (f.len == 0)
				break;
			if (msg_begin_decode(&f, &beg, &cause) != 0)
				die("begin", cause);
			if (nsent < MAXIDS)
				sent[nsent++] = beg.id;
		}
		if (strcmp(mode, "early") == 0) {
			answer(&c, sent, nsent);
			continue;
		}
		answer(&c, held, nheld);
		memcpy(held, sent, nsent * sizeof *sent);
		nheld = nsent;
	}
}
