/*
 * The sending side of a transfer. It offers entries in batches, reads the
 * receiver's plans, and streams each wanted file whole or as a delta with
 * its checksum; files the receiver could not verify are offered again.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blockmap-int.h"
#include "delta-int.h"
#include "err.h"
#include "hash-int.h"
#include "iobuf-int.h"
#include "send-int.h"
#include "session-int.h"
#include "stripe-int.h"
#include "tls.h"

/* Where a delta's output goes: DELTA frames, or the probe buffer. */
struct send_delta_out {
	struct send_stream	*s;
	struct buf		 pending;
	int			 probing;
	char			**cause;
};

static const struct transfer_file *
send_file(const struct send_stream *s, const struct send_item *it)
{
	return (&s->sh->l->v[it->id]);
}

/* The checksum of a whole source file, for --compare-hash. */
static int
send_hash_file(struct send_shared *sh, const struct transfer_file *tf,
    uint64_t size, uint8_t *out)
{
	struct stat	 sb;
	struct hash	*h;
	char		*why = NULL;
	int		 fd, r = FERRY_ERR_NOMEM;

	if ((r = send_open(sh, tf, O_RDONLY, &fd, &sb, &why)) != 0) {
		free(why);
		return (r);
	}
	if ((h = hash_new()) != NULL &&
	    (r = hash_fd_prefix(h, fd, size)) == 0)
		hash_digest(h, out);
	hash_free(h);
	close(fd);
	return (r);
}

/* Offers the next batch of queued items; returns how many. */
static int
send_entries(struct send_stream *s, char **cause)
{
	const struct transfer_file	*tf;
	struct send_item		*it;
	struct msg_entry		 e;
	struct buf			 out;
	uint64_t			 bytes = 0;
	int				 r = 0;

	buf_init(&out, 0);
	s->nbatch = 0;
	while (s->nqueue > 0 && s->nbatch < SESSION_BATCH_FILES &&
	    (s->nbatch == 0 || bytes < SESSION_BATCH_BYTES)) {
		it = &s->items[s->queue[s->qhead]];
		s->batch[s->nbatch++] = s->queue[s->qhead];
		s->qhead = (s->qhead + 1) % s->qcap;
		s->nqueue--;
		tf = send_file(s, it);
		bytes += it->size;
		it->planned = 0;	/* a last try's plan is no answer */
		memset(&e, 0, sizeof e);
		e.id = it->id;
		e.type = (uint8_t)tf->type;
		e.flags = (it->force_whole ? MSG_ENTRY_FORCE_WHOLE : 0) |
		    (it->want_rsync ? MSG_ENTRY_WANT_RSYNC : 0) |
		    (it->striped && (s->features & FRAME_FEATURE_STRIPE) ?
		    MSG_ENTRY_STRIPE : 0);
		e.mode = it->mode & 07777;
		e.size = it->size;
		e.mtime_sec = it->mtime_sec;
		e.mtime_nsec = it->mtime_nsec;
		e.path = tf->rel;
		e.link = tf->link;
		e.basis = tf->basis;
		if (s->sh->o->compare_hash && tf->type == MSG_ENTRY_FILE &&
		    send_hash_file(s->sh, tf, it->size, e.hash) == 0)
			e.flags |= MSG_ENTRY_HAS_HASH;
		if ((r = msg_entry_encode(&out, &e)) != 0 ||
		    (r = conn_put(&s->c, out.data, out.len, cause)) != 0)
			break;
		buf_reset(&out);
	}
	if (r == 0 && (r = msg_end_of_batch(&out, FRAME_FILE_ENTRY)) == 0 &&
	    (r = conn_put(&s->c, out.data, out.len, cause)) == 0)
		r = conn_flush(&s->c, cause);
	buf_free(&out);
	return (r);
}

/* Queues buffered delta output as DELTA frames of at most a bulk each. */
static int
send_delta_flush(struct send_delta_out *o, int all)
{
	size_t	off = 0, n;
	int	r = 0;

	while (r == 0 && o->pending.len - off > 0 &&
	    (all || o->pending.len - off >= FRAME_MAX_BULK)) {
		n = o->pending.len - off;
		if (n > FRAME_MAX_BULK)
			n = FRAME_MAX_BULK;
		struct buf fr;

		buf_init(&fr, 0);
		if ((r = frame_encode(&fr, FRAME_DELTA, 0, o->pending.data + off,
		    n, o->cause)) == 0)
			r = conn_put(&o->s->c, fr.data, fr.len, o->cause);
		send_throttle(o->s, n);
		buf_free(&fr);
		off += n;
	}
	if (off > 0) {
		memmove(o->pending.data, o->pending.data + off,
		    o->pending.len - off);
		o->pending.len -= off;
	}
	return (r);
}

