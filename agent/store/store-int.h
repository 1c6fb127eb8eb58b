/*
 * The store's private parts, shared by its files: store.c (opening, the
 * schema and its migrations), one file per concept (store-names,
 * -sites, -invites, -acl, -audit, -job, -task, -schedule) and
 * store-seal.c (what protects the store at rest).
 */
#ifndef FERRY_STORE_INT_H
#define FERRY_STORE_INT_H

#include <stddef.h>
#include <stdint.h>


#include "db.h"
#include "store.h"

#define STORE_BUSY_MS	10000

/* Rows a job operation reads at once, so that memory stays bounded. */
#define STORE_CHUNK	512


/* The scalar part of a task, as the state machine reads and writes it. */
struct store_move {
	int64_t			 id;
	int64_t			 job_id;
	enum store_state	 state;
	int			 attempts;
	int			 max_attempts;
	int64_t			 next_try;
	int64_t			 bytes_done;
	int64_t			 size;
	int64_t			 last_progress;
	int64_t			 started;
	int64_t			 finished;
	const char		*error;
	int			 set_error;
};

#define STORE_NAMES(a) (sizeof (a) / sizeof (a)[0])

/* total + size, at most INT64_MAX: a job's bytes never wrap. */
static inline int64_t
store_size_add(int64_t total, int64_t size)
{
	if (size <= 0)
		return (total);
	return (size > INT64_MAX - total ? INT64_MAX : total + size);
}

struct store {
	struct db		*db;
	int64_t			 retry_base;
	int64_t			 retry_cap;
	int			 max_attempts;
	int			 sealing;	/* invites are sealed */
	unsigned char		 seal[32];	/* with this key */
	/*
	 * The dispatcher's held starts (store_set_held): the last id of a
	 * held run holding id, or -1. The walk reads past such runs.
	 */
	int64_t			(*held)(void *, int64_t);
	void			*held_arg;
	/*
	 * The jobs being stored (store_set_storing): non-zero for a job
	 * whose last batch is not in, whose state store_job_derive leaves.
	 */
	int			(*storing)(void *, int64_t);
	void			*storing_arg;
};

int		 store_nomem(char **cause);

#define STORE_MOVE_SELECT \
	"SELECT id, job_id, state, attempts, max_attempts, next_try," \
	" bytes_done, size, last_progress, started, finished FROM tasks"

/* Changes to one job's counters, saved with store_tally_save(). */
struct store_tally {
	int64_t	n[STORE_STATE_COUNT];
	int64_t	bytes;
};


/* store-pg.c: the schema on PostgreSQL, twin of store.c's. */
extern const char *const store_pg_migrations[];
extern const size_t store_pg_nmigrations;

/* store-names.c */
const char	*store_clearance_col(enum store_clearance c);
enum store_clearance store_clearance_from(const char *name);
/* Copies src into *dst; 0 or FERRY_ERR_NOMEM. NULL stays NULL. */
int		 store_dup(const char *src, char **dst);
/* A stored state's name as the enum; STORE_ANY if it is not one. */
enum store_state store_state_from(const char *name);

/*
 * store-job.c: a job's row, checked (store_job_check), in state with n
 * tasks all queued and total bytes, and the place whose agent sent it
 * (its submitter "ENDPOINT (agent NAME)", for max-agent-jobs); its id in
 * *id. In the caller's transaction.
 */
int		 store_job_insert(struct store *st,
		     const struct store_job *job, const char *state, size_t n,
		     int64_t total, int64_t now, int64_t *id, char **cause);

/* store-sites.c */
int		 store_agent_by_id(struct store *st, int64_t id,
		     struct store_agent *out, char **cause);

/*
 * store-task.c: the state machine (store_moves[from] has bit 1 << to
 * set for each legal move) and a task's moves with its job's counters.
 */
extern const unsigned store_moves[STORE_STATE_COUNT];
void		 store_task_row(struct db_stmt *s, struct store_task *t);
void		 store_move_row(struct db_stmt *s, struct store_move *m);
int		 store_tally_save(struct store *st, int64_t job_id,
		     const struct store_tally *t, char **cause);
/*
 * Counts the tasks of t[0..n) stored done (found at the receiver
 * already, hub-compare.c) in job id's counters: queued less, done more.
 */
int		 store_job_found(struct store *st, int64_t id,
		     const struct store_task *t, size_t n, char **cause);
/*
 * store_job_derive: a job's state from its counters, but for a job being
 * stored (st->storing), which stays running; store_job_derive_now
 * whatever it is (store_job_opened's, once the last batch is in).
 */
int		 store_job_derive_now(struct store *st, int64_t job_id,
		     int64_t now, char **cause);
int		 store_job_derive(struct store *st, int64_t job_id,
		     int64_t now, char **cause);
int		 store_move(struct store *st, struct store_move *m,
		     enum store_state to, int64_t now, const char *error,
		     struct store_tally *tally, char **cause);
int		 store_move_one(struct store *st, struct store_move *m,
		     enum store_state to, int64_t now, const char *error,
		     char **cause);

/*
 * store-job.c: a job's checks before it is stored (its sites or user
 * exist, its priority), and its tasks' rows: store_task_rows opens the
 * multi-row INSERTs (the queued tasks', and those stored done),
 * store_task_insert adds one task (i counts from 0, for errors);
 * store_task_rows_end flushes them if r is 0, closes them and returns r
 * or the flush's error.
 */
struct db_rows;
struct store_task_rows {
	struct db_rows	*queued;
	struct db_rows	*done;		/* opened at the first */
};
int		 store_job_check(struct store *st, const struct store_job *job,
		     char **cause);
int		 store_task_rows(struct store *st, struct store_task_rows *rows,
		     char **cause);
int		 store_task_rows_end(struct store_task_rows *rows, int r,
		     char **cause);
int		 store_task_insert(struct store *st, struct store_task_rows *rows,
		     const struct store_job *job, int64_t id,
		     const struct store_task *t, size_t i, int64_t now,
		     char **cause);

/*
 * store-next.c: the queued tasks due at now, in the dispatcher's order,
 * from the destinations present() accepts (NULL: all). store_next_step
 * answers 1 and *t (valid until the next step), 0 at the end, or an error.
 */
struct store_next;
int		 store_next_open(struct store *st, int64_t now,
		     int (*present)(void *, const char *), void *arg,
		     struct store_next **out, char **cause);
int		 store_next_step(struct store_next *nx,
		     const struct store_task **t, char **cause);
void		 store_next_close(struct store_next *nx);
extern const char store_next_sql_first[], store_next_sql_after[],
		 store_next_sql_same[], store_next_sql_lower[];

/* store-stats.c: each statistic's SQLite query, by enum store_stat. */
extern const char *const store_stat_sql[];
extern const size_t store_stat_nsql;

/*
 * store-seal.c: an invite's key as stored: sealed (AES-256 under the
 * store's seal key, set by store_set_seal) or, with no seal key, as is.
 * out may be in.
 */
int		 store_seal_key(struct store *st, const unsigned char *in,
		     unsigned char *out, int seal, char **cause);

#endif
