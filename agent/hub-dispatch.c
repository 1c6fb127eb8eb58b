/*
 * The hub's dispatcher: turns due tasks into transfers and follows them.
 *
 * A transfer has a sender and a receiver, each either the hub itself or an
 * agent on a control link. The reachable side listens on a data port
 * opened for this transfer and for the other side's address only: the hub
 * when it takes part (it always listens), otherwise an agent started with
 * a public address. The hub hands each agent its part in a transfer.start
 * message, with a one-time token and the key to expect. When an agent
 * sends, it reports every file's fate (transfer.file) and its progress
 * (transfer.progress); when the hub sends, the transfer library tells it
 * directly. Either way each file's outcome goes into the store as it
 * settles.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "beneath.h"
#include "clock.h"
#include "conf.h"
#include "err.h"
#include "expand.h"
#include "ferryd.h"
#include "hex.h"
#include "hub-dispatch.h"
#include "hub-names.h"
#include "hub-sftp.h"
#include "identity.h"
#include "link.h"
#include "log.h"
#include "nameset.h"
#include "partial.h"
#include "saved.h"
#include "share-map.h"
#include "store.h"
#include "transfer.h"
#include "tree.h"

/*
 * Tasks in one transfer at most. 32,768 was tried: a no-op of 20,000
 * files was no faster in one transfer than in five (the cost is per
 * file), and the hub tracking D2's 100,000 files went from 44 to 77 MB.
 * 8,192 where a job's due tasks shared among the transfers an agent runs
 * at once came to more was tried too: S7 within its spread, and D2's
 * 100,000 files of one byte took 42 s instead of 13, each transfer past
 * the held start's second (docs/benchmarks.md, thirteenth pass).
 */
#define DISPATCH_BATCH		4096
/*
 * The names one transfer takes, in bytes of JSON: its transfer.start
 * carries them in one control message, which may not pass 1 MiB
 * (FRAME_MAX_BULK), or it is never sent. The rest of the batch waits for
 * the next transfer; names of usual lengths never come near it.
 */
#define DISPATCH_START_BYTES	(768 * 1024)
#define DISPATCH_DONE_WAIT_S	30	/* a sender's last words */
#define DISPATCH_TRY		64	/* jobs tried for one transfer */
#define DISPATCH_AHEAD		2	/* started at once after one started */

/*
 * The names x delivers, relative to the root it delivers into, and their
 * basis hints: all the receiver will take.
 */
static int
dispatch_expect(const struct jobs_xfer *x, struct xfer_expect *e)
{
	const char	**names, **bases;
	size_t		  i;
	int		  r = FERRY_ERR_NOMEM;

	names = calloc(x->l.n + 1, sizeof *names);
	bases = calloc(x->l.n + 1, sizeof *bases);
	if (names != NULL && bases != NULL) {
		for (i = 0; i < x->l.n; i++) {
			names[i] = x->l.v[i].rel;
			bases[i] = x->l.v[i].basis;
		}
		r = xfer_expect_build(e, names, bases, x->l.n);
	}
	free(names);
	free(bases);
	return (r);
}

/* As an agent does (node-xfer.c): old partial files where files arrive. */
static void
dispatch_sweep(const struct jobs_xfer *x)
{
	struct partial_sweep	ps = { x->root, conf_int(x->d->conf.partial_age,
				    PARTIAL_MAX_AGE), "" };
	size_t			i;

	for (i = 0; i < x->l.n; i++)
		partial_sweep_rel(&ps, x->l.v[i].rel);
}

