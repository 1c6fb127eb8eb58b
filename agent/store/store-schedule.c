/*
 * Scheduling (the next tasks to start, one per destination) and
 * recovery after a crash or a stalled transfer.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "db.h"
#include "err.h"
#include "hash.h"
#include "store.h"
#include "store-int.h"

/* Scheduling. */

/*
 * Destinations handed out by one store_task_next call: a hash set, since
 * a job of 20,000 files asks about each once (a list made that O(n^2)).
 */
struct store_taken {
	char	**slot;		/* NULL: empty */
	size_t	  n;
	size_t	  cap;		/* a power of two, or 0 */
};

static int
store_taken_key(const struct store_task *t, char **key)
{
	if (asprintf(key, "%s\001%s", t->dest, t->dst_path) == -1)
		return (FERRY_ERR_NOMEM);
	return (0);
}

/* The slot of key, or the empty one where it would go. */
static char **
store_taken_find(const struct store_taken *tk, const char *key)
{
	size_t	i = (size_t)hash_str(key) & (tk->cap - 1);

	while (tk->slot[i] != NULL && strcmp(tk->slot[i], key) != 0)
		i = (i + 1) & (tk->cap - 1);
	return (&tk->slot[i]);
}

/* Keeps the set at most half full. */
static int
store_taken_grow(struct store_taken *tk)
{
	struct store_taken	 g;
	size_t			 i;

	if (2 * (tk->n + 1) <= tk->cap)
		return (0);
	g.cap = tk->cap == 0 ? 64 : 2 * tk->cap;
	g.n = tk->n;
	if ((g.slot = calloc(g.cap, sizeof *g.slot)) == NULL)
		return (FERRY_ERR_NOMEM);
	for (i = 0; i < tk->cap; i++) {
		if (tk->slot[i] != NULL)
			*store_taken_find(&g, tk->slot[i]) = tk->slot[i];
	}
	free(tk->slot);
	*tk = g;
	return (0);
}

/* 1 if t's destination was taken already, else takes it (0), or error. */
static int
store_taken_add(struct store_taken *tk, const struct store_task *t)
{
	char	*key, **at;

	if (store_taken_key(t, &key) != 0)
		return (FERRY_ERR_NOMEM);
	if (store_taken_grow(tk) != 0) {
		free(key);
		return (FERRY_ERR_NOMEM);
	}
	if (*(at = store_taken_find(tk, key)) != NULL) {
		free(key);
		return (1);
	}
	*at = key;
	tk->n++;
	return (0);
}

static void
store_taken_free(struct store_taken *tk)
{
	size_t	i;

	for (i = 0; i < tk->cap; i++)
		free(tk->slot[i]);
	free(tk->slot);
}

/*
 * Tasks a walk looks past (their ends cannot take part now) before it
 * stops: a pass stays bounded (a fraction of a second), and newer work
 * waits only behind more than this many tasks nobody can take.
 */
#define STORE_SKIP_MAX	100000

int
store_task_next(struct store *st, int64_t now, size_t limit,
    int (*cb)(void *, const struct store_task *), void *arg, char **cause)
{
	return (store_task_next_where(st, now, limit, NULL, cb, arg, cause));
}

int
store_task_next_where(struct store *st, int64_t now, size_t limit,
    int (*present)(void *, const char *),
    int (*cb)(void *, const struct store_task *), void *arg, char **cause)
{
	struct store_taken	 tk;
	struct store_next	*nx;
	const struct store_task	*t;
	size_t			 n = 0, skipped = 0;
	int			 r, taken, c;

	memset(&tk, 0, sizeof tk);
	if ((r = store_next_open(st, now, present, arg, &nx, cause)) != 0)
		return (r);
	while ((limit == 0 || n < limit) && skipped < STORE_SKIP_MAX &&
	    (r = store_next_step(nx, &t, cause)) == 1) {
		if ((taken = store_taken_add(&tk, t)) < 0) {
			r = store_nomem(cause);
			break;
		}
		if (taken)
			continue;
		/* Skipped (its end cannot take part now): not counted. */
		if ((c = cb(arg, t)) < 0) {
			skipped++;
			continue;
		}
		n++;
		if (c != 0)
			break;
	}
	if (r == 1)
		r = 0;
	store_next_close(nx);
	store_taken_free(&tk);
	return (r);
}

/* Recovery. */

static int
store_sweep_chunk(struct store *st, const char *sql, int64_t bound,
    struct store_move *moves, size_t *n, char **cause)
{
	struct db_stmt	*s;
	int		 r;

	*n = 0;
	r = db_q(st->db, sql, &s, cause, "in", bound, STORE_CHUNK);
	if (r != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1)
		store_move_row(s, &moves[(*n)++]);
	return (r);
}

/*
 * Moves every running task that sql (a STORE_MOVE_SELECT taking bound and
 * a limit) finds to state to. Moved tasks are no longer running, so each
 * query finds only ones not yet moved.
 */
static int
store_sweep(struct store *st, const char *sql, int64_t bound,
    enum store_state to, int64_t now, size_t *count, char **cause)
{
	struct store_move	*moves, *m;
	char			 error[96];
	size_t			 n, i, done = 0;
	int			 r;

	if ((moves = calloc(STORE_CHUNK, sizeof *moves)) == NULL)
		return (store_nomem(cause));
	if ((r = db_begin(st->db, cause)) != 0) {
		free(moves);
		return (r);
	}
	do {
		r = store_sweep_chunk(st, sql, bound, moves, &n, cause);
		for (i = 0; r == 0 && i < n; i++) {
			m = &moves[i];
			snprintf(error, sizeof error, "stalled: no progress "
			    "for %jd s", (intmax_t)(now - m->last_progress));
			r = store_move_one(st, m, to, now, error, cause);
			done++;
		}
	} while (r == 0 && n == STORE_CHUNK);
	free(moves);
	if ((r = db_end(st->db, r, cause)) == 0 && count != NULL)
		*count = done;
	return (r);
}

int
store_recover(struct store *st, int64_t now, size_t *n, char **cause)
{
	static const char	sql[] = STORE_MOVE_SELECT
	    " WHERE state = 'running' AND id > ? ORDER BY id LIMIT ?";

	return (store_sweep(st, sql, 0, STORE_QUEUED, now, n, cause));
}

int
store_stuck(struct store *st, int64_t now, int64_t stall, size_t *n,
    char **cause)
{
	/*
	 * Through the running tasks only: without the index SQLite reads
	 * every task the hub ever had, every 30 s, with the lock held.
	 */
	static const char	sql[] = STORE_MOVE_SELECT
	    " INDEXED BY tasks_running"
	    " WHERE state = 'running' AND last_progress < ? ORDER BY id"
	    " LIMIT ?";

	if (stall <= 0)
		return (err_set(cause, FERRY_ERR_INVAL, "stall time must be "
		    "positive"));
	return (store_sweep(st, sql, now - stall, STORE_FAILED, now, n,
	    cause));
}
