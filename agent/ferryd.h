/*
 * ferryd, the agent daemon. Its subcommands live in a table (ferryd.c),
 * one file each: cmd-init.c, cmd-enroll.c, cmd-run.c. The hub's runtime is
 * in hub.c, a plain agent's in uplink.c, the local API's requests in
 * api.c. See docs/agent.md.
 */
#ifndef FERRY_FERRYD_H
#define FERRY_FERRYD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <jansson.h>

#include "clock.h"
#include "conf.h"
#include "nameset.h"

struct identity;
struct jobs_xfer;
struct store;
struct jsonline_conn;
struct tls_conn;

#define FERRYD_EXIT_OK		0
#define FERRYD_EXIT_FAILED	1
#define FERRYD_EXIT_USAGE	2

#define FERRYD_TIMEOUT_MS	15000	/* a control exchange, in all */
/*
 * A transfer's data stream gives up after this long without progress. A
 * cut link is noticed by TCP only at its next retransmission, and the
 * waits between them double: a 10 s cut can hold a stream still for
 * 20 s and more after it (the lab's cut-link scenario failed attempts at
 * 15 s). The hub shows a stall long before (stall-timeout).
 */
#define FERRYD_STREAM_IDLE_MS	60000
#define FERRYD_PING_S		20	/* an idle control link says ping */
#define FERRYD_INVITE_TTL	(72 * 3600)
#define FERRYD_INVITE_TTL_MAX	(366 * 24 * 3600)	/* a year, and a day */

struct ferryd_cmd {
	const char	*name;
	const char	*usage;
	const char	*summary;
	int		(*exec)(int argc, char **argv);
};

extern const struct ferryd_cmd ferryd_cmd_init;
extern const struct ferryd_cmd ferryd_cmd_enroll;
extern const struct ferryd_cmd ferryd_cmd_run;
extern const struct ferryd_cmd ferryd_cmd_fingerprint;
/*
 * ferryd-posix.c or ferryd-win.c, whichever the build takes: the
 * platform's own subcommands (NULL-terminated; Windows: service) and what
 * main does first (Windows: give agent/win/ the hooks below).
 */
extern const struct ferryd_cmd *const ferryd_platform_cmds[];
void	ferryd_platform_init(void);
/* cmd-run.c: `ferryd run`'s exec, and what SIGTERM does (a flag only). */
int	ferryd_run_exec(int argc, char **argv);
void	ferryd_run_stop(void);

/*
 * One control link as the hub sees it. Only its own thread uses the TLS
 * connection; others hand it messages through outq (under d->mu).
 */
struct hub_link {
	char			*name;
	char			*site;		/* or */
	char			*user;
	char			 addr[128];	/* where it connected from */
	uint8_t			 fp[32];	/* its pinned key */
	int64_t			 since;		/* when it linked */
	uint64_t		 gen;		/* tells a new link of the
						   same agent from this one */
	json_t			*outq;		/* messages to send */
	int			 wake[2];	/* a message is queued */
	char			*pub;		/* its public address; NULL */
	char			 platform[16];	/* its hello's: "linux",
						   "windows", "macos" */
	int			 busy;		/* transfers running on it */
	int			 relays;	/* its requests being answered */
	int			 commits;	/* reports what it receives */
	int			 compare;	/* answers "compare" */
	/*
	 * Messages it may send beyond max-agent-messages' budget: what
	 * the files of the transfers it was given call for
	 * (hub_link_credit).
	 */
	_Atomic int64_t		 credit;
	struct hub_link		*next;
};

/* What a running daemon holds. */
struct ferryd {
	const char		*state;
	struct conf		 conf;
	int			 recv_flush;	/* TRANSFER_FLUSH_*, receive-flush */
	unsigned		 recv_umask;	/* receive-umask */
	struct identity		*id;
	char			 fp[64];	/* our fingerprint, printed */
	int			 lockfd;
	int			 apifd;		/* local API listener */
	volatile int		 stop;
	int			 busy;		/* transfer threads running */
	/* Hub only. */
	struct store		*store;
	pthread_mutex_t		 mu;		/* guards store and links */
	pthread_cond_t		 wake;		/* the dispatcher has work */
	struct hub_link		*hub_links;	/* the same, for dispatch */
	uint64_t		 link_gen;
	int64_t			 stall_s;	/* no progress: the task fails */
	int			 per_agent;	/* transfers at once per agent */
	struct jobs_xfer	*xfers;		/* transfers running now */
	int			 ctlfd;		/* control port listener */
	pthread_cond_t		 answered;	/* a question was answered */
	json_t			*asks;		/* open questions, by id */
	struct gate		*gate;		/* hub: limits before auth */
	/* The hub's run: on the hub, this life's; on an agent, its last. */
	int64_t			 hub_run;
	struct hub_mail		*mail;		/* hub: hub-mail.c's */
	struct store		*lease;		/* hub: hub-lease.c's */
	int			 active;	/* hub: holds the lease */
	/*
	 * hub: acts (dispatches, takes links and requests) only before
	 * this clock_ms(); 0: always (SQLite). hub-lease.c moves it on.
	 */
	_Atomic int64_t		 lease_until;
	int64_t			 fenced_at;	/* hub: when it last fenced */
	/* Agent only. */
	int			 uplinked;	/* connected to the hub now */
	int			 uplink_inactive; /* a fenced hub refused us */
	char			*uplink_error;	/* why not, if not */
	char			*uplink_addr;	/* the hub address in use */
	json_t			*uplink_outq;	/* messages for the hub */
	int			 uplink_wake[2];
	json_t			*hubs;		/* agent: hubs.json's list */
	char			 uplink_fp[64];	/* the linked hub's key */
	/* Hub: the list last told to agents (hub-hubs.c). */
	json_t			*hubs_told;
	/*
	 * A standby: the store's hubs as it last read them (hub-standby.c,
	 * each second), for the requests it forwards to the active one;
	 * under d->mu. The active hub: forwards being served now.
	 */
	json_t			*standby_hubs;
	int			 forwards_in;
};

