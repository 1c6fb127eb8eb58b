/*
 * The dispatcher's helpers that the files it runs call back (hub-dispatch.h):
 * hub-dispatch.c starts a transfer in hub-dispatch-relay.c or hub-sftp.c,
 * and they tell agents, wait for them and free the transfer here; the
 * API's files (hub-jobs.c, hub-publish.c) wake or stop the dispatcher
 * here too. So calls go one way: hub-dispatch.c -> those files -> this
 * one, which calls none of them.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "err.h"
#include "ferryd.h"
#include "log.h"
#include "hub-dispatch.h"
#include "identity.h"
#include "transfer.h"

void
dispatch_xfer_free(struct jobs_xfer *x)
{
	transfer_list_clear(&x->l);
	free(x->send.link);
	free(x->send.pub);
	free(x->recv.link);
	free(x->recv.pub);
	free(x->root);
	free(x->site);
	free(x->submitter);
	free(x->task);
	free(x->settled);
	free(x->delivered);
	free(x->agent_error);
	free(x->sftp);
	free(x->relay_off);
	pthread_cond_destroy(&x->heard);
	pthread_mutex_destroy(&x->dmu);
	free(x);
}

void
dispatch_store_failed(struct ferryd *d, int64_t job, const char *cause)
{
	static int64_t	last;	/* under d->mu, as every dispatch */
	int64_t		now = clock_now();

	if (last != 0 && now - last < 60)
		return;
	last = now;
	/* A PostgreSQL URL may hold a password: not in the log. */
	log_warnx("job %jd: the store (%s%s) cannot record that its tasks "
	    "start: %s; nothing is sent, the tasks stay queued and are "
	    "tried again", (intmax_t)job, d->conf.store != NULL ?
	    "PostgreSQL" : d->state, d->conf.store != NULL ? "" : "/hub.db",
	    cause != NULL ? cause : "unknown error");
}

/*
 * The transfer.start message for the agent at end e (the sender or the
 * receiver of x): its part, the token, and the other side's key.
 */
json_t *
dispatch_start_msg(struct jobs_xfer *x, const struct dispatch_end *e,
    const char *token)
{
	const struct dispatch_end	*other = e == &x->send ? &x->recv :
					    &x->send;
	char				 fp[IDENTITY_FP_STRLEN + 1];
	json_t				*msg, *v, *bases;
	size_t				 i;

	identity_fp_format(other->fp, fp);
	msg = json_pack("{s:s, s:I, s:s, s:s, s:i, s:s}", "op",
	    "transfer.start", "id", (json_int_t)x->id, "role", e == &x->send ?
	    "send" : "recv", "token", token, "streams", x->streams,
	    "peer_fp", fp);
	if (msg == NULL)
		return (NULL);
	/* Striped across how many (0: by the round trip); hub-streams.c. */
	json_object_set_new(msg, "stripe", json_integer(x->stripe));
	/* Which job: the agent's report to a next hub names it. */
	json_object_set_new(msg, "job", json_integer(x->job_id));
	v = json_array();
	bases = json_object();
	for (i = 0; i < x->l.n; i++) {
		const struct transfer_file *f = &x->l.v[i];

		if (e == &x->send)
			json_array_append_new(v, json_pack("{s:s, s:s, s:s?}",
			    "src", f->src, "rel", f->rel, "basis", f->basis));
		else
			json_array_append_new(v, json_string(f->rel));
		if (f->basis != NULL)
			json_object_set_new(bases, f->rel,
			    json_string(f->basis));
	}
	if (e == &x->send) {
		json_object_set_new(msg, "files", v);
		json_object_set_new(msg, "root", json_string(x->l.root));
		json_object_set_new(msg, "bwlimit", json_integer(
		    (json_int_t)atomic_load(&x->bwlimit)));
	} else {
		json_object_set_new(msg, "expect", v);
		json_object_set_new(msg, "bases", bases);
		/*
		 * Its word on what arrived, when the sender's is not taken:
		 * asked only then, a message a file being no small cost.
		 */
		if (dispatch_recv_word(x))
			json_object_set_new(msg, "report_files", json_true());
		bases = NULL;	/* transferred */
		json_object_set_new(msg, "root", json_string(x->root));
	}
	json_decref(bases);
	return (msg);
}

/* Queues msg (taken) for agent name's link; fails if it is gone. */
int
dispatch_tell(struct jobs_xfer *x, const char *name, json_t *msg,
    char **cause)
{
	int	r;

	pthread_mutex_lock(&x->d->mu);
	r = hub_tell(x->d, name, msg);
	pthread_mutex_unlock(&x->d->mu);
	return (r == 0 ? 0 : err_set(cause, FERRY_ERR_CLOSED, "agent %s went "
	    "away", name));
}

/*
 * Whether the agent at e lost the link it had when the transfer began.
 * An end of a transfer taken over (hub-adopt.c) that has not reported
 * yet (gen 0) is waited for, until adopt_until.
 */
static int
dispatch_gone(struct ferryd *d, const struct dispatch_end *e)
{
	struct hub_link	*l;

	if (e->link == NULL || e->gen == 0)
		return (0);
	l = hub_link_named(d, e->link);
	return (l == NULL || l->gen != e->gen);
}

/*
 * The end of x that did not report the end DISPATCH_END_GRACE_S after
 * the other did: told to stop, and x ends. Caller holds d->mu.
 */
