/*
 * Tasks: their rows and the state machine, the only place that says
 * which transition is legal; a task's move updates its job's counters
 * and state in the same transaction.
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

/*
 * The task state machine, the only place that says which transition is
 * legal. running -> queued is crash recovery only (store_recover).
 */
const unsigned store_moves[STORE_STATE_COUNT] = {
	[STORE_QUEUED] = M(STORE_RUNNING) | M(STORE_CANCELLED) |
	    M(STORE_PAUSED),
	[STORE_RUNNING] = M(STORE_DONE) | M(STORE_FAILED) |
	    M(STORE_CANCELLED) | M(STORE_PAUSED) | M(STORE_QUEUED),
	[STORE_DONE] = 0,
	[STORE_FAILED] = M(STORE_QUEUED) | M(STORE_CANCELLED),
	[STORE_CANCELLED] = 0,
	[STORE_PAUSED] = M(STORE_QUEUED) | M(STORE_CANCELLED)
};

/* Tasks: rows. */

/* A borrowed view of a row of the task columns, in store_task_get order. */
void
store_task_row(struct db_stmt *s, struct store_task *t)
{
	t->id = db_col_int64(s, 0);
	t->job_id = db_col_int64(s, 1);
	t->dest = (char *)db_col_str(s, 2);
	t->src_path = (char *)db_col_str(s, 3);
	t->dst_path = (char *)db_col_str(s, 4);
	t->basis = (char *)db_col_str(s, 5);
	t->size = db_col_int64(s, 6);
	t->priority = db_col_int(s, 7);
	t->state = store_state_from(db_col_str(s, 8));
	t->attempts = db_col_int(s, 9);
	t->max_attempts = db_col_int(s, 10);
	t->next_try = db_col_int64(s, 11);
	t->bytes_done = db_col_int64(s, 12);
	t->last_progress = db_col_int64(s, 13);
	t->error = (char *)db_col_str(s, 14);
	t->started = db_col_int64(s, 15);
	t->finished = db_col_int64(s, 16);
}

int
store_task_get(struct store *st, int64_t id, struct store_task *out,
    char **cause)
{
	static const char	 sql[] = "SELECT id, job_id, dest, src_path,"
	    " dst_path, basis, size, priority, state, attempts, max_attempts,"
	    " next_try, bytes_done, last_progress, error, started, finished"
	    " FROM tasks WHERE id = ?";
	struct store_task	 t;
	struct db_stmt		*s;
	int			 r = 0;

	if ((r = db_q(st->db, sql, &s, cause, "i", id)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) <= 0)
		return (r == 0 ? err_set(cause, FERRY_ERR_NOTFOUND,
		    "no task %jd", (intmax_t)id) : r);
	store_task_row(s, &t);
	r = store_dup(t.dest, &t.dest);
	r |= store_dup(t.src_path, &t.src_path);
	r |= store_dup(t.dst_path, &t.dst_path);
	r |= store_dup(t.basis, &t.basis);
	r |= store_dup(t.error, &t.error);
	db_reset(s);
	if (r != 0) {
		store_task_clear(&t);
		return (store_nomem(cause));
	}
	*out = t;
	return (0);
}

int
store_job_tasks(struct store *st, int64_t id,
    int (*cb)(void *, const struct store_task *), void *arg, char **cause)
{
	static const char	 sql[] = "SELECT id, job_id, dest, src_path,"
	    " dst_path, basis, size, priority, state, attempts, max_attempts,"
	    " next_try, bytes_done, last_progress, error, started, finished"
	    " FROM tasks WHERE job_id = ? ORDER BY id";
	struct store_task	 t;
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "i", id)) != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1) {
		store_task_row(s, &t);
		if (cb(arg, &t) != 0) {
			db_reset(s);
			return (0);
		}
	}
	return (r);
}

int
store_job_first_error(struct store *st, int64_t id,
    int (*cb)(void *, const struct store_task *), void *arg, char **cause)
{
	/* The condition is tasks_error's, so that SQLite uses it. */
	static const char	 sql[] = "SELECT id, job_id, dest, src_path,"
	    " dst_path, basis, size, priority, state, attempts, max_attempts,"
	    " next_try, bytes_done, last_progress, error, started, finished"
	    " FROM tasks WHERE job_id = ? AND error IS NOT NULL"
	    " AND state IN ('queued', 'failed') ORDER BY id LIMIT 1";
	struct store_task	 t;
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "i", id)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) != 1)
		return (r);
	store_task_row(s, &t);
	cb(arg, &t);
	db_reset(s);
	return (0);
}

