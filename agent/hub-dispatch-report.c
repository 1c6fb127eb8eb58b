/*
 * What a transfer's two sides report to the hub's dispatcher, and what it
 * does with it: each file's fate goes into its task (delivered files in
 * batches), progress at most once a second, suspects into the audit
 * trail. An agent reports over its control link (dispatch_message); when
 * the hub takes part, the transfer library calls back directly.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "ferryd.h"
#include "hub-dispatch.h"
#include "link.h"
#include "log.h"
#include "saved.h"
#include "store.h"

/* The bytes of a suspect's path or reason kept in the audit trail. */
#define DISPATCH_SUSPECT_TEXT	1024

/*
 * Marks the delivered files' tasks done, in one transaction, now or (if
 * !all) once the batch is full or old enough. Caller holds d->mu.
 */
/* Whether the delivered files are due to be marked. Caller holds dmu. */
static int
dispatch_flush_due(const struct jobs_xfer *x, int all)
{
	return (x->ndelivered > 0 && (all || x->ndelivered >=
	    DISPATCH_DONE_BATCH || clock_ms() - x->delivered_since >=
	    DISPATCH_DONE_MS));
}

void
dispatch_flush(struct jobs_xfer *x, int all)
{
	struct store	*st = x->d->store;

	pthread_mutex_lock(&x->dmu);
	if (dispatch_flush_due(x, all)) {
		/*
		 * Light (not flushed): a power cut may undo the marks, and
		 * then the files are offered again and found there, whole;
		 * a kill -9 undoes nothing. A no-op of 20,000 files flushed
		 * the store's log once per batch for marks alone.
		 */
		if (store_batch_begin_light(st, NULL) == 0)
			store_batch_end(st, x->held ? store_tasks_done_held(st,
			    x->job_id, x->delivered, x->ndelivered,
			    x->hold_since, clock_now(), NULL, NULL) :
			    store_tasks_done(st, x->job_id, x->delivered,
			    x->ndelivered, clock_now(), NULL, NULL), NULL);
		x->ndelivered = 0;
	}
	pthread_mutex_unlock(&x->dmu);
}

/*
 * Notes file i as settled; for a delivered file, queues its task to be
 * marked done. 0 if it was settled already. Takes dmu.
 */
static int
dispatch_note(struct jobs_xfer *x, size_t i, int ok, int *due)
{
	int	fresh = 0;

	pthread_mutex_lock(&x->dmu);
	if (i < x->l.n && !x->settled[i]) {
		fresh = x->settled[i] = 1;
		if (ok) {
			if (x->ndelivered == 0)
				x->delivered_since = clock_ms();
			x->delivered[x->ndelivered++] = x->task[i];
		}
	}
	*due = dispatch_flush_due(x, 0);
	pthread_mutex_unlock(&x->dmu);
	return (fresh);
}

/* A file's fate is settled: so is its task. Caller holds d->mu. */
void
dispatch_settle(struct jobs_xfer *x, size_t i, int ok, const char *why)
{
	char	*cause = NULL;
	int	 due;

	if (!dispatch_note(x, i, ok, &due))
		return;
	if (ok) {
		if (due)
			dispatch_flush(x, 0);
		return;
	}
	dispatch_unhold(x);
	store_task_fail(x->d->store, x->task[i], why ? why : "failed",
	    clock_now(), &cause);
	if (cause != NULL)
		log_warnx("task %jd: %s", (intmax_t)x->task[i], cause);
	free(cause);
}

/*
 * The transfer library settles a file the hub sends: a delivered one
 * takes the hub's lock only when the batch is due to be stored.
 */
void
dispatch_file_done(size_t i, int ok, const char *why, void *arg)
{
	struct jobs_xfer	*x = arg;
	int			 due;

	if (ok) {
		if (dispatch_note(x, i, 1, &due) && due) {
			pthread_mutex_lock(&x->d->mu);
			dispatch_flush(x, 0);
			pthread_mutex_unlock(&x->d->mu);
		}
		return;
	}
	pthread_mutex_lock(&x->d->mu);
	dispatch_settle(x, i, ok, why);
	pthread_mutex_unlock(&x->d->mu);
}