static int
dispatch_withheld(struct jobs_xfer *x, char **cause)
{
	const struct dispatch_end	*late = x->send_done ? &x->recv :
					    &x->send;
	const struct dispatch_end	*done = x->send_done ? &x->send :
					    &x->recv;

	if (late->link != NULL)
		hub_tell(x->d, late->link, json_pack("{s:s, s:I}", "op",
		    "transfer.abort", "id", (json_int_t)x->id));
	return (err_set(cause, FERRY_ERR_TIMEOUT, "agent %s did not report "
	    "the transfer's end within %d s of agent %s", late->link ?
	    late->link : "hub", DISPATCH_END_GRACE_S, done->link ?
	    done->link : "hub"));
}

/*
 * Waits until the agents say what `until` asks for, one of them goes away
 * or reports an error, or they fall silent for too long. Passes a cancel
 * or pause on to an agent that sends. Caller holds d->mu.
 */
int
dispatch_wait(struct jobs_xfer *x, enum dispatch_until until, int limit_s,
    char **cause)
{
	struct ferryd	*d = x->d;
	struct timespec	 t;
	int64_t		 start = clock_now();
	struct dispatch_end	*gone;
	int		 both;

	x->heard_at = start;
	for (;;) {
		/* Let go, not stopped: the next hub takes it over. */
		if (x->fenced)
			return (err_set(cause, FERRY_ERR_UNREACHABLE, "this hub "
			    "is fenced: the transfer is left to its agents and "
			    "the next active hub"));
		if (x->adopted && (x->send.gen == 0 || x->recv.gen == 0) &&
		    clock_now() > x->adopt_until) {
			x->adopt_fail = 1;
			return (err_set(cause, FERRY_ERR_TIMEOUT, "agent %s did "
			    "not report it within %d s", x->send.gen == 0 ?
			    x->send.link : x->recv.link, ADOPT_WAIT_S));
		}
		if (x->adopt_fail)
			return (err_set(cause, FERRY_ERR_STATE, "its claim was "
			    "taken by another run"));
		dispatch_flush(x, 0);
		if (until == UNTIL_PORT && x->port > 0)
			return (0);
		if (until == UNTIL_SENT && x->send_done)
			return (0);
		both = until == UNTIL_BOTH && x->send_done && x->recv_done;
		if (both && x->agent_error == NULL)
			return (0);
		/*
		 * One end is done: the other's word may be late, never
		 * withheld. Its files settled so far stay settled. A claim
		 * taken over waits for its ends' reports first (above).
		 */
		if (until == UNTIL_BOTH && x->send_done != x->recv_done &&
		    !(x->adopted && (x->send.gen == 0 || x->recv.gen == 0))) {
			if (x->one_done_at == 0)
				x->one_done_at = clock_now();
			else if (clock_now() - x->one_done_at >
			    DISPATCH_END_GRACE_S)
				return (dispatch_withheld(x, cause));
		}
		/*
		 * An end that has said its end may go: a vendor's agent
		 * stopped right after its publish leaves the receiver's word
		 * (dispatch_recv_word) still to come.
		 */
		gone = !x->send_done && dispatch_gone(d, &x->send) ? &x->send :
		    !x->recv_done && dispatch_gone(d, &x->recv) ? &x->recv :
		    NULL;
		/*
		 * An end failed: the transfer fails with its error once the
		 * other end's last words came (what it refused, for the
		 * audit trail), or it went, or DISPATCH_ERROR_GRACE_S passed.
		 */
		if (x->agent_error != NULL && (both || gone != NULL ||
		    until != UNTIL_BOTH || x->one_done_at == 0 ||
		    clock_now() - x->one_done_at > DISPATCH_ERROR_GRACE_S))
			return (err_set(cause, FERRY_ERR_PROTO, "%s",
			    x->agent_error));
		if (gone != NULL)
			return (err_set(cause, FERRY_ERR_CLOSED, "agent %s went "
			    "away", gone->link));
		if (x->abort && !x->abort_sent && x->send.link != NULL) {
			hub_tell(d, x->send.link, json_pack("{s:s, s:I}", "op",
			    "transfer.abort", "id", (json_int_t)x->id));
			x->abort_sent = 1;
		}
		if ((limit_s > 0 && clock_now() - start > limit_s) ||
		    clock_now() - x->heard_at > d->stall_s)
			return (err_set(cause, FERRY_ERR_TIMEOUT, "no word from "
			    "agent %s for %d s", until == UNTIL_PORT ?
			    (x->recv.pub ? x->recv.link : x->send.link) :
			    x->send.link ? x->send.link : x->recv.link,
			    (int)(clock_now() - x->heard_at)));
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_sec += 1;
		pthread_cond_timedwait(&x->heard, &d->mu, &t);
	}
}

void
dispatch_stop(struct ferryd *d, int64_t job_id)
{
	struct jobs_xfer	*x;

	for (x = d->xfers; x != NULL; x = x->next) {
		if (x->job_id == job_id) {
			x->abort = 1;
			/*
			 * An agent that sends is told now: when the hub
			 * receives, nobody waits in dispatch_wait to pass it
			 * on until the data has all come, and a paused or
			 * cancelled file kept arriving (held-pause.sh).
			 */
			if (x->send.link != NULL && !x->abort_sent) {
				hub_tell(d, x->send.link, json_pack(
				    "{s:s, s:I}", "op", "transfer.abort", "id",
				    (json_int_t)x->id));
				x->abort_sent = 1;
			}
			pthread_cond_broadcast(&x->heard);
		}
	}
}

int
dispatch_running(struct ferryd *d, int64_t job_id)
{
	struct jobs_xfer	*x;

	for (x = d->xfers; x != NULL; x = x->next)
		if (x->job_id == job_id)
			return (1);
	return (0);
}

void
dispatch_wake(struct ferryd *d)
{
	pthread_mutex_lock(&d->mu);
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->mu);
}