struct store_task *
store_task_slot(struct store_task **t, size_t n, size_t *cap)
{
	struct store_task	*v;
	size_t			 want;

	if (n >= *cap || *t == NULL) {
		want = *cap > n ? *cap : n < 32 ? 64 : 2 * n;
		if (want > SIZE_MAX / sizeof *v ||
		    (v = realloc(*t, want * sizeof *v)) == NULL)
			return (NULL);
		*t = v;
		*cap = want;
	}
	memset(&(*t)[n], 0, sizeof **t);
	return (&(*t)[n]);
}

void
store_task_clear(struct store_task *t)
{
	if (t == NULL)
		return;
	free(t->dest);
	free(t->src_path);
	free(t->dst_path);
	free(t->basis);
	free(t->error);
	t->dest = t->src_path = t->dst_path = t->basis = t->error = NULL;
}

/* Tasks: the state machine. */

static int
store_task_allowed(const struct store_move *m, enum store_state to,
    char **cause)
{
	if (m->state >= 0 && m->state < STORE_STATE_COUNT &&
	    (store_moves[m->state] & M(to)) != 0)
		return (0);
	return (err_set(cause, FERRY_ERR_STATE, "task %jd is %s: it cannot "
	    "become %s", (intmax_t)m->id, store_state_name(m->state),
	    store_state_name(to)));
}

/*
 * Moves m to state to in memory, with what each transition implies; a
 * failure with attempts left goes on to queued with its backoff.
 */
static int
store_task_apply(struct store *st, struct store_move *m,
    enum store_state to, int64_t now, const char *error, char **cause)
{
	int	r;

	if ((r = store_task_allowed(m, to, cause)) != 0)
		return (r);
	m->state = to;
	switch (to) {
	case STORE_RUNNING:
		m->started = m->last_progress = now;
		m->finished = 0;
		break;
	case STORE_DONE:
		m->finished = now;
		m->bytes_done = m->size;
		m->error = NULL;
		m->set_error = 1;
		break;
	case STORE_FAILED:
		m->finished = now;
		m->attempts++;
		m->error = error;
		m->set_error = 1;
		if (m->attempts >= m->max_attempts)
			break;
		if ((r = store_task_allowed(m, STORE_QUEUED, cause)) != 0)
			return (r);
		m->state = STORE_QUEUED;
		m->next_try = now + store_backoff(st, m->attempts);
		break;
	case STORE_CANCELLED:
		m->finished = now;
		break;
	case STORE_QUEUED:
		m->next_try = now;
		break;
	default:
		break;
	}
	return (0);
}

void
store_move_row(struct db_stmt *s, struct store_move *m)
{
	memset(m, 0, sizeof *m);
	m->id = db_col_int64(s, 0);
	m->job_id = db_col_int64(s, 1);
	m->state = store_state_from(db_col_str(s, 2));
	m->attempts = db_col_int(s, 3);
	m->max_attempts = db_col_int(s, 4);
	m->next_try = db_col_int64(s, 5);
	m->bytes_done = db_col_int64(s, 6);
	m->size = db_col_int64(s, 7);
	m->last_progress = db_col_int64(s, 8);
	m->started = db_col_int64(s, 9);
	m->finished = db_col_int64(s, 10);
}

static int
store_move_load(struct store *st, int64_t id, struct store_move *m,
    char **cause)
{
	static const char	 sql[] = STORE_MOVE_SELECT " WHERE id = ?";
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "i", id)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) <= 0)
		return (r == 0 ? err_set(cause, FERRY_ERR_NOTFOUND,
		    "no task %jd", (intmax_t)id) : r);
	store_move_row(s, m);
	db_reset(s);
	return (0);
}

