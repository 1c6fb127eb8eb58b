/*
 * The hub's durable store: sites, agents, users, invites, the share map,
 * ACLs, jobs and their tasks, and the audit trail, in one SQLite database
 * (WAL, synchronous=FULL: a function that returned 0 has its change on
 * disk). See docs/agent.md.
 *
 * Library tier: functions return 0 or a negative FERRY_ERR_* code and,
 * when a cause pointer is given, a newly allocated message the caller
 * frees. Times are seconds since the epoch, passed in by the caller so
 * that the store never reads the clock itself. One struct store is used by
 * one thread at a time.
 *
 * Strings in a struct handed to a callback are borrowed and valid only
 * during the call; structs filled by *_get() own their strings and are
 * released with the matching *_clear().
 */
#ifndef FERRY_STORE_H
#define FERRY_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_FINGERPRINT_LEN	32
#define STORE_HASH_LEN		32
#define STORE_CODE_LEN		32	/* characters of a generated code */
#define STORE_PRIORITY_MAX	1000

/*
 * The largest size a task may have: 1 PiB, beyond any file a studio
 * moves. A listing's sizes are the listing agent's word (a vendor's):
 * unbounded, one of 2^63-1 bytes wrapped the job's counters and the
 * sums of /metrics (size-forged.sh).
 */
#define STORE_SIZE_MAX	((int64_t)1 << 50)

struct store;

enum store_role {
	STORE_ROLE_SITE,
	STORE_ROLE_USER
};

enum store_clearance {
	STORE_CLEARANCE_NONE,		/* sites have none */
	STORE_CLEARANCE_EMPLOYEE,
	STORE_CLEARANCE_RESTRICTED
};

enum store_access {
	STORE_ACCESS_READ,
	STORE_ACCESS_WRITE		/* implies read */
};

/*
 * Task states; a job's state is one of these too, derived from its tasks
 * (never STORE_QUEUED: a job with work left is STORE_RUNNING).
 */
enum store_state {
	STORE_ANY = -1,			/* filters only */
	STORE_QUEUED,
	STORE_RUNNING,
	STORE_DONE,
	STORE_FAILED,
	STORE_CANCELLED,
	STORE_PAUSED,
	STORE_STATE_COUNT
};

/* Names as stored and shown ("queued", "site", "employee", "read"). */
const char	*store_state_name(enum store_state s);
int		 store_state_parse(const char *name, enum store_state *s);
const char	*store_role_name(enum store_role r);
int		 store_role_parse(const char *name, enum store_role *r);
const char	*store_clearance_name(enum store_clearance c);
int		 store_clearance_parse(const char *name,
		     enum store_clearance *c);
const char	*store_access_name(enum store_access a);
int		 store_access_parse(const char *name, enum store_access *a);

/*
 * Opens the database at path, creating it with mode 0600 if missing, and
 * creates or migrates the schema. A database written by a newer ferry is
 * refused.
 */
int	 store_open(const char *path, struct store **out, char **cause);
/* The same; with create 0, a database without ferry's schema is refused. */
int	 store_open_as(const char *path, int create, struct store **out,
	     char **cause);
/*
 * For `ferryd run`: opens a hub database that must exist, with ferry's
 * schema, in good order (SQLite's quick_check); refuses a missing, empty,
 * damaged or foreign file with a message saying how to restore it.
 */
int	 store_open_existing(const char *path, struct store **out,
	     char **cause);
/*
 * The same three, where target may be a postgresql:// URL (common/db.h;
 * docs/operations.md): password_file, if not NULL, is a 0600 file in
 * libpq's passfile format. For PostgreSQL, "existing" means a database
 * that answers and holds ferry's schema.
 */
int	 store_open_with(const char *target, const char *password_file,
	     int create, struct store **out, char **cause);
int	 store_open_existing_with(const char *target,
	     const char *password_file, struct store **out, char **cause);
/*
 * Whether the store answers now (common/db.h's db_ping): the hub asks
 * before it takes work, so that a database that is down is said so.
 */
int	 store_ready(struct store *st, char **cause);
/*
 * The hubs' lease on a shared store (db_lease): call it every second on
 * a store opened for nothing else; *active is 1 while this process is
 * the active hub (2: again, after its connection was lost), 0 while
 * another is. On SQLite always 1.
 */
int	 store_lease(struct store *st, int *active, char **cause);
/*
 * Opens target for store_lease only: no migration (a standby must not
 * change the schema under the active hub), no schema check.
 */
int	 store_open_lease(const char *target, const char *password_file,
	     struct store **out, char **cause);
