/*
 * What an earlier, interrupted try left of a file, whichever shape it
 * had (docs/protocol.md 6.7). Whether a large file is striped is the
 * sender's choice, made from the round trip it measures as the transfer
 * starts, so one try may stripe and the next not (a loaded machine, a
 * queue filling): each must take up what the other left, or the file
 * crosses twice. A plain try leaves a prefix ("ferry-part 1", the partial
 * file's length); a striped one leaves chunks ("ferry-part 2", one line a
 * chunk, in a chunk size that may differ from this try's).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "held-int.h"
#include "hex.h"
#include "recv-int.h"
#include "stripe-int.h"

#define HELD_REC_LEN	(8 + 1 + 2 * HASH_LEN + 1)

/*
 * Reads the sidecar meta for entry e, whose partial file is open as fd:
 * h->kind 1 with the prefix held, or 2 with the earlier chunks whose
 * bytes still hash as recorded (a power cut may have lost some), or 0.
 */
int
stripe_held_read(int dirfd, const char *meta, int fd,
    const struct msg_entry *e, struct stripe_held *h)
{
	struct buf	 b;
	struct stat	 sb;
	struct hash	*hh = NULL;
	uint8_t		 want[HASH_LEN], got[HASH_LEN];
	char		 tmp[4096], idx[9], hx[2 * HASH_LEN + 1], v1[128];
	char		 v2[128], *nl;
	const char	*p;
	unsigned long	 cs;
	uint32_t	 i;
	ssize_t		 n;
	int		 mfd;

	memset(h, 0, sizeof *h);
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size > e->size ||
	    (mfd = held_reopen(dirfd, meta, O_RDONLY)) == -1)
		return (0);
	/* At most: a header and a line a chunk of the smallest size. */
	buf_init(&b, 128 + (size_t)STRIPE_CHUNKS_MAX * HELD_REC_LEN);
	while ((n = read(mfd, tmp, sizeof tmp)) > 0 &&
	    buf_add(&b, tmp, (size_t)n) == 0)
		;
	close(mfd);
	snprintf(v1, sizeof v1, "ferry-part 1 %ju %jd.%09u\n",
	    (uintmax_t)e->size, (intmax_t)e->mtime_sec, e->mtime_nsec);
	snprintf(v2, sizeof v2, "ferry-part 2 %ju %jd.%09u ",
	    (uintmax_t)e->size, (intmax_t)e->mtime_sec, e->mtime_nsec);
	if (b.len == strlen(v1) && memcmp(b.data, v1, b.len) == 0) {
		h->kind = 1;
		h->prefix = (uint64_t)sb.st_size;
		buf_free(&b);
		return (h->prefix > 0);
	}
	/* The chunk size this sidecar's lines count in. */
	if (b.len <= strlen(v2) || memcmp(b.data, v2, strlen(v2)) != 0 ||
	    (uint64_t)sb.st_size != e->size || (nl = memchr(b.data,
	    '\n', b.len)) == NULL || (cs = strtoul(b.data + strlen(v2),
	    NULL, 10)) < 65536 || cs > STRIPE_CHUNK_MAX ||
	    (e->size + cs - 1) / cs > STRIPE_CHUNKS_MAX) {
		buf_free(&b);
		return (0);
	}
	h->csize = (uint32_t)cs;
	h->nchunks = stripe_chunks(e->size, h->csize);
	h->done = calloc(h->nchunks, 1);
	h->hashes = calloc(h->nchunks, HASH_LEN);
	if (h->done == NULL || h->hashes == NULL ||
	    (hh = hash_new()) == NULL) {
		buf_free(&b);
		stripe_held_free(h);
		return (0);
	}
	/* A record cut short by a crash is ignored with those after it. */
	for (p = nl + 1; p + HELD_REC_LEN <= b.data + b.len;
	    p += HELD_REC_LEN) {
		memcpy(idx, p, 8);
		idx[8] = '\0';
		memcpy(hx, p + 9, 2 * HASH_LEN);
		hx[2 * HASH_LEN] = '\0';
		i = (uint32_t)strtoul(idx, NULL, 16);
		if (p[8] != ' ' || p[HELD_REC_LEN - 1] != '\n' ||
		    i >= h->nchunks || hex_decode(hx, want, HASH_LEN) != 0)
			break;
		if (h->done[i])
			continue;
		hash_reset(hh);
		if (hash_fd_range(hh, fd, (uint64_t)i * h->csize,
		    stripe_held_len(e->size, h->csize, i)) != 0)
			continue;
		hash_digest(hh, got);
		if (memcmp(got, want, HASH_LEN) != 0)
			continue;
		memcpy(h->hashes[i], got, HASH_LEN);
		h->done[i] = 1;
		h->ndone++;
	}
	hash_free(hh);
	buf_free(&b);
	h->kind = 2;
	return (h->ndone > 0);
}