int
store_tally_save(struct store *st, int64_t job_id,
    const struct store_tally *t, char **cause)
{
	static const char	 sql[] =
	    "UPDATE jobs SET n_queued = n_queued + ?,"
	    " n_running = n_running + ?,"
	    " n_done = n_done + ?, n_failed = n_failed + ?,"
	    " n_cancelled = n_cancelled + ?, n_paused = n_paused + ?,"
	    " bytes_done = bytes_done + ? WHERE id = ?";
	struct db_stmt		*s;
	int			 r;

	r = db_q(st->db, sql, &s, cause, "iiiiiiii", t->n[STORE_QUEUED],
	    t->n[STORE_RUNNING], t->n[STORE_DONE], t->n[STORE_FAILED],
	    t->n[STORE_CANCELLED], t->n[STORE_PAUSED], t->bytes, job_id);
	if (r != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

/* Writes a moved task. */
static int
store_move_save(struct store *st, const struct store_move *m, char **cause)
{
	static const char	 sql[] =
	    "UPDATE tasks SET state = ?, attempts = ?, next_try = ?,"
	    " bytes_done = ?, last_progress = ?, started = ?, finished = ?,"
	    " error = CASE WHEN ? <> 0 THEN ? ELSE error END WHERE id = ?";
	struct db_stmt		*s;
	int			 r;

	r = db_q(st->db, sql, &s, cause, "tniizzznti", store_state_name(
	    m->state), m->attempts, m->next_try, m->bytes_done,
	    m->last_progress, m->started, m->finished, m->set_error, m->error,
	    m->id);
	if (r != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

/* Keeps the job's state what its task counters say it is. */
int
store_job_derive_now(struct store *st, int64_t job_id, int64_t now,
    char **cause)
{
	static const char	 sql[] =
	    "UPDATE jobs SET state = CASE"
	    " WHEN n_queued + n_running > 0 THEN 'running'"
	    " WHEN n_paused > 0 THEN 'paused'"
	    " WHEN n_failed > 0 THEN 'failed'"
	    " WHEN n_cancelled > 0 THEN 'cancelled'"
	    " ELSE 'done' END, updated = ? WHERE id = ?";
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "ii", now, job_id)) != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

/*
 * The same, but a job still being stored stays running (as it was
 * opened): its stored tasks all done is not the job done, and its end
 * (a mail's notice, `ferry send --wait`) waits for its last batch.
 */
int
store_job_derive(struct store *st, int64_t job_id, int64_t now,
    char **cause)
{
	if (st->storing != NULL && st->storing(st->storing_arg, job_id))
		return (0);
	return (store_job_derive_now(st, job_id, now, cause));
}

/*
 * Moves one loaded task and saves it, counting the change in tally; the
 * caller saves the tally and derives the job's state.
 */
int
store_move(struct store *st, struct store_move *m, enum store_state to,
    int64_t now, const char *error, struct store_tally *tally, char **cause)
{
	enum store_state	from = m->state;
	int64_t			old_bytes = m->bytes_done;
	int			r;

	if ((r = store_task_apply(st, m, to, now, error, cause)) != 0)
		return (r);
	tally->n[from]--;
	tally->n[m->state]++;
	tally->bytes += m->bytes_done - old_bytes;
	return (store_move_save(st, m, cause));
}

/* One task's move with its job's counters and state. */
int
store_move_one(struct store *st, struct store_move *m, enum store_state to,
    int64_t now, const char *error, char **cause)
{
	struct store_tally	tally;
	int			r;

	memset(&tally, 0, sizeof tally);
	if ((r = store_move(st, m, to, now, error, &tally, cause)) != 0 ||
	    (r = store_tally_save(st, m->job_id, &tally, cause)) != 0)
		return (r);
	return (store_job_derive(st, m->job_id, now, cause));
}

/* Fails with FERRY_ERR_STATE while another task writes id's destination. */
static int
store_dest_free(struct store *st, int64_t id, char **cause)
{
	static const char	 sql[] =
	    "SELECT r.id FROM tasks t JOIN tasks r ON r.dest = t.dest"
	    " AND r.dst_path = t.dst_path AND r.state = 'running'"
	    " AND r.id <> t.id WHERE t.id = ?";
	struct db_stmt		*s;
	int64_t			 other;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "i", id)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) <= 0)
		return (r);
	other = db_col_int64(s, 0);
	db_reset(s);
	return (err_set(cause, FERRY_ERR_STATE, "task %jd waits: task %jd is "
	    "writing the same destination file", (intmax_t)id,
	    (intmax_t)other));
}

