/*
 * The sender reads the receiver's answers to a batch of entries: PLANs,
 * and SIGNATURE frames after a DELTA or STRIPE plan. Out of send.c.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

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

/* Reads the receiver's plans for the batch. */
int
send_read_plans(struct send_stream *s, char **cause)
{
	struct frame		 f;
	struct msg_plan		 plan;
	struct send_item	*it;
	size_t			 i;
	int			 r;

	for (;;) {
		if ((r = conn_expect(&s->c, FRAME_PLAN, &f, cause)) != 0)
			return (r);
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
