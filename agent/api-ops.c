/*
 * ferryd's API operations in one table: each op's name, its handler and
 * who may ask for it. It answers local clients (api.c) and requests an
 * agent relays for a person on its machine (hub-relay.c) alike, so that
 * what a vendor may ask the hub is decided here and nowhere else. On an
 * agent, a local request the hub takes from agents is forwarded to it
 * (node-relay.c); the rest is the hub's.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ferryd.h"
#include "hub-sftp.h"
#include "hub-roots.h"

struct api_op {
	const char	 *name;
	json_t		*(*fn)(struct ferryd *, const char *, const json_t *,
			    uid_t);
	int		  who;		/* API_NODE, API_LOCAL, API_AGENT */
};

/* The hub's connected agents, by name. Caller holds d->mu. */
static json_t *
api_agents(struct ferryd *d)
{
	struct hub_link	*l;
	json_t		*agents = json_object();

	for (l = d->hub_links; l != NULL && agents != NULL; l = l->next)
		json_object_set_new(agents, l->name, json_pack("{s:s?, s:s?, "
		    "s:s, s:I, s:s}", "site", l->site, "user", l->user,
		    "address", l->addr, "since", (json_int_t)l->since,
		    "platform", l->platform));
	return (agents);
}

/* What every daemon answers: who it is and how its links are. */
static void
api_status_names(struct ferryd *d, const char *op, const json_t *req,
    uid_t uid, json_t *rep)
{
	json_t	*ep = jobs_endpoints(d, op, req, uid);

	if (ep != NULL && json_object_get(ep, "error") == NULL) {
		json_object_set(rep, "sites", json_object_get(ep, "sites"));
		json_object_set(rep, "users", json_object_get(ep, "users"));
	}
	json_decref(ep);
}

static json_t *
api_status(struct ferryd *d, const char *op, const json_t *req,
    uid_t uid)
{
	json_t	*rep;

	pthread_mutex_lock(&d->mu);
	rep = json_pack("{s:s, s:s?, s:s?, s:s?, s:s, s:b}", "role",
	    d->conf.role, "site", d->conf.site, "user", d->conf.user, "name",
	    d->conf.name, "fingerprint", d->fp, "done", 1);
	if (rep != NULL && d->store != NULL) {
		/* Which store, and (on PostgreSQL) this hub holds its lease. */
		json_object_set_new(rep, "store", json_string(
		    store_is_postgresql(d->store) ? "postgresql" : "sqlite"));
		/* Fenced: it could not confirm its lease in time. */
		json_object_set_new(rep, "hub_state", json_string(
		    d->lease == NULL ? "single" : lease_fresh(d) ? "active" :
		    "fenced"));
		json_object_set_new(rep, "agents", api_agents(d));
		json_object_set_new(rep, "mail", hub_mail_status(d));
		json_object_set_new(rep, "hubs", hubs_status(d, d->store));
		json_object_set_new(rep, "api", api_wake_counts());
	} else if (rep != NULL && strcmp(d->conf.role, "hub") == 0) {
		/*
		 * A standby, answering while it waits (hub-lease.c): the hubs
		 * as it read them last (hub-standby.c), not from the lease's
		 * connection, which the waiting thread alone uses (a forward's
		 * thread asks this too).
		 */
		json_object_set_new(rep, "store", json_string("postgresql"));
		json_object_set_new(rep, "hub_state", json_string("standby"));
		json_object_set(rep, "hubs", d->standby_hubs != NULL ?
		    d->standby_hubs : json_null());
	} else if (rep != NULL) {
		json_object_set_new(rep, "hub", json_string(
		    d->uplink_addr != NULL ? d->uplink_addr : d->conf.hub));
		json_object_set_new(rep, "connected",
		    json_boolean(d->uplinked));
		if (d->uplink_error != NULL)
			json_object_set_new(rep, "link_error",
			    json_string(d->uplink_error));
		if (d->uplinked && d->uplink_fp[0] != '\0')
			json_object_set_new(rep, "hub_fingerprint",
			    json_string(d->uplink_fp));
		json_object_set_new(rep, "hubs", node_hubs_status(d));
	}
	pthread_mutex_unlock(&d->mu);
	/*
	 * The hub's admin also gets the names jobs can go to (shell
	 * completion reads them here); an agent never relays status.
	 */
	if (rep != NULL && d->store != NULL)
		api_status_names(d, op, req, uid, rep);
	return (rep);
}

