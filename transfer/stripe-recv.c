/*
 * The receiver's half of striping (stripe-int.h, docs/protocol.md 6.7).
 * It decides the chunks, so it checks every CHUNK against its own record:
 * the file must be one it set up for striping in this transfer, the
 * offset and length must be the chunk's, no chunk may come twice or
 * overlap another, and the DATA may not run past the chunk. Bytes go
 * with pwrite to the place it computed, never past the file's size.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "held-int.h"
#include "hex.h"
#include "recv-int.h"
#include "stripe-int.h"

/*
 * Striped files open at once in a transfer (each holds three descriptors
 * from its plan to its end); more are planned as usual, on one stream.
 */
#define STRIPE_OPEN_MAX	16
/* The owner gives up on chunks that make no progress for this long. */
#define STRIPE_WAIT_S	60

/* GATHERED: checked, in the window, not written yet. */
enum { CHUNK_NEEDED, CHUNK_BUSY, CHUNK_DONE, CHUNK_GATHERED };

/*
 * The write-behind window of a striped file: the streams receive chunks
 * straight into its slots (conn_read_to), and a run of checked chunks
 * from its start goes to disk in one O_DIRECT write of up to
 * STRIPE_WRITE, then into the sidecar. A write costs a notification of
 * the disk and a wait whatever its size, and eight streams of 64-128 KiB
 * chunks each wrote their own. What it holds is lost if the receiver is
 * killed, with a chunk a stream being received: together within the
 * lab's budget (stripe_win_init). A chunk beyond the window (a stream
 * ahead of the others by more than it holds) is written as before.
 */
#define STRIPE_WRITE	(1U << 20)
#define STRIPE_WIN_MAX	(4U << 20)

/* The sidecar of a striped partial file: a header, then a line a chunk. */
#define STRIPE_META_FMT	"ferry-part 2 %ju %jd.%09u %u\n"
#define STRIPE_REC_LEN	(8 + 1 + 2 * HASH_LEN + 1)
/* Sidecar lines written at once, at most. */
#define STRIPE_LINES_MAX	16

struct stripe_in {
	struct stripe_in	*next;
	uint32_t		 id;
	char			*path;
	int			 fd;		/* the partial file */
	int			 dfd;		/* its O_DIRECT twin, or -1 */
	int			 metafd;	/* its sidecar, appended to */
	uint64_t		 size;
	uint32_t		 csize;
	uint32_t		 nchunks;
	uint8_t			*state;
	uint8_t			(*hashes)[HASH_LEN];
	uint32_t		 ndone;
	uint32_t		 nbusy;
	uint64_t		 held;		/* bytes held from earlier */
	uint64_t		 moved;		/* for progress */
	int			 bad;		/* a chunk failed */
	int			 io;		/* writing one failed */
	const struct recv_stream *first;	/* the first chunk's stream */
	int			 spread;	/* chunks came on another */
	char			*why;
	int			 closed;	/* FILE_END seen: take no more */
	uint32_t		 ndrained;	/* chunks read unused since */
	int			 metabad;	/* a sidecar write failed */
	double			 last;		/* when a chunk last settled */
	uint8_t			*win;		/* the window, or NULL */
	uint32_t		 nslots;	/* the chunks it holds */
	uint32_t		 wbase;		/* the first of them */
	uint32_t		 wrun;		/* chunks worth a write */
	int			 writing;	/* a run is being written */
};

static uint64_t
stripe_off(const struct stripe_in *sp, uint32_t i)
{
	return ((uint64_t)i * sp->csize);
}

static uint32_t
stripe_len(const struct stripe_in *sp, uint32_t i)
{
	uint64_t	left = sp->size - stripe_off(sp, i);

	return (left < sp->csize ? (uint32_t)left : sp->csize);
}

static void
stripe_in_free(struct stripe_in *sp)
{
	if (sp->fd != -1)
		close(sp->fd);
	if (sp->dfd != -1)
		close(sp->dfd);
	if (sp->metafd != -1)
		close(sp->metafd);
	free(sp->win);
	free(sp->path);
	free(sp->state);
	free(sp->hashes);
	free(sp->why);
	free(sp);
}

