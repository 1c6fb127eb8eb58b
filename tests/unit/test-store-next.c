/*
 * The dispatcher's walk of the queued tasks (agent/store/store-next.c,
 * store_task_next_where): destinations merged in priority, then id,
 * order across the cursors' chunks; a destination the caller cannot
 * serve is asked about once and its tasks are never read; and, on
 * SQLite, how the walk's statements and /metrics' retries figure run
 * (EXPLAIN QUERY PLAN: each must seek an index, not read every task).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "err.h"
#include "store.h"
#include "store-int.h"
#include "test.h"
#include "test-store-target.h"

static char	tmpdir[] = "/tmp/ferry-test-store-next.XXXXXX";

struct seen {
	size_t	 n;
	size_t	 far;		/* tasks to "far" handed out */
	int	 order_ok;
	int	 last_prio;
	int64_t	 last_id;
	int64_t	 first[16];
	size_t	 asked;		/* present() calls */
	size_t	 asked_far;
};

static int64_t
make_job(struct store *st, char *to, int prio, size_t n)
{
	struct store_job	 job;
	struct store_task	*t;
	char			 (*p)[32];
	int64_t			 id = 0;
	size_t			 i;

	memset(&job, 0, sizeof job);
	job.submitter = "tester";
	job.from_site = "hq";
	job.to_site = to;
	job.priority = prio;
	t = calloc(n, sizeof *t);
	p = calloc(n, sizeof *p);
	ASSERT_TRUE(t != NULL && p != NULL);
	for (i = 0; i < n; i++) {
		snprintf(p[i], sizeof p[i], "/d/%s-%d-%zu", to, prio, i);
		t[i].src_path = p[i];
		t[i].dst_path = p[i];
		t[i].size = 1;
		t[i].max_attempts = 5;
	}
	ASSERT_INT_EQ(store_job_create(st, &job, t, n, 100, &id, NULL), 0);
	free(t);
	free(p);
	return (id);
}

static int
seen_cb(void *arg, const struct store_task *t)
{
	struct seen	*s = arg;

	if (s->n > 0 && (t->priority > s->last_prio ||
	    (t->priority == s->last_prio && t->id <= s->last_id)))
		s->order_ok = 0;
	if (s->n < 16)
		s->first[s->n] = t->id;
	s->last_prio = t->priority;
	s->last_id = t->id;
	if (strcmp(t->dest, "far") == 0)
		s->far++;
	s->n++;
	return (0);
}

static int
not_far(void *arg, const char *dest)
{
	struct seen	*s = arg;

	s->asked++;
	if (strcmp(dest, "far") == 0) {
		s->asked_far++;
		return (0);
	}
	return (1);
}

static void
walk(struct store *st, size_t limit, int filter, struct seen *s)
{
	memset(s, 0, sizeof *s);
	s->order_ok = 1;
	ASSERT_INT_EQ(store_task_next_where(st, 200, limit,
	    filter ? not_far : NULL, seen_cb, s, NULL), 0);
	ASSERT_TRUE(s->order_ok);
}

/* Every step of sql's plan (SQLite) must name index and none be a SCAN. */
static char	*plans[8];
static size_t	 nplans;

static void
plan_uses(struct store *st, const char *sql, const char *index, int scan_ok)
{
	struct db_stmt	*s;
	char		*q, *cause = NULL;
	const char	*d;
	int		 r, named = 0;

	ASSERT_TRUE(asprintf(&q, "EXPLAIN QUERY PLAN %s", sql) != -1);
	plans[nplans++] = q;
	/* Statements are cached by address: q lives until the close. */
	ASSERT_INT_EQ(db_q(st->db, q, &s, &cause, ""), 0);
	while ((r = db_step(st->db, s, &cause)) == 1) {
		d = db_col_str(s, 3);
		fprintf(stderr, "plan: %s\n", d);
		if (strstr(d, index) != NULL)
			named = 1;
		if (strstr(d, "TEMP B-TREE") != NULL)
			TEST_FAIL("%s sorts: %s", sql, d);
		if (!scan_ok && strncmp(d, "SCAN", 4) == 0)
			TEST_FAIL("%s reads a whole table or index: %s", sql,
			    d);
	}
	ASSERT_INT_EQ(r, 0);
	if (!named)
		TEST_FAIL("%s does not use %s", sql, index);
}

