/*
 * The receiving side of a transfer. For each batch of entries it decides
 * what it needs (PLAN), takes the data, checks it and puts each file in
 * place atomically (ACK). It trusts nothing the sender says about names.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delta-int.h"
#include "err.h"
#include "flush.h"
#include "hash-int.h"
#include "held-int.h"
#include "inplace.h"
#include "recv-int.h"
#include "session-int.h"
#include "stripe-int.h"
#include "tls.h"
#include "tree.h"

/* Writeback of a large file is started every this many bytes. */
#define RECV_KICK	(8 * 1024 * 1024)

static void
recv_count(struct recv_shared *sh, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&sh->mu);
	*field += n;
	pthread_mutex_unlock(&sh->mu);
}

static int
recv_put(struct recv_stream *s, struct buf *b, char **cause)
{
	int	r = conn_put(&s->c, b->data, b->len, cause);

	buf_reset(b);
	return (r);
}

/*
 * Whether basis hint rel is a regular, non-empty file in the tree. One
 * that is not is no basis; one behind a symlink is noted as well: the
 * sender named a file its grant may not reach.
 */
static int
recv_basis_usable(struct recv_stream *s, const char *rel)
{
	char	*why = NULL;
	int	 fd, r;

	if ((fd = held_basis(s->sh->rootfd, rel, O_PATH, &r, &why)) != -1) {
		close(fd);
		return (1);
	}
	if (r == FERRY_ERR_DENIED) {
		char *msg = NULL;

		if (asprintf(&msg, "basis %s", why) == -1)
			msg = NULL;
		recv_suspect(s, rel, msg);
		free(msg);
	}
	free(why);
	return (0);
}

/* Decides what a file entry needs; fills plan. */
static void
recv_plan_file(struct recv_stream *s, struct recv_item *it,
    struct msg_plan *plan, char **why)
{
	struct msg_entry	*e = &it->e;
	struct stat		 sb;
	const char		*base;
	int			 dirfd, exists;

	plan->action = MSG_PLAN_REFUSE;
	if (*e->basis != '\0' && tree_check_relpath(e->basis, why) != 0) {
		recv_suspect(s, e->path, *why);
		return;
	}
	if (recv_parent(s, e->path, 1, &dirfd, &base, why) != 0)
		return;
	exists = !recv_dir_lacks(s, base) &&
	    fstatat(dirfd, base, &sb, AT_SYMLINK_NOFOLLOW) == 0;
	if (exists && S_ISDIR(sb.st_mode)) {
		err_set(why, FERRY_ERR_EXIST, "a directory is in the way");
		return;
	}
	/* The hashing below may be long: the sender hears of it. */
	beat_out_entry(&s->beat, e->id);
	if (exists && held_identical(dirfd, base, &sb, e, beat_out_fn,
	    &s->beat)) {
		plan->action = MSG_PLAN_SKIP;
		return;
	}
	/* A file with no basis may travel in chunks on every stream. */
	if ((e->flags & MSG_ENTRY_FORCE_WHOLE || (*e->basis == '\0' &&
	    !(exists && S_ISREG(sb.st_mode) && sb.st_size > 0))) &&
	    stripe_plan(s, it, dirfd, base, plan, &s->map) == 0)
		return;
	/* A striped try's chunks, as far as they run from the start. */
	if (recv_dir_partials(s) && !(e->flags & MSG_ENTRY_FORCE_WHOLE) &&
	    *e->basis == '\0' && !exists)
		stripe_held_to_prefix(dirfd, base, e);
	plan->offset = recv_dir_partials(s) ? held_partial(dirfd, base, e,
	    plan->prefix_hash, beat_out_fn, &s->beat) : 0;
	plan->action = MSG_PLAN_WHOLE;
	if (e->flags & MSG_ENTRY_FORCE_WHOLE || e->size == 0)
		return;
	if (exists && S_ISREG(sb.st_mode) && sb.st_size > 0)
		it->basis = e->path;
	else if (*e->basis != '\0' && recv_basis_usable(s, e->basis))
		it->basis = e->basis;
	if (it->basis != NULL)
		plan->action = MSG_PLAN_DELTA;
}

/* recv_read_entries' answer for a batch of chunks (6.7), not entries. */
#define RECV_CHUNKS	(SESSION_BATCH_FILES + 1)
#define RECV_CHUNKS_END	(SESSION_BATCH_FILES + 2)