/* ferryd-usage.c */
void	ferryd_usage_error(const struct ferryd_cmd *cmd, const char *fmt, ...)
	    __attribute__((format(FERRY_PRINTF_FORMAT, 2, 3)));
/*
 * ferryd-link.c: the local address outgoing connections start from:
 * source-address, or the public address, or NULL (any), so that peers
 * filtering by address see this agent where the hub saw it.
 */
const char *ferryd_source(const struct ferryd *d);
/* A transfer's data streams, once set up, wait FERRYD_STREAM_IDLE_MS. */
void	ferryd_streams_idle(struct tls_conn **conns, int n);

/*
 * ferryd-link.c: the hub address an agent's link uses now (hub, or one
 * of hub-standby's, set by node-uplink), a copy, for the relay through
 * the hub; NULL: no memory.
 */
char	*uplink_address(struct ferryd *d);

/* hub.c: the hub's control port and its links' threads. */
int	hub_run(struct ferryd *d);
/*
 * hub-lease.c: waits (as the standby) until this hub holds the store's
 * lease, then keeps it from a thread of its own; gives up when *give_up.
 */
int	lease_wait(struct ferryd *d, const char *target, const char *pwfile,
	    volatile int *give_up);
/*
 * hub-lease.c: once the store is open, fences it and starts the thread
 * that renews the lease (docs/operations.md, "Fencing").
 */
int	lease_start(struct ferryd *d);
/*
 * Whether this hub may act as the active one now: on PostgreSQL, its
 * lease was confirmed less than DB_LEASE_FENCE_MS ago. Any thread.
 */
static inline int
lease_fresh(struct ferryd *d)
{
	int64_t	until = atomic_load(&d->lease_until);

	/*
	 * Here rather than in hub-lease.c: the API, the dispatcher and the
	 * lease loop all ask, and a call into hub-lease.c from api-ops.c
	 * closed a cycle (api-ops -> hub-lease -> hub-standby -> api).
	 */
	return (until == 0 || clock_ms() < until);
}

/*
 * hub-ids.c: the hub's runs and transfer ids, unique across its lives and
 * its clock's steps (reserved in blocks in the store). hub_ids_new_run
 * begins a run (d->hub_run); hub_ids_next is the next transfer id, -1 if
 * the store could not give more; hub_ids_seen: an id a last run handed
 * out (an adopted transfer's). Caller holds d->mu.
 */
int	hub_ids_new_run(struct ferryd *d, char **cause);
int64_t	hub_ids_next(struct ferryd *d);
void	hub_ids_seen(int64_t id);

/*
 * hub-web.c: the status page and /metrics (libmicrohttpd's thread); off
 * with "web off". Unasked, a port that is taken only logs a warning.
 */
int	web_start(struct ferryd *d, char **cause);
void	web_stop(void);
/* hub-metrics.c: the metrics' text into b (takes d->mu). */
struct buf;
int	metrics_text(struct ferryd *d, struct buf *b, char **cause);

/* node-uplink.c: an agent's link to its hub. */
int	uplink_run(struct ferryd *d);

/*
 * hub-dispatch.c: the dispatcher's thread (dispatch_start), woken
 * (hub-dispatch-core.c) when a job, an agent or a free link appeared;
 * dispatch_stop (hub-dispatch-core.c) stops a job's transfers (cancel,
 * pause) and dispatch_message (hub-dispatch-report.c) takes an agent's
 * word about a transfer (both: the caller holds d->mu).
 */
int	dispatch_start(struct ferryd *d);
void	dispatch_wake(struct ferryd *d);
void	dispatch_stop(struct ferryd *d, int64_t job_id);
/* Whether a transfer of job_id runs now (caller holds d->mu). */
int	dispatch_running(struct ferryd *d, int64_t job_id);
void	dispatch_message(struct ferryd *d, struct hub_link *l, const char *op,
	    const json_t *msg);
