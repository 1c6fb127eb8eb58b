/*
 * The local API (docs/api.md): JSON lines on DIR/ferryd.sock, for `ferry`
 * and pipeline scripts on this machine. The main thread serves up to
 * API_CLIENTS_MAX clients at once without blocking on any (poll(2)): each
 * request is answered when it is whole, and a client has API_CLIENT_MS
 * for its whole request and as long to take its answer.
 */
#include "config.h"

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "ferryd.h"
#include "jsonline.h"
#include "log.h"

#define API_CLIENT_MS	5000	/* a whole request, or taking its answer */
#define API_CLIENTS_MAX	32	/* served at once */

/*
 * The clients being served. Each sends one request and gets its answer;
 * the whole request must come within API_CLIENT_MS of the connection,
 * and the answer must be taken within API_CLIENT_MS of being made, so a
 * client that drips or does not read holds a slot, never the daemon.
 */
struct api_client {
	struct jsonline_conn	*c;
	int64_t			 deadline;	/* ms */
	int			 answered;
};
static struct api_client	api_clients[API_CLIENTS_MAX];

static void
api_drop(struct api_client *cl)
{
	jsonline_free(cl->c);
	memset(cl, 0, sizeof *cl);
}

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

	size_t	i;

	for (i = 0; i < API_CLIENTS_MAX; i++)
		api_drop(&api_clients[i]);
	if (d->apifd == -1)
		return;
	close(d->apifd);
	snprintf(path, sizeof path, "%s/%s", d->state, JSONLINE_SOCKET_NAME);
	unlink(path);
	d->apifd = -1;
}

/* Reads what c has; once a whole request is in, answers it. */
static void
api_read(struct ferryd *d, struct api_client *cl)
{
	json_t	*req = NULL, *rep;
	char	*cause = NULL;
	int	 r;

	if ((r = jsonline_fill(cl->c, &cause)) == 0)
		r = jsonline_next(cl->c, &req, &cause);
	if (r == 0 && req == NULL)
		return;		/* not yet */
	if (r == FERRY_ERR_CLOSED) {
		api_drop(cl);
		free(cause);
		return;
	}
	if (r != 0)
		jsonline_send_error(cl->c, cause ? cause : err_str(r), NULL);
	else {
		rep = api_ops_local(d, req, cl->c->uid);
		if (rep != NULL)
			jsonline_send(cl->c, rep, NULL);
		json_decref(rep);
		json_decref(req);
	}
	cl->answered = 1;
	cl->deadline = clock_ms() + API_CLIENT_MS;
	free(cause);
}

/* A client past its deadline: dropped, and on the hub recorded. */
static void
api_late(struct ferryd *d, struct api_client *cl)
{
	char	who[64];

	snprintf(who, sizeof who, "uid %u", (unsigned)cl->c->uid);
	pthread_mutex_lock(&d->mu);
	audit_note_limited(d, who, "api.dropped", json_pack("{s:i, s:s}",
	    "pid", (int)cl->c->pid, "why", cl->answered ? "did not read its "
	    "answer" : "no whole request"));
	pthread_mutex_unlock(&d->mu);
	api_drop(cl);
}

/* Takes the connections waiting, while there are free slots. */
static void
api_accept(struct ferryd *d)
{
	struct jsonline_conn	*c;
	char			*cause = NULL;
	size_t			 i;

	for (i = 0; i < API_CLIENTS_MAX; i++) {
		if (api_clients[i].c != NULL)
			continue;
		if (jsonline_accept(d->apifd, &c, &cause) != 0) {
			log_warnx("local API: %s", cause ? cause :
			    "accept failed");
			free(cause);
			cause = NULL;
			continue;
		}
		if (c == NULL)
			return;
		api_clients[i].c = c;
		api_clients[i].deadline = clock_ms() + API_CLIENT_MS;
	}
}

int
api_serve_once(struct ferryd *d, int timeout_ms)
{
	struct pollfd	 pfd[API_CLIENTS_MAX + 1];
	struct api_client *cl;
	int64_t		 now = clock_ms();
	size_t		 i, n = 0, slots = 0;

	for (i = 0; i < API_CLIENTS_MAX; i++) {
		cl = &api_clients[i];
		if (cl->c == NULL) {
			slots++;
			continue;
		}
		if (cl->deadline - now < timeout_ms)
			timeout_ms = cl->deadline > now ?
			    (int)(cl->deadline - now) : 0;
	}
	pfd[0].fd = slots > 0 ? d->apifd : -1;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	for (i = 0; i < API_CLIENTS_MAX; i++) {
		cl = &api_clients[i];
		pfd[i + 1].fd = cl->c != NULL ? cl->c->fd : -1;
		pfd[i + 1].events = cl->c == NULL ? 0 : cl->answered ?
		    POLLOUT : POLLIN;
		pfd[i + 1].revents = 0;
	}
	if (poll(pfd, API_CLIENTS_MAX + 1, timeout_ms) > 0 &&
	    (pfd[0].revents & POLLIN))
		api_accept(d);
	now = clock_ms();
	for (i = 0; i < API_CLIENTS_MAX; i++) {
		cl = &api_clients[i];
		if (cl->c == NULL || pfd[i + 1].fd != cl->c->fd)
			continue;
		if (!cl->answered && pfd[i + 1].revents != 0)
			api_read(d, cl);
		if (cl->c != NULL && cl->answered &&
		    (jsonline_pending(cl->c) == 0 ||
		    jsonline_flush(cl->c, NULL) != 0 ||
		    jsonline_pending(cl->c) == 0)) {
			api_drop(cl);
			n++;
		} else if (cl->c != NULL && now > cl->deadline)
			api_late(d, cl);
	}
	return ((int)n);
}
