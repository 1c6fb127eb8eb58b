/*
 * ferry-ftrack's client of the local hub's API (docs/api.md): one request
 * a connection, answered by lines of which the last says "done". The hub
 * runs on the same machine as the same user (its socket admits no one
 * else), so a wait is bounded but generous: a send lists its files first.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "clock.h"
#include "err.h"
#include "ferry-ftrack.h"
#include "jsonline.h"
#include "statedir.h"

#define FERRYAPI_TIMEOUT_S	120
#define FERRYAPI_HUBS_MAX	8	/* hubs in --hub-state */
#define FERRYAPI_ACTIVE_S	2	/* a hub's word about itself */

/* A hub that stops answering must not hang the listener. */
static void
ferryapi_timeout(int fd)
{
	struct timeval	tv = { FERRYAPI_TIMEOUT_S, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* Reads answers until the last one; *repp is it. */
static int
ferryapi_answer(struct jsonline_conn *c, json_t **repp, char **cause)
{
	json_t	*rep = NULL;
	int	 r;

	do {
		json_decref(rep);
		rep = NULL;
		r = jsonline_recv(c, &rep, cause);
	} while (r == 0 && !jsonline_done(rep) &&
	    json_object_get(rep, "error") == NULL);
	if (r == 0)
		*repp = rep;
	return (r);
}

/*
 * One hub's state directory: FERRY_ERR_UNREACHABLE, before anything was
 * asked, when nobody answers there or the hub there is the standby.
 */
static int
ferryapi_one(const char *hub_state, const json_t *req, json_t **repp,
    char **cause)
{
	struct jsonline_conn	*c = NULL;
	json_t			*rep = NULL;
	char			*path = NULL, *why = NULL;
	int			 r;

	if ((r = statedir_path(hub_state, JSONLINE_SOCKET_NAME, &path,
	    cause)) != 0)
		return (r);
	if ((r = jsonline_connect(path, &c, &why)) != 0) {
		jsonline_free(c);
		r = err_set(cause, FERRY_ERR_UNREACHABLE, "%s", why != NULL ?
		    why : path);
		free(why);
		free(path);
		return (r);
	}
	ferryapi_timeout(c->fd);
	if ((r = jsonline_request(c, req, cause)) == 0)
		r = ferryapi_answer(c, &rep, cause);
	jsonline_free(c);
	if (r == 0 && json_is_true(json_object_get(rep, "standby"))) {
		/* A standby that could not pass it on says why. */
		r = err_set(cause, FERRY_ERR_UNREACHABLE, "the hub at %s is "
		    "the standby: %s", path, json_string_value(json_object_get(
		    rep, "error")) != NULL ? json_string_value(json_object_get(
		    rep, "error")) : "it takes no requests");
		json_decref(rep);
	} else if (r == 0)
		*repp = rep;
	free(path);
	return (r);
}

/*
 * hub_state may name the state directories of several hubs of one
 * store, comma-separated (docs/ftrack.md): the one that answered last
 * is asked first, and the next is asked only when a hub could not be
 * asked at all (no socket, nobody on it, the standby), never after a
 * request was taken and then failed, which could run it twice.
 */
int
ferryapi_call(const char *hub_state, const json_t *req, json_t **repp,
    char **cause)
{
	static size_t	 last;
	json_t		*rep = NULL;
	const char	*err, *p, *end;
	char		*dirs[FERRYAPI_HUBS_MAX], *why = NULL;
	size_t		 n = 0, i, k;
	int		 r = FERRY_ERR_UNREACHABLE;

	for (p = hub_state; *p != '\0' && n < FERRYAPI_HUBS_MAX; p = end) {
		end = p + strcspn(p, ",");
		if (end > p && (dirs[n] = strndup(p, (size_t)(end - p))) !=
		    NULL)
			n++;
		end += *end == ',';
	}
	for (k = 0; k < n; k++) {
		i = (last + k) % n;
		free(why);
		why = NULL;
		if ((r = ferryapi_one(dirs[i], req, &rep, &why)) == 0)
			last = i;
		if (r != FERRY_ERR_UNREACHABLE)
			break;
	}
	for (i = 0; i < n; i++)
		free(dirs[i]);
	if (r != 0) {
		if (cause != NULL)
			*cause = why;
		else
			free(why);
		return (r == FERRY_ERR_NOTFOUND || r == FERRY_ERR_AUTH ?
		    FERRY_ERR_UNREACHABLE : r);
	}
	free(why);
	if ((err = json_string_value(json_object_get(rep, "error"))) != NULL) {
		r = err_set(cause, FERRY_ERR_DENIED, "%s", err);
		json_decref(rep);
		return (r);
	}
	*repp = rep;
	return (0);
}

int
ferryapi_no_such_job(const char *cause)
{
	return (cause != NULL && (strncmp(cause, "no job ", 7) == 0 ||
	    strstr(cause, "no such job") != NULL));
}

/*
 * One hub's own word about itself, in at most FERRYAPI_ACTIVE_S: 1
 * active, 0 not (standby, fenced), -1 not asked; *single when it is the
 * one hub of a SQLite store.
 */
static int
ferryapi_active_one(const char *hub_state, int *single, char **why)
{
	struct jsonline_conn	*c = NULL;
	struct timeval		 tv = { FERRYAPI_ACTIVE_S, 0 };
	json_t			*req, *rep = NULL;
	const char		*st = NULL;
	char			*path = NULL;
	int			 r, active = 0;

	req = json_pack("{s:s, s:b}", "op", "status", "local", 1);
	if ((r = statedir_path(hub_state, JSONLINE_SOCKET_NAME, &path,
	    why)) == 0 && (r = jsonline_connect(path, &c, why)) == 0) {
		setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		if ((r = jsonline_request(c, req, why)) == 0)
			r = ferryapi_answer(c, &rep, why);
	}
	if (r == 0) {
		st = json_string_value(json_object_get(rep, "hub_state"));
		/* An older hub says nothing: it is the only one. */
		if (st == NULL || strcmp(st, "single") == 0)
			*single = 1;
		active = *single || strcmp(st, "active") == 0;
		if (!active)
			err_set(why, FERRY_ERR_STATE, "the hub at %s is %s",
			    hub_state, st);
	} else
		active = -1;
	jsonline_free(c);
	json_decref(req);
	json_decref(rep);
	free(path);
	return (active);
}

int
ferryapi_active(const char *hub_state, int *single, char **why)
{
	const char	*p, *end;
	char		*dir, *one = NULL;
	int		 active = -1, a;

	*why = NULL;
	for (p = hub_state; *p != '\0' && active != 1; p = end) {
		end = p + strcspn(p, ",");
		if (end > p && (dir = strndup(p, (size_t)(end - p))) != NULL) {
			free(one);
			one = NULL;
			/* One hub that answers "not active" is an answer. */
			if ((a = ferryapi_active_one(dir, single, &one)) >
			    active)
				active = a;
			free(dir);
		}
		end += *end == ',';
	}
	if (active == 1)
		free(one);
	else
		*why = one;
	return (active);
}

int
ferryapi_beside_active(struct ff *ff)
{
	char	*why = NULL;

	int	 a;

	if (clock_ms() < ff->active_until)
		return (1);
	a = ferryapi_active(ff->hub_state, &ff->hub_single, &why);
	free(why);
	/*
	 * The one hub of a SQLite store, down for a moment: the launch is
	 * answered with that, as before there were two hubs.
	 */
	if (a != 1 && !(a == -1 && ff->hub_single))
		return (0);
	ff->active_until = clock_ms() + FF_ACTIVE_FRESH_MS;
	return (1);
}
