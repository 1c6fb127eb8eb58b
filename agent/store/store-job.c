/*
 * Jobs: made with their tasks in one transaction, read, and the
 * operations on a whole job (cancel, pause, resume, retry).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "db.h"
#include "err.h"
#include "store.h"
#include "store-int.h"

#define M(s) (1U << (s))

/* Jobs. */

#define STORE_JOB_SELECT \
	"SELECT id, submitter, from_site, to_site, to_user, priority, note," \
	" meta, state, created, updated, n_tasks, n_queued, n_running," \
	" n_done, n_failed, n_cancelled, n_paused, bytes_total, bytes_done" \
	" FROM jobs"

/* A borrowed view of the current row of a STORE_JOB_SELECT. */
static void
store_job_row(struct db_stmt *s, struct store_job *j)
{
	int	i;

	memset(j, 0, sizeof *j);
	j->id = db_col_int64(s, 0);
	j->submitter = (char *)db_col_str(s, 1);
	j->from_site = (char *)db_col_str(s, 2);
	j->to_site = (char *)db_col_str(s, 3);
	j->to_user = (char *)db_col_str(s, 4);
	j->priority = db_col_int(s, 5);
	j->note = (char *)db_col_str(s, 6);
	j->meta = (char *)db_col_str(s, 7);
	j->state = store_state_from(db_col_str(s, 8));
	j->created = db_col_int64(s, 9);
	j->updated = db_col_int64(s, 10);
	j->ntasks = db_col_int64(s, 11);
	for (i = 0; i < STORE_STATE_COUNT; i++)
		j->count[i] = db_col_int64(s, 12 + i);
	j->bytes_total = db_col_int64(s, 18);
	j->bytes_done = db_col_int64(s, 19);
}

static int
store_exists(struct store *st, const char *sql, const char *key,
    const char *what, char **cause)
{
	struct db_stmt	*s;
	int		 r;

	if ((r = db_q(st->db, sql, &s, cause, "t", key)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) == 1) {
		db_reset(s);
		return (0);
	}
	return (r == 0 ? err_set(cause, FERRY_ERR_NOTFOUND, "no %s %s", what,
	    key) : r);
}

int
store_job_check(struct store *st, const struct store_job *job,
    char **cause)
{
	static const char	site[] = "SELECT 1 FROM sites WHERE name = ?";
	static const char	user[] = "SELECT 1 FROM users WHERE email = ?";
	int			r;

	if (job->submitter == NULL || job->from_site == NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "a job needs a "
		    "submitter and a source site"));
	if ((job->to_site == NULL) == (job->to_user == NULL))
		return (err_set(cause, FERRY_ERR_INVAL, "a job goes to one "
		    "site or one user"));
	if (job->priority < 0 || job->priority > STORE_PRIORITY_MAX)
		return (err_set(cause, FERRY_ERR_INVAL, "priority %d is not "
		    "between 0 and %d", job->priority, STORE_PRIORITY_MAX));
	if ((r = store_exists(st, site, job->from_site, "site", cause)) != 0)
		return (r);
	if (job->to_site != NULL)
		return (store_exists(st, site, job->to_site, "site", cause));
	return (store_exists(st, user, job->to_user, "user", cause));
}

/*
 * The place (site or e-mail) whose agent a submitter "ENDPOINT (agent
 * NAME)" names, allocated; NULL for any other.
 */
static int
store_job_place(const char *submitter, char **place, char **cause)
{
	const char	*end;

	*place = NULL;
	/* No site or e-mail holds " (" (hub-jobmeta.c reads it so too). */
	if (submitter == NULL || (end = strstr(submitter, " (agent ")) ==
	    NULL || end == submitter)
		return (0);
	if ((*place = strndup(submitter, (size_t)(end - submitter))) == NULL)
		return (store_nomem(cause));
	return (0);
}

static int
store_agent_jobs_full(struct store *st, const char *place, int64_t max,
    char **cause)
{
	int64_t	n;
	int	r;

	if ((r = store_agent_jobs_open(st, place, &n, cause)) != 0)
		return (r);
	if (n < max)
		return (0);
	return (err_set(cause, FERRY_ERR_TOOBIG, "%jd jobs from %s are not "
	    "finished (%s %jd): send again when one has ended", (intmax_t)n,
	    place, STORE_AGENT_JOBS_KEY, (intmax_t)max));
}