/* The hub takes part: it listens, and sends or receives itself. */
static int
dispatch_run_local(struct jobs_xfer *x, const char *token,
    const uint8_t *tok, char **cause)
{
	struct ferryd		*d = x->d;
	struct dispatch_end	*remote = x->send.link ? &x->send : &x->recv;
	struct link_listener	*lst = NULL;
	struct link_params	 p;
	struct transfer_opts	 o;
	struct transfer_stats	 st;
	struct xfer_expect	 expect;
	struct tls_conn		*conns[STORE_STREAMS_MAX];
	char			 addr[300];
	json_t			*msg;
	int			 fds[STORE_STREAMS_MAX], port, r;

	if ((r = link_listen(x->send.link ? x->recv.pub : x->send.pub,
	    LINK_PORT_FIRST, LINK_PORT_LAST, remote->addr, &lst, &port,
	    cause)) != 0)
		return (r);
	snprintf(addr, sizeof addr, "%s:%d", x->send.link ? x->recv.pub :
	    x->send.pub, port);
	if ((msg = dispatch_start_msg(x, remote, token)) == NULL) {
		link_listener_free(lst);
		return (FERRY_ERR_NOMEM);
	}
	json_object_set_new(msg, "connect", json_string(addr));
	if ((r = dispatch_tell(x, remote->link, msg, cause)) != 0) {
		link_listener_free(lst);
		return (r);
	}
	memset(&p, 0, sizeof p);
	p.id = d->id;
	p.peer_fp = remote->fp;
	p.token = tok;
	p.streams = x->streams;
	p.timeout_ms = FERRYD_TIMEOUT_MS;
	r = link_accept(lst, &p, conns, fds, cause);
	link_listener_free(lst);
	if (r != 0)
		return (r);
	ferryd_streams_idle(conns, x->streams);
	memset(&o, 0, sizeof o);
	o.suspect = dispatch_suspect;
	o.suspect_arg = x;
	o.stripe = x->stripe;
	if (x->send.link == NULL) {
		o.file_done = dispatch_file_done;
		o.file_done_arg = x;
		o.progress = dispatch_progress;
		o.progress_arg = x;
		o.bwlimit_live = &x->bwlimit;
		o.abort = &x->abort;
		r = transfer_send(conns, x->streams, &x->l, &o, &st,
		    cause);
	} else if ((r = dispatch_expect(x, &expect)) == 0) {
		dispatch_sweep(x);
		/* The receiver accepts only the files the hub planned. */
		o.accept = xfer_accept;
		o.flush = d->recv_flush;
		o.recv_umask = d->recv_umask;
		o.accept_arg = &expect;
		o.committed = dispatch_committed;
		o.committed_arg = x;
		/*
		 * A person's machine is judged by the file bytes that
		 * arrive, as a site agent judges it (xfer-slow.c): its word
		 * on its progress kept the hub's stall-timeout quiet while it
		 * dripped a byte a second (slow-sender-hub.sh).
		 */
		r = xfer_slow_receive(&d->conf, x->send.person, conns, fds,
		    x->streams, x->root, &o, &st, cause);
		xfer_expect_clear(&expect);
	}
	link_close(conns, fds, x->streams);
	if (x->send.link != NULL && r == 0) {
		/* The sending agent reports each file; wait for its end. */
		char *why = NULL;

		pthread_mutex_lock(&d->mu);
		if (dispatch_wait(x, UNTIL_SENT, DISPATCH_DONE_WAIT_S,
		    &why) != 0 && r == 0)
			r = err_set(cause, FERRY_ERR_TIMEOUT, "%s", why);
		pthread_mutex_unlock(&d->mu);
		free(why);
	}
	return (r);
}

/*
 * Two agents: the reachable one listens for the other's address, says
 * which port, and the other connects. They report to the hub.
 */
static int
dispatch_run_agents(struct jobs_xfer *x, const char *token, char **cause)
{
	struct ferryd		*d = x->d;
	struct dispatch_end	*lsn, *con;
	char			 addr[300];
	json_t			*msg;
	int			 r;

	lsn = x->recv.pub ? &x->recv : &x->send;
	con = lsn == &x->recv ? &x->send : &x->recv;
	if (lsn->pub == NULL && x->relay_ok)
		return (dispatch_run_relay(x, token, cause));
	if (lsn->pub == NULL)
		return (dispatch_relay_refused(x, cause));
	if ((msg = dispatch_start_msg(x, lsn, token)) == NULL)
		return (FERRY_ERR_NOMEM);
	pthread_mutex_lock(&d->mu);
	x->lsn = lsn;	/* the one agent whose port counts */
	pthread_mutex_unlock(&d->mu);
	json_object_set_new(msg, "listen", json_string(lsn->pub));
	json_object_set_new(msg, "peer_addr", json_string(con->addr));
	if ((r = dispatch_tell(x, lsn->link, msg, cause)) != 0)
		return (r);
	pthread_mutex_lock(&d->mu);
	r = dispatch_wait(x, UNTIL_PORT, FERRYD_TIMEOUT_MS / 1000, cause);
	pthread_mutex_unlock(&d->mu);
	if (r != 0)
		return (r);
	snprintf(addr, sizeof addr, "%s:%d", lsn->pub, x->port);
	if ((msg = dispatch_start_msg(x, con, token)) == NULL)
		return (FERRY_ERR_NOMEM);
	json_object_set_new(msg, "connect", json_string(addr));
	if ((r = dispatch_tell(x, con->link, msg, cause)) != 0)
		return (r);
	pthread_mutex_lock(&d->mu);
	r = dispatch_wait(x, UNTIL_BOTH, 0, cause);
	pthread_mutex_unlock(&d->mu);
	return (r);
}