static int
send_delta_sink(void *arg, const void *data, size_t len)
{
	struct send_delta_out	*o = arg;
	int			 r;

	if ((r = buf_add(&o->pending, data, len)) != 0 || o->probing)
		return (r);
	return (send_delta_flush(o, 0));
}

/* Reads up to SEND_READ_SIZE bytes; sets *got (0 at end of file). */
static int
send_read(int fd, uint8_t *p, size_t max, size_t *got, char **cause)
{
	ssize_t	n;

	*got = 0;
	do
		n = read(fd, p, max);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return (err_set(cause, FERRY_ERR_IO, "reading: %s",
		    strerror(errno)));
	*got = (size_t)n;
	return (0);
}

/* Streams fd from its current offset as DATA frames; counts into *sent. */
static int
send_whole(struct send_stream *s, const struct send_item *it, int fd,
    struct hash *h, uint64_t offset, uint64_t *sent, char **cause)
{
	const struct transfer_file	*tf = send_file(s, it);
	uint8_t	*p;
	uint64_t left;
	size_t	 got;
	int	 r;

	for (;;) {
		if ((r = send_aborted(s, cause)) != 0)
			return (r);
		left = it->size > offset + *sent ? it->size - offset - *sent : 0;
		if ((p = conn_bulk_space(&s->c, left < FRAME_MAX_BULK ?
		    (size_t)left : FRAME_MAX_BULK, cause)) == NULL)
			return (FERRY_ERR_CLOSED);
		if ((r = send_read(fd, p, FRAME_MAX_BULK, &got, cause)) != 0)
			return (r);
		if (got == 0)
			return (0);
		hash_update(h, p, got);
		*sent += got;
		if ((r = conn_bulk_commit(&s->c, FRAME_DATA, got, cause)) != 0)
			return (r);
		send_throttle(s, got);
		progress_update(&s->sh->pr, tf->rel, offset + *sent, it->size,
		    got, 0);
		/*
		 * All the size offered: no read for the end of the file (a
		 * system call a small file). One that grew meanwhile is
		 * found out by send_one's fstat, as one that shrank is by
		 * its count.
		 */
		if (offset + *sent == it->size)
			return (0);
	}
}

/*
 * The two delta encoders behind one interface: librsync's, against a
 * signature, and the block map's (see blockmap.h). Both write librsync's
 * delta format to send_delta_sink.
 */
struct send_enc {
	struct delta		*rs;
	struct blockmap_enc	 bm;
	int			 is_bm;
};

static int
send_enc_init(struct send_enc *e, struct send_item *it, uint64_t offset,
    char **cause)
{
	memset(e, 0, sizeof *e);
	e->is_bm = it->bmap != NULL;
	if (e->is_bm)
		return (blockmap_enc_init(&e->bm, it->bmap, offset));
	return (delta_delta_new(it->sig, &e->rs, cause));
}

static int
send_enc_push(struct send_enc *e, const void *p, size_t n, int eof,
    struct send_delta_out *o, char **cause)
{
	if (e->is_bm)
		return (blockmap_enc_push(&e->bm, p, n, eof, send_delta_sink,
		    o));
	return (delta_push(e->rs, p, n, eof, send_delta_sink, o, cause));
}

/* Whether the probe found too little in common for a delta to pay. */
static int
send_enc_poor(const struct send_enc *e, const struct send_delta_out *o,
    uint64_t probed)
{
	if (e->is_bm)
		return ((double)e->bm.matched < SESSION_BLOCK_MIN *
		    (double)probed);
	return ((double)o->pending.len > SESSION_PROBE_RATIO *
	    (double)probed + 1024);
}

static void
send_enc_free(struct send_enc *e)
{
	if (e->is_bm)
		blockmap_enc_free(&e->bm);
	delta_free(e->rs);
}

