/*
 * Claims on transfers between two agents (issue 17, docs/operations.md
 * "What carries on across a failover"). Data flows agent to agent, so a
 * transfer outlives the hub that started it: the claim says which hub
 * run owns it, which two agents are its ends (name and key) and which
 * task each of its file indexes is. The next active hub reads the
 * claims its predecessor left, leaves their tasks running, and takes
 * over (re-owns) those whose two agents report them as the claim says;
 * the others it releases: their tasks are queued again, as after any
 * crash.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "store.h"
#include "store-int.h"

int
store_claim_add(struct store *st, const struct store_claim *c,
    char **cause)
{
	static const char	 sql[] =
	    "INSERT INTO claims (id, job_id, run, send_name, send_fp,"
	    " recv_name, recv_fp, started) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	struct db_stmt		*s;
	struct db_rows		*rows = NULL;
	size_t			 i;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "iiitttti", c->id, c->job_id,
	    c->run, c->send_name, c->send_fp, c->recv_name, c->recv_fp,
	    c->started)) != 0 || (r = db_exec(st->db, s, cause)) != 0)
		return (r);
	if ((r = db_rows_open(st->db, "INSERT INTO claim_tasks (claim, idx,"
	    " task) VALUES", "(?, ?, ?)", "iii", &rows, cause)) != 0)
		return (r);
	for (i = 0; r == 0 && i < c->n; i++)
		r = db_rows_add(rows, cause, c->id, (int64_t)i, c->tasks[i]);
	if (r == 0)
		r = db_rows_flush(rows, cause);
	db_rows_close(rows);
	return (r);
}

int
store_claim_drop(struct store *st, int64_t id, char **cause)
{
	static const char	 tasks[] = "DELETE FROM claim_tasks WHERE claim = ?";
	static const char	 claim[] = "DELETE FROM claims WHERE id = ?";
	struct db_stmt		*s;
	int			 r;

	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	if ((r = db_q(st->db, tasks, &s, cause, "i", id)) == 0 &&
	    (r = db_exec(st->db, s, cause)) == 0 &&
	    (r = db_q(st->db, claim, &s, cause, "i", id)) == 0)
		r = db_exec(st->db, s, cause);
	return (db_end(st->db, r, cause));
}

int
store_claim_take(struct store *st, int64_t id, int64_t from_run,
    int64_t run, char **cause)
{
	static const char	 sql[] =
	    "UPDATE claims SET run = ? WHERE id = ? AND run = ?";
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "iii", run, id, from_run)) != 0 ||
	    (r = db_exec(st->db, s, cause)) != 0)
		return (r);
	return (db_changes(st->db) == 1 ? 0 : err_set(cause,
	    FERRY_ERR_STATE, "transfer %jd is no longer claimed by run %jd",
	    (intmax_t)id, (intmax_t)from_run));
}

void
store_claim_clear(struct store_claim *c)
{
	if (c == NULL)
		return;
	free(c->send_name);
	free(c->send_fp);
	free(c->recv_name);
	free(c->recv_fp);
	free(c->tasks);
	free(c->running);
	memset(c, 0, sizeof *c);
}

/* Claim c's tasks, in index order, and which of them still run. */
static int
store_claim_tasks(struct store *st, struct store_claim *c, char **cause)
{
	static const char	 sql[] =
	    "SELECT ct.task, t.state FROM claim_tasks ct"
	    " JOIN tasks t ON t.id = ct.task WHERE ct.claim = ?"
	    " ORDER BY ct.idx";
	struct db_stmt		*s;
	size_t			 cap = 0;
	void			*v;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "i", c->id)) != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1) {
		if (c->n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((v = reallocarray(c->tasks, cap,
			    sizeof *c->tasks)) == NULL) {
				db_reset(s);
				return (store_nomem(cause));
			}
			c->tasks = v;
			if ((v = reallocarray(c->running, cap,
			    sizeof *c->running)) == NULL) {
				db_reset(s);
				return (store_nomem(cause));
			}
			c->running = v;
		}
		c->tasks[c->n] = db_col_int64(s, 0);
		c->running[c->n] = db_col_str(s, 1) != NULL &&
		    strcmp(db_col_str(s, 1), "running") == 0;
		c->n++;
	}
	return (r);
}

