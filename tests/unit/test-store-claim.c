/*
 * Claims on transfers between two agents (agent/store/store-claim.c,
 * issue 17), on SQLite and, through tests/pg/store.sh, on PostgreSQL:
 * a claim keeps its tasks by file index; recovery after a crash leaves a
 * claim's running tasks alone and queues the others; a claim is taken
 * over only from the run that owns it; released, its running tasks are
 * queued again and it is gone.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "store.h"
#include "test.h"
#include "test-store-target.h"

static char	tmpdir[] = "/tmp/ferry-test-store-claim.XXXXXX";

struct seen {
	size_t			n;
	struct store_claim	c;	/* the last */
};

static int
claim_cb(void *arg, struct store_claim *c)
{
	struct seen	*s = arg;

	s->n++;
	store_claim_clear(&s->c);
	s->c = *c;
	/* Taken: the store frees what the callback left. */
	memset(c, 0, sizeof *c);
	return (0);
}

struct ids {
	int64_t	v[3];
	size_t	n;
};

static int
task_cb(void *arg, const struct store_task *t)
{
	struct ids	*ids = arg;

	if (ids->n < 3)
		ids->v[ids->n++] = t->id;
	return (0);
}

static enum store_state
state_of(struct store *st, int64_t id)
{
	struct store_task	t;
	enum store_state	s;

	ASSERT_INT_EQ(store_task_get(st, id, &t, NULL), 0);
	s = t.state;
	store_task_clear(&t);
	return (s);
}

int
main(void)
{
	struct store		*st = NULL;
	struct store_job	 job;
	struct store_task	 t[3];
	struct store_claim	 c;
	struct seen		 seen;
	char			 path[300], *cause = NULL;
	struct ids		 got;
	int64_t			 id = 0, ids[3], order[2];
	size_t			 n = 0;
	int			 r;

	if (mkdtemp(tmpdir) == NULL)
		return (1);
	snprintf(path, sizeof path, "%s/hub.db", tmpdir);
	if ((r = store_open(test_store_target(path), &st, &cause)) != 0)
		TEST_FAIL("store_open: %s", cause ? cause : err_str(r));
	ASSERT_INT_EQ(store_site_add(st, "la", 1, NULL), 0);
	ASSERT_INT_EQ(store_site_add(st, "ny", 1, NULL), 0);
	memset(&job, 0, sizeof job);
	memset(t, 0, sizeof t);
	job.submitter = "tester";
	job.from_site = "la";
	job.to_site = "ny";
	t[0].src_path = "/src/a"; t[0].dst_path = "/dst/a";
	t[1].src_path = "/src/b"; t[1].dst_path = "/dst/b";
	t[2].src_path = "/src/c"; t[2].dst_path = "/dst/c";
	ASSERT_INT_EQ(store_job_create(st, &job, t, 3, 1, &id, NULL), 0);
	memset(&got, 0, sizeof got);
	ASSERT_INT_EQ(store_job_tasks(st, id, task_cb, &got, NULL), 0);
	ASSERT_INT_EQ((int)got.n, 3);
	memcpy(ids, got.v, sizeof ids);
	ASSERT_INT_EQ(store_tasks_start(st, id, ids, 3, 2, &n, NULL), 0);
	ASSERT_INT_EQ((int)n, 3);

	/* Two of them in one transfer, in the transfer's order: c, a. */
	order[0] = ids[2];
	order[1] = ids[0];
	memset(&c, 0, sizeof c);
	c.id = 7001;
	c.job_id = id;
	c.run = 7000;
	c.send_name = "la-server";
	c.send_fp = "SENDER";
	c.recv_name = "ny-server";
	c.recv_fp = "RECEIVER";
	c.started = 2;
	c.tasks = order;
	c.n = 2;
	ASSERT_INT_EQ(store_claim_add(st, &c, NULL), 0);
	/* The same transfer twice: refused, the first kept. */
	ASSERT_INT_EQ(store_claim_add(st, &c, NULL) != 0, 1);

	/* After a crash: the unclaimed task is queued, the claimed run. */
	n = 0;
	ASSERT_INT_EQ(store_recover_unclaimed(st, 3, &n, NULL), 0);
	ASSERT_INT_EQ((int)n, 1);
	ASSERT_INT_EQ(state_of(st, ids[1]), STORE_QUEUED);
	ASSERT_INT_EQ(state_of(st, ids[0]), STORE_RUNNING);
	ASSERT_INT_EQ(state_of(st, ids[2]), STORE_RUNNING);

	/* One file done: the claim says which still runs, by index. */
	ASSERT_INT_EQ(store_tasks_done(st, id, &ids[2], 1, 4, NULL, NULL), 0);
	memset(&seen, 0, sizeof seen);
	ASSERT_INT_EQ(store_claims(st, claim_cb, &seen, NULL), 0);
	ASSERT_INT_EQ((int)seen.n, 1);
	ASSERT_INT_EQ(seen.c.id == 7001 && seen.c.job_id == id &&
	    seen.c.run == 7000 && seen.c.n == 2, 1);
	ASSERT_STR_EQ(seen.c.send_name, "la-server");
	ASSERT_STR_EQ(seen.c.recv_fp, "RECEIVER");
	ASSERT_INT_EQ(seen.c.tasks[0] == ids[2] && seen.c.tasks[1] == ids[0],
	    1);
	ASSERT_INT_EQ(seen.c.running[0] == 0 && seen.c.running[1] == 1, 1);
	store_claim_clear(&seen.c);

	/* Taken over only from the run that owns it. */
	ASSERT_INT_EQ(store_claim_take(st, 7001, 6999, 8000, &cause),
	    FERRY_ERR_STATE);
	ASSERT_STR_CONTAINS(cause, "no longer claimed");
	free(cause);
	cause = NULL;
	ASSERT_INT_EQ(store_claim_take(st, 7001, 7000, 8000, NULL), 0);
	ASSERT_INT_EQ(store_claim_take(st, 7001, 7000, 9000, NULL),
	    FERRY_ERR_STATE);

	/* Released: its running task is queued again, and it is gone. */
	n = 0;
	ASSERT_INT_EQ(store_claim_release(st, 7001, 5, &n, NULL), 0);
	ASSERT_INT_EQ((int)n, 1);
	ASSERT_INT_EQ(state_of(st, ids[0]), STORE_QUEUED);
	ASSERT_INT_EQ(state_of(st, ids[2]), STORE_DONE);
	memset(&seen, 0, sizeof seen);
	ASSERT_INT_EQ(store_claims(st, claim_cb, &seen, NULL), 0);
	ASSERT_INT_EQ((int)seen.n, 0);

	/* Dropped one by one, or all at once. */
	ASSERT_INT_EQ(store_claim_add(st, &c, NULL), 0);
	ASSERT_INT_EQ(store_claim_drop(st, 7001, NULL), 0);
	c.id = 7002;
	ASSERT_INT_EQ(store_claim_add(st, &c, NULL), 0);
	c.id = 7003;
	ASSERT_INT_EQ(store_claim_add(st, &c, NULL), 0);
	ASSERT_INT_EQ(store_claims_forget(st, NULL), 0);
	memset(&seen, 0, sizeof seen);
	ASSERT_INT_EQ(store_claims(st, claim_cb, &seen, NULL), 0);
	ASSERT_INT_EQ((int)seen.n, 0);
	store_close(st);
	unlink(path);
	snprintf(path, sizeof path, "rm -rf '%s'", tmpdir);
	if (system(path) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return (TEST_DONE());
}
