/*
 * The store's SFTP sites and refusals (store-sftp.c, store_task_refuse):
 * a site of kind sftp keeps paths only and is a site like any other for
 * jobs; a refused task fails for good at once, whatever attempts it had
 * left, and a person's retry queues it again.
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

static char	tmpdir[] = "/tmp/ferry-test-store-sftp.XXXXXX";

static struct store *
open_store(void)
{
	struct store	*st = NULL;
	char		 path[512];

	snprintf(path, sizeof path, "%s/hub.db", tmpdir);
	if (store_open(test_store_target(path), &st, NULL) != 0)
		exit(1);
	return (st);
}

static void
test_sftp_sites(struct store *st)
{
	struct store_sftp	s, got;
	struct store_site	site;
	char			*cause = NULL;

	memset(&s, 0, sizeof s);
	s.site = "vendorx";
	s.target = "ferry@sftp.example.com:2222:/incoming";
	s.key_file = "/etc/ferry/vendorx";
	s.known_hosts = "/etc/ferry/vendorx.known_hosts";
	ASSERT_INT_EQ(store_sftp_add(st, &s, 10, NULL), 0);
	ASSERT_INT_EQ(store_sftp_get(st, "vendorx", &got, NULL), 0);
	ASSERT_STR_EQ(got.target, s.target);
	ASSERT_STR_EQ(got.key_file, s.key_file);
	ASSERT_STR_EQ(got.known_hosts, s.known_hosts);
	ASSERT_TRUE(got.passphrase_file == NULL);
	ASSERT_TRUE(got.via == NULL);
	ASSERT_INT_EQ(got.created, 10);
	store_sftp_clear(&got);
	store_sftp_clear(&got);	/* safe twice */
	/* It is a site, for jobs and bandwidth caps alike. */
	ASSERT_INT_EQ(store_site_get(st, "vendorx", &site, NULL), 0);
	store_site_clear(&site);
	/* A second site of that name, of either kind, is refused. */
	ASSERT_INT_EQ(store_sftp_add(st, &s, 11, &cause), FERRY_ERR_EXIST);
	ASSERT_TRUE(cause != NULL && strstr(cause, "vendorx") != NULL);
	free(cause);
	ASSERT_INT_EQ(store_site_add(st, "la", 12, NULL), 0);
	s.site = "la";
	ASSERT_INT_EQ(store_sftp_add(st, &s, 12, NULL), FERRY_ERR_EXIST);
	ASSERT_INT_EQ(store_sftp_get(st, "la", &got, NULL), FERRY_ERR_NOTFOUND);
	s.site = "nokey";
	s.key_file = NULL;
	ASSERT_INT_EQ(store_sftp_add(st, &s, 13, NULL), FERRY_ERR_INVAL);
	ASSERT_INT_EQ(store_site_get(st, "nokey", &site, NULL),
	    FERRY_ERR_NOTFOUND);
}

static void
test_refuse(struct store *st)
{
	struct store_job	 job;
	struct store_task	 task, t;
	int64_t			 id = 0;

	ASSERT_INT_EQ(store_site_add(st, "hq", 1, NULL), 0);
	memset(&job, 0, sizeof job);
	memset(&task, 0, sizeof task);
	job.submitter = "tester";
	job.from_site = "hq";
	job.to_site = "vendorx";
	task.src_path = "/storage/a";
	task.dst_path = "/incoming/a";
	task.size = 5;
	ASSERT_INT_EQ(store_job_create(st, &job, &task, 1, 20, &id, NULL), 0);
	/* The job's one task is id 1 in a new store. */
	ASSERT_INT_EQ(store_task_start(st, 1, 21, NULL), 0);
	ASSERT_INT_EQ(store_task_refuse(st, 1, "HOST KEY MISMATCH", 22, NULL),
	    0);
	ASSERT_INT_EQ(store_task_get(st, 1, &t, NULL), 0);
	ASSERT_INT_EQ(t.state, STORE_FAILED);
	ASSERT_INT_EQ(t.attempts, t.max_attempts);
	ASSERT_STR_EQ(t.error, "HOST KEY MISMATCH");
	store_task_clear(&t);
	ASSERT_INT_EQ(store_job_get(st, id, &job, NULL), 0);
	ASSERT_INT_EQ(job.state, STORE_FAILED);
	store_job_clear(&job);
	/* Once mended, a person's retry queues it, due at once. */
	ASSERT_INT_EQ(store_job_retry(st, id, "tester", 30, NULL, NULL), 0);
	ASSERT_INT_EQ(store_task_get(st, 1, &t, NULL), 0);
	ASSERT_INT_EQ(t.state, STORE_QUEUED);
	ASSERT_INT_EQ(t.attempts, 0);
	store_task_clear(&t);
	/* Only a running task can be refused. */
	ASSERT_INT_EQ(store_task_refuse(st, 1, "x", 31, NULL),
	    FERRY_ERR_STATE);
}

int
main(void)
{
	struct store	*st;
	char		 cmd[600];

	if (mkdtemp(tmpdir) == NULL)
		return (1);
	st = open_store();
	test_sftp_sites(st);
	test_refuse(st);
	store_close(st);
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		return (1);
	printf("test-store-sftp: ok\n");
	return (0);
}
