/*
 * Transfers that carry on across a failover (issue 17, docs/operations.md
 * "What carries on across a failover"). Data flows agent to agent, so
 * when the active hub dies its transfers between two agents need not:
 * the hub that started one wrote a claim (store-claim.c) with its two
 * ends and its tasks, and the next active hub leaves those tasks running
 * for a while instead of queueing them again. Each agent that links to
 * it says in its hello which transfers it runs (or ran while no hub was
 * reachable), and this file checks every such report against the claim:
 * the transfer, its job, the reporting agent's name and key for the role
 * it claims, and the peer's key. A report that matches makes the agent
 * that end of the adopted transfer (the welcome says so, and the agent
 * carries on); one that does not is refused and audited, and the agent
 * stops that transfer, as it would have before. Once both ends
 * reported, this run takes the claim over; a claim whose ends do not
 * both report within ADOPT_WAIT_S is released: its tasks are queued
 * again and their partial files resume, as after any crash.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "ferryd.h"
#include "hub-dispatch.h"
#include "identity.h"
#include "log.h"
#include "store.h"

struct adopt_load {
	struct ferryd		*d;
	struct jobs_xfer	*list;
	size_t			 n;
};

/* One end of a claimed transfer, to be filled in when its agent links. */
static int
adopt_end(struct dispatch_end *e, const char *name, const char *fp)
{
	memset(e, 0, sizeof *e);
	if (identity_fp_parse(fp, e->fp, NULL) != 0 ||
	    (e->link = strdup(name)) == NULL)
		return (-1);
	return (0);
}

/* The job's destination and submitter, for windows and the audit. */
static void
adopt_job(struct ferryd *d, struct jobs_xfer *x)
{
	struct store_job	j;

	if (store_job_get(d->store, x->job_id, &j, NULL) != 0)
		return;
	x->submitter = j.submitter ? strdup(j.submitter) : NULL;
	x->site = strdup(j.to_site != NULL ? j.to_site : j.to_user);
	if (x->site != NULL)
		atomic_store(&x->bwlimit, hub_window_cap(d, x->site));
	store_job_clear(&j);
}

static int
adopt_claim_cb(void *arg, struct store_claim *c)
{
	struct adopt_load	*al = arg;
	struct ferryd		*d = al->d;
	struct jobs_xfer	*x;
	size_t			 i, running = 0;

	for (i = 0; i < c->n; i++)
		running += c->running[i] != 0;
	/* Settled while its hub lived: nothing left to take over. */
	if (running == 0) {
		store_claim_drop(d->store, c->id, NULL);
		return (0);
	}
	if ((x = calloc(1, sizeof *x)) == NULL)
		return (0);
	pthread_cond_init(&x->heard, NULL);
	pthread_mutex_init(&x->dmu, NULL);
	x->d = d;
	x->id = c->id;
	x->job_id = c->job_id;
	x->claimed = x->adopted = 1;
	x->claim_run = c->run;
	x->adopt_until = clock_now() + ADOPT_WAIT_S;
	x->task = c->tasks;
	c->tasks = NULL;	/* transferred */
	x->settled = calloc(c->n ? c->n : 1, sizeof *x->settled);
	x->delivered = calloc(c->n ? c->n : 1, sizeof *x->delivered);
	x->l.v = calloc(c->n ? c->n : 1, sizeof *x->l.v);
	x->l.n = x->l.cap = c->n;
	if (x->settled == NULL || x->delivered == NULL || x->l.v == NULL ||
	    adopt_end(&x->send, c->send_name, c->send_fp) != 0 ||
	    adopt_end(&x->recv, c->recv_name, c->recv_fp) != 0) {
		/* Not taken over: queued again, as after any crash. */
		dispatch_xfer_free(x);
		store_claim_release(d->store, c->id, clock_now(), NULL, NULL);
		return (0);
	}
	/* Files its hub had settled stay as they are. */
	for (i = 0; i < c->n; i++)
		x->settled[i] = !c->running[i];
	adopt_job(d, x);
	x->next = al->list;
	al->list = x;
	al->n++;
	return (0);
}

struct jobs_xfer *
adopt_load(struct ferryd *d, size_t *n)
{
	struct adopt_load	 al = { d, NULL, 0 };
	char			*cause = NULL;

	if (store_claims(d->store, adopt_claim_cb, &al, &cause) != 0) {
		log_warnx("the store's claims on running transfers: %s; their "
		    "tasks are queued again", cause);
		free(cause);
	}
	*n = al.n;
	return (al.list);
}

/* The transfer this hub waits to take over, by id; NULL: none. */
static struct jobs_xfer *
adopt_find(struct ferryd *d, json_int_t id)
{
	struct jobs_xfer	*x;

	for (x = d->xfers; x != NULL; x = x->next) {
		if (x->adopted && !x->adopt_fail && x->id == id)
			return (x);
	}
	return (NULL);
}

/*
 * Whether report r from agent l matches x's claim: NULL if so, else why
 * not (for the audit trail and the log).
 */
static const char *
adopt_check(struct jobs_xfer *x, const struct hub_link *l, const json_t *r,
    struct dispatch_end **endp)
{
	const char		*role = json_string_value(json_object_get(r,
				    "role"));
	const char		*peer = json_string_value(json_object_get(r,
				    "peer_fp"));
	struct dispatch_end	*e, *other;
	uint8_t			 fp[IDENTITY_FP_LEN];

