/*
 * The store's notices for mail (agent/store/store-notice.c): written by
 * the schema's triggers in the transaction of the change they announce.
 * A job done or failed (once per change of state, a second failure after
 * a retry again), an ACL that grants more than before (not the same one
 * twice, not a narrowing), a person's agent enrolled (not a site's); a
 * change rolled back leaves none; marked ones are not pending.
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

static char	tmpdir[] = "/tmp/ferry-test-notice.XXXXXX";

/* The pending notices as "kind job state who place access" lines. */
static int
notice_line(void *arg, const struct store_notice *n)
{
	char	*s = arg;
	size_t	 len = strlen(s);

	snprintf(s + len, 4096 - len, "%s %jd %s %s %s %s\n", n->kind,
	    (intmax_t)n->job_id, n->state ? n->state : "-", n->who ? n->who :
	    "-", n->place ? n->place : "-", n->access ? n->access : "-");
	return (0);
}

static const char *
pending(struct store *st)
{
	static char	buf[4096];

	buf[0] = '\0';
	ASSERT_INT_EQ(store_notice_pending(st, 0, 0, notice_line, buf, NULL),
	    0);
	return (buf);
}

static int
first_id(void *arg, const struct store_notice *n)
{
	*(int64_t *)arg = n->id;
	return (1);
}

/* Marks every pending notice queued. */
static void
mark_all(struct store *st)
{
	int64_t	id;

	for (;;) {
		id = 0;
		ASSERT_INT_EQ(store_notice_pending(st, 0, 1, first_id, &id,
		    NULL), 0);
		if (id == 0)
			return;
		ASSERT_INT_EQ(store_notice_done(st, id, NULL), 0);
	}
}

static int64_t
one_task_job(struct store *st, int64_t *task)
{
	struct store_job	 job;
	struct store_task	 t;
	int64_t			 id = 0;

	memset(&job, 0, sizeof job);
	memset(&t, 0, sizeof t);
	job.submitter = "ana@vendor.example (agent ana-ws)";
	job.from_site = "hq";
	job.to_user = "ana@vendor.example";
	t.src_path = "/src/a.exr";
	t.dst_path = "/dst/a.exr";
	t.size = 1;
	t.max_attempts = 1;
	ASSERT_INT_EQ(store_job_create(st, &job, &t, 1, 10, &id, NULL), 0);
	*task = id;	/* the first job's first task has the job's id */
	return (id);
}

static void
test_jobs(struct store *st)
{
	int64_t	job, t;
	int64_t	n = 0;

	job = one_task_job(st, &t);
	ASSERT_STR_EQ(pending(st), "");
	ASSERT_INT_EQ(store_task_start(st, t, 11, NULL), 0);
	ASSERT_INT_EQ(store_task_fail(st, t, "disk full", 12, NULL), 0);
	ASSERT_STR_EQ(pending(st), "job 1 failed - - -\n");
	mark_all(st);
	/* Retried, failed again: a second notice, counted as such. */
	ASSERT_INT_EQ(store_job_retry(st, job, "admin", 13, NULL, NULL), 0);
	ASSERT_STR_EQ(pending(st), "");
	ASSERT_INT_EQ(store_task_start(st, t, 14, NULL), 0);
	ASSERT_INT_EQ(store_task_fail(st, t, "disk full", 15, NULL), 0);
	ASSERT_STR_EQ(pending(st), "job 1 failed - - -\n");
	ASSERT_INT_EQ(store_notice_count(st, job, "failed", INT64_MAX, &n,
	    NULL), 0);
	ASSERT_INT_EQ(n, 2);
	mark_all(st);
	ASSERT_INT_EQ(store_job_retry(st, job, "admin", 16, NULL, NULL), 0);
	ASSERT_INT_EQ(store_task_start(st, t, 17, NULL), 0);
	ASSERT_INT_EQ(store_task_progress(st, t, 1, 18, NULL), 0);
	ASSERT_STR_EQ(pending(st), "");
	ASSERT_INT_EQ(store_task_done(st, t, 19, NULL), 0);
	ASSERT_STR_EQ(pending(st), "job 1 done - - -\n");
	mark_all(st);
}

