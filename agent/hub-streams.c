/*
 * How many streams (TCP connections) a transfer opens, and across how
 * many of them a large file is striped (docs/protocol.md 6.7).
 *
 * A job's own count (ferry send --streams) wins, then its destination
 * site's default, then its source site's (ferry site set --streams).
 * An asked count is also the stripe width: whoever asked for 4 streams
 * wants a big file on all 4, even on a path whose round trip the library
 * would have judged too short to need them.
 *
 * With nothing asked, the job's plan decides. A file of at least
 * DISPATCH_STRIPE_MIN that has no basis is what striping is for: it gets
 * DISPATCH_STREAMS_BIG streams and the library picks how many to stripe
 * over from the round trip it measures (one on a LAN, up to all 8 on a
 * long fat path, where one stream is capped at its window over the RTT).
 * Anything else, however many files, gets DISPATCH_STREAMS: small files
 * gain nothing from more connections than two (each costs a TLS handshake
 * and a thread at both ends), and a delta is sent on one stream anyway.
 *
 * Limits: every stream of a transfer connects to the one port its
 * listener bound (of 45191-45210), so the count does not use up ports;
 * the listener accepts exactly that many. A relayed transfer's streams
 * are each a connection to the hub's control port, admitted by the gate,
 * whose budget per address (a burst of 32 new connections, then 4 a
 * second) an agent's every relayed transfer and its own link share:
 * relayed, a transfer opens at most DISPATCH_RELAY_STREAMS_MAX.
 */
#include "config.h"

#include <stdint.h>

#include "ferryd.h"
#include "hub-dispatch.h"
#include "log.h"
#include "store.h"

/* Caller (the dispatcher) holds d->mu. */
void
dispatch_streams_plan(struct jobs_xfer *x, const char *from_site)
{
	struct ferryd	*d = x->d;
	const char	*why;
	int		 n;

	if ((n = store_streams_job_get(d->store, x->job_id)) > 0)
		why = "the job's";
	else if ((n = store_streams_site_get(d->store, x->site)) > 0)
		why = "the destination site's";
	else if ((n = store_streams_site_get(d->store, from_site)) > 0)
		why = "the source site's";
	else
		why = NULL;
	if (n > STORE_STREAMS_MAX)
		n = STORE_STREAMS_MAX;
	if (why != NULL) {
		x->streams = n;
		x->stripe = n;
	} else if (x->nbig > 0) {
		why = "a large file's";
		x->streams = DISPATCH_STREAMS_BIG;
		x->stripe = 0;	/* from the round trip */
	} else {
		why = "the default";
		x->streams = DISPATCH_STREAMS;
		x->stripe = 0;
	}
	log_info("transfer %jd (job %jd): %d streams (%s)", (intmax_t)x->id,
	    (intmax_t)x->job_id, x->streams, why);
}

/* A relayed transfer's streams, within what the gate admits (above). */
void
dispatch_streams_relayed(struct jobs_xfer *x)
{
	if (x->streams <= DISPATCH_RELAY_STREAMS_MAX)
		return;
	log_info("transfer %jd: %d streams through the relay, not %d",
	    (intmax_t)x->id, DISPATCH_RELAY_STREAMS_MAX, x->streams);
	x->streams = DISPATCH_RELAY_STREAMS_MAX;
	if (x->stripe > x->streams)
		x->stripe = x->streams;
}
