/*
 * The hub's metrics in Prometheus's text format (GET /metrics on the
 * status page's port; docs/operations.md lists them). What is in the
 * store (jobs, files and bytes moved, failures, retries, its size) survives
 * restarts; what the agents report per transfer (wire against delivered
 * bytes, durations) counts from the hub's start, as Prometheus expects of
 * a counter that resets with its process.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "ferryd.h"
#include "saved.h"
#include "store.h"

/* A failed file's error, sorted into a few reasons a dashboard can use. */
static const struct {
	const char	*needle;
	const char	*reason;
} metrics_reasons[] = {
	{ "no space", "disk_full" },
	{ "quota", "disk_full" },
	{ "not allowed", "refused" },
	{ "refused", "refused" },
	{ "denied", "refused" },
	{ "in the way", "refused" },
	{ "no progress", "stalled" },
	{ "stall", "stalled" },
	{ "timed out", "timeout" },
	{ "closed", "network" },
	{ "reset", "network" },
	{ "unreachable", "network" },
	{ "connect", "network" },
	{ "hash", "verify" },
	{ "mismatch", "verify" },
	{ "changed", "source_changed" },
	{ "no such file", "missing" },
	{ "missing", "missing" },
	{ "vanished", "missing" },
};

static const char *const metrics_states[] = {
	"running", "done", "failed", "cancelled", "paused"
};

struct metrics {
	struct buf	*b;
	int64_t		 n[sizeof metrics_states / sizeof metrics_states[0]];
	json_t		*reasons;	/* {reason: files} */
	json_t		*moved;		/* [[destination, files, bytes]] */
};

static const char *
metrics_reason(const char *error)
{
	size_t	i;

	for (i = 0; i < sizeof metrics_reasons / sizeof metrics_reasons[0];
	    i++) {
		if (strcasestr(error, metrics_reasons[i].needle) != NULL)
			return (metrics_reasons[i].reason);
	}
	return ("other");
}

/* A label's value, escaped as the text format asks. */
static void
metrics_label(struct buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			buf_addch(b, '\\');
		if (*v == '\n')
			buf_addstr(b, "\\n");
		else
			buf_addch(b, *v);
	}
}

