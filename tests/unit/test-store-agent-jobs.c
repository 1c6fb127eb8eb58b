/*
 * A place's unfinished jobs from its agents (store_agent_jobs_open, for
 * max-agent-jobs: agent/hub-relay.c asks on every relayed send), on
 * SQLite and, through tests/pg/store.sh, on PostgreSQL: running and
 * paused jobs whose submitter is "PLACE (agent NAME)" count, whichever
 * of the place's agents sent them; finished ones, the admin's, another
 * place's (even one whose name begins the same) do not. A job made with
 * agent_jobs_max is refused in its own transaction once its place has
 * that many (4 requests at once all passed a count made before), by
 * store_job_create and store_job_open alike, and nothing of it stored.
 *
 * Then a figure, printed and never checked (the machine is shared): with
 * 10,000 other unfinished jobs in the store, the time of 100 counts
 * against 100 of the scans they replace (every running and paused job
 * read, its submitter compared), which the hub made under its lock.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "err.h"
#include "store.h"
#include "store-int.h"
#include "test.h"
#include "test-store-target.h"

#define OTHERS	10000
#define ROUNDS	100

static char	tmpdir[] = "/tmp/ferry-test-store-agent-jobs.XXXXXX";

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static int64_t
job(struct store *st, const char *by)
{
	struct store_job	 j;
	struct store_task	 t;
	int64_t			 id = 0;
	int			 r;
	char			*cause = NULL;

	memset(&j, 0, sizeof j);
	memset(&t, 0, sizeof t);
	j.submitter = (char *)by;
	j.from_site = "la";
	j.to_site = "ny";
	t.src_path = "/src/a";
	t.dst_path = "/dst/a";
	t.size = 1;
	if ((r = store_job_create(st, &j, &t, 1, 1, &id, &cause)) != 0)
		TEST_FAIL("store_job_create: %s", cause ? cause : err_str(r));
	free(cause);
	return (id);
}

/* A job by by, made with agent_jobs_max max: store_job_create's status. */
static int
job_max(struct store *st, const char *by, int64_t max, int64_t *id,
    char **cause)
{
	struct store_job	 j;
	struct store_task	 t;

	memset(&j, 0, sizeof j);
	memset(&t, 0, sizeof t);
	j.submitter = (char *)by;
	j.from_site = "la";
	j.to_site = "ny";
	j.agent_jobs_max = max;
	t.src_path = "/src/a";
	t.dst_path = "/dst/a";
	t.size = 1;
	return (store_job_create(st, &j, &t, 1, 1, id, cause));
}

static int64_t
open_jobs(struct store *st, const char *place)
{
	int64_t	n = -1;

	ASSERT_INT_EQ(store_agent_jobs_open(st, place, &n, NULL), 0);
	return (n);
}

/* The scan hub-relay.c made before: a callback per unfinished job. */
struct scan {
	const char	*by;
	size_t		 len;
	int64_t		 n;
};

static int
scan_cb(void *arg, const struct store_job *j)
{
	struct scan	*m = arg;

	if (j->submitter != NULL && strncmp(j->submitter, m->by, m->len) == 0)
		m->n++;
	return (0);
}

static int64_t
scan(struct store *st, const char *by)
{
	struct scan	m = { by, strlen(by), 0 };

	ASSERT_INT_EQ(store_job_list(st, STORE_RUNNING, 0, scan_cb, &m, NULL),
	    0);
	ASSERT_INT_EQ(store_job_list(st, STORE_PAUSED, 0, scan_cb, &m, NULL),
	    0);
	return (m.n);
}

