/*
 * Requests made on an agent's machine, carried to the hub over the
 * agent's pinned control link (node-relay.c sends them). A vendor's
 * artist runs `ferry send --from vendor@fx.example --to hq ...` against
 * their own ferryd; the hub acts for that agent: only what api-ops.c
 * lets an agent ask, only jobs that start or end at the agent's own site
 * or user, under the same ACLs, and only those jobs are shown to it.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ferryd.h"
#include "log.h"
#include "store.h"

/*
 * Requests of one agent answered at once, on all its links together (a
 * key may hold several: counted per link, 4 links held 16); more are
 * refused.
 */
#define RELAY_PER_AGENT	4
/*
 * Jobs from one place's agents not finished yet (max-agent-jobs): a
 * vendor could relay sends to a site that is away, each a job the hub
 * keeps in its store and in every dispatch round, without end
 * (jobs-flood.sh: 130 taken, as many as it liked).
 */
#define RELAY_JOBS	100

/* A request from an agent, run on a thread of its own. */
struct relay {
	struct ferryd	*d;
	char		*link;		/* the agent's name */
	uint64_t	 gen;		/* its link's */
	char		*endpoint;	/* its site or user */
	int		 person;	/* a user's, not a site's */
	json_t		*msg;
};

/* Whether job j (as the API shows it) involves the agent's endpoint. */
static int
relay_involves(const json_t *j, const char *endpoint)
{
	const char	*from = json_string_value(json_object_get(j, "from"));
	const char	*to = json_string_value(json_object_get(j, "to"));

	return ((from && strcmp(from, endpoint) == 0) ||
	    (to && strcmp(to, endpoint) == 0));
}

/*
 * Whether a word of an error names a host or port: an IP address, or
 * anything ending in :PORT. The hub's log keeps those; an agent's
 * person is told that a connection failed, not where or how far it got.
 */
static int
relay_is_address(const char *w, size_t n)
{
	size_t	i, dots = 0, colons = 0, digits = 0, last = n;

	for (i = 0; i < n; i++) {
		dots += w[i] == '.';
		colons += w[i] == ':';
		digits += w[i] >= '0' && w[i] <= '9';
		if (w[i] == ':')
			last = i;
	}
	if (digits > 0 && strspn(w, "0123456789abcdefABCDEF.:[]") >= n &&
	    (dots >= 3 || colons >= 2))
		return (1);
	return (last + 1 < n && strspn(w + last + 1, "0123456789") ==
	    n - last - 1);
}

/* The error text with each address replaced (allocated). */
static char *
relay_redact(const char *in)
{
	static const char	 word[] = "0123456789abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ.:[]-_";
	char			*out;
	size_t			 i = 0, n, o = 0;

	if ((out = malloc(strlen(in) * 2 + 16)) == NULL)
		return (NULL);
	while (in[i] != '\0') {
		if ((n = strspn(in + i, word)) == 0) {
			out[o++] = in[i++];
			continue;
		}
		/* A trailing ':' is the sentence's, not the address's. */
		while (n > 1 && in[i + n - 1] == ':')
			n--;
		if (relay_is_address(in + i, n)) {
			memcpy(out + o, "(address)", 9);
			o += 9;
		} else {
			memcpy(out + o, in + i, n);
			o += n;
		}
		i += n;
	}
	out[o] = '\0';
	return (out);
}

/* Redacts the string at obj's key, if there is one. */
static void
relay_redact_key(json_t *obj, const char *key)
{
	char	*e;

	if (!json_is_string(json_object_get(obj, key)) ||
	    (e = relay_redact(json_string_value(json_object_get(obj,
	    key)))) == NULL)
		return;
	json_object_set_new(obj, key, json_string(e));
	free(e);
}

/*
 * A job as an agent's person sees it: no addresses in its first error
 * or in its tasks' errors.
 */
static void
relay_redact_job(json_t *job)
{
	json_t	*t;
	size_t	 i;

	relay_redact_key(job, "last_error");
	json_array_foreach(json_object_get(job, "tasks"), i, t)
		relay_redact_key(t, "error");
}

/* Whether name is a person (a user: a vendor or an employee). */
static int
relay_is_person(struct relay *rl, const char *name)
{
	enum store_clearance	 cl;

	return (name != NULL && strcmp(name, rl->endpoint) != 0 &&
	    store_user_get(rl->d->store, name, &cl, NULL) == 0);
}

