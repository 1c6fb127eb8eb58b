/*
 * Progress in ftrack: each delivery has an ftrack Job in the Jobs menu of
 * the user who launched it (ftrack-protocol.md §4.8). While its ferry job
 * runs, the Job's description says files, bytes, percent and rate,
 * updated at most once per job_update_interval and only when it changed;
 * at the end the Job is set done (after registration) or failed, with the
 * reason. The deliveries come from the spool, so after a restart the
 * ones left running are simply followed again, and a ferry job the hub no
 * longer has fails its Job instead of leaving it running.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "clock.h"
#include "err.h"
#include "ferry-ftrack.h"
#include "ftq.h"
#include "human.h"
#include "log.h"
#include "rest.h"
#include "spool.h"

void
progress_bytes(char *out, size_t len, int64_t bytes)
{
	human_bytes((double)bytes, out, len);
}

/* Job.data is a JSON-encoded string, not an object (§4.8). */
static char *
progress_data(const char *text)
{
	json_t	*o = json_pack("{s:s}", "description", text);
	char	*encoded = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	return (encoded);
}

/* Sets the Job's description, and its status unless status is NULL. */
static int
progress_update(struct ff *ff, const struct spool_delivery *d,
    const char *status, const char *text, char **cause)
{
	json_t	*data;
	char	*encoded;
	int	 r;

	encoded = progress_data(text);
	data = json_pack("{s:s*, s:s*}", "data", encoded, "status", status);
	free(encoded);
	r = rest_update(ff->rest, "Job", d->ftrack_job, data, NULL, cause);
	json_decref(data);
	return (r);
}

/* Creates the Job; one left by an earlier attempt counts as made. */
static int
progress_create(struct ff *ff, const struct spool_delivery *d, char **cause)
{
	json_t	*data, *rows = NULL;
	char	 text[512], *encoded, *expr = NULL;
	int	 r;

	snprintf(text, sizeof text, "ferry job %jd, %s to %s: starting",
	    (intmax_t)d->ferry_job, d->source, d->dest);
	encoded = progress_data(text);
	data = json_pack("{s:s, s:s, s:s, s:s?}", "id", d->ftrack_job,
	    "user_id", d->user_id, "status", "running", "data", encoded);
	free(encoded);
	r = rest_create(ff->rest, "Job", data, NULL, cause);
	json_decref(data);
	if (r != FERRY_ERR_INVAL || ftq_format(&expr, NULL, "select id from "
	    "Job where id is %q", d->ftrack_job) != 0)
		return (r);
	if (rest_query(ff->rest, expr, &rows, NULL) == 0 &&
	    json_array_size(rows) == 1) {
		free(*cause);
		*cause = NULL;
		r = 0;
	}
	json_decref(rows);
	free(expr);
	return (r);
}

static void
progress_ensure_job(struct ff *ff, struct spool_delivery *d)
{
	char	*cause = NULL;

	if (d->job_created)
		return;
	if (progress_create(ff, d, &cause) != 0) {
		log_warnx("ferry job %jd: cannot create its ftrack Job (will "
		    "try again): %s", (intmax_t)d->ferry_job, cause);
		free(cause);
		return;
	}
	d->job_created = 1;
	if (spool_delivery_job_created(ff->spool, d->ferry_job, clock_now(),
	    &cause) != 0) {
		log_error("ferry job %jd: %s", (intmax_t)d->ferry_job, cause);
		free(cause);
	}
	log_info("ferry job %jd: ftrack Job %s for %s", (intmax_t)d->ferry_job,
	    d->ftrack_job, d->username);
}

/* What was last shown for a job, in ff->progress. */
static json_t *
progress_seen(struct ff *ff, int64_t job)
{
	char	 key[32];
	json_t	*seen;

	snprintf(key, sizeof key, "%jd", (intmax_t)job);
	if ((seen = json_object_get(ff->progress, key)) == NULL) {
		seen = json_object();
		json_object_set_new(ff->progress, key, seen);
	}
	return (seen);
}

static void
progress_forget(struct ff *ff, int64_t job)
{
	char	key[32];

	snprintf(key, sizeof key, "%jd", (intmax_t)job);
	json_object_del(ff->progress, key);
}

/* The rate since the last look, in bytes a second; -1 unknown. */
static double
progress_rate(json_t *seen, int64_t bytes, int64_t now_ms)
{
	json_t	*b = json_object_get(seen, "bytes");
	int64_t	 then = json_integer_value(json_object_get(seen, "ms"));
	double	 rate = -1;

	if (json_is_integer(b) && now_ms > then &&
	    bytes >= json_integer_value(b))
		rate = (double)(bytes - json_integer_value(b)) * 1000 /
		    (double)(now_ms - then);
	json_object_set_new(seen, "bytes", json_integer(bytes));
	json_object_set_new(seen, "ms", json_integer(now_ms));
	return (rate);
}

static int64_t
progress_int(const json_t *o, const char *key)
{
	return (json_integer_value(json_object_get(o, key)));
}