/*
 * Reads one batch of entries; returns the count (0: the session ends), or
 * RECV_CHUNKS after taking the first chunk of a batch of chunks, or
 * RECV_CHUNKS_END for a batch that was only an empty FILE_BEGIN.
 */
static int
recv_read_entries(struct recv_stream *s, char **cause)
{
	struct frame		 f;
	struct recv_item	*v;
	int			 r;

	s->nitems = 0;
	for (;;) {
		if ((r = conn_read(&s->c, &f, cause)) != 0)
			return (r);
		if (s->nitems == 0 && (s->features & FRAME_FEATURE_STRIPE) &&
		    (int)f.type == FRAME_CHUNK)
			return ((r = stripe_chunk(s, &f, cause)) != 0 ? r :
			    RECV_CHUNKS);
		if (s->nitems == 0 && (s->features & (FRAME_FEATURE_STRIPE |
		    FRAME_FEATURE_PIPELINE)) &&
		    (int)f.type == FRAME_FILE_BEGIN && f.len == 0)
			return (RECV_CHUNKS_END);
		if ((int)f.type != FRAME_FILE_ENTRY)
			return (err_set(cause, FERRY_ERR_PROTO, "expected "
			    "FILE_ENTRY, got %s", frame_type_name(f.type)));
		if (f.len == 0)
			return ((int)s->nitems);
		if (s->nitems == SESSION_BATCH_FILES)
			return (err_set(cause, FERRY_ERR_PROTO,
			    "a batch holds more than %d entries",
			    SESSION_BATCH_FILES));
		v = realloc(s->items, (s->nitems + 1) * sizeof *v);
		if (v == NULL)
			return (FERRY_ERR_NOMEM);
		s->items = v;
		memset(&v[s->nitems], 0, sizeof *v);
		if ((r = msg_entry_decode(&f, &v[s->nitems].e, cause)) != 0)
			return (r);
		s->nitems++;
	}
}

static void
recv_clear_items(struct recv_stream *s)
{
	size_t	i;

	/* The flusher writes into the items (none: a batch handed on). */
	if (s->fl != NULL && s->nitems > 0)
		flusher_wait(s->fl);
	recv_tmp_drop(s);
	for (i = 0; i < s->nitems; i++) {
		if (s->items[i].claimed)
			recv_unclaim(s->sh, s->items[i].e.path);
		msg_entry_clear(&s->items[i].e);
		free(s->items[i].ack_reason);
	}
	s->nitems = 0;
}

/*
 * Whether the receiver takes entry e at all: its name, its type (a symlink
 * only when the transfer allows them), and what it was told to expect
 * (names, types and basis hints).
 * A refusal is noted as suspect.
 */
static int
recv_entry_ok(struct recv_stream *s, const struct msg_entry *e, char **why)
{
	const struct transfer_opts	*o = s->sh->o;
	int				 r;

	if ((r = tree_check_relpath(e->path, why)) != 0)
		;
	else if (e->type == MSG_ENTRY_SYMLINK && !o->allow_symlinks)
		r = err_set(why, FERRY_ERR_DENIED, "a symlink, and this "
		    "transfer takes none");
	else if (o->accept != NULL && !o->accept(e->path, e->type, "",
	    o->accept_arg))
		r = err_set(why, FERRY_ERR_DENIED, "not part of this transfer "
		    "(offered as a %s)", e->type == MSG_ENTRY_FILE ? "file" :
		    e->type == MSG_ENTRY_DIR ? "directory" : "symlink");
	else if (o->accept != NULL && *e->basis != '\0' &&
	    !o->accept(e->path, e->type, e->basis, o->accept_arg))
		r = err_set(why, FERRY_ERR_DENIED, "basis %s was not asked "
		    "for", e->basis);
	if (r != 0)
		recv_suspect(s, e->path, *why);
	return (r);
}

/*
 * A file's name, taken for the transfer until its batch is answered
 * (recv-claim.c): a second offer of it meanwhile is refused.
 */
static int
recv_claim_item(struct recv_stream *s, struct recv_item *it, char **why)
{
	int	r;

	if (it->e.type != MSG_ENTRY_FILE)
		return (0);
	if ((r = recv_claim(s->sh, it->e.path)) == 0)
		it->claimed = 1;
	else if (r == FERRY_ERR_EXIST) {
		err_set(why, r, "offered again while another copy of it is "
		    "under way");
		recv_suspect(s, it->e.path, *why);
	} else
		err_set(why, r, "%s", err_str(r));
	return (r);
}

