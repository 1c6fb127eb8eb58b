/*
 * A job being stored in batches runs what is stored of it (issue 14,
 * agent/hub-jobstore.c), on SQLite and, through tests/pg/store.sh, on
 * PostgreSQL: while the hub says it is being stored (store_set_storing),
 * its state stays running even with every stored task done, and no
 * "job" notice (a mail) is written; store_job_opened, its last batch's,
 * decides it (done here). store_job_unstore removes a job whose storing
 * failed, with the claims of its transfers between agents.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "store.h"
#include "store-int.h"
#include "test.h"
#include "test-store-target.h"

static char	tmpdir[] = "/tmp/ferry-test-store-storing.XXXXXX";

/* The job the "hub" is storing now (0: none). */
static int64_t	storing_id;

static int
storing(void *arg, int64_t id)
{
	(void)arg;
	return (id != 0 && id == storing_id);
}

/* The tasks of a batch: n of them, named from at. */
struct src {
	struct store_task	 t;
	char			 src[64], dst[64];
	int			 at, n;
};

static int
next(void *arg, const struct store_task **t, char **cause)
{
	struct src	*s = arg;

	(void)cause;
	if (s->n == 0)
		return (0);
	snprintf(s->src, sizeof s->src, "/src/f%d", s->at);
	snprintf(s->dst, sizeof s->dst, "/dst/f%d", s->at);
	memset(&s->t, 0, sizeof s->t);
	s->t.src_path = s->src;
	s->t.dst_path = s->dst;
	s->t.size = 1;
	s->at++;
	s->n--;
	*t = &s->t;
	return (1);
}

static void
append(struct store *st, const struct store_job *j, int64_t id, int at,
    int n)
{
	struct src	s;
	size_t		added = 0;

	memset(&s, 0, sizeof s);
	s.at = at;
	s.n = n;
	ASSERT_INT_EQ(store_job_append(st, j, id, next, &s, 100, (size_t)at,
	    1, &added, NULL), 0);
	ASSERT_INT_EQ((int)added, n);
}

static enum store_state
state(struct store *st, int64_t id)
{
	struct store_job	j;
	enum store_state	s;

	ASSERT_INT_EQ(store_job_get(st, id, &j, NULL), 0);
	s = j.state;
	store_job_clear(&j);
	return (s);
}

static int64_t
count(struct store *st, const char *sql, int64_t id)
{
	struct db_stmt	*s;
	int64_t		 n;

	ASSERT_INT_EQ(db_q(st->db, sql, &s, NULL, "i", id), 0);
	ASSERT_TRUE(db_step(st->db, s, NULL) > 0);
	n = db_col_int64(s, 0);
	db_reset(s);
	return (n);
}

/* The task ids of job id, in order, into ids (n of them). */
static void
task_ids(struct store *st, int64_t id, int64_t *ids, int n)
{
	struct db_stmt	*s;
	int		 i;

	ASSERT_INT_EQ(db_q(st->db, "SELECT id FROM tasks WHERE job_id = ?"
	    " ORDER BY id", &s, NULL, "i", id), 0);
	for (i = 0; i < n; i++) {
		ASSERT_TRUE(db_step(st->db, s, NULL) > 0);
		ids[i] = db_col_int64(s, 0);
	}
	db_reset(s);
}