int
store_job_insert(struct store *st, const struct store_job *job,
    const char *state, size_t n, int64_t total, int64_t now, int64_t *id,
    char **cause)
{
	static const char	 sql[] =
	    "INSERT INTO jobs (submitter, from_site, to_site, to_user,"
	    " priority, note, meta, state, created, updated, n_tasks,"
	    " n_queued, bytes_total, agent_endpoint) VALUES (?, ?, ?, ?, ?,"
	    " ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
	struct db_stmt		*s;
	char			*place;
	int			 r;

	if ((r = store_job_check(st, job, cause)) != 0 ||
	    (r = store_job_place(job->submitter, &place, cause)) != 0)
		return (r);
	/*
	 * Counted here, in the job's own transaction (one at a time, on
	 * one connection under the hub's lock), not when its request came
	 * in: 4 of an agent's requests at once, each listing its files
	 * first, were all counted below the limit (jobs-race.sh).
	 */
	if (place != NULL && job->agent_jobs_max > 0 &&
	    (r = store_agent_jobs_full(st, place, job->agent_jobs_max,
	    cause)) != 0) {
		free(place);
		return (r);
	}
	r = db_q(st->db, sql, &s, cause, "ttttntttiiiiit", job->submitter,
	    job->from_site, job->to_site, job->to_user, job->priority,
	    job->note, job->meta, state, now, now, (int64_t)n, (int64_t)n,
	    total, place);
	if (r == 0)
		r = db_exec_id(st->db, s, id, cause);
	free(place);
	return (r);
}

int
store_agent_jobs_open(struct store *st, const char *place, int64_t *n,
    char **cause)
{
	static const char	 sql[] = "SELECT count(*) FROM jobs"
	    " WHERE agent_endpoint = ? AND state IN ('running', 'paused')";
	struct db_stmt		*s;
	int			 r;

	*n = 0;
	if ((r = db_q(st->db, sql, &s, cause, "t", place)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) != 1)
		return (r == 0 ? err_set(cause, FERRY_ERR_INTERNAL,
		    "database: count(*) returned no row") : r);
	*n = db_col_int64(s, 0);
	db_reset(s);
	return (0);
}

/*
 * A job's tasks go in as multi-row INSERTs (db_rows): one statement per
 * 111 tasks instead of one each, which is most of a big job's storing
 * on SQLite and nearly all of it on PostgreSQL (a round trip a row).
 */
static const char store_task_head[] =
    "INSERT INTO tasks (job_id, dest, priority, src_path, dst_path,"
    " basis, size, state, max_attempts, next_try) VALUES";
static const char store_task_values[] =
    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
/*
 * Those found at the receiver already (hub-compare.c), in statements of
 * their own: the queued ones' keep their ten parameters (a row more a
 * statement than with thirteen). Never a basis: those are not asked.
 */
static const char store_done_head[] =
    "INSERT INTO tasks (job_id, dest, priority, src_path, dst_path,"
    " size, state, max_attempts, next_try, bytes_done, started, finished)"
    " VALUES";
static const char store_done_values[] =
    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

int
store_task_rows(struct store *st, struct store_task_rows *rows,
    char **cause)
{
	rows->done = NULL;
	return (db_rows_open(st->db, store_task_head, store_task_values,
	    "itntttitni", &rows->queued, cause));
}

int
store_task_rows_end(struct store_task_rows *rows, int r, char **cause)
{
	if (r == 0 && rows->queued != NULL)
		r = db_rows_flush(rows->queued, cause);
	if (r == 0 && rows->done != NULL)
		r = db_rows_flush(rows->done, cause);
	db_rows_close(rows->queued);
	db_rows_close(rows->done);
	rows->queued = rows->done = NULL;
	return (r);
}