static int
dispatch_run(struct jobs_xfer *x, char **cause)
{
	uint8_t	tok[LINK_TOKEN_LEN];
	char	hex[2 * LINK_TOKEN_LEN + 1];

	/* Fenced since it was planned: not started (hub-lease.c). */
	if (!lease_fresh(x->d))
		return (err_set(cause, FERRY_ERR_UNREACHABLE, "not started: "
		    "this hub cannot confirm its lease on the database"));
	/* Taken over from another run: its agents carry on (hub-adopt.c). */
	if (x->adopted) {
		int r;

		pthread_mutex_lock(&x->d->mu);
		r = dispatch_wait(x, UNTIL_BOTH, 0, cause);
		pthread_mutex_unlock(&x->d->mu);
		return (r);
	}
	if (RAND_bytes(tok, sizeof tok) != 1)
		return (err_set(cause, FERRY_ERR_CRYPTO, "no random bytes"));
	hex_encode(tok, sizeof tok, hex);
	if (x->send.link == NULL || x->recv.link == NULL)
		return (dispatch_run_local(x, hex, tok, cause));
	return (dispatch_run_agents(x, hex, cause));
}

static void
dispatch_link_busy(struct ferryd *d, const struct dispatch_end *e, int busy)
{
	struct hub_link	*l;

	if (e->link != NULL && (l = hub_link_named(d, e->link)) != NULL &&
	    l->gen == e->gen)
		l->busy += busy ? 1 : -1;
}

/*
 * What is left of x when it ends: files not settled failed with it,
 * unless it was stopped on purpose (those tasks were just cancelled or
 * paused); a claimed one's claim goes. Fenced, the hub writes nothing:
 * the transfer is its agents' and the next hub's. Taken over and then
 * not reported by both ends, its tasks are queued again, as after a
 * crash, and an end that reported it is told to stop. Caller holds d->mu.
 */
static void
dispatch_end_claim(struct jobs_xfer *x, const char *cause)
{
	size_t	i;

	if (x->fenced)
		return;
	dispatch_flush(x, 1);
	if (x->adopted && x->adopt_fail) {
		store_claim_release(x->d->store, x->id, clock_now(), NULL, NULL);
		if (x->send.gen != 0)
			hub_tell(x->d, x->send.link, json_pack("{s:s, s:I}",
			    "op", "transfer.abort", "id", (json_int_t)x->id));
		log_info("transfer %jd (job %jd) not taken over: %s; its tasks "
		    "are queued again", (intmax_t)x->id, (intmax_t)x->job_id,
		    cause ? cause : "its ends did not both report it");
		return;
	}
	for (i = 0; i < x->l.n && !x->abort; i++)
		dispatch_settle(x, i, 0, cause ? cause : "the transfer ended "
		    "early");
	if (x->claimed)
		store_claim_drop(x->d->store, x->id, NULL);
}

static void *
dispatch_xfer_main(void *arg)
{
	struct jobs_xfer	*x = arg, **pp;
	struct ferryd		*d = x->d;
	char			*cause = NULL;
	int			 r;

	r = dispatch_run(x, &cause);
	/*
	 * Whatever was not settled failed with the transfer, unless it was
	 * stopped on purpose: those tasks were just cancelled or paused.
	 */
	pthread_mutex_lock(&d->mu);
	dispatch_end_claim(x, cause);
	/* Its job may have ended: a `ferry send --wait` held is told now. */
	api_wake_jobs();
	if (r != 0)
		log_warnx("transfer %jd (job %jd, %s to %s): %s",
		    (intmax_t)x->id, (intmax_t)x->job_id, x->send.link ?
		    x->send.link : "hub", x->recv.link ? x->recv.link : "hub",
		    cause ? cause : err_str(r));
	dispatch_link_busy(d, &x->send, 0);
	dispatch_link_busy(d, &x->recv, 0);
	d->busy--;
	for (pp = &d->xfers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	}
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->mu);
	free(cause);
	dispatch_xfer_free(x);
	return (NULL);
}

