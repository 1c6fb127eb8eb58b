/*
 * The local API (docs/api.md): JSON lines on DIR/ferryd.sock, for `ferry`
 * and pipeline scripts on this machine. Requests are short, so clients are
 * served one at a time from the main thread, each with a bounded wait.
 */
#include "config.h"

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "ferryd.h"
#include "jsonline.h"
#include "log.h"

#define API_CLIENT_MS	5000	/* a client that says nothing is dropped */

int
api_open(struct ferryd *d, char **cause)
{
	char	path[4096];

	snprintf(path, sizeof path, "%s/%s", d->state, JSONLINE_SOCKET_NAME);
	return (jsonline_listen(path, &d->apifd, cause));
}

void
api_close(struct ferryd *d)
{
	char	path[4096];

	if (d->apifd == -1)
		return;
	close(d->apifd);
	snprintf(path, sizeof path, "%s/%s", d->state, JSONLINE_SOCKET_NAME);
	unlink(path);
	d->apifd = -1;
}

/* The hub's connected agents, by name. Caller holds d->mu. */
static json_t *
api_agents(struct ferryd *d)
{
	struct hub_link	*l;
	json_t		*agents = json_object();

	for (l = d->hub_links; l != NULL && agents != NULL; l = l->next)
		json_object_set_new(agents, l->name, json_pack("{s:s?, s:s?, "
		    "s:s, s:I}", "site", l->site, "user", l->user, "address",
		    l->addr, "since", (json_int_t)l->since));
	return (agents);
}

/* What every daemon answers: who it is and how its links are. */
static json_t *
api_status(struct ferryd *d)
{
	json_t	*rep;

	pthread_mutex_lock(&d->mu);
	rep = json_pack("{s:s, s:s?, s:s?, s:s?, s:s, s:b}", "role",
	    d->conf.role, "site", d->conf.site, "user", d->conf.user, "name",
	    d->conf.name, "fingerprint", d->fp, "done", 1);
	if (rep != NULL && d->store != NULL)
		json_object_set_new(rep, "agents", api_agents(d));
	else if (rep != NULL) {
		json_object_set_new(rep, "hub", json_string(d->conf.hub));
		json_object_set_new(rep, "connected",
		    json_boolean(d->uplinked));
		if (d->uplink_error != NULL)
			json_object_set_new(rep, "link_error",
			    json_string(d->uplink_error));
	}
	pthread_mutex_unlock(&d->mu);
	return (rep);
}

static json_t *
api_answer(struct ferryd *d, const json_t *req, uid_t uid)
{
	const char	*op = json_string_value(json_object_get(req, "op"));
	json_t		*rep;

	if (op == NULL)
		return (json_pack("{s:s, s:b}", "error", "a request needs an "
		    "\"op\"", "done", 1));
	if (strcmp(op, "status") == 0)
		return (api_status(d));
	/* Only the hub's relay says for whom a request is made. */
	if (json_object_get(req, "_by") != NULL)
		return (json_pack("{s:s, s:b}", "error", "\"_by\" is not "
		    "for clients", "done", 1));
	if (d->store != NULL && (rep = hub_api(d, req, uid)) != NULL)
		return (rep);
	if (d->store == NULL && (rep = relay_to_hub(d, req)) != NULL)
		return (rep);
	return (json_pack("{s:s, s:b}", "error", d->store == NULL ?
	    "this daemon is not the hub: run it on the hub" :
	    "unknown request", "done", 1));
}

/* Reads one request from c (waiting at most API_CLIENT_MS) and answers. */
static void
api_serve(struct ferryd *d, struct jsonline_conn *c)
{
	struct pollfd	 pfd = { c->fd, POLLIN, 0 };
	json_t		*req = NULL, *rep;
	char		*cause = NULL;
	int		 r = 0;

	while (req == NULL && r == 0) {
		if ((r = jsonline_next(c, &req, &cause)) != 0 || req != NULL)
			break;
		if (poll(&pfd, 1, API_CLIENT_MS) <= 0)
			return;
		r = jsonline_fill(c, &cause);
	}
	if (r != 0) {
		jsonline_send_error(c, cause ? cause : err_str(r), NULL);
		free(cause);
	} else {
		rep = api_answer(d, req, c->uid);
		if (rep != NULL)
			jsonline_send(c, rep, NULL);
		json_decref(rep);
		json_decref(req);
	}
	/* Answers are small; give a slow reader a moment, then move on. */
	pfd.events = POLLOUT;
	while (jsonline_pending(c) > 0 && poll(&pfd, 1, API_CLIENT_MS) > 0 &&
	    jsonline_flush(c, NULL) == 0)
		;
}

int
api_serve_once(struct ferryd *d, int timeout_ms)
{
	struct pollfd		 pfd = { d->apifd, POLLIN, 0 };
	struct jsonline_conn	*c;
	char			*cause = NULL;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return (0);
	if (jsonline_accept(d->apifd, &c, &cause) != 0) {
		log_warnx("local API: %s", cause ? cause : "accept failed");
		free(cause);
		return (0);
	}
	if (c != NULL)
		api_serve(d, c);
	jsonline_free(c);
	return (0);
}
