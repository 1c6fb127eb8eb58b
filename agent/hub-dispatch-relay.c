/*
 * Two agents, neither of which can be reached: the hub relays
 * (hub-splice.c). Each agent gets its own ticket for the relay with its
 * transfer.start, and connects out to the hub with it; the sender plays
 * TLS's client, the receiver the listener's server, exactly as in a
 * direct transfer, so the token and both pinned keys are checked end to
 * end and the hub passes ciphertext. When the relay is off for the job
 * or one of its sites, the transfer is refused as before the relay, and
 * the refusal is audited (relay.off).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "err.h"
#include "ferryd.h"
#include "hex.h"
#include "hub-dispatch.h"
#include "link.h"
#include "log.h"
#include "saved.h"
#include "store.h"

int
dispatch_relay_refusal(const char *a, const char *b, const char *off,
    char **cause)
{
	char		 how[256], then[512];

	snprintf(then, sizeof then, "start %s with 'ferryd run "
	    "--public-address ADDR' (the address it connects from), or set "
	    "its site's with 'ferry site set SITE --address ADDR'", b);
	if (off == NULL)
		return (err_set(cause, FERRY_ERR_UNREACHABLE, "neither agent "
		    "%s nor agent %s can be reached: %s", a, b, then));
	if (strcmp(off, "job") == 0)
		snprintf(how, sizeof how, "this job may not be relayed "
		    "through the hub (--no-relay)");
	else
		snprintf(how, sizeof how, "the relay through the hub is off "
		    "for %s ('ferry site set %s --relay on' allows it)", off,
		    off);
	return (err_set(cause, FERRY_ERR_UNREACHABLE, "neither agent %s nor "
	    "agent %s can be reached, and %s: %s", a, b, how, then));
}

int
dispatch_relay_refused(struct jobs_xfer *x, char **cause)
{
	char	*why = NULL;
	int	 r;

	r = dispatch_relay_refusal(x->send.link, x->recv.link, x->relay_off,
	    &why);
	pthread_mutex_lock(&x->d->mu);
	audit_note_limited(x->d, x->submitter ? x->submitter : "hub",
	    "relay.off", json_pack("{s:I, s:s, s:s, s:s}", "job",
	    (json_int_t)x->job_id, "from", x->send.link, "to", x->recv.link,
	    "why", why ? why : "relay off"));
	pthread_mutex_unlock(&x->d->mu);
	if (cause != NULL)
		*cause = why;	/* transferred */
	else
		free(why);
	return (r);
}

int
dispatch_run_relay(struct jobs_xfer *x, const char *token, char **cause)
{
	struct ferryd		*d = x->d;
	struct splice_xfer	*sx = NULL;
	struct dispatch_end	*ends[2] = { &x->send, &x->recv };
	const char		*addrs[2] = { x->send.addr, x->recv.addr };
	const char		*names[2] = { x->send.link, x->recv.link };
	uint8_t			 tickets[2 * LINK_RELAY_TICKET_LEN];
	char			 hex[2 * LINK_RELAY_TICKET_LEN + 1];
	json_t			*msg;
	uint64_t		 bytes;
	int			 i, r = 0;

	if (RAND_bytes(tickets, sizeof tickets) != 1)
		return (err_set(cause, FERRY_ERR_CRYPTO, "no random bytes"));
	dispatch_streams_relayed(x);
	if (splice_open(x->id, x->streams, tickets, addrs, names,
	    &sx) != 0) {
		explicit_bzero(tickets, sizeof tickets);
		return (FERRY_ERR_NOMEM);
	}
	log_info("transfer %jd (job %jd): %s to %s through the hub's relay",
	    (intmax_t)x->id, (intmax_t)x->job_id, x->send.link, x->recv.link);
	for (i = 0; i < 2 && r == 0; i++) {
		hex_encode(tickets + i * LINK_RELAY_TICKET_LEN,
		    LINK_RELAY_TICKET_LEN, hex);
		if ((msg = dispatch_start_msg(x, ends[i], token)) == NULL) {
			r = FERRY_ERR_NOMEM;
			break;
		}
		json_object_set_new(msg, "relay", json_string(hex));
		json_object_set_new(msg, "relay_side", json_string(i == 1 ?
		    "accept" : "connect"));
		r = dispatch_tell(x, names[i], msg, cause);
	}
	explicit_bzero(tickets, sizeof tickets);
	explicit_bzero(hex, sizeof hex);
	if (r == 0) {
		pthread_mutex_lock(&d->mu);
		r = dispatch_wait(x, UNTIL_BOTH, 0, cause);
		pthread_mutex_unlock(&d->mu);
	}
	bytes = splice_close(sx);
	pthread_mutex_lock(&d->mu);
	saved_relayed(x->job_id, bytes);
	pthread_mutex_unlock(&d->mu);
	log_info("transfer %jd: %" PRIu64 " bytes relayed", (intmax_t)x->id,
	    bytes);
	return (r);
}

int
dispatch_relay_check(struct ferryd *d, const char *from, const char *to,
    int relay_ok, const char *who, char **cause)
{
	struct hub_link	*lf, *lt;
	const char	*off = NULL;
	char		*why = NULL;
	int		 r = 0;

	if (strcmp(from, d->conf.site) == 0 || strcmp(to, d->conf.site) == 0)
		return (0);
	pthread_mutex_lock(&d->mu);
	lf = hub_link_for(d, from, 0);
	lt = hub_link_for(d, to, 0);
	if (lf == NULL || lt == NULL || lf->pub != NULL || lt->pub != NULL)
		goto out;
	if (!relay_ok)
		off = "job";
	else if (!store_relay_site_on(d->store, from))
		off = from;
	else if (!store_relay_site_on(d->store, to))
		off = to;
	if (off == NULL) {
		log_info("%s to %s: neither agent can be reached, the hub "
		    "will relay", lf->name, lt->name);
		goto out;
	}
	r = dispatch_relay_refusal(lf->name, lt->name, off, &why);
	audit_note(d, who, "relay.off", json_pack("{s:s, s:s, s:s}", "from",
	    from, "to", to, "why", why));
	log_warnx("send refused, by %s: %s", who, why);
out:
	pthread_mutex_unlock(&d->mu);
	if (why != NULL && cause != NULL)
		*cause = why;	/* transferred */
	else
		free(why);
	return (r);
}
