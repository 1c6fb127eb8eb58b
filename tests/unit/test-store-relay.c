/*
 * The relay switches in the hub's store (agent/store/store-relay.c): on
 * by default for sites and jobs, off and on again, kept across a reopen,
 * unknown names and ids.
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

static char	tmpdir[] = "/tmp/ferry-test-store-relay.XXXXXX";

static struct store *
open_db(const char *path)
{
	struct store	*st = NULL;
	char		*cause = NULL;
	int		 r;

	if ((r = store_open(test_store_target(path), &st, &cause)) != 0)
		TEST_FAIL("store_open: %s", cause ? cause : err_str(r));
	free(cause);
	return (st);
}

static int64_t
make_job(struct store *st)
{
	struct store_job	 job;
	struct store_task	 t;
	int64_t			 id = 0;

	memset(&job, 0, sizeof job);
	memset(&t, 0, sizeof t);
	job.submitter = "tester";
	job.from_site = "la";
	job.to_site = "ny";
	t.src_path = "/src/a";
	t.dst_path = "/dst/a";
	t.size = 1;
	t.max_attempts = 3;
	ASSERT_INT_EQ(store_job_create(st, &job, &t, 1, 1, &id, NULL), 0);
	return (id);
}

int
main(void)
{
	struct store	*st;
	char		 path[300], *cause = NULL;
	int64_t		 job;

	if (mkdtemp(tmpdir) == NULL)
		return (1);
	snprintf(path, sizeof path, "%s/hub.db", tmpdir);
	st = open_db(path);
	ASSERT_INT_EQ(store_site_add(st, "la", 1, NULL), 0);
	ASSERT_INT_EQ(store_site_add(st, "ny", 1, NULL), 0);
	/* On by default; an unknown site (a person never set) too. */
	ASSERT_INT_EQ(store_relay_site_on(st, "la"), 1);
	ASSERT_INT_EQ(store_relay_site_on(st, "nobody@x"), 1);
	ASSERT_INT_EQ(store_relay_site_set(st, "ny", 0, NULL), 0);
	ASSERT_INT_EQ(store_relay_site_on(st, "ny"), 0);
	ASSERT_INT_EQ(store_relay_site_on(st, "la"), 1);
	ASSERT_INT_EQ(store_relay_site_set(st, "paris", 0, &cause),
	    FERRY_ERR_NOTFOUND);
	ASSERT_STR_CONTAINS(cause, "no site paris");
	free(cause);
	cause = NULL;
	job = make_job(st);
	ASSERT_INT_EQ(store_relay_job_on(st, job), 1);
	ASSERT_INT_EQ(store_relay_job_set(st, job, 0, NULL), 0);
	ASSERT_INT_EQ(store_relay_job_on(st, job), 0);
	/* A job the store does not have may not be relayed. */
	ASSERT_INT_EQ(store_relay_job_on(st, job + 1000), 0);
	ASSERT_INT_EQ(store_relay_job_set(st, job + 1000, 0, NULL),
	    FERRY_ERR_NOTFOUND);
	store_close(st);
	/* What was set outlives the process. */
	st = open_db(path);
	ASSERT_INT_EQ(store_relay_site_on(st, "ny"), 0);
	ASSERT_INT_EQ(store_relay_job_on(st, job), 0);
	ASSERT_INT_EQ(store_relay_site_set(st, "ny", 1, NULL), 0);
	ASSERT_INT_EQ(store_relay_site_on(st, "ny"), 1);
	store_close(st);
	unlink(path);
	snprintf(path, sizeof path, "rm -rf '%s'", tmpdir);
	if (system(path) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return (TEST_DONE());
}
