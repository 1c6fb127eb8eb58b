/*
 * ferry-ftrack's spool (action/spool.c): events stored once and counted
 * on every attempt, done events seen as duplicates, the unfinished ones
 * listed for the replay, the send marker, deliveries recorded with their
 * event's job in one transaction (and nothing left when it fails), their
 * life, what survives a reopen, and the purge of old events.
 */
#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "err.h"
#include "spool.h"
#include "test.h"

static char	dir[] = "/tmp/test-spool.XXXXXX";

static json_t *
event(const char *id)
{
	return (json_pack("{s:s, s:s, s:{s:[{s:s, s:s}]}}", "id", id, "topic",
	    "ftrack.action.launch", "data", "selection", "entityId", "v1",
	    "entityType", "assetversion"));
}

static enum spool_seen
add(struct spool *s, const char *id, int64_t now)
{
	enum spool_seen	 seen = SPOOL_DONE;
	json_t		*ev = event(id);
	char		*cause = NULL;

	if (spool_event_add(s, ev, now, &seen, &cause) != 0)
		TEST_FAIL("spool_event_add %s: %s", id, cause);
	free(cause);
	json_decref(ev);
	return (seen);
}

static void
test_events(struct spool *s)
{
	json_t	*pending = NULL, *bad;
	char	*cause = NULL;
	int	 n = 0;

	ASSERT_INT_EQ(add(s, "e1", 10), SPOOL_NEW);
	ASSERT_INT_EQ(add(s, "e2", 11), SPOOL_NEW);
	ASSERT_INT_EQ(add(s, "e1", 12), SPOOL_PENDING);
	ASSERT_INT_EQ(spool_event_attempts(s, "e1", &n, NULL), 0);
	ASSERT_INT_EQ(n, 2);
	ASSERT_INT_EQ(spool_event_done(s, "e2", "replied", 13, NULL), 0);
	ASSERT_INT_EQ(add(s, "e2", 14), SPOOL_DONE);
	ASSERT_INT_EQ(spool_event_attempts(s, "e2", &n, NULL), 0);
	ASSERT_INT_EQ(n, 1);
	ASSERT_INT_EQ(add(s, "e3", 15), SPOOL_NEW);
	ASSERT_INT_EQ(spool_event_pending(s, &pending, NULL), 0);
	ASSERT_INT_EQ(json_array_size(pending), 2);
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(
	    pending, 0), "id")), "e1");
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(
	    pending, 1), "id")), "e3");
	/* The event comes back whole. */
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(
	    json_object_get(json_object_get(json_array_get(pending, 0),
	    "data"), "selection"), 0), "entityType")), "assetversion");
	json_decref(pending);

	bad = json_pack("{s:s}", "topic", "ftrack.action.launch");
	ASSERT_INT_EQ(spool_event_add(s, bad, 1, &(enum spool_seen){0},
	    &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "without an id");
	free(cause);
	json_decref(bad);
}

static void
test_submitting(struct spool *s)
{
	int64_t	when = -1, job = -1;

	ASSERT_INT_EQ(spool_event_submitting(s, "e1", 100, &when, NULL), 0);
	ASSERT_INT_EQ(when, 0);
	ASSERT_INT_EQ(spool_event_submitting(s, "e1", 105, &when, NULL), 0);
	ASSERT_INT_EQ(when, 100);
	ASSERT_INT_EQ(spool_event_job(s, "e1", &job, NULL), 0);
	ASSERT_INT_EQ(job, 0);
}

static void
delivery(struct spool_delivery *d, int64_t job, const char *event_id)
{
	memset(d, 0, sizeof *d);
	d->ferry_job = job;
	d->event_id = (char *)event_id;
	d->ftrack_job = "11111111-2222-4333-8444-555555555555";
	d->user_id = "u1";
	d->username = "jdoe@studio.example";
	d->source = "hq";
	d->dest = "la";
	d->dest_location_id = "loc-la";
	d->files = json_pack("[{s:s, s:s}]", "component_id", "c1", "path",
	    "/mnt/a.exr");
}

static int
count_cb(void *arg, const struct spool_delivery *d)
{
	int	*n = arg;

	(void)d;
	(*n)++;
	return (0);
}