/*
 * Gives back what an ended file holds (descriptors, window, chunk
 * records) once no chunk is busy and no run is being written; under
 * sh->mu. Without it each striped file kept its window (up to 4 MiB)
 * until the transfer ended: memory a sender could grow file by file
 * past the 16 files' bound (tests/security/stripe-windows.sh). The entry
 * stays, so that a stray chunk of the file is still known and read
 * unused (stripe_chunk_start looks at no chunk state once it is closed).
 */
static void
stripe_release(struct recv_shared *sh, struct stripe_in *sp)
{
	if (!sp->closed || sp->nbusy != 0 || sp->writing || sp->fd == -1)
		return;
	close(sp->fd);
	if (sp->dfd != -1)
		close(sp->dfd);
	if (sp->metafd != -1)
		close(sp->metafd);
	sp->fd = sp->dfd = sp->metafd = -1;
	free(sp->win);
	free(sp->state);
	free(sp->hashes);
	sp->win = NULL;
	sp->nslots = 0;
	sp->state = NULL;
	sp->hashes = NULL;
	sh->nstripes--;
}

/* A sidecar line for chunk i with hash d: rec holds STRIPE_REC_LEN. */
static void
stripe_rec(char *rec, uint32_t i, const uint8_t *d)
{
	snprintf(rec, STRIPE_REC_LEN + 1, "%08x ", i);
	hex_encode(d, HASH_LEN, rec + 9);
	rec[STRIPE_REC_LEN - 1] = '\n';
}

/*
 * Takes up what an earlier try left (stripe-held.c): each chunk of this
 * try whose bytes it holds, checked, whatever its shape; a chunk of the
 * same size keeps the hash read back, another is hashed from the file.
 */
static void
stripe_take_held(struct stripe_in *sp, const struct stripe_held *h)
{
	struct hash	*hh;
	uint64_t	 off;
	uint32_t	 i, len;

	if ((hh = hash_new()) == NULL)
		return;
	for (i = 0; i < sp->nchunks; i++) {
		off = stripe_off(sp, i);
		len = stripe_len(sp, i);
		if (!stripe_held_covers(h, off, len))
			continue;
		if (h->kind == 2 && h->csize == sp->csize)
			memcpy(sp->hashes[i], h->hashes[i], HASH_LEN);
		else {
			hash_reset(hh);
			if (hash_fd_range(hh, sp->fd, off, len) != 0)
				continue;
			hash_digest(hh, sp->hashes[i]);
		}
		sp->state[i] = CHUNK_DONE;
		sp->ndone++;
		sp->held += len;
	}
	hash_free(hh);
}

/* Opens (or starts afresh) the partial file and sidecar of sp. */
static int
stripe_open_part(struct stripe_in *sp, const struct msg_entry *e,
    int dirfd, const char *base)
{
	struct stripe_held	h;
	char			part[TREE_TMP_MAX], meta[TREE_TMP_MAX];
	char			head[128], rec[STRIPE_REC_LEN + 1];
	uint32_t		i;

	tree_tmp_name(base, TREE_PART, part);
	tree_tmp_name(base, TREE_META, meta);
	snprintf(head, sizeof head, STRIPE_META_FMT, (uintmax_t)e->size,
	    (intmax_t)e->mtime_sec, e->mtime_nsec, sp->csize);
	memset(&h, 0, sizeof h);
	sp->fd = held_reopen(dirfd, part, O_RDWR);
	if (sp->fd != -1 && !(e->flags & MSG_ENTRY_FORCE_WHOLE) &&
	    stripe_held_read(dirfd, meta, sp->fd, e, &h))
		stripe_take_held(sp, &h);
	stripe_held_free(&h);
	if (sp->ndone == 0) {
		if (sp->fd != -1)
			close(sp->fd);
		unlinkat(dirfd, meta, 0);
		sp->fd = held_create(dirfd, part, O_RDWR);
		/* The file has its size from the start: pwrite fills it. */
		if (sp->fd == -1 || ftruncate(sp->fd, (off_t)e->size) == -1)
			return (-1);
		sp->metafd = held_create(dirfd, meta, O_WRONLY | O_APPEND);
		if (sp->metafd == -1 || write(sp->metafd, head, strlen(head)) !=
		    (ssize_t)strlen(head))
			return (-1);
		return (0);
	}
	/*
	 * Kept: the file at its full size (a plain try's prefix is shorter),
	 * and the sidecar again in this try's chunks. A crash while it is
	 * written loses the lines not yet there: those chunks come again.
	 */
	if (ftruncate(sp->fd, (off_t)e->size) == -1)
		return (-1);
	sp->metafd = held_create(dirfd, meta, O_WRONLY | O_APPEND);
	if (sp->metafd == -1 || write(sp->metafd, head, strlen(head)) !=
	    (ssize_t)strlen(head))
		return (-1);
	for (i = 0; i < sp->nchunks; i++) {
		if (sp->state[i] != CHUNK_DONE)
			continue;
		stripe_rec(rec, i, sp->hashes[i]);
		if (write(sp->metafd, rec, STRIPE_REC_LEN) != STRIPE_REC_LEN)
			return (-1);
	}
	return (0);
}