/*
 * Fencing (db_fence_at): from until_ms (clock_ms()) on, nothing on st
 * runs or commits until the lease's holder moves it on; 0: never.
 */
void	 store_fence_at(struct store *st, int64_t until_ms);
/* Whether the store is on PostgreSQL (else SQLite). */
int	 store_is_postgresql(const struct store *st);
void	 store_close(struct store *st);

/*
 * Secrets at rest (store-seal.c). With a seal key set, invites' keys are
 * stored sealed under it; store_invite_keys gives them back unsealed.
 * store_invite_seal_all seals every invite of a store made before
 * (in one transaction with the meta row secret_check set to check).
 */
void	 store_set_seal(struct store *st, const unsigned char *key);
int	 store_invite_seal_all(struct store *st, const char *check,
	     size_t *n, char **cause);
/* The meta table: facts about the store (FERRY_ERR_NOTFOUND if unset). */
int	 store_meta_get(struct store *st, const char *key, char **value,
	     char **cause);
int	 store_meta_set(struct store *st, const char *key, const char *value,
	     char **cause);
/*
 * A block of ids (store-ids.c, for agent/hub-ids.c): the meta row key
 * holds a bound below which ids may have been handed out. *got is the
 * first id of the block, the larger of from and the bound, and the bound
 * is moved to *got + block, so that no two reservations on one store
 * (two processes, two hubs on one PostgreSQL) ever share an id. A bound
 * that is no number from 0 to max is an error naming key, left as it is.
 */
int	 store_ids_reserve(struct store *st, const char *key, int64_t from,
	     int64_t block, int64_t max, int64_t *got, char **cause);
/* The schema version of an open store (PRAGMA user_version). */
int	 store_schema_version(struct store *st);
/* The schema version this code writes. */
int	 store_schema_latest(void);

/*
 * Retry policy for failed tasks: the n-th failure waits
 * base * 2^(n-1) seconds, at most cap; max_attempts is the default for
 * tasks created without their own. Defaults: 30 s, 3600 s, 5.
 */
void	 store_set_retry(struct store *st, int64_t base, int64_t cap,
	     int max_attempts);
/* The wait after the attempts-th failure under the store's policy. */
int64_t	 store_backoff(struct store *st, int attempts);

/* Sites. */
struct store_site {
	char	*name;
	int64_t	 bwlimit;	/* bytes/s; 0: no cap */
	int64_t	 created;
	char	*window;	/* transfer window text; NULL: none */
	char	*tz;		/* its time zone; NULL: the hub's */
};
int	 store_site_add(struct store *st, const char *name, int64_t now,
	     char **cause);
int	 store_site_set_bwlimit(struct store *st, const char *name,
	     int64_t bwlimit, char **cause);
/*
 * A site's transfer window and its zone, as text the caller has checked
 * (NULL clears either).
 */
int	 store_site_set_window(struct store *st, const char *name,
	     const char *window, char **cause);
int	 store_site_set_tz(struct store *st, const char *name,
	     const char *tz, char **cause);
int	 store_site_get(struct store *st, const char *name,
	     struct store_site *out, char **cause);
int	 store_site_list(struct store *st,
	     int (*cb)(void *, const struct store_site *), void *arg,
	     char **cause);
void	 store_site_clear(struct store_site *s);
/*
 * The relay through the hub (store-relay.c): on for a site or a job
 * unless turned off. A site the store does not know has it on.
 */
int	 store_relay_site_set(struct store *st, const char *site, int on,
	     char **cause);
int	 store_relay_site_on(struct store *st, const char *site);
int	 store_relay_job_set(struct store *st, int64_t job, int on,
	     char **cause);
int	 store_relay_job_on(struct store *st, int64_t job);
/*
 * A transfer's streams (store-streams.c): a site's default and a job's,
 * 1..STORE_STREAMS_MAX, or 0 for none set (the hub chooses).
 */
#define STORE_STREAMS_MAX	16
int	 store_streams_site_set(struct store *st, const char *site, int n,
	     char **cause);
int	 store_streams_site_get(struct store *st, const char *site);
int	 store_streams_job_set(struct store *st, int64_t job, int n,
	     char **cause);
int	 store_streams_job_get(struct store *st, int64_t job);

/*
 * SFTP sites (docs/sftp.md): a site served by an SFTP server instead of
 * an agent. The files are paths on the machine that acts as the client
 * (via, or the hub when NULL); the store never holds a key or a
 * passphrase.
 */
