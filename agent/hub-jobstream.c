/*
 * A send's job made and stored: its row's fields and settings (any
 * send's), and a send of one path stored while the hub lists it
 * (hub-jobs-int.h): 20,000 small files took the hub some 70 ms to list
 * before the first of them could move, a tenth of the whole send through
 * `ferry send --wait` (docs/benchmarks.md, S7).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ferryd.h"
#include "hub-compare.h"
#include "hub-jobs-int.h"
#include "hub-jobplan.h"
#include "hub-liststat.h"
#include "store.h"

int
jobs_settle(struct ferryd *d, int64_t id, void *arg, char **cause)
{
	struct jobs_settings	*js = arg;
	int			 r = 0;

	if (js->no_relay)
		r = store_relay_job_set(d->store, id, 0, cause);
	if (r == 0 && js->streams != NULL)
		r = store_streams_job_set(d->store, id,
		    (int)json_integer_value(js->streams), cause);
	/*
	 * Its id known, before any of its tasks can be planned (d->mu is
	 * held): the dispatcher lends these stats to this job alone.
	 */
	if (r == 0) {
		liststat_publish(js->ls, id);
		js->ls = NULL;	/* taken */
	}
	return (r);
}

void
jobs_job_fill(struct jobs_build *b, const json_t *req, const char *who,
    char *meta, struct store_job *job)
{
	struct ferryd		*d = b->d;
	enum store_clearance	 cl;

	memset(job, 0, sizeof *job);
	job->submitter = (char *)(uintptr_t)who;
	job->from_site = (char *)(uintptr_t)b->from;
	/* A person's agent's: max-agent-jobs (hub-relay.c). */
	job->agent_jobs_max = json_integer_value(json_object_get(req,
	    "_jobs_max"));
	pthread_mutex_lock(&d->mu);
	/*
	 * A person's agent (a vendor publishing back) is a source site
	 * named by its e-mail, as in the share map.
	 */
	if (store_user_get(d->store, b->from, &cl, NULL) == 0)
		store_site_add(d->store, b->from, clock_now(), NULL);
	if (store_user_get(d->store, b->to, &cl, NULL) == 0)
		job->to_user = (char *)(uintptr_t)b->to;
	else
		job->to_site = (char *)(uintptr_t)b->to;
	pthread_mutex_unlock(&d->mu);
	job->priority = (int)json_integer_value(json_object_get(req,
	    "priority"));
	job->note = (char *)(uintptr_t)json_string_value(json_object_get(req,
	    "note"));
	job->meta = meta;
}

/*
 * The job's row, once its first batch is listed: 0, 1 when the hub
 * stores too many jobs already (nothing made, b->ls kept), else an
 * error.
 */
static int
jobstream_open(struct jobs_build *b)
{
	struct jobs_stream	*st = b->st;
	int			 r;

	/* As a send's end checks it: before anything is stored. */
	if ((r = dispatch_relay_check(b->d, b->from, b->to,
	    !st->js.no_relay, st->who, &b->cause)) != 0)
		return (r);
	jobs_job_fill(b, st->req, st->who, st->meta, &st->job);
	/* The first batch's stats, handed over with the job's id. */
	liststat_seal(b->ls);
	st->js.ls = b->ls;
	b->ls = NULL;
	r = jobstore_begin(b->d, &st->run, &st->job, jobs_settle, &st->js,
	    1, &b->cause);
	if (r == 1) {
		b->ls = st->js.ls;	/* the listing goes on with them */
		st->js.ls = NULL;
		return (1);
	}
	liststat_free(st->js.ls);	/* NULL unless the job was not made */
	st->js.ls = NULL;
	if (r == 0)
		st->opened = 1;
	return (r);
}

int
jobstream_batch(struct jobs_build *b)
{
	struct jobs_stream	*st = b->st;
	size_t			 i, found = 0;
	int			 r = 0;

	/*
	 * Not where either end is restricted (a vendor: its grants are
	 * checked on the whole send before anything of it is stored or
	 * moves, as docs/security.md has it): listed whole first.
	 */
	if (!st->opened && (b->restricted[0] != 0 || b->restricted[1] != 0)) {
		b->st = NULL;
		return (0);
	}
	/* Its answers, before its tasks move (as before a plan's spill). */
	compare_note(&b->cmp, b->t, b->n, 1);
	if (!st->opened) {
		/*
		 * Most of the first batch at the receiver already (a send
		 * again): little to move early, and each batch stored would
		 * stop the listing's questions until all are answered (a
		 * no-op of 20,000 files some 10 % slower). Listed whole, as
		 * any send, as it is when the hub stores many jobs already
		 * (a send stored while listed holds its place for its whole
		 * listing); its tasks stay.
		 */
		for (i = 0; i < b->n; i++)
			found += b->t[i].state == STORE_DONE;
		if (found * 2 > b->n || (r = jobstream_open(b)) == 1) {
			b->st = NULL;
			return (0);
		}
		if (r != 0)
			goto out;
	} else if (b->ls != NULL) {
		liststat_seal(b->ls);	/* its index, before d->mu is taken */
		pthread_mutex_lock(&b->d->mu);
		liststat_publish_more(b->ls, st->run.id);
		pthread_mutex_unlock(&b->d->mu);
		b->ls = NULL;
	}
	compare_restart(&b->cmp);
	jobs_tasks_dedupe(b->t, &b->n);
	for (i = 0; i < b->n; i++)
		st->found += b->t[i].state == STORE_DONE;
	r = jobstore_add(b->d, &st->run, b->t, b->n, &b->cause);
out:
	for (i = 0; i < b->n; i++) {
		free(b->t[i].src_path);
		free(b->t[i].dst_path);
		free(b->t[i].basis);
	}
	b->n = 0;
	/* The next batch's stats. */
	if (r == 0 && b->ls == NULL)
		b->ls = liststat_new();
	return (r);
}

int
jobstream_end(struct jobs_build *b, int r)
{
	if (r == 0 && b->n > 0)
		r = jobstream_batch(b);
	return (jobstore_end(b->d, &b->st->run, r, &b->cause));
}