/*
 * Streams the delta of fd (from its current offset), holding back the
 * first SESSION_PROBE_BYTES. If they have too little in common with the
 * basis, nothing has been sent and *verdict says what to do instead:
 * MSG_PLAN_WHOLE, or for a small file against a block map a rescan
 * (MSG_END_RESCAN: offered again with a librsync signature, in case its
 * data only moved). Otherwise *verdict is MSG_PLAN_DELTA.
 */
static int
send_delta(struct send_stream *s, struct send_item *it, int fd,
    struct hash *h, uint64_t offset, uint64_t *sent, int *verdict,
    char **cause)
{
	const struct transfer_file	*tf = send_file(s, it);
	struct send_delta_out		 o;
	struct send_enc			 e;
	uint64_t			 probed = 0;
	size_t				 got;
	int				 r, eof = 0;

	memset(&o, 0, sizeof o);
	o.s = s;
	o.probing = 1;
	o.cause = cause;
	buf_init(&o.pending, 0);
	*verdict = MSG_PLAN_DELTA;
	if ((r = send_enc_init(&e, it, offset, cause)) != 0)
		goto out;
	while (r == 0 && !eof) {
		if ((r = send_aborted(s, cause)) != 0 ||
		    (r = send_read(fd, s->chunk, SEND_READ_SIZE, &got,
		    cause)) != 0)
			break;
		eof = got == 0;
		hash_update(h, s->chunk, got);
		*sent += got;
		r = send_enc_push(&e, s->chunk, got, eof, &o, cause);
		if (r == 0 && o.probing && ((probed += got) >=
		    SESSION_PROBE_BYTES || eof)) {
			if (send_enc_poor(&e, &o, probed)) {
				*verdict = e.is_bm && !it->want_rsync &&
				    it->size <= SESSION_RESCAN_MAX ?
				    MSG_END_RESCAN : MSG_PLAN_WHOLE;
				goto out;
			}
			o.probing = 0;
			if ((r = send_begin(s, it->id, MSG_PLAN_DELTA, offset,
			    cause)) == 0)
				r = send_delta_flush(&o, 0);
		}
		if (r == 0)
			progress_update(&s->sh->pr, tf->rel, offset + *sent,
			    it->size, got, 0);
	}
	if (r == 0)
		r = send_delta_flush(&o, 1);
out:
	send_enc_free(&e);
	buf_free(&o.pending);
	return (r);
}

/* Whether the file still is the version on offer. */
static int
send_unchanged(const struct send_item *it, const struct stat *sb)
{
	return ((uint64_t)sb->st_size == it->size &&
	    sb->st_mtim.tv_sec == it->mtime_sec &&
	    (uint32_t)sb->st_mtim.tv_nsec == it->mtime_nsec);
}