/*
 * hub-dispatch-relay.c: the refusal of a transfer between agents a
 * (sending) and b, neither reachable, when the relay is off for off
 * ("job", or a site's name): FERRY_ERR_UNREACHABLE and its cause.
 */
int	dispatch_relay_refusal(const char *a, const char *b, const char *off,
	    char **cause);
/*
 * At submission, a job from `from` to `to` between two agents: refused
 * now, rather than at each retry, when neither can be reached and the
 * relay is off (for the job: relay_ok 0, or for one of the sites); the
 * refusal goes to the audit trail as who's. The caller does not hold
 * d->mu.
 */
int	dispatch_relay_check(struct ferryd *d, const char *from,
	    const char *to, int relay_ok, const char *who, char **cause);

/*
 * hub-links.c: the table of control links. The caller holds d->mu for all.
 * An agent's link by its name; one serving endpoint (a site, or a user's
 * e-mail), free of transfers if free_only.
 */
struct hub_link *hub_link_named(struct ferryd *d, const char *name);
/*
 * hub-links.c: the platform of endpoint's machine, whose roots its paths
 * are written with (share_map_translate_for): "linux" for the hub's own
 * site, a linked agent's (the first found) for another; with none
 * linked, the one its agent heard from last said (stored at each hello,
 * store_endpoint_platform); NULL (not known) if none ever said one.
 * Caller holds d->mu; valid while it does.
 */
const char	*hub_endpoint_platform(struct ferryd *d, const char *endpoint);
struct hub_link *hub_link_for(struct ferryd *d, const char *endpoint,
	    int free_only);
/* Queues msg (taken) for agent name's link: -1 if it has none. */
int	hub_tell(struct ferryd *d, const char *name, json_t *msg);
/*
 * Gives l the messages a transfer of files files entitles it to beyond
 * max-agent-messages (hub.c): hub_tell does for a transfer.start, and
 * hub-adopt.c for a transfer taken over from the last hub.
 */
void	hub_link_credit(struct hub_link *l, size_t files);
/*
 * Where agent name (of site, or NULL for a person's agent), seen at
 * address seen, can be reached (allocated; NULL: nowhere): the address
 * an admin set for its site (`ferry site set --address`), else its
 * hello's claim if that is where it connects from. A claim elsewhere is
 * ignored and audited.
 */
char	*hub_agent_address(struct ferryd *d, const char *name,
	    const char *site, const char *seen, const json_t *claim);
/* Where agents reach the hub's data ports (allocated). */
char	*hub_public_host(struct ferryd *d);
/*
 * Asks an agent of endpoint: msg (taken) gets a "req" id, and that
 * agent's answer, with "re" set to it, comes back in *reply. Waits on
 * d->mu up to timeout_s.
 */
int	hub_ask(struct ferryd *d, const char *endpoint, json_t *msg,
	    int timeout_s, json_t **reply, char **cause);

/*
 * ask.c: questions over a control link, either way; the caller holds
 * d->mu for all. ask_open registers a question for peer `to` (an agent's
 * key fingerprint, or "hub") and makes its id (ASK_ID_LEN hex digits and
 * a NUL), sent as "req"; ask_wait waits for the answer and closes the
 * question.
 * The link's thread hands every message with "re" to ask_answered: 0 if
 * it answers an open question asked of `from`, 1 if it answers one its
 * asker abandoned (dropped, nothing to audit), else -1 with *why the
 * audit record's name ("answer.unasked", ...); ask_why is that record's
 * detail.
 */
#define ASK_ID_LEN	32
#define ASK_MAX		256	/* open questions at once, the hub's all */
int	ask_open(struct ferryd *d, const char *to, char *id, char **cause);
int	ask_wait(struct ferryd *d, const char *id, int timeout_s,
	    json_t **reply, char **cause);
int	ask_answered(struct ferryd *d, const char *from, const json_t *msg,
	    const char **why);
json_t	*ask_why(const json_t *msg);
/*
 * A question answered in pages (an agent's listing of a million files):
 * ask_next gives each page in turn, *more while pages follow, and the
 * link's thread holds the next page until the last is taken; ask_close
 * ends the question (later pages are dropped as unasked).
 */
int	ask_open_paged(struct ferryd *d, const char *to, char *id,
	    char **cause);
int	ask_next(struct ferryd *d, const char *id, int timeout_s,
	    json_t **reply, int *more, char **cause);
void	ask_close(struct ferryd *d, const char *id);
/*
 * The asker stops waiting for question id (a compare timed out or given
 * up): its answer, if it comes within ASK_ABANDON_S, is dropped quietly
 * (ask_answered returns 1), not audited as unasked; then the row goes.
 */
void	ask_abandon(struct ferryd *d, const char *id);
/* Peer `to`'s link closed: its open questions fail now, not at timeout. */
void	ask_peer_gone(struct ferryd *d, const char *to);
/*
 * hub_ask, answered in pages: cb gets each (without d->mu, which the
 * caller holds otherwise) until the last or until cb fails.
 */
