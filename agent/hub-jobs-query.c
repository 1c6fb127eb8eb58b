/*
 * The jobs the hub holds, for the local API: "jobs" (the list), "job ID"
 * (one, with its tasks) and the job operations cancel, pause, resume and
 * retry. hub-jobs.c makes jobs (send); this file only reads and moves
 * them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "ferryd.h"
#include "saved.h"
#include "store.h"

static json_t	*jobs_job_json_plain(const struct store_job *);

/*
 * A job waiting for its turn or a retry is "queued", although the store
 * keeps it "running" while it has work left.
 */
static const char *
jobs_state_name(const struct store_job *j)
{
	if (j->state == STORE_RUNNING && j->count[STORE_RUNNING] == 0 &&
	    j->count[STORE_QUEUED] > 0)
		return ("queued");
	return (store_state_name(j->state));
}

/* The first failed attempt of a job not yet done: error and next try. */
static int
jobs_first_error_cb(void *arg, const struct store_task *t)
{
	if (t->error == NULL || (t->state != STORE_QUEUED &&
	    t->state != STORE_FAILED))
		return (0);
	json_object_set_new(arg, "last_error", json_sprintf("%s: %s",
	    t->dst_path, t->error));
	if (t->state == STORE_QUEUED && t->next_try > 0)
		json_object_set_new(arg, "next_try", json_integer(t->next_try));
	return (1);
}

/* Adds the first error of an active or failed job. Caller holds d->mu. */
static void
jobs_add_error(struct ferryd *d, const struct store_job *j, json_t *obj)
{
	if (j->state != STORE_RUNNING && j->state != STORE_FAILED)
		return;
	store_job_first_error(d->store, j->id, jobs_first_error_cb, obj,
	    NULL);
}

static json_t *
jobs_job_json(const struct store_job *j)
{
	json_t	*o, *meta;

	o = jobs_job_json_plain(j);
	/* Kept as the send gave it (checked then): shown as JSON again. */
	if (o != NULL && j->meta != NULL &&
	    (meta = json_loads(j->meta, 0, NULL)) != NULL)
		json_object_set_new(o, "meta", meta);
	return (o);
}

static json_t *
jobs_job_json_plain(const struct store_job *j)
{
	return (json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:i, s:I, s:I, s:I, "
	    "s:I, s:I, s:I, s:I, s:I}", "id", (json_int_t)j->id, "state",
	    jobs_state_name(j), "from", j->from_site, "to",
	    j->to_site ? j->to_site : j->to_user, "by", j->submitter, "priority", j->priority, "files",
	    (json_int_t)j->ntasks, "done_files",
	    (json_int_t)j->count[STORE_DONE], "failed_files",
	    (json_int_t)j->count[STORE_FAILED], "bytes",
	    (json_int_t)j->bytes_total, "done_bytes",
	    (json_int_t)j->bytes_done, "created", (json_int_t)j->created,
	    "updated", (json_int_t)j->updated, "running_files",
	    (json_int_t)j->count[STORE_RUNNING]));
}

struct jobs_list {
	struct ferryd	*d;
	json_t		*list;
};

static int
jobs_list_cb(void *arg, const struct store_job *j)
{
	struct jobs_list	*l = arg;
	json_t			*obj = jobs_job_json(j);

	jobs_add_error(l->d, j, obj);
	return (json_array_append_new(l->list, obj));
}

/*
 * Cancelled files stay cancelled: say what to do instead of "no task to
 * retry". Caller holds d->mu.
 */
static int
jobs_retry_refused(struct ferryd *d, int64_t id, int r, char **cause)
{
	struct store_job	j;

	if (store_job_get(d->store, id, &j, NULL) != 0)
		return (r);
	if (j.state == STORE_CANCELLED || j.count[STORE_CANCELLED] > 0)
		r = err_set(cause, FERRY_ERR_STATE, "job %jd was cancelled, "
		    "and cancelled files are not retried: send them again "
		    "with 'ferry send' ('ferry job %jd' lists them)",
		    (intmax_t)id, (intmax_t)id);
	store_job_clear(&j);
	return (r);
}

