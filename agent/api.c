/*
 * The local API (docs/api.md): JSON lines on DIR/ferryd.sock, for `ferry`
 * and pipeline scripts on this machine. The main thread serves up to
 * API_CLIENTS_MAX clients at once without blocking on any (poll(2)): each
 * request is answered when it is whole, and a client has API_CLIENT_MS
 * for its whole request and as long to take its answer.
 */
#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
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
	struct api_work		*w;		/* its send, answered apart */
};
static struct api_client	api_clients[API_CLIENTS_MAX];

/*
 * A send is answered by a thread of its own: it lists the files and
 * stores the job, a million files taking a minute, and meanwhile this
 * thread answers the others (`ferry jobs` waited the whole time). The
 * worker sets rep and done under api_mu and writes api_wake; a client
 * gone meanwhile leaves the work orphan, for the worker to free. So is
 * every request a standby hub passes on to the active one (hub-forward-
 * out.c): meanwhile this thread also waits for the store's lease.
 */
struct api_work {
	struct ferryd	*d;
	json_t		*req;
	json_t		*rep;
	uid_t		 uid;
	int		 done;
	int		 orphan;
};
static pthread_mutex_t	api_mu = PTHREAD_MUTEX_INITIALIZER;
static int		api_wake[2] = { -1, -1 };

static void
api_work_free(struct api_work *w)
{
	json_decref(w->req);
	json_decref(w->rep);
	free(w);
}

static void
api_drop(struct api_client *cl)
{
	/* A send at work: its worker frees it once done. */
	if (cl->w != NULL) {
		pthread_mutex_lock(&api_mu);
		if (cl->w->done)
			api_work_free(cl->w);
		else
			cl->w->orphan = 1;
		pthread_mutex_unlock(&api_mu);
	}
	jsonline_free(cl->c);
	memset(cl, 0, sizeof *cl);
}

static void *
api_work_main(void *arg)
{
	struct api_work	*w = arg;
	json_t		*rep;
	int		 orphan;

	rep = api_ops_local(w->d, w->req, w->uid);
	pthread_mutex_lock(&api_mu);
	w->rep = rep;
	w->done = 1;
	orphan = w->orphan;
	pthread_mutex_unlock(&api_mu);
	if (orphan)
		api_work_free(w);
	else if (write(api_wake[1], "", 1) == -1) {
		/* The pipe is full: the loop wakes already. */
	}
	return (NULL);
}

/* Starts req (taken) in a thread: 0, or -1 to answer it here. */
static int
api_work_start(struct ferryd *d, struct api_client *cl, json_t *req)
{
	struct api_work	*w;
	pthread_t	 t;

	if (api_wake[0] == -1 || (w = calloc(1, sizeof *w)) == NULL)
		return (-1);
	w->d = d;
	w->req = req;
	w->uid = cl->c->uid;
	cl->w = w;
	if (pthread_create(&t, NULL, api_work_main, w) != 0) {
		cl->w = NULL;
		free(w);
		return (-1);
	}
	pthread_detach(t);
	return (0);
}

/* A client's send, if its worker is done: answered. */
static void
api_work_take(struct api_client *cl)
{
	json_t	*rep = NULL;
	int	 done;

	pthread_mutex_lock(&api_mu);
	if ((done = cl->w->done)) {
		rep = cl->w->rep;
		cl->w->rep = NULL;
	}
	pthread_mutex_unlock(&api_mu);
	if (!done)
		return;
	api_work_free(cl->w);
	cl->w = NULL;
	if (rep != NULL)
		jsonline_send(cl->c, rep, NULL);
	json_decref(rep);
	cl->answered = 1;
	cl->deadline = clock_ms() + API_CLIENT_MS;
}

int
api_open(struct ferryd *d, char **cause)
{
	char	path[4096];

	snprintf(path, sizeof path, "%s/%s", d->state, JSONLINE_SOCKET_NAME);
	/* Without the pipe, sends are answered on this thread, as before. */
	/* pipe2, not fcntl after pipe: the Windows build's pipe2 (compat)
	 * sets both flags at birth and has no F_SETFD. */
	if (api_wake[0] == -1 &&
	    pipe2(api_wake, O_NONBLOCK | O_CLOEXEC) == -1)
		api_wake[0] = api_wake[1] = -1;
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

static const char *
api_op(const json_t *req)
{
	const char	*op = json_string_value(json_object_get(req, "op"));

	return (op != NULL ? op : "");
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
	else if ((strcmp(api_op(req), "send") == 0 ||
	    api_ops_forwards(d, req)) && api_work_start(d, cl, req) == 0) {
		free(cause);
		return;		/* answered by api_work_take */
	} else {
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
	struct pollfd	 pfd[API_CLIENTS_MAX + 2];
	char		 drain[64];
	struct api_client *cl;
	int64_t		 now = clock_ms();
	size_t		 i, n = 0, slots = 0;

	for (i = 0; i < API_CLIENTS_MAX; i++) {
		cl = &api_clients[i];
		if (cl->c == NULL) {
			slots++;
			continue;
		}
		if (cl->w == NULL && cl->deadline - now < timeout_ms)
			timeout_ms = cl->deadline > now ?
			    (int)(cl->deadline - now) : 0;
	}
	pfd[0].fd = slots > 0 ? d->apifd : -1;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	for (i = 0; i < API_CLIENTS_MAX; i++) {
		cl = &api_clients[i];
		/* A client whose send is at work waits for its worker. */
		pfd[i + 1].fd = cl->c != NULL && cl->w == NULL ? cl->c->fd :
		    -1;
		pfd[i + 1].events = cl->c == NULL ? 0 : cl->answered ?
		    POLLOUT : POLLIN;
		pfd[i + 1].revents = 0;
	}
	pfd[API_CLIENTS_MAX + 1].fd = api_wake[0];
	pfd[API_CLIENTS_MAX + 1].events = POLLIN;
	pfd[API_CLIENTS_MAX + 1].revents = 0;
	if (poll(pfd, API_CLIENTS_MAX + 2, timeout_ms) > 0 &&
	    (pfd[0].revents & POLLIN))
		api_accept(d);
	if (pfd[API_CLIENTS_MAX + 1].revents & POLLIN)
		while (read(api_wake[0], drain, sizeof drain) > 0)
			;
	now = clock_ms();
	for (i = 0; i < API_CLIENTS_MAX; i++) {
		cl = &api_clients[i];
		if (cl->c != NULL && cl->w != NULL)
			api_work_take(cl);
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