/*
 * A window of the lab's re-send budget less a chunk a stream (one being
 * received each), with room for a write of wrun chunks while each stream
 * fills another slot; none if that is under two chunks (a file of less
 * than about 256 MiB over eight streams) or chunks are STRIPE_WRITE.
 */
static void
stripe_win_init(struct stripe_in *sp, int streams)
{
	uint64_t	b = STRIPE_BUDGET(sp->size), w;
	uint64_t	n = streams > 1 ? (uint64_t)streams : 1;

	if (sp->csize >= STRIPE_WRITE || b <= n * sp->csize)
		return;
	w = b - n * sp->csize;
	if (w > STRIPE_WIN_MAX)
		w = STRIPE_WIN_MAX;
	sp->nslots = (uint32_t)(w / sp->csize);
	if (sp->nslots > sp->nchunks)
		sp->nslots = sp->nchunks;
	sp->wrun = STRIPE_WRITE / sp->csize;
	if (sp->nslots < n + sp->wrun)
		sp->wrun = sp->nslots > n ? sp->nslots - (uint32_t)n : 0;
	if (sp->wrun < 2 || posix_memalign((void **)&sp->win, DIRECT_ALIGN,
	    (size_t)sp->nslots * sp->csize) != 0) {
		sp->win = NULL;
		sp->nslots = 0;
	}
}

/* Gives back the count stripe_plan took for a file it did not plan. */
static void
stripe_unreserve(struct recv_shared *sh)
{
	pthread_mutex_lock(&sh->mu);
	sh->nstripes--;
	pthread_mutex_unlock(&sh->mu);
}

