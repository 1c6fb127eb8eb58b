/*
 * The hubs of one store, each with its own key (issue 17, docs/
 * operations.md "Active and standby hubs"). The store's table hubs is
 * the set: `ferryd init` puts the first hub in it, `ferryd init --join`
 * each other one. The active hub sends the list (keys and addresses) in
 * every welcome and, when it changes, to every linked agent, which pins
 * every key on it (node-hubs.c). Each hub says in its own row, every
 * second or two, whether it is active or waiting, so that `ferry
 * status` on either can tell a waiting standby from one that is gone.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "conf.h"
#include "err.h"
#include "ferryd.h"
#include "identity.h"
#include "log.h"
#include "store.h"

#define HUBS_TICK_S	2	/* a hub's row says it is alive */
#define HUBS_STALE_S	10	/* no word for this long: unreachable */

char *
hubs_own_address(struct ferryd *d)
{
	char	*host = NULL, *lhost = NULL, *out = NULL;
	int	 port = CONF_CONTROL_PORT;

	if (conf_split_addr(d->conf.listen, CONF_CONTROL_PORT, &lhost, &port,
	    NULL) != 0)
		return (NULL);
	host = d->conf.public_addr != NULL ? strdup(d->conf.public_addr) :
	    lhost;
	if (host != NULL && (strchr(host, ':') != NULL ? asprintf(&out,
	    "[%s]:%d", host, port) : asprintf(&out, "%s:%d", host,
	    port)) == -1)
		out = NULL;
	if (host != lhost)
		free(host);
	free(lhost);
	return (out);
}

static int
hubs_list_cb(void *arg, const struct store_hub *h)
{
	return (json_array_append_new(arg, json_pack("{s:s, s:s}",
	    "fingerprint", h->fp, "address", h->address)) == 0 ? 0 :
	    FERRY_ERR_NOMEM);
}

json_t *
hubs_list(struct ferryd *d)
{
	json_t	*list = json_array();

	if (list != NULL && store_hub_list(d->store, hubs_list_cb, list,
	    NULL) != 0) {
		json_decref(list);
		list = NULL;
	}
	return (list);
}

int
hubs_register(struct ferryd *d, char **cause)
{
	char	*addr;
	int	 r;

	if ((addr = hubs_own_address(d)) == NULL)
		return (err_set(cause, FERRY_ERR_PARSE, "%s: listen %s: not "
		    "an address", CONF_NAME, d->conf.listen));
	/* Agents told 0.0.0.0 would try their own machine. */
	if (strncmp(addr, "0.0.0.0:", 8) == 0 || strncmp(addr, "[::]:", 5) ==
	    0)
		log_warnx("agents are told this hub is at %s: set "
		    "public-address in %s to an address they reach", addr,
		    CONF_NAME);
	pthread_mutex_lock(&d->mu);
	if ((r = store_hub_add(d->store, d->fp, addr, clock_now(),
	    cause)) == 0)
		r = store_hub_seen(d->store, d->fp, "active", clock_now(),
		    cause);
	json_decref(d->hubs_told);
	d->hubs_told = hubs_list(d);
	pthread_mutex_unlock(&d->mu);
	free(addr);
	return (r);
}

void
hubs_tick(struct ferryd *d)
{
	static int64_t	 last;
	struct hub_link	*l;
	json_t		*list, *msg;

	/* One hub on SQLite: nobody to tell, no write every 2 s. */
	if (d->lease == NULL || clock_now() - last < HUBS_TICK_S)
		return;
	last = clock_now();
	store_hub_seen(d->store, d->fp, "active", last, NULL);
	/* A hub joined or left: every agent learns it now. */
	if ((list = hubs_list(d)) == NULL || json_array_size(list) == 0 ||
	    json_equal(list, d->hubs_told)) {
		json_decref(list);
		return;
	}
	log_info("the store's hubs changed: %zu now; telling the agents",
	    json_array_size(list));
	json_decref(d->hubs_told);
	d->hubs_told = list;
	for (l = d->hub_links; l != NULL; l = l->next) {
		msg = json_pack("{s:s, s:O}", "op", "hubs", "hubs", list);
		if (msg != NULL)
			ferryd_queue(&l->outq, msg, l->wake[1]);
	}
}

struct hubs_status_arg {
	struct ferryd	*d;
	json_t		*out;
	int64_t		 now;
};

static int
hubs_status_cb(void *arg, const struct store_hub *h)
{
	struct hubs_status_arg	*a = arg;
	const char		*state = h->state;
	int			 self = strcmp(h->fp, a->d->fp) == 0;

	/* A standby has no store of its own yet; one on SQLite no lease. */
	if (self)
		state = a->d->store != NULL ? "active" : "standby";
	else if (h->seen == 0 || a->now - h->seen > HUBS_STALE_S)
		state = "unreachable";
	return (json_array_append_new(a->out, json_pack("{s:s, s:s, s:s, "
	    "s:I, s:b}", "fingerprint", h->fp, "address", h->address,
	    "state", state, "last_seen", (json_int_t)h->seen, "self",
	    self)) == 0 ? 0 : FERRY_ERR_NOMEM);
}

json_t *
hubs_status(struct ferryd *d, struct store *st)
{
	struct hubs_status_arg	a;

	a.d = d;
	a.now = clock_now();
	if (st == NULL || (a.out = json_array()) == NULL)
		return (NULL);
	if (store_hub_list(st, hubs_status_cb, &a, NULL) != 0) {
		json_decref(a.out);
		return (NULL);
	}
	return (a.out);
}

/*
 * hub.remove {"fingerprint"}: a hub leaves the store's set (`ferry hub
 * remove`); the active hub tells its agents within HUBS_TICK_S, and they
 * forget its key. Not this hub itself: it is the active one, which the
 * agents are linked to. A removed hub that starts again puts itself
 * back, so it is to be stopped first (docs/operations.md).
 */
json_t *
hubs_api(struct ferryd *d, const char *op, const json_t *req, uid_t uid)
{
	uint8_t		 fp[IDENTITY_FP_LEN];
	char		 fps[IDENTITY_FP_STRLEN + 1], who[300], *cause = NULL;
	const char	*arg = json_string_value(json_object_get(req,
			    "fingerprint"));
	json_t		*rep;
	int		 r;

	(void)op;
	if (arg == NULL || identity_fp_parse(arg, fp, &cause) != 0) {
		rep = jobs_error(cause != NULL ? cause : "hub.remove needs the "
		    "hub's \"fingerprint\"");
		free(cause);
		return (rep);
	}
	identity_fp_format(fp, fps);
	if (strcmp(fps, d->fp) == 0)
		return (jobs_error("that is this hub, the active one: stop it, "
		    "and remove it on the hub that takes over"));
	caller_uid(req, uid, who, sizeof who);
	pthread_mutex_lock(&d->mu);
	if ((r = store_hub_remove(d->store, fps, &cause)) == 0)
		audit_note(d, who, "hub.removed", json_pack("{s:s}",
		    "fingerprint", fps));
	pthread_mutex_unlock(&d->mu);
	if (r != 0) {
		rep = jobs_error(cause != NULL ? cause : err_str(r));
		free(cause);
		return (rep);
	}
	log_info("hub %s removed from the store's hubs by %s", fps, who);
	return (json_pack("{s:s, s:b}", "removed", fps, "done", 1));
}
