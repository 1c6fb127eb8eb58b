/*
 * What the store's tests in test-store.c and test-store-jobs.c share: a
 * directory of their own (TEST_STORE_TMPDIR, a mkdtemp template the
 * including file defines), stores opened in it (or on PostgreSQL, see
 * test-store-target.h), a job of n tasks, and the states of a task or a
 * job. Each test program is one file, so the static data here is that
 * program's own.
 */
#ifndef FERRY_TEST_STORE_LIB_H
#define FERRY_TEST_STORE_LIB_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "store.h"
#include "test.h"
#include "test-store-target.h"

#ifndef TEST_STORE_TMPDIR
#error "define TEST_STORE_TMPDIR, a mkdtemp template, before including this"
#endif

static char	tmpdir[] = TEST_STORE_TMPDIR;
static char	pathbuf[512];

static inline const char *
db_path(const char *name)
{
	snprintf(pathbuf, sizeof pathbuf, "%s/%s.db", tmpdir, name);
	return (test_store_target(pathbuf));
}

static inline struct store *
open_db(const char *name)
{
	struct store	*st = NULL;
	char		*cause = NULL;
	int		 r;

	r = store_open(db_path(name), &st, &cause);
	if (r != 0) {
		fprintf(stderr, "store_open: %s\n", cause ? cause : err_str(r));
		free(cause);
		exit(1);
	}
	return (st);
}

static inline void
fingerprint(unsigned char fp[STORE_FINGERPRINT_LEN], int seed)
{
	int	i;

	for (i = 0; i < STORE_FINGERPRINT_LEN; i++)
		fp[i] = (unsigned char)(seed * 31 + i);
}

/* A store with sites hq and la and user u@x, ready for jobs. */
static inline struct store *
open_jobs_db(const char *name)
{
	struct store	*st = open_db(name);

	ASSERT_INT_EQ(store_site_add(st, "hq", 1, NULL), 0);
	ASSERT_INT_EQ(store_site_add(st, "la", 1, NULL), 0);
	ASSERT_INT_EQ(store_user_set(st, "u@x", STORE_CLEARANCE_EMPLOYEE, 1,
	    NULL), 0);
	return (st);
}

/* A job from hq to to_site of n tasks to prefix0, prefix1, ... */
static inline int64_t
make_job(struct store *st, const char *to_site, int priority, size_t n,
    const char *prefix, int max_attempts, int64_t now)
{
	struct store_job	 job;
	struct store_task	*tasks;
	char			 (*dst)[64];
	char			*cause = NULL;
	int64_t			 id = 0;
	size_t			 i;
	int			 r;

	memset(&job, 0, sizeof job);
	job.submitter = "tester";
	job.from_site = "hq";
	job.to_site = (char *)to_site;
	job.priority = priority;
	tasks = calloc(n + 1, sizeof *tasks);
	dst = calloc(n + 1, sizeof *dst);
	if (tasks == NULL || dst == NULL)
		exit(1);
	for (i = 0; i < n; i++) {
		if (snprintf(dst[i], sizeof dst[i], "%s%zu", prefix, i) >=
		    (int)sizeof dst[i])
			TEST_FAIL("make_job: prefix %s too long", prefix);
		tasks[i].src_path = "/src/file";
		tasks[i].dst_path = dst[i];
		tasks[i].size = 100;
		tasks[i].max_attempts = max_attempts;
	}
	r = store_job_create(st, &job, tasks, n, now, &id, &cause);
	if (r != 0)
		TEST_FAIL("store_job_create: %s", cause ? cause : err_str(r));
	free(cause);
	free(tasks);
	free(dst);
	return (id);
}

/* Counts the tasks a walk hands out. */
static inline int
count_tasks(void *arg, const struct store_task *t)
{
	(void)t;
	(*(size_t *)arg)++;
	return (0);
}

struct ids {
	int64_t	id[64];
	size_t	n;
};

static inline int
collect_ids(void *arg, const struct store_task *t)
{
	struct ids	*ids = arg;

	if (ids->n < 64)
		ids->id[ids->n++] = t->id;
	return (0);
}

static inline int64_t
first_task(struct store *st, int64_t job)
{
	struct ids	ids;

	memset(&ids, 0, sizeof ids);
	ASSERT_INT_EQ(store_job_tasks(st, job, collect_ids, &ids, NULL), 0);
	return (ids.n > 0 ? ids.id[0] : 0);
}

static inline enum store_state
task_state(struct store *st, int64_t id)
{
	struct store_task	t;
	enum store_state	s;

	if (store_task_get(st, id, &t, NULL) != 0)
		return (STORE_ANY);
	s = t.state;
	store_task_clear(&t);
	return (s);
}

static inline enum store_state
job_state(struct store *st, int64_t id)
{
	struct store_job	j;
	enum store_state	s;

	if (store_job_get(st, id, &j, NULL) != 0)
		return (STORE_ANY);
	s = j.state;
	store_job_clear(&j);
	return (s);
}

static inline void
cleanup(void)
{
	char	cmd[600];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

#endif
