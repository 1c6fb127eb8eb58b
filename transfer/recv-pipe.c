/*
 * A batch's end on the receiving side (recv-int.h): its commit and its
 * ACKs. With feature PIPELINE (docs/protocol.md 6.1) a batch's ACKs go
 * after the next batch's data, so that the receiver commits the batch (its
 * syncfs, links or renames, the second syncfs) in a thread of its own
 * while the sender already offers and sends the next one: the wait for the
 * disk overlaps the next batch's work, where before the sender waited out
 * every commit before it offered more (docs/benchmarks.md, S7).
 *
 * A stream holds at most two batches: the one held (committing, or
 * committed and not answered yet) and the one arriving. The next batch's
 * entries are not read before the held one is answered, so a sender that
 * offers more without reading its ACKs gains nothing but full buffers.
 */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "recv-int.h"
#include "session-int.h"

struct recv_held {
	/* The batch: its items, its syncfs descriptor, a directory cache. */
	struct recv_stream	 b;
	pthread_t		 tid;
	int			 thread;	/* tid runs recv_commit(&b) */
};

static void *
recv_pipe_main(void *arg)
{
	struct recv_held	*h = arg;

	recv_commit(&h->b);
	return (NULL);
}

/* Counts a file the sender sent, and encodes its ACK. */
static int
recv_answer(struct recv_shared *sh, struct recv_item *it, struct buf *acks)
{
	struct msg_ack	ack;

	if (it->ack_status == MSG_ACK_DONE) {
		pthread_mutex_lock(&sh->mu);
		sh->st.bytes += it->e.size;
		sh->st.resumed_bytes += it->sent_offset;
		/* Striped: its chunks came on more than one stream. */
		sh->st.striped += it->sent_action == MSG_PLAN_STRIPE &&
		    stripe_spread(it->sp);
		if (it->sent_action == MSG_PLAN_DELTA)
			sh->st.delta++;
		else
			sh->st.whole++;
		pthread_mutex_unlock(&sh->mu);
		progress_update(&sh->pr, it->e.path, it->e.size, it->e.size,
		    0, 1);
		recv_committed(sh, it->e.path);
	}
	memset(&ack, 0, sizeof ack);
	ack.id = it->e.id;
	ack.status = it->ack_status;
	ack.reason = it->ack_reason;
	return (msg_ack_encode(acks, &ack));
}

/*
 * Answers the n items of v (those whose data came), then the empty ACK;
 * with send 0 only counts them and tells the caller what is in place.
 */
static int
recv_send_acks(struct recv_stream *s, struct recv_item *v, size_t n,
    int send, char **cause)
{
	struct buf	acks;
	size_t		i;
	int		r = 0;

	buf_init(&acks, 0);
	for (i = 0; r == 0 && i < n; i++) {
		if (v[i].begun)
			r = recv_answer(s->sh, &v[i], &acks);
	}
	if (r == 0 && send && (r = msg_end_of_batch(&acks, FRAME_ACK)) == 0 &&
	    (r = conn_put(&s->c, acks.data, acks.len, cause)) == 0)
		r = conn_flush(&s->c, cause);
	buf_free(&acks);
	return (r);
}

/*
 * Whether the batch's commit can run beside the next batch: every file of
 * it waits for the batch's syncfs (the flusher, which the next batch's
 * files use, writes into items and is waited for as a whole), and none is
 * striped (its chunks come on other streams).
 */
static int
recv_pipe_async(const struct recv_stream *s)
{
	size_t	i;

	if (s->sync_fd == -1)
		return (0);
	for (i = 0; i < s->nitems; i++) {
		if (s->items[i].verified && (!s->items[i].by_fs ||
		    s->items[i].sp != NULL))
			return (0);
	}
	return (1);
}

/* Waits for the held batch's commit, if it runs. */
static void
recv_pipe_wait(struct recv_held *h)
{
	if (h->thread) {
		pthread_join(h->tid, NULL);
		h->thread = 0;
	}
}

/* Empties the held batch (answered); keeps its array for the next. */
static void
recv_pipe_clear(struct recv_held *h)
{
	struct recv_stream	*b = &h->b;
	size_t			 i;

	recv_tmp_drop(b);
	for (i = 0; i < b->nitems; i++) {
		if (b->items[i].claimed)
			recv_unclaim(b->sh, b->items[i].e.path);
		msg_entry_clear(&b->items[i].e);
		free(b->items[i].ack_reason);
	}
	b->nitems = 0;
	if (b->sync_fd != -1)
		close(b->sync_fd);
	b->sync_fd = -1;
	if (b->cache_fd != -1)
		close(b->cache_fd);
	b->cache_fd = -1;
	free(b->cache_dir);
	b->cache_dir = NULL;
}

int
recv_batch_end(struct recv_stream *s, char **cause)
{
	struct recv_held	*h;
	struct recv_stream	*b;
	struct recv_item	*t;
	int			 r, async;

	/* Its syncfs must come after every write of its files. */
	recv_write_wait(s);
	if (!(s->features & FRAME_FEATURE_PIPELINE)) {
		recv_commit(s);
		return (recv_send_acks(s, s->items, s->nitems, 1, cause));
	}
	if ((h = s->held) == NULL) {
		if ((h = calloc(1, sizeof *h)) == NULL)
			return (FERRY_ERR_NOMEM);
		h->b.cache_fd = h->b.sync_fd = -1;
		h->b.cache_parts = h->b.cache_own = -1;
		h->b.sh = s->sh;
		s->held = h;
	}
	b = &h->b;
	recv_pipe_wait(h);
	/* Counted and told to the caller even if the sending fails. */
	r = recv_send_acks(s, b->items, b->nitems, 1, cause);
	recv_pipe_clear(h);
	if (r != 0)
		return (r);
	if (s->nitems == 0)
		return (0);	/* chunks only, or asked for the ACKs */
	/*
	 * This batch is held now. Committed here where it must wait for the
	 * flusher; else beside the next batch, through the syncfs descriptor
	 * opened before its files were written (so that it sees their write-
	 * back errors), while the next batch gets a new one, opened before
	 * any of its files is written.
	 */
	if (!(async = recv_pipe_async(s)))
		recv_commit(s);
	t = b->items;
	b->items = s->items;
	b->nitems = s->nitems;
	b->ntmp = s->ntmp;
	b->fs_pending = s->fs_pending;
	s->items = t;
	s->nitems = 0;
	s->ntmp = 0;
	s->fs_pending = 0;
	if (!async)
		return (0);
	b->sync_fd = s->sync_fd;
	s->sync_fd = openat(b->sync_fd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);
	s->cache_own = -1;	/* asked again: sync_fd may be -1 */
	/*
	 * Its names stay taken (recv-claim.c) until it is answered: the
	 * next batch cannot offer one of them again while it commits.
	 */
	h->thread = pthread_create(&h->tid, NULL, recv_pipe_main, h) == 0;
	if (!h->thread)
		recv_commit(b);
	return (0);
}

int
recv_pipe_held(const struct recv_stream *s)
{
	return (s->held != NULL && s->held->b.nitems > 0);
}

void
recv_pipe_drop(struct recv_stream *s)
{
	struct recv_held	*h = s->held;

	if (h == NULL)
		return;
	recv_pipe_wait(h);
	/* Its files are in place: the caller hears so, the sender cannot. */
	recv_send_acks(s, h->b.items, h->b.nitems, 0, NULL);
	recv_pipe_clear(h);
	free(h->b.items);
	free(h);
	s->held = NULL;
}