int	hub_ask_pages(struct ferryd *d, const char *endpoint, json_t *msg,
	    int timeout_s, int (*cb)(void *, const json_t *), void *arg,
	    char **cause);

/*
 * People on an agent's machine (a vendor publishing back) use the hub's
 * job requests through the agent: relay_to_hub on the agent
 * (node-relay.c), relay_from_agent on the hub (hub-relay.c), which
 * answers on a thread of its own.
 */
json_t	*relay_to_hub(struct ferryd *d, const json_t *req);
void	relay_from_agent(struct ferryd *d, struct hub_link *l,
	    const json_t *msg);

/* node-xfer.c: an agent's part in transfers, and listing its files. */
void	xfer_start(struct ferryd *d, const json_t *msg);
void	xfer_abort(struct ferryd *d, const json_t *msg);
void	xfer_rate(struct ferryd *d, const json_t *msg);
/*
 * Stops every transfer but those in keep (the new hub's welcome's
 * "adopt", NULL: none) and waits for them to end; why goes in the log.
 */
void	xfer_abort_all(struct ferryd *d, const json_t *keep, const char *why);
/*
 * What this agent runs, and ran lately (issue 17): its hello's
 * "running", for a new hub to take over (hub-adopt.c). Allocated.
 */
json_t	*xfer_report(struct ferryd *d);
/*
 * node-compare.c: the hub's "compare", a page of at most COMPARE_MAX
 * names below a root, each with the size and mtime the hub's listing
 * found: the answer's "same" has '1' for each the agent holds so.
 * Allocated; NULL when out of memory.
 */
#define COMPARE_MAX	4096
json_t	*node_compare(struct ferryd *d, const json_t *msg);
struct tls_conn;
/* c: the uplink, for the pages a listing is sent in when asked so. */
json_t	*xfer_list(struct ferryd *d, const json_t *msg,
	    struct tls_conn *c);
/*
 * xfer-expect.c: what a receiver was told to expect, by the hub:
 * regular files by name, and for some of them a basis hint. Anything
 * else is refused, whatever the sender says. The names are borrowed.
 */
struct xfer_expect {
	struct nameset	 names;
	struct nameset	 bases;		/* "REL\nBASIS", in keys */
	char		**keys;
	size_t		 nkeys;
};
/* bases[i] is rels[i]'s hint, or NULL; bases may be NULL. */
int	xfer_expect_build(struct xfer_expect *e, const char *const *rels,
	    const char *const *bases, size_t n);
void	xfer_expect_clear(struct xfer_expect *e);
/* The accept callback (transfer.h) for an xfer_expect. */
int	xfer_accept(const char *rel, int type, const char *basis, void *arg);
/* Suspect events (transfer.h) one transfer reports or records at most. */
#define FERRYD_SUSPECT_MAX	32

/*
 * xfer-slow.c: a receiver's watch on a sender that is not trusted (a
 * person's machine, whose word on its own progress counts for nothing):
 * when fewer than min_rate bytes a second of files came in a window of
 * window_s seconds (recv-rate-window, default XFER_SLOW_WINDOW_S), it
 * shuts the transfer's streams down, so that a sender dripping a byte a
 * second (slow-sender.sh) does not hold the receiver's transfer slot for
 * ever. xfer_slow_progress is the
 * transfer's progress callback (arg: the watch); xfer_slow_stop ends the
 * watch and says whether it cut, with what came in that window and the
 * message to give (allocated) in *why.
 */
#define XFER_SLOW_WINDOW_S	60
#define XFER_SLOW_RATE		1024	/* recv-min-rate's default */
struct xfer_slow;
struct transfer_progress;
/* recv-min-rate from c: bytes a second, 0 for no watch. */
uint64_t xfer_slow_rate(const struct conf *c);
/* recv-rate-window from c: seconds. */
int	 xfer_slow_window(const struct conf *c);
int	 xfer_slow_start(struct xfer_slow **wp, uint64_t min_rate,
	    int window_s, const int *fds, int n);
void	 xfer_slow_progress(const struct transfer_progress *p, void *arg);
int	 xfer_slow_stop(struct xfer_slow *w, char **why);
/*
 * transfer_receive, watched when watch is set (a person's machine sends)
 * and c's recv-min-rate is not 0: a cut is its error, in the watch's
 * words. Sets o's progress callback when it watches.
 */
struct tls_conn;
struct transfer_opts;
struct transfer_stats;
int	 xfer_slow_receive(const struct conf *c, int watch,
	    struct tls_conn **conns, const int *fds, int n, const char *root,
	    struct transfer_opts *o, struct transfer_stats *st, char **cause);

/*
 * ferryd-link.c: a link's thread sleeps in poll(2) on its socket and a wake
 * pipe, so that a message queued for it goes out at once.
 */
int	ferryd_wake_open(int fds[2]);
void	ferryd_wake(int fd);
void	ferryd_wake_drain(int fd);

/*
 * ferryd-link.c: queue msg (taken) on q and wake wakefd; caller holds
 * d->mu.
 */