struct store_sftp {
	char	*site;
	char	*target;		/* USER@HOST[:PORT]:ROOT */
	char	*key_file;
	char	*known_hosts;
	char	*passphrase_file;	/* NULL: the key is not encrypted */
	char	*via;			/* NULL: the hub */
	int64_t	 created;
};
/*
 * Adds site s->site with its SFTP server in one transaction; fails with
 * FERRY_ERR_EXIST if a site of that name exists already.
 */
int	 store_sftp_add(struct store *st, const struct store_sftp *s,
	     int64_t now, char **cause);
/* FERRY_ERR_NOTFOUND for a site that is not an SFTP site. */
int	 store_sftp_get(struct store *st, const char *site,
	     struct store_sftp *out, char **cause);
void	 store_sftp_clear(struct store_sftp *s);

/* Users: inserted or their clearance changed. */
int	 store_user_set(struct store *st, const char *email,
	     enum store_clearance clearance, int64_t now, char **cause);
int	 store_user_get(struct store *st, const char *email,
	     enum store_clearance *clearance, char **cause);
/* Every user, by e-mail; cb returning non-zero stops the walk. */
int	 store_user_list(struct store *st,
	     int (*cb)(void *, const char *, enum store_clearance), void *arg,
	     char **cause);

/* Agents, one per enrolled key. */
struct store_agent {
	int64_t			 id;
	char			*name;
	enum store_role		 role;
	char			*site;		/* role site */
	char			*email;		/* role user */
	enum store_clearance	 clearance;	/* role user */
	unsigned char		 fingerprint[STORE_FINGERPRINT_LEN];
	char			*address;	/* public address; NULL */
	int64_t			 enrolled_at;
	int64_t			 last_seen;
};
/* Fails with FERRY_ERR_EXIST if the fingerprint is already enrolled. */
int	 store_agent_add(struct store *st, const struct store_agent *a,
	     int64_t now, int64_t *id, char **cause);
int	 store_agent_by_fingerprint(struct store *st,
	     const unsigned char fp[STORE_FINGERPRINT_LEN],
	     struct store_agent *out, char **cause);
/* Records a hello: when, and the address it gave (NULL: unchanged). */
int	 store_agent_seen(struct store *st, int64_t id, const char *address,
	     int64_t now, char **cause);
void	 store_agent_clear(struct store_agent *a);
/*
 * The platform an agent said in its hello ("linux", "windows", "macos"),
 * kept for when it is not linked; and that of the site or person
 * endpoint's agent heard from last (of those that said one) into buf,
 * FERRY_ERR_NOTFOUND if none did.
 */
int	 store_agent_set_platform(struct store *st, int64_t id,
	     const char *platform, char **cause);
int	 store_endpoint_platform(struct store *st, const char *endpoint,
	     char *buf, size_t len, char **cause);

/* Invites: one-time enrolment codes, stored only as their SHA-256. */
struct store_invite {
	int64_t			 id;
	enum store_role		 kind;
	char			*site;		/* kind site */
	char			*email;		/* kind user */
	enum store_clearance	 clearance;	/* kind user */
	int64_t			 created;
	int64_t			 expires;
	int64_t			 used_at;	/* 0: unused */
};
/* Fills buf (at least STORE_CODE_LEN + 1 bytes) with a random code. */
int	 store_invite_code(char *buf, size_t len, char **cause);
/* The SHA-256 of a code, as stored. */
int	 store_invite_hash(const char *code,
	     unsigned char hash[STORE_HASH_LEN], char **cause);
/* target is the site name or the user's email. */
int	 store_invite_create(struct store *st, enum store_role kind,
	     const char *target, enum store_clearance clearance,
	     const char *code, int64_t now, int64_t ttl, int64_t *id,
	     char **cause);
/*
 * Marks the invite with this code used by fingerprint fp, atomically: of
 * two callers racing for one code exactly one succeeds. Fails with
 * FERRY_ERR_NOTFOUND (no such code), FERRY_ERR_EXPIRED or FERRY_ERR_USED,
 * the cause saying when. On success fills *out if not NULL.
 */
int	 store_invite_use(struct store *st, const char *code,
	     const unsigned char fp[STORE_FINGERPRINT_LEN], int64_t now,
	     struct store_invite *out, char **cause);
/*
 * Enrolment in one transaction: uses the invite, creates the site or user
 * it names if missing, and adds the agent (name, fingerprint, address) with
 * the invite's role, site or email and clearance.
 */
int	 store_enroll(struct store *st, const char *code, const char *name,
	     const unsigned char fp[STORE_FINGERPRINT_LEN],
	     const char *address, int64_t now, struct store_agent *out,
	     char **cause);