/*
 * One task's transition, with its job's state, in one transaction. need,
 * unless STORE_ANY, is the only state the operation starts from.
 */
static int
store_task_op_tx(struct store *st, int64_t id, enum store_state need,
    enum store_state to, int64_t now, const char *error, char **cause)
{
	struct store_move	m;
	int			r;

	if ((r = store_move_load(st, id, &m, cause)) != 0)
		return (r);
	if (need != STORE_ANY && m.state != need)
		return (err_set(cause, FERRY_ERR_STATE, "task %jd is %s, not "
		    "%s", (intmax_t)id, store_state_name(m.state),
		    store_state_name(need)));
	if (to == STORE_RUNNING && (r = store_dest_free(st, id, cause)) != 0)
		return (r);
	/* A retry asked for by a person starts the count again. */
	if (need == STORE_FAILED)
		m.attempts = 0;
	return (store_move_one(st, &m, to, now, error, cause));
}

static int
store_task_op(struct store *st, int64_t id, enum store_state need,
    enum store_state to, int64_t now, const char *error, char **cause)
{
	int	r;

	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	r = store_task_op_tx(st, id, need, to, now, error, cause);
	return (db_end(st->db, r, cause));
}

int
store_task_start(struct store *st, int64_t id, int64_t now, char **cause)
{
	return (store_task_op(st, id, STORE_ANY, STORE_RUNNING, now, NULL,
	    cause));
}

int
store_task_done(struct store *st, int64_t id, int64_t now, char **cause)
{
	return (store_task_op(st, id, STORE_ANY, STORE_DONE, now, NULL,
	    cause));
}

int
store_task_fail(struct store *st, int64_t id, const char *error,
    int64_t now, char **cause)
{
	return (store_task_op(st, id, STORE_ANY, STORE_FAILED, now,
	    error != NULL ? error : "failed", cause));
}

static int
store_task_refuse_tx(struct store *st, int64_t id, const char *error,
    int64_t now, char **cause)
{
	struct store_move	m;
	int			r;

	if ((r = store_move_load(st, id, &m, cause)) != 0)
		return (r);
	/* The failure counted next is the last one allowed. */
	if (m.attempts < m.max_attempts - 1)
		m.attempts = m.max_attempts - 1;
	return (store_move_one(st, &m, STORE_FAILED, now, error, cause));
}

int
store_task_refuse(struct store *st, int64_t id, const char *error,
    int64_t now, char **cause)
{
	int	r;

	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	r = store_task_refuse_tx(st, id, error != NULL ? error : "refused",
	    now, cause);
	return (db_end(st->db, r, cause));
}

int
store_task_cancel(struct store *st, int64_t id, int64_t now, char **cause)
{
	return (store_task_op(st, id, STORE_ANY, STORE_CANCELLED, now, NULL,
	    cause));
}

int
store_task_pause(struct store *st, int64_t id, int64_t now, char **cause)
{
	return (store_task_op(st, id, STORE_ANY, STORE_PAUSED, now, NULL,
	    cause));
}

/* Only a paused task resumes; failed -> queued is a retry. */
int
store_task_resume(struct store *st, int64_t id, int64_t now, char **cause)
{
	return (store_task_op(st, id, STORE_PAUSED, STORE_QUEUED, now, NULL,
	    cause));
}

int
store_task_retry(struct store *st, int64_t id, int64_t now, char **cause)
{
	return (store_task_op(st, id, STORE_FAILED, STORE_QUEUED, now, NULL,
	    cause));
}