/*
 * Whether a task's destination can take part now: the hub's own site, an
 * SFTP site (the hub is its client) or an endpoint with an agent linked
 * and free (below transfers-per-agent, as dispatch_end_for asks). Tasks
 * for the others are skipped: 10,000 queued for a site whose agent is
 * away filled every batch, and newer jobs elsewhere never started; and
 * a walk while an agent's transfers were all taken read its 4,096 next
 * tasks for nothing (a no-op of 20,000 files did so after each start).
 * Asked once per endpoint a pass. Caller holds d->mu.
 */
static int
dispatch_end_present(struct dispatch_due *due, const char *dest)
{
	struct hub_sftp_site	*s = NULL;
	json_t			*v;
	int			 ok;

	if (dest == NULL || due->d == NULL)
		return (1);
	if (due->ends != NULL && (v = json_object_get(due->ends, dest)) != NULL)
		return (json_is_true(v));
	ok = strcmp(dest, due->d->conf.site) == 0 ||
	    hub_link_for(due->d, dest, 1) != NULL ||
	    hub_sftp_site_get(due->d, dest, &s, NULL) != 0;
	hub_sftp_site_free(s);
	if (due->ends == NULL)
		due->ends = json_object();
	json_object_set_new(due->ends, dest, json_boolean(ok));
	return (ok);
}

/* Asked by the store once per destination with tasks queued. */
static int
dispatch_dest_present(void *arg, const char *dest)
{
	return (dispatch_end_present(arg, dest));
}

/*
 * The last id of the held run (a held start, dispatch_hold) holding id,
 * or -1. Caller holds d->mu (the store asks during the dispatcher's walk).
 */
static int64_t
dispatch_held_hi(void *arg, int64_t id)
{
	struct ferryd		*d = arg;
	struct jobs_xfer	*x;

	for (x = d->xfers; x != NULL; x = x->next)
		if (x->held && id >= x->hold_lo && id <= x->hold_hi)
			return (x->hold_hi);
	return (-1);
}

static int
dispatch_due_cb(void *arg, const struct store_task *t)
{
	struct dispatch_due	*due = arg;
	struct store_task	*v;
	struct jobs_xfer	*x;

	/* Held by a running transfer, its row still queued: not again. */
	if (dispatch_held_hi(due->d, t->id) >= 0)
		return (-1);
	/*
	 * The walk hands out no task whose file a running task writes (its
	 * query looks at running rows); a held start's rows are not
	 * running, so another job's task for the same destination waits
	 * for them to be written, and the next walk looks again.
	 */
	for (x = due->d->xfers; x != NULL; x = x->next) {
		/*
		 * Not for a stopped one: its rows are the pause's or the
		 * cancel's, its start is never written, and another job's
		 * tasks for its destination, all of them (this check is by
		 * destination, not file), waited for its end: up to the
		 * 15 s a transfer into the hub waits for a sender that
		 * never connects (suspect-flood.sh). For another job, a
		 * stopped transfer is what an unheld one is once cancelled.
		 */
		if (x->held && !x->abort && x->job_id != t->job_id &&
		    x->site != NULL && strcmp(x->site, t->dest) == 0) {
			x->unhold_due = 1;
			due->unhold = 1;
			return (-1);
		}
		/*
		 * A transfer of the job stopped (a pause, a cancel) and not
		 * yet ended may still write its files, whose rows the pause
		 * and a resume made queued again: the job's tasks wait for
		 * its end (which wakes the dispatcher), or a resumed file
		 * got a second transfer beside the first (held-pause.sh).
		 */
		if (x->abort && x->job_id == t->job_id)
			return (-1);
	}
	if (!dispatch_end_present(due, t->dest))
		return (-1);
	/* Grown by half: up to DISPATCH_BATCH tasks a walk. */
	if (due->n == due->cap) {
		if ((v = reallocarray(due->t, due->cap + due->cap / 2 + 16,
		    sizeof *v)) == NULL)
			return (1);
		due->t = v;
		due->cap += due->cap / 2 + 16;
	}
	v = due->t;
	memset(&v[due->n], 0, sizeof *v);
	v[due->n].id = t->id;
	v[due->n].job_id = t->job_id;
	v[due->n].size = t->size;
	v[due->n].src_path = strdup(t->src_path);
	v[due->n].dst_path = strdup(t->dst_path);
	v[due->n].basis = t->basis ? strdup(t->basis) : NULL;
	due->n++;
	return (0);
}