/*
 * The same, for the invite whose stored hash is hash: for enrolment where
 * the hub never sees the code itself (agent/proto/enroll.h).
 */
int	 store_enroll_hash(struct store *st, const unsigned char *hash,
	     const char *name, const unsigned char fp[STORE_FINGERPRINT_LEN],
	     const char *address, int64_t now, struct store_agent *out,
	     char **cause);
/* Calls cb with every invite's number and stored hash (used or not). */
int	 store_invite_keys(struct store *st,
	     int (*cb)(void *, int64_t, const unsigned char *), void *arg,
	     char **cause);
void	 store_invite_clear(struct store_invite *inv);
/* *pending: 1 if an unused, unexpired invite names target (site or email). */
int	 store_invite_pending(struct store *st, const char *target,
	     int64_t now, int *pending, char **cause);

/*
 * The share map: one current JSON text and every earlier version. Setting
 * it returns the new version number (1, 2, ...).
 */
int	 store_share_set(struct store *st, const char *json, const char *who,
	     int64_t now, int64_t *version, char **cause);
/* FERRY_ERR_NOTFOUND while none was set. */
int	 store_share_get(struct store *st, char **json, int64_t *version,
	     char **cause);
/* The text of an earlier (or the current) version. */
int	 store_share_version(struct store *st, int64_t version, char **json,
	     char **cause);

/*
 * ACLs: a principal (site name or user email) may read or write below a
 * prefix "share:relpath" ("share:" for the whole share).
 */
int	 store_acl_set(struct store *st, const char *principal,
	     const char *prefix, enum store_access access, char **cause);
int	 store_acl_delete(struct store *st, const char *principal,
	     const char *prefix, char **cause);
/* Sets *allowed to 1 if some ACL of principal grants access to path. */
int	 store_acl_check(struct store *st, const char *principal,
	     const char *path, enum store_access access, int *allowed,
	     char **cause);

/*
 * Every ACL of principal (NULL: of everyone), by principal and prefix;
 * cb returning non-zero stops the walk.
 */
int	 store_acl_list(struct store *st, const char *principal,
	     int (*cb)(void *, const char *, const char *,
	     enum store_access), void *arg, char **cause);

/*
 * The share roots an agent set for its site or user (store-roots.c).
 * how: "set" (ferry root set or ferryd enroll --storage-root), "env"
 * (FERRY_<SHARE>_PATH: share is the variable's SHARE part) or "home"
 * (where deliveries go on that machine when nothing else says: share
 * "").
 */
struct store_root {
	const char	*endpoint;
	const char	*share;
	const char	*how;
	const char	*path;
	const char	*agent;
	int64_t		 updated;
};
/* Replaces every root of endpoint with the n in roots, at once. */
int	 store_roots_replace(struct store *st, const char *endpoint,
	     const struct store_root *roots, size_t n, int64_t now,
	     char **cause);
/* Every root (endpoint NULL) or endpoint's; cb as for the ACLs. */
int	 store_roots_list(struct store *st, const char *endpoint,
	     int (*cb)(void *, const struct store_root *), void *arg,
	     char **cause);

/*
 * Groups the writes between them into one transaction (one flush to disk
 * instead of one each); store_batch_end commits, or rolls back if r is
 * not 0. Batches nest inside the store's own transactions.
 */
int	 store_batch_begin(struct store *st, char **cause);
int	 store_batch_end(struct store *st, int r, char **cause);
/*
 * A batch that survives the hub killed (-9) but may be undone by a
 * power cut (db_begin_light): only for writes that are done again when
 * undone (a transfer's start, files marked delivered, a big job's rows
 * before the commit that answers its send). The next durable commit
 * makes it durable too. Ends with store_batch_end.
 */
int	 store_batch_begin_light(struct store *st, char **cause);

/* Jobs. */
struct store_job {
	int64_t			 id;
	char			*submitter;
	char			*from_site;
	char			*to_site;	/* or */
	char			*to_user;
	int			 priority;	/* 0 - 1000 */
	char			*note;		/* NULL */
	char			*meta;		/* JSON text; NULL */
	enum store_state	 state;
	int64_t			 created;
	int64_t			 updated;
	int64_t			 ntasks;
	int64_t			 count[STORE_STATE_COUNT]; /* tasks per state */
	int64_t			 bytes_total;
	int64_t			 bytes_done;
	/*
	 * Making it: its place's jobs from agents (a submitter "PLACE
	 * (agent NAME)") running or paused, at most (max-agent-jobs);
	 * counted in the transaction that stores it. 0: no limit.
	 */
	int64_t			 agent_jobs_max;
};