/* Plans every entry of the batch and sends the plans. */
static int
recv_send_plans(struct recv_stream *s, char **cause)
{
	struct msg_plan		 plan;
	struct recv_item	*it;
	struct buf		 out;
	char			*why = NULL;
	size_t			 i;
	int			 r = 0;

	buf_init(&out, 0);
	/* The sender waits for the PLANs from now (its entries were sent). */
	beat_out_sent(&s->beat);
	for (i = 0; r == 0 && i < s->nitems; i++) {
		it = &s->items[i];
		memset(&plan, 0, sizeof plan);
		plan.id = it->e.id;
		if (recv_entry_ok(s, &it->e, &why) != 0 ||
		    recv_claim_item(s, it, &why) != 0)
			plan.action = MSG_PLAN_REFUSE;
		else if (it->e.type == MSG_ENTRY_DIR)
			plan.action = recv_plan_dir(s, it, &why);
		else if (it->e.type == MSG_ENTRY_SYMLINK)
			plan.action = recv_plan_link(s, it, &why);
		else
			recv_plan_file(s, it, &plan, &why);
		if (s->beat.err != 0) {
			/* A keep-alive failed to go: the stream is gone. */
			r = err_set(cause, s->beat.err, "%s", s->beat.cause ?
			    s->beat.cause : err_str(s->beat.err));
			free(why);
			why = NULL;
			break;
		}
		it->action = plan.action;
		it->offset = plan.offset;
		progress_add_total(&s->sh->pr, 1, it->e.size);
		if (plan.action == MSG_PLAN_REFUSE) {
			plan.reason = why ? why : "refused";
			session_note_failure(&s->sh->failures, &s->sh->mu,
			    it->e.path, plan.reason);
			recv_count(s->sh, &s->sh->st.failed, 1);
		} else if (plan.action != MSG_PLAN_WHOLE &&
		    plan.action != MSG_PLAN_DELTA &&
		    plan.action != MSG_PLAN_STRIPE) {
			recv_count(s->sh, &s->sh->st.skipped,
			    plan.action == MSG_PLAN_SKIP);
			recv_count(s->sh, &s->sh->st.bytes, it->e.size);
			progress_update(&s->sh->pr, it->e.path, it->e.size,
			    it->e.size, it->e.size, 1);
			if (plan.action == MSG_PLAN_SKIP)
				recv_committed(s->sh, it->e.path);
		}
		if ((r = msg_plan_encode(&out, &plan)) == 0)
			r = recv_put(s, &out, cause);
		if (r == 0 && plan.action == MSG_PLAN_DELTA &&
		    (r = recv_send_signature(s, it->basis,
		    it->e.flags & MSG_ENTRY_WANT_RSYNC, cause)) == 0)
			beat_out_sent(&s->beat);	/* it flushed */
		/* The chunk map, one bit per chunk: set when held. */
		if (r == 0 && plan.action == MSG_PLAN_STRIPE && s->map.len > 0 &&
		    (r = frame_encode(&out, FRAME_SIGNATURE, 0, s->map.data,
		    s->map.len, cause)) == 0)
			r = recv_put(s, &out, cause);
		if (r == 0 && plan.action == MSG_PLAN_STRIPE &&
		    (r = msg_end_of_batch(&out, FRAME_SIGNATURE)) == 0)
			r = recv_put(s, &out, cause);
		if (r == 0 && s->sh->o->planned != NULL)
			s->sh->o->planned(it->e.path, plan.action,
			    s->sh->o->planned_arg);
		free(why);
		why = NULL;
	}
	if (r == 0 && (r = msg_end_of_batch(&out, FRAME_PLAN)) == 0)
		r = recv_put(s, &out, cause);
	buf_free(&out);
	return (r == 0 ? conn_flush(&s->c, cause) : r);
}

static int
recv_write_sink(void *arg, const void *data, size_t len)
{
	struct recv_file	*rf = arg;
	const char		*p = data;
	ssize_t			 n;

	if (rf->failed)
		return (0);
	hash_update(rf->h, data, len);
	if (rf->job != NULL) {
		recv_write_keep(rf, data, len);
		return (0);
	}
	while (len > 0) {
		if ((n = direct_pwrite(rf->dfd, rf->fd, p, len,
		    (off_t)rf->written, NULL)) == -1) {
			recv_file_fail(rf, "writing: %s", strerror(errno));
			return (0);
		}
		p += n;
		len -= (size_t)n;
		rf->written += (uint64_t)n;
	}
	/* The disk starts on a large file while the rest arrives. */
	if (rf->written - rf->kicked >= RECV_KICK) {
		flush_start(rf->fd, (off_t)rf->kicked,
		    (off_t)(rf->written - rf->kicked));
		rf->kicked = rf->written;
	}
	return (0);
}

