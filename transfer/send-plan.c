/*
 * The sender reads the receiver's answers to a batch of entries: PLANs,
 * SIGNATURE frames after a DELTA or STRIPE plan, and, with feature
 * KEEPALIVE, keep-alives while the receiver hashes before a PLAN
 * (beat-int.h). Out of send.c.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "beat-int.h"
#include "blockmap-int.h"
#include "delta-int.h"
#include "err.h"
#include "send-int.h"
#include "stripe-int.h"

/*
 * Reads SIGNATURE frames up to the empty one and loads the signature, or
 * for a STRIPE plan keeps them as the chunk map.
 */
static int
send_read_signature(struct send_stream *s, struct send_item *it,
    char **cause)
{
	struct frame	f;
	struct buf	sig;
	int		r;

	buf_init(&sig, 64 << 20);	/* far above any real signature */
	if (it->plan.action == MSG_PLAN_STRIPE) {
		buf_free(&it->map);
		buf_init(&sig, STRIPE_CHUNKS_MAX / 8);
	}
	for (;;) {
		if ((r = conn_expect(&s->c, FRAME_SIGNATURE, &f, cause)) != 0)
			break;
		if (f.len == 0 && it->plan.action == MSG_PLAN_STRIPE) {
			it->map = sig;	/* transferred */
			buf_init(&sig, 0);
			break;
		}
		if (f.len == 0) {
			if (blockmap_is(sig.data, sig.len))
				r = blockmap_parse(sig.data, sig.len,
				    &it->bmap, cause);
			else
				r = delta_sig_load(sig.data, sig.len, &it->sig,
				    cause);
			break;
		}
		if ((r = buf_add(&sig, f.payload, f.len)) != 0) {
			r = err_set(cause, r, "signature too large");
			break;
		}
	}
	buf_free(&sig);
	return (r);
}

/*
 * A KEEPALIVE while the PLANs are awaited (feature KEEPALIVE): the
 * receiver hashes for the first entry of the batch, in the order offered,
 * that has no PLAN yet (it answers in that order); at most its size, or
 * twice that with a content hash asked for (its copy, then a partial
 * file), and within beat_in_take's bound.
 */
static int
send_keepalive(struct send_stream *s, struct beat_in *w,
    const struct frame *f, char **cause)
{
	struct send_item	*it = NULL, *next;
	struct msg_keepalive	 ka;
	size_t			 i;
	int			 r;

	if ((r = msg_keepalive_decode(f, &ka, cause)) != 0)
		return (r);
	for (i = 0; it == NULL && i < s->nbatch; i++) {
		next = &s->items[s->batch[i]];
		if (!next->planned)
			it = next;
	}
	next = send_find(s, s->batch, s->nbatch, ka.id);
	if (next == NULL)
		return (err_set(cause, FERRY_ERR_PROTO, "KEEPALIVE for id %u, "
		    "which was not offered", ka.id));
	if (next->planned || it == NULL)
		return (err_set(cause, FERRY_ERR_PROTO, "KEEPALIVE for id %u, "
		    "which was answered already", ka.id));
	if (s->sh->l->v[it->id].type != MSG_ENTRY_FILE)
		return (err_set(cause, FERRY_ERR_PROTO, "KEEPALIVE for id %u, "
		    "which is not a file: nothing to hash", it->id));
	/* compare_hash: the entries went with a content hash (0x02). */
	return (beat_in_take(w, f, it->id, it->size *
	    (s->sh->o->compare_hash ? 2 : 1), cause));
}

/* Reads the receiver's plans for the batch. */
int
send_read_plans(struct send_stream *s, char **cause)
{
	struct frame		 f;
	struct msg_plan		 plan;
	struct send_item	*it;
	struct beat_in		 w;
	size_t			 i;
	int			 r;

	beat_in_reset(&w);
	for (;;) {
		if ((r = conn_read(&s->c, &f, cause)) != 0)
			return (r);
		if ((int)f.type == FRAME_KEEPALIVE &&
		    (s->features & FRAME_FEATURE_KEEPALIVE)) {
			if ((r = send_keepalive(s, &w, &f, cause)) != 0)
				return (r);
			continue;
		}
		if ((int)f.type != FRAME_PLAN)
			return (conn_unexpected(&f, FRAME_PLAN, cause));
		if (f.len == 0)
			break;
		if ((r = msg_plan_decode(&f, &plan, cause)) != 0)
			return (r);
		if ((it = send_find(s, s->batch, s->nbatch, plan.id)) == NULL) {
			msg_plan_clear(&plan);
			return (err_set(cause, FERRY_ERR_PROTO, "PLAN for id "
			    "%u, which was not offered", plan.id));
		}
		/* One answer an entry: a second could turn WHOLE into SKIP. */
		if (it->planned) {
			msg_plan_clear(&plan);
			return (err_set(cause, FERRY_ERR_PROTO, "a second PLAN "
			    "for id %u", plan.id));
		}
		it->planned = 1;
		msg_plan_clear(&it->plan);
		it->plan = plan;	/* transferred */
		if (plan.action == MSG_PLAN_STRIPE && (!it->striped ||
		    !(s->features & FRAME_FEATURE_STRIPE)))
			return (err_set(cause, FERRY_ERR_PROTO, "STRIPE plan "
			    "for id %u, which was not offered striped",
			    plan.id));
		if ((plan.action == MSG_PLAN_DELTA ||
		    plan.action == MSG_PLAN_STRIPE) &&
		    (r = send_read_signature(s, it, cause)) != 0)
			return (r);
		/* The next entry's answer is awaited from now. */
		beat_in_reset(&w);
	}
	/*
	 * Every entry answered: an unanswered one would keep its zeroed (or
	 * last try's) plan, SKIP or WHOLE, as if the receiver had said so.
	 */
	for (i = 0; i < s->nbatch; i++) {
		if (!s->items[s->batch[i]].planned)
			return (err_set(cause, FERRY_ERR_PROTO, "no PLAN for "
			    "id %u", s->items[s->batch[i]].id));
	}
	return (0);
}
