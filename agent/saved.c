/*
 * What the deltas saved, per job (saved.h): the bytes delivered and the
 * bytes that crossed the wire, as the agents report each transfer. Kept
 * in memory, for the jobs of this run of the hub.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "clock.h"
#include "ferryd.h"
#include "identity.h"
#include "saved.h"
#include "store.h"

#define SAVED_MAX	1024	/* transfers remembered, oldest replaced */
/*
 * An end's figures are its word: at most what the transfer carries (a
 * vendor reported 2^63-1, and the totals overflowed). The wire may carry
 * a little more than the files: framing, each file's entry. A transfer
 * whose files are not known (taken over from another hub) is held to a
 * task's largest size (STORE_SIZE_MAX).
 */
#define SAVED_WIRE_FILE		4096
#define SAVED_WIRE_SLACK	(1024 * 1024)

struct saved_xfer {
	int64_t	xfer_id;
	int64_t	job_id;
	int64_t	start_ms;
	int	counted;	/* its first report is in */
	int64_t	files, bytes;	/* what it carries; files -1: unknown */
	/* Its agents' keys: only they report on it (all zero: the hub). */
	uint8_t	ends[2][IDENTITY_FP_LEN];
};

/* The upper bounds of the duration histogram's buckets, in seconds. */
const double saved_bucket_s[SAVED_BUCKETS] = {
	0.1, 0.5, 1, 5, 15, 60, 300, 1800, 3600, 14400
};
static struct saved_totals	saved_all;

struct saved_job {
	int64_t	job_id;
	int64_t	bytes;
	int64_t	wire;
	int64_t	relayed;	/* through the hub's relay */
	int64_t	striped;	/* files sent in chunks on several streams */
	int	streams;	/* the most a transfer of it opened */
};

static struct saved_xfer	saved_xfers[SAVED_MAX];
static struct saved_job		saved_jobs[SAVED_MAX];
static size_t			saved_next_xfer, saved_next_job;

void
saved_xfer_start(int64_t xfer_id, int64_t job_id, const uint8_t *send_fp,
    const uint8_t *recv_fp)
{
	struct saved_xfer	*s = &saved_xfers[saved_next_xfer++ %
				    SAVED_MAX];

	s->xfer_id = xfer_id;
	s->job_id = job_id;
	s->start_ms = clock_ms();
	s->counted = 0;
	s->files = -1;
	s->bytes = 0;
	memset(s->ends, 0, sizeof s->ends);
	if (send_fp != NULL)
		memcpy(s->ends[0], send_fp, IDENTITY_FP_LEN);
	if (recv_fp != NULL)
		memcpy(s->ends[1], recv_fp, IDENTITY_FP_LEN);
}

void
saved_xfer_plan(int64_t xfer_id, int64_t files, int64_t bytes)
{
	size_t	i;

	for (i = 0; i < SAVED_MAX; i++) {
		if (saved_xfers[i].xfer_id == xfer_id) {
			saved_xfers[i].files = files;
			saved_xfers[i].bytes = bytes < 0 ? 0 :
			    bytes > SAVED_BYTES_MAX ? SAVED_BYTES_MAX : bytes;
			return;
		}
	}
}

void
saved_job_forget(int64_t job_id)
{
	size_t	i;

	for (i = 0; i < SAVED_MAX; i++) {
		if (saved_jobs[i].job_id == job_id)
			memset(&saved_jobs[i], 0, sizeof saved_jobs[i]);
		/* Zeroed, as never used: no end's report matches it. */
		if (saved_xfers[i].job_id == job_id)
			memset(&saved_xfers[i], 0, sizeof saved_xfers[i]);
	}
}

/* v, from 0 to max. */
static int64_t
saved_clamp(int64_t v, int64_t max)
{
	return (v < 0 ? 0 : v > max ? max : v);
}