static void
dispatch_due_clear(struct dispatch_due *due)
{
	size_t	i;

	for (i = 0; i < due->n; i++) {
		free(due->t[i].src_path);
		free(due->t[i].dst_path);
		free(due->t[i].basis);
	}
	free(due->t);
	json_decref(due->ends);
	memset(due, 0, sizeof *due);
}

/*
 * Fills end e for endpoint (a site or a user's e-mail): the hub itself,
 * or a free link to an agent serving it. 0 when it can take part now.
 * Caller holds d->mu.
 */
static int
dispatch_end_for(struct ferryd *d, const char *endpoint,
    struct dispatch_end *e)
{
	struct hub_link	*l;

	memset(e, 0, sizeof *e);
	if (strcmp(endpoint, d->conf.site) == 0) {
		e->pub = hub_public_host(d);
		snprintf(e->platform, sizeof e->platform, "linux");
		memcpy(e->fp, identity_fp(d->id), IDENTITY_FP_LEN);
		return (e->pub != NULL ? 0 : -1);
	}
	if ((l = hub_link_for(d, endpoint, 1)) == NULL)
		return (-1);
	e->link = strdup(l->name);
	e->gen = l->gen;
	e->person = l->user != NULL;
	e->commits = l->commits;
	e->pub = l->pub ? strdup(l->pub) : NULL;
	snprintf(e->addr, sizeof e->addr, "%s", l->addr);
	/* This agent's roots: a Windows one receives below its drive's. */
	snprintf(e->platform, sizeof e->platform, "%s", l->platform);
	memcpy(e->fp, l->fp, IDENTITY_FP_LEN);
	return (e->link != NULL ? 0 : -1);
}

/* The transfer's claim (store-claim.c), in the tasks' transaction. */
static int
dispatch_claim(struct ferryd *d, struct jobs_xfer *x, char **cause)
{
	struct store_claim	c;
	char			sfp[IDENTITY_FP_STRLEN + 1];
	char			rfp[IDENTITY_FP_STRLEN + 1];
	int			r;

	memset(&c, 0, sizeof c);
	identity_fp_format(x->send.fp, sfp);
	identity_fp_format(x->recv.fp, rfp);
	c.id = x->id;
	c.job_id = x->job_id;
	c.run = d->hub_run;
	c.send_name = x->send.link;
	c.send_fp = sfp;
	c.recv_name = x->recv.link;
	c.recv_fp = rfp;
	c.started = clock_now();
	c.tasks = x->task;
	c.n = x->l.n;
	if ((r = store_claim_add(d->store, &c, cause)) == 0)
		x->claimed = 1;
	return (r);
}

/*
 * The refusals dispatch_add held, into the audit trail: each record its
 * own durable commit, never one of the plan's light transaction, which
 * a power cut may undo (tests/security/suspect-durable.sh).
 */
static void
dispatch_suspects(struct jobs_xfer *x, json_t *suspects)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(suspects, i, v)
		dispatch_audit(x, json_string_value(json_array_get(v, 0)),
		    json_string_value(json_array_get(v, 1)));
	json_decref(suspects);
}

/*
 * Holds the start of x's tasks (hub-dispatch.h, held): with the hub at one
 * end and the tasks one run of ids. A claim's start is stored, as its
 * transfer may outlive this hub; so is one between two agents, whose
 * reports the hub takes on their word alone.
 */
static void
dispatch_hold(struct jobs_xfer *x, int claim)
{
	int64_t	lo, hi;
	size_t	i;

	if (x->task == NULL || x->l.n == 0 || claim ||
	    (x->send.link != NULL && x->recv.link != NULL))
		return;
	lo = hi = x->task[0];
	for (i = 1; i < x->l.n; i++) {
		lo = x->task[i] < lo ? x->task[i] : lo;
		hi = x->task[i] > hi ? x->task[i] : hi;
	}
	if (hi - lo + 1 != (int64_t)x->l.n)
		return;
	x->held = 1;
	x->hold_lo = lo;
	x->hold_hi = hi;
	x->hold_ms = clock_ms();
	x->hold_since = clock_now();
}

/*
 * Writes the start of the held transfers the walk asked for (another
 * job's task for their destination), and of those held longer than
 * DISPATCH_HOLD_MS: from then on `ferry jobs` shows them running, the
 * stall sweep watches them, and a hub killed later finds them running.
 * Caller holds d->mu.
 */