int
store_task_progress(struct store *st, int64_t id, int64_t bytes_done,
    int64_t now, char **cause)
{
	static const char	 task[] =
	    "UPDATE tasks SET bytes_done = ?, last_progress = ? WHERE id = ?";
	static const char	 job[] =
	    "UPDATE jobs SET bytes_done = bytes_done + ?, updated = ?"
	    " WHERE id = ?";
	struct store_move	 m;
	struct db_stmt		*s;
	int			 r;

	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	r = store_move_load(st, id, &m, cause);
	if (r == 0 && m.state != STORE_RUNNING)
		r = err_set(cause, FERRY_ERR_STATE, "task %jd is %s, not "
		    "running", (intmax_t)id, store_state_name(m.state));
	if (r == 0 && (bytes_done < 0 || bytes_done > m.size))
		r = err_set(cause, FERRY_ERR_INVAL, "task %jd: %jd bytes done "
		    "of its %jd", (intmax_t)id, (intmax_t)bytes_done,
		    (intmax_t)m.size);
	if (r == 0)
		r = db_q(st->db, task, &s, cause, "iii", bytes_done, now, id);
	if (r == 0)
		r = db_exec(st->db, s, cause);
	if (r == 0)
		r = db_q(st->db, job, &s, cause, "iii",
		    bytes_done - m.bytes_done, now, m.job_id);
	if (r == 0)
		r = db_exec(st->db, s, cause);
	return (db_end(st->db, r, cause));
}

/*
 * Many tasks of one job at once: a transfer starts and settles thousands
 * of files, and one statement per run of consecutive ids costs a small
 * fraction of loading, moving and saving each task (perf: 59 % of the
 * daemons' CPU in a no-op of 20,000 files went to that, task by task).
 */

static int
store_id_cmp(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x < y ? -1 : x > y);
}

/*
 * Calls fn for each run [lo, hi] of consecutive ids in ids (any order,
 * duplicates allowed): a job's tasks have consecutive ids, so a transfer
 * is usually one run.
 */
static int
store_id_runs(struct store *st, const int64_t *ids, size_t n,
    int (*fn)(struct store *, int64_t, int64_t, void *, char **), void *arg,
    char **cause)
{
	int64_t	*v;
	size_t	 i, j;
	int	 r = 0;

	if (n == 0)
		return (0);
	if ((v = malloc(n * sizeof *v)) == NULL)
		return (store_nomem(cause));
	memcpy(v, ids, n * sizeof *v);
	qsort(v, n, sizeof *v, store_id_cmp);
	for (i = 0; r == 0 && i < n; i = j) {
		for (j = i + 1; j < n && v[j] - v[j - 1] <= 1; j++)
			;
		r = fn(st, v[i], v[j - 1], arg, cause);
	}
	free(v);
	return (r);
}

struct store_many {
	int64_t			 job_id;
	int			 held;	/* rows left queued at the start */
	int64_t			 since;	/* then: when the start was */
	int64_t			 now;
	struct store_tally	 tally;
	int64_t			 moved;
};

/*
 * queued -> running for the tasks of [lo, hi] in the job. A task whose
 * destination another running task writes stays queued (what
 * store_task_start refuses one at a time); store_task_next never hands
 * out two tasks of one destination, so none of the run collide.
 */
static int
store_start_run(struct store *st, int64_t lo, int64_t hi, void *arg,
    char **cause)
{
	static const char	 sql[] =
	    "UPDATE tasks SET state = 'running', started = ?,"
	    " last_progress = ?, finished = NULL"
	    " WHERE job_id = ? AND id BETWEEN ? AND ? AND state = 'queued'"
	    " AND NOT EXISTS (SELECT 1 FROM tasks r WHERE r.state = 'running'"
	    " AND r.dest = tasks.dest AND r.dst_path = tasks.dst_path)";
	struct store_many	*m = arg;
	struct db_stmt		*s;
	int64_t			 k;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "iiiii", m->now, m->now,
	    m->job_id, lo, hi)) != 0 || (r = db_exec(st->db, s, cause)) != 0)
		return (r);
	k = db_changes(st->db);
	m->tally.n[STORE_QUEUED] -= k;
	m->tally.n[STORE_RUNNING] += k;
	m->moved += k;
	return (0);
}