int
store_claims(struct store *st, int (*cb)(void *, struct store_claim *),
    void *arg, char **cause)
{
	static const char	 sql[] =
	    "SELECT id, job_id, run, send_name, send_fp, recv_name, recv_fp,"
	    " started FROM claims ORDER BY id";
	struct db_stmt		*s;
	struct store_claim	*v = NULL, *c;
	size_t			 n = 0, i;
	void			*p;
	int			 r;

	/* All rows first: one statement at a time on the connection. */
	if ((r = db_q(st->db, sql, &s, cause, "")) != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1) {
		if ((p = reallocarray(v, n + 1, sizeof *v)) == NULL) {
			db_reset(s);
			r = store_nomem(cause);
			break;
		}
		v = p;
		c = &v[n++];
		memset(c, 0, sizeof *c);
		c->id = db_col_int64(s, 0);
		c->job_id = db_col_int64(s, 1);
		c->run = db_col_int64(s, 2);
		c->started = db_col_int64(s, 7);
		if (store_dup(db_col_str(s, 3), &c->send_name) != 0 ||
		    store_dup(db_col_str(s, 4), &c->send_fp) != 0 ||
		    store_dup(db_col_str(s, 5), &c->recv_name) != 0 ||
		    store_dup(db_col_str(s, 6), &c->recv_fp) != 0) {
			db_reset(s);
			r = store_nomem(cause);
			break;
		}
	}
	for (i = 0; r == 0 && i < n; i++) {
		if ((r = store_claim_tasks(st, &v[i], cause)) == 0)
			r = cb(arg, &v[i]);	/* cb may take what it holds */
	}
	for (i = 0; i < n; i++)
		store_claim_clear(&v[i]);
	free(v);
	return (r);
}

/*
 * Moves the running tasks sql finds (a STORE_MOVE_SELECT taking a
 * bound and a limit) back to queued, as after a crash: no attempt
 * counted, due at once.
 */
static int
store_claim_requeue(struct store *st, const char *sql, int64_t bound,
    int64_t now, size_t *count, char **cause)
{
	struct store_move	*moves;
	struct db_stmt		*s;
	size_t			 n, i, done = 0;
	int			 r;

	if ((moves = calloc(STORE_CHUNK, sizeof *moves)) == NULL)
		return (store_nomem(cause));
	do {
		n = 0;
		if ((r = db_q(st->db, sql, &s, cause, "in", bound,
		    STORE_CHUNK)) != 0)
			break;
		while ((r = db_step(st->db, s, cause)) == 1)
			store_move_row(s, &moves[n++]);
		for (i = 0; r == 0 && i < n; i++, done++)
			r = store_move_one(st, &moves[i], STORE_QUEUED, now,
			    NULL, cause);
	} while (r == 0 && n == STORE_CHUNK);
	free(moves);
	if (r == 0 && count != NULL)
		*count += done;
	return (r);
}

int
store_claim_release(struct store *st, int64_t id, int64_t now, size_t *n,
    char **cause)
{
	static const char	 sql[] = STORE_MOVE_SELECT
	    " WHERE state = 'running' AND id IN (SELECT task FROM claim_tasks"
	    " WHERE claim = ?) ORDER BY id LIMIT ?";
	int			 r;

	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	r = store_claim_requeue(st, sql, id, now, n, cause);
	if (r == 0)
		r = store_claim_drop(st, id, cause);
	return (db_end(st->db, r, cause));
}

int
store_recover_unclaimed(struct store *st, int64_t now, size_t *n,
    char **cause)
{
	static const char	 sql[] = STORE_MOVE_SELECT
	    " WHERE state = 'running' AND id > ? AND NOT EXISTS"
	    " (SELECT 1 FROM claim_tasks c WHERE c.task = tasks.id)"
	    " ORDER BY id LIMIT ?";
	int			 r;

	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	r = store_claim_requeue(st, sql, 0, now, n, cause);
	return (db_end(st->db, r, cause));
}

int
store_claims_forget(struct store *st, char **cause)
{
	struct db_stmt	*s;
	int		 r;

	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	if ((r = db_q(st->db, "DELETE FROM claim_tasks", &s, cause, "")) == 0 &&
	    (r = db_exec(st->db, s, cause)) == 0 &&
	    (r = db_q(st->db, "DELETE FROM claims", &s, cause, "")) == 0)
		r = db_exec(st->db, s, cause);
	return (db_end(st->db, r, cause));
}
