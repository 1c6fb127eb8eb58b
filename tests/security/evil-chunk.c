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
 *         huge    chunk 2^32-1 at its own offset (index * chunk size)
 *         zero    chunk 0 announcing 0 bytes
 *         tail    the last chunk with a whole chunk's length, past the
 *                 file's size (give a SIZE that is no multiple of it)
 *         dupdiff chunk 0, then chunk 0 again with other bytes
 *         nest    chunk 0 of id 0 closed by a FILE_END for id 1
 *         mixed   a second, small file (id 1) planned whole: a CHUNK of
 *                 id 0 in the middle of its DATA
 *         nostripe a HELLO without the STRIPE feature, then a CHUNK
 *         early   the same, with the CHUNK before any FILE_ENTRY
 *         prehello a CHUNK instead of a HELLO
 *         short   chunk 0 with half its bytes, then the file's FILE_END
 *         badfile every chunk whole and right, the file's FILE_END with
 *                 a wrong hash of the chunks' hashes
 *         replay  every chunk right, the file's FILE_END, then chunk 0
 *                 again, right, twice as many times as the file has
 *                 chunks (the file closed: each would be read unused)
 *         good    every chunk whole and right, the right file hash (the
 *                 control: the receiver keeps the file)
 *         pipeflush  as good, with feature PIPELINE (6.1): the data's end
 *                 is answered with no ACK (the batch is held); an empty
 *                 FILE_BEGIN then asks for its ACK, and an empty
 *                 FILE_ENTRY ends the session
 *         pipeend the same, but the session is ended without asking
 *                 for the held batch's ACK
 *         windows  EVIL_STREAMS streams (default 2; the others end their
 *                 sessions at once), then batches of 16 striped files of
 *                 SIZE bytes, EVIL_FILES in all (default 48): each gets
 *                 the chunks that fill its write-behind window and one
 *                 more, then a FILE_END saying its source changed.
 *                 With EVIL_WATCH_PID, prints "rss: KB" (that process's
 *                 VmRSS) before the first file and after the last
 *         badslot chunks 0, 2 and 3 right, chunk 1 with a wrong hash
 *                 ('F' bytes): 0 and 2 wait in the write-behind window
 *                 (1 was not checked), 3 lies past it; the file's
 *                 FILE_END, and the ACK
 *         cutslot chunks 0 and 2 right (in the window), then half of
 *                 chunk 1 ('F') and the connection closed
 *         dup2    (EVIL_STREAMS=2) chunk 0 begun on the first stream
 *                 (half its bytes), the whole of chunk 0 ('F' bytes) on
 *                 the second, then the rest of the first's; prints
 *                 "second: CAUSE", how the second stream ended
 *         race    EVIL_STREAMS streams each offer a batch of 16 striped
 *                 files of SIZE bytes at once (ids apart); prints
 *                 "striped: N", the files planned striped in all
 *
 * Prints "plan: ACTION CHUNKSIZE", "ack: STATUS REASON" for an answer to
 * a file, and "end: CAUSE" (what the receiver answered, or how the
 * connection ended) and exits 0; 1 on its own errors.
 */
#include "config.h"

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

/* Set: chunk_as sends a chunk's hash wrong. */
static int	flip_hash;

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

/* A striped file's entry, id and name, of size bytes, into b. */
static void
striped_entry(struct buf *b, uint32_t id, char *name, uint64_t sz)
{
	struct msg_entry	e;

	memset(&e, 0, sizeof e);
	e.id = id;
	e.type = MSG_ENTRY_FILE;
	e.flags = MSG_ENTRY_STRIPE;
	e.mode = 0644;
	e.size = sz;
	e.path = name;
	e.link = "";
	e.basis = "";
	msg_entry_encode(b, &e);
}

/*
 * One chunk header and len bytes of fill (DATA), then a FILE_END for it
 * naming end_id; its hash goes to out when out is not NULL.
 */