/* What a refusal for agent_jobs_max names (hub-relay.c looks for it). */
#define STORE_AGENT_JOBS_KEY	"max-agent-jobs"

struct store_task {
	int64_t			 id;
	int64_t			 job_id;
	char			*dest;		/* job's to_site or to_user */
	char			*src_path;
	char			*dst_path;
	char			*basis;		/* hint; NULL */
	int64_t			 size;
	int			 priority;	/* the job's */
	enum store_state	 state;
	int			 attempts;	/* failed runs so far */
	int			 max_attempts;
	int64_t			 next_try;
	int64_t			 bytes_done;
	int64_t			 last_progress;
	char			*error;		/* last failure; NULL */
	int64_t			 started;
	int64_t			 finished;
	/* The source's mtime as the hub listed it (hub-compare.c); unstored. */
	int64_t			 mtime_sec;
	uint32_t		 mtime_nsec;
	int			 has_mtime;
};

/*
 * Creates a job and its ntasks tasks (src_path, dst_path, basis, size and
 * max_attempts, 0 for the default, are read from each) in one transaction.
 */
int	 store_job_create(struct store *st, const struct store_job *job,
	     const struct store_task *tasks, size_t ntasks, int64_t now,
	     int64_t *id, char **cause);
/*
 * The same, with the tasks from next (1 and *t, valid until the next
 * call; 0 at the end; or an error), for a job too big to hold: at least
 * one task; *ntasks says how many were stored.
 */
int	 store_job_create_stream(struct store *st, const struct store_job *job,
	     int (*next)(void *, const struct store_task **, char **),
	     void *arg, int64_t now, int64_t *id, size_t *ntasks,
	     char **cause);
int	 store_job_get(struct store *st, int64_t id, struct store_job *out,
	     char **cause);
/*
 * Jobs sent by place's agents (a site or a person: the submitter the hub
 * writes for a relayed request, "PLACE (agent NAME)") that are running or
 * paused: *n. An index answers it (max-agent-jobs, hub-relay.c, asks on
 * every relayed send), whatever the number of other jobs.
 */
int	 store_agent_jobs_open(struct store *st, const char *place,
	     int64_t *n, char **cause);
/* Newest first; state STORE_ANY for all; limit 0 for no limit. */
int	 store_job_list(struct store *st, enum store_state state, size_t limit,
	     int (*cb)(void *, const struct store_job *), void *arg,
	     char **cause);
/*
 * Jobs older than before (0: from the newest), newest first, at most
 * limit (0: all): a page of the job list, the next one before the last
 * id this one gave.
 */
int	 store_job_list_page(struct store *st, enum store_state state,
	     int64_t before, size_t limit,
	     int (*cb)(void *, const struct store_job *), void *arg,
	     char **cause);
/*
 * A page of a job's tasks: those after the task id after (0: from the
 * first), in creation order (which is destination order: a job's tasks
 * are stored sorted), at most limit (0: all).
 */
int	 store_job_task_page(struct store *st, int64_t id, int64_t after,
	     size_t limit, int (*cb)(void *, const struct store_task *),
	     void *arg, char **cause);
/* Every task of a job in creation order. */
int	 store_job_tasks(struct store *st, int64_t id,
	     int (*cb)(void *, const struct store_task *), void *arg,
	     char **cause);
/*
 * The first task (by id) of a job that failed an attempt and is waiting
 * to be retried or failed for good, if any: cb is called for it once.
 * An index keeps it from reading the job's other tasks.
 */
int	 store_job_first_error(struct store *st, int64_t id,
	     int (*cb)(void *, const struct store_task *), void *arg,
	     char **cause);
int	 store_job_set_meta(struct store *st, int64_t id, const char *meta,
	     int64_t now, char **cause);
/*
 * Job operations, applied to every task they can apply to and recorded in
 * the audit trail as done by who. cancel: every unfinished task; pause:
 * queued and running tasks; resume: paused tasks; retry: failed tasks,
 * with their attempts reset. FERRY_ERR_STATE if no task could change.
 * *changed (if not NULL) is the number of tasks that did.
 */
int	 store_job_cancel(struct store *st, int64_t id, const char *who,
	     int64_t now, size_t *changed, char **cause);
int	 store_job_pause(struct store *st, int64_t id, const char *who,
	     int64_t now, size_t *changed, char **cause);