/* Whether the agent of key fp is an end of x (never the hub's zeros). */
static int
saved_end(const struct saved_xfer *x, const uint8_t *fp)
{
	static const uint8_t	zero[IDENTITY_FP_LEN];

	return (fp != NULL && memcmp(fp, zero, sizeof zero) != 0 &&
	    (memcmp(fp, x->ends[0], IDENTITY_FP_LEN) == 0 ||
	    memcmp(fp, x->ends[1], IDENTITY_FP_LEN) == 0));
}

static struct saved_job *
saved_job(int64_t job_id, int make)
{
	struct saved_job	*s;
	size_t			 i;

	for (i = 0; i < SAVED_MAX; i++) {
		if (saved_jobs[i].job_id == job_id)
			return (&saved_jobs[i]);
	}
	if (!make)
		return (NULL);
	s = &saved_jobs[saved_next_job++ % SAVED_MAX];
	memset(s, 0, sizeof *s);
	s->job_id = job_id;
	return (s);
}

/* The totals since the hub started, and the transfer's duration. */
static void
saved_count(const struct saved_xfer *x, int64_t bytes, int64_t wire)
{
	double	secs = (double)(clock_ms() - x->start_ms) / 1000;
	size_t	b;

	saved_all.bytes += bytes;
	saved_all.wire += wire;
	saved_all.xfers++;
	saved_all.sum_s += secs;
	for (b = 0; b < SAVED_BUCKETS && secs > saved_bucket_s[b]; b++)
		continue;
	saved_all.buckets[b]++;		/* b == SAVED_BUCKETS: +Inf only */
}

void
saved_totals(struct saved_totals *out)
{
	*out = saved_all;
}

void
saved_xfer_done(const json_t *msg, const uint8_t *fp)
{
	struct saved_xfer	*x;
	struct saved_job	*j;
	int64_t			 id = json_integer_value(json_object_get(msg,
				    "id"));
	int64_t			 bytes, wire, n, files, most;
	size_t			 i;

	for (i = 0; i < SAVED_MAX; i++) {
		if (saved_xfers[i].xfer_id != id ||
		    !saved_end(&saved_xfers[i], fp) ||
		    (j = saved_job(saved_xfers[i].job_id, 1)) == NULL)
			continue;
		/* An agent's word: at most what the hub can ask (16). */
		n = json_integer_value(json_object_get(msg, "streams"));
		if (n > j->streams && n <= 16)
			j->streams = (int)n;
		/* Both ends report a transfer between agents: once. */
		if (saved_xfers[i].counted)
			continue;
		saved_xfers[i].counted = 1;
		x = &saved_xfers[i];
		files = x->files >= 0 ? x->files : 1 << 20;
		most = x->files >= 0 ? x->bytes : STORE_SIZE_MAX;
		/* Both ends count the files striped: once, too. */
		j->striped += saved_clamp(json_integer_value(json_object_get(
		    msg, "striped")), files);
		bytes = saved_clamp(json_integer_value(json_object_get(msg,
		    "bytes")), most);
		wire = saved_clamp(json_integer_value(json_object_get(msg,
		    "wire_bytes")), most + most / 64 + files * SAVED_WIRE_FILE +
		    SAVED_WIRE_SLACK);
		j->bytes += bytes;
		j->wire += wire;
		saved_count(&saved_xfers[i], bytes, wire);
		return;
	}
}

void
saved_relayed(int64_t job_id, uint64_t bytes)
{
	struct saved_job	*j;

	if (bytes > 0 && (j = saved_job(job_id, 1)) != NULL)
		j->relayed += (int64_t)bytes;
}

void
saved_job_json(int64_t job_id, json_t *obj)
{
	struct saved_job	*j = saved_job(job_id, 0);

	if (j != NULL && j->relayed > 0)
		json_object_set_new(obj, "relayed_bytes",
		    json_integer(j->relayed));
	if (j != NULL && j->streams > 0) {
		json_object_set_new(obj, "streams", json_integer(j->streams));
		json_object_set_new(obj, "striped", json_integer(j->striped));
	}
	if (j == NULL || j->bytes == 0)
		return;
	json_object_set_new(obj, "wire_bytes", json_integer(j->wire));
	json_object_set_new(obj, "sent_bytes", json_integer(j->bytes));
}