int
stripe_plan(struct recv_stream *s, struct recv_item *it, int dirfd,
    const char *base, struct msg_plan *plan, struct buf *map)
{
	struct recv_shared	*sh = s->sh;
	struct stripe_in	*sp, *q;
	uint32_t		 i;

	/* Past 64 TiB the chunks would not fit their count: one stream. */
	if (!(s->features & FRAME_FEATURE_STRIPE) ||
	    !(it->e.flags & MSG_ENTRY_STRIPE) || it->e.size < STRIPE_MIN ||
	    it->e.size > (uint64_t)STRIPE_CHUNK_MAX * STRIPE_CHUNKS_MAX)
		return (-1);
	/*
	 * An id offered twice, or too many at once, go the usual way. The
	 * file is counted here, in the same step as the check: the streams
	 * plan at once, and each passed the check before any counted its
	 * file (tests/security/stripe-open-max.sh).
	 */
	pthread_mutex_lock(&sh->mu);
	for (q = sh->stripes; q != NULL && q->id != it->e.id; q = q->next)
		;
	i = sh->nstripes;
	if (q == NULL && i < STRIPE_OPEN_MAX)
		sh->nstripes++;
	pthread_mutex_unlock(&sh->mu);
	if (q != NULL || i >= STRIPE_OPEN_MAX)
		return (-1);
	if ((sp = calloc(1, sizeof *sp)) == NULL) {
		stripe_unreserve(sh);
		return (-1);
	}
	sp->fd = sp->dfd = sp->metafd = -1;
	sp->id = it->e.id;
	sp->size = it->e.size;
	sp->csize = stripe_chunk_size(sp->size, sh->streams);
	sp->nchunks = stripe_chunks(sp->size, sp->csize);
	sp->path = strdup(it->e.path);
	sp->state = calloc(sp->nchunks, 1);
	sp->hashes = calloc(sp->nchunks, HASH_LEN);
	buf_reset(map);
	if (sp->path == NULL || sp->state == NULL || sp->hashes == NULL ||
	    stripe_open_part(sp, &it->e, dirfd, base) != 0) {
		stripe_in_free(sp);
		stripe_unreserve(sh);
		return (-1);
	}
	sp->dfd = direct_open(sp->fd);
	stripe_win_init(sp, sh->streams);
	for (i = 0; i < (sp->nchunks + 7) / 8; i++) {
		uint8_t		byte = 0;
		uint32_t	j;

		for (j = 0; j < 8 && i * 8 + j < sp->nchunks; j++)
			if (sp->state[i * 8 + j] == CHUNK_DONE)
				byte |= (uint8_t)(1 << j);
		if (buf_add(map, &byte, 1) != 0) {
			stripe_in_free(sp);
			stripe_unreserve(sh);
			return (-1);
		}
	}
	sp->last = progress_now();
	pthread_mutex_lock(&sh->mu);
	/* The same id planned by another stream meanwhile: this one not. */
	for (q = sh->stripes; q != NULL && q->id != it->e.id; q = q->next)
		;
	if (q != NULL) {
		sh->nstripes--;
		pthread_mutex_unlock(&sh->mu);
		stripe_in_free(sp);
		buf_reset(map);
		return (-1);
	}
	sp->next = sh->stripes;
	sh->stripes = sp;
	pthread_mutex_unlock(&sh->mu);
	it->sp = sp;
	plan->action = MSG_PLAN_STRIPE;
	plan->offset = sp->csize;
	memset(plan->prefix_hash, 0, sizeof plan->prefix_hash);
	return (0);
}

/*
 * Appends the lines of n chunks from the first (hashes d) to the
 * sidecar, in one write; not under sh->mu, so that the streams do not
 * queue behind each other's write. The chunks are still busy or being
 * written, so the descriptor cannot be closed meanwhile (stripe_file_end,
 * stripe_in_free close it only when no chunk is busy and no run is being
 * written); after a failed write the rest are skipped (resume then knows
 * less; no harm), and the descriptor is closed where it always is.
 * O_APPEND writes this short land whole, one after another.
 */
static void
stripe_note(struct stripe_in *sp, uint32_t first, uint32_t n,
    const uint8_t (*d)[HASH_LEN])
{
	char		lines[STRIPE_LINES_MAX * STRIPE_REC_LEN + 1];
	uint32_t	j;

	/*
	 * No flush: a record whose bytes a power cut lost fails its hash
	 * when the next try reads it back (stripe_held_read).
	 */
	if (n == 0 || n > STRIPE_LINES_MAX || sp->metafd == -1 ||
	    __atomic_load_n(&sp->metabad, __ATOMIC_RELAXED))
		return;
	for (j = 0; j < n; j++)
		stripe_rec(lines + (size_t)j * STRIPE_REC_LEN, first + j, d[j]);
	if (write(sp->metafd, lines, (size_t)n * STRIPE_REC_LEN) !=
	    (ssize_t)((size_t)n * STRIPE_REC_LEN))
		__atomic_store_n(&sp->metabad, 1, __ATOMIC_RELAXED);
}

/* Records a chunk received and checked; under sh->mu. */
static void
stripe_record(struct stripe_in *sp, uint32_t i, const uint8_t *d)
{
	memcpy(sp->hashes[i], d, HASH_LEN);
	sp->state[i] = CHUNK_DONE;
	sp->ndone++;
}

