/*
 * The dispatcher's private parts, shared by hub-dispatch.c (which starts
 * transfers and follows them), hub-dispatch-relay.c and hub-sftp.c (which
 * run some of them), hub-dispatch-core.c (the helpers those call back)
 * and hub-dispatch-report.c (what each transfer's two sides report: files
 * settled, progress, suspects).
 */
#ifndef FERRY_HUB_DISPATCH_H
#define FERRY_HUB_DISPATCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "ferryd.h"
#include "identity.h"
#include "transfer.h"

/*
 * Delivered files are marked done in batches, one commit (and one flush
 * to disk) per batch rather than per file. A hub killed before a batch is
 * written sends those files again; the receiver finds them there, whole,
 * and skips them. The batch is mostly bounded by time: since a batch is
 * one statement per run of ids, a commit's flush costs more than its
 * rows, and a no-op of 20,000 files settles them all within 100 ms.
 */
#define DISPATCH_DONE_BATCH	8192
#define DISPATCH_DONE_MS	250
/*
 * How long a transfer's start may stay held (hub-dispatch.h, held) before
 * its rows are written running: the dispatcher looks once a second, so
 * one to two seconds. A no-op of 20,000 files ends well within it.
 */
#define DISPATCH_HOLD_MS	1000
#define DISPATCH_STREAMS	2	/* connections of a transfer */
/* hub-streams.c: with a large file, and through the relay at most. */
#define DISPATCH_STREAMS_BIG		8
#define DISPATCH_STRIPE_MIN		(32ULL << 20)	/* as the library */
#define DISPATCH_RELAY_STREAMS_MAX	8

/* One side of a transfer: the hub (link NULL) or an agent. */
struct dispatch_end {
	char		*link;		/* the agent's name; NULL: the hub */
	uint64_t	 gen;		/* its link's, to notice a new one */
	char		 addr[128];	/* where its connections come from */
	char		*pub;		/* where it can be reached; NULL */
	char		 platform[16];	/* whose roots its paths are in */
	uint8_t		 fp[IDENTITY_FP_LEN];
	/* A person's machine; an agent that reports what it receives. */
	int		 person, commits;
};