void
dispatch_committed(const char *rel, void *arg)
{
	struct jobs_xfer	*x = arg;
	size_t			 k, i, start;

	/*
	 * x->l is fixed while the transfer runs. Files are committed in
	 * about the order offered: the search starts after the last one
	 * found, so a batch of 4,096 costs one pass, not 4,096 squared / 2.
	 */
	if (x->l.n == 0)
		return;
	pthread_mutex_lock(&x->d->mu);
	start = x->commit_next;
	pthread_mutex_unlock(&x->d->mu);
	for (k = 0; k < x->l.n; k++) {
		i = (start + k) % x->l.n;
		if (strcmp(x->l.v[i].rel, rel) == 0) {
			pthread_mutex_lock(&x->d->mu);
			x->commit_next = i + 1;
			pthread_mutex_unlock(&x->d->mu);
			dispatch_file_done(i, 1, NULL, x);
			return;
		}
	}
}

/* A file's bytes so far go into its task. Caller holds d->mu. */
static void
dispatch_progress_at(struct jobs_xfer *x, size_t i, int64_t bytes)
{
	int	settled;

	pthread_mutex_lock(&x->dmu);
	settled = i >= x->l.n || x->settled[i];
	pthread_mutex_unlock(&x->dmu);
	/*
	 * A held start's first second of progress is kept, not stored: a
	 * small file's early word would write thousands of starts. The
	 * hold's end (dispatch_unhold) stores it.
	 */
	if (settled)
		return;
	if (x->held && clock_ms() - x->hold_ms < DISPATCH_HOLD_MS) {
		x->hold_file = i + 1;
		x->hold_bytes = bytes;
		return;
	}
	dispatch_unhold(x);
	store_task_progress(x->d->store, x->task[i], bytes, clock_now(),
	    NULL);
}

/*
 * A held start's rows move queued -> running now, as an unheld start
 * writes them: what the transfer delivered so far goes queued -> done
 * first. A failed write leaves the hold as it was (its rows queued: a
 * delivery still marks them done, a failure leaves them to run again).
 */
void
dispatch_unhold(struct jobs_xfer *x)
{
	struct store	*st = x->d->store;
	char		*cause = NULL;
	int		 r;

	/*
	 * Never a stopped transfer's (a pause, a cancel, this hub fenced): its
	 * rows are the pause's or the cancel's now, and a resume's queued
	 * rows written running for a transfer that will not settle them
	 * (dispatch_end_claim: stopped on purpose) would stay running until
	 * the stall sweep failed them, an attempt counted for a pause.
	 */
	if (!x->held || x->abort)
		return;
	dispatch_flush(x, 1);
	if ((r = store_batch_begin_light(st, &cause)) == 0) {
		r = store_tasks_start(st, x->job_id, x->task, x->l.n,
		    clock_now(), NULL, &cause);
		r = store_batch_end(st, r, r == 0 ? &cause : NULL);
	}
	if (r == 0) {
		x->held = 0;
		/* The progress kept while held, stored as any other now. */
		if (x->hold_file > 0)
			dispatch_progress_at(x, x->hold_file - 1,
			    x->hold_bytes);
		x->hold_file = 0;
	} else
		log_warnx("transfer %jd (job %jd): its start not stored: %s",
		    (intmax_t)x->id, (intmax_t)x->job_id, cause ? cause :
		    "unknown error");
	free(cause);
}

/*
 * The library's progress when the hub sends: at most once a second, so
 * that `ferry jobs` can show it and a stalled transfer can be told from a
 * slow one.
 */
void
dispatch_progress(const struct transfer_progress *p, void *arg)
{
	struct jobs_xfer	*x = arg;
	size_t			 i;
	int64_t			 now = clock_now();

	if (p->file == NULL || p->file_done >= p->file_total ||
	    now == x->last_progress)
		return;
	pthread_mutex_lock(&x->d->mu);
	dispatch_flush(x, 0);
	pthread_mutex_unlock(&x->d->mu);
	for (i = 0; i < x->l.n; i++) {
		if (strcmp(x->l.v[i].rel, p->file) != 0)
			continue;
		x->last_progress = now;
		pthread_mutex_lock(&x->d->mu);
		dispatch_progress_at(x, i, (int64_t)p->file_done);
		pthread_mutex_unlock(&x->d->mu);
		break;
	}
}

/*
 * s cut to DISPATCH_SUSPECT_TEXT bytes at most, at a character's start
 * (UTF-8), into buf.
 */
static const char *
dispatch_cut(const char *s, char *buf, size_t size)
{
	size_t	n = strlen(s);

	if (n < size)
		return (s);
	n = size - 1;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return (buf);
}