static void
test_deliveries(struct spool *s)
{
	struct spool_delivery	 d, got;
	char			*cause = NULL;
	int64_t			 job = 0;
	int			 known = -1, n = 0, attempts = 0;

	delivery(&d, 7, "e1");
	ASSERT_INT_EQ(spool_delivery_add(s, &d, 200, NULL), 0);
	ASSERT_INT_EQ(spool_event_job(s, "e1", &job, NULL), 0);
	ASSERT_INT_EQ(job, 7);
	/* The same ferry job twice: refused, and the event keeps its job. */
	d.event_id = "e3";
	ASSERT_INT_EQ(spool_delivery_add(s, &d, 201, &cause), FERRY_ERR_EXIST);
	free(cause);
	ASSERT_INT_EQ(spool_event_job(s, "e3", &job, NULL), 0);
	ASSERT_INT_EQ(job, 0);
	/* An unknown event: the whole transaction is undone. */
	d.ferry_job = 8;
	d.event_id = "no-such-event";
	cause = NULL;
	ASSERT_TRUE(spool_delivery_add(s, &d, 202, &cause) != 0);
	free(cause);
	ASSERT_INT_EQ(spool_delivery_known(s, 8, &known, NULL), 0);
	ASSERT_INT_EQ(known, 0);
	ASSERT_INT_EQ(spool_delivery_known(s, 7, &known, NULL), 0);
	ASSERT_INT_EQ(known, 1);
	json_decref(d.files);

	ASSERT_INT_EQ(spool_delivery_get(s, 7, &got, NULL), 0);
	ASSERT_STR_EQ(got.ftrack_job, "11111111-2222-4333-8444-555555555555");
	ASSERT_STR_EQ(got.dest_location_id, "loc-la");
	ASSERT_INT_EQ(got.job_created, 0);
	ASSERT_INT_EQ(got.state, SPOOL_RUNNING);
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(
	    got.files, 0), "path")), "/mnt/a.exr");
	spool_delivery_clear(&got);
	ASSERT_INT_EQ(spool_delivery_job_created(s, 7, 203, NULL), 0);
	ASSERT_INT_EQ(spool_delivery_attempted(s, 7, 204, &attempts, NULL), 0);
	ASSERT_INT_EQ(spool_delivery_attempted(s, 7, 205, &attempts, NULL), 0);
	ASSERT_INT_EQ(attempts, 2);
	ASSERT_INT_EQ(spool_delivery_running(s, count_cb, &n, NULL), 0);
	ASSERT_INT_EQ(n, 1);
	ASSERT_INT_EQ(spool_delivery_end(s, 7, SPOOL_FAILED, "gone", 206,
	    NULL), 0);
	n = 0;
	ASSERT_INT_EQ(spool_delivery_running(s, count_cb, &n, NULL), 0);
	ASSERT_INT_EQ(n, 0);
	ASSERT_INT_EQ(spool_delivery_get(s, 7, &got, NULL), 0);
	ASSERT_INT_EQ(got.state, SPOOL_FAILED);
	ASSERT_INT_EQ(got.job_created, 1);
	ASSERT_STR_EQ(got.reason, "gone");
	spool_delivery_clear(&got);
	cause = NULL;
	ASSERT_INT_EQ(spool_delivery_get(s, 99, &got, &cause),
	    FERRY_ERR_NOTFOUND);
	free(cause);
}

/* Handled events go after SPOOL_KEEP_S, unless a delivery names them. */
static void
test_reopen(void)
{
	struct spool	*s = NULL;
	int64_t		 later = 300 + SPOOL_KEEP_S;
	int		 n = -1;

	ASSERT_INT_EQ(spool_open(dir, 300, &s, NULL), 0);
	ASSERT_INT_EQ(spool_event_done(s, "e1", "ok", 300, NULL), 0);
	ASSERT_INT_EQ(spool_event_done(s, "e3", "ok", 300, NULL), 0);
	spool_close(s);
	ASSERT_INT_EQ(spool_open(dir, later + 1, &s, NULL), 0);
	ASSERT_INT_EQ(add(s, "e1", later + 2), SPOOL_DONE);
	ASSERT_INT_EQ(add(s, "e3", later + 3), SPOOL_NEW);
	ASSERT_INT_EQ(spool_event_attempts(s, "e3", &n, NULL), 0);
	ASSERT_INT_EQ(n, 1);
	spool_close(s);
}