static void
test_acls(struct store *st)
{
	ASSERT_INT_EQ(store_acl_set(st, "ana@vendor.example", "storage:in",
	    STORE_ACCESS_READ, NULL), 0);
	ASSERT_INT_EQ(store_acl_set(st, "ana@vendor.example", "storage:in",
	    STORE_ACCESS_READ, NULL), 0);
	ASSERT_STR_EQ(pending(st),
	    "access 0 - ana@vendor.example storage:in read\n");
	mark_all(st);
	ASSERT_INT_EQ(store_acl_set(st, "ana@vendor.example", "storage:in",
	    STORE_ACCESS_WRITE, NULL), 0);
	ASSERT_STR_EQ(pending(st),
	    "access 0 - ana@vendor.example storage:in write\n");
	mark_all(st);
	/* Narrowing write to read grants nothing. */
	ASSERT_INT_EQ(store_acl_set(st, "ana@vendor.example", "storage:in",
	    STORE_ACCESS_READ, NULL), 0);
	ASSERT_STR_EQ(pending(st), "");
	/* Rolled back with the change. */
	ASSERT_INT_EQ(store_batch_begin(st, NULL), 0);
	ASSERT_INT_EQ(store_acl_set(st, "la", "storage:out",
	    STORE_ACCESS_READ, NULL), 0);
	ASSERT_INT_EQ(store_batch_end(st, FERRY_ERR_INTERNAL, NULL),
	    FERRY_ERR_INTERNAL);
	ASSERT_STR_EQ(pending(st), "");
	/* A site's: the mail thread tells nobody, but it is written. */
	ASSERT_INT_EQ(store_acl_set(st, "la", "storage:out",
	    STORE_ACCESS_READ, NULL), 0);
	ASSERT_STR_EQ(pending(st), "access 0 - la storage:out read\n");
	mark_all(st);
}

static void
test_agents(struct store *st)
{
	struct store_agent	a;
	int			i;

	memset(&a, 0, sizeof a);
	a.name = "la-server";
	a.role = STORE_ROLE_SITE;
	a.site = "la";
	for (i = 0; i < STORE_FINGERPRINT_LEN; i++)
		a.fingerprint[i] = (unsigned char)i;
	ASSERT_INT_EQ(store_agent_add(st, &a, 20, NULL, NULL), 0);
	ASSERT_STR_EQ(pending(st), "");
	a.name = "ana-ws";
	a.role = STORE_ROLE_USER;
	a.site = NULL;
	a.email = "ana@vendor.example";
	a.clearance = STORE_CLEARANCE_RESTRICTED;
	a.fingerprint[0] = 99;
	ASSERT_INT_EQ(store_agent_add(st, &a, 21, NULL, NULL), 0);
	ASSERT_STR_EQ(pending(st),
	    "enrolled 0 - ana@vendor.example ana-ws restricted\n");
	mark_all(st);
	/* And what notify adds. */
	ASSERT_INT_EQ(store_notice_add(st, "publish-to", 1, "lead@x.example",
	    NULL, NULL), 0);
	ASSERT_STR_EQ(pending(st), "publish-to 1 - lead@x.example - -\n");
	ASSERT_TRUE(store_notice_add(st, "nonsense", 1, "a@b", NULL, NULL) !=
	    0);
}

int
main(void)
{
	struct store	*st = NULL;
	char		 path[512], cmd[600];

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	snprintf(path, sizeof path, "%s/hub.db", tmpdir);
	ASSERT_INT_EQ(store_open(test_store_target(path), &st, NULL), 0);
	if (st == NULL)
		return (1);
	ASSERT_INT_EQ(store_site_add(st, "hq", 1, NULL), 0);
	ASSERT_INT_EQ(store_site_add(st, "la", 1, NULL), 0);
	ASSERT_INT_EQ(store_user_set(st, "ana@vendor.example",
	    STORE_CLEARANCE_RESTRICTED, 1, NULL), 0);
	test_jobs(st);
	test_acls(st);
	test_agents(st);
	store_close(st);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return (TEST_DONE());
}