static const struct api_op api_ops[] = {
	{ "status", api_status, API_NODE },
	{ "audit", audit_api, API_LOCAL },
	{ "invite", invite_api, API_LOCAL },
	{ "share.import", jobs_share_import, API_LOCAL },
	{ "share.get", jobs_share_get, API_LOCAL },
	{ "site.set", jobs_site_set, API_LOCAL },
	{ "endpoints", jobs_endpoints, API_LOCAL },
	{ "acl.set", jobs_acl, API_LOCAL },
	{ "acl.delete", jobs_acl, API_LOCAL },
	/* What an agent may ask: to send, and to see its own jobs. */
	{ "send", jobs_send, API_LOCAL | API_AGENT },
	{ "jobs", jobs_query, API_LOCAL | API_AGENT },
	{ "job", jobs_query, API_LOCAL | API_AGENT },
	{ "cancel", jobs_query, API_LOCAL },
	{ "pause", jobs_query, API_LOCAL },
	{ "resume", jobs_query, API_LOCAL },
	{ "retry", jobs_query, API_LOCAL },
	{ "sites", hub_window_sites, API_LOCAL },
	{ "site.add", sftp_site_add, API_LOCAL },
	{ "site.check", sftp_site_check, API_LOCAL },
	/* Share roots (hub-roots.c): an agent's own, set on its machine. */
	{ "root.set", node_root_set, API_NODE },
	{ "roots.report", roots_api, API_AGENT },
	{ "roots", roots_api, API_LOCAL | API_AGENT },
	{ "acl.list", jobs_acl_list, API_LOCAL },
	/* A person's finished work back to the studio (hub-publish.c). */
	{ "publish", publish_api, API_LOCAL | API_AGENT },
	/* ferry-ftrack: mail a publish to the task's assignees too. */
	{ "notify", hub_mail_notify, API_LOCAL },
	{ "mail.test", hub_mail_test, API_LOCAL },
	/* The store's hubs (hub-hubs.c, issue 17). */
	{ "hub.remove", hubs_api, API_LOCAL },
};

/* Whether req has a key that only the hub's relay may set ("_by"...). */
static int
api_ops_underscore(const json_t *req)
{
	const char	*key;
	json_t		*v;

	json_object_foreach((json_t *)(uintptr_t)req, key, v) {
		if (key[0] == '_')
			return (1);
	}
	return (0);
}

static const struct api_op *
api_ops_find(const char *op)
{
	size_t	i;

	for (i = 0; op != NULL && i < sizeof api_ops / sizeof api_ops[0];
	    i++) {
		if (strcmp(api_ops[i].name, op) == 0)
			return (&api_ops[i]);
	}
	return (NULL);
}

static json_t *
api_ops_error(const char *msg)
{
	return (json_pack("{s:s, s:b}", "error", msg, "done", 1));
}

/*
 * The hub takes no request while its database does not answer (one on
 * PostgreSQL that went away), and says so, rather than letting each
 * operation fail its own way ("no such site" for a lookup that failed).
 */
static json_t *
api_ops_store_down(struct ferryd *d)
{
	json_t	*rep = NULL;
	char	*cause = NULL, msg[1024];
	int	 r;

	/* Fenced (hub-lease.c): not the active hub, maybe not for long. */
	if (!lease_fresh(d))
		return (api_ops_error("this hub is not active: it cannot "
		    "confirm its lease on the database (the database, or the "
		    "network to it, is down), so it takes no work; another "
		    "hub may be active: ask that one"));
	pthread_mutex_lock(&d->mu);
	r = store_ready(d->store, &cause);
	pthread_mutex_unlock(&d->mu);
	if (r != 0) {
		snprintf(msg, sizeof msg, "the hub's database does not answer, "
		    "so the hub takes no new work until it is back: %s",
		    cause != NULL ? cause : err_str(r));
		rep = api_ops_error(msg);
	}
	free(cause);
	return (rep);
}

/* A standby hub (no store yet, waiting for the lease). */
static int
api_ops_standby(struct ferryd *d)
{
	return (d->store == NULL && strcmp(d->conf.role, "hub") == 0);
}

/* "status" with "local": this daemon's own, never forwarded. */
static int
api_ops_status_local(const json_t *req, const char *op)
{
	return (op != NULL && strcmp(op, "status") == 0 &&
	    json_is_true(json_object_get(req, "local")));
}

int
api_ops_forwards(struct ferryd *d, const json_t *req)
{
	const char	*op = json_string_value(json_object_get(req, "op"));

	return (api_ops_standby(d) && op != NULL &&
	    !api_ops_status_local(req, op));
}

