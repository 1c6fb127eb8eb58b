/*
 * The queued tasks in the dispatcher's order (highest priority first,
 * then oldest), read destination by destination and merged here, so that
 * a walk reads only the destinations the caller can serve now: 10,000
 * tasks queued for a site whose agent is away used to be read (and passed
 * over) on every pass, before the new job to a site that is there.
 *
 * Each destination is a cursor over tasks_queued_dest (dest, priority
 * DESC, id) that reads up to STORE_NEXT_CHUNK rows at a time, after the
 * last row it read; the destinations themselves are found by seeking that
 * index (one seek each), never by reading the tasks.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>


#include "db.h"
#include "err.h"
#include "store.h"
#include "store-int.h"

/* Rows a destination's cursor holds: memory is destinations x this. */
#define STORE_NEXT_CHUNK	64
/*
 * Rows its first read takes: every destination with work is read once a
 * walk, and most walks stop after a few tasks, so 500 agents with work
 * cost 4,000 rows, not 32,000.
 */
#define STORE_NEXT_FIRST	8

#define STORE_NEXT_COLS "SELECT id, job_id, dest, src_path, dst_path," \
	" basis, size, priority, state, attempts, max_attempts, next_try," \
	" bytes_done, last_progress, error, started, finished" \
	" FROM tasks t WHERE state = 'queued' AND dest = ?"

/* The file is not being written by a running task. */
#define STORE_NEXT_FREE " AND next_try <= ? AND NOT EXISTS (SELECT 1" \
	" FROM tasks r WHERE r.state = 'running' AND r.dest = t.dest" \
	" AND r.dst_path = t.dst_path)"

/*
 * The statements, named in store-int.h so that test-store-next can ask
 * SQLite how it runs them (each must seek tasks_queued_dest).
 */
const char store_next_sql_first[] = "SELECT dest FROM tasks"
    " WHERE state = 'queued' ORDER BY dest LIMIT 1";
const char store_next_sql_after[] = "SELECT dest FROM tasks"
    " WHERE state = 'queued' AND dest > ? ORDER BY dest LIMIT 1";
const char store_next_sql_same[] = STORE_NEXT_COLS
    " AND priority = ? AND id > ?" STORE_NEXT_FREE " ORDER BY id LIMIT ?";
const char store_next_sql_lower[] = STORE_NEXT_COLS
    " AND priority < ?" STORE_NEXT_FREE
    " ORDER BY priority DESC, id LIMIT ?";

struct store_next_cur {
	char			*dest;
	struct store_task	 row[STORE_NEXT_CHUNK];
	size_t			 n;		/* rows held */
	size_t			 at;		/* the next to hand out */
	int			 started;	/* last_* are set */
	int			 done;		/* nothing more to read */
	int64_t			 last_prio;
	int64_t			 last_id;
};

struct store_next {
	struct store		*st;
	int64_t			 now;
	struct store_next_cur	*cur;
	size_t			 ncur;
};

static void
store_next_drop(struct store_next_cur *c)
{
	size_t	i;

	for (i = 0; i < c->n; i++)
		store_task_clear(&c->row[i]);
	c->n = c->at = 0;
}

/* Appends the rows of s to c; 0 at the end, or an error. */
static int
store_next_take(struct store *st, struct db_stmt *s,
    struct store_next_cur *c, char **cause)
{
	struct store_task	*t;
	int			 r, bad;

	while ((r = db_step(st->db, s, cause)) == 1) {
		t = &c->row[c->n];
		store_task_row(s, t);
		bad = store_dup(t->dest, &t->dest);
		bad |= store_dup(t->src_path, &t->src_path);
		bad |= store_dup(t->dst_path, &t->dst_path);
		bad |= store_dup(t->basis, &t->basis);
		bad |= store_dup(t->error, &t->error);
		c->n++;
		if (bad) {
			db_reset(s);
			return (store_nomem(cause));
		}
	}
	return (r);
}

/*
 * The next rows of c: those of the last priority after the last id, then
 * those of lower priorities. Two queries, as the index's order (priority
 * down, id up) is not one comparison of a row value.
 */