/*
 * Where the file system shares extents, the new file starts as a clone of
 * its basis and the delta writes only what changed (inplace.h). A clone
 * patched half-way is no prefix of the new file: it keeps no sidecar, so
 * it is never offered for resuming.
 */
static int
recv_clone(struct recv_file *rf)
{
	if (inplace_clone(rf->fd, rf->basis_fd) != 0)
		return (-1);
	if ((rf->ip = inplace_new(rf->basis_fd, rf->fd, rf->h)) == NULL) {
		recv_file_fail(rf, "%s", "out of memory");
		return (0);
	}
	unlinkat(rf->dirfd, rf->meta, 0);
	return (0);
}

/* Opens the partial file and its sidecar for the data of FILE_BEGIN. */
static void
recv_file_open(struct recv_stream *s, struct recv_file *rf,
    const struct msg_begin *b)
{
	struct msg_entry	*e = &rf->it->e;
	char			 meta[128], *why = NULL;
	int			 fd;

	if (recv_parent(s, e->path, 1, &rf->dirfd, &rf->base, &why) != 0) {
		recv_file_fail(rf, "%s", why);
		free(why);
		return;
	}
	tree_tmp_name(rf->base, TREE_PART, rf->part);
	tree_tmp_name(rf->base, TREE_META, rf->meta);
	recv_flush_plan(s, rf->dirfd, rf->it);
	if (b->offset != rf->it->offset && b->offset != 0) {
		recv_file_fail(rf, "%s", "sender resumed at an offset "
		    "that was not offered");
		return;
	}
	/* Only a large file is worth resuming, and so worth a sidecar. */
	snprintf(meta, sizeof meta, "ferry-part 1 %ju %jd.%09u\n",
	    (uintmax_t)e->size, (intmax_t)e->mtime_sec, e->mtime_nsec);
	fd = e->size < RECV_RESUME_MIN ? -2 : held_create(rf->dirfd,
	    rf->meta, O_WRONLY);
	if (fd == -1 || (fd >= 0 &&
	    write(fd, meta, strlen(meta)) != (ssize_t)strlen(meta))) {
		recv_file_fail(rf, "writing the sidecar: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	if (fd >= 0)
		close(fd);
	/* A small new file: created and written by a writer thread. */
	if (fd == -2 && recv_write_defer(s, rf, b))
		return;
	/* Planning checked the partial file: it may not be the same now. */
	if ((rf->fd = recv_tmp_open(s, rf->dirfd, rf->it, b)) != -1)
		;
	else if (b->offset == 0)
		rf->fd = held_create(rf->dirfd, rf->part, O_RDWR);
	else
		rf->fd = held_reopen(rf->dirfd, rf->part, O_RDWR);
	if (rf->fd == -1 || fstat(rf->fd, &rf->it->part_sb) == -1 ||
	    (b->offset > 0 && lseek(rf->fd, (off_t)b->offset, SEEK_SET) == -1)) {
		recv_file_fail(rf, "creating the partial file: %s",
		    strerror(errno));
		return;
	}
	/* Under 1 MiB the second open costs more than the copy it saves. */
	if (b->action == MSG_PLAN_WHOLE && e->size >= RECV_RESUME_MIN)
		rf->dfd = direct_open(rf->fd);
	/* The checksum covers the whole file: start with what is held. */
	if (b->offset > 0 && hash_fd_prefix(rf->h, rf->fd, b->offset) != 0)
		recv_file_fail(rf, "%s", "re-reading the partial file");
	rf->written = b->offset;
	rf->kicked = b->offset;
	if (b->action == MSG_PLAN_DELTA) {
		int code;

		if (rf->it->basis == NULL ||
		    (rf->basis_fd = held_basis(s->sh->rootfd, rf->it->basis,
		    O_RDONLY, &code, NULL)) == -1)
			recv_file_fail(rf, "%s", "cannot open the delta basis");
		else if (b->offset == 0 && recv_clone(rf) == 0)
			return;
		else if (delta_patch_new(rf->basis_fd, &rf->patch, NULL) != 0)
			recv_file_fail(rf, "%s", "cannot open the delta basis");
	}
}

/* Removes the partial file and its sidecar. */
static void
recv_file_discard(struct recv_file *rf)
{
	if (rf->dirfd == -1)
		return;
	unlinkat(rf->dirfd, rf->part, 0);
	unlinkat(rf->dirfd, rf->meta, 0);
}

/*
 * Checks the file against FILE_END, gives it its mode and mtime and flushes
 * it to disk. A good file is renamed into place with the rest of the batch
 * (recv_commit); a bad one is removed now.
 */
static void
recv_file_finish(struct recv_stream *s, struct recv_file *rf,
    const struct msg_end *end)
{
	struct recv_item	*it = rf->it;
	struct msg_entry	*e = &it->e;
	struct timespec		 ts[2];
	uint8_t			 d[HASH_LEN];
	char			*why = NULL;

	it->ack_status = MSG_ACK_RETRY;
	if (end->status == MSG_END_RESCAN) {
		/* Nothing was sent: keep any partial file for the next try. */
		it->ack_reason = strdup("offered again with a librsync "
		    "signature");
		return;
	}
	if (end->status != MSG_END_OK)
		recv_file_fail(rf, "%s", end->status == MSG_END_CHANGED ?
		    "the source changed while it was sent" :
		    end->reason);
	if (!rf->failed && rf->patch != NULL && !delta_done(rf->patch))
		recv_file_fail(rf, "%s", "the delta ended early");
	if (!rf->failed && rf->ip != NULL && inplace_finish(rf->ip, &why) != 0) {
		recv_file_fail(rf, "%s", why);
		free(why);
	}
	if (rf->h != NULL)
		hash_digest(rf->h, d);
	if (!rf->failed && (rf->written != end->size ||
	    memcmp(d, end->hash, HASH_LEN) != 0))
		recv_file_fail(rf, "%s", "checksum mismatch: the data, the "
		    "basis or the patch was corrupt");
	ts[0].tv_sec = ts[1].tv_sec = e->mtime_sec;
	ts[0].tv_nsec = ts[1].tv_nsec = e->mtime_nsec;
	if (!rf->failed && rf->job == NULL && (fchmod(rf->fd, recv_mode(s,
	    e)) == -1 || futimens(rf->fd, ts) == -1))
		recv_file_fail(rf, "finishing: %s", strerror(errno));
	if (rf->failed) {
		if (!rf->keep)
			recv_file_discard(rf);
		it->ack_reason = rf->why;	/* transferred */
		rf->why = NULL;
		if (end->status == MSG_END_UNREADABLE)
			it->ack_status = MSG_ACK_FAILED;
		return;
	}
	if (rf->job != NULL) {
		recv_write_submit(s, rf, recv_mode(s, e));
		return;
	}
	/*
	 * Flushed by the stream's flusher, with other files, while the next
	 * ones arrive; recv_commit renames it only once that is done.
	 */
	/* A batch's syncfs writes its files back in one sorted pass. */
	if (!it->by_fs)
		flush_start(rf->fd, (off_t)rf->kicked, 0);
	recv_flush_file(s, rf->fd, it);
	rf->fd = -1;
	it->verified = 1;
}

static void
recv_file_close(struct recv_stream *s, struct recv_file *rf)
{
	recv_write_drop(s, rf);
	if (rf->fd != -1)
		close(rf->fd);
	if (rf->dfd != -1)
		close(rf->dfd);
	if (rf->basis_fd != -1)
		close(rf->basis_fd);
	delta_free(rf->patch);
	inplace_free(rf->ip);
	hash_free(rf->h);
	free(rf->why);
}

static struct recv_item *
recv_find_item(struct recv_stream *s, uint32_t id)
{
	size_t	i, k;

	/*
	 * Files come in the order planned: searching on from the last one
	 * found makes a batch one pass, not 1,024 squared / 2 compares.
	 */
	for (k = 0; k < s->nitems; k++) {
		i = (s->find_next + k) % s->nitems;
		if (s->items[i].e.id == id && !s->items[i].begun &&
		    (s->items[i].action == MSG_PLAN_WHOLE ||
		    s->items[i].action == MSG_PLAN_DELTA ||
		    s->items[i].action == MSG_PLAN_STRIPE)) {
			s->find_next = i + 1;
			return (&s->items[i]);
		}
	}
	return (NULL);
}

/* Takes DATA or DELTA frames of rf until FILE_END, and checks the file. */
static int
recv_file_data(struct recv_stream *s, struct recv_file *rf,
    const struct msg_begin *b, char **cause)
{
	struct frame	f;
	struct msg_end	end;
	char		*why = NULL;
	uint64_t	before;
	size_t		room;
	int		r, want = b->action == MSG_PLAN_DELTA ? FRAME_DELTA :
			    FRAME_DATA;

	if (b->action == MSG_PLAN_STRIPE)
		want = FRAME_CHUNK;
	for (;;) {
		/* A kept file's bytes are decrypted straight into its job. */
		if ((r = rf->job != NULL ? conn_read_to(&s->c, &f,
		    recv_write_room(rf, &room), room, cause) :
		    conn_read(&s->c, &f, cause)) != 0)
			return (r);
		if ((int)f.type == FRAME_FILE_END)
			break;
		if ((int)f.type == FRAME_CHUNK && want == FRAME_CHUNK) {
			if ((r = stripe_chunk(s, &f, cause)) != 0)
				return (r);
			continue;
		}
		if ((int)f.type != want)
			return (err_set(cause, FERRY_ERR_PROTO, "%s: expected "
			    "%s or FILE_END, got %s", rf->it->e.path,
			    frame_type_name(want), frame_type_name(f.type)));
		before = rf->written;
		if (rf->failed)
			continue;
		if (rf->ip != NULL) {
			if (inplace_push(rf->ip, f.payload, f.len, &why) != 0) {
				recv_file_fail(rf, "%s", why);
				free(why);
				why = NULL;
			}
			rf->written = inplace_size(rf->ip);
			/*
			 * The clone's changed blocks go to disk behind the
			 * patch, as a whole file's do (recv_write_sink): the
			 * file system's copy-on-write work (an extent and a
			 * reference count each) then overlaps the transfer
			 * instead of following its end, in one writeback of
			 * thousands of scattered blocks. Started by the
			 * flusher's thread: the start is that work.
			 */
			if (rf->written - rf->kicked >= RECV_KICK &&
			    flusher_kick(s->fl, rf->fd, (off_t)rf->kicked,
			    (off_t)(rf->written - rf->kicked)))
				rf->kicked = rf->written;
		} else if (rf->patch != NULL) {
			if (delta_push(rf->patch, f.payload, f.len, 0,
			    recv_write_sink, rf, &why) != 0) {
				recv_file_fail(rf, "%s", why);
				free(why);
				why = NULL;
			}
		} else
			recv_write_sink(rf, f.payload, f.len);
		progress_update(&s->sh->pr, rf->it->e.path, rf->written,
		    rf->it->e.size, rf->written - before, 0);
	}
	if ((r = msg_end_decode(&f, &end, cause)) != 0)
		return (r);
	if (end.id != rf->it->e.id)
		r = err_set(cause, FERRY_ERR_PROTO, "FILE_END for id %u inside "
		    "file %u", end.id, rf->it->e.id);
	/* Let the patch see the end of its input. */
	if (r == 0 && rf->patch != NULL && !rf->failed &&
	    delta_push(rf->patch, NULL, 0, 1, recv_write_sink, rf, &why) != 0) {
		recv_file_fail(rf, "%s", why);
		free(why);
	}
	if (r == 0 && b->action == MSG_PLAN_STRIPE)
		stripe_file_end(s, rf, &end);
	if (r == 0)
		recv_file_finish(s, rf, &end);
	msg_end_clear(&end);
	return (r);
}

/*
 * A KEEPALIVE between files (feature KEEPALIVE): the sender hashes its
 * prefix of the next file it sends, a resume, before its FILE_BEGIN. So
 * it names the first entry of the batch, in the order planned, whose
 * data has not begun, planned WHOLE or DELTA with an offset; at most that
 * offset, twice for a DELTA (a delta found poor is sent whole, and the
 * prefix hashed again), and within beat_in_take's bound. What it says
 * it hashed is the sender's word: it counts for no progress (nor for
 * recv-min-rate, agent/xfer-slow.c).
 */
static int
recv_keepalive(struct recv_stream *s, struct beat_in *w,
    const struct frame *f, char **cause)
{
	struct recv_item	*it = NULL;
	struct msg_keepalive	 ka;
	size_t			 i;
	int			 r;

	if ((r = msg_keepalive_decode(f, &ka, cause)) != 0)
		return (r);
	for (i = 0; it == NULL && i < s->nitems; i++) {
		if (!s->items[i].begun &&
		    (s->items[i].action == MSG_PLAN_WHOLE ||
		    s->items[i].action == MSG_PLAN_DELTA ||
		    s->items[i].action == MSG_PLAN_STRIPE))
			it = &s->items[i];
	}
	if (it == NULL || it->e.id != ka.id)
		return (err_set(cause, FERRY_ERR_PROTO, "KEEPALIVE for id %u, "
		    "which is not the next file whose data is due", ka.id));
	if (it->action == MSG_PLAN_STRIPE || it->offset == 0)
		return (err_set(cause, FERRY_ERR_PROTO, "KEEPALIVE for id %u, "
		    "which was offered no resume: nothing to hash", ka.id));
	return (beat_in_take(w, f, ka.id, it->offset *
	    (it->action == MSG_PLAN_DELTA ? 2 : 1), cause));
}

/* Receives the data phase of a batch and answers with ACKs. */
static int
recv_take_data(struct recv_stream *s, char **cause)
{
	struct frame		 f;
	struct msg_begin	 b;
	struct recv_file	 rf;
	struct beat_in		 w;
	int			 r;

	for (;;) {
		beat_in_reset(&w);
		do {
			if ((r = conn_read(&s->c, &f, cause)) != 0)
				return (r);
		} while ((int)f.type == FRAME_KEEPALIVE &&
		    (s->features & FRAME_FEATURE_KEEPALIVE) &&
		    (r = recv_keepalive(s, &w, &f, cause)) == 0);
		if (r != 0)
			return (r);
		/* Chunks of any striped file may come between files. */
		if ((int)f.type == FRAME_CHUNK) {
			if ((r = stripe_chunk(s, &f, cause)) != 0)
				return (r);
			continue;
		}
		if ((int)f.type != FRAME_FILE_BEGIN)
			return (err_set(cause, FERRY_ERR_PROTO, "expected "
			    "FILE_BEGIN, got %s", frame_type_name(f.type)));
		if (f.len == 0)
			break;
		if ((r = msg_begin_decode(&f, &b, cause)) != 0)
			return (r);
		memset(&rf, 0, sizeof rf);
		rf.fd = rf.dfd = rf.basis_fd = rf.dirfd = -1;
		if ((rf.it = recv_find_item(s, b.id)) == NULL)
			return (err_set(cause, FERRY_ERR_PROTO, "FILE_BEGIN "
			    "for id %u, which was not planned", b.id));
		if ((rf.it->action == MSG_PLAN_STRIPE) !=
		    (b.action == MSG_PLAN_STRIPE))
			return (err_set(cause, FERRY_ERR_PROTO, "FILE_BEGIN "
			    "for id %u: %s", b.id, b.action == MSG_PLAN_STRIPE ?
			    "striped, but not planned so" : "planned striped"));
		rf.it->begun = 1;	/* no second FILE_BEGIN */
		rf.it->sent_action = b.action;
		rf.it->sent_offset = b.offset;
		if ((rf.h = hash_new()) == NULL)
			recv_file_fail(&rf, "%s", "out of memory");
		else if (b.action == MSG_PLAN_STRIPE)
			stripe_file_open(s, &rf);
		else
			recv_file_open(s, &rf, &b);
		r = recv_file_data(s, &rf, &b, cause);
		recv_file_close(s, &rf);
		if (r != 0)
			return (r);
	}
	return (recv_batch_end(s, cause));
}

static void *
recv_stream_main(void *arg)
{
	struct recv_stream	*s = arg;
	int			 r, n;

	/* Without one (no memory), each file is flushed on its own. */
	s->fl = flusher_new();
	if ((r = session_hello(&s->c, (s->sh->o->no_pipeline ?
	    FRAME_FEATURE_PIPELINE : 0) | (s->sh->o->no_keepalive ?
	    FRAME_FEATURE_KEEPALIVE : 0), &s->features, &s->cause)) != 0)
		goto out;
	beat_out_init(&s->beat, &s->c, &s->sh->pr,
	    (s->features & FRAME_FEATURE_KEEPALIVE) != 0);
	while ((n = recv_read_entries(s, &s->cause)) > 0) {
		if (n == RECV_CHUNKS_END)
			r = recv_batch_end(s, &s->cause);
		else if (n == RECV_CHUNKS)
			r = recv_take_data(s, &s->cause);
		else if ((r = recv_send_plans(s, &s->cause)) == 0)
			r = recv_take_data(s, &s->cause);
		if (r != 0)
			goto out;
		recv_clear_items(s);
	}
	r = n;
	/* A sender with PIPELINE asks for the last batch's ACKs first. */
	if (r == 0 && recv_pipe_held(s))
		r = err_set(&s->cause, FERRY_ERR_PROTO, "the session ended "
		    "before the last batch's ACKs were asked for");
	if (r == 0)
		tls_shutdown(s->c.tls, NULL);
out:
	if (r != 0 && r != FERRY_ERR_CLOSED && r != FERRY_ERR_TIMEOUT)
		session_error(&s->c, s->cause ? s->cause : err_str(r));
	/* Its files written (or failed) before the items are dropped. */
	recv_write_free(s);
	recv_pipe_drop(s);
	recv_clear_items(s);
	flusher_free(s->fl);
	s->fl = NULL;
	buf_free(&s->map);
	beat_out_free(&s->beat);
	stripe_stream_done(s->sh);
	s->result = r;
	return (NULL);
}

int
transfer_receive(struct tls_conn **conns, int n, const char *dest,
    const struct transfer_opts *o, struct transfer_stats *st, char **cause)
{
	struct recv_shared	 sh;
	struct recv_stream	*s;
	pthread_t		*tid;
	int			 i, r = 0;

	memset(&sh, 0, sizeof sh);
	memset(st, 0, sizeof *st);
	if ((sh.rootfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", dest,
		    strerror(errno)));
	s = calloc((size_t)n, sizeof *s);
	tid = calloc((size_t)n, sizeof *tid);
	if (s == NULL || tid == NULL) {
		free(s);
		free(tid);
		close(sh.rootfd);
		return (FERRY_ERR_NOMEM);
	}
	pthread_mutex_init(&sh.mu, NULL);
	pthread_cond_init(&sh.cv, NULL);
	sh.live = n;
	sh.streams = n;
	sh.o = o;
	buf_init(&sh.failures, 0);
	progress_init(&sh.pr, o->progress, o->progress_arg);
	for (i = 0; i < n; i++) {
		s[i].sh = &sh;
		s[i].cache_fd = -1;
		s[i].cache_parts = -1;
		s[i].cache_own = -1;
		s[i].sync_fd = -1;
		s[i].tmp_max = (size_t)-1;
		if ((s[i].result = conn_init(&s[i].c, conns[i])) == 0) {
			s[i].started = pthread_create(&tid[i], NULL,
			    recv_stream_main, &s[i]) == 0;
			if (!s[i].started)
				s[i].result = FERRY_ERR_NOMEM;
		}
		if (!s[i].started)
			stripe_stream_done(&sh);
	}
	for (i = 0; i < n; i++) {
		if (s[i].started)
			pthread_join(tid[i], NULL);
		sh.st.wire_bytes += s[i].c.bytes_in + s[i].c.bytes_out;
		if (s[i].result != 0 && r == 0) {
			r = s[i].result;
			err_set(cause, r, "stream %d: %s", i, s[i].cause ?
			    s[i].cause : err_str(r));
		}
		free(s[i].cause);
		free(s[i].items);
		free(s[i].cache_dir);
		free(s[i].cache_names);
		if (s[i].cache_fd != -1)
			close(s[i].cache_fd);
		if (s[i].sync_fd != -1)
			close(s[i].sync_fd);
		conn_free(&s[i].c);
	}
	recv_apply_dirs(&sh);
	sh.st.files = sh.pr.p.files_total;
	sh.st.seconds = progress_now() - sh.pr.start;
	*st = sh.st;
	if (r == 0 && sh.st.failed > 0)
		r = err_set(cause, FERRY_ERR_IO, "%ju file(s) failed: %s",
		    (uintmax_t)sh.st.failed, buf_str(&sh.failures));
	buf_free(&sh.failures);
	progress_destroy(&sh.pr);
	stripe_free_all(&sh);
	recv_claims_free(&sh);
	pthread_cond_destroy(&sh.cv);
	pthread_mutex_destroy(&sh.mu);
	close(sh.rootfd);
	free(s);
	free(tid);
	return (r);
}