int
main(void)
{
	struct store	*st = NULL;
	char		 path[300], by[64], *cause = NULL;
	int64_t		 a, b, n = 0;
	double		 t0, t1, t2;
	int		 i, r;

	if (mkdtemp(tmpdir) == NULL)
		return (1);
	snprintf(path, sizeof path, "%s/hub.db", tmpdir);
	if ((r = store_open(test_store_target(path), &st, &cause)) != 0) {
		fprintf(stderr, "store_open: %s\n", cause ? cause : err_str(r));
		return (1);
	}
	ASSERT_INT_EQ(store_site_add(st, "la", 1, NULL), 0);
	ASSERT_INT_EQ(store_site_add(st, "ny", 1, NULL), 0);

	ASSERT_INT_EQ(open_jobs(st, "fx@vendor.example"), 0);
	a = job(st, "fx@vendor.example (agent fx1)");
	b = job(st, "fx@vendor.example (agent fx2)");
	job(st, "fx@vendor.example (agent fx1)");
	/* Not the place's: the admin's, another's, a longer name. */
	job(st, "admin (uid 0)");
	job(st, "fx@vendor.example");
	job(st, "gx@vendor.example (agent gx1)");
	job(st, "fx@vendor.example.org (agent fx9)");
	job(st, " (agent nobody)");
	ASSERT_INT_EQ(open_jobs(st, "fx@vendor.example"), 3);
	ASSERT_INT_EQ(open_jobs(st, "gx@vendor.example"), 1);
	ASSERT_INT_EQ(open_jobs(st, "fx@vendor.example.org"), 1);
	ASSERT_INT_EQ(open_jobs(st, "admin"), 0);
	ASSERT_INT_EQ(open_jobs(st, ""), 0);
	/* Paused still counts; cancelled does not. */
	ASSERT_INT_EQ(store_job_pause(st, a, "t", 2, NULL, NULL), 0);
	ASSERT_INT_EQ(open_jobs(st, "fx@vendor.example"), 3);
	ASSERT_INT_EQ(store_job_cancel(st, b, "t", 3, NULL, NULL), 0);
	ASSERT_INT_EQ(open_jobs(st, "fx@vendor.example"), 2);
	ASSERT_INT_EQ(scan(st, "fx@vendor.example (agent "), 2);

	/*
	 * A store of version 14 (before the column) gets it filled from
	 * the submitters when it is opened: its jobs count at once.
	 */
	ASSERT_INT_EQ(db_sql(st->db, "DROP INDEX jobs_agent_open;"
	    "ALTER TABLE jobs DROP COLUMN agent_endpoint", NULL), 0);
	ASSERT_INT_EQ(db_sql(st->db, db_kind(st->db) == DB_SQLITE ?
	    "PRAGMA user_version = 14" :
	    "UPDATE ferry_schema SET version = 14 WHERE id = 1", NULL), 0);
	store_close(st);
	st = NULL;
	if ((r = store_open(test_store_target(path), &st, &cause)) != 0) {
		fprintf(stderr, "store_open: %s\n", cause ? cause : err_str(r));
		return (1);
	}
	ASSERT_INT_EQ(store_schema_version(st), 15);
	ASSERT_INT_EQ(open_jobs(st, "fx@vendor.example"), 2);
	ASSERT_INT_EQ(open_jobs(st, "gx@vendor.example"), 1);
	ASSERT_INT_EQ(open_jobs(st, "fx@vendor.example.org"), 1);
	ASSERT_INT_EQ(open_jobs(st, "admin"), 0);
	ASSERT_INT_EQ(open_jobs(st, ""), 0);

	/* The limit, kept as the job is stored. */
	ASSERT_INT_EQ(job_max(st, "fx@vendor.example (agent fx1)", 3, &a,
	    NULL), 0);
	ASSERT_INT_EQ(open_jobs(st, "fx@vendor.example"), 3);
	ASSERT_INT_EQ(job_max(st, "fx@vendor.example (agent fx2)", 3, &b,
	    &cause), FERRY_ERR_TOOBIG);
	ASSERT_TRUE(cause != NULL && strstr(cause, "3 jobs from "
	    "fx@vendor.example are not finished (max-agent-jobs 3)") != NULL);
	free(cause);
	cause = NULL;
	ASSERT_INT_EQ(open_jobs(st, "fx@vendor.example"), 3);
	{
		struct store_job	j;

		memset(&j, 0, sizeof j);
		j.submitter = "fx@vendor.example (agent fx1)";
		j.from_site = "la";
		j.to_site = "ny";
		j.agent_jobs_max = 3;
		ASSERT_INT_EQ(store_job_open(st, &j, 1, &b, NULL),
		    FERRY_ERR_TOOBIG);
		j.agent_jobs_max = 4;
		ASSERT_INT_EQ(store_job_open(st, &j, 1, &b, NULL), 0);
		/* Its tasks would come next: ended here as if done. */
		snprintf(by, sizeof by, "UPDATE jobs SET state = 'done' "
		    "WHERE id = %jd", (intmax_t)b);
		ASSERT_INT_EQ(db_sql(st->db, by, NULL), 0);
	}
	/* Not the place's jobs: the admin's, another's, with no limit. */
	ASSERT_INT_EQ(job_max(st, "admin (uid 0)", 1, &b, NULL), 0);
	ASSERT_INT_EQ(job_max(st, "gx@vendor.example (agent gx1)", 2, &b,
	    NULL), 0);
	ASSERT_INT_EQ(job_max(st, "fx@vendor.example (agent fx1)", 0, &b,
	    NULL), 0);
	ASSERT_INT_EQ(open_jobs(st, "fx@vendor.example"), 4);
	ASSERT_INT_EQ(store_job_cancel(st, a, "t", 3, NULL, NULL), 0);
	ASSERT_INT_EQ(store_job_cancel(st, b, "t", 3, NULL, NULL), 0);
	ASSERT_INT_EQ(open_jobs(st, "fx@vendor.example"), 2);

	/* The figure: 10,000 other places' jobs waiting. */
	ASSERT_INT_EQ(db_begin(st->db, NULL), 0);
	for (i = 0; i < OTHERS; i++) {
		snprintf(by, sizeof by, "ny (agent ny%d)", i % 7);
		job(st, by);
	}
	ASSERT_INT_EQ(db_end(st->db, 0, NULL), 0);
	t0 = now_s();
	for (i = 0; i < ROUNDS; i++)
		n += scan(st, "fx@vendor.example (agent ");
	t1 = now_s();
	for (i = 0; i < ROUNDS; i++)
		n += open_jobs(st, "fx@vendor.example");
	t2 = now_s();
	ASSERT_INT_EQ(n, 2 * 2 * ROUNDS);
	fprintf(stderr, "max-agent-jobs among %d unfinished jobs: %d scans "
	    "in %.4f s, %d counts in %.4f s\n", OTHERS + 6, ROUNDS, t1 - t0,
	    ROUNDS, t2 - t1);
	store_close(st);
	snprintf(path, sizeof path, "rm -rf %s", tmpdir);
	if (system(path) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return (TEST_DONE());
}
