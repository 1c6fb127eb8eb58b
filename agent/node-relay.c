/*
 * On an agent: a local request the hub takes from agents (api-ops.c says
 * which) is asked of the hub over the agent's control link and its
 * answer returned (hub-relay.c answers it on the hub).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "err.h"
#include "ferryd.h"

json_t *
relay_to_hub(struct ferryd *d, const json_t *req)
{
	json_t		*reply = NULL, *rep;
	char		*cause = NULL, id[ASK_ID_LEN + 1];
	int		 r;

	pthread_mutex_lock(&d->mu);
	if (!d->uplinked) {
		rep = json_pack("{s:s+, s:b}", "error", "not connected to the "
		    "hub: ", d->uplink_error ? d->uplink_error : "not yet",
		    "done", 1);
		pthread_mutex_unlock(&d->mu);
		return (rep);
	}
	if ((r = ask_open(d, "hub", id, &cause)) == 0) {
		ferryd_queue(&d->uplink_outq, json_pack("{s:s, s:s, s:O}",
		    "op", "api", "req", id, "request", req),
		    d->uplink_wake[1]);
		r = ask_wait(d, id, 2 * FERRYD_TIMEOUT_MS / 1000, &reply,
		    &cause);
	}
	pthread_mutex_unlock(&d->mu);
	if (r != 0) {
		rep = json_pack("{s:s+, s:b}", "error", "the hub did not "
		    "answer: ", cause ? cause : err_str(r), "done", 1);
		free(cause);
		return (rep);
	}
	rep = json_object_get(reply, "reply");
	rep = json_is_object(rep) ? json_incref(rep) : json_pack("{s:s, s:b}",
	    "error", "the hub sent no answer", "done", 1);
	json_decref(reply);
	return (rep);
}