int	 store_job_resume(struct store *st, int64_t id, const char *who,
	     int64_t now, size_t *changed, char **cause);
int	 store_job_retry(struct store *st, int64_t id, const char *who,
	     int64_t now, size_t *changed, char **cause);
void	 store_job_clear(struct store_job *j);

/*
 * Task transitions; an illegal one fails with FERRY_ERR_STATE and says
 * from what to what. Legal: queued -> running -> done | failed;
 * failed -> queued (retry); queued | running -> paused -> queued; any
 * unfinished state -> cancelled. A failure is retried automatically
 * (back to queued, next_try after the backoff) until the task has failed
 * max_attempts times. start refuses (FERRY_ERR_STATE) while another task
 * writes the same destination file.
 */
int	 store_task_get(struct store *st, int64_t id, struct store_task *out,
	     char **cause);
int	 store_task_start(struct store *st, int64_t id, int64_t now,
	     char **cause);
/*
 * A transfer's tasks of job job_id in one transaction, with a statement
 * per run of consecutive ids: start moves the queued ones among ids to
 * running (not one whose destination another running task writes), done
 * the running ones to done. *moved (may be NULL) says how many moved;
 * ids in other states are left as they are.
 */
int	 store_tasks_start(struct store *st, int64_t job_id,
	     const int64_t *ids, size_t n, int64_t now, size_t *moved,
	     char **cause);
/*
 * A transfer's start held by the dispatcher (hub-dispatch.h, held): its
 * tasks' rows stay queued while it runs. held(arg, id) gives the last id
 * of the held run holding id, or -1; store_task_next_where asks it (under
 * the caller's lock) to read past such runs. A held task delivered moves
 * queued -> done (store_tasks_done_held), its started set to since.
 */
void	 store_set_held(struct store *st, int64_t (*held)(void *, int64_t),
	    void *arg);
/*
 * The jobs being stored in batches (hub-jobstore.c): storing(arg, job)
 * non-zero while the job's last batch is not in. Its stored tasks may
 * run meanwhile, but its state stays running whatever they say (asked
 * under the caller's lock wherever a job's state is derived), until
 * store_job_opened derives it.
 */
void	 store_set_storing(struct store *st, int (*storing)(void *, int64_t),
	     void *arg);
/* A held start's one write: its job's state, as a start leaves it. */
int	 store_tasks_hold(struct store *st, int64_t job_id, int64_t now,
	    char **cause);
int	 store_tasks_done_held(struct store *st, int64_t job_id,
	    const int64_t *ids, size_t n, int64_t since, int64_t now,
	    size_t *done, char **cause);
int	 store_tasks_done(struct store *st, int64_t job_id,
	     const int64_t *ids, size_t n, int64_t now, size_t *moved,
	     char **cause);
/*
 * A running task's bytes so far: 0 to its size, else refused
 * (FERRY_ERR_INVAL): a sending agent's word is all it rests on, and the
 * jobs' sums (/metrics) must not overflow (progress-forged.sh).
 */
int	 store_task_progress(struct store *st, int64_t id, int64_t bytes_done,
	     int64_t now, char **cause);
int	 store_task_done(struct store *st, int64_t id, int64_t now,
	     char **cause);
int	 store_task_fail(struct store *st, int64_t id, const char *error,
	     int64_t now, char **cause);
/*
 * A refusal (a host key that does not match, a full disk): the task
 * fails for good, whatever attempts it had left; `ferry retry` can
 * still queue it again once the cause is mended.
 */
int	 store_task_refuse(struct store *st, int64_t id, const char *error,
	     int64_t now, char **cause);
int	 store_task_cancel(struct store *st, int64_t id, int64_t now,
	     char **cause);
int	 store_task_pause(struct store *st, int64_t id, int64_t now,
	     char **cause);
int	 store_task_resume(struct store *st, int64_t id, int64_t now,
	     char **cause);
/* failed -> queued at once, its attempts reset. */
int	 store_task_retry(struct store *st, int64_t id, int64_t now,
	     char **cause);
void	 store_task_clear(struct store_task *t);
/*
 * The slot after the n tasks of *t (an array of *cap), zeroed, the array
 * grown by doubling when full: NULL if memory ran out (*t is kept). A
 * job's plan grows one file at a time, and growing by one copied the
 * whole plan each time (ASan's realloc always moves: 16,384 files took
 * over a minute a page in tests/agent/scale.sh).
 */
struct store_task *store_task_slot(struct store_task **t, size_t n,
	    size_t *cap);