void	ferryd_queue(json_t **q, json_t *msg, int wakefd);
/* ferryd-link.c: queue a message for a link's own thread (msg is taken)... */
void	ferryd_enqueue(struct ferryd *d, json_t **q, json_t *msg);
/* ...and, in that thread, send what was queued. */
int	ferryd_flush(struct ferryd *d, json_t **q, struct tls_conn *c,
	    char **cause);

/*
 * The local API on a standby hub (issue 17, docs/operations.md "The local
 * API on either hub"): hub-forward-out.c's forward_request passes a
 * local request (uid: its caller) to the active hub over pinned TLS to
 * its control port, and answers its reply (with "via"), or NULL and
 * *why when the request was never taken (no active hub, none to reach),
 * which the caller may answer itself. hub-forward.c's forward_serve is
 * the active hub's side (the first message was "forward"), which
 * api_ops_forwarded answers as it would a local client's, caller being
 * who asked ("root (uid 0) on hub ADDR").
 */
json_t	*forward_request(struct ferryd *d, const json_t *req, uid_t uid,
	    char **why);
void	forward_serve(struct ferryd *d, struct tls_conn *c,
	    const json_t *first, const char *peer);
json_t	*api_ops_forwarded(struct ferryd *d, const json_t *req, uid_t uid,
	    const char *caller);
/* Whether api.c should answer req from a thread: a standby forwards it. */
int	api_ops_forwards(struct ferryd *d, const json_t *req);
/*
 * hub-caller.c: who asked, for the audit trail and the logs: "uid N"
 * (caller_uid) or the user's name (caller_name) of a local client, or
 * for a forwarded request the "_caller" the active hub set.
 */
const char *caller_uid(const json_t *req, uid_t uid, char *buf, size_t n);
const char *caller_name(const json_t *req, uid_t uid, char *buf, size_t n);

/*
 * hub-audit.c: a record in the hub's audit trail (detail taken, may be NULL;
 * caller holds d->mu), and the same at most once a minute per who and
 * what, for events an attacker can repeat; audit_note_some at most max a
 * minute, for events whose details differ and are each worth keeping
 * (a budget apart from audit_note_limited's for the same what).
 * audit_api answers "audit".
 */
void	audit_note(struct ferryd *d, const char *who, const char *what,
	    json_t *detail);
void	audit_note_limited(struct ferryd *d, const char *who,
	    const char *what, json_t *detail);
void	audit_note_some(struct ferryd *d, const char *who, const char *what,
	    int max, json_t *detail);
/*
 * hub_rate_take: whether key had max events in the HUB_RATE_WINDOW_S
 * from its first (1: refuse), else counts one more (0). slots[1] on hold
 * the keys seen last; a new key takes a slot whose window is over (the
 * one begun longest ago), never one still counting, so that other keys
 * cannot reset a flooder's budget. While every slot counts, new keys
 * share slots[0]'s budget: max for each of the others, in a window of
 * its own. A key is cut at HUB_RATE_KEY - 1 bytes. The caller keeps
 * the slots (nslots >= 2) and locks them (d->mu).
 */
#define HUB_RATE_WINDOW_S	60
#define HUB_RATE_KEY		256
struct hub_rate {
	char	key[HUB_RATE_KEY];
	int64_t	at;
	int	n;
};
int	hub_rate_take(struct hub_rate *slots, size_t nslots, const char *key,
	    int max, int64_t now);
/*
 * Whether one more what from who may be recorded (and counts it): max a
 * minute, for records the caller writes itself. Caller holds d->mu.
 */
int	audit_due(struct ferryd *d, const char *who, const char *what,
	    int max);
/*
 * Refusals of what a person's agent relayed (send.refused, roots.refused)
 * recorded a minute per agent or person: a few mistakes each kept, a
 * flood not (refused-flood.sh, roots-flood.sh).
 */
#define AUDIT_AGENT_REFUSALS	10
json_t	*audit_api(struct ferryd *d, const char *op, const json_t *req,
	    uid_t uid);

/*
 * hub-gate.c: the control port's limits before authentication (the caller
 * holds d->mu). gate_admit says whether a new connection from addr may
 * have a thread (key names it until gate_done, which is safe twice);
 * gate_sweep, called often, cuts those past their deadline. Enrolment:
 * gate_enroll_allowed before checking a code, gate_enroll_failed after a
 * wrong one.
 */
struct gate;
int	gate_admit(struct ferryd *d, const void *key, int fd,
	    const char *addr);
void	gate_done(struct ferryd *d, const void *key);
void	gate_sweep(struct ferryd *d);
int	gate_enroll_allowed(struct ferryd *d, const char *addr);
void	gate_enroll_failed(struct ferryd *d, const char *addr);
void	gate_free(struct ferryd *d);

/*
 * hub-splice.c: the relay through the hub. The dispatcher opens a relay
 * for a transfer (tickets: 2 x LINK_RELAY_TICKET_LEN bytes, the sender's
 * then the receiver's; addrs and names the same two agents' link address
 * and name) and closes it when the transfer ends, which cuts what it
 * joined and says how many bytes it relayed. splice_serve takes a
 * control connection that opened with a relay hello (fd is its, even
 * when it refuses; key is the gate's). splice_set_rate: relay-bwlimit.
 */
