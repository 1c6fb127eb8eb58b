/* Keep-alives while an end hashes before its answer (beat-int.h). */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>

#include "beat-int.h"
#include "err.h"
#include "msg-int.h"

void
beat_out_init(struct beat_out *b, struct conn *c, struct progress *pr,
    int on)
{
	b->c = c;
	b->pr = pr;
	b->on = on;
	b->id = 0;
	b->done = 0;
	b->sent_at = progress_now();
	b->err = 0;
	b->cause = NULL;
}

void
beat_out_entry(struct beat_out *b, uint32_t id)
{
	b->id = id;
	b->done = 0;
}

void
beat_out_sent(struct beat_out *b)
{
	b->sent_at = progress_now();
}

void
beat_out_stale(struct beat_out *b)
{
	b->sent_at = 0;
}

int
beat_out_fn(void *arg, uint64_t n)
{
	struct beat_out		*b = arg;
	struct msg_keepalive	 ka;
	struct buf		 out;
	double			 now;
	int			 r;

	if (b->err != 0)
		return (b->err);
	b->done += n;
	/*
	 * The end's own reading, at its own pace, while the peer waits: it
	 * counts for recv-min-rate (agent/xfer-slow.c) as a basis read for
	 * a signature does.
	 */
	if (b->pr != NULL)
		progress_held(b->pr, n);
	now = progress_now();
	if (!b->on || now - b->sent_at < BEAT_EVERY)
		return (0);
	ka.id = b->id;
	ka.done = b->done;
	buf_init(&out, 0);
	if ((r = msg_keepalive_encode(&out, &ka)) == 0 &&
	    (r = conn_put(b->c, out.data, out.len, &b->cause)) == 0)
		r = conn_flush(b->c, &b->cause);
	buf_free(&out);
	if (r != 0)
		b->err = r;
	else
		b->sent_at = now;
	return (r);
}

void
beat_out_free(struct beat_out *b)
{
	free(b->cause);
	b->cause = NULL;
}

void
beat_in_reset(struct beat_in *w)
{
	w->since = progress_now();
	w->id = 0;
	w->done = 0;
}

int
beat_in_take(struct beat_in *w, const struct frame *f, uint32_t id,
    uint64_t max, char **cause)
{
	struct msg_keepalive	ka;
	double			took, bound;
	int			r;

	if ((r = msg_keepalive_decode(f, &ka, cause)) != 0)
		return (r);
	if (ka.id != id)
		return (err_set(cause, FERRY_ERR_PROTO, "KEEPALIVE for id %"
		    PRIu32 ", while the answer owed is for id %" PRIu32,
		    ka.id, id));
	if (w->id != id)
		w->done = 0;	/* the first for this entry */
	w->id = id;
	if (ka.done > max)
		return (err_set(cause, FERRY_ERR_PROTO, "KEEPALIVE for id %"
		    PRIu32 " reports %" PRIu64 " bytes hashed, more than "
		    "the %" PRIu64 " there are", id, ka.done, max));
	if (ka.done <= w->done)
		return (err_set(cause, FERRY_ERR_PROTO, "KEEPALIVE for id %"
		    PRIu32 " reports %" PRIu64 " bytes hashed, no more than "
		    "before (%" PRIu64 "): no progress", id, ka.done,
		    w->done));
	w->done = ka.done;
	took = progress_now() - w->since;
	bound = BEAT_GRACE_S + (double)max / BEAT_MIN_RATE;
	if (took > bound)
		return (err_set(cause, FERRY_ERR_PROTO, "KEEPALIVE for id %"
		    PRIu32 " after %.0f s of hashing %" PRIu64 " bytes "
		    "(%" PRIu64 " so far), longer than they may take "
		    "(%.0f s: %d s and a second per %d KiB)", id, took, max,
		    ka.done, bound, BEAT_GRACE_S, BEAT_MIN_RATE / 1024));
	return (0);
}