static void
dispatch_holds_tick(struct ferryd *d)
{
	struct jobs_xfer	*x;
	int64_t			 now = clock_ms();

	for (x = d->xfers; x != NULL; x = x->next) {
		if (x->held && (x->unhold_due ||
		    now - x->hold_ms >= DISPATCH_HOLD_MS))
			dispatch_unhold(x);
		x->unhold_due = 0;
	}
}

/* carried plus size (< 0: none), at most SAVED_BYTES_MAX. */
static int64_t
dispatch_add_size(int64_t carried, int64_t size)
{
	if (size <= 0)
		return (carried);
	return (size > SAVED_BYTES_MAX - carried ? SAVED_BYTES_MAX :
	    carried + size);
}

/*
 * Starts one transfer for the due tasks of job, if both its ends can take
 * part now: 0 if it did (or failed its tasks), -1 if it waits.
 */
static int
dispatch_job(struct ferryd *d, struct share_map *m, struct dispatch_due *due,
    int64_t job)
{
	struct store_job	 j;
	struct jobs_xfer	*x;
	pthread_t		 th;
	char			*cause = NULL;
	size_t			 i;
	struct dispatch_src	 src = { -1, -1, NULL, NULL };
	size_t			 bytes = 0;
	int64_t			 carried = 0;	/* the files' sizes */
	json_t			*suspects = NULL;
	int			 claim, r;

	/*
	 * A job being stored (hub-jobstore.c) runs what is stored of it;
	 * one whose storing failed is being removed, and runs nothing more.
	 */
	if (jobstore_removing(d, job))
		return (-1);
	if (store_job_get(d->store, job, &j, NULL) != 0)
		return (0);
	/* An SFTP site's end is the hub's own client (hub-sftp.c). */
	if ((r = sftp_dispatch_job(d, m, due, &j)) != 1) {
		store_job_clear(&j);
		return (r);
	}
	if ((x = calloc(1, sizeof *x)) == NULL) {
		store_job_clear(&j);
		return (0);
	}
	pthread_cond_init(&x->heard, NULL);
	pthread_mutex_init(&x->dmu, NULL);
	if (dispatch_end_for(d, j.from_site, &x->send) != 0 ||
	    dispatch_end_for(d, dispatch_to(&j), &x->recv) != 0) {
		store_job_clear(&j);
		dispatch_xfer_free(x);
		return (-1);	/* stays queued until both can take part */
	}
	x->d = d;
	if ((x->id = hub_ids_next(d)) < 0) {
		store_job_clear(&j);
		dispatch_xfer_free(x);
		return (-1);	/* stays queued until the store gives ids */
	}
	x->job_id = j.id;
	saved_xfer_start(x->id, x->job_id, x->send.link != NULL ?
	    x->send.fp : NULL, x->recv.link != NULL ? x->recv.fp : NULL);
	x->submitter = j.submitter ? strdup(j.submitter) : NULL;
	/* Only if neither agent can be reached does this count. */
	x->relay_ok = store_relay_job_on(d->store, j.id) &&
	    store_relay_site_on(d->store, j.from_site) &&
	    store_relay_site_on(d->store, dispatch_to(&j));
	if (!x->relay_ok)
		x->relay_off = strdup(!store_relay_job_on(d->store, j.id) ?
		    "job" : !store_relay_site_on(d->store, j.from_site) ?
		    j.from_site : dispatch_to(&j));
	/*
	 * The destination's cap, or its transfer window's now
	 * (hub-window.c): a site's, or a person's, set as for a site.
	 */
	if ((x->site = strdup(dispatch_to(&j))) != NULL)
		atomic_store(&x->bwlimit, hub_window_cap(d, x->site));
	x->task = calloc(due->n, sizeof *x->task);
	x->settled = calloc(due->n, sizeof *x->settled);
	x->delivered = calloc(due->n, sizeof *x->delivered);
	x->l.v = calloc(due->n, sizeof *x->l.v);
	x->l.cap = due->n;
	/*
	 * Every task's start in one transaction, and the transfer's in one
	 * statement per run of ids: no statements per file. Light (no
	 * flush) but for a claim: a start a power cut undoes leaves its
	 * tasks queued, as the hub's restart would make them anyway
	 * (store_recover_unclaimed), and they run again. A claim is
	 * flushed: its agents carry on under the next hub on its word.
	 */
	suspects = json_array();
	claim = x->send.link != NULL && x->recv.link != NULL &&
	    (x->send.pub != NULL || x->recv.pub != NULL);
	if ((r = (claim ? store_batch_begin(d->store, &cause) :
	    store_batch_begin_light(d->store, &cause))) != 0)
		goto unrecorded;
	for (i = 0; i < due->n && x->task && x->settled && x->delivered &&
	    x->l.v && bytes < DISPATCH_START_BYTES; i++) {
		if (due->t[i].job_id != j.id)
			continue;
		if ((r = dispatch_add(x, m, &j, &due->t[i], &src, suspects,
		    &cause)) == 0) {
			bytes += dispatch_start_bytes(&x->l.v[x->l.n - 1]);
			/*
			 * Saturated where saved.c's bound on the wire bytes
			 * still fits: 8,192 files of 1 PiB (STORE_SIZE_MAX, as
			 * an agent's listing may claim) would pass INT64_MAX.
			 */
			carried = dispatch_add_size(carried, due->t[i].size);
			continue;
		}
		if (r == 1)
			continue;
		store_task_start(d->store, due->t[i].id, clock_now(), NULL);
		store_task_fail(d->store, due->t[i].id, cause, clock_now(),
		    NULL);
		free(cause);
		cause = NULL;
	}
	r = 0;
	saved_xfer_plan(x->id, (int64_t)x->l.n, carried);
	dispatch_hold(x, claim);
	/*
	 * A held start still writes its job's state (running, as a start
	 * would): one row, and a store that cannot record it (a full disk)
	 * runs nothing, as for an unheld start.
	 */
	if (x->task != NULL)
		r = x->held ? store_tasks_hold(d->store, j.id, clock_now(),
		    &cause) : store_tasks_start(d->store, j.id, x->task,
		    x->l.n, clock_now(), NULL, &cause);
	/* Between two agents directly: it may outlive this hub. */
	if (r == 0 && x->l.n > 0 && claim)
		r = dispatch_claim(d, x, &cause);
	/*
	 * Every write happens before what it records: a transfer whose
	 * start did not commit would run with its tasks still queued, and
	 * the next round would start it again.
	 */
	r = store_batch_end(d->store, r, r == 0 ? &cause : NULL);
	/* A failed plan's refusals are true all the same. */
	dispatch_suspects(x, suspects);
	suspects = NULL;
	if (r != 0) {
unrecorded:
		json_decref(suspects);
		dispatch_store_failed(d, j.id, cause);
		free(cause);
		dispatch_src_close(&src);
		store_job_clear(&j);
		dispatch_xfer_free(x);
		return (0);
	}
	dispatch_src_close(&src);
	dispatch_streams_plan(x, j.from_site);
	store_job_clear(&j);
	if (x->l.n == 0 || pthread_create(&th, NULL, dispatch_xfer_main,
	    x) != 0) {
		for (i = 0; i < x->l.n; i++)
			dispatch_settle(x, i, 0, "cannot start a transfer");
		dispatch_xfer_free(x);
		return (0);
	}
	dispatch_link_busy(d, &x->send, 1);
	dispatch_link_busy(d, &x->recv, 1);
	d->busy++;
	x->next = d->xfers;
	d->xfers = x;
	pthread_detach(th);
	return (0);
}