/* Writes n bytes at off: 0, or the errno. */
static int
stripe_put(const struct stripe_in *sp, const uint8_t *p, size_t n,
    uint64_t off, int *cached)
{
	ssize_t	w;

	w = direct_pwrite(sp->dfd, sp->fd, p, n, (off_t)off, cached);
	return (w == (ssize_t)n ? 0 : w == -1 ? errno : EIO);
}

/*
 * The next run of gathered chunks to write, under sh->mu: from the
 * window's start, once it makes wrun chunks, ends the file or reaches
 * the end of the window's memory, or meets a chunk written already (one
 * that started beyond the window); with force, any run (the file ends, or
 * the transfer: what was checked is written and recorded for a resume).
 */
static uint32_t
stripe_win_run(struct stripe_in *sp, int force, uint32_t *first)
{
	uint32_t	i, k, end;

	while (sp->wbase < sp->nchunks && sp->state[sp->wbase] == CHUNK_DONE)
		sp->wbase++;
	end = sp->wbase + sp->nslots < sp->nchunks ? sp->wbase + sp->nslots :
	    sp->nchunks;
	for (i = sp->wbase; i < end; i += k > 0 ? k : 1) {
		for (k = 0; i + k < end && i % sp->nslots + k < sp->nslots &&
		    sp->state[i + k] == CHUNK_GATHERED; k++)
			;
		*first = i;
		if (k > 0 && (force || k >= sp->wrun ||
		    i + k == sp->nchunks || i % sp->nslots + k == sp->nslots ||
		    (i + k < end && sp->state[i + k] == CHUNK_DONE)))
			return (k);
		if (!force)
			break;
	}
	return (0);
}

/* Writes and records the runs the window holds (stripe_win_run). */
static void
stripe_win_drain(struct recv_shared *sh, struct stripe_in *sp, int force)
{
	uint64_t	off, n;
	uint32_t	first = 0, i, j, k;
	int		io, cached;

	pthread_mutex_lock(&sh->mu);
	while (sp->win != NULL && sp->fd != -1) {
		if (sp->writing) {
			if (!force)
				break;
			pthread_cond_wait(&sh->cv, &sh->mu);
			continue;
		}
		if ((k = stripe_win_run(sp, force, &first)) == 0)
			break;
		sp->writing = 1;
		pthread_mutex_unlock(&sh->mu);
		off = stripe_off(sp, first);
		for (n = 0, i = 0; i < k; i++)
			n += stripe_len(sp, first + i);
		cached = 0;
		io = stripe_put(sp, sp->win + (size_t)(first % sp->nslots) *
		    sp->csize, (size_t)n, off, &cached);
		if (io == 0 && cached)
			flush_start(sp->fd, (off_t)off, (off_t)n);
		for (i = 0; io == 0 && i < k; i += j) {
			j = k - i < STRIPE_LINES_MAX ? k - i : STRIPE_LINES_MAX;
			stripe_note(sp, first + i, j,
			    (const uint8_t (*)[HASH_LEN])sp->hashes[first + i]);
		}
		pthread_mutex_lock(&sh->mu);
		for (i = 0; i < k; i++) {
			sp->state[first + i] = io == 0 ? CHUNK_DONE :
			    CHUNK_NEEDED;
			sp->ndone += io == 0;
		}
		if (io != 0 && !sp->bad) {
			free(sp->why);
			if (asprintf(&sp->why, "chunk %u: %s", first,
			    strerror(io)) == -1)
				sp->why = NULL;
		}
		if (io != 0)
			sp->bad = sp->io = 1;
		sp->writing = 0;
		sp->last = progress_now();
		pthread_cond_broadcast(&sh->cv);
		if (io != 0)
			break;
	}
	pthread_mutex_unlock(&sh->mu);
}

/*
 * Checks a CHUNK against what this receiver planned and marks it busy
 * (drain: its file ended, its bytes are read unused); slot: where it is
 * received, in the file's window, or NULL.
 */
