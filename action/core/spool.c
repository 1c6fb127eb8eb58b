/*
 * The spool on SQLite (spool.h). Each function is one statement or one
 * IMMEDIATE transaction, committed with synchronous=FULL before it
 * returns: what it says happened is on disk.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "db.h"
#include "err.h"
#include "spool.h"
#include "statedir.h"

#define SPOOL_BUSY_MS	10000

struct spool {
	struct db	*db;
	char		*path;
};

static const char *spool_state_names[] = { "running", "done", "failed" };

/*
 * Schema versions: entry i takes the database from version i to i + 1.
 * Append to change it; never edit an entry that has shipped.
 */
static const char *const spool_migrations[] = {
	"CREATE TABLE events ("
	" id TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),"
	" topic TEXT NOT NULL,"
	" body TEXT NOT NULL,"
	" received INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" submitting INTEGER,"
	" ferry_job INTEGER,"
	" done INTEGER,"
	" outcome TEXT);"
	"CREATE INDEX events_pending ON events(received) WHERE done IS NULL;"
	"CREATE TABLE deliveries ("
	" ferry_job INTEGER PRIMARY KEY,"
	" event_id TEXT NOT NULL UNIQUE REFERENCES events(id),"
	" ftrack_job TEXT NOT NULL,"
	" job_created INTEGER NOT NULL DEFAULT 0,"
	" user_id TEXT NOT NULL,"
	" username TEXT NOT NULL,"
	" source TEXT NOT NULL,"
	" dest TEXT NOT NULL,"
	" dest_location_id TEXT NOT NULL,"
	" files TEXT NOT NULL,"
	" finish_attempts INTEGER NOT NULL DEFAULT 0,"
	" state TEXT NOT NULL DEFAULT 'running'"
	"  CHECK (state IN ('running', 'done', 'failed')),"
	" reason TEXT,"
	" created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL);",
	/* Publishes: a done ferry job with meta.publish.task (spool.h). */
	"CREATE TABLE publishes ("
	" ferry_job INTEGER PRIMARY KEY,"
	" task_id TEXT NOT NULL,"
	" plan TEXT NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'planned' CHECK (state IN"
	"  ('planned', 'created', 'registered', 'done', 'failed')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" reason TEXT,"
	" created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL);",
};

#define SPOOL_NMIGRATIONS \
	((int)(sizeof spool_migrations / sizeof spool_migrations[0]))

/* Runs one statement that returns no row. */
static int
spool_run(struct spool *s, char **cause, const char *sql, const char *types,
    ...)
{
	struct db_stmt	*st;
	va_list		 ap;
	int		 r;

	va_start(ap, types);
	r = db_vq(s->db, sql, &st, cause, types, ap);
	va_end(ap);
	if (r == 0)
		r = db_exec(s->db, st, cause);
	return (r);
}

static int
spool_setup(struct spool *s, int64_t now, char **cause)
{
	int		 r;

	if ((r = db_migrate(s->db, spool_migrations, SPOOL_NMIGRATIONS, 1,
	    cause)) != 0)
		return (r);
	/* Old handled events go; those a delivery names stay with it. */
	return (spool_run(s, cause, "DELETE FROM events WHERE done < ? AND "
	    "id NOT IN (SELECT event_id FROM deliveries)", "i",
	    now - SPOOL_KEEP_S));
}

int
spool_open(const char *dir, int64_t now, struct spool **sp, char **cause)
{
	struct spool	*s;
	int		 r;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	if ((r = statedir_path(dir, SPOOL_FILE, &s->path, cause)) == 0 &&
	    (r = db_open(s->path, SPOOL_BUSY_MS, &s->db, cause)) == 0)
		r = spool_setup(s, now, cause);
	if (r != 0) {
		spool_close(s);
		return (r);
	}
	*sp = s;
	return (0);
}

void
spool_close(struct spool *s)
{
	if (s == NULL)
		return;
	db_close(s->db);
	free(s->path);
	free(s);
}

/* Returns the column as a new string, or NULL for NULL. */
static char *
spool_col_dup(struct db_stmt *st, int col)
{
	const char	*text = db_col_str(st, col);

	return (text != NULL ? strdup(text) : NULL);
}