/*
 * A send relayed by an agent starts or ends at its place; its other end
 * must be a site when that end would be another person's machine read
 * (vendor-pull.sh), or, for a restricted agent, written (vendor-push.sh).
 * A grant to write a share lets a person publish into the studio; it
 * makes their machine no source for whoever may read the share, and a
 * vendor no writer onto the machines of those who may. The refusal, or
 * NULL; recorded.
 */
static json_t *
relay_send_check(struct relay *rl, const json_t *in)
{
	const char		*from = json_string_value(json_object_get(in,
				    "from"));
	const char		*to = json_string_value(json_object_get(in,
				    "to"));
	const char		*other = NULL;
	enum store_clearance	 cl;
	int			 restricted;

	pthread_mutex_lock(&rl->d->mu);
	restricted = store_user_get(rl->d->store, rl->endpoint, &cl,
	    NULL) == 0 && cl == STORE_CLEARANCE_RESTRICTED;
	if (relay_is_person(rl, from))
		other = from;
	else if (restricted && relay_is_person(rl, to))
		other = to;
	if (other != NULL)
		audit_note_limited(rl->d, rl->endpoint, "send.refused",
		    json_pack("{s:s?, s:s?, s:s}", "from", from, "to", to,
		    "why", other == from ? "a person's machine as the source" :
		    "a person's machine as a vendor's destination"));
	pthread_mutex_unlock(&rl->d->mu);
	if (other == NULL)
		return (NULL);
	if (other == from)
		return (json_pack("{s:s++++, s:b}", "error", "from this agent, "
		    "a send to ", rl->endpoint, " may start at a studio site, "
		    "not at another person's machine (", from, ")", "done", 1));
	return (json_pack("{s:s++++, s:b}", "error", "from this agent, a send "
	    "from ", rl->endpoint, " may go to a studio site, not to another "
	    "person's machine (", to, ")", "done", 1));
}

/*
 * A send or publish relayed by a person's agent while the person has
 * max-agent-jobs jobs from their agents unfinished (running or paused,
 * whichever of their agents sent them): the refusal, or NULL. Read from the store, so that
 * a job that ends, however, makes room, and a restart forgets nothing.
 * The store counts them with an index (store_agent_jobs_open): a scan
 * of every running and paused job, here under d->mu on each relayed
 * send, took 8.7 ms with 10,000 jobs waiting (the count 4 us;
 * tests/unit/test-store-agent-jobs.c prints both).
 * A first refusal, before the agent is asked for its files: the job's
 * own transaction counts again (relay_jobs_max), for 4 requests of one
 * agent at once. Jobs the admin sends to the place are not counted.
 */
static json_t *
relay_jobs_check(struct relay *rl)
{
	int64_t	 n = 0;
	long	 limit;
	char	 msg[512], *cause = NULL;
	int	 r;

	limit = conf_int(rl->d->conf.max_agent_jobs, RELAY_JOBS);
	pthread_mutex_lock(&rl->d->mu);
	r = store_agent_jobs_open(rl->d->store, rl->endpoint, &n, &cause);
	if (r == 0 && n >= limit)
		audit_note_limited(rl->d, rl->endpoint, "jobs.limit",
		    json_pack("{s:I, s:s}", "limit", (json_int_t)limit,
		    "agent", rl->link));
	pthread_mutex_unlock(&rl->d->mu);
	/* Not counted, not taken: the limit must hold when the store errs. */
	if (r != 0) {
		snprintf(msg, sizeof msg, "the hub cannot count the jobs from "
		    "%s: %s", rl->endpoint, cause ? cause : err_str(r));
		free(cause);
		return (json_pack("{s:s, s:b}", "error", msg, "done", 1));
	}
	if (n < limit)
		return (NULL);
	snprintf(msg, sizeof msg, "from this agent: %jd jobs from %s are not "
	    "finished (max-agent-jobs %ld): send again when one has ended",
	    (intmax_t)n, rl->endpoint, limit);
	return (json_pack("{s:s, s:b}", "error", msg, "done", 1));
}

