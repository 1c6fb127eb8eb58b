/*
 * ferry-ftrack's durable spool (docs/ftrack.md): an SQLite database in
 * its state directory, WAL mode, synchronous=FULL, so that a commit is on
 * disk before the program acts on it.
 *
 * Every event the listener will act on is added, keyed by its ftrack
 * event id, before it is handled, and marked done only once handled. An
 * event left unfinished by a crash is handled again at start-up; what
 * makes that safe is recorded here too: when a send to the hub began
 * (spool_event_submitting) and, in one transaction, the ferry job it made
 * with the delivery that tracks it (spool_delivery_add).
 *
 * A delivery is a submitted ferry job followed until it ends: the ftrack
 * Job showing its progress (its id chosen before it is created, so that
 * a retried create cannot make a second one), and the files resolved from
 * the selection, for registration at the destination.
 *
 * Functions return 0 or a negative FERRY_ERR_* code with a cause; they
 * never log. One thread uses a spool.
 */
#ifndef FERRY_SPOOL_H
#define FERRY_SPOOL_H

#include <stdint.h>

#include <jansson.h>

#define SPOOL_FILE	"spool.db"
/* Handled events are forgotten after this many seconds (30 days). */
#define SPOOL_KEEP_S	(30 * 24 * 3600)

struct spool;

/* What spool_event_add() found. */
enum spool_seen {
	SPOOL_NEW,	/* stored now: handle it */
	SPOOL_PENDING,	/* stored before and not done: handle it again */
	SPOOL_DONE	/* handled already: a duplicate, ignore it */
};

enum spool_state {
	SPOOL_RUNNING,	/* the ferry job is followed */
	SPOOL_FINISHED,	/* it ended, and ftrack was told */
	SPOOL_FAILED	/* it failed (or vanished), and ftrack was told */
};

struct spool_delivery {
	int64_t		 ferry_job;
	char		*event_id;
	char		*ftrack_job;	/* the ftrack Job's uuid */
	int		 job_created;	/* the Job exists in ftrack */
	char		*user_id;	/* whose Jobs menu shows it */
	char		*username;
	char		*source;	/* a ferry site or user */
	char		*dest;
	char		*dest_location_id;
	/* As resolved: [{component_id, container_id, path, basis}]. */
	json_t		*files;
	int		 finish_attempts;
	enum spool_state state;
	char		*reason;	/* why it failed; NULL */
};

/* Opens (creating) DIR/spool.db and forgets events handled long ago. */
int	 spool_open(const char *dir, int64_t now, struct spool **sp,
	     char **cause);
void	 spool_close(struct spool *s);

/*
 * Stores event (its "id" and "topic" are required) unless its id is
 * known, counts one more attempt to handle it, and says which case it was.
 */
int	 spool_event_add(struct spool *s, const json_t *event, int64_t now,
	     enum spool_seen *seenp, char **cause);
/* Marks an event handled, with a short outcome for the record. */
int	 spool_event_done(struct spool *s, const char *id,
	     const char *outcome, int64_t now, char **cause);
/* Stores in *eventsp a new array of the unfinished events, oldest first. */
int	 spool_event_pending(struct spool *s, json_t **eventsp,
	     char **cause);
/* How often handling an event was started (1 the first time). */
int	 spool_event_attempts(struct spool *s, const char *id, int *np,
	     char **cause);
/*
 * Records that a send to the hub for this event starts now; *whenp gets
 * the time of the earlier one, or 0 if there was none.
 */
int	 spool_event_submitting(struct spool *s, const char *id, int64_t now,
	     int64_t *whenp, char **cause);
/* The ferry job recorded for an event, or 0 if none. */
int	 spool_event_job(struct spool *s, const char *id, int64_t *jobp,
	     char **cause);

/*
 * Adds a delivery and records its ferry job on its event, in one
 * transaction. FERRY_ERR_EXIST if that ferry job is tracked already.
 */
int	 spool_delivery_add(struct spool *s, const struct spool_delivery *d,
	     int64_t now, char **cause);
/* Whether a ferry job is tracked (by any event). */
int	 spool_delivery_known(struct spool *s, int64_t ferry_job,
	     int *knownp, char **cause);
/* Calls cb for every delivery still running, oldest first. */
int	 spool_delivery_running(struct spool *s,
	     int (*cb)(void *, const struct spool_delivery *), void *arg,
	     char **cause);
int	 spool_delivery_get(struct spool *s, int64_t ferry_job,
	     struct spool_delivery *d, char **cause);
int	 spool_delivery_job_created(struct spool *s, int64_t ferry_job,
	     int64_t now, char **cause);
/* Counts a failed attempt to finish (register, tell ftrack). */
int	 spool_delivery_attempted(struct spool *s, int64_t ferry_job,
	     int64_t now, int *attemptsp, char **cause);
/* Ends a delivery: SPOOL_FINISHED, or SPOOL_FAILED with a reason. */
int	 spool_delivery_end(struct spool *s, int64_t ferry_job,
	     enum spool_state state, const char *reason, int64_t now,
	     char **cause);
/* Frees what d holds (not d); safe on a zeroed struct. */
void	 spool_delivery_clear(struct spool_delivery *d);

const char *spool_state_name(enum spool_state state);

/*
 * A publish (docs/ftrack.md "Publishing back"): a ferry job, done at the
 * hub, whose meta says "publish" with an ftrack task. Its plan (the ids
 * of the Asset, AssetVersion, Note and Components, chosen before anything
 * is created, and the files) is stored before the first create, and each
 * step is recorded once ftrack has it, so that a restart at any point
 * goes on from the step it was at and creates nothing twice.
 */
enum spool_pub_state {
	SPOOL_PUB_PLANNED,	/* ids chosen; the version may not exist */
	SPOOL_PUB_CREATED,	/* the version and its components exist */
	SPOOL_PUB_REGISTERED,	/* the files are in the location */
	SPOOL_PUB_DONE,		/* the assignees were told (or could not) */
	SPOOL_PUB_FAILED	/* given up, with a reason */
};

struct spool_publish {
	int64_t			 ferry_job;
	char			*task_id;
	json_t			*plan;
	enum spool_pub_state	 state;
	int			 attempts;
	char			*reason;
};

/* Adds a publish, planned; FERRY_ERR_EXIST if the job has one. */
int	 spool_publish_add(struct spool *s, int64_t ferry_job,
	     const char *task_id, const json_t *plan, int64_t now,
	     char **cause);
int	 spool_publish_known(struct spool *s, int64_t ferry_job, int *knownp,
	     char **cause);
/* A new array of the ferry jobs of the publishes not done nor failed. */
int	 spool_publish_pending(struct spool *s, json_t **jobsp, char **cause);
int	 spool_publish_get(struct spool *s, int64_t ferry_job,
	     struct spool_publish *p, char **cause);
/* Moves a publish to state, with a new plan (NULL: kept) and reason. */
int	 spool_publish_set(struct spool *s, int64_t ferry_job,
	     enum spool_pub_state state, const json_t *plan,
	     const char *reason, int64_t now, char **cause);
int	 spool_publish_attempted(struct spool *s, int64_t ferry_job,
	     int64_t now, int *attemptsp, char **cause);
void	 spool_publish_clear(struct spool_publish *p);
const char *spool_pub_state_name(enum spool_pub_state state);

#endif