/*
 * Something in x broke the rules (transfer.h's suspect): a source behind a
 * symlink, an entry or basis refused, a setuid bit dropped. It goes into
 * the audit trail, the first few of a transfer only, each text cut to
 * DISPATCH_SUSPECT_TEXT bytes (an agent's report may carry 8 KiB each:
 * suspect-flood.sh). Caller holds d->mu.
 */
void
dispatch_audit(struct jobs_xfer *x, const char *rel, const char *why)
{
	json_t	*detail;
	char	*text, rbuf[DISPATCH_SUSPECT_TEXT], wbuf[DISPATCH_SUSPECT_TEXT];

	if (x->nsuspect++ >= FERRYD_SUSPECT_MAX)
		return;
	rel = dispatch_cut(rel, rbuf, sizeof rbuf);
	why = dispatch_cut(why, wbuf, sizeof wbuf);
	detail = json_pack("{s:I, s:s, s:s, s:s, s:s}", "job",
	    (json_int_t)x->job_id, "from", x->send.link ? x->send.link :
	    "hub", "to", x->recv.link ? x->recv.link : "hub", "path", rel,
	    "why", why);
	text = detail != NULL ? json_dumps(detail, JSON_COMPACT) : NULL;
	store_audit_add(x->d->store, clock_now(), x->submitter ?
	    x->submitter : "", "transfer.suspect", text, NULL);
	log_warnx("transfer %jd (job %jd): %s: %s", (intmax_t)x->id,
	    (intmax_t)x->job_id, rel, why);
	free(text);
	json_decref(detail);
}

/* The transfer library's suspect callback, when the hub takes part. */
void
dispatch_suspect(const char *rel, const char *why, void *arg)
{
	struct jobs_xfer	*x = arg;

	pthread_mutex_lock(&x->d->mu);
	dispatch_audit(x, rel, why);
	pthread_mutex_unlock(&x->d->mu);
}

/* The running transfer id is about, if agent l takes part in it. */
static struct jobs_xfer *
dispatch_find(struct ferryd *d, const struct hub_link *l, const json_t *msg)
{
	struct jobs_xfer	*x;
	json_int_t		 id = json_integer_value(json_object_get(msg,
				    "id"));

	/*
	 * An end of a transfer taken over from another run (hub-adopt.c)
	 * counts only once its report was taken (gen set).
	 */
	for (x = d->xfers; x != NULL; x = x->next) {
		if (x->id == id && ((x->send.link && x->send.gen != 0 &&
		    strcmp(x->send.link, l->name) == 0) || (x->recv.link &&
		    x->recv.gen != 0 && strcmp(x->recv.link, l->name) == 0)))
			return (x);
	}
	return (NULL);
}

/*
 * A data port announced by agent l: only the agent told to listen, and
 * only a port of the range, so that nobody is sent anywhere else.
 * Caller holds d->mu.
 */
static void
dispatch_port(struct jobs_xfer *x, const struct hub_link *l,
    const json_t *msg)
{
	const json_t	*v = json_object_get(msg, "port");
	json_int_t	 port = json_integer_value(v);

	if (x->lsn != NULL && x->lsn->link != NULL && strcmp(x->lsn->link,
	    l->name) == 0 && json_is_integer(v) && port >= LINK_PORT_FIRST &&
	    port <= LINK_PORT_LAST) {
		x->port = (int)port;
		return;
	}
	/* Once a minute per agent: a vendor could repeat it (port-flood.sh). */
	audit_note_limited(x->d, l->name, "port.refused", json_pack(
	    "{s:I, s:O?}", "transfer", (json_int_t)x->id, "port",
	    json_is_integer(v) ? (json_t *)(uintptr_t)v : NULL));
	if (x->agent_error == NULL && asprintf(&x->agent_error, "agent %s "
	    "announced a data port it may not use (the ports are %d-%d)",
	    l->name, LINK_PORT_FIRST, LINK_PORT_LAST) == -1)
		x->agent_error = NULL;
}

/*
 * Whose word settles x's delivered files: the receiver's, when the
 * sender is a person's machine (a vendor's publish: not trusted to say
 * what arrived) and the receiver a site's agent that reports what it
 * received; else the sender's, as ever (publish-unsent-site.sh).
 */