/* Inside a transaction: what is known of the event, if anything. */
static int
spool_event_seen(struct spool *s, const char *id, enum spool_seen *seenp,
    char **cause)
{
	struct db_stmt	*st;
	int		 r;

	if ((r = db_q(s->db, "SELECT done IS NOT NULL FROM "
	    "events WHERE id = ?", &st, cause, "t", id)) != 0)
		return (r);
	if ((r = db_step(s->db, st, cause)) < 0)
		return (r);
	if (r == 0)
		*seenp = SPOOL_NEW;
	else
		*seenp = db_col_int(st, 0) ? SPOOL_DONE : SPOOL_PENDING;
	db_reset(st);
	return (0);
}

static int
spool_event_store(struct spool *s, const json_t *event, const char *id,
    const char *topic, int64_t now, enum spool_seen *seenp, char **cause)
{
	char	*body;
	int	 r;

	if ((r = spool_event_seen(s, id, seenp, cause)) != 0 ||
	    *seenp == SPOOL_DONE)
		return (r);
	if (*seenp == SPOOL_PENDING)
		return (spool_run(s, cause, "UPDATE events SET attempts = "
		    "attempts + 1 WHERE id = ?", "t", id));
	if ((body = json_dumps(event, JSON_COMPACT)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	r = spool_run(s, cause, "INSERT INTO events (id, topic, body, "
	    "received, attempts) VALUES (?, ?, ?, ?, 1)", "ttti", id, topic,
	    body, now);
	free(body);
	return (r);
}

int
spool_event_add(struct spool *s, const json_t *event, int64_t now,
    enum spool_seen *seenp, char **cause)
{
	const char	*id = json_string_value(json_object_get(event, "id"));
	const char	*topic = json_string_value(json_object_get(event,
			    "topic"));
	enum spool_seen	 seen = SPOOL_NEW;
	int		 r;

	if (id == NULL || *id == '\0' || topic == NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "an event without an "
		    "id or a topic cannot be spooled"));
	if ((r = db_begin(s->db, cause)) != 0)
		return (r);
	r = spool_event_store(s, event, id, topic, now, &seen, cause);
	if ((r = db_end(s->db, r, cause)) != 0)
		return (r);
	*seenp = seen;
	return (0);
}

int
spool_event_done(struct spool *s, const char *id, const char *outcome,
    int64_t now, char **cause)
{
	return (spool_run(s, cause, "UPDATE events SET done = ?, outcome = ? "
	    "WHERE id = ?", "itt", now, outcome, id));
}

int
spool_event_pending(struct spool *s, json_t **eventsp, char **cause)
{
	struct db_stmt	*st;
	json_t		*list, *ev;
	int		 r;

	if ((r = db_q(s->db, "SELECT body FROM events WHERE "
	    "done IS NULL ORDER BY received, rowid", &st, cause, "")) != 0)
		return (r);
	list = json_array();
	while ((r = db_step(s->db, st, cause)) == 1) {
		ev = json_loads(db_col_str(st, 0), 0,
		    NULL);
		if (ev != NULL)
			json_array_append_new(list, ev);
	}
	if (r < 0) {
		json_decref(list);
		return (r);
	}
	*eventsp = list;
	return (0);
}

/* Reads one integer column of the event's row (0 for NULL or none). */
static int
spool_event_int(struct spool *s, const char *id, const char *sql,
    int64_t *vp, char **cause)
{
	struct db_stmt	*st;
	int		 r;

	if ((r = db_q(s->db, sql, &st, cause, "t", id)) != 0)
		return (r);
	if ((r = db_step(s->db, st, cause)) < 0)
		return (r);
	*vp = r == 1 ? db_col_int64(st, 0) : 0;
	db_reset(st);
	return (0);
}

int
spool_event_attempts(struct spool *s, const char *id, int *np, char **cause)
{
	int64_t	n;
	int	r;

	if ((r = spool_event_int(s, id, "SELECT attempts FROM events WHERE "
	    "id = ?", &n, cause)) == 0)
		*np = (int)n;
	return (r);
}

int
spool_event_submitting(struct spool *s, const char *id, int64_t now,
    int64_t *whenp, char **cause)
{
	int64_t		 before;
	int		 r;

	if ((r = spool_event_int(s, id, "SELECT submitting FROM events WHERE "
	    "id = ?", &before, cause)) != 0)
		return (r);
	if ((r = spool_run(s, cause, "UPDATE events SET submitting = ? "
	    "WHERE id = ?", "it", now, id)) != 0)
		return (r);
	*whenp = before;
	return (0);
}

int
spool_event_job(struct spool *s, const char *id, int64_t *jobp, char **cause)
{
	return (spool_event_int(s, id, "SELECT ferry_job FROM events WHERE "
	    "id = ?", jobp, cause));
}

static int
spool_delivery_insert(struct spool *s, const struct spool_delivery *d,
    const char *files, int64_t now, char **cause)
{
	return (spool_run(s, cause, "INSERT INTO deliveries (ferry_job, "
	    "event_id, ftrack_job, job_created, user_id, username, source, "
	    "dest, dest_location_id, files, created, updated) VALUES (?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "ittittttttii", d->ferry_job,
	    d->event_id, d->ftrack_job, (int64_t)d->job_created, d->user_id,
	    d->username, d->source, d->dest, d->dest_location_id, files, now,
	    now));
}

int
spool_delivery_add(struct spool *s, const struct spool_delivery *d,
    int64_t now, char **cause)
{
	char		*files;
	int		 r;

	if ((files = json_dumps(d->files, JSON_COMPACT)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	if ((r = db_begin(s->db, cause)) != 0) {
		free(files);
		return (r);
	}
	r = spool_delivery_insert(s, d, files, now, cause);
	if (r == 0)
		r = spool_run(s, cause, "UPDATE events SET ferry_job = ? WHERE "
		    "id = ?", "it", d->ferry_job, d->event_id);
	r = db_end(s->db, r, cause);
	free(files);
	return (r);
}

int
spool_delivery_known(struct spool *s, int64_t ferry_job, int *knownp,
    char **cause)
{
	struct db_stmt	*st;
	int		 r;

	if ((r = db_q(s->db, "SELECT 1 FROM deliveries WHERE "
	    "ferry_job = ?", &st, cause, "i", ferry_job)) != 0)
		return (r);
	if ((r = db_step(s->db, st, cause)) < 0)
		return (r);
	*knownp = r;
	db_reset(st);
	return (0);
}

#define SPOOL_DELIVERY_COLUMNS "ferry_job, event_id, ftrack_job, " \
	"job_created, user_id, username, source, dest, dest_location_id, " \
	"files, finish_attempts, state, reason"

static void
spool_delivery_row(struct db_stmt *st, struct spool_delivery *d)
{
	const char	*state;
	int		 i;

	memset(d, 0, sizeof *d);
	d->ferry_job = db_col_int64(st, 0);
	d->event_id = spool_col_dup(st, 1);
	d->ftrack_job = spool_col_dup(st, 2);
	d->job_created = db_col_int(st, 3);
	d->user_id = spool_col_dup(st, 4);
	d->username = spool_col_dup(st, 5);
	d->source = spool_col_dup(st, 6);
	d->dest = spool_col_dup(st, 7);
	d->dest_location_id = spool_col_dup(st, 8);
	d->files = json_loads(db_col_str(st, 9), 0,
	    NULL);
	if (d->files == NULL)
		d->files = json_array();
	d->finish_attempts = db_col_int(st, 10);
	state = db_col_str(st, 11);
	for (i = 0; i < 3; i++)
		if (state != NULL && strcmp(state, spool_state_names[i]) == 0)
			d->state = (enum spool_state)i;
	d->reason = spool_col_dup(st, 12);
}

int
spool_delivery_running(struct spool *s,
    int (*cb)(void *, const struct spool_delivery *), void *arg,
    char **cause)
{
	struct spool_delivery	 d;
	struct db_stmt		*st;
	int			 r, stop = 0;

	if ((r = db_q(s->db, "SELECT " SPOOL_DELIVERY_COLUMNS
	    " FROM deliveries WHERE state = 'running' ORDER BY created, "
	    "ferry_job", &st, cause, "")) != 0)
		return (r);
	while (!stop && (r = db_step(s->db, st, cause)) == 1) {
		spool_delivery_row(st, &d);
		stop = cb(arg, &d);
		spool_delivery_clear(&d);
	}
	if (r < 0)
		return (r);
	/* Stopped before the end: the statement is left for the next. */
	db_reset(st);
	return (0);
}

int
spool_delivery_get(struct spool *s, int64_t ferry_job,
    struct spool_delivery *d, char **cause)
{
	struct db_stmt	*st;
	int		 r;

	if ((r = db_q(s->db, "SELECT " SPOOL_DELIVERY_COLUMNS
	    " FROM deliveries WHERE ferry_job = ?", &st, cause, "i",
	    ferry_job)) != 0)
		return (r);
	if ((r = db_step(s->db, st, cause)) < 0)
		return (r);
	if (r == 0)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "ferry job %jd is "
		    "not in the spool", (intmax_t)ferry_job));
	spool_delivery_row(st, d);
	db_reset(st);
	return (0);
}

int
spool_delivery_job_created(struct spool *s, int64_t ferry_job, int64_t now,
    char **cause)
{
	return (spool_run(s, cause, "UPDATE deliveries SET job_created = 1, "
	    "updated = ? WHERE ferry_job = ?", "ii", now, ferry_job));
}

/*
 * Counts one more attempt at a delivery's or a publish's last step and
 * gives the count (0: no such row): bump is the UPDATE, count the SELECT.
 */
static int
spool_attempted(struct spool *s, const char *bump, const char *count,
    int64_t ferry_job, int64_t now, int *attemptsp, char **cause)
{
	struct db_stmt	*st;
	int		 r;

	if ((r = spool_run(s, cause, bump, "ii", now, ferry_job)) != 0)
		return (r);
	if ((r = db_q(s->db, count, &st, cause, "i", ferry_job)) != 0)
		return (r);
	if ((r = db_step(s->db, st, cause)) < 0)
		return (r);
	*attemptsp = r == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	return (0);
}

int
spool_delivery_attempted(struct spool *s, int64_t ferry_job, int64_t now,
    int *attemptsp, char **cause)
{
	return (spool_attempted(s, "UPDATE deliveries SET finish_attempts "
	    "= finish_attempts + 1, updated = ? WHERE ferry_job = ?",
	    "SELECT finish_attempts FROM deliveries WHERE ferry_job = ?",
	    ferry_job, now, attemptsp, cause));
}

int
spool_delivery_end(struct spool *s, int64_t ferry_job,
    enum spool_state state, const char *reason, int64_t now, char **cause)
{
	return (spool_run(s, cause, "UPDATE deliveries SET state = ?, "
	    "reason = ?, updated = ? WHERE ferry_job = ?", "ttii",
	    spool_state_name(state), reason, now, ferry_job));
}

void
spool_delivery_clear(struct spool_delivery *d)
{
	free(d->event_id);
	free(d->ftrack_job);
	free(d->user_id);
	free(d->username);
	free(d->source);
	free(d->dest);
	free(d->dest_location_id);
	json_decref(d->files);
	free(d->reason);
	memset(d, 0, sizeof *d);
}

const char *
spool_state_name(enum spool_state state)
{
	if ((unsigned)state >= 3)
		return ("unknown");
	return (spool_state_names[state]);
}

static const char *spool_pub_names[] = { "planned", "created", "registered",
    "done", "failed" };

const char *
spool_pub_state_name(enum spool_pub_state state)
{
	if ((unsigned)state >= 5)
		return ("unknown");
	return (spool_pub_names[state]);
}

int
spool_publish_add(struct spool *s, int64_t ferry_job, const char *task_id,
    const json_t *plan, int64_t now, char **cause)
{
	char	*text;
	int	 r, known;

	if ((r = spool_publish_known(s, ferry_job, &known, cause)) != 0)
		return (r);
	if (known)
		return (err_set(cause, FERRY_ERR_EXIST, "ferry job %jd is "
		    "published already", (intmax_t)ferry_job));
	if ((text = json_dumps(plan, JSON_COMPACT)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	r = spool_run(s, cause, "INSERT INTO publishes (ferry_job, task_id, "
	    "plan, created, updated) VALUES (?, ?, ?, ?, ?)", "ittii",
	    ferry_job, task_id, text, now, now);
	free(text);
	return (r);
}

int
spool_publish_known(struct spool *s, int64_t ferry_job, int *knownp,
    char **cause)
{
	struct db_stmt	*st;
	int		 r;

	if ((r = db_q(s->db, "SELECT 1 FROM publishes WHERE ferry_job = ?",
	    &st, cause, "i", ferry_job)) != 0)
		return (r);
	if ((r = db_step(s->db, st, cause)) < 0)
		return (r);
	*knownp = r;
	db_reset(st);
	return (0);
}

int
spool_publish_pending(struct spool *s, json_t **jobsp, char **cause)
{
	struct db_stmt	*st;
	json_t		*list;
	int		 r;

	if ((r = db_q(s->db, "SELECT ferry_job FROM publishes WHERE state "
	    "NOT IN ('done', 'failed') ORDER BY ferry_job", &st, cause,
	    "")) != 0)
		return (r);
	list = json_array();
	while ((r = db_step(s->db, st, cause)) == 1)
		json_array_append_new(list, json_integer(
		    db_col_int64(st, 0)));
	if (r < 0) {
		json_decref(list);
		return (r);
	}
	*jobsp = list;
	return (0);
}

int
spool_publish_get(struct spool *s, int64_t ferry_job,
    struct spool_publish *p, char **cause)
{
	struct db_stmt	*st;
	const char	*state;
	int		 r, i;

	if ((r = db_q(s->db, "SELECT task_id, plan, state, attempts, reason "
	    "FROM publishes WHERE ferry_job = ?", &st, cause, "i",
	    ferry_job)) != 0)
		return (r);
	if ((r = db_step(s->db, st, cause)) < 0)
		return (r);
	if (r == 0)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "ferry job %jd is "
		    "not a publish in the spool", (intmax_t)ferry_job));
	memset(p, 0, sizeof *p);
	p->ferry_job = ferry_job;
	p->task_id = spool_col_dup(st, 0);
	p->plan = json_loads(db_col_str(st, 1), 0,
	    NULL);
	state = db_col_str(st, 2);
	for (i = 0; i < 5; i++)
		if (state != NULL && strcmp(state, spool_pub_names[i]) == 0)
			p->state = (enum spool_pub_state)i;
	p->attempts = db_col_int(st, 3);
	p->reason = spool_col_dup(st, 4);
	db_reset(st);
	if (p->task_id == NULL || p->plan == NULL) {
		spool_publish_clear(p);
		return (err_set(cause, FERRY_ERR_PARSE, "ferry job %jd: its "
		    "publish in the spool is unreadable", (intmax_t)ferry_job));
	}
	return (0);
}

int
spool_publish_set(struct spool *s, int64_t ferry_job,
    enum spool_pub_state state, const json_t *plan, const char *reason,
    int64_t now, char **cause)
{
	char	*text = NULL;
	int	 r;

	if (plan != NULL && (text = json_dumps(plan, JSON_COMPACT)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	r = spool_run(s, cause, "UPDATE publishes SET state = ?, plan = "
	    "coalesce(?, plan), reason = ?, updated = ? WHERE ferry_job = ?",
	    "tttii", spool_pub_state_name(state), text, reason, now,
	    ferry_job);
	free(text);
	return (r);
}

int
spool_publish_attempted(struct spool *s, int64_t ferry_job, int64_t now,
    int *attemptsp, char **cause)
{
	return (spool_attempted(s, "UPDATE publishes SET attempts = "
	    "attempts + 1, updated = ? WHERE ferry_job = ?",
	    "SELECT attempts FROM publishes WHERE ferry_job = ?", ferry_job,
	    now, attemptsp, cause));
}

void
spool_publish_clear(struct spool_publish *p)
{
	free(p->task_id);
	json_decref(p->plan);
	free(p->reason);
	memset(p, 0, sizeof *p);
}
