/*
 * A cancelled job's partial files are removed at its destination (this
 * hub, or the agent serving it) in pages: the paths were one message, so
 * cancelling a job of a million files built every path in jansson at
 * once (236 MB on the hub), and a message over 1 MiB (some 15,000
 * paths) is more than a control frame holds: the link was dropped and
 * the partial files stayed.
 *
 * A thread of its own reads the job's tasks a page at a time with d->mu
 * held only for that page, and queues the next page to the agent's link
 * only when the link has sent the last: the hub holds one page, whatever
 * the job's size, and other requests go on between pages.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ferryd.h"
#include "log.h"
#include "partial.h"
#include "store.h"

/*
 * A message carries at most this many paths, or bytes of them: a control
 * frame holds 1 MiB (FRAME_MAX_BULK), and JSON may write a byte as six
 * (\u0001). On main a cancel of a million files made a 47 MB message,
 * which the link refused, dropping the link and the discard with it.
 */
#define DISCARD_PATHS	1024
#define DISCARD_BYTES	(128 * 1024)
/* Tasks read for one page at most (most may not be cancelled). */
#define DISCARD_SCAN	4096
/* How long the hub waits, a page, for a link to send the last. */
#define DISCARD_POLL_US	20000
/* How long a local discard waits for running transfers to end. */
#define DISCARD_WAIT_S	10

struct discard {
	struct ferryd	*d;
	int64_t		 job;
	char		*to;
	int		 local;		/* the hub's own site */
	int64_t		 after;		/* the last task read */
	json_t		*page;
	size_t		 bytes;
	size_t		 rows;		/* read for this page */
	int		 full;
	size_t		 pages;
	size_t		 paths;
};

static int
discard_cb(void *arg, const struct store_task *t)
{
	struct discard	*w = arg;

	w->after = t->id;
	w->rows++;
	if (t->state != STORE_CANCELLED)
		return (0);
	if (json_array_append_new(w->page, json_string(t->dst_path)) != 0)
		return (1);
	w->bytes += strlen(t->dst_path) + 4;
	if (json_array_size(w->page) >= DISCARD_PATHS ||
	    w->bytes >= DISCARD_BYTES) {
		w->full = 1;
		return (1);
	}
	return (0);
}

/*
 * The link to tell, once it has sent what it had queued (NULL: none, or
 * the hub is stopping). Caller holds d->mu, which this lets go of while
 * it waits.
 */
static struct hub_link *
discard_link(struct discard *w)
{
	struct hub_link	*l;

	while (!w->d->stop && (l = hub_link_for(w->d, w->to, 0)) != NULL) {
		if (json_array_size(l->outq) == 0)
			return (l);
		pthread_mutex_unlock(&w->d->mu);
		usleep(DISCARD_POLL_US);
		pthread_mutex_lock(&w->d->mu);
	}
	return (NULL);
}

/* Reads the next page and hands it on: 1 while there may be more. */
static int
discard_page(struct discard *w)
{
	struct hub_link	*l = NULL;
	json_t		*page;
	size_t		 i;
	int		 more;

	pthread_mutex_lock(&w->d->mu);
	if ((!w->local && (l = discard_link(w)) == NULL) || w->d->stop) {
		pthread_mutex_unlock(&w->d->mu);
		return (0);
	}
	w->page = json_array();
	w->bytes = w->rows = 0;
	w->full = 0;
	if (w->page == NULL || store_job_task_page(w->d->store, w->job,
	    w->after, DISCARD_SCAN, discard_cb, w, NULL) != 0) {
		pthread_mutex_unlock(&w->d->mu);
		json_decref(w->page);
		return (0);
	}
	more = w->full || w->rows == DISCARD_SCAN;
	page = w->page;
	w->page = NULL;
	if (json_array_size(page) > 0) {
		w->pages++;
		w->paths += json_array_size(page);
	}
	if (l != NULL && json_array_size(page) > 0) {
		hub_tell(w->d, l->name, json_pack("{s:s, s:o}", "op",
		    "discard", "paths", page));
		page = NULL;	/* transferred */
	}
	pthread_mutex_unlock(&w->d->mu);
	for (i = 0; w->local && i < json_array_size(page); i++)
		partial_discard(json_string_value(json_array_get(page, i)));
	json_decref(page);
	return (more);
}

static void *
discard_main(void *arg)
{
	struct discard	*w = arg;
	int		 i, busy;

	/* The hub's own transfers of the job let go of its files first. */
	for (i = 0; w->local && i < DISCARD_WAIT_S * 10; i++) {
		pthread_mutex_lock(&w->d->mu);
		busy = w->d->busy;
		pthread_mutex_unlock(&w->d->mu);
		if (busy == 0)
			break;
		usleep(100000);
	}
	while (discard_page(w))
		;
	if (w->paths > 0)
		log_info("job %jd: %zu cancelled file(s) discarded at %s, in "
		    "%zu page(s)", (intmax_t)w->job, w->paths, w->to,
		    w->pages);
	free(w->to);
	free(w);
	return (NULL);
}

void
discard_job(struct ferryd *d, int64_t job, const char *to)
{
	struct discard	*w;
	pthread_t	 t;

	if (to == NULL || (w = calloc(1, sizeof *w)) == NULL)
		return;
	w->d = d;
	w->job = job;
	w->local = strcmp(to, d->conf.site) == 0;
	if ((w->to = strdup(to)) == NULL ||
	    pthread_create(&t, NULL, discard_main, w) != 0) {
		free(w->to);
		free(w);
		return;
	}
	pthread_detach(t);
}