int
store_task_insert(struct store *st, struct store_task_rows *rows,
    const struct store_job *job, int64_t id, const struct store_task *t,
    size_t i, int64_t now, char **cause)
{
	const char	*dest;
	int		 max, r;

	if (t->src_path == NULL || t->dst_path == NULL ||
	    *t->dst_path == '\0' || t->size < 0)
		return (err_set(cause, FERRY_ERR_INVAL, "task %zu: needs a "
		    "source, a destination and a size", i + 1));
	if (t->size > STORE_SIZE_MAX)
		return (err_set(cause, FERRY_ERR_TOOBIG, "%s: a size of %jd "
		    "bytes, more than a file may have (%jd, 1 PiB)",
		    t->src_path, (intmax_t)t->size, (intmax_t)STORE_SIZE_MAX));
	dest = job->to_site != NULL ? job->to_site : job->to_user;
	max = t->max_attempts > 0 ? t->max_attempts : st->max_attempts;
	/* Found at the receiver already (hub-compare.c): done as stored. */
	if (t->state == STORE_DONE && t->basis != NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "task %zu: found at "
		    "the receiver, with a basis", i + 1));
	if (t->state == STORE_DONE) {
		if (rows->done == NULL && (r = db_rows_open(st->db,
		    store_done_head, store_done_values, "itnttitniiii",
		    &rows->done, cause)) != 0)
			return (r);
		return (db_rows_add(rows->done, cause, id, dest,
		    job->priority, t->src_path, t->dst_path, t->size, "done",
		    max, now, t->size, now, now));
	}
	return (db_rows_add(rows->queued, cause, id, dest, job->priority,
	    t->src_path, t->dst_path, t->basis, t->size, "queued", max, now));
}

int
store_job_found(struct store *st, int64_t id, const struct store_task *t,
    size_t n, char **cause)
{
	static const char	 sql[] = "UPDATE jobs SET n_queued = n_queued - ?,"
	    " n_done = n_done + ?, bytes_done = bytes_done + ? WHERE id = ?";
	struct db_stmt		*s;
	int64_t			 k = 0, bytes = 0;
	size_t			 i;
	int			 r;

	for (i = 0; i < n; i++)
		if (t[i].state == STORE_DONE) {
			k++;
			bytes = store_size_add(bytes, t[i].size);
		}
	if (k == 0)
		return (0);
	if ((r = db_q(st->db, sql, &s, cause, "iiii", k, k, bytes, id)) != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

static int
store_job_create_tx(struct store *st, const struct store_job *job,
    const struct store_task *tasks, size_t ntasks, int64_t now, int64_t *id,
    char **cause)
{
	char			 detail[96];
	struct store_task_rows	 rows = { NULL, NULL };
	int64_t			 total = 0;
	size_t			 i;
	int			 r;

	for (i = 0; i < ntasks; i++)
		total = store_size_add(total, tasks[i].size);
	if ((r = store_job_insert(st, job, ntasks > 0 ? "running" : "done",
	    ntasks, total, now, id, cause)) != 0)
		return (r);
	if (ntasks > 0 && (r = store_task_rows(st, &rows, cause)) != 0)
		return (r);
	for (i = 0; r == 0 && i < ntasks; i++)
		r = store_task_insert(st, &rows, job, *id, &tasks[i], i, now,
		    cause);
	r = store_task_rows_end(&rows, r, cause);
	/* Those found at the receiver already: the job may be done now. */
	if (r == 0 && (r = store_job_found(st, *id, tasks, ntasks,
	    cause)) == 0 && ntasks > 0)
		r = store_job_derive_now(st, *id, now, cause);
	if (r != 0)
		return (r);
	snprintf(detail, sizeof detail, "{\"job\":%jd,\"tasks\":%zu}",
	    (intmax_t)*id, ntasks);
	return (store_audit_add(st, now, job->submitter, "job.create", detail,
	    cause));
}

int
store_job_create(struct store *st, const struct store_job *job,
    const struct store_task *tasks, size_t ntasks, int64_t now, int64_t *id,
    char **cause)
{
	int64_t	new_id = 0;
	int	r;

	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	r = store_job_create_tx(st, job, tasks, ntasks, now, &new_id, cause);
	if ((r = db_end(st->db, r, cause)) == 0 && id != NULL)
		*id = new_id;
	return (r);
}

/*
 * A job whose tasks come one at a time (a million files are never all in
 * memory): the job's row first, its tasks as next gives them, then its
 * counts, all in the caller's transaction.
 */
static int
store_job_stream_tx(struct store *st, const struct store_job *job,
    int (*next)(void *, const struct store_task **, char **), void *arg,
    int64_t now, int64_t *id, size_t *ntasks, char **cause)
{
	static const char	 upd[] = "UPDATE jobs SET n_tasks = ?,"
	    " n_queued = ?, n_done = ?, bytes_total = ?, bytes_done = ?"
	    " WHERE id = ?";
	const struct store_task	*t;
	char			 detail[96];
	struct db_stmt		*s;
	struct store_task_rows	 rows;
	int64_t			 total = 0, found = 0, fbytes = 0;
	size_t			 n = 0;
	int			 r;

	if ((r = store_job_insert(st, job, "running", 0, 0, now, id,
	    cause)) != 0)
		return (r);
	if ((r = store_task_rows(st, &rows, cause)) != 0)
		return (r);
	while ((r = next(arg, &t, cause)) == 1) {
		r = store_task_insert(st, &rows, job, *id, t, n, now, cause);
		if (r != 0)
			break;
		total = store_size_add(total, t->size);
		if (t->state == STORE_DONE) {
			found++;
			fbytes = store_size_add(fbytes, t->size);
		}
		n++;
	}
	if ((r = store_task_rows_end(&rows, r, cause)) != 0)
		return (r);
	if (n == 0)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "a job needs a "
		    "task"));
	if ((r = db_q(st->db, upd, &s, cause, "iiiiii", (int64_t)n,
	    (int64_t)n - found, found, total, fbytes, *id)) != 0 ||
	    (r = db_exec(st->db, s, cause)) != 0 ||
	    (found > 0 && (r = store_job_derive_now(st, *id, now, cause)) != 0))
		return (r);
	*ntasks = n;
	snprintf(detail, sizeof detail, "{\"job\":%jd,\"tasks\":%zu}",
	    (intmax_t)*id, n);
	return (store_audit_add(st, now, job->submitter, "job.create", detail,
	    cause));
}