static void
progress_describe(const struct spool_delivery *d, const json_t *job,
    double rate, char *text, size_t len)
{
	int64_t	files = progress_int(job, "files");
	int64_t	done = progress_int(job, "done_files");
	int64_t	bytes = progress_int(job, "bytes");
	int64_t	sent = progress_int(job, "done_bytes");
	char	b1[32], b2[32], r[48] = "";
	int	pct = bytes > 0 ? (int)(sent * 100 / bytes) : 0;

	progress_bytes(b1, sizeof b1, sent);
	progress_bytes(b2, sizeof b2, bytes);
	if (rate >= 0) {
		progress_bytes(r + 2, sizeof r - 2, (int64_t)rate);
		memcpy(r, ", ", 2);
		strncat(r, "/s", sizeof r - strlen(r) - 1);
	}
	snprintf(text, len, "ferry job %jd, %s to %s%s: %jd of %jd files, "
	    "%s of %s (%d%%)%s", (intmax_t)d->ferry_job, d->source, d->dest,
	    strcmp(json_string_value(json_object_get(job, "state")),
	    "paused") == 0 ? " (paused)" : "", (intmax_t)done, (intmax_t)files,
	    b1, b2, pct, r);
}

/* A running job: its description, when it changed. */
static void
progress_show(struct ff *ff, const struct spool_delivery *d,
    const json_t *job)
{
	json_t		*seen = progress_seen(ff, d->ferry_job);
	const char	*last;
	char		 text[512], *cause = NULL;
	double		 rate;

	rate = progress_rate(seen, json_integer_value(json_object_get(job,
	    "done_bytes")), clock_ms());
	progress_describe(d, job, rate, text, sizeof text);
	last = json_string_value(json_object_get(seen, "text"));
	if (!d->job_created || (last != NULL && strcmp(last, text) == 0))
		return;
	if (progress_update(ff, d, NULL, text, &cause) != 0) {
		log_warnx("ferry job %jd: cannot update its ftrack Job: %s",
		    (intmax_t)d->ferry_job, cause);
		free(cause);
		return;
	}
	json_object_set_new(seen, "text", json_string(text));
}

/* Tells ftrack the end, then closes the delivery in the spool. */
static void
progress_end(struct ff *ff, const struct spool_delivery *d,
    enum spool_state state, const char *text)
{
	char	*cause = NULL;

	if (d->job_created && progress_update(ff, d, state == SPOOL_FINISHED ?
	    "done" : "failed", text, &cause) != 0) {
		log_warnx("ferry job %jd: cannot end its ftrack Job (will try "
		    "again): %s", (intmax_t)d->ferry_job, cause);
		free(cause);
		return;
	}
	if (spool_delivery_end(ff->spool, d->ferry_job, state, state ==
	    SPOOL_FAILED ? text : NULL, clock_now(), &cause) != 0) {
		log_error("ferry job %jd: %s", (intmax_t)d->ferry_job, cause);
		free(cause);
		return;
	}
	progress_forget(ff, d->ferry_job);
	log_info("%s", text);
}

/* The first error among the job's tasks, or a general word. */
static const char *
progress_first_error(const json_t *job)
{
	const json_t	*t;
	const char	*err;
	size_t		 i;

	json_array_foreach(json_object_get(job, "tasks"), i, t) {
		if ((err = json_string_value(json_object_get(t, "error"))) !=
		    NULL && *err != '\0')
			return (err);
	}
	return ("no reason given");
}

static void
progress_failed(struct ff *ff, const struct spool_delivery *d,
    const json_t *job)
{
	const char	*state = json_string_value(json_object_get(job,
			    "state"));
	char		 text[1024];

	if (strcmp(state, "cancelled") == 0)
		snprintf(text, sizeof text, "ferry job %jd, %s to %s: "
		    "cancelled", (intmax_t)d->ferry_job, d->source, d->dest);
	else
		snprintf(text, sizeof text, "ferry job %jd, %s to %s failed: "
		    "%jd of %jd files failed: %s", (intmax_t)d->ferry_job,
		    d->source, d->dest, (intmax_t)json_integer_value(
		    json_object_get(job, "failed_files")),
		    (intmax_t)json_integer_value(json_object_get(job, "files")),
		    progress_first_error(job));
	progress_end(ff, d, SPOOL_FAILED, text);
}