static int
store_next_fill(struct store_next *nx, struct store_next_cur *c,
    char **cause)
{
	struct db_stmt		*s;
	int64_t			 below = INT64_MAX;
	size_t			 want = c->started ? STORE_NEXT_CHUNK :
				    STORE_NEXT_FIRST;
	int			 r;

	store_next_drop(c);
	/* Past the runs whose start the dispatcher holds (store_set_held). */
	if (c->started && nx->st->held != NULL) {
		int64_t	h;

		while ((h = nx->st->held(nx->st->held_arg, c->last_id + 1)) >
		    c->last_id)
			c->last_id = h;
	}
	if (c->started) {
		r = db_q(nx->st->db, store_next_sql_same, &s, cause, "tiiin",
		    c->dest, c->last_prio, c->last_id, nx->now, (int)want);
		if (r == 0)
			r = store_next_take(nx->st, s, c, cause);
		if (r != 0)
			return (r);
		below = c->last_prio;
	}
	if (c->n < want) {
		r = db_q(nx->st->db, store_next_sql_lower, &s, cause, "tiin",
		    c->dest, below, nx->now, (int)(want - c->n));
		if (r == 0)
			r = store_next_take(nx->st, s, c, cause);
		if (r != 0)
			return (r);
	}
	if (c->n == 0)
		c->done = 1;
	else {
		c->started = 1;
		c->last_prio = c->row[c->n - 1].priority;
		c->last_id = c->row[c->n - 1].id;
	}
	return (0);
}

/* The destination after *dest (NULL: the first) with tasks queued. */
static int
store_next_dest(struct store *st, char **dest, char **cause)
{
	struct db_stmt		*s;
	char			*next = NULL;
	int			 r;

	if (*dest == NULL)
		r = db_q(st->db, store_next_sql_first, &s, cause, "");
	else
		r = db_q(st->db, store_next_sql_after, &s, cause, "t",
		    *dest);
	if (r != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) == 1) {
		r = store_dup(db_col_str(s, 0), &next);
		db_reset(s);
		if (r != 0)
			return (store_nomem(cause));
	}
	if (r < 0)
		return (r);
	free(*dest);
	*dest = next;
	return (0);
}

void
store_next_close(struct store_next *nx)
{
	size_t	i;

	if (nx == NULL)
		return;
	for (i = 0; i < nx->ncur; i++) {
		store_next_drop(&nx->cur[i]);
		free(nx->cur[i].dest);
	}
	free(nx->cur);
	free(nx);
}

/* Adds a cursor for dest (transferred). */
static int
store_next_add(struct store_next *nx, char *dest, char **cause)
{
	struct store_next_cur	*v;

	v = reallocarray(nx->cur, nx->ncur + 1, sizeof *v);
	if (v == NULL) {
		free(dest);
		return (store_nomem(cause));
	}
	nx->cur = v;
	memset(&v[nx->ncur], 0, sizeof *v);
	v[nx->ncur++].dest = dest;
	return (0);
}

int
store_next_open(struct store *st, int64_t now,
    int (*present)(void *, const char *), void *arg,
    struct store_next **out, char **cause)
{
	struct store_next	*nx;
	char			*dest = NULL, *mine;
	int			 r;

	if ((nx = calloc(1, sizeof *nx)) == NULL)
		return (store_nomem(cause));
	nx->st = st;
	nx->now = now;
	while ((r = store_next_dest(st, &dest, cause)) == 0 && dest != NULL) {
		if (present != NULL && !present(arg, dest))
			continue;
		if (store_dup(dest, &mine) != 0) {
			r = store_nomem(cause);
			break;
		}
		if ((r = store_next_add(nx, mine, cause)) != 0)
			break;
	}
	free(dest);
	if (r != 0) {
		store_next_close(nx);
		return (r);
	}
	*out = nx;
	return (0);
}

/* Whether a comes before b in the dispatcher's order. */
static int
store_next_before(const struct store_task *a, const struct store_task *b)
{
	if (a->priority != b->priority)
		return (a->priority > b->priority);
	return (a->id < b->id);
}

int
store_next_step(struct store_next *nx, const struct store_task **t,
    char **cause)
{
	struct store_next_cur	*c, *best = NULL;
	size_t			 i;
	int			 r;

	for (i = 0; i < nx->ncur; i++) {
		c = &nx->cur[i];
		if (c->at == c->n && !c->done &&
		    (r = store_next_fill(nx, c, cause)) != 0)
			return (r);
		if (c->at == c->n)
			continue;
		if (best == NULL ||
		    store_next_before(&c->row[c->at], &best->row[best->at]))
			best = c;
	}
	if (best == NULL)
		return (0);
	*t = &best->row[best->at++];
	return (1);
}
