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

#include "err.h"
#include "ferry-ftrack.h"
#include "jsonline.h"
#include "statedir.h"

#define FERRYAPI_TIMEOUT_S	120

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

int
ferryapi_call(const char *hub_state, const json_t *req, json_t **repp,
    char **cause)
{
	struct jsonline_conn	*c = NULL;
	json_t			*rep = NULL;
	const char		*err;
	char			*path = NULL;
	int			 r;

	if ((r = statedir_path(hub_state, JSONLINE_SOCKET_NAME, &path,
	    cause)) != 0)
		return (r);
	if ((r = jsonline_connect(path, &c, cause)) == 0) {
		ferryapi_timeout(c->fd);
		if ((r = jsonline_request(c, req, cause)) == 0)
			r = ferryapi_answer(c, &rep, cause);
	}
	jsonline_free(c);
	free(path);
	if (r == FERRY_ERR_NOTFOUND || r == FERRY_ERR_AUTH)
		return (FERRY_ERR_UNREACHABLE);
	if (r != 0)
		return (r);
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