/* Sends the bytes of one planned file: FILE_BEGIN, data, FILE_END. */
static int
send_one(struct send_stream *s, struct send_item *it, char **cause)
{
	const struct transfer_file	*tf = send_file(s, it);
	struct stat			 sb;
	struct hash			*h = NULL;
	uint64_t			 offset = 0, sent = 0;
	uint8_t				 prefix[HASH_LEN];
	char				*why = NULL;
	int				 fd, r, whole = 1, verdict;

	fd = -1;
	if (send_open(s->sh, tf, O_RDONLY, &fd, &sb, &why) != 0 ||
	    (h = hash_new()) == NULL) {
		if (why == NULL)
			why = strdup("out of memory");
		if ((r = send_begin(s, it->id, MSG_PLAN_WHOLE, 0, cause)) == 0)
			r = send_end(s, it->id, MSG_END_UNREADABLE, 0, NULL,
			    why, cause);
		goto out;
	}
	/*
	 * Resume only if what the receiver holds is our prefix. Hashing it
	 * may outlast the receiver's idle timeout: keep-alives meanwhile.
	 */
	beat_out_entry(&s->beat, it->id);
	beat_out_stale(&s->beat);	/* the data before may sit queued */
	if (it->plan.offset > 0 && it->plan.offset <= it->size &&
	    hash_fd_prefix_beat(h, fd, it->plan.offset, beat_out_fn,
	    &s->beat) == 0) {
		hash_digest(h, prefix);
		if (memcmp(prefix, it->plan.prefix_hash, HASH_LEN) == 0)
			offset = it->plan.offset;
	}
	if (s->beat.err != 0) {
		r = err_set(cause, s->beat.err, "%s", s->beat.cause ?
		    s->beat.cause : err_str(s->beat.err));
		goto out;
	}
	if (offset == 0)
		hash_reset(h);
	/* A new descriptor is at 0 already: hash_fd_prefix uses pread. */
	if (offset > 0 && lseek(fd, (off_t)offset, SEEK_SET) == -1) {
		r = err_set(cause, FERRY_ERR_IO, "%s: %s", tf->src,
		    strerror(errno));
		goto out;
	}
	if (it->plan.action == MSG_PLAN_DELTA && (it->sig || it->bmap)) {
		if ((r = send_delta(s, it, fd, h, offset, &sent, &verdict,
		    cause)) != 0)
			goto out;
		if (verdict == MSG_END_RESCAN) {
			/* No data: keep the receiver's partial file as is. */
			it->rescan = 1;
			if ((r = send_begin(s, it->id, MSG_PLAN_WHOLE,
			    it->plan.offset, cause)) == 0)
				r = send_end(s, it->id, MSG_END_RESCAN, 0, NULL,
				    "", cause);
			goto out;
		}
		whole = verdict == MSG_PLAN_WHOLE;
		if (whole) {
			/* Rewind to where the data starts, checksum included. */
			hash_reset(h);
			sent = 0;
			if (hash_fd_prefix_beat(h, fd, offset, beat_out_fn,
			    &s->beat) != 0 ||
			    lseek(fd, (off_t)offset, SEEK_SET) == -1) {
				r = err_set(cause, FERRY_ERR_IO, "%s: %s",
				    tf->src, strerror(errno));
				goto out;
			}
		}
	}
	if (whole && ((r = send_begin(s, it->id, MSG_PLAN_WHOLE, offset,
	    cause)) != 0 || (r = send_whole(s, it, fd, h, offset, &sent,
	    cause)) != 0))
		goto out;
	it->plan.action = whole ? MSG_PLAN_WHOLE : MSG_PLAN_DELTA;
	it->changed = fstat(fd, &sb) == -1 || !send_unchanged(it, &sb) ||
	    offset + sent != it->size;
	if (it->changed)
		r = send_end(s, it->id, MSG_END_CHANGED, offset + sent, h,
		    "the source changed while it was read", cause);
	else
		r = send_end(s, it->id, MSG_END_OK, offset + sent, h, "",
		    cause);
out:
	free(why);
	hash_free(h);
	if (fd != -1)
		close(fd);
	return (r);
}

/* Tells the caller a file's fate, if it asked. */
static void
send_report(struct send_stream *s, const struct send_item *it, int ok,
    const char *why)
{
	const struct transfer_opts	*o = s->sh->o;

	stripe_settled(s->sh, (struct send_item *)(uintptr_t)it);
	if (o->file_done == NULL)
		return;
	pthread_mutex_lock(&s->sh->mu);
	o->file_done(it->id, ok, why, o->file_done_arg);
	pthread_mutex_unlock(&s->sh->mu);
}

static void
send_fail(struct send_stream *s, struct send_item *it, const char *why)
{
	struct send_shared	*sh = s->sh;

	send_report(s, it, 0, why);

	pthread_mutex_lock(&sh->mu);
	sh->st.failed++;
	pthread_mutex_unlock(&sh->mu);
	session_note_failure(&sh->failures, &sh->mu, send_file(s, it)->rel,
	    why);
}

/* Settles the items of a plan that needs no data (skip, done, refuse). */
static void
send_settle_plan(struct send_stream *s, struct send_item *it)
{
	const struct transfer_file	*tf = send_file(s, it);
	struct send_shared		*sh = s->sh;

	if (it->plan.action == MSG_PLAN_REFUSE) {
		send_fail(s, it, it->plan.reason);
		return;
	}
	send_report(s, it, 1, NULL);
	pthread_mutex_lock(&sh->mu);
	sh->st.skipped += it->plan.action == MSG_PLAN_SKIP;
	sh->st.bytes += it->size;
	pthread_mutex_unlock(&sh->mu);
	progress_update(&sh->pr, tf->rel, it->size, it->size, it->size, 1);
}

