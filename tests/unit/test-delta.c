/*
 * The librsync jobs: signature -> delta -> patch reproduces the new file
 * for many sizes and kinds of change, bad input is refused, and the
 * formats agree with the real rdiff tool in both directions.
 */
#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blockmap-int.h"
#include "buf.h"
#include "delta-int.h"
#include "err.h"
#include "hash-int.h"
#include "inplace.h"
#include "test.h"

/* xxHash's portable code, compiled into this test as the reference. */
#define XXH_INLINE_ALL
#define XXH_VECTOR	0	/* XXH_SCALAR */
#include <xxhash.h>

static char	tmpdir[] = "/tmp/ferry-test-delta.XXXXXX";
static uint64_t	rng_state = 88172645463325252ULL;

static uint8_t
rng_byte(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return ((uint8_t)rng_state);
}

static int
sink_buf(void *arg, const void *data, size_t len)
{
	return (buf_add(arg, data, len));
}

/* Runs job d over in, fed in chunks of chunk bytes, into out. */
static int
run_job(struct delta *d, const struct buf *in, size_t chunk, struct buf *out)
{
	size_t	off = 0, n;
	char	*cause = NULL;
	int	r;

	do {
		n = in->len - off < chunk ? in->len - off : chunk;
		r = delta_push(d, in->data ? in->data + off : "", n,
		    off + n == in->len, sink_buf, out, &cause);
		off += n;
	} while (r == 0 && off < in->len);
	if (r != 0) {
		fprintf(stderr, "job: %s\n", cause ? cause : err_str(r));
		free(cause);
	}
	delta_free(d);
	return (r);
}

static void
write_file(const char *path, const struct buf *b)
{
	FILE	*f = fopen(path, "wb");

	if (f == NULL || fwrite(b->data ? b->data : "", 1, b->len, f) != b->len)
		TEST_FAIL("cannot write %s", path);
	if (f != NULL)
		fclose(f);
}

