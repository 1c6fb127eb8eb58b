/*
 * evil-chunk: a data-plane sender that forges the chunks of a striped
 * file (docs/protocol.md 6.7), for tests/security/stripe-forged.sh. It
 * speaks the real session over pinned TLS to a ferry-peer receiver: one
 * stream, one file entry REL of SIZE bytes offered striped; once the
 * receiver plans it STRIPE it sends one forged chunk:
 *
 *   evil-chunk STATE PEER_FP TOKEN_HEX HOST:PORT REL SIZE MODE
 *
 *   MODE  far     chunk 0 claiming an offset of 2^40 (outside the file)
 *         long    chunk 0 with the length of two chunks
 *         over    chunk 0 with its own length, then DATA past it
 *         index   a chunk number past the file's last
 *         twice   chunk 0, then chunk 0 again
 *         stray   a chunk of an id that was never planned striped
 *
 * Prints "plan: ACTION CHUNKSIZE" and "end: CAUSE" (what the receiver
 * answered, or how the connection ended) and exits 0; 1 on its own
 * errors.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn-int.h"
#include "err.h"
#include "hash-int.h"
#include "identity.h"
#include "link.h"
#include "msg-int.h"
#include "session-int.h"
#include "tls.h"

static void __attribute__((noreturn))
die(const char *what, char *cause)
{
	fprintf(stderr, "evil-chunk: %s: %s\n", what, cause ? cause : "?");
	exit(1);
}

/* A receiver that cut us off mid-chunk is what the test wants to see. */
static int
put(struct conn *c, struct buf *b)
{
	int	r = conn_put(c, b->data, b->len, NULL);

	buf_reset(b);
	return (r);
}

/* One chunk header and len bytes of DATA, then a FILE_END for it. */
static void
chunk(struct conn *c, uint32_t id, uint32_t index, uint64_t off,
    uint32_t claim, uint64_t len)
{
	struct msg_chunk	 m = { id, index, off, claim };
	struct msg_end		 end;
	struct buf		 b;
	struct hash		*h = hash_new();
	static uint8_t		 data[65536];
	uint64_t		 done;
	size_t			 n;
	int			 r;

	memset(data, 'E', sizeof data);
	buf_init(&b, 0);
	msg_chunk_encode(&b, &m);
	r = put(c, &b);
	for (done = 0; r == 0 && done < len; done += n) {
		n = len - done < sizeof data ? (size_t)(len - done) :
		    sizeof data;
		hash_update(h, data, n);
		frame_encode(&b, FRAME_DATA, 0, data, n, NULL);
		r = put(c, &b);
	}
	/* The chunk's true hash: only its place or size is forged. */
	memset(&end, 0, sizeof end);
	end.id = id;
	end.size = len;
	end.reason = "";
	hash_digest(h, end.hash);
	hash_free(h);
	msg_end_encode(&b, &end);
	if (r == 0)
		put(c, &b);
	buf_free(&b);
}

int
main(int argc, char **argv)
{
	struct identity		*id;
	struct link_params	 p;
	struct tls_conn		*tls;
	struct conn		 c;
	struct msg_entry	 e;
	struct msg_plan		 plan;
	struct msg_begin	 beg;
	struct frame		 f;
	struct buf		 b;
	uint8_t			 fp[32], tok[LINK_TOKEN_LEN];
	uint64_t		 size, cs;
	char			*cause = NULL, host[256], *colon, *mode;
	unsigned int		 v;
	int			 fd, i, r;

	signal(SIGPIPE, SIG_IGN);
	if (argc != 8)
		die("usage", strdup("STATE PEER_FP TOKEN HOST:PORT REL SIZE "
		    "MODE"));
	if (identity_load_dir(argv[1], &id, &cause) != 0)
		die(argv[1], cause);
	if (identity_fp_parse(argv[2], fp, &cause) != 0)
		die("peer fp", cause);
	for (i = 0; i < LINK_TOKEN_LEN; i++) {
		if (sscanf(argv[3] + 2 * i, "%2x", &v) != 1)
			die("token", strdup("bad hex"));
		tok[i] = (uint8_t)v;
	}
	snprintf(host, sizeof host, "%s", argv[4]);
	if ((colon = strrchr(host, ':')) == NULL)
		die("address", strdup("HOST:PORT"));
	*colon = '\0';
	size = strtoull(argv[6], NULL, 10);
	mode = argv[7];
	memset(&p, 0, sizeof p);
	p.id = id;
	p.peer_fp = fp;
	p.token = tok;
	p.streams = 1;
	p.timeout_ms = 10000;
	if (link_connect(host, atoi(colon + 1), &p, &tls, &fd, &cause) != 0)
		die("connect", cause);
	if (conn_init(&c, tls) != 0 || session_hello(&c, NULL, &cause) != 0)
		die("hello", cause);
	memset(&e, 0, sizeof e);
	e.id = 0;
	e.type = MSG_ENTRY_FILE;
	e.flags = MSG_ENTRY_STRIPE;
	e.mode = 0644;
	e.size = size;
	e.path = argv[5];
	e.link = "";
	e.basis = "";
	buf_init(&b, 0);
	msg_entry_encode(&b, &e);
	msg_end_of_batch(&b, FRAME_FILE_ENTRY);
	if (put(&c, &b) != 0 || conn_flush(&c, &cause) != 0 ||
	    conn_expect(&c, FRAME_PLAN, &f, &cause) != 0 ||
	    msg_plan_decode(&f, &plan, &cause) != 0)
		die("plan", cause);
	printf("plan: %u %ju\n", plan.action, (uintmax_t)plan.offset);
	cs = plan.offset;
	/* The chunk map, then the end of the plans. */
	do
		if (conn_read(&c, &f, &cause) != 0)
			die("plan", cause);
	while (f.type != FRAME_PLAN || f.len != 0);
	beg.id = 0;
	beg.action = MSG_PLAN_STRIPE;
	beg.offset = 0;
	msg_begin_encode(&b, &beg);
	if (put(&c, &b) != 0)
		die("begin", NULL);
	if (strcmp(mode, "far") == 0)
		chunk(&c, 0, 0, 1ULL << 40, (uint32_t)cs, cs);
	else if (strcmp(mode, "long") == 0)
		chunk(&c, 0, 0, 0, (uint32_t)(2 * cs), 2 * cs);
	else if (strcmp(mode, "over") == 0)
		chunk(&c, 0, 0, 0, (uint32_t)cs, cs + 65536);
	else if (strcmp(mode, "index") == 0)
		chunk(&c, 0, (uint32_t)((size + cs - 1) / cs), size,
		    (uint32_t)cs, cs);
	else if (strcmp(mode, "twice") == 0) {
		chunk(&c, 0, 0, 0, (uint32_t)cs, cs);
		chunk(&c, 0, 0, 0, (uint32_t)cs, cs);
	} else if (strcmp(mode, "stray") == 0)
		chunk(&c, 7, 0, 0, (uint32_t)cs, cs);
	else
		die("mode", strdup(mode));
	/* Whatever the receiver says now: an ERROR, or the end. */
	r = conn_flush(&c, &cause);
	while (r == 0 && (r = conn_read(&c, &f, &cause)) == 0) {
		if (f.type == FRAME_ERROR) {
			printf("end: ERROR %.*s\n", (int)f.len, f.payload);
			break;
		}
	}
	if (r != 0)
		printf("end: %s\n", cause ? cause : err_str(r));
	fflush(stdout);
	return (0);
}