/*
 * The limit the store keeps as it makes a job of req (store_job_insert,
 * in the job's transaction): a person's agent's; none for a site's, and
 * none an agent may set itself.
 */
static void
relay_jobs_max(struct relay *rl, json_t *req)
{
	if (rl->person)
		json_object_set_new(req, "_jobs_max", json_integer(conf_int(
		    rl->d->conf.max_agent_jobs, RELAY_JOBS)));
	else
		json_object_del(req, "_jobs_max");
}

/*
 * A refusal of the store's for max-agent-jobs (several requests came at
 * once, past relay_jobs_check): said as relay_jobs_check says it, and
 * recorded as it records it.
 */
static json_t *
relay_jobs_refused(struct relay *rl, json_t *rep)
{
	const char	*e = json_string_value(json_object_get(rep, "error"));
	json_t		*no;

	if (!rl->person || e == NULL || strstr(e, "(" STORE_AGENT_JOBS_KEY
	    " ") == NULL)
		return (rep);
	pthread_mutex_lock(&rl->d->mu);
	audit_note_limited(rl->d, rl->endpoint, "jobs.limit", json_pack(
	    "{s:I, s:s}", "limit", (json_int_t)conf_int(
	    rl->d->conf.max_agent_jobs, RELAY_JOBS), "agent", rl->link));
	pthread_mutex_unlock(&rl->d->mu);
	if (strncmp(e, "from this agent: ", 17) == 0)
		return (rep);
	no = json_pack("{s:s+, s:b}", "error", "from this agent: ", e, "done",
	    1);
	json_decref(rep);
	return (no);
}

/*
 * Whether the job a "job" request names involves the agent: asked of
 * its totals alone, before any task is read. Otherwise a question about
 * another's job of a million files was answered in full, under d->mu,
 * and only then refused (job-peek.sh).
 */
static int
relay_own_job(struct relay *rl, const json_t *in)
{
	json_t	*req, *rep;
	int	 own;

	if ((req = json_pack("{s:s, s:O, s:b}", "op", "job", "id",
	    json_object_get(in, "id"), "tasks", 0)) == NULL)
		return (0);
	rep = api_ops_agent(rl->d, req);
	own = rep != NULL && json_object_get(rep, "error") == NULL &&
	    relay_involves(rep, rl->endpoint);
	json_decref(req);
	json_decref(rep);
	return (own);
}

static json_t *
relay_answer(struct relay *rl, const json_t *in)
{
	const char	*op = json_string_value(json_object_get(in, "op"));
	json_t		*req, *rep, *list, *kept, *j;
	char		 by[300];
	size_t		 i;

	if (op != NULL && strcmp(op, "send") == 0 &&
	    !relay_involves(in, rl->endpoint))
		return (json_pack("{s:s+, s:b}", "error", "from this agent, a "
		    "job must start or end at ", rl->endpoint, "done", 1));
	if (op != NULL && strcmp(op, "send") == 0 &&
	    (rep = relay_send_check(rl, in)) != NULL)
		return (rep);
	/*
	 * A person's (a vendor's, an employee's): the studio's own sites
	 * are trusted, and a busy one may well have more than 100 jobs
	 * waiting for a place that is away for the weekend.
	 */
	if (op != NULL && (strcmp(op, "send") == 0 || strcmp(op,
	    "publish") == 0) && rl->person &&
	    (rep = relay_jobs_check(rl)) != NULL)
		return (rep);
	if (op != NULL && strcmp(op, "job") == 0 && !relay_own_job(rl, in))
		return (json_pack("{s:s, s:b}", "error", "no such job here",
		    "done", 1));
	req = json_deep_copy(in);
	snprintf(by, sizeof by, "%s (agent %s)", rl->endpoint, rl->link);
	json_object_set_new(req, "_by", json_string(by));
	/* Who asks, as the hub knows it: for roots and publish. */
	json_object_set_new(req, "_endpoint", json_string(rl->endpoint));
	json_object_set_new(req, "_agent", json_string(rl->link));
	relay_jobs_max(rl, req);
	rep = api_ops_agent(rl->d, req);
	json_decref(req);
	if (rep != NULL && json_object_get(rep, "error") != NULL)
		return (relay_jobs_refused(rl, rep));
	if (rep == NULL)
		return (rep);
	if (strcmp(op, "job") == 0 && !relay_involves(rep, rl->endpoint)) {
		json_decref(rep);
		return (json_pack("{s:s, s:b}", "error", "no such job here",
		    "done", 1));
	}
	if (strcmp(op, "job") == 0)
		relay_redact_job(rep);
	if (strcmp(op, "jobs") == 0) {
		list = json_object_get(rep, "jobs");
		kept = json_array();
		json_array_foreach(list, i, j) {
			if (!relay_involves(j, rl->endpoint))
				continue;
			relay_redact_job(j);
			json_array_append(kept, j);
		}
		json_object_set_new(rep, "jobs", kept);
	}
	return (rep);
}