static void
chunk_as(struct conn *c, uint32_t id, uint32_t index, uint64_t off,
    uint32_t claim, uint64_t len, int fill, uint32_t end_id, uint8_t *out)
{
	struct msg_chunk	 m = { id, index, off, claim };
	struct msg_end		 end;
	struct buf		 b;
	struct hash		*h = hash_new();
	static uint8_t		 data[65536];
	uint64_t		 done;
	size_t			 n;
	int			 r;

	memset(data, fill, sizeof data);
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
	end.id = end_id;
	end.size = len;
	end.reason = "";
	hash_digest(h, end.hash);
	hash_free(h);
	if (flip_hash)
		end.hash[0] ^= 1;
	if (out != NULL)
		memcpy(out, end.hash, HASH_LEN);
	msg_end_encode(&b, &end);
	if (r == 0)
		put(c, &b);
	buf_free(&b);
}

static void
chunk(struct conn *c, uint32_t id, uint32_t index, uint64_t off,
    uint32_t claim, uint64_t len)
{
	chunk_as(c, id, index, off, claim, len, 'E', id, NULL);
}

/* A file's own FILE_END: size bytes, hash as given. */
static void
file_end(struct conn *c, uint32_t id, uint64_t size, const uint8_t *hash)
{
	struct msg_end	end;
	struct buf	b;

	memset(&end, 0, sizeof end);
	end.id = id;
	end.size = size;
	end.reason = "";
	memcpy(end.hash, hash, HASH_LEN);
	buf_init(&b, 0);
	msg_end_encode(&b, &end);
	put(c, &b);
	buf_free(&b);
}

/*
 * Every chunk of id 0, with their true hashes, then the file's FILE_END
 * with the hash of those hashes (or a wrong one), the end of the data
 * phase, and the ACK printed.
 */
static void
all_chunks(struct conn *c, uint64_t size, uint64_t cs, int wrong,
    int replay)
{
	struct hash	*h = hash_new();
	struct frame	 f;
	struct msg_ack	 ack;
	struct buf	 b;
	uint8_t		 d[HASH_LEN];
	uint64_t	 off, len;
	uint32_t	 i;
	char		*cause = NULL;

	for (i = 0, off = 0; off < size; i++, off += cs) {
		len = size - off < cs ? size - off : cs;
		chunk_as(c, 0, i, off, (uint32_t)len, len, 'E', 0, d);
		hash_update(h, d, HASH_LEN);
	}
	hash_digest(h, d);
	hash_free(h);
	if (wrong)
		d[0] ^= 1;
	file_end(c, 0, size, d);
	/* The closed file's chunk 0 again and again, between files. */
	for (i = 0; replay && i < 2 * ((size + cs - 1) / cs); i++)
		chunk_as(c, 0, 0, 0, (uint32_t)cs, cs, 'E', 0, NULL);
	buf_init(&b, 0);
	frame_encode(&b, FRAME_FILE_BEGIN, 0, NULL, 0, NULL);
	put(c, &b);
	buf_free(&b);
	if (conn_flush(c, &cause) != 0)
		return;
	while (conn_read(c, &f, &cause) == 0 && f.type == FRAME_ACK &&
	    f.len > 0 && msg_ack_decode(&f, &ack, &cause) == 0) {
		printf("ack: %u %s\n", ack.status, ack.reason ? ack.reason :
		    "");
		msg_ack_clear(&ack);
	}
}