int
store_job_create_stream(struct store *st, const struct store_job *job,
    int (*next)(void *, const struct store_task **, char **), void *arg,
    int64_t now, int64_t *id, size_t *ntasks, char **cause)
{
	int64_t	new_id = 0;
	size_t	n = 0;
	int	r;

	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	r = store_job_stream_tx(st, job, next, arg, now, &new_id, &n, cause);
	if ((r = db_end(st->db, r, cause)) == 0) {
		if (id != NULL)
			*id = new_id;
		if (ntasks != NULL)
			*ntasks = n;
	}
	return (r);
}

static int
store_job_copy(const struct store_job *src, struct store_job *dst)
{
	int	r = 0;

	*dst = *src;
	r |= store_dup(src->submitter, &dst->submitter);
	r |= store_dup(src->from_site, &dst->from_site);
	r |= store_dup(src->to_site, &dst->to_site);
	r |= store_dup(src->to_user, &dst->to_user);
	r |= store_dup(src->note, &dst->note);
	r |= store_dup(src->meta, &dst->meta);
	if (r != 0) {
		store_job_clear(dst);
		return (FERRY_ERR_NOMEM);
	}
	return (0);
}

int
store_job_get(struct store *st, int64_t id, struct store_job *out,
    char **cause)
{
	static const char	 sql[] = STORE_JOB_SELECT " WHERE id = ?";
	struct store_job	 j;
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "i", id)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) <= 0)
		return (r == 0 ? err_set(cause, FERRY_ERR_NOTFOUND,
		    "no job %jd", (intmax_t)id) : r);
	store_job_row(s, &j);
	r = store_job_copy(&j, out);
	db_reset(s);
	return (r != 0 ? store_nomem(cause) : 0);
}