static int
stripe_chunk_start(struct recv_stream *s, const struct msg_chunk *m,
    struct stripe_in **spp, int *drain, uint8_t **slot, char **cause)
{
	struct recv_shared	*sh = s->sh;
	struct stripe_in	*sp;
	int			 r;

	pthread_mutex_lock(&sh->mu);
	for (sp = sh->stripes; sp != NULL && sp->id != m->id; sp = sp->next)
		;
	r = 0;
	if (sp == NULL)
		r = err_set(cause, FERRY_ERR_PROTO, "CHUNK for id %u, which "
		    "was not planned striped", m->id);
	else if (m->index >= sp->nchunks)
		r = err_set(cause, FERRY_ERR_PROTO, "CHUNK %u of id %u, which "
		    "has %u", m->index, m->id, sp->nchunks);
	else if (m->offset != stripe_off(sp, m->index) ||
	    m->length != stripe_len(sp, m->index))
		r = err_set(cause, FERRY_ERR_PROTO, "CHUNK %u of id %u at "
		    "%ju+%u, not at %ju+%u", m->index, m->id,
		    (uintmax_t)m->offset, m->length,
		    (uintmax_t)stripe_off(sp, m->index),
		    stripe_len(sp, m->index));
	else if (!sp->closed && sp->state[m->index] != CHUNK_NEEDED)
		r = err_set(cause, FERRY_ERR_PROTO, "CHUNK %u of id %u, which "
		    "is held or was sent already", m->index, m->id);
	/*
	 * After the file ended (it failed), stray chunks are read, unused:
	 * those still in flight on other streams, no more than were not
	 * done. A sender replaying chunks would hold the stream for ever
	 * (each restarts the keep-alives' bound) and count as progress.
	 */
	else if (sp->closed && sp->ndrained >= sp->nchunks - sp->ndone)
		r = err_set(cause, FERRY_ERR_PROTO, "CHUNK %u of id %u, which "
		    "ended: %u chunks dropped already, as many as were not "
		    "done", m->index, m->id, sp->ndrained);
	*drain = r == 0 && sp->closed;
	if (*drain)
		sp->ndrained++;
	if (r == 0 && !*drain) {
		sp->state[m->index] = CHUNK_BUSY;
		sp->nbusy++;
		if (sp->first == NULL)
			sp->first = s;
		else if (sp->first != s)
			sp->spread = 1;
		/* Its slot is its own while it is in the window. */
		if (sp->win != NULL && m->index >= sp->wbase &&
		    m->index - sp->wbase < sp->nslots)
			*slot = sp->win + (size_t)(m->index % sp->nslots) *
			    sp->csize;
	}
	pthread_mutex_unlock(&sh->mu);
	*spp = sp;
	return (r);
}