static void
metrics_head(struct buf *b, const char *name, const char *type,
    const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int
metrics_jobs_cb(void *arg, const struct store_stat_row *row)
{
	struct metrics	*m = arg;
	size_t		 i;

	for (i = 0; i < sizeof metrics_states / sizeof metrics_states[0]; i++)
		if (strcmp(row->label, metrics_states[i]) == 0)
			m->n[i] = row->a;
	return (0);
}

static int
metrics_moved_cb(void *arg, const struct store_stat_row *row)
{
	struct metrics	*m = arg;

	return (json_array_append_new(m->moved, json_pack("[s, I, I]",
	    row->label, (json_int_t)row->a, (json_int_t)row->b)));
}

/* One family's samples together, as the text format asks. */
static void
metrics_moved(struct metrics *m, const char *name, size_t col)
{
	json_t	*row;
	size_t	 i;

	json_array_foreach(m->moved, i, row) {
		buf_printf(m->b, "%s{destination=\"", name);
		metrics_label(m->b, json_string_value(json_array_get(row, 0)));
		buf_printf(m->b, "\"} %" JSON_INTEGER_FORMAT "\n",
		    json_integer_value(json_array_get(row, col)));
	}
}

static int
metrics_failed_cb(void *arg, const struct store_stat_row *row)
{
	struct metrics	*m = arg;
	const char	*reason = metrics_reason(row->label);
	json_t		*v = json_object_get(m->reasons, reason);

	json_object_set_new(m->reasons, reason, json_integer(row->a +
	    json_integer_value(v)));
	return (0);
}

static int
metrics_one_cb(void *arg, const struct store_stat_row *row)
{
	*(int64_t *)arg = row->a;
	return (0);
}

static void
metrics_saved(struct buf *b)
{
	struct saved_totals	t;
	int64_t			cum = 0;
	size_t			i;

	saved_totals(&t);
	metrics_head(b, "ferry_delivered_bytes_total", "counter", "Bytes the "
	    "agents delivered since the hub started.");
	buf_printf(b, "ferry_delivered_bytes_total %" PRId64 "\n", t.bytes);
	metrics_head(b, "ferry_wire_bytes_total", "counter", "Bytes that "
	    "crossed the wire for them (deltas and skipped files save the "
	    "rest).");
	buf_printf(b, "ferry_wire_bytes_total %" PRId64 "\n", t.wire);
	metrics_head(b, "ferry_transfer_duration_seconds", "histogram",
	    "How long each transfer took, from its start to its report.");
	for (i = 0; i < SAVED_BUCKETS; i++) {
		cum += t.buckets[i];
		buf_printf(b, "ferry_transfer_duration_seconds_bucket{le=\"%g\"}"
		    " %" PRId64 "\n", saved_bucket_s[i], cum);
	}
	buf_printf(b, "ferry_transfer_duration_seconds_bucket{le=\"+Inf\"} %"
	    PRId64 "\n", t.xfers);
	buf_printf(b, "ferry_transfer_duration_seconds_sum %.3f\n", t.sum_s);
	buf_printf(b, "ferry_transfer_duration_seconds_count %" PRId64 "\n",
	    t.xfers);
}

/* The store's figures; the caller holds d->mu. */
static int
metrics_store(struct ferryd *d, struct metrics *m, char **cause)
{
	const char	*reason;
	json_t		*v;
	int64_t		 retries = 0, size = 0;
	size_t		 i;
	int		 r;

	if ((r = store_stat(d->store, STORE_STAT_JOBS, metrics_jobs_cb, m,
	    cause)) != 0)
		return (r);
	metrics_head(m->b, "ferry_jobs", "gauge", "Jobs in the hub's store, "
	    "by state.");
	for (i = 0; i < sizeof metrics_states / sizeof metrics_states[0]; i++)
		buf_printf(m->b, "ferry_jobs{state=\"%s\"} %" PRId64 "\n",
		    metrics_states[i], m->n[i]);
	if ((r = store_stat(d->store, STORE_STAT_MOVED, metrics_moved_cb, m,
	    cause)) != 0 || (r = store_stat(d->store, STORE_STAT_FAILED,
	    metrics_failed_cb, m, cause)) != 0 || (r = store_stat(d->store,
	    STORE_STAT_RETRIES, metrics_one_cb, &retries, cause)) != 0 ||
	    (r = store_stat(d->store, STORE_STAT_SIZE, metrics_one_cb, &size,
	    cause)) != 0)
		return (r);
	metrics_head(m->b, "ferry_moved_files_total", "counter", "Files "
	    "delivered, by destination (a site, or a person's e-mail).");
	metrics_moved(m, "ferry_moved_files_total", 1);
	metrics_head(m->b, "ferry_moved_bytes_total", "counter", "Bytes of "
	    "the files delivered, by destination.");
	metrics_moved(m, "ferry_moved_bytes_total", 2);
	metrics_head(m->b, "ferry_failed_files", "gauge", "Files whose job "
	    "gave up on them, by reason (a retry takes them back).");
	json_object_foreach(m->reasons, reason, v)
		buf_printf(m->b, "ferry_failed_files{reason=\"%s\"} %"
		    JSON_INTEGER_FORMAT "\n", reason, json_integer_value(v));
	metrics_head(m->b, "ferry_retries_total", "counter", "Attempts at "
	    "files beyond their first.");
	buf_printf(m->b, "ferry_retries_total %" PRId64 "\n", retries);
	metrics_head(m->b, "ferry_store_size_bytes", "gauge", "The size of "
	    "the hub's database.");
	buf_printf(m->b, "ferry_store_size_bytes %" PRId64 "\n", size);
	return (0);
}

/* The relay through the hub (hub-splice.c), under its own lock. */
static void
metrics_relay(struct buf *b)
{
	uint64_t	bytes;
	int		pairs, pending;

	splice_stats(&bytes, &pairs, &pending);
	metrics_head(b, "ferry_relayed_bytes_total", "counter", "Bytes the "
	    "hub relayed between agents that could not reach each other, "
	    "since it started (each crossed the hub's link twice).");
	buf_printf(b, "ferry_relayed_bytes_total %" PRIu64 "\n", bytes);
	metrics_head(b, "ferry_relay_connections", "gauge", "Relay "
	    "connections now: joined in pairs, or waiting for their peer.");
	buf_printf(b, "ferry_relay_connections{state=\"joined\"} %d\n"
	    "ferry_relay_connections{state=\"waiting\"} %d\n", 2 * pairs,
	    pending);
}

int
metrics_text(struct ferryd *d, struct buf *b, char **cause)
{
	struct metrics	 m;
	struct hub_link	*l;
	int64_t		 sites = 0, users = 0;
	int		 r;

	memset(&m, 0, sizeof m);
	m.b = b;
	m.moved = json_array();
	if ((m.reasons = json_object()) == NULL || m.moved == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	pthread_mutex_lock(&d->mu);
	r = metrics_store(d, &m, cause);
	for (l = d->hub_links; l != NULL; l = l->next) {
		if (l->site != NULL)
			sites++;
		else
			users++;
	}
	if (r == 0)
		metrics_saved(b);
	pthread_mutex_unlock(&d->mu);
	json_decref(m.reasons);
	json_decref(m.moved);
	if (r != 0)
		return (r);
	metrics_head(b, "ferry_agents_connected", "gauge", "Agents linked to "
	    "the hub now, sites' and people's.");
	buf_printf(b, "ferry_agents_connected{kind=\"site\"} %" PRId64 "\n"
	    "ferry_agents_connected{kind=\"person\"} %" PRId64 "\n", sites,
	    users);
	metrics_relay(b);
	return (0);
}
