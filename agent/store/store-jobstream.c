/*
 * A big job stored in several transactions (store.h, "in batches"): the
 * job's row, then its tasks a batch at a time, each batch adding to the
 * job's counters, then its audit record. store_job_create_stream stores
 * a million tasks in one transaction, and whoever serialises the store
 * (the hub's d->mu) waits the whole time; between batches, others go.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "db.h"
#include "err.h"
#include "store.h"
#include "store-int.h"

int
store_job_open(struct store *st, const struct store_job *job, int64_t now,
    int64_t *id, char **cause)
{
	int64_t	new_id = 0;
	int	r;

	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	r = store_job_insert(st, job, "running", 0, 0, now, &new_id, cause);
	if ((r = db_end(st->db, r, cause)) == 0)
		*id = new_id;
	return (r);
}

int
store_job_append(struct store *st, const struct store_job *job, int64_t id,
    int (*next)(void *, const struct store_task **, char **), void *arg,
    size_t max, size_t done, int64_t now, size_t *added, char **cause)
{
	static const char	 upd[] = "UPDATE jobs SET"
	    " n_tasks = n_tasks + ?, n_queued = n_queued + ?,"
	    " n_done = n_done + ?, bytes_total = bytes_total + ?,"
	    " bytes_done = bytes_done + ? WHERE id = ?";
	const struct store_task	*t;
	struct db_stmt		*s;
	struct store_task_rows	 rows = { NULL, NULL };
	int64_t			 total = 0, found = 0, fbytes = 0;
	size_t			 n = 0;
	int			 r = 0;

	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	/* The batch's rows go as multi-row INSERTs (store_task_rows). */
	r = store_task_rows(st, &rows, cause);
	while (r == 0 && n < max && (r = next(arg, &t, cause)) == 1) {
		if ((r = store_task_insert(st, &rows, job, id, t, done + n, now,
		    cause)) != 0)
			break;
		total = store_size_add(total, t->size);
		/* Found at the receiver already (hub-compare.c). */
		if (t->state == STORE_DONE) {
			found++;
			fbytes = store_size_add(fbytes, t->size);
		}
		n++;
	}
	if (r == 1)
		r = 0;
	r = store_task_rows_end(&rows, r, cause);
	if (r == 0 && n > 0 && (r = db_q(st->db, upd, &s, cause, "iiiiii",
	    (int64_t)n, (int64_t)n - found, found, total, fbytes, id)) == 0)
		r = db_exec(st->db, s, cause);
	if ((r = db_end(st->db, r, cause)) == 0)
		*added = n;
	return (r);
}

int
store_job_opened(struct store *st, const struct store_job *job, int64_t id,
    size_t ntasks, int64_t now, char **cause)
{
	char	detail[96];
	int	r;

	if (ntasks == 0)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "a job needs a "
		    "task"));
	snprintf(detail, sizeof detail, "{\"job\":%jd,\"tasks\":%zu}",
	    (intmax_t)id, ntasks);
	if ((r = store_audit_add(st, now, job->submitter, "job.create",
	    detail, cause)) != 0)
		return (r);
	/*
	 * Its stored tasks may all have run (and its state was left running
	 * meanwhile, store_job_derive): its end is decided now.
	 */
	return (store_job_derive_now(st, id, now, cause));
}

int
store_job_cut(struct store *st, const struct store_job *job, int64_t id,
    size_t ntasks, const char *who, int64_t now, size_t *cancelled,
    char **cause)
{
	static const char	 sql[] = "UPDATE jobs SET state = 'cancelled',"
	    " updated = ? WHERE id = ?";
	struct db_stmt		*s;
	char			 detail[96], *why = NULL;
	size_t			 n = 0;
	int			 r;

	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	/* Its state is left as it is: the job is still being stored. */
	r = store_job_cancel(st, id, who, now, &n, &why);
	if (r == FERRY_ERR_STATE)
		r = 0;		/* nothing to cancel: every file is done */
	else if (r != 0)
		r = err_set(cause, r, "%s", why != NULL ? why : err_str(r));
	free(why);
	if (r == 0)
		r = store_job_opened(st, job, id, ntasks, now, cause);
	/*
	 * Nothing was left to cancel: the job was cut short all the same,
	 * and is not done (a mail's notice, ferry-ftrack's "done" jobs).
	 */
	if (r == 0 && n == 0 && (r = db_q(st->db, sql, &s, cause, "ii", now,
	    id)) == 0 && (r = db_exec(st->db, s, cause)) == 0) {
		snprintf(detail, sizeof detail, "{\"job\":%jd,\"tasks\":0}",
		    (intmax_t)id);
		r = store_audit_add(st, now, who != NULL ? who : "",
		    "job.cancel", detail, cause);
	}
	if ((r = db_end(st->db, r, cause)) == 0 && cancelled != NULL)
		*cancelled = n;
	return (r);
}

int
store_job_unstore(struct store *st, int64_t id, size_t max, int *more,
    char **cause)
{
	static const char	 tasks[] = "DELETE FROM tasks WHERE id IN"
	    " (SELECT id FROM tasks WHERE job_id = ? ORDER BY id LIMIT ?)";
	static const char	 jobs[] = "DELETE FROM jobs WHERE id = ?";
	/* A claim of its (a transfer between agents a kill left behind). */
	static const char	 claim_tasks[] = "DELETE FROM claim_tasks"
	    " WHERE claim IN (SELECT id FROM claims WHERE job_id = ?)";
	static const char	 claims[] = "DELETE FROM claims WHERE job_id = ?";
	struct db_stmt		*s;
	int			 r;

	*more = 0;
	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	if ((r = db_q(st->db, tasks, &s, cause, "ii", id, (int64_t)max)) ==
	    0 && (r = db_exec(st->db, s, cause)) == 0) {
		if ((size_t)db_changes(st->db) == max)
			*more = 1;
		else if ((r = db_q(st->db, claim_tasks, &s, cause, "i", id)) ==
		    0 && (r = db_exec(st->db, s, cause)) == 0 &&
		    (r = db_q(st->db, claims, &s, cause, "i", id)) == 0 &&
		    (r = db_exec(st->db, s, cause)) == 0 &&
		    (r = db_q(st->db, jobs, &s, cause, "i", id)) == 0)
			r = db_exec(st->db, s, cause);
	}
	return (db_end(st->db, r, cause));
}