/*
 * Whether dest (a site or a person) has files still to come from other
 * jobs (queued, running or paused): then a new send's files are not
 * taken as there by a compare (hub-compare.c), which would let an older
 * job's version land after the newer send. 1 on any doubt.
 */
int	 store_dest_busy(struct store *st, const char *dest);
/*
 * A big job in batches (store-jobstream.c), each its own transaction, so
 * that others use the store between them: store_job_open stores the
 * job's row (running, no task yet); store_job_append up to max tasks
 * from next (as store_job_create_stream's; done: how many were stored
 * before, for errors), adding them to the job's counters, *added how
 * many (fewer than max: next has ended); store_job_opened, once all are
 * in, its audit record (an error if it has no task) and its state from
 * its counters (its stored tasks may have run: store_set_storing). A
 * caller keeps the job from being changed until then (hub-jobstore.c).
 * What was stored of a job that failed halfway goes with
 * store_job_unstore, max tasks a call (*more while some are left; the
 * job's row and its claims last), once none of its transfers runs.
 */
int	 store_job_open(struct store *st, const struct store_job *job,
	     int64_t now, int64_t *id, char **cause);
int	 store_job_append(struct store *st, const struct store_job *job,
	     int64_t id, int (*next)(void *, const struct store_task **,
	     char **), void *arg, size_t max, size_t done, int64_t now,
	     size_t *added, char **cause);
int	 store_job_opened(struct store *st, const struct store_job *job,
	     int64_t id, size_t ntasks, int64_t now, char **cause);
int	 store_job_unstore(struct store *st, int64_t id, size_t max,
	     int *more, char **cause);
/*
 * A job cancelled by who while it was being stored, cut short at its
 * ntasks stored tasks, in one transaction: its unfinished tasks
 * cancelled (*cancelled how many), then store_job_opened's audit
 * record and state; with nothing left to cancel it is cancelled all
 * the same (its state, and a job.cancel record of 0 tasks).
 */
int	 store_job_cut(struct store *st, const struct store_job *job,
	     int64_t id, size_t ntasks, const char *who, int64_t now,
	     size_t *cancelled, char **cause);

/*
 * Up to limit queued tasks due at now, highest job priority first, then
 * oldest; a task whose destination file is being written by a running
 * task, or by a task listed earlier in the same call, is left out. cb
 * returning > 0 stops the walk (and is not an error); < 0 skips the task
 * without counting it towards limit (at most 100,000 a walk), so that
 * tasks no one can take now do not fill every batch.
 */
int	 store_task_next(struct store *st, int64_t now, size_t limit,
	     int (*cb)(void *, const struct store_task *), void *arg,
	     char **cause);
/*
 * The same, from the destinations present(arg, dest) answers non-zero
 * for (each asked once a call; NULL: every one): the tasks of the others
 * are not read at all, so what waits for an absent agent costs a walk
 * nothing (one index seek per destination).
 */
int	 store_task_next_where(struct store *st, int64_t now, size_t limit,
	     int (*present)(void *, const char *),
	     int (*cb)(void *, const struct store_task *), void *arg,
	     char **cause);

/*
 * After a crash: tasks left running go back to queued, due at once,
 * without counting an attempt. *n (if not NULL) is how many.
 */
int	 store_recover(struct store *st, int64_t now, size_t *n, char **cause);
/*
 * Running tasks without progress for stall seconds fail ("stalled: no
 * progress for N s") and are retried under the usual policy.
 */
int	 store_stuck(struct store *st, int64_t now, int64_t stall, size_t *n,
	     char **cause);

/*
 * Notices of what deserves mail (store-notice.c, docs/mail.md). The
 * schema's triggers write "job" (a job's state became done or failed:
 * job_id, state), "access" (an ACL now grants a principal more: who,
 * place the prefix, access) and "enrolled" (a person's agent: who the
 * e-mail, place the agent's name, access the clearance) in the
 * transaction of the change; store_notice_add writes the others
 * ("publish-to": job_id, who a recipient; "test": who a recipient, place
 * who asked). Pending ones are read oldest
 * first from after id, and marked queued once their mail is in the
 * outbox. store_notice_count: how many "job" notices of job_id with state
 * have an id up to upto (the second failure of a job is not the first).
 */
struct store_notice {
	int64_t		 id;
	const char	*kind;
	int64_t		 job_id;	/* 0: none */
	const char	*state;
	const char	*who;
	const char	*place;
	const char	*access;
};
int	 store_notice_add(struct store *st, const char *kind, int64_t job_id,
	     const char *who, const char *place, char **cause);