/* Puts an item back at the end of the stream's queue, for another try. */
static void
send_requeue(struct send_stream *s, struct send_item *it)
{
	s->queue[(s->qhead + s->nqueue++) % s->qcap] = (size_t)(it - s->items);
}

/* Offers the file's new version after it changed under us. */
static void
send_refresh(struct send_shared *sh, struct send_item *it,
    const struct transfer_file *tf)
{
	struct stat	 sb;
	char		*why = NULL;
	int		 fd;

	if (send_open(sh, tf, O_PATH, &fd, &sb, &why) != 0) {
		free(why);
		return;		/* the next try reports it unreadable */
	}
	close(fd);
	it->size = (uint64_t)sb.st_size;
	it->mtime_sec = sb.st_mtim.tv_sec;
	it->mtime_nsec = (uint32_t)sb.st_mtim.tv_nsec;
	it->mode = sb.st_mode & 07777;
	it->changed = 0;
}

/* Applies one ACK: done, offered again, or failed for good. */
static void
send_settle_ack(struct send_stream *s, struct send_item *it,
    const struct msg_ack *ack)
{
	const struct transfer_file	*tf = send_file(s, it);
	struct send_shared		*sh = s->sh;
	int				 max = sh->o->max_attempts > 0 ?
					     sh->o->max_attempts : 3;

	if (ack->status == MSG_ACK_DONE) {
		send_report(s, it, 1, NULL);
		pthread_mutex_lock(&sh->mu);
		sh->st.bytes += it->size;
		if (it->plan.action != MSG_PLAN_STRIPE)
			sh->st.resumed_bytes += it->plan.offset;
		/* Striped: its chunks went on more than one stream. */
		sh->st.striped += it->plan.action == MSG_PLAN_STRIPE &&
		    it->spread;
		if (it->plan.action == MSG_PLAN_DELTA)
			sh->st.delta++;
		else
			sh->st.whole++;
		pthread_mutex_unlock(&sh->mu);
		progress_update(&sh->pr, tf->rel, it->size, it->size, 0, 1);
		return;
	}
	if (ack->status == MSG_ACK_RETRY && it->rescan) {
		/* Not a failure: the next try brings a librsync signature. */
		it->rescan = 0;
		it->want_rsync = 1;
		send_requeue(s, it);
		return;
	}
	if (ack->status == MSG_ACK_RETRY && ++it->attempts < max) {
		if (it->changed)
			send_refresh(sh, it, tf);
		else
			it->force_whole = 1;	/* the basis may be at fault */
		send_requeue(s, it);
		return;
	}
	send_fail(s, it, ack->reason);
}

/* Sends the data of the batch, then an empty FILE_BEGIN. */
static int
send_data(struct send_stream *s, char **cause)
{
	struct send_item	*it;
	struct buf		 out;
	size_t			 i;
	int			 r = 0;

	for (i = 0; r == 0 && i < s->nbatch; i++) {
		it = &s->items[s->batch[i]];
		/* Chunks of striped files first: they hold a file back. */
		if ((r = stripe_help(s, cause)) != 0)
			break;
		if (it->plan.action == MSG_PLAN_STRIPE)
			r = stripe_send_file(s, it, cause);
		else if (it->plan.action == MSG_PLAN_WHOLE ||
		    it->plan.action == MSG_PLAN_DELTA)
			r = send_one(s, it, cause);
		else
			send_settle_plan(s, it);
		/* Each of those sent a FILE_BEGIN (or failed the session). */
		it->awaiting = r == 0 && (it->plan.action == MSG_PLAN_STRIPE ||
		    it->plan.action == MSG_PLAN_WHOLE ||
		    it->plan.action == MSG_PLAN_DELTA);
	}
	buf_init(&out, 0);
	if (r == 0 && (r = msg_end_of_batch(&out, FRAME_FILE_BEGIN)) == 0 &&
	    (r = conn_put(&s->c, out.data, out.len, cause)) == 0)
		r = conn_flush(&s->c, cause);
	buf_free(&out);
	for (i = 0; i < s->nbatch; i++) {
		delta_sig_free(s->items[s->batch[i]].sig);
		s->items[s->batch[i]].sig = NULL;
		blockmap_free(s->items[s->batch[i]].bmap);
		s->items[s->batch[i]].bmap = NULL;
	}
	return (r);
}