/*
 * A standby's status, when asked without "local": the active hub's,
 * forwarded (with "via": this hub); when none can be asked, its own,
 * saying why ("forward_error").
 */
static json_t *
api_ops_standby_status(struct ferryd *d, const json_t *req, uid_t uid)
{
	json_t	*rep;
	char	*why = NULL;

	if ((rep = forward_request(d, req, uid, &why)) != NULL) {
		free(why);
		return (rep);
	}
	if ((rep = api_status(d, "status", req, uid)) != NULL && why != NULL)
		json_object_set_new(rep, "forward_error", json_string(why));
	free(why);
	return (rep);
}

json_t *
api_ops_local(struct ferryd *d, const json_t *req, uid_t uid)
{
	const char		*op = json_string_value(json_object_get(req,
				    "op"));
	const struct api_op	*o = api_ops_find(op);
	json_t			*rep = NULL;
	char			*why = NULL;

	if (op == NULL)
		return (api_ops_error("a request needs an \"op\""));
	if (api_ops_standby(d) && strcmp(op, "status") == 0 &&
	    !api_ops_status_local(req, op))
		return (api_ops_standby_status(d, req, uid));
	if (o != NULL && (o->who & API_NODE) && (strcmp(op, "status") == 0 ||
	    d->store != NULL || strcmp(d->conf.role, "hub") != 0))
		return (o->fn(d, op, req, uid));
	/* Only the hub's relay says for whom a request is made. */
	if (api_ops_underscore(req))
		return (api_ops_error("\"_by\", \"_endpoint\", \"_agent\" "
		    "and \"_caller\" are not for clients"));
	/*
	 * A standby hub: the active one has the store, and takes the
	 * request from here. Never taken there ("standby"): a client given
	 * several hubs may ask the next.
	 */
	if (api_ops_standby(d)) {
		if ((rep = forward_request(d, req, uid, &why)) == NULL)
			rep = json_pack("{s:s, s:b, s:b}", "error",
			    why != NULL ? why : "no active hub", "standby", 1,
			    "done", 1);
		free(why);
		return (rep);
	}
	if (d->store == NULL && o != NULL && (o->who & API_AGENT))
		return (relay_to_hub(d, req));
	if (d->store == NULL)
		return (api_ops_error("this daemon is not the hub: run it on "
		    "the hub"));
	if (o != NULL && (o->who & API_LOCAL) &&
	    (rep = api_ops_store_down(d)) == NULL)
		rep = o->fn(d, op, req, uid);
	return (rep != NULL ? rep : api_ops_error("unknown request"));
}

/*
 * A request a standby hub forwarded from its local client (hub-forward.c,
 * which checked the standby's key): what a local client may ask, checked
 * the same way, with "_caller" naming who asked and through which hub.
 */
json_t *
api_ops_forwarded(struct ferryd *d, const json_t *req, uid_t uid,
    const char *caller)
{
	const char		*op = json_string_value(json_object_get(req,
				    "op"));
	const struct api_op	*o = api_ops_find(op);
	json_t			*copy, *rep = NULL;

	if (op == NULL || !json_is_object(req))
		return (api_ops_error("a request needs an \"op\""));
	if (api_ops_underscore(req))
		return (api_ops_error("\"_by\", \"_endpoint\", \"_agent\" "
		    "and \"_caller\" are not for clients"));
	if (o == NULL || ((o->who & API_LOCAL) == 0 && strcmp(op,
	    "status") != 0))
		return (api_ops_error("unknown request"));
	if (d->store == NULL)
		return (api_ops_error("this hub is not active"));
	if ((copy = json_deep_copy(req)) == NULL ||
	    json_object_set_new(copy, "_caller", json_string(caller)) != 0) {
		json_decref(copy);
		return (api_ops_error("out of memory"));
	}
	if (strcmp(op, "status") == 0 ||
	    (rep = api_ops_store_down(d)) == NULL)
		rep = o->fn(d, op, copy, uid);
	json_decref(copy);
	return (rep != NULL ? rep : api_ops_error("unknown request"));
}

json_t *
api_ops_agent(struct ferryd *d, const json_t *req)
{
	const char		*op = json_string_value(json_object_get(req,
				    "op"));
	const struct api_op	*o = api_ops_find(op);
	json_t			*rep;

	if (o == NULL || (o->who & API_AGENT) == 0)
		return (api_ops_error("an agent may ask the hub only to send, "
		    "to publish, to show its jobs and to set its roots"));
	if ((rep = api_ops_store_down(d)) != NULL)
		return (rep);
	return (o->fn(d, op, req, (uid_t)-1));
}