	if (role == NULL || (strcmp(role, "send") != 0 &&
	    strcmp(role, "recv") != 0))
		return ("no role, or not send or recv");
	e = strcmp(role, "send") == 0 ? &x->send : &x->recv;
	other = e == &x->send ? &x->recv : &x->send;
	if (strcmp(e->link, l->name) != 0 ||
	    memcmp(e->fp, l->fp, IDENTITY_FP_LEN) != 0)
		return ("this agent is not that end of the transfer");
	if (json_integer_value(json_object_get(r, "job")) != x->job_id)
		return ("the transfer is another job's");
	if (peer == NULL || identity_fp_parse(peer, fp, NULL) != 0 ||
	    memcmp(fp, other->fp, IDENTITY_FP_LEN) != 0)
		return ("the peer is not the transfer's other end");
	if (e->gen != 0)
		return ("that end reported it already");
	*endp = e;
	return (NULL);
}

/* What a matching report says: settled files, and an end already come. */
static void
adopt_take(struct ferryd *d, struct jobs_xfer *x, struct hub_link *l,
    struct dispatch_end *e, const json_t *r)
{
	const json_t	*v;
	const char	*err = json_string_value(json_object_get(r, "error"));
	size_t		 i;
	char		*cause = NULL;

	e->gen = l->gen;
	e->person = l->user != NULL;
	e->commits = l->commits;
	snprintf(e->addr, sizeof e->addr, "%s", l->addr);
	l->busy++;
	x->heard_at = clock_now();
	/*
	 * The word on each file, as its transfer.file would be: a site's
	 * sender's; a person's machine's never, but the site receiving
	 * from it, which reports what it received (dispatch_recv_word).
	 */
	if ((e == &x->send && !e->person) || (e == &x->recv && !e->person &&
	    e->commits)) {
		json_array_foreach(json_object_get(r, "done"), i, v) {
			if (json_is_integer(v) && json_integer_value(v) >= 0 &&
			    (size_t)json_integer_value(v) < x->l.n)
				dispatch_settle(x, (size_t)json_integer_value(v),
				    1, NULL);
		}
	}
	if (json_is_true(json_object_get(r, "ended"))) {
		if (e == &x->send)
			x->send_done = 1;
		else
			x->recv_done = 1;
		if (!json_is_true(json_object_get(r, "ok")) &&
		    x->agent_error == NULL && asprintf(&x->agent_error,
		    "agent %s: %s", l->name, err ? err : "failed") == -1)
			x->agent_error = NULL;
	}
	if (x->send.gen != 0 && x->recv.gen != 0) {
		if (store_claim_take(d->store, x->id, x->claim_run, d->hub_run,
		    &cause) != 0) {
			log_warnx("transfer %jd: %s", (intmax_t)x->id, cause);
			x->adopt_fail = 1;
		} else
			log_info("transfer %jd (job %jd, %s to %s) carries on "
			    "under this hub: both ends reported it",
			    (intmax_t)x->id, (intmax_t)x->job_id, x->send.link,
			    x->recv.link);
		free(cause);
	}
	pthread_cond_broadcast(&x->heard);
}

json_t *
adopt_hello(struct ferryd *d, struct hub_link *l, const json_t *hello)
{
	const json_t		*running = json_object_get(hello, "running");
	const json_t		*r;
	struct jobs_xfer	*x;
	struct dispatch_end	*e = NULL;
	json_t			*ids = json_array();
	const char		*why, *why1 = NULL;
	json_int_t		 id, id1 = 0, unclaimed1 = 0;
	size_t			 i, refused = 0, unclaimed = 0;

	/*
	 * Only from an agent of another run (this one's knows what it
	 * runs), and a bounded report: an agent runs a few at once.
	 */
	if (ids == NULL || l == NULL || !json_is_array(running) ||
	    json_integer_value(json_object_get(hello, "run")) == d->hub_run)
		return (ids);
	json_array_foreach(running, i, r) {
		if (i >= ADOPT_REPORT_MAX)
			break;
		id = json_integer_value(json_object_get(r, "id"));
		/*
		 * No claim of that id: one that ended under the last hub,
		 * or one no hub can take over (through a hub's relay): the
		 * agent stops it, and there is nothing to protect.
		 */
		if ((x = adopt_find(d, id)) == NULL) {
			if (unclaimed++ == 0)
				unclaimed1 = id;
			continue;
		}
		if ((why = adopt_check(x, l, r, &e)) != NULL) {
			/*
			 * Any agent may repeat a refused report, hello after
			 * hello, and claims' ids are not secret (the last
			 * run's, plus one): recorded as other refusals an
			 * agent can repeat, once a minute, and in the log
			 * once a hello (adopt-flood.sh).
			 */
			if (refused++ == 0) {
				why1 = why;
				id1 = id;
				audit_note_limited(d, l->name, "adopt.refused",
				    json_pack("{s:I, s:O?, s:O?, s:s}",
				    "transfer", id, "job", json_object_get(r,
				    "job"), "role", json_object_get(r, "role"),
				    "why", why));
			}
			continue;
		}
		adopt_take(d, x, l, e, r);
		/* Its files' reports to come, as for a transfer.start. */
		hub_link_credit(l, x->l.n);
		json_array_append_new(ids, json_integer(id));
	}
	if (refused > 0)
		log_warnx("%s says it runs transfer %jd: refused (%s); it stops "
		    "it (%zu report(s) of this hello refused)", l->name,
		    (intmax_t)id1, why1, refused);
	if (unclaimed > 0)
		log_info("%s ran transfer %jd, which no claim names: not taken "
		    "over (%zu such report(s) in this hello)", l->name,
		    (intmax_t)unclaimed1, unclaimed);
	return (ids);
}