int
store_job_list(struct store *st, enum store_state state, size_t limit,
    int (*cb)(void *, const struct store_job *), void *arg, char **cause)
{
	static const char	 sql[] = STORE_JOB_SELECT
	    " WHERE CAST(?1 AS TEXT) IS NULL OR state = ?1"
	    " ORDER BY id DESC LIMIT ?2";
	struct store_job	 j;
	struct db_stmt		*s;
	int			 r;

	r = db_q(st->db, sql, &s, cause, "ti",
	    state == STORE_ANY ? NULL : store_state_name(state),
	    limit == 0 ? INT64_MAX : (int64_t)limit);
	if (r != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1) {
		store_job_row(s, &j);
		if (cb(arg, &j) != 0) {
			db_reset(s);
			return (0);
		}
	}
	return (r);
}

int
store_job_list_page(struct store *st, enum store_state state, int64_t before,
    size_t limit, int (*cb)(void *, const struct store_job *), void *arg,
    char **cause)
{
	/* By rowid, newest first; jobs_state serves a state's. */
	static const char	 sql[] = STORE_JOB_SELECT
	    " WHERE (CAST(?1 AS TEXT) IS NULL OR state = ?1) AND id < ?2"
	    " ORDER BY id DESC LIMIT ?3";
	struct store_job	 j;
	struct db_stmt		*s;
	int			 r;

	r = db_q(st->db, sql, &s, cause, "tii",
	    state == STORE_ANY ? NULL : store_state_name(state),
	    before > 0 ? before : INT64_MAX,
	    limit == 0 ? INT64_MAX : (int64_t)limit);
	if (r != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1) {
		store_job_row(s, &j);
		if (cb(arg, &j) != 0) {
			db_reset(s);
			return (0);
		}
	}
	return (r);
}

int
store_job_set_meta(struct store *st, int64_t id, const char *meta,
    int64_t now, char **cause)
{
	static const char	 sql[] =
	    "UPDATE jobs SET meta = ?, updated = ? WHERE id = ?";
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "tii", meta, now, id)) != 0)
		return (r);
	if ((r = db_exec(st->db, s, cause)) != 0)
		return (r);
	if (db_changes(st->db) == 0)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "no job %jd",
		    (intmax_t)id));
	return (0);
}

void
store_job_clear(struct store_job *j)
{
	if (j == NULL)
		return;
	free(j->submitter);
	free(j->from_site);
	free(j->to_site);
	free(j->to_user);
	free(j->note);
	free(j->meta);
	j->submitter = j->from_site = j->to_site = j->to_user = NULL;
	j->note = j->meta = NULL;
}

/* Job operations. */

struct store_job_op {
	const char		*what;		/* audit */
	enum store_state	 to;
	unsigned		 from;		/* states it applies to */
	int			 reset;		/* attempts, for retry */
};

static const struct store_job_op store_job_ops[] = {
	{ "job.cancel", STORE_CANCELLED, ~0U, 0 },
	{ "job.pause", STORE_PAUSED, M(STORE_QUEUED) | M(STORE_RUNNING), 0 },
	{ "job.resume", STORE_QUEUED, M(STORE_PAUSED), 0 },
	{ "job.retry", STORE_QUEUED, M(STORE_FAILED), 1 }
};

/*
 * A whole job's tasks move with one UPDATE per state they leave, not a
 * load and a save each: on PostgreSQL each of those was a round trip
 * (test-store's cancel of 100,000 tasks took 29-33 s there). What a
 * move sets is store_task_apply's for these targets: cancelled is
 * finished now, queued is due now (a retry with its attempts reset),
 * paused keeps the rest; the table of legal moves decides which states
 * move at all.
 */
