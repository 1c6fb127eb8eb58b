/*
 * The local API (docs/api.md): JSON lines on DIR/ferryd.sock, for `ferry`
 * and pipeline scripts on this machine. The main thread serves up to
 * API_CLIENTS_MAX clients at once without blocking on any (poll(2)): each
 * request is answered when it is whole, and a client has API_CLIENT_MS
 * for its whole request and as long to take its answer. A "job" request
 * with "wait_ms" may be held here instead, up to API_WAIT_MAX_MS, until
 * its job leaves queued or running (`ferry send --wait`).
 */
#include "config.h"

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
 * "job" requests held at once (their "wait_ms" cut to API_WAIT_MAX_MS,
 * ferryd.h): each holds one of the slots above, and half of them stay
 * for requests answered at once; past it, a "job" is answered at once.
 */
#define API_HELD_MAX	(API_CLIENTS_MAX / 2)

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
	/*
	 * A "job" request held (api_hold): asked again whenever a job may
	 * have changed (api_wake_jobs_gen moved past held_gen), answered
	 * once its job's state is no longer held_state or at held_until.
	 */
	json_t			*held;
	int64_t			 held_at, held_until;	/* ms */
	unsigned		 held_gen;
	char			 held_state[16];
};
static struct api_client	api_clients[API_CLIENTS_MAX];
static int			api_nheld;

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

static void
api_work_free(struct api_work *w)
{
	json_decref(w->req);
	json_decref(w->rep);
	free(w);
}

static void
api_unhold(struct api_client *cl)
{
	if (cl->held == NULL)
		return;
	json_decref(cl->held);
	cl->held = NULL;
	api_nheld--;
	api_wake_held_add(-1);
}

static void
api_drop(struct api_client *cl)
{
	api_unhold(cl);
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
	else
		api_wake();
	return (NULL);
}