/*
 * Reads the receiver's verdicts on the n items of list: one ACK for each
 * file whose data went, none for another, then the empty ACK.
 */
static int
send_read_acks(struct send_stream *s, const size_t *list, size_t n,
    char **cause)
{
	struct send_item	*it;
	struct frame		 f;
	struct msg_ack		 ack;
	size_t			 i;
	int			 r;

	for (;;) {
		if ((r = conn_expect(&s->c, FRAME_ACK, &f, cause)) != 0 ||
		    f.len == 0 || (r = msg_ack_decode(&f, &ack, cause)) != 0)
			break;
		if ((it = send_find(s, list, n, ack.id)) == NULL)
			r = err_set(cause, FERRY_ERR_PROTO, "ACK for id %u, "
			    "which is not in the batch answered", ack.id);
		else if (!it->awaiting)
			r = err_set(cause, FERRY_ERR_PROTO, "ACK for id %u, "
			    "whose data was not sent or which was answered "
			    "already", ack.id);
		else {
			it->awaiting = 0;
			send_settle_ack(s, it, &ack);
		}
		msg_ack_clear(&ack);
		if (r != 0)
			return (r);
	}
	for (i = 0; r == 0 && i < n; i++) {
		if (s->items[list[i]].awaiting)
			r = err_set(cause, FERRY_ERR_PROTO, "no ACK for id %u",
			    s->items[list[i]].id);
	}
	return (r);
}

/*
 * One batch, and the ACKs that answer it. With PIPELINE (docs/protocol.md
 * 6.1) those are the previous batch's: this batch's come after the next
 * one's data, so that the receiver commits this one meanwhile. With
 * nothing left to offer, a batch of nothing but an empty FILE_BEGIN asks
 * for the last batch's.
 */
static int
send_batch(struct send_stream *s, char **cause)
{
	struct buf	 out;
	size_t		*t;
	int		 r;

	s->nbatch = 0;
	if (s->nqueue > 0) {
		if ((r = send_entries(s, cause)) != 0 ||
		    (r = send_read_plans(s, cause)) != 0 ||
		    (r = send_data(s, cause)) != 0)
			return (r);
	} else {
		buf_init(&out, 0);
		if ((r = msg_end_of_batch(&out, FRAME_FILE_BEGIN)) == 0 &&
		    (r = conn_put(&s->c, out.data, out.len, cause)) == 0)
			r = conn_flush(&s->c, cause);
		buf_free(&out);
		if (r != 0)
			return (r);
	}
	if (!(s->features & FRAME_FEATURE_PIPELINE))
		return (send_read_acks(s, s->batch, s->nbatch, cause));
	if ((r = send_read_acks(s, s->held, s->nheld, cause)) != 0)
		return (r);
	/* This batch is now the one whose ACKs are to come. */
	t = s->held;
	s->held = s->batch;
	s->batch = t;
	s->nheld = s->nbatch;
	s->nbatch = 0;
	return (0);
}

static void *
send_stream_main(void *arg)
{
	struct send_stream	*s = arg;
	struct buf		 out;
	int			 r;

	if ((r = session_hello(&s->c, (s->sh->o->no_pipeline ?
	    FRAME_FEATURE_PIPELINE : 0) | (s->sh->o->no_keepalive ?
	    FRAME_FEATURE_KEEPALIVE : 0), &s->features, &s->cause)) != 0)
		goto out;
	/* Its own hashing is no file byte sent: no progress counted. */
	beat_out_init(&s->beat, &s->c, NULL,
	    (s->features & FRAME_FEATURE_KEEPALIVE) != 0);
	if (!(s->features & FRAME_FEATURE_STRIPE))
		stripe_stream_gone(s->sh, 0, 0);
	/* Without PIPELINE, no batch is ever held. */
	while (s->nqueue > 0 || s->nheld > 0) {
		if ((r = send_aborted(s, &s->cause)) != 0 ||
		    (r = send_batch(s, &s->cause)) != 0)
			goto out;
	}
	/* Chunks of the others' striped files, as long as there are some. */
	if ((r = stripe_idle(s, &s->cause)) != 0)
		goto out;
	/* An empty batch ends the session. */
	buf_init(&out, 0);
	if ((r = msg_end_of_batch(&out, FRAME_FILE_ENTRY)) == 0 &&
	    (r = conn_put(&s->c, out.data, out.len, &s->cause)) == 0)
		r = conn_flush(&s->c, &s->cause);
	buf_free(&out);
	if (r == 0)
		tls_shutdown(s->c.tls, NULL);
out:
	if (r != 0 && r != FERRY_ERR_CLOSED && r != FERRY_ERR_TIMEOUT)
		session_error(&s->c, s->cause ? s->cause : err_str(r));
	if (r != 0)
		stripe_stream_gone(s->sh, 1, 1);
	s->result = r;
	return (NULL);
}