/* One transfer for tasks of one job. */
struct jobs_xfer {
	struct ferryd		*d;
	int64_t			 id;		/* in messages about it */
	int64_t			 job_id;
	volatile int		 abort;		/* cancel or pause asked */
	int			 abort_sent;
	struct jobs_xfer	*next;		/* in d->xfers */
	struct dispatch_end	 send, recv;
	char			*root;		/* the share root received into */
	char			*submitter;	/* the job's, for the audit */
	int			 nsuspect;
	/*
	 * The cap now (0: none) of transfers to site, the destination (a
	 * site or a person): hub-window.c changes it at a window's edge.
	 */
	_Atomic uint64_t	 bwlimit;
	char			*site;
	int64_t			*task;
	/*
	 * A held start (dispatch_hold): the tasks [hold_lo, hold_hi] run
	 * with their rows still queued, so that a transfer that ends within
	 * a second or two (a no-op, a few small files) writes each row once,
	 * queued -> done, instead of twice. The walk skips them while x is
	 * in d->xfers; anything but a delivery (a failure, progress, the
	 * hold's age, another job's task for the same destination) writes
	 * their start first (dispatch_unhold). Under d->mu.
	 */
	int			 held;
	int			 unhold_due;	/* the walk asked for the rows */
	int64_t			 hold_lo, hold_hi;
	int64_t			 hold_ms;	/* clock_ms() at the start */
	int64_t			 hold_since;	/* clock_now(): the rows' started */
	/* The last progress while held (file index + 1; 0: none), its bytes. */
	size_t			 hold_file;
	int64_t			 hold_bytes;
	struct transfer_list	 l;		/* src as the sender sees it */
	/*
	 * settled and delivered are under dmu, not d->mu: the transfer
	 * library reports each delivered file without waiting for the hub's
	 * lock, which the dispatcher holds while it plans the next transfer
	 * (a few hundred ms for 4,096 files under load). Lock order: d->mu,
	 * then dmu. hub-sftp.c's one thread per transfer uses settled
	 * under d->mu alone: nothing else reports for it.
	 */
	pthread_mutex_t		 dmu;
	int			*settled;
	int64_t			 last_progress;
	/* Delivered files whose tasks are not marked done yet. */
	int64_t			*delivered;
	size_t			 ndelivered;
	int64_t			 delivered_since;	/* ms */
	/* What the agents said, under d->mu. */
	pthread_cond_t		 heard;
	int64_t			 heard_at;
	int			 port;		/* the listening agent's */
	const struct dispatch_end *lsn;		/* that agent; NULL: none */
	int			 send_done, recv_done;
	/*
	 * When the first end reported the end (0: neither yet): the other
	 * has DISPATCH_END_GRACE_S more to report its own (end-linger.sh).
	 */
	int64_t			 one_done_at;
	size_t			 commit_next;	/* dispatch_committed; d->mu */
	char			*agent_error;
	/* The relay: allowed, or turned off by "job" or this site. */
	int			 relay_ok;
	char			*relay_off;
	char			*sftp;		/* the SFTP site it serves */
	int			 sftp_pull;	/* from it, not to it */
	/* Its streams, stripe width (0: by round trip), large files. */
	int			 streams, stripe;
	size_t			 nbig;
	/*
	 * Between two agents directly: claimed in the store (store-claim.c),
	 * so that it carries on under the next hub (hub-adopt.c). adopted:
	 * this run took it over from another; an end with gen 0 has not
	 * reported it yet, and must before adopt_until. fenced: this hub
	 * lost its lease, and leaves the transfer to its agents.
	 */
	int			 claimed, adopted, adopt_fail, fenced;
	int64_t			 claim_run, adopt_until;
};

/*
 * hub-adopt.c (issue 17): the transfers a previous run claimed and
 * left running, taken over when both their agents report them.
 * adopt_load (at start, d->mu held) makes a jobs_xfer for each claim
 * whose tasks still run, waiting for its agents, and releases the
 * others; the caller starts them. adopt_hello checks what a linking
 * agent says it runs (its hello's "running") against the claims, and
 * answers the ids it may carry on with (the welcome's "adopt"); what
 * does not match is refused and audited (adopt.refused). Both: caller
 * holds d->mu.
 */
/*
 * Once one end of a transfer between two agents reported its end, the
 * data has stopped flowing: the other end's report follows within
 * moments. A hostile end that never sends it (a sender saying "still at
 * work" forever) would hold the other end's transfer slots
 * (transfers-per-agent) for as long as it liked.
 */
#define DISPATCH_END_GRACE_S	30
/*
 * An end failed: the other end's last words (its files' fates, and what
 * it refused, transfer.suspect, for the audit trail) are waited for this
 * long before the transfer fails (symlink-plant.sh lost la's report of a
 * planted symlink about 1 run in 6 when the sender's failure came first).
 */
#define DISPATCH_ERROR_GRACE_S	5
#define ADOPT_WAIT_S	30	/* for both ends to report, after start */
#define ADOPT_REPORT_MAX 64	/* transfers in one hello's report */
struct jobs_xfer *adopt_load(struct ferryd *d, size_t *n);
json_t	*adopt_hello(struct ferryd *d, struct hub_link *l,
	    const json_t *hello);

/* Tasks store_task_next offered, in its order. */
struct dispatch_due {
	struct store_task	*t;
	size_t			 n, cap;	/* tasks in t, its room */
	struct ferryd		*d;
	json_t			*ends;	/* endpoint -> whether it can take part */
	int			 unhold;	/* a held start is asked for */
};