struct splice_xfer;
int	splice_open(int64_t id, int streams, const uint8_t *tickets,
	    const char *const *addrs, const char *const *names,
	    struct splice_xfer **out);
uint64_t splice_close(struct splice_xfer *sx);
void	splice_serve(struct ferryd *d, const void *key, int fd,
	    const char *peer);
void	splice_set_rate(uint64_t bytes_per_s);
/* For /metrics: bytes relayed by pairs that ended, pairs and waiters now. */
void	splice_stats(uint64_t *bytes, int *pairs, int *pending);

/*
 * secret.c: hub.secret, the key that seals invites outside hub.db.
 * secret_init makes it for a new hub (ferryd init); secret_open checks
 * it and the store's owner (fp, the hub's key) at start-up, and makes it
 * for a hub from before it. Either sets the store's seal key.
 */
int	secret_init(const char *state, struct store *st, const uint8_t *fp,
	    char **cause);
int	secret_open(const char *state, struct store *st, const uint8_t *fp,
	    char **cause);
/*
 * secret_join: a second hub of one store (ferryd init --join) takes the
 * store's hub.secret from file from (0600, checked against the store).
 */
int	secret_join(const char *state, struct store *st, const char *from,
	    char **cause);

/*
 * hub-mail.c: e-mail (docs/mail.md). hub_mail_start checks the mail
 * keywords of ferryd.conf, opens STATEDIR/mail.db and starts the mail
 * thread (with mail off, it only clears the store's notices);
 * hub_mail_status is status's "mail" (caller holds d->mu);
 * hub_mail_notify answers "notify", hub_mail_test "mail.test".
 */
struct hub_mail;
int	hub_mail_start(struct ferryd *d, char **cause);
json_t	*hub_mail_status(struct ferryd *d);
json_t	*hub_mail_notify(struct ferryd *d, const char *op, const json_t *req,
	    uid_t uid);
json_t	*hub_mail_test(struct ferryd *d, const char *op, const json_t *req,
	    uid_t uid);

/* api.c: the local API's socket, served from the main thread. */
int	api_serve_once(struct ferryd *d, int timeout_ms);
int	api_open(struct ferryd *d, char **cause);
void	api_close(struct ferryd *d);

/*
 * api-wake.c: the pipe that wakes api.c's loop. api_wake_open makes it
 * (its read end, or -1); api_wake writes a byte, api_wake_drain empties
 * it. api_wake_jobs says a job may have left queued or running (the
 * dispatcher, a cancel): any thread, any lock held, never blocks. The
 * loop compares api_wake_jobs_gen with what it saw, and counts the
 * "job" requests it holds with api_wake_held_add, and those it answered
 * (held or not) with api_wake_count: api_wake_counts is status's "api".
 */
/*
 * The longest a "job" request is held: a terminal's progress bar wants
 * a look every half second, a log a line a second.
 */
#define API_WAIT_MAX_MS	1000
int		api_wake_open(void);
int		api_wake_fd(void);
void		api_wake(void);
void		api_wake_drain(void);
void		api_wake_jobs(void);
unsigned	api_wake_jobs_gen(void);
void		api_wake_held_add(int n);
void		api_wake_count(int held);
json_t		*api_wake_counts(void);

/*
 * api-ops.c: the table of the API's operations and who may call each:
 * API_NODE any ferryd answers (hub or agent); API_LOCAL a local client of
 * the hub; API_AGENT an enrolled agent, for a person on its machine (and
 * so what an agent forwards to the hub). api_ops_local answers a local
 * client; api_ops_agent a request an agent relayed (the hub's side).
 */
#define API_NODE	0x1
#define API_LOCAL	0x2
#define API_AGENT	0x4
json_t	*api_ops_local(struct ferryd *d, const json_t *req, uid_t uid);
json_t	*api_ops_agent(struct ferryd *d, const json_t *req);

/*
 * The handlers of api-ops.c's table: op is the request's, req the whole
 * request, uid the local client's ((uid_t)-1 for a relayed request, which
 * says for whom in "_by"). Each answers a reply to send, or NULL.
 * hub-jobs.c: shares, sites, ACLs and sending jobs; hub-jobs-query.c:
 * the jobs, one job and the job operations; hub-invite.c: "invite".
 */
json_t	*jobs_share_import(struct ferryd *d, const char *op,
	    const json_t *req, uid_t uid);
json_t	*jobs_share_get(struct ferryd *d, const char *op, const json_t *req,
	    uid_t uid);
json_t	*jobs_site_set(struct ferryd *d, const char *op, const json_t *req,
	    uid_t uid);
json_t	*jobs_endpoints(struct ferryd *d, const char *op, const json_t *req,
	    uid_t uid);