/* A publish's states, its plan kept as the last step wrote it. */
static void
test_publishes(void)
{
	struct spool		*s = NULL;
	struct spool_publish	 p;
	json_t			*plan, *pending = NULL;
	char			*cause = NULL;
	int			 known = 0, attempts = 0;

	ASSERT_INT_EQ(spool_open(dir, 400, &s, NULL), 0);
	plan = json_pack("{s:s, s:s}", "task_id", "T", "version_id", "V");
	ASSERT_INT_EQ(spool_publish_add(s, 7, "T", plan, 400, NULL), 0);
	ASSERT_INT_EQ(spool_publish_add(s, 7, "T", plan, 401, &cause),
	    FERRY_ERR_EXIST);
	free(cause);
	cause = NULL;
	ASSERT_INT_EQ(spool_publish_known(s, 7, &known, NULL), 0);
	ASSERT_INT_EQ(known, 1);
	ASSERT_INT_EQ(spool_publish_known(s, 8, &known, NULL), 0);
	ASSERT_INT_EQ(known, 0);
	json_object_set_new(plan, "version", json_integer(3));
	ASSERT_INT_EQ(spool_publish_set(s, 7, SPOOL_PUB_CREATED, plan, NULL,
	    402, NULL), 0);
	ASSERT_INT_EQ(spool_publish_attempted(s, 7, 403, &attempts, NULL), 0);
	ASSERT_INT_EQ(attempts, 1);
	spool_close(s);
	/* Reopened: where it was, with the plan of the step it reached. */
	ASSERT_INT_EQ(spool_open(dir, 404, &s, NULL), 0);
	ASSERT_INT_EQ(spool_publish_pending(s, &pending, NULL), 0);
	ASSERT_INT_EQ(json_array_size(pending), 1);
	json_decref(pending);
	ASSERT_INT_EQ(spool_publish_get(s, 7, &p, NULL), 0);
	ASSERT_INT_EQ(p.state, SPOOL_PUB_CREATED);
	ASSERT_STR_EQ(p.task_id, "T");
	ASSERT_INT_EQ(json_integer_value(json_object_get(p.plan, "version")),
	    3);
	ASSERT_INT_EQ(p.attempts, 1);
	spool_publish_clear(&p);
	/* A state without a plan keeps the plan. */
	ASSERT_INT_EQ(spool_publish_set(s, 7, SPOOL_PUB_DONE, NULL, NULL, 405,
	    NULL), 0);
	ASSERT_INT_EQ(spool_publish_get(s, 7, &p, NULL), 0);
	ASSERT_INT_EQ(p.state, SPOOL_PUB_DONE);
	ASSERT_STR_EQ(json_string_value(json_object_get(p.plan, "version_id")),
	    "V");
	spool_publish_clear(&p);
	ASSERT_INT_EQ(spool_publish_pending(s, &pending, NULL), 0);
	ASSERT_INT_EQ(json_array_size(pending), 0);
	json_decref(pending);
	ASSERT_INT_EQ(spool_publish_get(s, 9, &p, &cause), FERRY_ERR_NOTFOUND);
	free(cause);
	json_decref(plan);
	spool_close(s);
}

int
main(void)
{
	struct spool	*s = NULL;
	struct stat	 sb;
	char		 path[512], *cause = NULL;

	if (mkdtemp(dir) == NULL)
		TEST_SKIP("mkdtemp failed");
	if (spool_open(dir, 1, &s, &cause) != 0)
		TEST_FAIL("spool_open: %s", cause);
	snprintf(path, sizeof path, "%s/%s", dir, SPOOL_FILE);
	ASSERT_INT_EQ(stat(path, &sb), 0);
	ASSERT_INT_EQ(sb.st_mode & 0777, 0600);
	test_events(s);
	test_submitting(s);
	test_deliveries(s);
	spool_close(s);
	test_reopen();
	test_publishes();
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	if (system(path) != 0)
		TEST_FAIL("cannot remove %s", dir);
	return (TEST_DONE());
}