/* VmRSS of process pid in KiB, 0 when it cannot be read. */
static unsigned long
rss_of(const char *pid)
{
	char		 path[64], line[256];
	unsigned long	 kb = 0;
	FILE		*fp;

	snprintf(path, sizeof path, "/proc/%s/status", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return (0);
	while (fgets(line, sizeof line, fp) != NULL)
		if (sscanf(line, "VmRSS: %lu", &kb) == 1)
			break;
	fclose(fp);
	return (kb);
}

/*
 * Mode windows: batches of striped files whose windows are filled and
 * then given up; the receiver must not keep a window past its file.
 */
static void
windows(struct conn *c, uint64_t size, const char *env_files)
{
	struct msg_plan		 plan;
	struct msg_begin	 beg;
	struct msg_end		 end;
	struct msg_ack		 ack;
	struct frame		 f;
	struct buf		 b;
	const char		*watch = getenv("EVIL_WATCH_PID");
	char			 name[32], *cause = NULL;
	uint64_t		 cs[16], off, len;
	uint32_t		 nfiles, id, first, i, k, n, striped;

	nfiles = env_files != NULL ? (uint32_t)atoi(env_files) : 48;
	buf_init(&b, 0);
	if (watch != NULL)
		printf("rss: %lu\n", rss_of(watch));
	for (first = 0; first < nfiles; first += n) {
		n = nfiles - first < 16 ? nfiles - first : 16;
		for (i = 0; i < n; i++) {
			snprintf(name, sizeof name, "w%u.bin", first + i);
			striped_entry(&b, first + i, name, size);
		}
		msg_end_of_batch(&b, FRAME_FILE_ENTRY);
		if (put(c, &b) != 0 || conn_flush(c, &cause) != 0)
			die("entries", cause);
		memset(cs, 0, sizeof cs);
		striped = 0;
		for (;;) {
			if (conn_read(c, &f, &cause) != 0)
				die("plan", cause);
			if (f.type == FRAME_PLAN && f.len == 0)
				break;
			if (f.type != FRAME_PLAN)
				continue;
			if (msg_plan_decode(&f, &plan, &cause) != 0)
				die("plan", cause);
			if (plan.action == MSG_PLAN_STRIPE &&
			    plan.id >= first && plan.id < first + n) {
				cs[plan.id - first] = plan.offset;
				striped++;
			}
		}
		printf("striped: %u of %u\n", striped, n);
		for (i = 0; i < n; i++) {
			id = first + i;
			beg.id = id;
			beg.action = cs[i] != 0 ? MSG_PLAN_STRIPE :
			    MSG_PLAN_WHOLE;
			beg.offset = 0;
			msg_begin_encode(&b, &beg);
			if (put(c, &b) != 0)
				die("begin", NULL);
			/* The window is at most 4 MiB: one chunk past it. */
			for (k = 0, off = 0; cs[i] != 0 && off < size &&
			    k <= (4U << 20) / cs[i]; k++, off += cs[i]) {
				len = size - off < cs[i] ? size - off : cs[i];
				chunk_as(c, id, k, off, (uint32_t)len, len, 'E',
				    id, NULL);
			}
			memset(&end, 0, sizeof end);
			end.id = id;
			end.status = MSG_END_CHANGED;
			end.reason = "changed";
			msg_end_encode(&b, &end);
			if (put(c, &b) != 0)
				die("end", NULL);
		}
		frame_encode(&b, FRAME_FILE_BEGIN, 0, NULL, 0, NULL);
		if (put(c, &b) != 0 || conn_flush(c, &cause) != 0)
			die("flush", cause);
		while (conn_read(c, &f, &cause) == 0 && f.type == FRAME_ACK &&
		    f.len > 0 && msg_ack_decode(&f, &ack, &cause) == 0)
			msg_ack_clear(&ack);
	}
	if (watch != NULL)
		printf("rss: %lu\n", rss_of(watch));
	fflush(stdout);
	frame_encode(&b, FRAME_FILE_ENTRY, 0, NULL, 0, NULL);
	put(c, &b);
	buf_free(&b);
}

/*
 * Mode race: every stream's batch of 16 striped files is sent before any
 * plan is read, so that the receiver's streams plan them at once.
 */
static void
race(struct tls_conn **tls, int n, uint64_t size)
{
	struct conn		 c[16];
	struct msg_plan		 plan;
	struct frame		 f;
	struct buf		 b;
	char			 name[32], *cause = NULL;
	unsigned int		 striped = 0;
	int			 i, k;

	buf_init(&b, 0);
	for (i = 0; i < n; i++)
		if (conn_init(&c[i], tls[i]) != 0 ||
		    session_hello(&c[i], 0, NULL, &cause) != 0)
			die("hello", cause);
	for (i = 0; i < n; i++) {
		for (k = 0; k < 16; k++) {
			snprintf(name, sizeof name, "r%d-%d.bin", i, k);
			striped_entry(&b, (uint32_t)(i * 16 + k), name, size);
		}
		msg_end_of_batch(&b, FRAME_FILE_ENTRY);
		if (put(&c[i], &b) != 0 || conn_flush(&c[i], &cause) != 0)
			die("entries", cause);
	}
	for (i = 0; i < n; i++)
		for (;;) {
			if (conn_read(&c[i], &f, &cause) != 0)
				die("plan", cause);
			if (f.type == FRAME_PLAN && f.len == 0)
				break;
			if (f.type != FRAME_PLAN)
				continue;
			if (msg_plan_decode(&f, &plan, &cause) != 0)
				die("plan", cause);
			striped += plan.action == MSG_PLAN_STRIPE;
		}
	printf("striped: %u\n", striped);
	fflush(stdout);
	buf_free(&b);
}

/* A HELLO that does not offer striping, as an older sender's. */
static void
hello_plain(struct conn *c)
{
	struct frame_hello	 ours = { FRAME_PROTO_VERSION, 0 };
	struct frame		 f;
	struct buf		 b;
	char			*cause = NULL;

	buf_init(&b, 0);
	if (frame_hello_encode(&b, &ours, &cause) != 0 || put(c, &b) != 0 ||
	    conn_flush(c, &cause) != 0 ||
	    conn_expect(c, FRAME_HELLO, &f, &cause) != 0)
		die("hello", cause);
	buf_free(&b);
}

int
main(int argc, char **argv)
{
	struct identity		*id;
	struct link_params	 p;
	struct tls_conn		*tls[16];
	struct conn		 c;
	struct msg_entry	 e;
	struct msg_plan		 plan;
	struct msg_begin	 beg;
	struct frame		 f;
	struct buf		 b, b0;
	uint8_t			 fp[32], tok[LINK_TOKEN_LEN];
	uint64_t		 size, cs;
	char			*cause = NULL, host[256], *colon, *mode;
	struct msg_ack		 ack;
	static uint8_t		 fill[65536];
	const char		*what;
	int			 fd[16], i, r, plain, pipe;

	signal(SIGPIPE, SIG_IGN);
	buf_init(&b0, 0);
	if (argc != 8)
		die("usage", strdup("STATE PEER_FP TOKEN HOST:PORT REL SIZE "
		    "MODE"));
	if (evil_peer_args(argv[1], argv[2], argv[3], &id, fp, tok, &what,
	    &cause) != 0)
		die(what, cause);
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
	/* More streams (windows, race, badslot, cutslot): see above. */
	if (getenv("EVIL_STREAMS") != NULL)
		p.streams = atoi(getenv("EVIL_STREAMS"));
	if (p.streams < 1 || p.streams > 16)
		die("EVIL_STREAMS", strdup("1 to 16"));
	p.timeout_ms = 10000;
	if (link_connect(host, atoi(colon + 1), &p, tls, fd, &cause) != 0)
		die("connect", cause);
	if (strcmp(argv[7], "race") == 0) {
		race(tls, p.streams, size);
		return (0);
	}
	/* The streams past the first end their sessions at once. */
	for (i = 1; i < p.streams && strcmp(mode, "dup2") != 0; i++) {
		if (conn_init(&c, tls[i]) != 0 ||
		    session_hello(&c, 0, NULL, &cause) != 0)
			die("hello", cause);
		frame_encode(&b0, FRAME_FILE_ENTRY, 0, NULL, 0, NULL);
		if (put(&c, &b0) != 0 || conn_flush(&c, &cause) != 0)
			die("end", cause);
		conn_free(&c);
	}
	if (conn_init(&c, tls[0]) != 0)
		die("conn", NULL);
	plain = strcmp(mode, "nostripe") == 0 || strcmp(mode, "early") == 0;
	pipe = strncmp(mode, "pipe", 4) == 0;
	buf_init(&b, 0);
	if (strcmp(mode, "prehello") == 0) {
		struct msg_chunk	m = { 0, 0, 0, 4U << 20 };

		msg_chunk_encode(&b, &m);
		put(&c, &b);
		goto answer;
	}
	if (plain)
		hello_plain(&c);
	else if (session_hello(&c, pipe ? 0 : FRAME_FEATURE_PIPELINE, NULL,
	    &cause) != 0)
		die("hello", cause);
	if (strcmp(mode, "windows") == 0) {
		windows(&c, size, getenv("EVIL_FILES"));
		goto answer;
	}
	if (strcmp(mode, "early") == 0) {
		struct msg_chunk	m = { 0, 0, 0, 4U << 20 };

		msg_chunk_encode(&b, &m);
		put(&c, &b);
		goto answer;
	}
	memset(&e, 0, sizeof e);
	e.id = 0;
	e.type = MSG_ENTRY_FILE;
	e.flags = MSG_ENTRY_STRIPE;
	e.mode = 0644;
	e.size = size;
	e.path = argv[5];
	e.link = "";
	e.basis = "";
	msg_entry_encode(&b, &e);
	if (strcmp(mode, "mixed") == 0) {
		e.id = 1;
		e.flags = 0;
		e.size = 65536;
		e.path = "small.bin";
		msg_entry_encode(&b, &e);
	}
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
	beg.id = strcmp(mode, "mixed") == 0 ? 1 : 0;
	beg.action = beg.id == 1 ? MSG_PLAN_WHOLE : MSG_PLAN_STRIPE;
	beg.offset = 0;
	/* Without striping the CHUNK comes where a FILE_BEGIN should. */
	if (!plain)
		msg_begin_encode(&b, &beg);
	if (beg.id == 1) {
		/* Some of the whole file's DATA first. */
		memset(fill, 'W', sizeof fill);
		frame_encode(&b, FRAME_DATA, 0, fill, sizeof fill, NULL);
	}
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
	else if (strcmp(mode, "huge") == 0)
		chunk(&c, 0, UINT32_MAX, (uint64_t)UINT32_MAX * cs,
		    (uint32_t)cs, cs);
	else if (strcmp(mode, "zero") == 0)
		chunk(&c, 0, 0, 0, 0, 0);
	else if (strcmp(mode, "tail") == 0)
		chunk(&c, 0, (uint32_t)(size / cs), size / cs * cs,
		    (uint32_t)cs, cs);
	else if (strcmp(mode, "dupdiff") == 0) {
		chunk(&c, 0, 0, 0, (uint32_t)cs, cs);
		chunk_as(&c, 0, 0, 0, (uint32_t)cs, cs, 'F', 0, NULL);
	} else if (strcmp(mode, "nest") == 0)
		chunk_as(&c, 0, 0, 0, (uint32_t)cs, cs, 'E', 1, NULL);
	else if (strcmp(mode, "mixed") == 0 || plain)
		chunk(&c, 0, 0, 0, 4U << 20, 4U << 20);
	else if (strcmp(mode, "badslot") == 0) {
		uint8_t	zero[HASH_LEN] = { 0 };

		chunk(&c, 0, 0, 0, (uint32_t)cs, cs);
		flip_hash = 1;
		chunk_as(&c, 0, 1, cs, (uint32_t)cs, cs, 'F', 0, NULL);
		flip_hash = 0;
		chunk(&c, 0, 2, 2 * cs, (uint32_t)cs, cs);
		chunk(&c, 0, 6, 6 * cs, (uint32_t)cs, cs);
		file_end(&c, 0, size, zero);
		buf_reset(&b);
		frame_encode(&b, FRAME_FILE_BEGIN, 0, NULL, 0, NULL);
		put(&c, &b);
		if (conn_flush(&c, &cause) == 0 &&
		    conn_expect(&c, FRAME_ACK, &f, &cause) == 0 &&
		    msg_ack_decode(&f, &ack, &cause) == 0)
			printf("ack: %u %s\n", ack.status, ack.reason ?
			    ack.reason : "");
	} else if (strcmp(mode, "cutslot") == 0) {
		struct msg_chunk	m = { 0, 1, cs, (uint32_t)cs };

		chunk(&c, 0, 0, 0, (uint32_t)cs, cs);
		chunk(&c, 0, 2, 2 * cs, (uint32_t)cs, cs);
		msg_chunk_encode(&b, &m);
		memset(fill, 'F', sizeof fill);
		for (i = 0; (uint64_t)(i + 1) * sizeof fill <= cs / 2; i++)
			frame_encode(&b, FRAME_DATA, 0, fill, sizeof fill,
			    NULL);
		put(&c, &b);
		conn_flush(&c, &cause);
		printf("cut\n");
		fflush(stdout);
		return (0);
	} else if (strcmp(mode, "dup2") == 0 && p.streams == 2) {
		struct msg_chunk	m = { 0, 0, 0, (uint32_t)cs };
		struct conn		c2;
		struct hash		*h = hash_new();
		struct msg_end		end;
		uint64_t		done;

		msg_chunk_encode(&b, &m);
		memset(fill, 'E', sizeof fill);
		for (done = 0; done < cs / 2; done += sizeof fill) {
			frame_encode(&b, FRAME_DATA, 0, fill, sizeof fill,
			    NULL);
			hash_update(h, fill, sizeof fill);
		}
		put(&c, &b);
		conn_flush(&c, &cause);
		usleep(300000);
		if (conn_init(&c2, tls[1]) != 0 ||
		    session_hello(&c2, 0, NULL, &cause) != 0)
			die("hello", cause);
		chunk_as(&c2, 0, 0, 0, (uint32_t)cs, cs, 'F', 0, NULL);
		r = conn_flush(&c2, &cause);
		while (r == 0 && (r = conn_read(&c2, &f, &cause)) == 0)
			if (f.type == FRAME_ERROR) {
				printf("second: ERROR %.*s\n", (int)f.len,
				    f.payload);
				break;
			}
		if (r != 0)
			printf("second: %s\n", cause ? cause : err_str(r));
		for (; done < cs; done += sizeof fill) {
			frame_encode(&b, FRAME_DATA, 0, fill, sizeof fill,
			    NULL);
			hash_update(h, fill, sizeof fill);
		}
		memset(&end, 0, sizeof end);
		end.id = 0;
		end.size = cs;
		end.reason = "";
		hash_digest(h, end.hash);
		hash_free(h);
		msg_end_encode(&b, &end);
		put(&c, &b);
		memset(end.hash, 0, sizeof end.hash);
		file_end(&c, 0, size, end.hash);
		frame_encode(&b, FRAME_FILE_BEGIN, 0, NULL, 0, NULL);
		put(&c, &b);
		if (conn_flush(&c, &cause) == 0 &&
		    conn_expect(&c, FRAME_ACK, &f, &cause) == 0 &&
		    msg_ack_decode(&f, &ack, &cause) == 0)
			printf("ack: %u %s\n", ack.status, ack.reason ?
			    ack.reason : "");
	} else if (strcmp(mode, "short") == 0) {
		uint8_t	zero[HASH_LEN] = { 0 };

		chunk_as(&c, 0, 0, 0, (uint32_t)cs, cs / 2, 'E', 0, NULL);
		file_end(&c, 0, size, zero);
		buf_reset(&b);
		frame_encode(&b, FRAME_FILE_BEGIN, 0, NULL, 0, NULL);
		put(&c, &b);
		if (conn_flush(&c, &cause) == 0 &&
		    conn_expect(&c, FRAME_ACK, &f, &cause) == 0 &&
		    msg_ack_decode(&f, &ack, &cause) == 0)
			printf("ack: %u %s\n", ack.status, ack.reason ?
			    ack.reason : "");
	} else if (strcmp(mode, "badfile") == 0 || strcmp(mode, "good") == 0 ||
	    strcmp(mode, "replay") == 0)
		all_chunks(&c, size, cs, strcmp(mode, "badfile") == 0,
		    strcmp(mode, "replay") == 0);
	else if (pipe) {
		all_chunks(&c, size, cs, 0, 0);
		printf("held\n");
		if (strcmp(mode, "pipeflush") == 0) {
			/* A batch of nothing: the held batch's ACKs come. */
			frame_encode(&b, FRAME_FILE_BEGIN, 0, NULL, 0, NULL);
			put(&c, &b);
			if (conn_flush(&c, &cause) != 0)
				die("flush", cause);
			while (conn_read(&c, &f, &cause) == 0 &&
			    f.type == FRAME_ACK && f.len > 0 &&
			    msg_ack_decode(&f, &ack, &cause) == 0) {
				printf("ack: %u %s\n", ack.status,
				    ack.reason ? ack.reason : "");
				msg_ack_clear(&ack);
			}
		}
		frame_encode(&b, FRAME_FILE_ENTRY, 0, NULL, 0, NULL);
		put(&c, &b);
	} else
		die("mode", strdup(mode));
answer:
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