/* jobs, job ID, and the job operations cancel|pause|resume|retry. */
json_t *
jobs_query(struct ferryd *d, const char *op, const json_t *req,
    uid_t uid)
{
	struct store_job	 j;
	struct jobs_list	 jl;
	json_t			*list = json_array(), *rep = NULL, *wv;
	int64_t			 id;
	char			*cause = NULL, who[300];
	int			 r, cancelling = 0;

	id = json_integer_value(json_object_get(req, "id"));
	/*
	 * "wait_ms" is api.c's (the loop holds the request); checked here,
	 * so that a bad one is refused on every path, an agent's too.
	 */
	if (strcmp(op, "job") == 0 && (wv = json_object_get(req,
	    "wait_ms")) != NULL && (!json_is_integer(wv) ||
	    json_integer_value(wv) < 0)) {
		json_decref(list);
		snprintf(who, sizeof who, "\"wait_ms\" must be a whole "
		    "number of milliseconds, 0 or more (the hub waits %d at "
		    "most)", API_WAIT_MAX_MS);
		return (jobs_error(who));
	}
	caller_uid(req, uid, who, sizeof who);
	pthread_mutex_lock(&d->mu);
	if (strcmp(op, "jobs") == 0) {
		enum store_state	 st = STORE_ANY;
		const char		*sn = json_string_value(
					    json_object_get(req, "state"));

		jl.d = d;
		jl.list = list;
		/* "state": only jobs in it (ferry-ftrack asks for "done"). */
		if (sn != NULL && store_state_parse(sn, &st) != 0)
			r = err_set(&cause, FERRY_ERR_INVAL, "no job state "
			    "\"%.32s\"", sn);
		else
			r = store_job_list_page(d->store, st,
			    json_integer_value(json_object_get(req, "before")),
			    (size_t)json_integer_value(json_object_get(req,
			    "limit")), jobs_list_cb, &jl, &cause);
	}
	/* Stopped after the batch in hand (hub-jobstore.c). */
	else if (strcmp(op, "cancel") == 0 && jobstore_busy(d, id)) {
		r = jobstore_cancel(d, id, who, &cause);
		cancelling = r == 0;
	}
	else if (strcmp(op, "job") != 0 && jobstore_busy(d, id))
		r = err_set(&cause, FERRY_ERR_STATE, "job %jd is still being "
		    "stored: %s it once its send has answered (or cancel it)",
		    (intmax_t)id, op);
	else if (strcmp(op, "cancel") == 0)
		r = store_job_cancel(d->store, id, who, clock_now(), NULL,
		    &cause);
	else if (strcmp(op, "pause") == 0)
		r = store_job_pause(d->store, id, who, clock_now(), NULL,
		    &cause);
	else if (strcmp(op, "resume") == 0)
		r = store_job_resume(d->store, id, who, clock_now(), NULL,
		    &cause);
	else if (strcmp(op, "retry") == 0 && (r = store_job_retry(d->store, id,
	    who, clock_now(), NULL, &cause)) == FERRY_ERR_STATE)
		r = jobs_retry_refused(d, id, r, &cause);
	else
		r = 0;
	if (r == 0 && (strcmp(op, "cancel") == 0 || strcmp(op, "pause") == 0))
		dispatch_stop(d, id);
	/* A "job" request held for this one is answered now (api.c). */
	if (r == 0 && strcmp(op, "job") != 0 && strcmp(op, "jobs") != 0)
		api_wake_jobs();
	if (r == 0 && strcmp(op, "jobs") != 0 &&
	    (r = store_job_get(d->store, id, &j, &cause)) == 0) {
		rep = jobs_job_json(&j);
		jobs_add_error(d, &j, rep);
		saved_job_json(j.id, rep);
		/* Still running: it is cancelled once its storing stops. */
		if (cancelling)
			json_object_set_new(rep, "cancelling", json_true());
		/* Its partial files go, in pages (hub-discard.c). */
		if (strcmp(op, "cancel") == 0 && !cancelling)
			discard_job(d, j.id, j.to_site ? j.to_site :
			    j.to_user);
		store_job_clear(&j);
		/* "tasks": false when only the totals are wanted. */
		if (strcmp(op, "job") == 0 && jobpage_wanted(req))
			r = jobpage_tasks(d, id, req, list, rep, &cause);
		else if (strcmp(op, "job") == 0 && !json_is_false(
		    json_object_get(req, "tasks")))
			r = store_job_tasks(d->store, id, jobs_task_cb, list,
			    &cause);
	}
	pthread_mutex_unlock(&d->mu);
	if (r != 0) {
		json_decref(rep);
		rep = jobs_error(cause ? cause : err_str(r));
	} else if (strcmp(op, "jobs") == 0)
		/* The hub's clock, which agents' doctors compare with. */
		rep = jobpage_jobs_reply(req, list);
	else {
		if (strcmp(op, "job") == 0)
			json_object_set(rep, "tasks", list);
		json_object_set_new(rep, "done", json_true());
	}
	json_decref(list);
	free(cause);
	return (rep);
}