/*
 * Starts a transfer for the first due job that can be served now: a job
 * waiting for an agent that is away must not hold up those after it.
 * Each job is tried once (of the first DISPATCH_TRY jobs due).
 */
static void
dispatch_jobs(struct ferryd *d, struct share_map *m, struct dispatch_due *due)
{
	int64_t	tried[DISPATCH_TRY];
	size_t	i, k, n = 0;

	for (i = 0; i < due->n && n < DISPATCH_TRY; i++) {
		for (k = 0; k < n && tried[k] != due->t[i].job_id; k++)
			;
		if (k < n)
			continue;
		tried[n++] = due->t[i].job_id;
		if (dispatch_job(d, m, due, due->t[i].job_id) == 0)
			return;
	}
}


static void *
dispatch_main(void *arg)
{
	struct ferryd		*d = arg;
	struct share_map	*m;
	struct dispatch_due	 due;
	struct timespec		 until;
	int64_t			 last_sweep = 0;

	int			 started = 0, ahead = 0, busy, again;

	pthread_mutex_lock(&d->mu);
	while (!d->stop) {
		/*
		 * A second at most, or until there is something to do; at
		 * once after a transfer started, so that the next one is
		 * planned and connected while that one runs (a big job's
		 * transfers followed one another, each planned only once
		 * the one before had ended). transfers-per-agent bounds
		 * how many an agent runs; DISPATCH_AHEAD how many start
		 * between two waits (the hub's own transfers have no other
		 * bound, and used to start one a wake-up).
		 */
		if (!started || ++ahead > DISPATCH_AHEAD) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 1;
			pthread_cond_timedwait(&d->wake, &d->mu, &until);
			ahead = 0;
		}
		started = 0;
		busy = d->busy;
		memset(&due, 0, sizeof due);
		due.d = d;
		if (clock_now() - last_sweep >= 30) {
			store_stuck(d->store, clock_now(), d->stall_s,
			    NULL, NULL);
			last_sweep = clock_now();
		}
		/*
		 * Fenced (hub-lease.c): another hub may dispatch these, and
		 * what this hub runs itself (an SFTP site's end, a relay, its
		 * own site's) stops: the other will run it again.
		 */
		if (!lease_fresh(d)) {
			struct jobs_xfer *x;

			/*
			 * Claimed ones, between two agents, carry on under
			 * the next hub: not stopped, only let go.
			 */
			for (x = d->xfers; x != NULL; x = x->next) {
				if (x->claimed)
					x->fenced = 1;
				else
					x->abort = 1;
				pthread_cond_broadcast(&x->heard);
			}
			continue;
		}
		/* The share map is read and parsed only when work is due. */
		store_task_next_where(d->store, clock_now(), DISPATCH_BATCH,
		    dispatch_dest_present, dispatch_due_cb, &due, NULL);
		if (due.n > 0 && names_share_map(d, &m, NULL) == 0) {
			dispatch_jobs(d, m, &due);
			share_map_free(m);
		}
		/* A held start asked for: the walk again once it is stored. */
		again = due.unhold;
		dispatch_due_clear(&due);
		dispatch_holds_tick(d);
		/* A failed big send's rows a full store kept (hub-jobstore.c). */
		jobstore_tick(d);
		started = d->busy > busy || again;
		/*
		 * A job may have ended in this pass too: its files failed
		 * to plan, or stalled (store_stuck).
		 */
		api_wake_jobs();
		/* A transfer window's edge changes running transfers' caps. */
		hub_window_tick(d);
		/* This hub is alive, and agents learn new hubs (issue 17). */
		hubs_tick(d);
	}
	pthread_mutex_unlock(&d->mu);
	return (NULL);
}

