/*
 * Tasks stored done (found at the receiver already, agent/hub-compare.c):
 * through store_job_create, store_job_create_stream and the batches of
 * store_job_append, the job's counters count them done with their bytes,
 * the others queued, as the task rows are; a job whose tasks were all
 * found is done when stored; a job with none found is as before; a task
 * marked found with a basis is refused (none is asked about).
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

static char	tmpdir[] = "/tmp/ferry-test-store-found.XXXXXX";
static struct store_task	tasks[3];
static char			dst[3][32];

/* Three tasks of 10, 20 and 30 bytes; found: which are STORE_DONE. */
static void
set_tasks(const char *prefix, int found)
{
	size_t	i;

	memset(tasks, 0, sizeof tasks);
	for (i = 0; i < 3; i++) {
		snprintf(dst[i], sizeof dst[i], "/dst/%s%zu", prefix, i);
		tasks[i].src_path = "/src/a";
		tasks[i].dst_path = dst[i];
		tasks[i].size = (int64_t)(10 * (i + 1));
		tasks[i].max_attempts = 3;
		if (found & (1 << i))
			tasks[i].state = STORE_DONE;
	}
}

struct feed {
	size_t	at;
};

static int
feed_next(void *arg, const struct store_task **t, char **cause)
{
	struct feed	*f = arg;

	(void)cause;
	if (f->at == 3)
		return (0);
	*t = &tasks[f->at++];
	return (1);
}

/* The rows as they are: each state's count and the done ones' bytes. */
struct rows {
	int64_t	n[STORE_STATE_COUNT];
	int64_t	bytes_done;
	int	bad;		/* a done row without its times or bytes */
};

static int
row_cb(void *arg, const struct store_task *t)
{
	struct rows	*r = arg;

	if (t->state >= 0 && t->state < STORE_STATE_COUNT)
		r->n[t->state]++;
	r->bytes_done += t->bytes_done;
	if (t->state == STORE_DONE && (t->bytes_done != t->size ||
	    t->started == 0 || t->finished == 0))
		r->bad++;
	return (0);
}

static void
check_job(struct store *st, int64_t id, enum store_state state,
    int64_t done, int64_t queued, int64_t bytes_done)
{
	struct store_job	j;
	struct rows		rows;

	/* The task rows say what the job's counters say. */
	memset(&rows, 0, sizeof rows);
	ASSERT_INT_EQ(store_job_tasks(st, id, row_cb, &rows, NULL), 0);
	ASSERT_INT_EQ(rows.n[STORE_DONE], done);
	ASSERT_INT_EQ(rows.n[STORE_QUEUED], queued);
	ASSERT_INT_EQ(rows.bytes_done, bytes_done);
	ASSERT_INT_EQ(rows.bad, 0);

	if (store_job_get(st, id, &j, NULL) != 0)
		TEST_FAIL("job %jd is not there", (intmax_t)id);
	ASSERT_INT_EQ(j.state, state);
	ASSERT_INT_EQ(j.count[STORE_DONE], done);
	ASSERT_INT_EQ(j.count[STORE_QUEUED], queued);
	ASSERT_INT_EQ(j.bytes_total, 60);
	ASSERT_INT_EQ(j.bytes_done, bytes_done);
	store_job_clear(&j);
}

int
main(void)
{
	struct store		*st = NULL;
	struct store_job	 job;
	struct feed		 f;
	char			 path[300], *cause = NULL;
	int64_t			 id;
	size_t			 n;

	if (mkdtemp(tmpdir) == NULL)
		return (1);
	snprintf(path, sizeof path, "%s/hub.db", tmpdir);
	if (store_open(test_store_target(path), &st, &cause) != 0)
		TEST_FAIL("store_open: %s", cause ? cause : "?");
	ASSERT_INT_EQ(store_site_add(st, "hq", 1, NULL), 0);
	ASSERT_INT_EQ(store_site_add(st, "la", 1, NULL), 0);
	memset(&job, 0, sizeof job);
	job.submitter = "tester";
	job.from_site = "hq";
	job.to_site = "la";

	/* In one transaction: two of three found, then all, then none. */
	set_tasks("a", 3);
	ASSERT_INT_EQ(store_job_create(st, &job, tasks, 3, 1, &id, NULL), 0);
	check_job(st, id, STORE_RUNNING, 2, 1, 30);
	set_tasks("b", 7);
	ASSERT_INT_EQ(store_job_create(st, &job, tasks, 3, 1, &id, NULL), 0);
	check_job(st, id, STORE_DONE, 3, 0, 60);
	set_tasks("c", 0);
	ASSERT_INT_EQ(store_job_create(st, &job, tasks, 3, 1, &id, NULL), 0);
	check_job(st, id, STORE_RUNNING, 0, 3, 0);

	/* Found with a basis: no such task is ever asked about. */
	set_tasks("x", 1);
	tasks[0].basis = "/dst/old";
	ASSERT_INT_EQ(store_job_create(st, &job, tasks, 3, 1, &id, &cause),
	    FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "task 1: found at the receiver, with a "
	    "basis");
	free(cause);
	cause = NULL;

	/* As a stream: the third found. */
	set_tasks("d", 4);
	f.at = 0;
	ASSERT_INT_EQ(store_job_create_stream(st, &job, feed_next, &f, 1, &id,
	    &n, NULL), 0);
	ASSERT_INT_EQ(n, 3);
	check_job(st, id, STORE_RUNNING, 1, 2, 30);

	/* In batches (hub-jobstore.c): running while stored, then done. */
	set_tasks("e", 7);
	ASSERT_INT_EQ(store_job_open(st, &job, 1, &id, NULL), 0);
	f.at = 0;
	ASSERT_INT_EQ(store_job_append(st, &job, id, feed_next, &f, 2, 0, 1,
	    &n, NULL), 0);
	ASSERT_INT_EQ(n, 2);
	ASSERT_INT_EQ(store_job_append(st, &job, id, feed_next, &f, 2, 2, 1,
	    &n, NULL), 0);
	ASSERT_INT_EQ(n, 1);
	check_job(st, id, STORE_RUNNING, 3, 0, 60);
	ASSERT_INT_EQ(store_job_opened(st, &job, id, 3, 1, NULL), 0);
	check_job(st, id, STORE_DONE, 3, 0, 60);

	store_close(st);
	unlink(path);
	snprintf(path, sizeof path, "rm -rf '%s'", tmpdir);
	if (system(path) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return (TEST_DONE());
}
