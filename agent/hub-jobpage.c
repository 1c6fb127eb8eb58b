/*
 * Pages of a job's tasks and of the job list (issue 15, "Scale"). A
 * job of a million files is a million rows: answering them at once took
 * the hub to 207 MB for 100,000. A reader asks for a page after a
 * cursor instead, and the hub holds one page at a time, under d->mu for
 * that page only, so the dispatcher is not kept waiting either.
 *
 *   {"op": "job", "id": N, "after": TASK_ID, "limit": L}
 *     -> the job's totals, "tasks": at most L (at most JOBPAGE_MAX) tasks
 *        with ids above TASK_ID, in destination order, and "next": the
 *        last one's id while more may follow.
 *   {"op": "jobs", "before": JOB_ID, "limit": L}
 *     -> "jobs": at most L jobs older than JOB_ID, newest first, and
 *        "next" while more may follow.
 *
 * A "job" request with neither "after" nor "limit" still gets every
 * task, for the clients written before pages (ferry-ftrack's publish
 * plan reads a finished job's every file); docs/api.md says what that
 * costs.
 */
#include "config.h"

#include <stdint.h>

#include <jansson.h>

#include "clock.h"
#include "err.h"
#include "ferryd.h"
#include "store.h"

int
jobpage_wanted(const json_t *req)
{
	/* "tasks": false (the totals only) wins. */
	return (!json_is_false(json_object_get(req, "tasks")) &&
	    (json_object_get(req, "after") != NULL ||
	    json_object_get(req, "limit") != NULL));
}

/* One task as `ferry job` shows it (hub-jobs.c lists them too). */
int
jobs_task_cb(void *arg, const struct store_task *t)
{
	return (json_array_append_new(arg, json_pack("{s:I, s:s, s:s, s:s, "
	    "s:I, s:I, s:i, s:s?}", "id", (json_int_t)t->id, "state",
	    store_state_name(t->state), "src", t->src_path, "dst",
	    t->dst_path, "size", (json_int_t)t->size, "done_bytes",
	    (json_int_t)t->bytes_done, "attempts", t->attempts, "error",
	    t->error)));
}

/* Keeps the last id seen, for the cursor. */
struct jobpage {
	json_t	*list;
	int64_t	 last;
};

static int
jobpage_task_cb(void *arg, const struct store_task *t)
{
	struct jobpage	*p = arg;

	p->last = t->id;
	return (jobs_task_cb(p->list, t));
}

int
jobpage_tasks(struct ferryd *d, int64_t id, const json_t *req, json_t *list,
    json_t *rep, char **cause)
{
	const json_t	*a = json_object_get(req, "after"),
			*l = json_object_get(req, "limit");
	struct jobpage	 p = { list, 0 };
	json_int_t	 limit = json_integer_value(l);
	int		 r;

	if ((a != NULL && (!json_is_integer(a) || json_integer_value(a) < 0)) ||
	    (l != NULL && (!json_is_integer(l) || limit < 0)))
		return (err_set(cause, FERRY_ERR_INVAL, "job: \"after\" and "
		    "\"limit\" are numbers from 0"));
	if (limit == 0 || limit > JOBPAGE_MAX)
		limit = JOBPAGE_MAX;
	r = store_job_task_page(d->store, id, json_integer_value(a),
	    (size_t)limit, jobpage_task_cb, &p, cause);
	/* A full page: there may be more (one more ask says there is not). */
	if (r == 0 && (json_int_t)json_array_size(list) == limit)
		json_object_set_new(rep, "next", json_integer(p.last));
	return (r);
}

json_t *
jobpage_jobs_reply(const json_t *req, json_t *list)
{
	json_int_t	 limit = json_integer_value(json_object_get(req,
			    "limit"));
	size_t		 n = json_array_size(list);
	json_t		*rep;

	/* The hub's clock, which agents' doctors compare with. */
	rep = json_pack("{s:O, s:I, s:b}", "jobs", list, "time",
	    (json_int_t)clock_now(), "done", 1);
	if (rep != NULL && limit > 0 && n > 0 && (json_int_t)n == limit)
		json_object_set(rep, "next", json_object_get(json_array_get(
		    list, n - 1), "id"));
	return (rep);
}