static void
read_file(const char *path, struct buf *b)
{
	char	 chunk[65536];
	FILE	*f = fopen(path, "rb");
	size_t	 n;

	buf_reset(b);
	if (f == NULL) {
		TEST_FAIL("cannot read %s", path);
		return;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(b, chunk, n);
	fclose(f);
}

/*
 * The in-place patch gives the same file, from a copy of the basis, and
 * hashes every byte of it: what the receiver does after FICLONE. It
 * writes at most max_written bytes (a block-map delta copies only in
 * place, so it writes no more than its literals).
 */
static void
inplace_check(int basis_fd, const struct buf *basis, const struct buf *dl,
    const struct buf *new, size_t chunk, const char *what, size_t max_written)
{
	struct inplace	*ip;
	struct hash	*h, *want;
	struct buf	 out;
	uint8_t		 d1[HASH_LEN], d2[HASH_LEN];
	char		 path[256], *cause = NULL;
	size_t		 off = 0, n;
	int		 fd, r = 0;

	buf_init(&out, 0);
	snprintf(path, sizeof path, "%s/inplace", tmpdir);
	write_file(path, basis);
	test_checks++;
	if ((fd = open(path, O_RDWR)) == -1 || (h = hash_new()) == NULL ||
	    (want = hash_new()) == NULL ||
	    (ip = inplace_new(basis_fd, fd, h)) == NULL) {
		TEST_FAIL("%s: in-place setup failed", what);
		return;
	}
	while (r == 0 && off < dl->len) {
		n = dl->len - off < chunk ? dl->len - off : chunk;
		r = inplace_push(ip, dl->data + off, n, &cause);
		off += n;
	}
	if (r == 0)
		r = inplace_finish(ip, &cause);
	close(fd);
	read_file(path, &out);
	hash_digest(h, d1);
	hash_update(want, buf_str(new), new->len);
	hash_digest(want, d2);
	if (r != 0)
		TEST_FAIL("%s: in place: %s", what, cause ? cause : err_str(r));
	else if (out.len != new->len ||
	    memcmp(buf_str(&out), buf_str(new), new->len) != 0)
		TEST_FAIL("%s: in place: the file differs (%zu vs %zu bytes)",
		    what, out.len, new->len);
	else if (memcmp(d1, d2, HASH_LEN) != 0 ||
	    inplace_size(ip) != new->len)
		TEST_FAIL("%s: in place: the checksum or size is wrong", what);
	else if (inplace_written(ip) > max_written)
		TEST_FAIL("%s: in place: wrote %ju bytes for a %zu-byte delta",
		    what, (uintmax_t)inplace_written(ip), dl->len);
	inplace_free(ip);
	hash_free(h);
	hash_free(want);
	free(cause);
	buf_free(&out);
}

/* signature(basis) -> delta(new) -> patch(basis) must give new back. */
static void
round_trip(const struct buf *basis, const struct buf *new, size_t chunk,
    const char *what, size_t *delta_len)
{
	struct buf		 sig, dl, out;
	struct delta		*d;
	struct delta_sig	*s = NULL;
	char			 path[256], *cause = NULL;
	int			 fd;

	buf_init(&sig, 0); buf_init(&dl, 0); buf_init(&out, 0);
	snprintf(path, sizeof path, "%s/basis", tmpdir);
	write_file(path, basis);
	test_checks++;
	if (delta_sig_new((off_t)basis->len, &d, NULL) != 0 ||
	    run_job(d, basis, chunk, &sig) != 0 ||
	    delta_sig_load(sig.data, sig.len, &s, &cause) != 0 ||
	    delta_delta_new(s, &d, NULL) != 0 ||
	    run_job(d, new, chunk, &dl) != 0 ||
	    (fd = open(path, O_RDONLY)) == -1) {
		TEST_FAIL("%s: %s", what, cause ? cause : "job failed");
		goto out;
	}
	if (delta_patch_new(fd, &d, NULL) != 0 ||
	    run_job(d, &dl, chunk, &out) != 0)
		TEST_FAIL("%s: patch failed", what);
	else if (out.len != new->len ||
	    memcmp(buf_str(&out), buf_str(new), new->len) != 0)
		TEST_FAIL("%s: patched file differs (%zu vs %zu bytes)", what,
		    out.len, new->len);
	else
		inplace_check(fd, basis, &dl, new, chunk, what, SIZE_MAX);
	close(fd);
	if (delta_len != NULL)
		*delta_len = dl.len;
out:
	free(cause);
	delta_sig_free(s);
	buf_free(&sig); buf_free(&dl); buf_free(&out);
}

static void
random_buf(struct buf *b, size_t n)
{
	size_t	i;

	buf_reset(b);
	for (i = 0; i < n; i++)
		buf_addch(b, (char)rng_byte());
}

static void
test_sizes(void)
{
	static const size_t	 sizes[] = { 0, 1, 255, 256, 257, 1023, 1024,
	    1025, 4096, 100000, 3 << 20 };
	struct buf		 a, b;
	size_t			 i, k, dlen;
	char			 what[64];

	buf_init(&a, 0); buf_init(&b, 0);
	for (i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		random_buf(&a, sizes[i]);
		/* Identical, one byte flipped, and unrelated content. */
		snprintf(what, sizeof what, "same %zu", sizes[i]);
		round_trip(&a, &a, 4096, what, &dlen);
		if (sizes[i] >= 100000)
			ASSERT_TRUE(dlen < sizes[i] / 50);
		buf_reset(&b);
		buf_add(&b, buf_str(&a), a.len);
		if (b.len > 0)
			b.data[b.len / 2] ^= 0x55;
		snprintf(what, sizeof what, "flip %zu", sizes[i]);
		round_trip(&a, &b, 1000, what, &dlen);
		if (sizes[i] >= 100000)
			ASSERT_TRUE(dlen < sizes[i] / 20);
		random_buf(&b, sizes[i] + 7);
		snprintf(what, sizeof what, "unrelated %zu", sizes[i]);
		round_trip(&a, &b, 65536, what, NULL);
	}
	/* An insertion shifts everything after it: still a small delta. */
	random_buf(&a, 500000);
	buf_reset(&b);
	buf_add(&b, a.data, 1000);
	buf_addstr(&b, "inserted text that shifts every later byte");
	buf_add(&b, a.data + 1000, a.len - 1000);
	round_trip(&a, &b, 7, "insert, fed 7 bytes at a time", &dlen);
	ASSERT_TRUE(dlen < 20000);
	/* Chunks of every awkward size give the same result. */
	for (k = 1; k < 20; k += 3) {
		snprintf(what, sizeof what, "chunk %zu", k);
		random_buf(&a, 3000);
		random_buf(&b, 2000);
		buf_add(&b, a.data, 1500);
		round_trip(&a, &b, k, what, NULL);
	}
	buf_free(&a); buf_free(&b);
}

static void
test_bad_input(void)
{
	struct delta_sig	*s = NULL;
	struct delta		*d;
	struct buf		 junk, out;
	char			*cause = NULL;
	int			 fd;

	buf_init(&junk, 0); buf_init(&out, 0);
	buf_addstr(&junk, "this is not a signature at all");
	ASSERT_INT_EQ(delta_sig_load(junk.data, junk.len, &s, &cause),
	    FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "bad signature");
	ASSERT_TRUE(s == NULL);
	free(cause);
	cause = NULL;

	/* A delta that is garbage, or cut short, is refused by the patch. */
	fd = open("/dev/null", O_RDONLY);
	ASSERT_INT_EQ(delta_patch_new(fd, &d, NULL), 0);
	ASSERT_INT_EQ(delta_push(d, junk.data, junk.len, 1, sink_buf, &out,
	    &cause), FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "patch");
	delta_free(d);
	free(cause);
	cause = NULL;
	/* Only the delta magic number, and a command cut short. */
	ASSERT_INT_EQ(delta_patch_new(fd, &d, NULL), 0);
	ASSERT_INT_EQ(delta_push(d, "rs\x02\x36\x41", 5, 1, sink_buf, &out,
	    &cause), FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "patch");
	delta_free(d);
	free(cause);
	close(fd);
	buf_free(&junk); buf_free(&out);
}

static int	shell(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Runs a shell command line; returns its exit status. */
static int
shell(const char *fmt, ...)
{
	char	cmd[1024];
	va_list	ap;
	int	st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	st = system(cmd);
	return (WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void
path_in(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tmpdir, name);
}

/* Our signature, delta and patch agree with rdiff's, both ways. */
static void
test_rdiff(void)
{
	struct buf		 basis, new, sig, dl, out;
	struct delta		*d;
	struct delta_sig	*s = NULL;
	char			 pb[256], pn[256], ps[256], pd[256], po[256];
	char			*cause = NULL;
	int			 fd;

	if (shell("rdiff --version >/dev/null 2>&1") != 0) {
		if (getenv("CI") != NULL && strcmp(getenv("CI"), "true") == 0)
			TEST_FAIL("rdiff is not installed (CI must install it)");
		else
			fprintf(stderr, "rdiff not installed: cross-check "
			    "skipped\n");
		return;
	}
	buf_init(&basis, 0); buf_init(&new, 0); buf_init(&sig, 0);
	buf_init(&dl, 0); buf_init(&out, 0);
	path_in(pb, sizeof pb, "r-basis"); path_in(pn, sizeof pn, "r-new");
	path_in(ps, sizeof ps, "r-sig"); path_in(pd, sizeof pd, "r-delta");
	path_in(po, sizeof po, "r-out");
	random_buf(&basis, 700000);
	buf_add(&new, basis.data, 300000);
	buf_addstr(&new, "changed region");
	buf_add(&new, basis.data + 310000, basis.len - 310000);
	write_file(pb, &basis);
	write_file(pn, &new);

	/* ferry signature -> rdiff delta -> rdiff patch. */
	ASSERT_INT_EQ(delta_sig_new((off_t)basis.len, &d, NULL), 0);
	ASSERT_INT_EQ(run_job(d, &basis, 65536, &sig), 0);
	write_file(ps, &sig);
	ASSERT_INT_EQ(shell("rdiff -f delta %s %s %s", ps, pn, pd), 0);
	ASSERT_INT_EQ(shell("rdiff -f patch %s %s %s", pb, pd, po), 0);
	ASSERT_INT_EQ(shell("cmp -s %s %s", pn, po), 0);

	/* rdiff signature -> ferry delta -> rdiff patch. */
	ASSERT_INT_EQ(shell("rdiff -f signature %s %s", pb, ps), 0);
	read_file(ps, &sig);
	ASSERT_INT_EQ(delta_sig_load(sig.data, sig.len, &s, &cause), 0);
	ASSERT_INT_EQ(delta_delta_new(s, &d, NULL), 0);
	ASSERT_INT_EQ(run_job(d, &new, 65536, &dl), 0);
	write_file(pd, &dl);
	ASSERT_INT_EQ(shell("rdiff -f patch %s %s %s", pb, pd, po), 0);
	ASSERT_INT_EQ(shell("cmp -s %s %s", pn, po), 0);

	/* rdiff delta -> ferry patch. */
	ASSERT_INT_EQ(shell("rdiff -f delta %s %s %s", ps, pn, pd), 0);
	read_file(pd, &dl);
	fd = open(pb, O_RDONLY);
	ASSERT_INT_EQ(delta_patch_new(fd, &d, NULL), 0);
	ASSERT_INT_EQ(run_job(d, &dl, 4096, &out), 0);
	ASSERT_TRUE(out.len == new.len && memcmp(out.data, new.data,
	    new.len) == 0);
	close(fd);

	free(cause);
	delta_sig_free(s);
	buf_free(&basis); buf_free(&new); buf_free(&sig);
	buf_free(&dl); buf_free(&out);
}

/*
 * Block map of basis, block delta of new (from byte pos on, fed in chunks
 * of chunk bytes), then librsync's patch: must give new[pos..] back.
 * Returns the bytes found in the basis, or -1.
 */
static long
block_round_trip(const struct buf *basis, const struct buf *new,
    uint64_t pos, size_t chunk, const char *what, struct buf *dl)
{
	struct buf		 map, out;
	struct blockmap		*m = NULL;
	struct blockmap_enc	 enc;
	struct delta		*d;
	char			 path[256], *cause = NULL;
	size_t			 off = pos, n;
	long			 matched = -1;
	int			 fd = -1, r;

	buf_init(&map, 0); buf_init(&out, 0);
	buf_reset(dl);
	snprintf(path, sizeof path, "%s/bbasis", tmpdir);
	write_file(path, basis);
	if ((fd = open(path, O_RDONLY)) == -1 ||
	    blockmap_build(fd, basis->len, &map, &cause) != 0 ||
	    blockmap_parse(map.data, map.len, &m, &cause) != 0 ||
	    blockmap_enc_init(&enc, m, pos) != 0) {
		TEST_FAIL("%s: %s", what, cause ? cause : "setup failed");
		goto out;
	}
	test_checks++;
	do {
		n = new->len - off < chunk ? new->len - off : chunk;
		r = blockmap_enc_push(&enc, buf_str(new) + off, n,
		    off + n == new->len, sink_buf, dl);
		off += n;
	} while (r == 0 && off < new->len);
	matched = (long)enc.matched;
	blockmap_enc_free(&enc);
	if (r != 0 || delta_patch_new(fd, &d, NULL) != 0 ||
	    run_job(d, dl, 4096, &out) != 0)
		TEST_FAIL("%s: encode or patch failed", what);
	else if (out.len != new->len - pos ||
	    memcmp(buf_str(&out), buf_str(new) + pos, out.len) != 0)
		TEST_FAIL("%s: patched data differs (%zu vs %zu bytes)", what,
		    out.len, (size_t)(new->len - pos));
	else if (pos == 0)	/* in place never resumes */
		inplace_check(fd, basis, dl, new, chunk, what, dl->len);
out:
	if (fd != -1)
		close(fd);
	free(cause);
	blockmap_free(m);
	buf_free(&map); buf_free(&out);
	return (matched);
}

static void
test_blockmap(void)
{
	struct buf	 a, b, dl;
	struct blockmap	*m = NULL;
	char		*cause = NULL;
	size_t		 i;
	long		 matched;

	buf_init(&a, 0); buf_init(&b, 0); buf_init(&dl, 0);
	random_buf(&a, 1000000);		/* not a multiple of 4096 */

	/* Identical: every byte is found, the delta is a few commands. */
	matched = block_round_trip(&a, &a, 0, 65536, "block same", &dl);
	ASSERT_INT_EQ(matched, 1000000);
	ASSERT_TRUE(dl.len < 64);

	/* 1 % of 4 KiB blocks changed in place: only those travel. */
	buf_reset(&b);
	buf_add(&b, a.data, a.len);
	for (i = 0; i < 244; i += 100)
		b.data[i * 4096 + 17] ^= 0x5a;
	matched = block_round_trip(&a, &b, 0, 300000, "block 1%", &dl);
	ASSERT_INT_EQ(matched, 1000000 - 3 * 4096);
	ASSERT_TRUE(dl.len < 3 * 4096 + 200);

	/* Longer and shorter files, odd chunk sizes, a resume offset. */
	buf_addstr(&b, "appended tail");
	block_round_trip(&a, &b, 0, 777, "block longer", &dl);
	buf_reset(&b);
	buf_add(&b, a.data, 500000);
	block_round_trip(&a, &b, 0, 1, "block shorter, byte by byte", &dl);
	matched = block_round_trip(&a, &a, 123457, 4096, "block resume", &dl);
	ASSERT_INT_EQ(matched, 1000000 - 4096 * 31);

	/* An insertion shifts everything: blocks find nothing. */
	buf_reset(&b);
	buf_addstr(&b, "x");
	buf_add(&b, a.data, a.len);
	matched = block_round_trip(&a, &b, 0, 65536, "block shifted", &dl);
	ASSERT_INT_EQ(matched, 0);

	/* An empty basis and an empty new file. */
	buf_reset(&b);
	block_round_trip(&b, &a, 0, 65536, "block empty basis", &dl);
	block_round_trip(&a, &b, 0, 65536, "block empty new", &dl);

	/* A delta against a block map is one rdiff can apply. */
	buf_reset(&b);
	buf_add(&b, a.data, a.len);
	b.data[5000] ^= 1;
	block_round_trip(&a, &b, 0, 65536, "block for rdiff", &dl);
	if (shell("rdiff --version >/dev/null 2>&1") == 0) {
		char pb[256], pd[256], pn[256], po[256];

		path_in(pb, sizeof pb, "bbasis"); path_in(pd, sizeof pd, "bdelta");
		path_in(pn, sizeof pn, "bnew"); path_in(po, sizeof po, "bout");
		write_file(pd, &dl);
		write_file(pn, &b);
		ASSERT_INT_EQ(shell("rdiff -f patch %s %s %s", pb, pd, po), 0);
		ASSERT_INT_EQ(shell("cmp -s %s %s", pn, po), 0);
	}

	/* Malformed maps are refused. */
	ASSERT_INT_EQ(blockmap_parse("FBM1", 4, &m, &cause), FERRY_ERR_PROTO);
	free(cause);
	cause = NULL;
	ASSERT_INT_EQ(blockmap_parse("FBM1\0\0\020\0\0\0\0\0\0\0\020\0",
	    16, &m, &cause), FERRY_ERR_PROTO);	/* 4096 bytes, no hash */
	ASSERT_STR_CONTAINS(cause, "does not fit");
	free(cause);
	buf_free(&a); buf_free(&b); buf_free(&dl);
}

/* The in-place patch refuses what librsync's would. */
static void
test_inplace_bad(void)
{
	static const struct {
		const char	*delta;
		size_t		 len;
		const char	*why;	/* from push, or else from finish */
	} bad[] = {
		{ "rs\002\067", 4, "bad magic" },
		{ "rs\002\066\x60", 5, "unknown command" },
		{ "rs\002\066\x43\0\0", 7, "ended early" },
		{ "rs\002\066\0\0", 6, "after its end" },
		{ "", 0, "ended early" },
	};
	struct inplace	*ip;
	struct hash	*h = hash_new();
	char		*cause = NULL;
	size_t		 i;
	int		 r;

	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		ip = inplace_new(-1, -1, h);
		if ((r = inplace_push(ip, bad[i].delta, bad[i].len, &cause)) == 0)
			r = inplace_finish(ip, &cause);
		ASSERT_INT_EQ(r, FERRY_ERR_PARSE);
		ASSERT_STR_CONTAINS(cause, bad[i].why);
		free(cause);
		cause = NULL;
		inplace_free(ip);
	}
	hash_free(h);
}

/*
 * The end-to-end hash and the block map's block hashes are XXH3 exactly as
 * xxHash's portable code computes them, whichever code the library picks
 * for this CPU (transfer/xxh-int.h): a peer built without the dispatching
 * variants, a Windows agent say, must agree with one built with them.
 */
static void
test_hash_portable(void)
{
	static const size_t	 pieces[] = { 1, 63, 64, 239, 240, 241, 4095,
	    4096, 65536, 262144, 17 };
	struct buf		 a, map;
	struct hash		*h = hash_new();
	XXH128_canonical_t	 want;
	uint8_t			 got[HASH_LEN];
	size_t			 off = 0, n, i, blocks;
	uint32_t		 bh;

	buf_init(&a, 0); buf_init(&map, 0);
	random_buf(&a, 3000001);
	ASSERT_TRUE(h != NULL);
	for (i = 0; off < a.len; i++) {
		n = pieces[i % (sizeof pieces / sizeof *pieces)];
		if (n > a.len - off)
			n = a.len - off;
		hash_update(h, a.data + off, n);
		off += n;
	}
	hash_digest(h, got);
	XXH128_canonicalFromHash(&want, XXH3_128bits(a.data, a.len));
	ASSERT_TRUE(memcmp(got, want.digest, HASH_LEN) == 0);

	ASSERT_INT_EQ(blockmap_add(a.data, a.len, &map), 0);
	blocks = (a.len + BLOCKMAP_BLOCK - 1) / BLOCKMAP_BLOCK;
	ASSERT_INT_EQ(map.len, blocks * 4);
	for (i = 0; i < blocks; i++) {
		n = a.len - i * BLOCKMAP_BLOCK;
		bh = (uint32_t)XXH3_64bits(a.data + i * BLOCKMAP_BLOCK,
		    n < BLOCKMAP_BLOCK ? n : BLOCKMAP_BLOCK);
		ASSERT_INT_EQ(get_be((const uint8_t *)map.data + i * 4, 4), bh);
	}
	buf_free(&a); buf_free(&map);
	hash_free(h);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return (99);
	}
	test_sizes();
	test_bad_input();
	test_rdiff();
	test_blockmap();
	test_inplace_bad();
	test_hash_portable();
	shell("rm -rf %s", tmpdir);
	return (TEST_DONE());
}