/* Requests of agent name being answered, on any link. Holds d->mu. */
static int
relay_count(struct ferryd *d, const char *name)
{
	struct hub_link	*l;
	int		 n = 0;

	for (l = d->hub_links; l != NULL; l = l->next)
		if (strcmp(l->name, name) == 0)
			n += l->relays;
	return (n);
}

/*
 * The link a request came on: by its generation, not its name alone,
 * since the first link of that name may be another. Holds d->mu.
 */
static struct hub_link *
relay_link(struct ferryd *d, const char *name, uint64_t gen)
{
	struct hub_link	*l;

	for (l = d->hub_links; l != NULL; l = l->next)
		if (l->gen == gen && strcmp(l->name, name) == 0)
			return (l);
	return (NULL);
}

static void *
relay_main(void *arg)
{
	struct relay	*rl = arg;
	struct hub_link	*l;
	json_t		*rep, *msg;

	rep = relay_answer(rl, json_object_get(rl->msg, "request"));
	pthread_mutex_lock(&rl->d->mu);
	msg = json_pack("{s:O, s:o}", "re", json_object_get(rl->msg, "req"),
	    "reply", rep ? rep : json_pack("{s:s}", "error", "no answer"));
	/* The answer goes back on the link that asked, if it is still up. */
	if ((l = relay_link(rl->d, rl->link, rl->gen)) != NULL) {
		l->relays--;
		if (msg != NULL)
			ferryd_queue(&l->outq, msg, l->wake[1]);
	} else
		json_decref(msg);
	rl->d->busy--;
	pthread_mutex_unlock(&rl->d->mu);
	json_decref(rl->msg);
	free(rl->link);
	free(rl->endpoint);
	free(rl);
	return (NULL);
}

/*
 * Runs on a thread of its own: a send from an agent's own site asks that
 * same agent for its files, over the link whose thread called us.
 * Caller holds d->mu.
 */
void
relay_from_agent(struct ferryd *d, struct hub_link *l, const json_t *msg)
{
	struct relay	*rl;
	pthread_t	 t;
	json_t		*no;

	if (json_object_get(msg, "req") == NULL)
		return;
	/* A thread each, but only so many for one agent, on all its links. */
	if (relay_count(d, l->name) >= RELAY_PER_AGENT) {
		audit_note_limited(d, l->name, "api.limit", json_pack("{s:i}",
		    "limit", RELAY_PER_AGENT));
		/* On this link: the first of its name may be another. */
		if ((no = json_pack("{s:O, s:{s:s, s:b}}", "re",
		    json_object_get(msg, "req"), "reply", "error", "too many "
		    "requests at once from this agent: try again when one is "
		    "answered", "done", 1)) != NULL)
			ferryd_queue(&l->outq, no, l->wake[1]);
		return;
	}
	if ((rl = calloc(1, sizeof *rl)) == NULL)
		return;
	rl->d = d;
	rl->gen = l->gen;
	rl->link = strdup(l->name);
	rl->endpoint = strdup(l->site ? l->site : l->user ? l->user : "");
	rl->person = l->site == NULL && l->user != NULL;
	rl->msg = json_deep_copy(msg);
	if (rl->link == NULL || rl->endpoint == NULL || rl->msg == NULL ||
	    pthread_create(&t, NULL, relay_main, rl) != 0) {
		log_warnx("%s: cannot answer its request", l->name);
		json_decref(rl->msg);
		free(rl->link);
		free(rl->endpoint);
		free(rl);
		return;
	}
	d->busy++;
	l->relays++;
	pthread_detach(t);
}