/* running -> done for the tasks of [lo, hi] in the job, as store_move. */
static int
store_done_run(struct store *st, int64_t lo, int64_t hi, void *arg,
    char **cause)
{
	static const char	 sum_running[] =
	    "SELECT count(*), coalesce(sum(size - bytes_done), 0) FROM tasks"
	    " WHERE job_id = ? AND id BETWEEN ? AND ? AND state = 'running'";
	static const char	 sql_running[] =
	    "UPDATE tasks SET state = 'done', finished = ?, bytes_done = size,"
	    " error = NULL"
	    " WHERE job_id = ? AND id BETWEEN ? AND ? AND state = 'running'";
	static const char	 sum_queued[] =
	    "SELECT count(*), coalesce(sum(size - bytes_done), 0) FROM tasks"
	    " WHERE job_id = ? AND id BETWEEN ? AND ? AND state = 'queued'";
	/* A held start's (store_tasks_done_held): started is written here. */
	static const char	 sql_queued[] =
	    "UPDATE tasks SET state = 'done', started = ?, finished = ?,"
	    " bytes_done = size, error = NULL"
	    " WHERE job_id = ? AND id BETWEEN ? AND ? AND state = 'queued'";
	struct store_many	*m = arg;
	const char		*sum = m->held ? sum_queued : sum_running;
	const char		*sql = m->held ? sql_queued : sql_running;
	struct db_stmt		*s;
	int64_t			 k, bytes;
	int			 r;

	if ((r = db_q(st->db, sum, &s, cause, "iii", m->job_id, lo, hi)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) <= 0)
		return (r == 0 ? err_set(cause, FERRY_ERR_IO, "no count") : r);
	k = db_col_int64(s, 0);
	bytes = (int64_t)db_col_double(s, 1);
	db_reset(s);
	if (k == 0)
		return (0);
	if ((r = m->held ? db_q(st->db, sql, &s, cause, "iiiii", m->since,
	    m->now, m->job_id, lo, hi) : db_q(st->db, sql, &s, cause, "iiii",
	    m->now, m->job_id, lo, hi)) != 0 ||
	    (r = db_exec(st->db, s, cause)) != 0)
		return (r);
	m->tally.n[m->held ? STORE_QUEUED : STORE_RUNNING] -= k;
	m->tally.n[STORE_DONE] += k;
	m->tally.bytes += bytes;
	m->moved += k;
	return (0);
}

/*
 * Moves the tasks ids of job_id with fn, one statement per run of ids;
 * m: NULL, or what fn needs beyond the job and the time (held, since).
 */
static int
store_tasks_many(struct store *st, int64_t job_id, const int64_t *ids,
    size_t n, int64_t now,
    int (*fn)(struct store *, int64_t, int64_t, void *, char **),
    size_t *moved, char **cause, struct store_many *m)
{
	struct store_many	mine;
	int			r;

	if (m == NULL) {
		memset(&mine, 0, sizeof mine);
		m = &mine;
	}
	m->job_id = job_id;
	m->now = now;
	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	r = store_id_runs(st, ids, n, fn, m, cause);
	if (r == 0)
		r = store_tally_save(st, job_id, &m->tally, cause);
	if (r == 0)
		r = store_job_derive(st, job_id, now, cause);
	if ((r = db_end(st->db, r, cause)) == 0 && moved != NULL)
		*moved = (size_t)m->moved;
	return (r);
}

int
store_tasks_start(struct store *st, int64_t job_id, const int64_t *ids,
    size_t n, int64_t now, size_t *started, char **cause)
{
	return (store_tasks_many(st, job_id, ids, n, now, store_start_run,
	    started, cause, NULL));
}

int
store_tasks_done(struct store *st, int64_t job_id, const int64_t *ids,
    size_t n, int64_t now, size_t *done, char **cause)
{
	return (store_tasks_many(st, job_id, ids, n, now, store_done_run,
	    done, cause, NULL));
}

int
store_tasks_done_held(struct store *st, int64_t job_id, const int64_t *ids,
    size_t n, int64_t since, int64_t now, size_t *done, char **cause)
{
	struct store_many	m;

	memset(&m, 0, sizeof m);
	m.held = 1;
	m.since = since;
	return (store_tasks_many(st, job_id, ids, n, now, store_done_run,
	    done, cause, &m));
}

int
store_tasks_hold(struct store *st, int64_t job_id, int64_t now,
    char **cause)
{
	int	r;

	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	r = store_job_derive(st, job_id, now, cause);
	return (db_end(st->db, r, cause));
}

void
store_set_held(struct store *st, int64_t (*held)(void *, int64_t), void *arg)
{
	st->held = held;
	st->held_arg = arg;
}

void
store_set_storing(struct store *st, int (*storing)(void *, int64_t),
    void *arg)
{
	st->storing = storing;
	st->storing_arg = arg;
}