int
dispatch_recv_word(const struct jobs_xfer *x)
{
	return (x->send.link != NULL && x->recv.link != NULL &&
	    x->send.person && !x->recv.person && x->recv.commits);
}

/*
 * A transfer.file from an end of x about its file i. A failure counts
 * from the sender. A delivery counts from the end whose word settles x
 * (dispatch_recv_word); when the hub itself receives, from neither: a
 * file is delivered when the hub has it in place (dispatch_committed,
 * before the sender's ACK; publish-unsent.sh). Caller holds d->mu.
 */
static void
dispatch_file_word(struct jobs_xfer *x, int sender, size_t i, int ok,
    const char *err)
{
	int	recv_word = dispatch_recv_word(x);

	if (sender && !ok)
		dispatch_settle(x, i, 0, err);
	else if (sender && ok && x->recv.link != NULL && !recv_word)
		dispatch_settle(x, i, 1, err);		/* the sender's word */
	else if (!sender && ok && recv_word)
		dispatch_settle(x, i, 1, NULL);		/* the receiver's */
}

/*
 * An agent's word about a transfer it takes part in. Only what concerns
 * its own part counts: a receiver cannot settle files, nor a stranger
 * anything. Caller holds d->mu.
 */
void
dispatch_message(struct ferryd *d, struct hub_link *l, const char *op,
    const json_t *msg)
{
	struct jobs_xfer	*x;
	const char		*err = json_string_value(json_object_get(msg,
				    "error"));
	size_t			 i = (size_t)json_integer_value(
				    json_object_get(msg, "index"));
	int			 sender, ok = json_is_true(json_object_get(msg,
				    "ok"));

	/* Logged even when the hub's side of it has already ended. */
	if (strcmp(op, "transfer.done") == 0)
		log_info("%s: transfer %jd %s, %jd bytes delivered, %jd on the "
		    "wire%s%s", l->name, (intmax_t)json_integer_value(
		    json_object_get(msg, "id")), ok ? "done" : "failed",
		    (intmax_t)json_integer_value(json_object_get(msg, "bytes")),
		    (intmax_t)json_integer_value(json_object_get(msg,
		    "wire_bytes")), err ? ": " : "", err ? err : "");
	if (strcmp(op, "transfer.done") == 0 && ok)
		saved_xfer_done(msg, l->fp);
	if ((x = dispatch_find(d, l, msg)) == NULL)
		return;
	sender = x->send.link != NULL && strcmp(x->send.link, l->name) == 0;
	x->heard_at = clock_now();
	if (strcmp(op, "transfer.listening") == 0)
		dispatch_port(x, l, msg);
	else if (strcmp(op, "transfer.file") == 0)
		dispatch_file_word(x, sender, i, ok, err);
	else if (strcmp(op, "transfer.progress") == 0 && sender &&
	    x->last_progress != clock_now()) {
		/*
		 * Once a second a transfer, as a real ferryd reports: each is
		 * a store transaction (a disk flush) under d->mu, and a
		 * vendor could send thousands (progress-flood.sh). A report
		 * dropped still counted as life (heard_at). last_progress is
		 * dispatch_progress's when the hub sends, and then no agent
		 * is the sender.
		 */
		x->last_progress = clock_now();
		dispatch_progress_at(x, i, json_integer_value(
		    json_object_get(msg, "bytes")));
	}
	/*
	 * An agent's suspects: FERRYD_SUSPECT_MAX a minute per agent too, as
	 * a publish is a transfer and a vendor can make them one after
	 * another (suspect-flood.sh).
	 */
	else if (strcmp(op, "transfer.suspect") == 0 &&
	    json_is_string(json_object_get(msg, "path")) &&
	    json_is_string(json_object_get(msg, "why")) &&
	    audit_due(d, l->name, "transfer.suspect", FERRYD_SUSPECT_MAX))
		dispatch_audit(x, json_string_value(json_object_get(msg,
		    "path")), json_string_value(json_object_get(msg, "why")));
	else if (strcmp(op, "transfer.done") == 0) {
		if (sender)
			x->send_done = 1;
		else
			x->recv_done = 1;
		if (!ok && x->agent_error == NULL && !x->abort) {
			if (asprintf(&x->agent_error, "agent %s: %s", l->name,
			    err ? err : "failed") == -1)
				x->agent_error = NULL;
		}
	}
	pthread_cond_broadcast(&x->heard);
}