int
dispatch_start(struct ferryd *d)
{
	struct jobs_xfer	*adopted, *x;
	pthread_t		 t, th;
	size_t			 n = 0, na = 0;
	char			*cause = NULL;

	/*
	 * Tasks a killed hub left running go back in the queue, but for
	 * those of transfers between two agents, which may carry on: they
	 * wait a while for their agents to report them (hub-adopt.c).
	 */
	pthread_mutex_lock(&d->mu);
	store_set_held(d->store, dispatch_held_hi, d);
	jobstore_recover(d);
	store_recover_unclaimed(d->store, clock_now(), &n, NULL);
	adopted = adopt_load(d, &na);
	for (x = adopted; x != NULL; x = x->next)
		hub_ids_seen(x->id);
	/*
	 * This run (d->hub_run, told to agents in the welcome), and ids
	 * above every earlier run's (hub-ids.c).
	 */
	if (hub_ids_new_run(d, &cause) != 0) {
		pthread_mutex_unlock(&d->mu);
		log_error("cannot begin a new run: %s", cause ? cause :
		    "the store");
		free(cause);
		while ((x = adopted) != NULL) {
			adopted = x->next;
			dispatch_xfer_free(x);
		}
		return (-1);
	}
	while ((x = adopted) != NULL) {
		adopted = x->next;
		if (pthread_create(&th, NULL, dispatch_xfer_main, x) != 0) {
			store_claim_release(d->store, x->id, clock_now(), &n,
			    NULL);
			dispatch_xfer_free(x);
			continue;
		}
		pthread_detach(th);
		d->busy++;
		x->next = d->xfers;
		d->xfers = x;
	}
	pthread_mutex_unlock(&d->mu);
	if (n > 0)
		log_info("%zu task(s) left running by the last run are queued "
		    "again", n);
	if (na > 0)
		log_info("%zu transfer(s) between agents left running by the "
		    "last run wait %d s for their agents to carry on", na,
		    ADOPT_WAIT_S);
	if (pthread_create(&t, NULL, dispatch_main, d) != 0)
		return (-1);
	pthread_detach(t);
	return (0);
}