uint32_t
stripe_held_len(uint64_t size, uint32_t csize, uint32_t i)
{
	uint64_t	left = size - (uint64_t)i * csize;

	return (left < csize ? (uint32_t)left : csize);
}

/* 1 if every byte of off..off+len is held. */
int
stripe_held_covers(const struct stripe_held *h, uint64_t off, uint64_t len)
{
	uint32_t	j;

	if (len == 0)
		return (0);
	if (h->kind == 1)
		return (off + len <= h->prefix);
	if (h->kind != 2)
		return (0);
	for (j = (uint32_t)(off / h->csize); (uint64_t)j * h->csize <
	    off + len; j++) {
		if (j >= h->nchunks || !h->done[j])
			return (0);
	}
	return (1);
}

/* The held bytes from the file's start, for a try that sends it whole. */
uint64_t
stripe_held_prefix(const struct stripe_held *h, uint64_t size)
{
	uint64_t	len;
	uint32_t	j;

	if (h->kind == 1)
		return (h->prefix);
	for (j = 0; h->kind == 2 && j < h->nchunks && h->done[j]; j++)
		;
	len = h->kind == 2 ? (uint64_t)j * h->csize : 0;
	return (len < size ? len : size);
}

void
stripe_held_free(struct stripe_held *h)
{
	free(h->done);
	free(h->hashes);
	h->done = NULL;
	h->hashes = NULL;
}

/*
 * A try that will not stripe (the sender did not offer it, or more files
 * are striped than this receiver takes at once): the chunks of a striped
 * try's partial file become the prefix of a plain one, as far as they
 * run unbroken from the start; held_partial then finds a "ferry-part 1"
 * partial file as its own kind left it. The chunks beyond a gap are lost.
 */
void
stripe_held_to_prefix(int dirfd, const char *base, const struct msg_entry *e)
{
	struct stripe_held	 h;
	char			 part[TREE_TMP_MAX], meta[TREE_TMP_MAX];
	char			 head[128];
	uint64_t		 len;
	int			 fd, mfd;

	tree_tmp_name(base, TREE_PART, part);
	tree_tmp_name(base, TREE_META, meta);
	/* The receiver's own partial file only (held_reopen): not a link. */
	if ((fd = held_reopen(dirfd, part, O_RDWR)) == -1)
		return;
	if (stripe_held_read(dirfd, meta, fd, e, &h) == 0 || h.kind != 2 ||
	    (len = stripe_held_prefix(&h, e->size)) == 0 ||
	    ftruncate(fd, (off_t)len) == -1) {
		stripe_held_free(&h);
		close(fd);
		return;		/* held_partial removes what is of no use */
	}
	stripe_held_free(&h);
	close(fd);
	snprintf(head, sizeof head, "ferry-part 1 %ju %jd.%09u\n",
	    (uintmax_t)e->size, (intmax_t)e->mtime_sec, e->mtime_nsec);
	if ((mfd = held_create(dirfd, meta, O_WRONLY)) == -1)
		return;
	if (write(mfd, head, strlen(head)) != (ssize_t)strlen(head))
		(void)ftruncate(mfd, 0);	/* then held_partial drops it */
	close(mfd);
}