static int
first_cb(void *arg, const struct store_task *t)
{
	int64_t	*id = arg;

	if (*id == 0)
		*id = t->id;
	return (0);
}

static void
retries(struct store *st, int64_t job)
{
	struct store_task	 t;
	int64_t			 id = 0;
	int			 i;

	/* The job's first task fails twice: one retry so far. */
	ASSERT_INT_EQ(store_job_tasks(st, job, first_cb, &id, NULL), 0);
	for (i = 0; i < 2; i++) {
		ASSERT_INT_EQ(store_task_start(st, id, 300 + i * 10000, NULL),
		    0);
		ASSERT_INT_EQ(store_task_fail(st, id, "boom", 301 + i * 10000,
		    NULL), 0);
	}
	ASSERT_INT_EQ(store_task_get(st, id, &t, NULL), 0);
	ASSERT_INT_EQ(t.attempts, 2);
	store_task_clear(&t);
}

static int
stat_cb(void *arg, const struct store_stat_row *row)
{
	*(int64_t *)arg = row->a;
	return (0);
}

int
main(void)
{
	struct store	*st = NULL;
	struct seen	 s;
	char		 path[300], *cause = NULL;
	int64_t		 far, hi, n = -1;
	int		 r;

	if (mkdtemp(tmpdir) == NULL)
		return (1);
	snprintf(path, sizeof path, "%s/hub.db", tmpdir);
	if ((r = store_open(test_store_target(path), &st, &cause)) != 0)
		TEST_FAIL("store_open: %s", cause ? cause : err_str(r));
	ASSERT_INT_EQ(store_site_add(st, "hq", 1, NULL), 0);
	ASSERT_INT_EQ(store_site_add(st, "la", 1, NULL), 0);
	ASSERT_INT_EQ(store_site_add(st, "ny", 1, NULL), 0);
	ASSERT_INT_EQ(store_site_add(st, "far", 1, NULL), 0);
	/* More than a cursor's chunk (64) per destination and priority. */
	far = make_job(st, "far", 500, 300);
	make_job(st, "ny", 500, 150);
	make_job(st, "la", 500, 70);
	hi = make_job(st, "la", 900, 3);
	make_job(st, "ny", 100, 130);
	make_job(st, "far", 900, 5);

	/* All of them, merged in order: 658. */
	walk(st, 0, 0, &s);
	ASSERT_INT_EQ(s.n, 658);
	ASSERT_INT_EQ(s.far, 305);
	/* Without far: its tasks are not handed out, it is asked once. */
	walk(st, 0, 1, &s);
	ASSERT_INT_EQ(s.n, 353);
	ASSERT_INT_EQ(s.far, 0);
	ASSERT_INT_EQ(s.asked, 3);
	ASSERT_INT_EQ(s.asked_far, 1);
	/* The limit: the highest priority first, then the oldest. */
	walk(st, 5, 1, &s);
	ASSERT_INT_EQ(s.n, 5);
	ASSERT_INT_EQ(s.last_prio, 500);
	{
		struct store_task	t;

		ASSERT_INT_EQ(store_task_get(st, s.first[0], &t, NULL), 0);
		ASSERT_INT_EQ(t.job_id, hi);
		store_task_clear(&t);
	}

	/* /metrics' retries figure. */
	retries(st, far);
	ASSERT_INT_EQ(store_stat(st, STORE_STAT_RETRIES, stat_cb, &n, NULL),
	    0);
	ASSERT_INT_EQ(n, 1);

	if (test_store_pg())
		fprintf(stderr, "query plans: SQLite's only\n");
	else {
		plan_uses(st, store_next_sql_first, "tasks_queued_dest", 1);
		plan_uses(st, store_next_sql_after, "tasks_queued_dest", 0);
		plan_uses(st, store_next_sql_same, "tasks_queued_dest", 0);
		plan_uses(st, store_next_sql_lower, "tasks_queued_dest", 0);
		plan_uses(st, store_stat_sql[STORE_STAT_RETRIES],
		    "tasks_retried", 0);
	}
	store_close(st);
	while (nplans > 0)
		free(plans[--nplans]);
	unlink(path);
	snprintf(path, sizeof path, "rm -rf '%s'", tmpdir);
	if (system(path) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return (TEST_DONE());
}