/* Starts req (taken) in a thread: 0, or -1 to answer it here. */
static int
api_work_start(struct ferryd *d, struct api_client *cl, json_t *req)
{
	struct api_work	*w;
	pthread_t	 t;

	if (api_wake_fd() == -1 || (w = calloc(1, sizeof *w)) == NULL)
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
	/*
	 * Without the pipe, sends are answered on this thread, as before,
	 * and "job" is answered at once.
	 */
	api_wake_open();
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

/* A "job" reply's state if a wait may hold it (queued, running): or NULL. */
static const char *
api_job_active(const json_t *rep)
{
	const char	*st = json_string_value(json_object_get(rep, "state"));

	if (st == NULL || json_object_get(rep, "error") != NULL)
		return (NULL);
	return (strcmp(st, "queued") == 0 || strcmp(st, "running") == 0 ?
	    st : NULL);
}

/*
 * The wait req asks (ms, at most API_WAIT_MAX_MS), or 0: none asked, or
 * none here. Only the hub's own store's jobs are waited for: a standby
 * passes requests on (and the active hub answers those at once), an
 * agent relays them, and the hub answers an agent's at once (its control
 * link's thread must not wait), so their clients look again as before.
 */
static int64_t
api_wait_ms(struct ferryd *d, const json_t *req)
{
	json_int_t	ms = json_integer_value(json_object_get(req,
			    "wait_ms"));

	if (strcmp(api_op(req), "job") != 0 || ms <= 0 || d->store == NULL ||
	    api_wake_fd() == -1 || api_nheld >= API_HELD_MAX)
		return (0);
	return (ms > API_WAIT_MAX_MS ? API_WAIT_MAX_MS : (int64_t)ms);
}

/* Holds cl's request (taken) instead of sending rep (freed). */
static void
api_hold(struct api_client *cl, json_t *req, json_t *rep, int64_t wait_ms,
    unsigned gen)
{
	snprintf(cl->held_state, sizeof cl->held_state, "%s",
	    api_job_active(rep));
	json_decref(rep);
	cl->held = req;
	cl->held_gen = gen;
	cl->held_at = clock_ms();
	cl->held_until = cl->held_at + wait_ms;
	api_nheld++;
	api_wake_held_add(1);
}

/*
 * A held request, asked again if a job may have changed since it was
 * last asked, or its wait is over, or (force) its client wrote more than
 * its one request: answered unless its job is still as it was held, with
 * "waited_ms", so the client knows the hub paced it and need not pause.
 */
static void
api_held_check(struct ferryd *d, struct api_client *cl, int64_t now,
    int force)
{
	unsigned	 gen = api_wake_jobs_gen();
	const char	*st;
	json_t		*rep;

	if (!force && now < cl->held_until && gen == cl->held_gen)
		return;
	rep = api_ops_local(d, cl->held, cl->c->uid);
	now = clock_ms();
	st = api_job_active(rep);
	if (!force && now < cl->held_until && st != NULL &&
	    strcmp(st, cl->held_state) == 0) {
		cl->held_gen = gen;
		json_decref(rep);
		return;
	}
	if (json_is_object(rep))
		json_object_set_new(rep, "waited_ms", json_integer(now -
		    cl->held_at));
	api_wake_count(1);
	api_unhold(cl);
	if (rep != NULL)
		jsonline_send(cl->c, rep, NULL);
	json_decref(rep);
	cl->answered = 1;
	cl->deadline = now + API_CLIENT_MS;
}

/*
 * A held client is readable: it said more than its one request, or
 * closed its side: answered now (a client gone altogether fails to take
 * the answer, and is dropped as any other), or dropped on an error.
 */
static void
api_held_read(struct ferryd *d, struct api_client *cl, int64_t now)
{
	if (jsonline_fill(cl->c, NULL) != 0)
		api_drop(cl);
	else
		api_held_check(d, cl, now, 1);
}

/* Reads what c has; once a whole request is in, answers it. */
static void
api_read(struct ferryd *d, struct api_client *cl)
{
	json_t		*req = NULL, *rep;
	char		*cause = NULL;
	int64_t		 wait;
	unsigned	 gen;
	int		 r;

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
		/* Read first: a change while it is asked wakes it again. */
		gen = api_wake_jobs_gen();
		rep = api_ops_local(d, req, cl->c->uid);
		if ((wait = api_wait_ms(d, req)) > 0 &&
		    api_job_active(rep) != NULL) {
			api_hold(cl, req, rep, wait, gen);
			free(cause);
			return;
		}
		if (strcmp(api_op(req), "job") == 0)
			api_wake_count(0);
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
	struct api_client *cl;
	int64_t		 now = clock_ms(), until;
	unsigned	 gen = api_wake_jobs_gen();
	size_t		 i, n = 0, slots = 0;

	for (i = 0; i < API_CLIENTS_MAX; i++) {
		cl = &api_clients[i];
		if (cl->c == NULL) {
			slots++;
			continue;
		}
		/* A held request: at once if a job changed since it looked. */
		if (cl->held != NULL)
			until = cl->held_gen != gen ? now : cl->held_until;
		else if (cl->w == NULL)
			until = cl->deadline;
		else
			continue;
		if (until - now < timeout_ms)
			timeout_ms = until > now ? (int)(until - now) : 0;
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
	pfd[API_CLIENTS_MAX + 1].fd = api_wake_fd();
	pfd[API_CLIENTS_MAX + 1].events = POLLIN;
	pfd[API_CLIENTS_MAX + 1].revents = 0;
	if (poll(pfd, API_CLIENTS_MAX + 2, timeout_ms) > 0 &&
	    (pfd[0].revents & POLLIN))
		api_accept(d);
	if (pfd[API_CLIENTS_MAX + 1].revents & POLLIN)
		api_wake_drain();
	now = clock_ms();
	for (i = 0; i < API_CLIENTS_MAX; i++) {
		cl = &api_clients[i];
		if (cl->c != NULL && cl->w != NULL)
			api_work_take(cl);
		if (cl->c == NULL || pfd[i + 1].fd != cl->c->fd)
			continue;
		if (cl->held != NULL && pfd[i + 1].revents != 0)
			api_held_read(d, cl, now);
		else if (cl->held != NULL)
			api_held_check(d, cl, now, 0);
		else if (!cl->answered && pfd[i + 1].revents != 0)
			api_read(d, cl);
		if (cl->c != NULL && cl->answered &&
		    (jsonline_pending(cl->c) == 0 ||
		    jsonline_flush(cl->c, NULL) != 0 ||
		    jsonline_pending(cl->c) == 0)) {
			api_drop(cl);
			n++;
		} else if (cl->c != NULL && cl->held == NULL &&
		    now > cl->deadline)
			api_late(d, cl);
	}
	return ((int)n);
}