static int
store_job_op_tx(struct store *st, int64_t id, const struct store_job_op *op,
    int64_t now, size_t *changed, char **cause)
{
	static const char	 sql[] =
	    "UPDATE tasks SET state = ?,"
	    " finished = CASE WHEN ? <> 0 THEN ? ELSE finished END,"
	    " next_try = CASE WHEN ? <> 0 THEN ? ELSE next_try END,"
	    " attempts = CASE WHEN ? <> 0 THEN 0 ELSE attempts END"
	    " WHERE job_id = ? AND state = ?";
	struct store_tally	 tally;
	struct db_stmt		*s;
	int64_t			 k;
	int			 from, r = 0;

	memset(&tally, 0, sizeof tally);
	for (from = 0; r == 0 && from < STORE_STATE_COUNT; from++) {
		/* The table decides; the operation only narrows. */
		if ((op->from & M(from)) == 0 ||
		    (store_moves[from] & M(op->to)) == 0)
			continue;
		r = db_q(st->db, sql, &s, cause, "tnininit",
		    store_state_name(op->to), op->to == STORE_CANCELLED, now,
		    op->to == STORE_QUEUED, now, op->reset, id,
		    store_state_name((enum store_state)from));
		if (r != 0 || (r = db_exec(st->db, s, cause)) != 0)
			break;
		k = db_changes(st->db);
		tally.n[from] -= k;
		tally.n[op->to] += k;
		*changed += (size_t)k;
	}
	if (r == 0)
		r = store_tally_save(st, id, &tally, cause);
	return (r);
}

static int
store_job_op_run(struct store *st, int64_t id, const char *who,
    const struct store_job_op *op, int64_t now, size_t *changed,
    char **cause)
{
	struct store_job	job;
	char			detail[96];
	size_t			n = 0;
	int			r;

	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	if ((r = store_job_get(st, id, &job, cause)) != 0)
		return (db_end(st->db, r, cause));
	r = store_job_op_tx(st, id, op, now, &n, cause);
	if (r == 0 && n == 0)
		r = err_set(cause, FERRY_ERR_STATE, "job %jd is %s: no task "
		    "to %s", (intmax_t)id, store_state_name(job.state),
		    op->what + 4);
	store_job_clear(&job);
	if (r == 0)
		r = store_job_derive(st, id, now, cause);
	snprintf(detail, sizeof detail, "{\"job\":%jd,\"tasks\":%zu}",
	    (intmax_t)id, n);
	if (r == 0)
		r = store_audit_add(st, now, who != NULL ? who : "", op->what,
		    detail, cause);
	if ((r = db_end(st->db, r, cause)) == 0 && changed != NULL)
		*changed = n;
	return (r);
}

int
store_job_cancel(struct store *st, int64_t id, const char *who, int64_t now,
    size_t *changed, char **cause)
{
	return (store_job_op_run(st, id, who, &store_job_ops[0], now, changed,
	    cause));
}

int
store_job_pause(struct store *st, int64_t id, const char *who, int64_t now,
    size_t *changed, char **cause)
{
	return (store_job_op_run(st, id, who, &store_job_ops[1], now, changed,
	    cause));
}

int
store_job_resume(struct store *st, int64_t id, const char *who, int64_t now,
    size_t *changed, char **cause)
{
	return (store_job_op_run(st, id, who, &store_job_ops[2], now, changed,
	    cause));
}

int
store_job_retry(struct store *st, int64_t id, const char *who, int64_t now,
    size_t *changed, char **cause)
{
	return (store_job_op_run(st, id, who, &store_job_ops[3], now, changed,
	    cause));
}

int
store_dest_busy(struct store *st, const char *dest)
{
	/* Each part served by an index: tasks_queued_dest, _running, jobs_state. */
	static const char	 sql[] = "SELECT CASE WHEN"
	    " EXISTS (SELECT 1 FROM tasks WHERE dest = ? AND state = 'queued')"
	    " OR EXISTS (SELECT 1 FROM tasks WHERE dest = ?"
	    " AND state = 'running')"
	    " OR EXISTS (SELECT 1 FROM jobs WHERE state = 'paused'"
	    " AND (to_site = ? OR to_user = ?)) THEN 1 ELSE 0 END";
	struct db_stmt		*s;
	int			 r;

	if (db_q(st->db, sql, &s, NULL, "tttt", dest, dest, dest, dest) != 0)
		return (1);
	r = db_step(st->db, s, NULL) == 1 ? (int)db_col_int64(s, 0) : 1;
	db_reset(s);
	return (r != 0);
}