/* hub-dispatch-core.c, for hub-dispatch-relay.c and hub-sftp.c. */
enum dispatch_until { UNTIL_PORT, UNTIL_SENT, UNTIL_BOTH };
void	dispatch_xfer_free(struct jobs_xfer *x);
/*
 * The store could not record that job's tasks start (cause: why; a full
 * disk, say): logged, naming the store, at most once a minute, since the
 * dispatcher tries again every second. The caller sends nothing and
 * leaves the tasks queued.
 */
void	dispatch_store_failed(struct ferryd *d, int64_t job, const char *cause);
json_t	*dispatch_start_msg(struct jobs_xfer *x, const struct dispatch_end *e,
	    const char *token);
int	dispatch_tell(struct jobs_xfer *x, const char *name, json_t *msg,
	    char **cause);
/* Caller holds d->mu. */
int	dispatch_wait(struct jobs_xfer *x, enum dispatch_until until,
	    int limit_s, char **cause);

/*
 * hub-dispatch-relay.c: two agents neither of which can be reached, with
 * the relay through the hub (hub-splice.c), or its refusal when the
 * relay is off (x->relay_off says for what; audited).
 */
int	dispatch_run_relay(struct jobs_xfer *x, const char *token,
	    char **cause);
int	dispatch_relay_refused(struct jobs_xfer *x, char **cause);

/* hub-streams.c: x's streams and stripe width; the relay's cap on them. */
/* Caller holds d->mu. */
void	dispatch_streams_plan(struct jobs_xfer *x, const char *from_site);
void	dispatch_streams_relayed(struct jobs_xfer *x);

/*
 * hub-dispatch-report.c. dispatch_flush marks the delivered files' tasks
 * done, now or (if !all) once the batch is full or old enough; the
 * caller holds d->mu. The others are the transfer library's callbacks
 * when the hub takes part (transfer.h), arg being the jobs_xfer.
 */
void	dispatch_flush(struct jobs_xfer *x, int all);
/* A held start's rows written (running); the caller holds d->mu. */
void	dispatch_unhold(struct jobs_xfer *x);
/* File i's fate, and a suspect event; the caller holds d->mu. */
void	dispatch_settle(struct jobs_xfer *x, size_t i, int ok, const char *why);
void	dispatch_audit(struct jobs_xfer *x, const char *rel, const char *why);
void	dispatch_file_done(size_t i, int ok, const char *why, void *arg);
/*
 * The transfer library's committed callback, when the hub receives: a
 * file in place is delivered by the hub's own word, not the sender's.
 */
void	dispatch_committed(const char *rel, void *arg);
/* Whether x's receiver, not its sender, says which files arrived. */
int	dispatch_recv_word(const struct jobs_xfer *x);
void	dispatch_progress(const struct transfer_progress *p, void *arg);
void	dispatch_suspect(const char *rel, const char *why, void *arg);

/*
 * hub-dispatch-add.c. dispatch_add adds task t of job j to x (1: under
 * another share, for a later transfer; a refused source goes into
 * suspects as [rel, why]); src is the hub's view of its sources while it
 * sends, closed by dispatch_src_close. dispatch_start_bytes: what a file
 * adds to the larger transfer.start. Caller holds d->mu.
 */
/*
 * Where the hub, sending, looks at its sources: the share root and the
 * last directory opened beneath it, kept for the whole transfer. A
 * job's files come directory by directory, so each file costs one
 * fstatat of its last name instead of a walk of its whole path.
 */
struct dispatch_src {
	int			 rootfd;
	int			 dirfd;		/* of dir; may be rootfd */
	char			*dir;
	/* One plan's directories, each translated once (share-map.h). */
	struct share_map_cache	*tc;
};

const char *dispatch_to(const struct store_job *j);
void	dispatch_src_close(struct dispatch_src *src);
int	dispatch_add(struct jobs_xfer *x, struct share_map *m,
	    const struct store_job *j, const struct store_task *t,
	    struct dispatch_src *src, json_t *suspects, char **cause);
size_t	dispatch_start_bytes(const struct transfer_file *f);
/* A string's length in JSON, with its quotes and escapes (NULL: 2). */
size_t	dispatch_json_len(const char *s);

#endif