/* Orders list indices by file size, largest first. */
static int
send_cmp_size(const void *a, const void *b, void *arg)
{
	const struct transfer_list	*l = arg;
	uint64_t			 x = l->v[*(const size_t *)a].size;
	uint64_t			 y = l->v[*(const size_t *)b].size;

	if (x != y)
		return (x < y ? 1 : -1);
	/* Equal sizes keep list order, so runs are repeatable. */
	return (*(const size_t *)a < *(const size_t *)b ? -1 : 1);
}

/*
 * Shares the list among the streams: directories, symlinks and small
 * files on the first, larger files largest first onto the least loaded
 * stream, so the big ones start at once.
 */
static int
send_assign(struct send_stream *s, int n, const struct transfer_list *l,
    struct stripe_sched *ss)
{
	size_t		*order, i, j, k;
	uint64_t	*load;

	order = calloc(l->n + 1, sizeof *order);
	load = calloc((size_t)n, sizeof *load);
	for (i = 0; i < (size_t)n && order != NULL && load != NULL; i++) {
		s[i].items = calloc(l->n + 1, sizeof *s[i].items);
		s[i].queue = calloc(l->n + 1, sizeof *s[i].queue);
		s[i].qcap = l->n + 1;
		s[i].batch = calloc(SESSION_BATCH_FILES, sizeof *s[i].batch);
		s[i].held = calloc(SESSION_BATCH_FILES, sizeof *s[i].held);
		s[i].chunk = iobuf_alloc(SEND_READ_SIZE);
		if (s[i].items == NULL || s[i].queue == NULL ||
		    s[i].batch == NULL || s[i].held == NULL ||
		    s[i].chunk == NULL)
			break;
	}
	if (i < (size_t)n) {
		free(order);
		free(load);
		return (FERRY_ERR_NOMEM);
	}
	for (i = 0; i < l->n; i++)
		order[i] = i;
	qsort_r(order, l->n, sizeof *order, send_cmp_size,
	    (void *)(uintptr_t)l);
	for (i = 0; i < l->n; i++) {
		const struct transfer_file *tf = &l->v[order[i]];

		k = 0;
		/*
		 * Small files all go on the first stream: they cost the
		 * receiver metadata work that parallel streams only make
		 * contend in the same directories.
		 */
		if (tf->type == MSG_ENTRY_FILE && tf->size >= SEND_SMALL) {
			for (j = 1; j < (size_t)n; j++) {
				if (load[j] < load[k])
					k = j;
			}
		}
		load[k] += tf->size + 4096;	/* each file costs something */
		s[k].items[s[k].nitems].id = (uint32_t)order[i];
		s[k].items[s[k].nitems].size = tf->size;
		s[k].items[s[k].nitems].mtime_sec = tf->mtime_sec;
		s[k].items[s[k].nitems].mtime_nsec = tf->mtime_nsec;
		s[k].items[s[k].nitems].mode = tf->mode;
		/*
		 * Striped: a large file sent whole (no basis hint), whether or
		 * not other streams help (ss->use): a try resumes the chunks
		 * an earlier one left only if it is striped too.
		 */
		if (ss->offer && tf->type == MSG_ENTRY_FILE &&
		    tf->size >= STRIPE_MIN && tf->size <=
		    (uint64_t)STRIPE_CHUNK_MAX * STRIPE_CHUNKS_MAX &&
		    (tf->basis == NULL ||
		    *tf->basis == '\0')) {
			s[k].items[s[k].nitems].striped = 1;
			ss->open++;
		}
		s[k].queue[s[k].nqueue++] = s[k].nitems++;
	}
	free(order);
	free(load);
	return (0);
}