int
stripe_chunk(struct recv_stream *s, const struct frame *cf, char **cause)
{
	struct recv_shared	*sh = s->sh;
	struct stripe_in	*sp;
	struct msg_chunk	 m;
	struct msg_end		 end;
	struct frame		 f;
	struct hash		*h;
	uint8_t			 d[HASH_LEN], *slot = NULL;
	uint64_t		 off, got = 0;
	uint32_t		 len;
	ssize_t			 n;
	int			 r, ok, io = 0, drain, cached = 0, late, run;

	if (!(s->features & FRAME_FEATURE_STRIPE))
		return (err_set(cause, FERRY_ERR_PROTO, "a CHUNK, and striping "
		    "was not agreed"));
	if ((r = msg_chunk_decode(cf, &m, cause)) != 0)
		return (r);
	if ((r = stripe_chunk_start(s, &m, &sp, &drain, &slot, cause)) != 0)
		return (r);
	off = m.offset;
	len = m.length;
	/* Out of memory here: the chunk given back as any broken one. */
	if ((h = hash_new()) == NULL) {
		r = err_set(cause, FERRY_ERR_NOMEM, "%s: chunk %u: no memory "
		    "for its hash", sp->path, m.index);
		goto out;
	}
	for (;;) {
		if ((r = conn_read_to(&s->c, &f, slot != NULL ? slot + got :
		    NULL, len - got, cause)) != 0)
			goto out;
		if ((int)f.type == FRAME_FILE_END)
			break;
		if ((int)f.type != FRAME_DATA) {
			r = err_set(cause, FERRY_ERR_PROTO, "%s: expected DATA "
			    "or FILE_END in chunk %u, got %s", sp->path,
			    m.index, frame_type_name(f.type));
			goto out;
		}
		if (got + f.len > len) {
			r = err_set(cause, FERRY_ERR_PROTO, "%s: chunk %u runs "
			    "past its %u bytes", sp->path, m.index, len);
			goto out;
		}
		if (!drain && slot != NULL) {
			hash_update(h, f.payload, f.len);
			/* conn_read_to put it there, unless it was empty. */
			if (f.len > 0 && f.payload != slot + got)
				memcpy(slot + got, f.payload, f.len);
		} else if (!drain && !io) {
			hash_update(h, f.payload, f.len);
			n = direct_pwrite(sp->dfd, sp->fd, f.payload, f.len,
			    (off_t)(off + got), &cached);
			if (n != (ssize_t)f.len)
				io = n == -1 ? errno : EIO;
		}
		got += f.len;
		/* A dropped chunk's bytes are no progress of the file's. */
		if (!drain)
			progress_update(&sh->pr, sp->path, __atomic_add_fetch(
			    &sp->moved, f.len, __ATOMIC_RELAXED), sp->size,
			    f.len, 0);
	}
	if ((r = msg_end_decode(&f, &end, cause)) != 0)
		goto out;
	if (end.id != m.id)
		r = err_set(cause, FERRY_ERR_PROTO, "FILE_END for id %u inside "
		    "chunk %u of id %u", end.id, m.index, m.id);
	hash_digest(h, d);
	ok = r == 0 && !io && end.status == MSG_END_OK && end.size == got &&
	    got == len && memcmp(d, end.hash, HASH_LEN) == 0;
	msg_end_clear(&end);
	if (drain)
		goto out;
	/*
	 * The disk starts on the chunk while the next arrives; what went
	 * with O_DIRECT is there already, and a sync_file_range a chunk
	 * cost 9 % of the receiver's system calls' time for nothing.
	 */
	if (ok && cached)
		flush_start(sp->fd, (off_t)off, (off_t)len);
	if (ok && slot == NULL)
		stripe_note(sp, m.index, 1, (const uint8_t (*)[HASH_LEN])d);
	pthread_mutex_lock(&sh->mu);
	sp->nbusy--;
	if (ok && slot != NULL) {
		/* Written with its run (stripe_win_drain). */
		memcpy(sp->hashes[m.index], d, HASH_LEN);
		sp->state[m.index] = CHUNK_GATHERED;
	} else if (ok)
		stripe_record(sp, m.index, d);
	else {
		sp->state[m.index] = CHUNK_NEEDED;
		if (!sp->bad && r == 0) {
			free(sp->why);
			if (asprintf(&sp->why, "chunk %u: %s", m.index, io ?
			    strerror(io) : got != len ? "cut short" :
			    "checksum mismatch") == -1)
				sp->why = NULL;
		}
		sp->bad = 1;
		sp->io |= io != 0;
	}
	sp->last = progress_now();
	pthread_cond_broadcast(&sh->cv);
	/*
	 * A chunk that outlived its file's end (stripe_file_end left the
	 * file to it): what the window holds is written and recorded for a
	 * resume, then the file's resources go.
	 */
	late = sp->closed;
	run = ok && sp->win != NULL;
	pthread_mutex_unlock(&sh->mu);
	drain = 1;	/* settled */
	/* Also after a chunk beyond the window: a run may end at it. */
	if (run)
		stripe_win_drain(sh, sp, late);
	if (late) {
		pthread_mutex_lock(&sh->mu);
		stripe_release(sh, sp);
		pthread_mutex_unlock(&sh->mu);
	}
out:
	if (!drain) {
		/* A broken chunk: the stream ends, the owner stops waiting. */
		pthread_mutex_lock(&sh->mu);
		sp->nbusy--;
		sp->state[m.index] = CHUNK_NEEDED;
		sp->bad = 1;
		stripe_release(sh, sp);
		pthread_cond_broadcast(&sh->cv);
		pthread_mutex_unlock(&sh->mu);
	}
	hash_free(h);
	return (r);
}