int	 store_notice_pending(struct store *st, int64_t after, size_t limit,
	     int (*cb)(void *, const struct store_notice *), void *arg,
	     char **cause);
int	 store_notice_done(struct store *st, int64_t id, char **cause);
int	 store_notice_count(struct store *st, int64_t job_id,
	     const char *state, int64_t upto, int64_t *n, char **cause);

/* The audit trail: who did what, when; detail is JSON text or NULL. */
struct store_audit {
	int64_t	 id;
	int64_t	 time;
	char	*who;
	char	*what;
	char	*detail;
};
int	 store_audit_add(struct store *st, int64_t now, const char *who,
	     const char *what, const char *detail, char **cause);
/* Oldest first from id after (0: the start); limit 0 for no limit. */
int	 store_audit_list(struct store *st, int64_t after, size_t limit,
	     int (*cb)(void *, const struct store_audit *), void *arg,
	     char **cause);

/*
 * Figures for the hub's metrics (store-stats.c): rows of a label and two
 * numbers. JOBS: state, jobs. MOVED: destination (site or e-mail), files
 * done, bytes done. FAILED: a failed file's error, files. RETRIES: one
 * row, attempts beyond the first. SIZE: one row, the database's bytes.
 */
enum store_stat {
	STORE_STAT_JOBS,
	STORE_STAT_MOVED,
	STORE_STAT_FAILED,
	STORE_STAT_RETRIES,
	STORE_STAT_SIZE,
};
struct store_stat_row {
	const char	*label;
	int64_t		 a;
	int64_t		 b;
};
int	 store_stat(struct store *st, enum store_stat which,
	     int (*cb)(void *, const struct store_stat_row *), void *arg,
	     char **cause);

/*
 * store-hubs.c: the hubs of one store, each with its own key (issue 17).
 * fp is a hub's key fingerprint as identity_fp_format prints it, address
 * where agents reach its control port (HOST:PORT). store_hub_add makes
 * or moves a hub; store_hub_seen is a hub's own word about itself
 * (state "active" or "standby", at now), also on a lease's store;
 * store_hub_known: 0 or FERRY_ERR_NOTFOUND. store_hub_list gives each
 * row to cb (its strings last until cb returns), in the order added.
 */
struct store_hub {
	const char	*fp;
	const char	*address;
	const char	*state;
	int64_t		 seen;		/* 0: never */
	int64_t		 added;
};
int	 store_hub_add(struct store *st, const char *fp, const char *address,
	    int64_t now, char **cause);
int	 store_hub_seen(struct store *st, const char *fp, const char *state,
	    int64_t now, char **cause);
int	 store_hub_known(struct store *st, const char *fp, char **cause);
int	 store_hub_remove(struct store *st, const char *fp, char **cause);
int	 store_hub_list(struct store *st, int (*cb)(void *,
	    const struct store_hub *), void *arg, char **cause);

/*
 * store-claim.c: claims on transfers between two agents (issue 17):
 * the hub run that owns each, its two ends (name and key) and its
 * tasks by file index, so that the next active hub can take over one
 * that is still running instead of running it again. store_claim_add
 * runs in the caller's transaction (the tasks' start); store_claims
 * gives each claim with its tasks and which still run (cb may take
 * the arrays: set them NULL); store_claim_take re-owns one (from_run
 * must still own it); store_claim_release queues its running tasks
 * again and drops it; store_recover_unclaimed is store_recover for
 * the tasks no claim holds; store_claims_forget drops them all.
 */
struct store_claim {
	int64_t		 id;		/* the transfer's */
	int64_t		 job_id;
	int64_t		 run;
	char		*send_name, *send_fp;	/* fingerprints printed */
	char		*recv_name, *recv_fp;
	int64_t		 started;
	int64_t		*tasks;		/* by file index */
	int		*running;	/* store_claims: still running */
	size_t		 n;
};
int	 store_claim_add(struct store *st, const struct store_claim *c,
	    char **cause);
int	 store_claim_drop(struct store *st, int64_t id, char **cause);
int	 store_claim_take(struct store *st, int64_t id, int64_t from_run,
	    int64_t run, char **cause);
int	 store_claims(struct store *st, int (*cb)(void *,
	    struct store_claim *), void *arg, char **cause);
void	 store_claim_clear(struct store_claim *c);
int	 store_claim_release(struct store *st, int64_t id, int64_t now,
	    size_t *n, char **cause);
int	 store_recover_unclaimed(struct store *st, int64_t now, size_t *n,
	    char **cause);
int	 store_claims_forget(struct store *st, char **cause);

#endif