json_t	*jobs_acl(struct ferryd *d, const char *op, const json_t *req,
	    uid_t uid);
json_t	*jobs_send(struct ferryd *d, const char *op, const json_t *req,
	    uid_t uid);
/* hub-jobs.c: an error answer, {"error": msg, "done": true}. */
json_t	*jobs_error(const char *msg);
/* hub-jobs-query.c */
json_t	*jobs_query(struct ferryd *d, const char *op, const json_t *req,
	    uid_t uid);
struct store_task;
int	 jobs_task_cb(void *arg, const struct store_task *t);

/*
 * hub-jobpage.c: pages of a job's tasks ("after", "limit") and of the
 * job list ("before", "limit"); both answer "next", the cursor of the
 * page that follows, while there is one. Caller holds d->mu.
 */
#define JOBPAGE_MAX	10000	/* tasks in one answer, at most */
/*
 * hub-jobstore.c: a planned job stored in batches, d->mu let go between
 * them (the caller does not hold it); settle(d, id, sarg) runs under
 * d->mu in the job's first transaction, before any of its tasks is
 * stored. The stored tasks may run while the rest is stored; the job
 * ends only once all are in. jobstore_busy: whether job id is being
 * stored now, which the job operations other than a cancel leave alone;
 * jobstore_removing: whether it is being removed (its storing failed) or
 * was cancelled, which the dispatcher leaves alone too (both: the caller
 * holds d->mu).
 */
struct store_job;
int	 jobstore_stream(struct ferryd *d, const struct store_job *job,
	    int (*next)(void *, const struct store_task **, char **),
	    void *arg, int (*settle)(struct ferryd *, int64_t, void *,
	    char **), void *sarg, int64_t *id, size_t *files, char **cause);
/*
 * The same in steps, for a send stored while it is listed (hub-jobs.c):
 * jobstore_begin makes the job's row (run->id, 0 if it could not; with
 * half, only while more than half of the jobs the hub stores at once
 * are free, else 1 and nothing made: the place is taken under the same
 * lock), jobstore_add stores n more tasks (at most a batch's worth, one
 * transaction), jobstore_end closes the job, or with r != 0 (or a close
 * that failed) stops its transfers and removes it, *cause saying how
 * many files were stored and delivered. None is called with d->mu held.
 */
struct jobstore_run {
	const struct store_job	*job;		/* borrowed, until the end */
	int64_t			 id;
	int64_t			 now;
	size_t			 n;		/* tasks stored */
};
/*
 * Tasks a transaction (and at most one jobstore_add's): about 0.1 s of
 * d->mu at 22 µs a task, and a transfer's worth (DISPATCH_BATCH in
 * hub-dispatch.c), so that the first transfer starts after one batch
 * and the job's transfers, which need d->mu for their reports, wait less
 * for each batch (8,192: a no-op of 20,000 files 4 % slower,
 * docs/benchmarks.md).
 */
#define JOBSTORE_BATCH	4096
int	 jobstore_begin(struct ferryd *d, struct jobstore_run *run,
	    const struct store_job *job, int (*settle)(struct ferryd *,
	    int64_t, void *, char **), void *sarg, int half, char **cause);
int	 jobstore_add(struct ferryd *d, struct jobstore_run *run,
	    const struct store_task *t, size_t n, char **cause);
int	 jobstore_end(struct ferryd *d, struct jobstore_run *run, int r,
	    char **cause);
int	 jobstore_busy(struct ferryd *d, int64_t id);
int	 jobstore_removing(struct ferryd *d, int64_t id);
/*
 * A cancel of job id while it is stored (by who, for the audit trail):
 * its transfers stop now, its storing after the batch in hand, and its
 * jobstore_end closes and cancels it (FERRY_ERR_CANCELLED, *cause for
 * its send). 0, or why not. Caller holds d->mu.
 */
int	 jobstore_cancel(struct ferryd *d, int64_t id, const char *who,
	    char **cause);
/*
 * At start: what a killed hub had stored of jobs it was storing goes.
 * jobstore_tick (the dispatcher's, each round): what a full store could
 * not remove then goes once it can (caller holds d->mu).
 */
void	 jobstore_recover(struct ferryd *d);
void	 jobstore_tick(struct ferryd *d);
/*
 * hub-discard.c: a cancelled job's partial files removed at to (this hub,
 * or the agent serving it), in pages, by a thread of its own. Caller
 * holds d->mu.
 */
void	 discard_job(struct ferryd *d, int64_t job, const char *to);
int	 jobpage_wanted(const json_t *req);
int	 jobpage_tasks(struct ferryd *d, int64_t id, const json_t *req,
	     json_t *list, json_t *rep, char **cause);
json_t	*jobpage_jobs_reply(const json_t *req, json_t *list);
/* One task per destination file, the first naming winning (t[].id reset). */
struct store_task;
void	 jobs_tasks_dedupe(struct store_task *t, size_t *np);
/*
 * hub-jobmeta.c: a send's optional "meta", checked for who sends it (an
 * agent may give only meta.publish, whose "by" the hub writes); *metap
 * is the JSON text to store, or NULL when there is none.
 */
