/*
 * The hub's store on real SQLite files, jobs and their tasks: jobs of
 * 100,000 tasks, a no-op's and a transfer's tasks moved together, every
 * task transition, backoff, priority, the duplicate destination rule,
 * recovery, stuck tasks, job states and errors.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "err.h"
#include "store.h"
#include "test.h"

#define TEST_STORE_TMPDIR	"/tmp/ferry-test-store-jobs.XXXXXX"
#include "test-store-lib.h"

/* The ids store_task_next hands out, any number. */
struct many_ids {
	int64_t	*id;
	size_t	 n;
};

static int
collect_many(void *arg, const struct store_task *t)
{
	struct many_ids	*m = arg;
	int64_t		*v;

	if ((v = realloc(m->id, (m->n + 1) * sizeof *v)) == NULL)
		return (1);
	m->id = v;
	m->id[m->n++] = t->id;
	return (0);
}

static double
secs_since(const struct timespec *t0)
{
	struct timespec	t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9);
}

/*
 * What the hub does to the store for a no-op of 20,000 files, as the
 * dispatcher does it: due tasks 4,096 at a time, each batch started and
 * then done. The times are printed for docs/benchmarks.md (S8), never
 * checked.
 */
static void
test_noop_job(void)
{
	struct store		*st = open_jobs_db("noop");
	struct many_ids		 m;
	struct timespec		 t0;
	double			 tnext = 0, tstart = 0, tdone = 0;
	size_t			 moved, total = 0;
	int64_t			 id;

	id = make_job(st, "la", 500, 20000, "/dst/noop.", 0, 100);
	for (;;) {
		memset(&m, 0, sizeof m);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ASSERT_INT_EQ(store_task_next(st, 100, 4096, collect_many, &m,
		    NULL), 0);
		tnext += secs_since(&t0);
		if (m.n == 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ASSERT_INT_EQ(store_tasks_start(st, id, m.id, m.n, 101, &moved,
		    NULL), 0);
		tstart += secs_since(&t0);
		ASSERT_INT_EQ(moved, m.n);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ASSERT_INT_EQ(store_tasks_done(st, id, m.id, m.n, 102, &moved,
		    NULL), 0);
		tdone += secs_since(&t0);
		ASSERT_INT_EQ(moved, m.n);
		total += m.n;
		free(m.id);
	}
	free(m.id);
	ASSERT_INT_EQ(total, 20000);
	ASSERT_INT_EQ(job_state(st, id), STORE_DONE);
	fprintf(stderr, "no-op of 20000 tasks: store_task_next %.3f s, "
	    "store_tasks_start %.3f s, store_tasks_done %.3f s\n", tnext,
	    tstart, tdone);
	store_close(st);
}

/*
 * A job's tasks go in as multi-row INSERTs (common/db-rows.c): every
 * batch size around the statement's 111 rows and the power-of-two tail,
 * NULL and copied text, both ways of creating a job, and a bad task
 * after a few full batches rolls the whole job back.
 */
static int
count_jobs(void *arg, const struct store_job *j)
{
	(void)j;
	(*(size_t *)arg)++;
	return (0);
}

struct rows_check {
	size_t		 n;
	int64_t		 first_id;
	int		 bad;
};

static int
rows_check_task(void *arg, const struct store_task *t)
{
	struct rows_check	*c = arg;
	char			 want[64], basis[64];

	snprintf(want, sizeof want, "/dst/rows.%zu", c->n);
	snprintf(basis, sizeof basis, "/basis/%zu", c->n);
	if (c->n == 0)
		c->first_id = t->id;
	if (t->id != c->first_id + (int64_t)c->n ||
	    strcmp(t->dst_path, want) != 0 || strcmp(t->dest, "la") != 0 ||
	    t->size != (int64_t)c->n || t->state != STORE_QUEUED ||
	    t->priority != 7 || t->max_attempts != 3 || t->next_try != 100 ||
	    (c->n % 3 == 0) != (t->basis == NULL) ||
	    (t->basis != NULL && strcmp(t->basis, basis) != 0))
		c->bad++;
	c->n++;
	return (0);
}

struct rows_gen {
	size_t			 i, n, bad_at;
	char			 dst[64], basis[64];
	struct store_task	 t;
};

/* Each task's strings in one buffer, rewritten for the next. */
static int
rows_next(void *arg, const struct store_task **tp, char **cause)
{
	struct rows_gen	*g = arg;

	(void)cause;
	if (g->i == g->n)
		return (0);
	memset(&g->t, 0, sizeof g->t);
	snprintf(g->dst, sizeof g->dst, "/dst/rows.%zu", g->i);
	snprintf(g->basis, sizeof g->basis, "/basis/%zu", g->i);
	g->t.src_path = "/src/rows";
	g->t.dst_path = g->dst;
	g->t.basis = g->i % 3 == 0 ? NULL : g->basis;
	g->t.size = g->i == g->bad_at ? -1 : (int64_t)g->i;
	g->t.max_attempts = 3;
	g->i++;
	*tp = &g->t;
	return (1);
}

static void
test_job_rows(void)
{
	static const size_t	 sizes[] = { 1, 2, 63, 64, 65, 110, 111, 112,
	    222, 223, 300, 1000 };
	struct store		*st = open_jobs_db("rows");
	struct store_job	 job;
	struct store_task	*tasks;
	struct rows_gen		 g;
	struct rows_check	 c;
	struct store_job	 j;
	char			*cause = NULL;
	int64_t			 id;
	size_t			 k, i, n;

	memset(&job, 0, sizeof job);
	job.submitter = "tester";
	job.from_site = "hq";
	job.to_site = "la";
	job.priority = 7;
	for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		n = sizes[k];
		/* Streamed. */
		memset(&g, 0, sizeof g);
		g.n = n;
		g.bad_at = (size_t)-1;
		ASSERT_INT_EQ(store_job_create_stream(st, &job, rows_next, &g,
		    100, &id, &i, NULL), 0);
		ASSERT_INT_EQ(i, n);
		memset(&c, 0, sizeof c);
		ASSERT_INT_EQ(store_job_tasks(st, id, rows_check_task, &c,
		    NULL), 0);
		ASSERT_INT_EQ(c.n, n);
		ASSERT_INT_EQ(c.bad, 0);
		/* From an array, whose strings are the generator's copies. */
		tasks = calloc(n, sizeof *tasks);
		ASSERT_TRUE(tasks != NULL);
		memset(&g, 0, sizeof g);
		g.n = n;
		g.bad_at = (size_t)-1;
		for (i = 0; i < n; i++) {
			const struct store_task	*t;

			ASSERT_INT_EQ(rows_next(&g, &t, NULL), 1);
			tasks[i] = *t;
			tasks[i].dst_path = strdup(t->dst_path);
			tasks[i].basis = t->basis ? strdup(t->basis) : NULL;
		}
		ASSERT_INT_EQ(store_job_create(st, &job, tasks, n, 100, &id,
		    NULL), 0);
		memset(&c, 0, sizeof c);
		ASSERT_INT_EQ(store_job_tasks(st, id, rows_check_task, &c,
		    NULL), 0);
		ASSERT_INT_EQ(c.n, n);
		ASSERT_INT_EQ(c.bad, 0);
		ASSERT_INT_EQ(store_job_get(st, id, &j, NULL), 0);
		ASSERT_INT_EQ(j.ntasks, (int64_t)n);
		ASSERT_INT_EQ(j.bytes_total, (int64_t)(n * (n - 1) / 2));
		store_job_clear(&j);
		for (i = 0; i < n; i++) {
			free(tasks[i].dst_path);
			free(tasks[i].basis);
		}
		free(tasks);
	}
	/* A bad task after three full statements: nothing of the job stays. */
	ASSERT_INT_EQ(store_job_get(st, id + 1, &j, NULL), FERRY_ERR_NOTFOUND);
	memset(&g, 0, sizeof g);
	g.n = 500;
	g.bad_at = 400;
	ASSERT_INT_EQ(store_job_create_stream(st, &job, rows_next, &g, 100,
	    &id, &i, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "task 401");
	free(cause);
	n = 0;
	ASSERT_INT_EQ(store_job_list(st, STORE_ANY, 0, count_jobs, &n, NULL),
	    0);
	ASSERT_INT_EQ(n, 2 * sizeof sizes / sizeof sizes[0]);
	store_close(st);
}

static void
test_big_job(void)
{
	struct store		*st = open_jobs_db("big");
	struct store_job	 j;
	struct timespec		 t0, t1;
	size_t			 n = 0;
	int64_t			 id;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	id = make_job(st, "la", 500, 100000, "/dst/frame.", 0, 100);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "store_job_create: 100000 tasks in %.3f s\n",
	    (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	ASSERT_TRUE(id > 0);
	ASSERT_INT_EQ(store_job_get(st, id, &j, NULL), 0);
	ASSERT_INT_EQ(j.ntasks, 100000);
	ASSERT_INT_EQ(j.count[STORE_QUEUED], 100000);
	ASSERT_INT_EQ(j.bytes_total, 100000 * 100);
	ASSERT_INT_EQ(j.state, STORE_RUNNING);
	store_job_clear(&j);
	ASSERT_INT_EQ(store_job_tasks(st, id, count_tasks, &n, NULL), 0);
	ASSERT_INT_EQ(n, 100000);
	/* Cancelling it touches every task, in one transaction. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_INT_EQ(store_job_cancel(st, id, "tester", 200, &n, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "store_job_cancel: 100000 tasks in %.3f s\n",
	    (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	ASSERT_INT_EQ(n, 100000);
	ASSERT_INT_EQ(job_state(st, id), STORE_CANCELLED);
	store_close(st);
}

enum op { OP_START, OP_DONE, OP_FAIL, OP_CANCEL, OP_PAUSE, OP_RESUME,
    OP_RETRY, OP_COUNT };

static int
run_op(struct store *st, int64_t t, enum op op, int64_t now, char **cause)
{
	switch (op) {
	case OP_START:
		return (store_task_start(st, t, now, cause));
	case OP_DONE:
		return (store_task_done(st, t, now, cause));
	case OP_FAIL:
		return (store_task_fail(st, t, "boom", now, cause));
	case OP_CANCEL:
		return (store_task_cancel(st, t, now, cause));
	case OP_PAUSE:
		return (store_task_pause(st, t, now, cause));
	case OP_RESUME:
		return (store_task_resume(st, t, now, cause));
	default:
		return (store_task_retry(st, t, now, cause));
	}
}

/* A new one-task job (max_attempts 1) whose task is in state s. */
static int64_t
task_in(struct store *st, enum store_state s, int *seq)
{
	char	fmt[64];
	int64_t	job, t;

	/* Each its own destination, so that none waits for another. */
	snprintf(fmt, sizeof fmt, "/dst/t%d-", (*seq)++);
	job = make_job(st, "la", 1, 1, fmt, 1, 10);
	t = first_task(st, job);
	switch (s) {
	case STORE_RUNNING:
		ASSERT_INT_EQ(store_task_start(st, t, 11, NULL), 0);
		break;
	case STORE_DONE:
	case STORE_FAILED:
		ASSERT_INT_EQ(store_task_start(st, t, 11, NULL), 0);
		ASSERT_INT_EQ(run_op(st, t, s == STORE_DONE ? OP_DONE :
		    OP_FAIL, 12, NULL), 0);
		break;
	case STORE_CANCELLED:
		ASSERT_INT_EQ(store_task_cancel(st, t, 11, NULL), 0);
		break;
	case STORE_PAUSED:
		ASSERT_INT_EQ(store_task_pause(st, t, 11, NULL), 0);
		break;
	default:
		break;
	}
	ASSERT_INT_EQ(task_state(st, t), s);
	return (t);
}

static void
test_transitions(void)
{
	/* The state each operation leads to from each state; -1: illegal. */
	static const int	 expect[STORE_STATE_COUNT][OP_COUNT] = {
		[STORE_QUEUED] = { STORE_RUNNING, -1, -1, STORE_CANCELLED,
		    STORE_PAUSED, -1, -1 },
		[STORE_RUNNING] = { -1, STORE_DONE, STORE_FAILED,
		    STORE_CANCELLED, STORE_PAUSED, -1, -1 },
		[STORE_DONE] = { -1, -1, -1, -1, -1, -1, -1 },
		[STORE_FAILED] = { -1, -1, -1, STORE_CANCELLED, -1, -1,
		    STORE_QUEUED },
		[STORE_CANCELLED] = { -1, -1, -1, -1, -1, -1, -1 },
		[STORE_PAUSED] = { -1, -1, -1, STORE_CANCELLED, -1,
		    STORE_QUEUED, -1 },
	};
	struct store	*st = open_jobs_db("moves");
	char		*cause = NULL;
	int64_t		 t;
	int		 s, op, r, seq = 0;

	for (s = 0; s < STORE_STATE_COUNT; s++) {
		for (op = 0; op < OP_COUNT; op++) {
			t = task_in(st, (enum store_state)s, &seq);
			r = run_op(st, t, (enum op)op, 20, &cause);
			if (expect[s][op] < 0) {
				if (r != FERRY_ERR_STATE)
					TEST_FAIL("op %d from %s: %d", op,
					    store_state_name(s), r);
				ASSERT_STR_CONTAINS(cause,
				    store_state_name((enum store_state)s));
				ASSERT_INT_EQ(task_state(st, t), s);
			} else {
				if (r != 0)
					TEST_FAIL("op %d from %s: %s", op,
					    store_state_name(s), cause);
				ASSERT_INT_EQ(task_state(st, t), expect[s][op]);
			}
		}
	}
	ASSERT_INT_EQ(store_task_start(st, 999999, 1, &cause),
	    FERRY_ERR_NOTFOUND);
	/* Progress only while running. */
	t = task_in(st, STORE_QUEUED, &seq);
	ASSERT_INT_EQ(store_task_progress(st, t, 5, 12, &cause),
	    FERRY_ERR_STATE);
	ASSERT_INT_EQ(store_task_start(st, t, 12, NULL), 0);
	ASSERT_INT_EQ(store_task_progress(st, t, 50, 13, NULL), 0);
	/* Never beyond the task's size, nor below 0 (progress-forged.sh). */
	ASSERT_INT_EQ(store_task_progress(st, t, INT64_MAX, 13, NULL),
	    FERRY_ERR_INVAL);
	ASSERT_INT_EQ(store_task_progress(st, t, -1, 13, NULL),
	    FERRY_ERR_INVAL);
	ASSERT_INT_EQ(store_task_done(st, t, 14, NULL), 0);
	free(cause);
	store_close(st);
}

static void
test_backoff(void)
{
	struct store		*st = open_jobs_db("backoff");
	struct store_task	 t;
	struct ids		 ids;
	int64_t			 job, id, now = 1000;
	static const int64_t	 waits[] = { 10, 20, 40, 80 };
	int			 i;

	store_set_retry(st, 10, 100, 5);
	ASSERT_INT_EQ(store_backoff(st, 1), 10);
	ASSERT_INT_EQ(store_backoff(st, 3), 40);
	ASSERT_INT_EQ(store_backoff(st, 5), 100);
	ASSERT_INT_EQ(store_backoff(st, 1000), 100);
	job = make_job(st, "la", 1, 1, "/dst/b", 0, now);
	id = first_task(st, job);
	for (i = 0; i < 4; i++) {
		ASSERT_INT_EQ(store_task_start(st, id, now, NULL), 0);
		ASSERT_INT_EQ(store_task_fail(st, id, "net down", now, NULL),
		    0);
		ASSERT_INT_EQ(store_task_get(st, id, &t, NULL), 0);
		ASSERT_INT_EQ(t.state, STORE_QUEUED);
		ASSERT_INT_EQ(t.attempts, i + 1);
		ASSERT_INT_EQ(t.max_attempts, 5);
		ASSERT_INT_EQ(t.next_try, now + waits[i]);
		ASSERT_STR_EQ(t.error, "net down");
		store_task_clear(&t);
		ASSERT_INT_EQ(job_state(st, job), STORE_RUNNING);
		/* Not due before its time, due at it. */
		memset(&ids, 0, sizeof ids);
		ASSERT_INT_EQ(store_task_next(st, now + waits[i] - 1, 10,
		    collect_ids, &ids, NULL), 0);
		ASSERT_INT_EQ(ids.n, 0);
		now += waits[i];
		ASSERT_INT_EQ(store_task_next(st, now, 10, collect_ids, &ids,
		    NULL), 0);
		ASSERT_INT_EQ(ids.n, 1);
	}
	/* The fifth failure is final. */
	ASSERT_INT_EQ(store_task_start(st, id, now, NULL), 0);
	ASSERT_INT_EQ(store_task_fail(st, id, "still down", now, NULL), 0);
	ASSERT_INT_EQ(store_task_get(st, id, &t, NULL), 0);
	ASSERT_INT_EQ(t.state, STORE_FAILED);
	ASSERT_INT_EQ(t.attempts, 5);
	ASSERT_STR_EQ(t.error, "still down");
	store_task_clear(&t);
	ASSERT_INT_EQ(job_state(st, job), STORE_FAILED);
	/* A job retry resets the count and is due at once. */
	ASSERT_INT_EQ(store_job_retry(st, job, "tester", now + 1, NULL, NULL),
	    0);
	ASSERT_INT_EQ(store_task_get(st, id, &t, NULL), 0);
	ASSERT_INT_EQ(t.state, STORE_QUEUED);
	ASSERT_INT_EQ(t.attempts, 0);
	ASSERT_INT_EQ(t.next_try, now + 1);
	store_task_clear(&t);
	ASSERT_INT_EQ(job_state(st, job), STORE_RUNNING);
	store_close(st);
}

static void
test_priority(void)
{
	struct store	*st = open_jobs_db("priority");
	struct ids	 ids;
	int64_t		 low, mid1, mid2, high;

	low = make_job(st, "la", 10, 2, "/dst/low", 0, 100);
	mid1 = make_job(st, "la", 500, 2, "/dst/mid1-", 0, 101);
	mid2 = make_job(st, "la", 500, 2, "/dst/mid2-", 0, 102);
	high = make_job(st, "la", 1000, 2, "/dst/high", 0, 103);
	memset(&ids, 0, sizeof ids);
	ASSERT_INT_EQ(store_task_next(st, 200, 0, collect_ids, &ids, NULL),
	    0);
	ASSERT_INT_EQ(ids.n, 8);
	ASSERT_INT_EQ(ids.id[0], first_task(st, high));
	ASSERT_INT_EQ(ids.id[1], first_task(st, high) + 1);
	ASSERT_INT_EQ(ids.id[2], first_task(st, mid1));
	ASSERT_INT_EQ(ids.id[4], first_task(st, mid2));
	ASSERT_INT_EQ(ids.id[6], first_task(st, low));
	memset(&ids, 0, sizeof ids);
	ASSERT_INT_EQ(store_task_next(st, 200, 3, collect_ids, &ids, NULL),
	    0);
	ASSERT_INT_EQ(ids.n, 3);
	/* Nothing is due before the jobs were created. */
	memset(&ids, 0, sizeof ids);
	ASSERT_INT_EQ(store_task_next(st, 99, 0, collect_ids, &ids, NULL), 0);
	ASSERT_INT_EQ(ids.n, 0);
	store_close(st);
}

/* Many destinations in one call, each handed out once (the set grows). */
static void
test_duplicates_many(void)
{
	struct store	*st = open_jobs_db("dupsmany");
	size_t		 n = 0;

	make_job(st, "la", 100, 1000, "/show/a/f", 0, 100);
	make_job(st, "la", 100, 1000, "/show/a/f", 0, 101);
	make_job(st, "la", 100, 300, "/show/b/f", 0, 102);
	ASSERT_INT_EQ(store_task_next(st, 200, 0, count_tasks, &n, NULL), 0);
	ASSERT_INT_EQ(n, 1300);
	store_close(st);
}

static void
test_duplicates(void)
{
	struct store	*st = open_jobs_db("dups");
	struct ids	 ids;
	char		*cause = NULL;
	int64_t		 a, b, c, ta, tb, tc;

	/* Pressing Send twice: two jobs, one destination file. */
	a = make_job(st, "la", 100, 1, "/show/shot/file", 0, 100);
	b = make_job(st, "la", 900, 1, "/show/shot/file", 0, 101);
	c = make_job(st, "hq", 100, 1, "/show/shot/file", 0, 102);
	ta = first_task(st, a);
	tb = first_task(st, b);
	tc = first_task(st, c);
	/* Not yet running: only the first of the two is handed out. */
	memset(&ids, 0, sizeof ids);
	ASSERT_INT_EQ(store_task_next(st, 200, 0, collect_ids, &ids, NULL),
	    0);
	ASSERT_INT_EQ(ids.n, 2);
	ASSERT_INT_EQ(ids.id[0], tb);
	ASSERT_INT_EQ(ids.id[1], tc);
	/* The earlier one runs: the later one waits. */
	ASSERT_INT_EQ(store_task_start(st, ta, 200, NULL), 0);
	memset(&ids, 0, sizeof ids);
	ASSERT_INT_EQ(store_task_next(st, 200, 0, collect_ids, &ids, NULL),
	    0);
	ASSERT_INT_EQ(ids.n, 1);
	ASSERT_INT_EQ(ids.id[0], tc);
	ASSERT_INT_EQ(store_task_start(st, tb, 200, &cause), FERRY_ERR_STATE);
	ASSERT_STR_CONTAINS(cause, "same destination");
	ASSERT_INT_EQ(task_state(st, tb), STORE_QUEUED);
	/* Another site's file of the same path is not the same file. */
	ASSERT_INT_EQ(store_task_start(st, tc, 200, NULL), 0);
	ASSERT_INT_EQ(store_task_done(st, ta, 210, NULL), 0);
	memset(&ids, 0, sizeof ids);
	ASSERT_INT_EQ(store_task_next(st, 210, 0, collect_ids, &ids, NULL),
	    0);
	ASSERT_INT_EQ(ids.n, 1);
	ASSERT_INT_EQ(ids.id[0], tb);
	ASSERT_INT_EQ(store_task_start(st, tb, 210, NULL), 0);
	free(cause);
	store_close(st);
}

static void
test_recover_stuck(void)
{
	struct store		*st = open_jobs_db("recover");
	struct store_task	 t;
	struct store_job	 j;
	size_t			 n;
	int64_t			 job, id;

	store_set_retry(st, 10, 100, 3);
	job = make_job(st, "la", 1, 3, "/dst/r", 0, 100);
	id = first_task(st, job);
	ASSERT_INT_EQ(store_task_start(st, id, 100, NULL), 0);
	ASSERT_INT_EQ(store_task_progress(st, id, 40, 110, NULL), 0);
	ASSERT_INT_EQ(store_task_start(st, id + 1, 100, NULL), 0);
	ASSERT_INT_EQ(store_recover(st, 500, &n, NULL), 0);
	ASSERT_INT_EQ(n, 2);
	ASSERT_INT_EQ(store_task_get(st, id, &t, NULL), 0);
	ASSERT_INT_EQ(t.state, STORE_QUEUED);
	ASSERT_INT_EQ(t.attempts, 0);
	ASSERT_INT_EQ(t.next_try, 500);
	ASSERT_INT_EQ(t.bytes_done, 40);	/* a partial file resumes */
	store_task_clear(&t);
	ASSERT_INT_EQ(store_job_get(st, job, &j, NULL), 0);
	ASSERT_INT_EQ(j.count[STORE_QUEUED], 3);
	ASSERT_INT_EQ(j.count[STORE_RUNNING], 0);
	ASSERT_INT_EQ(j.bytes_done, 40);
	store_job_clear(&j);
	ASSERT_INT_EQ(store_recover(st, 500, &n, NULL), 0);
	ASSERT_INT_EQ(n, 0);

	/* Stuck: one without progress since 600, one fresh. */
	ASSERT_INT_EQ(store_task_start(st, id, 600, NULL), 0);
	ASSERT_INT_EQ(store_task_start(st, id + 1, 600, NULL), 0);
	ASSERT_INT_EQ(store_task_progress(st, id + 1, 10, 690, NULL), 0);
	ASSERT_INT_EQ(store_stuck(st, 700, 60, &n, NULL), 0);
	ASSERT_INT_EQ(n, 1);
	ASSERT_INT_EQ(store_task_get(st, id, &t, NULL), 0);
	ASSERT_INT_EQ(t.state, STORE_QUEUED);	/* retried */
	ASSERT_INT_EQ(t.attempts, 1);
	ASSERT_INT_EQ(t.next_try, 710);
	ASSERT_STR_EQ(t.error, "stalled: no progress for 100 s");
	store_task_clear(&t);
	ASSERT_INT_EQ(task_state(st, id + 1), STORE_RUNNING);
	ASSERT_INT_EQ(store_stuck(st, 700, 0, &n, NULL), FERRY_ERR_INVAL);
	store_close(st);
}

static void
check_counts(struct store *st, int64_t job, int q, int r, int d, int f,
    int c, int p)
{
	struct store_job	j;

	ASSERT_INT_EQ(store_job_get(st, job, &j, NULL), 0);
	ASSERT_INT_EQ(j.count[STORE_QUEUED], q);
	ASSERT_INT_EQ(j.count[STORE_RUNNING], r);
	ASSERT_INT_EQ(j.count[STORE_DONE], d);
	ASSERT_INT_EQ(j.count[STORE_FAILED], f);
	ASSERT_INT_EQ(j.count[STORE_CANCELLED], c);
	ASSERT_INT_EQ(j.count[STORE_PAUSED], p);
	store_job_clear(&j);
}

struct seen_jobs {
	int64_t	id[16];
	size_t	n;
};

static int
collect_jobs(void *arg, const struct store_job *j)
{
	struct seen_jobs	*s = arg;

	if (s->n < 16)
		s->id[s->n++] = j->id;
	return (0);
}

static int
count_audit(void *arg, const struct store_audit *a)
{
	if (strcmp(a->what, "job.pause") == 0)
		(*(int *)arg)++;
	return (0);
}

static void
test_job_state(void)
{
	struct store		*st = open_jobs_db("jobstate");
	struct seen_jobs	 seen;
	char			*cause = NULL;
	size_t			 n;
	int64_t			 job, t, other;
	int			 pauses = 0;

	job = make_job(st, "la", 1, 3, "/dst/s", 1, 100);
	t = first_task(st, job);
	ASSERT_INT_EQ(job_state(st, job), STORE_RUNNING);
	check_counts(st, job, 3, 0, 0, 0, 0, 0);
	ASSERT_INT_EQ(store_task_start(st, t, 101, NULL), 0);
	ASSERT_INT_EQ(store_task_done(st, t, 102, NULL), 0);
	ASSERT_INT_EQ(store_task_start(st, t + 1, 103, NULL), 0);
	check_counts(st, job, 1, 1, 1, 0, 0, 0);
	/* Pause: queued and running tasks; done stays done. */
	ASSERT_INT_EQ(store_job_pause(st, job, "alice", 104, &n, NULL), 0);
	ASSERT_INT_EQ(n, 2);
	ASSERT_INT_EQ(job_state(st, job), STORE_PAUSED);
	check_counts(st, job, 0, 0, 1, 0, 0, 2);
	ASSERT_INT_EQ(store_job_pause(st, job, "alice", 104, NULL, &cause),
	    FERRY_ERR_STATE);
	ASSERT_STR_CONTAINS(cause, "is paused");
	ASSERT_INT_EQ(store_job_resume(st, job, "alice", 105, &n, NULL), 0);
	ASSERT_INT_EQ(n, 2);
	ASSERT_INT_EQ(job_state(st, job), STORE_RUNNING);
	/* One fails for good, one is still to run: running. */
	ASSERT_INT_EQ(store_task_start(st, t + 1, 106, NULL), 0);
	ASSERT_INT_EQ(store_task_fail(st, t + 1, "disk full", 107, NULL), 0);
	ASSERT_INT_EQ(job_state(st, job), STORE_RUNNING);
	/* None left to run: failed beats cancelled. */
	ASSERT_INT_EQ(store_task_cancel(st, t + 2, 108, NULL), 0);
	ASSERT_INT_EQ(job_state(st, job), STORE_FAILED);
	check_counts(st, job, 0, 0, 1, 1, 1, 0);
	ASSERT_INT_EQ(store_job_retry(st, job, "alice", 109, &n, NULL), 0);
	ASSERT_INT_EQ(n, 1);
	ASSERT_INT_EQ(store_task_start(st, t + 1, 110, NULL), 0);
	ASSERT_INT_EQ(store_task_done(st, t + 1, 111, NULL), 0);
	ASSERT_INT_EQ(job_state(st, job), STORE_CANCELLED);
	check_counts(st, job, 0, 0, 2, 0, 1, 0);
	ASSERT_INT_EQ(store_job_cancel(st, job, "alice", 112, NULL, &cause),
	    FERRY_ERR_STATE);
	ASSERT_INT_EQ(store_job_retry(st, job, "alice", 112, NULL, &cause),
	    FERRY_ERR_STATE);

	/* All done: done. */
	other = make_job(st, "la", 1, 2, "/dst/o", 1, 200);
	t = first_task(st, other);
	ASSERT_INT_EQ(store_task_start(st, t, 201, NULL), 0);
	ASSERT_INT_EQ(store_task_done(st, t, 202, NULL), 0);
	ASSERT_INT_EQ(store_task_start(st, t + 1, 203, NULL), 0);
	ASSERT_INT_EQ(store_task_done(st, t + 1, 204, NULL), 0);
	ASSERT_INT_EQ(job_state(st, other), STORE_DONE);
	ASSERT_INT_EQ(store_job_cancel(st, 424242, "alice", 1, NULL, &cause),
	    FERRY_ERR_NOTFOUND);

	/* The list: newest first, filtered, limited. */
	memset(&seen, 0, sizeof seen);
	ASSERT_INT_EQ(store_job_list(st, STORE_ANY, 0, collect_jobs, &seen,
	    NULL), 0);
	ASSERT_INT_EQ(seen.n, 2);
	ASSERT_INT_EQ(seen.id[0], other);
	ASSERT_INT_EQ(seen.id[1], job);
	memset(&seen, 0, sizeof seen);
	ASSERT_INT_EQ(store_job_list(st, STORE_CANCELLED, 0, collect_jobs,
	    &seen, NULL), 0);
	ASSERT_INT_EQ(seen.n, 1);
	ASSERT_INT_EQ(seen.id[0], job);
	memset(&seen, 0, sizeof seen);
	ASSERT_INT_EQ(store_job_list(st, STORE_ANY, 1, collect_jobs, &seen,
	    NULL), 0);
	ASSERT_INT_EQ(seen.n, 1);

	/* The history says who did what. */
	ASSERT_INT_EQ(store_audit_list(st, 0, 0, count_audit, &pauses, NULL),
	    0);
	ASSERT_INT_EQ(pauses, 1);
	ASSERT_INT_EQ(store_job_set_meta(st, job, "{\"ftrack\":\"abc\"}", 300,
	    NULL), 0);
	free(cause);
	store_close(st);
}

static void
test_job_errors(void)
{
	struct store		*st = open_jobs_db("joberr");
	struct store_job	 job, got;
	struct store_task	 task;
	char			*cause = NULL;
	int64_t			 id;

	memset(&job, 0, sizeof job);
	memset(&task, 0, sizeof task);
	job.submitter = "bob";
	job.from_site = "hq";
	job.to_site = "mars";
	task.src_path = "/a";
	task.dst_path = "/b";
	ASSERT_INT_EQ(store_job_create(st, &job, &task, 1, 1, &id, &cause),
	    FERRY_ERR_NOTFOUND);
	ASSERT_STR_CONTAINS(cause, "no site mars");
	job.to_site = NULL;
	job.to_user = "u@x";
	job.priority = 1001;
	ASSERT_INT_EQ(store_job_create(st, &job, &task, 1, 1, &id, &cause),
	    FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "priority");
	job.priority = 0;
	task.dst_path = "";
	ASSERT_INT_EQ(store_job_create(st, &job, &task, 1, 1, &id, &cause),
	    FERRY_ERR_INVAL);
	/* Nothing of a refused job is left behind. */
	ASSERT_INT_EQ(store_job_get(st, 1, &got, NULL), FERRY_ERR_NOTFOUND);
	task.dst_path = "/b";
	job.note = "for review";
	job.meta = "{\"ftrack\":null}";
	ASSERT_INT_EQ(store_job_create(st, &job, &task, 1, 1, &id, NULL), 0);
	ASSERT_INT_EQ(store_job_get(st, id, &got, NULL), 0);
	ASSERT_STR_EQ(got.to_user, "u@x");
	ASSERT_TRUE(got.to_site == NULL);
	ASSERT_STR_EQ(got.note, "for review");
	ASSERT_STR_EQ(got.meta, "{\"ftrack\":null}");
	store_job_clear(&got);
	free(cause);
	store_close(st);
}


/*
 * A transfer's tasks moved together (store_tasks_start, _done): the same
 * states and counters as one by one, only legal moves, none onto a
 * destination another task is writing; and a job's first error.
 */
static void
test_tasks_many(void)
{
	struct store		*st = open_jobs_db("many");
	struct store_job	 j;
	struct store_task	 t;
	struct ids		 ids;
	int64_t			 job, other, id, v[12];
	size_t			 moved, i;

	job = make_job(st, "la", 1, 10, "/dst/m", 0, 100);
	id = first_task(st, job);
	/* Another job writes /dst/m0 already: that task must wait. */
	other = make_job(st, "la", 1, 1, "/dst/m", 0, 100);
	ASSERT_INT_EQ(store_task_start(st, first_task(st, other), 100, NULL),
	    0);
	/* Two runs (ids 0-4, 6-9) in any order, a duplicate, one paused. */
	ASSERT_INT_EQ(store_task_pause(st, id + 5, 100, NULL), 0);
	for (i = 0; i < 10; i++)
		v[i] = id + 9 - (int64_t)i;
	v[10] = id + 2;
	ASSERT_INT_EQ(store_tasks_start(st, job, v, 11, 101, &moved, NULL), 0);
	ASSERT_INT_EQ(moved, 8);	/* not m0 (busy), not m5 (paused) */
	ASSERT_INT_EQ(task_state(st, id), STORE_QUEUED);
	ASSERT_INT_EQ(task_state(st, id + 5), STORE_PAUSED);
	ASSERT_INT_EQ(task_state(st, id + 9), STORE_RUNNING);
	ASSERT_INT_EQ(store_task_get(st, id + 1, &t, NULL), 0);
	ASSERT_INT_EQ(t.started, 101);
	ASSERT_INT_EQ(t.last_progress, 101);
	store_task_clear(&t);
	/* Ids of another job are not touched. */
	v[0] = first_task(st, other);
	ASSERT_INT_EQ(store_tasks_done(st, job, v, 1, 102, &moved, NULL), 0);
	ASSERT_INT_EQ(moved, 0);
	ASSERT_INT_EQ(task_state(st, v[0]), STORE_RUNNING);
	/* Some progress, then done: bytes counted once, to the size. */
	ASSERT_INT_EQ(store_task_progress(st, id + 1, 40, 102, NULL), 0);
	for (i = 0; i < 5; i++)
		v[i] = id + (int64_t)i;	/* m0 is queued: stays so */
	ASSERT_INT_EQ(store_tasks_done(st, job, v, 5, 103, &moved, NULL), 0);
	ASSERT_INT_EQ(moved, 4);
	ASSERT_INT_EQ(task_state(st, id), STORE_QUEUED);
	ASSERT_INT_EQ(store_job_get(st, job, &j, NULL), 0);
	ASSERT_INT_EQ(j.count[STORE_DONE], 4);
	ASSERT_INT_EQ(j.count[STORE_RUNNING], 4);
	ASSERT_INT_EQ(j.count[STORE_QUEUED], 1);
	ASSERT_INT_EQ(j.count[STORE_PAUSED], 1);
	ASSERT_INT_EQ(j.bytes_done, 400);
	ASSERT_INT_EQ(j.state, STORE_RUNNING);
	store_job_clear(&j);
	ASSERT_INT_EQ(store_task_get(st, id + 1, &t, NULL), 0);
	ASSERT_INT_EQ(t.state, STORE_DONE);
	ASSERT_INT_EQ(t.finished, 103);
	ASSERT_INT_EQ(t.bytes_done, 100);
	store_task_clear(&t);
	/* No error yet; then a failed attempt is the first error. */
	memset(&ids, 0, sizeof ids);
	ASSERT_INT_EQ(store_job_first_error(st, job, collect_ids, &ids, NULL),
	    0);
	ASSERT_INT_EQ(ids.n, 0);
	ASSERT_INT_EQ(store_task_fail(st, id + 8, "disk full", 104, NULL), 0);
	ASSERT_INT_EQ(store_task_fail(st, id + 7, "net down", 104, NULL), 0);
	ASSERT_INT_EQ(store_job_first_error(st, job, collect_ids, &ids, NULL),
	    0);
	ASSERT_INT_EQ(ids.n, 1);
	ASSERT_INT_EQ(ids.id[0], id + 7);
	/* The rest done: the job ends when its counters say so. */
	ASSERT_INT_EQ(store_task_resume(st, id + 5, 105, NULL), 0);
	for (i = 0; i < 10; i++)
		v[i] = id + (int64_t)i;
	ASSERT_INT_EQ(store_task_done(st, first_task(st, other), 105, NULL),
	    0);
	ASSERT_INT_EQ(store_tasks_start(st, job, v, 10, 106, &moved, NULL), 0);
	ASSERT_INT_EQ(moved, 4);	/* m0, m5, and m7, m8 after retry */
	ASSERT_INT_EQ(store_tasks_done(st, job, v, 10, 107, &moved, NULL), 0);
	ASSERT_INT_EQ(moved, 6);
	ASSERT_INT_EQ(job_state(st, job), STORE_DONE);
	ASSERT_INT_EQ(store_job_get(st, job, &j, NULL), 0);
	ASSERT_INT_EQ(j.count[STORE_DONE], 10);
	ASSERT_INT_EQ(j.count[STORE_RUNNING], 0);
	ASSERT_INT_EQ(j.bytes_done, 1000);
	store_job_clear(&j);
	store_close(st);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	test_big_job();
	test_job_rows();
	test_transitions();
	test_backoff();
	test_tasks_many();
	test_noop_job();
	test_priority();
	test_duplicates();
	test_duplicates_many();
	test_recover_stuck();
	test_job_state();
	test_job_errors();
	cleanup();
	return (TEST_DONE());
}
