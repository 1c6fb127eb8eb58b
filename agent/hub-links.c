/*
 * The hub's table of control links: finding an agent's link by name or by
 * what it serves, handing it a message, and asking it a question whose
 * answer comes back on the link ("re" names the question, ask.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "err.h"
#include "ferryd.h"
#include "identity.h"
#include "share-map.h"
#include "store.h"

struct hub_link *
hub_link_named(struct ferryd *d, const char *name)
{
	struct hub_link	*l;

	for (l = d->hub_links; l != NULL; l = l->next) {
		if (strcmp(l->name, name) == 0)
			return (l);
	}
	return (NULL);
}

const char *
hub_endpoint_platform(struct ferryd *d, const char *endpoint)
{
	struct hub_link	*l;
	char		 stored[16];

	/* The hub runs on Linux only: its roots are the map's POSIX ones. */
	if (strcmp(endpoint, d->conf.site) == 0)
		return ("linux");
	if ((l = hub_link_for(d, endpoint, 0)) != NULL)
		return (l->platform);
	/*
	 * None linked (a workstation switched off, a hub just restarted):
	 * what its agent said last, so that the paths a job shows are the
	 * ones that machine will write. Returned as a constant: the caller
	 * keeps it while it holds d->mu, which this buffer would not outlive.
	 */
	if (d->store == NULL || store_endpoint_platform(d->store, endpoint,
	    stored, sizeof stored, NULL) != 0)
		return (NULL);
	return (share_platform_name(stored));
}

struct hub_link *
hub_link_for(struct ferryd *d, const char *endpoint, int free_only)
{
	struct hub_link	*l;

	for (l = d->hub_links; l != NULL; l = l->next) {
		if (free_only && l->busy >= d->per_agent)
			continue;
		if ((l->site && strcmp(l->site, endpoint) == 0) ||
		    (l->user && strcmp(l->user, endpoint) == 0))
			return (l);
	}
	return (NULL);
}

/*
 * A transfer given to an agent entitles it to a message a file (a
 * transfer.file, as the sender or the receiver that reports what it
 * committed) and its few others (listening, done, the suspects it may
 * report) beyond max-agent-messages (hub.c): a 100,000-file job's
 * 30,000 reports a second are the hub's own asking, not a flood.
 */
void
hub_link_credit(struct hub_link *l, size_t files)
{
	atomic_fetch_add(&l->credit, (int64_t)files + 2 + FERRYD_SUSPECT_MAX);
}

int
hub_tell(struct ferryd *d, const char *name, json_t *msg)
{
	struct hub_link	*l;
	const char	*op;

	if (msg == NULL || (l = hub_link_named(d, name)) == NULL) {
		json_decref(msg);
		return (-1);
	}
	op = json_string_value(json_object_get(msg, "op"));
	if (op != NULL && strcmp(op, "transfer.start") == 0)
		hub_link_credit(l, json_array_size(json_object_get(msg,
		    "files")) + json_array_size(json_object_get(msg,
		    "expect")));
	ferryd_queue(&l->outq, msg, l->wake[1]);
	return (0);
}

char *
hub_agent_address(struct ferryd *d, const char *name, const char *site,
    const char *seen, const json_t *claim)
{
	const char	*c = json_string_value(claim);
	char		 key[300], *admin = NULL;

	if (site != NULL) {
		snprintf(key, sizeof key, "address:%s", site);
		if (store_meta_get(d->store, key, &admin, NULL) == 0 &&
		    *admin != '\0')
			return (admin);
		free(admin);
	}
	if (claim == NULL || json_is_null(claim))
		return (NULL);	/* it claims nothing */
	/* Only where the hub sees it: no sending others elsewhere. */
	if (c != NULL && strcmp(c, seen) == 0)
		return (strdup(seen));
	audit_note(d, name, "address.ignored", json_pack("{s:s, s:s%}",
	    "seen", seen, "claimed", c != NULL ? c : "(not a string)",
	    c == NULL ? (size_t)14 : strlen(c) < 128 ? strlen(c) : 127));
	return (NULL);
}

char *
hub_public_host(struct ferryd *d)
{
	char	*host = NULL;
	int	 port;

	if (d->conf.public_addr != NULL)
		return (strdup(d->conf.public_addr));
	if (conf_split_addr(d->conf.listen, CONF_CONTROL_PORT, &host, &port,
	    NULL) != 0)
		return (NULL);
	return (host);
}

int
hub_ask(struct ferryd *d, const char *endpoint, json_t *msg, int timeout_s,
    json_t **reply, char **cause)
{
	struct hub_link	*l;
	char		 id[ASK_ID_LEN + 1], fp[IDENTITY_FP_STRLEN + 1];
	int		 r;

	*reply = NULL;
	if ((l = hub_link_for(d, endpoint, 0)) == NULL) {
		json_decref(msg);
		return (err_set(cause, FERRY_ERR_UNREACHABLE, "no agent of %s "
		    "is connected to the hub", endpoint));
	}
	/* By key, not name: names are the agents' own choice. */
	identity_fp_format(l->fp, fp);
	if ((r = ask_open(d, fp, id, cause)) != 0) {
		json_decref(msg);
		return (r);
	}
	json_object_set_new(msg, "req", json_string(id));
	hub_tell(d, l->name, msg);
	return (ask_wait(d, id, timeout_s, reply, cause));
}

int
hub_ask_pages(struct ferryd *d, const char *endpoint, json_t *msg,
    int timeout_s, int (*cb)(void *, const json_t *), void *arg,
    char **cause)
{
	struct hub_link	*l;
	json_t		*page;
	char		 id[ASK_ID_LEN + 1], fp[IDENTITY_FP_STRLEN + 1];
	int		 r, more = 1;

	if ((l = hub_link_for(d, endpoint, 0)) == NULL) {
		json_decref(msg);
		return (err_set(cause, FERRY_ERR_UNREACHABLE, "no agent of %s "
		    "is connected to the hub", endpoint));
	}
	identity_fp_format(l->fp, fp);
	if ((r = ask_open_paged(d, fp, id, cause)) != 0) {
		json_decref(msg);
		return (r);
	}
	json_object_set_new(msg, "req", json_string(id));
	hub_tell(d, l->name, msg);
	/* Each page's wait is timeout_s: a big listing takes its time. */
	while (r == 0 && more &&
	    (r = ask_next(d, id, timeout_s, &page, &more, cause)) == 0) {
		pthread_mutex_unlock(&d->mu);
		r = cb(arg, page);
		pthread_mutex_lock(&d->mu);
		json_decref(page);
	}
	ask_close(d, id);
	return (r);
}