int
stripe_file_open(struct recv_stream *s, struct recv_file *rf)
{
	struct stripe_in	*sp = rf->it->sp;
	char			*why = NULL;

	if (recv_parent(s, rf->it->e.path, 1, &rf->dirfd, &rf->base,
	    &why) != 0) {
		recv_file_fail(rf, "%s", why);
		free(why);
		return (0);
	}
	tree_tmp_name(rf->base, TREE_PART, rf->part);
	tree_tmp_name(rf->base, TREE_META, rf->meta);
	if ((rf->fd = dup(sp->fd)) == -1 ||
	    fstat(rf->fd, &rf->it->part_sb) == -1)
		recv_file_fail(rf, "%s", strerror(errno));
	rf->it->sent_offset = sp->held;
	return (0);
}

void
stripe_file_end(struct recv_stream *s, struct recv_file *rf,
    const struct msg_end *end)
{
	struct recv_shared	*sh = s->sh;
	struct stripe_in	*sp = rf->it->sp;
	struct timespec		 ts;
	uint32_t		 i;
	int			 stuck = 0, was;

	pthread_mutex_lock(&sh->mu);
	/*
	 * The sender sends FILE_END once every chunk went out, on some
	 * stream: wait for them, unless one failed, the sender gave up, no
	 * other stream is left to bring them, or nothing moves for long.
	 */
	while (sp->ndone < sp->nchunks && !((sp->bad ||
	    end->status != MSG_END_OK) && sp->nbusy == 0) && sh->live > 1) {
		if (progress_now() - sp->last > STRIPE_WAIT_S) {
			stuck = 1;
			break;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&sh->cv, &sh->mu, &ts);
	}
	/*
	 * The window's checked chunks on disk and recorded, before the end;
	 * and no run still being written (a stream that settled a chunk
	 * meanwhile) when the descriptors are closed below.
	 */
	pthread_mutex_unlock(&sh->mu);
	stripe_win_drain(sh, sp, 1);
	pthread_mutex_lock(&sh->mu);
	while (sp->writing)
		pthread_cond_wait(&sh->cv, &sh->mu);
	sp->closed = 1;
	if (end->status == MSG_END_OK && sp->ndone < sp->nchunks) {
		was = rf->failed;
		recv_file_fail(rf, "%s", sp->why != NULL ? sp->why : stuck ?
		    "chunks stopped arriving" : "chunks missing");
		/*
		 * The chunks it holds were each checked: the next try sends
		 * only the others (a stream cut, a sender stopped, a chunk
		 * that failed its hash). Not after a write failed: a full
		 * disk leaves nothing partial.
		 */
		rf->keep = !was && !sp->io;
	}
	hash_reset(rf->h);
	for (i = 0; i < sp->nchunks; i++)
		hash_update(rf->h, sp->hashes[i], HASH_LEN);
	rf->written = sp->size;
	rf->kicked = sp->size;
	/*
	 * No chunk can use them now (rf has its own descriptor); with one
	 * still busy, its stream releases them when it settles.
	 */
	stripe_release(sh, sp);
	pthread_mutex_unlock(&sh->mu);
}

int
stripe_spread(const struct stripe_in *sp)
{
	return (sp != NULL && sp->spread);
}

void
stripe_stream_done(struct recv_shared *sh)
{
	pthread_mutex_lock(&sh->mu);
	sh->live--;
	pthread_cond_broadcast(&sh->cv);
	pthread_mutex_unlock(&sh->mu);
}

void
stripe_free_all(struct recv_shared *sh)
{
	struct stripe_in	*sp;

	while ((sp = sh->stripes) != NULL) {
		/* A file that never ended: what it gathered, for a resume. */
		stripe_win_drain(sh, sp, 1);
		sh->stripes = sp->next;
		stripe_in_free(sp);
	}
}