int
main(void)
{
	static const char	 notices[] = "SELECT count(*) FROM notices"
	    " WHERE kind = 'job' AND job_id = ?";
	static const char	 claims[] = "SELECT count(*) FROM claims"
	    " WHERE job_id = ?";
	struct store		*st = NULL;
	struct store_job	 j, g;
	struct store_claim	 c;
	char			 path[300], *cause = NULL;
	int64_t			 id, id2, ids[3];
	size_t			 moved = 0;
	int			 more = 1, r;

	if (mkdtemp(tmpdir) == NULL)
		return (1);
	snprintf(path, sizeof path, "%s/hub.db", tmpdir);
	if ((r = store_open(test_store_target(path), &st, &cause)) != 0) {
		fprintf(stderr, "store_open: %s\n", cause ? cause : err_str(r));
		return (1);
	}
	ASSERT_INT_EQ(store_site_add(st, "la", 1, NULL), 0);
	ASSERT_INT_EQ(store_site_add(st, "ny", 1, NULL), 0);
	store_set_storing(st, storing, NULL);
	memset(&j, 0, sizeof j);
	j.submitter = "td";
	j.from_site = "la";
	j.to_site = "ny";

	/* Two of three tasks stored, both run and done: still running. */
	ASSERT_INT_EQ(store_job_open(st, &j, 1, &id, NULL), 0);
	storing_id = id;
	append(st, &j, id, 0, 2);
	task_ids(st, id, ids, 2);
	ASSERT_INT_EQ(store_tasks_start(st, id, ids, 2, 2, &moved, NULL), 0);
	ASSERT_INT_EQ((int)moved, 2);
	ASSERT_INT_EQ(store_tasks_done(st, id, ids, 2, 3, &moved, NULL), 0);
	ASSERT_INT_EQ((int)moved, 2);
	ASSERT_INT_EQ(state(st, id), STORE_RUNNING);
	ASSERT_INT_EQ(count(st, notices, id), 0);
	/* A held start's done (queued -> done) alike. */
	append(st, &j, id, 2, 1);
	task_ids(st, id, ids, 3);
	ASSERT_INT_EQ(store_tasks_hold(st, id, 4, NULL), 0);
	ASSERT_INT_EQ(store_tasks_done_held(st, id, ids + 2, 1, 4, 5, &moved,
	    NULL), 0);
	ASSERT_INT_EQ((int)moved, 1);
	ASSERT_INT_EQ(state(st, id), STORE_RUNNING);
	ASSERT_INT_EQ(count(st, notices, id), 0);
	/* The last batch in: its end decided there, its notice written. */
	ASSERT_INT_EQ(db_begin(st->db, NULL), 0);
	ASSERT_INT_EQ(store_job_opened(st, &j, id, 3, 6, NULL), 0);
	ASSERT_INT_EQ(db_end(st->db, 0, NULL), 0);
	storing_id = 0;
	ASSERT_INT_EQ(state(st, id), STORE_DONE);
	ASSERT_INT_EQ(count(st, notices, id), 1);

	/* One whose last batch leaves work: running, no notice. */
	ASSERT_INT_EQ(store_job_open(st, &j, 7, &id2, NULL), 0);
	storing_id = id2;
	append(st, &j, id2, 10, 2);
	task_ids(st, id2, ids, 2);
	ASSERT_INT_EQ(store_tasks_start(st, id2, ids, 1, 8, &moved, NULL), 0);
	ASSERT_INT_EQ(store_tasks_done(st, id2, ids, 1, 8, &moved, NULL), 0);
	ASSERT_INT_EQ(store_job_opened(st, &j, id2, 2, 9, NULL), 0);
	storing_id = 0;
	ASSERT_INT_EQ(state(st, id2), STORE_RUNNING);
	ASSERT_INT_EQ(count(st, notices, id2), 0);

	/* Removed after a failed storing: its tasks, claims and row. */
	memset(&c, 0, sizeof c);
	c.id = 9001;
	c.job_id = id2;
	c.run = 1;
	c.send_name = c.recv_name = "a";
	c.send_fp = c.recv_fp = "fp";
	c.started = 9;
	c.tasks = ids;
	c.n = 2;
	ASSERT_INT_EQ(store_claim_add(st, &c, NULL), 0);
	ASSERT_INT_EQ(count(st, claims, id2), 1);
	while (more)
		ASSERT_INT_EQ(store_job_unstore(st, id2, 1, &more, NULL), 0);
	ASSERT_INT_EQ(count(st, claims, id2), 0);
	ASSERT_INT_EQ(count(st, "SELECT count(*) FROM claim_tasks WHERE"
	    " claim = ?", 9001), 0);
	ASSERT_INT_EQ(count(st, "SELECT count(*) FROM tasks WHERE"
	    " job_id = ?", id2), 0);
	ASSERT_TRUE(store_job_get(st, id2, &g, NULL) != 0);
	/* The first one untouched. */
	ASSERT_INT_EQ(state(st, id), STORE_DONE);

	store_close(st);
	snprintf(path, sizeof path, "rm -rf %s", tmpdir);
	if (system(path) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return (TEST_DONE());
}