int	 jobmeta_check(const json_t *req, char **metap, char **cause);
json_t	*invite_api(struct ferryd *d, const char *op, const json_t *req,
	    uid_t uid);
/* hub-home.c: acl.list, every grant (or one person's). */
json_t	*jobs_acl_list(struct ferryd *d, const char *op, const json_t *req,
	    uid_t uid);
/* hub-publish.c: publish, from a person's agent. */
json_t	*publish_api(struct ferryd *d, const char *op, const json_t *req,
	    uid_t uid);
/*
 * node-roots.c: root.set on an agent (`ferry root set`), and the report
 * of its roots that its hello and root.set carry to the hub.
 */
json_t	*node_root_set(struct ferryd *d, const char *op, const json_t *req,
	    uid_t uid);
json_t	*node_roots_report(struct ferryd *d);
/* Makes root before a receive, if it is one of this agent's own. */
void	node_roots_make(struct ferryd *d, const char *root);
/* A share's name and a root on this machine, as root.set takes them. */
int	node_roots_check(const char *share, const char *path, char **cause);
/* STATE/roots.json: {SHARE: PATH}, as set (an empty object if none). */
int	node_roots_load(const char *state, json_t **set, char **cause);
int	node_roots_save(const char *state, const json_t *set, char **cause);
/*
 * hub-publish-split.c, for the dispatcher: a publish's task names its
 * own destination (its home folder, maybe), not the source's translation.
 * Fills *res as share_map_translate would for the destination, and
 * *src_root (allocated). Caller holds d->mu.
 */
struct share_map;
struct share_map_result;
struct store_job;
struct store_task;
int	publish_is(const struct store_job *j);
int	publish_split(const struct share_map *m, const struct store_job *j,
	    const struct store_task *t, const char *to,
	    struct share_map_result *res, char **src_root, char **cause);

/*
 * hub-window.c: transfer windows. The cap for transfers to site now
 * (bytes/s, 0: none); passing changed caps to running transfers (each
 * second, by the dispatcher); site.set's "window" and "tz"; the "sites"
 * op. All but hub_window_sites with d->mu held.
 */
uint64_t hub_window_cap(struct ferryd *d, const char *site);
void	hub_window_tick(struct ferryd *d);
int	hub_window_set(struct ferryd *d, const char *site, const json_t *req,
	    const char *who, char **cause);
json_t	*hub_window_sites(struct ferryd *d, const char *op, const json_t *req,
	    uid_t uid);

/*
 * hub-hubs.c: the hubs of one store, each with its own key (issue 17).
 * hubs_register (at start, active) writes this hub's row; hubs_list is
 * the list every welcome and "hubs" message carries ([{"fingerprint",
 * "address"}], caller holds d->mu); hubs_tick (each second, dispatcher,
 * d->mu held) says this hub is active and tells every linked agent when
 * the list changed; hubs_status is status's "hubs" (d->mu held).
 * hub-standby.c: hubs_standby_wait is how a standby spends a second
 * waiting for the lease (hub-lease.c): it says it waits, in its row, and
 * answers its local API (status only).
 */
int	hubs_register(struct ferryd *d, char **cause);
json_t	*hubs_list(struct ferryd *d);
void	hubs_tick(struct ferryd *d);
json_t	*hubs_status(struct ferryd *d, struct store *st);
/* hub.remove (API_LOCAL): a hub leaves the store's set. */
json_t	*hubs_api(struct ferryd *d, const char *op, const json_t *req,
	    uid_t uid);
void	hubs_standby_wait(struct ferryd *d);
/* This hub's address for agents: public-address or listen's host, port. */
char	*hubs_own_address(struct ferryd *d);

/*
 * node-hubs.c: an agent's hubs (issue 17). The pinned set is the
 * enrolment's hub-fingerprint and STATE/hubs.json's keys, learned from
 * a pinned hub over the control link; node_hubs_load reads hubs.json at
 * start; node_hubs_pinned says whether fp is one of the set (0: yes);
 * node_hubs_addr is the i-th address to try (allocated; i wraps) and
 * node_hubs_naddrs how many; node_hubs_take checks and keeps (atomically)
 * the list a hub sent (from: its key). d->mu is taken inside all.
 */
int	node_hubs_load(struct ferryd *d, char **cause);
int	node_hubs_pinned(struct ferryd *d, const uint8_t *fp);
char	*node_hubs_addr(struct ferryd *d, int i);
int	node_hubs_naddrs(struct ferryd *d);
int	node_hubs_take(struct ferryd *d, const json_t *list,
	    const uint8_t *from, char **cause);
json_t	*node_hubs_status(struct ferryd *d);
/*
 * At enrolment (cmd-enroll.c): the hub's list, in the reply its proof
 * of the code covers, checked and kept as STATE/hubs.json.
 */
int	node_hubs_enrolled(const char *state, const json_t *list,
	    const uint8_t *from, char **cause);

#endif