static void
send_free_streams(struct send_stream *s, int n)
{
	size_t	j;
	int	i;

	for (i = 0; i < n; i++) {
		for (j = 0; j < s[i].nitems; j++) {
			msg_plan_clear(&s[i].items[j].plan);
			delta_sig_free(s[i].items[j].sig);
			blockmap_free(s[i].items[j].bmap);
			buf_free(&s[i].items[j].map);
		}
		free(s[i].items);
		free(s[i].queue);
		free(s[i].batch);
		free(s[i].held);
		free(s[i].chunk);
		free(s[i].cause);
		beat_out_free(&s[i].beat);
		conn_free(&s[i].c);
	}
	free(s);
}

int
transfer_send(struct tls_conn **conns, int n, const struct transfer_list *l,
    const struct transfer_opts *o, struct transfer_stats *st, char **cause)
{
	struct send_shared	 sh;
	struct send_stream	*s;
	pthread_t		*tid;
	uint64_t		 bytes = 0;
	size_t			 i;
	int			 k, r;

	memset(st, 0, sizeof *st);
	memset(&sh, 0, sizeof sh);
	if (n < 1 || l->n > UINT32_MAX || l->root == NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "no connection, too "
		    "many files, or no root"));
	if ((sh.rootfd = open(l->root, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", l->root,
		    strerror(errno)));
	s = calloc((size_t)n, sizeof *s);
	tid = calloc((size_t)n, sizeof *tid);
	stripe_sched_init(&sh.stripes, n < 2 ? 1 : o->stripe > 0 ?
	    (o->stripe < n ? o->stripe : n) : stripe_streams(conns, n));
	/*
	 * With one stream judged enough, a large file still goes in chunks,
	 * on its own stream alone (use 0): whether a file is striped must
	 * not change from one try to the next with the round trip measured,
	 * or the next try could not take up the chunks the last one left
	 * (hub-restart.sh). --stripe 1 (ferry-peer) is never.
	 */
	sh.stripes.offer = n >= 2 && o->stripe != 1;
	if (sh.stripes.use < 2)
		sh.stripes.use = 0;
	if (s == NULL || tid == NULL ||
	    send_assign(s, n, l, &sh.stripes) != 0) {
		free(tid);
		if (s != NULL)
			send_free_streams(s, n);
		stripe_sched_destroy(&sh.stripes);
		close(sh.rootfd);
		return (FERRY_ERR_NOMEM);
	}
	pthread_mutex_init(&sh.mu, NULL);
	sh.l = l;
	sh.o = o;
	buf_init(&sh.failures, 0);
	progress_init(&sh.pr, o->progress, o->progress_arg);
	for (i = 0; i < l->n; i++)
		bytes += l->v[i].size;
	progress_add_total(&sh.pr, l->n, bytes);
	for (k = 0; k < n; k++) {
		s[k].sh = &sh;
		s[k].index = k;
		if ((s[k].result = conn_init(&s[k].c, conns[k])) == 0) {
			s[k].started = pthread_create(&tid[k], NULL,
			    send_stream_main, &s[k]) == 0;
			if (!s[k].started)
				s[k].result = FERRY_ERR_NOMEM;
		}
		if (!s[k].started)
			stripe_stream_gone(&sh, 1, 1);
	}
	r = 0;
	for (k = 0; k < n; k++) {
		if (s[k].started)
			pthread_join(tid[k], NULL);
		sh.st.wire_bytes += s[k].c.bytes_in + s[k].c.bytes_out;
		if (s[k].result != 0 && r == 0) {
			r = s[k].result;
			err_set(cause, r, "stream %d: %s", k, s[k].cause ?
			    s[k].cause : err_str(r));
		}
	}
	sh.st.files = l->n;
	sh.st.seconds = progress_now() - sh.pr.start;
	*st = sh.st;
	if (r == 0 && sh.st.failed > 0)
		r = err_set(cause, FERRY_ERR_IO, "%ju file(s) failed: %s",
		    (uintmax_t)sh.st.failed, buf_str(&sh.failures));
	buf_free(&sh.failures);
	progress_destroy(&sh.pr);
	pthread_mutex_destroy(&sh.mu);
	send_free_streams(s, n);
	stripe_sched_destroy(&sh.stripes);
	free(tid);
	close(sh.rootfd);
	return (r);
}