/* Done at the hub: register, set statuses, and end the Job. */
static void
progress_done(struct ff *ff, const struct spool_delivery *d,
    const json_t *job)
{
	char	 text[1024], size[32], *cause = NULL;
	size_t	 count = 0;
	int	 attempts = 0;

	if (finish_register(ff, d, job, &count, &cause) != 0) {
		spool_delivery_attempted(ff->spool, d->ferry_job, clock_now(),
		    &attempts, NULL);
		log_warnx("ferry job %jd: registering the delivery in ftrack "
		    "failed (attempt %d of %d): %s", (intmax_t)d->ferry_job,
		    attempts, FF_FINISH_ATTEMPTS, cause);
		if (attempts >= FF_FINISH_ATTEMPTS) {
			snprintf(text, sizeof text, "ferry job %jd, %s to %s: "
			    "delivered, but ftrack could not be told where the "
			    "files are: %s", (intmax_t)d->ferry_job, d->source,
			    d->dest, cause);
			progress_end(ff, d, SPOOL_FAILED, text);
		}
		free(cause);
		return;
	}
	/* Said in the Job too: a status left unset is worth knowing. */
	if (finish_statuses(ff, d, &cause) != 0)
		log_warnx("ferry job %jd: statuses not set: %s",
		    (intmax_t)d->ferry_job, cause);
	progress_bytes(size, sizeof size, json_integer_value(json_object_get(
	    job, "bytes")));
	snprintf(text, sizeof text, "ferry job %jd, %s to %s: delivered %jd "
	    "files (%s); %zu components registered in %s%s%s",
	    (intmax_t)d->ferry_job, d->source, d->dest,
	    (intmax_t)json_integer_value(json_object_get(job, "files")), size,
	    count, d->dest, cause != NULL ? "; statuses not set: " : "",
	    cause != NULL ? cause : "");
	free(cause);
	progress_end(ff, d, SPOOL_FINISHED, text);
}

/* One look at one delivery. */
static void
progress_follow(struct ff *ff, struct spool_delivery *d)
{
	json_t		*req, *job = NULL;
	const char	*state;
	char		 text[512], *cause = NULL;
	int		 r;

	progress_ensure_job(ff, d);
	/* The totals while it runs; every task only once it has ended. */
	req = json_pack("{s:s, s:I, s:b}", "op", "job", "id",
	    (json_int_t)d->ferry_job, "tasks", 0);
	r = ferryapi_call(ff->hub_state, req, &job, &cause);
	state = r == 0 ? json_string_value(json_object_get(job, "state")) :
	    NULL;
	if (state != NULL && strcmp(state, "running") != 0 &&
	    strcmp(state, "paused") != 0) {
		json_decref(job);
		job = NULL;
		json_object_del(req, "tasks");
		r = ferryapi_call(ff->hub_state, req, &job, &cause);
	}
	json_decref(req);
	if (r == FERRY_ERR_DENIED && ferryapi_no_such_job(cause)) {
		snprintf(text, sizeof text, "ferry job %jd, %s to %s failed: "
		    "the hub no longer has it", (intmax_t)d->ferry_job,
		    d->source, d->dest);
		progress_end(ff, d, SPOOL_FAILED, text);
	} else if (r != 0)
		log_warnx("ferry job %jd: cannot ask the hub: %s",
		    (intmax_t)d->ferry_job, cause);
	else if ((state = json_string_value(json_object_get(job, "state"))) ==
	    NULL)
		log_warnx("ferry job %jd: the hub sent no state",
		    (intmax_t)d->ferry_job);
	else if (strcmp(state, "done") == 0)
		progress_done(ff, d, job);
	else if (strcmp(state, "failed") == 0 ||
	    strcmp(state, "cancelled") == 0)
		progress_failed(ff, d, job);
	else
		progress_show(ff, d, job);
	json_decref(job);
	free(cause);
}

static int
progress_collect(void *arg, const struct spool_delivery *d)
{
	json_array_append_new(arg, json_integer(d->ferry_job));
	return (0);
}

/*
 * Reads one delivery afresh from the spool and, while it runs, hands it
 * to act (follow it, or just make sure its ftrack Job exists).
 */
static void
progress_with(struct ff *ff, int64_t ferry_job,
    void (*act)(struct ff *, struct spool_delivery *))
{
	struct spool_delivery	 d;
	char			*cause = NULL;

	if (spool_delivery_get(ff->spool, ferry_job, &d, &cause) != 0) {
		log_error("%s", cause);
		free(cause);
		return;
	}
	if (d.state == SPOOL_RUNNING)
		act(ff, &d);
	spool_delivery_clear(&d);
}

void
progress_tick(struct ff *ff)
{
	json_t	*jobs, *id;
	char	*cause = NULL;
	size_t	 i;

	if (clock_ms() < ff->next_tick_ms)
		return;
	ff->next_tick_ms = clock_ms() + ff->conf.update_ms;
	jobs = json_array();
	if (spool_delivery_running(ff->spool, progress_collect, jobs,
	    &cause) != 0) {
		log_error("%s", cause);
		free(cause);
	}
	json_array_foreach(jobs, i, id)
		progress_with(ff, json_integer_value(id), progress_follow);
	json_decref(jobs);
	/*
	 * Jobs sent to the studio with a task (ferry publish) are ours too,
	 * but only while this one answers ftrack: beside a standby hub, the
	 * other ferry-ftrack plans them, and two would make two versions.
	 */
	if (ff->answering)
		publish_tick(ff);
}

void
progress_start(struct ff *ff, int64_t ferry_job)
{
	progress_with(ff, ferry_job, progress_ensure_job);
}
