/*
 * The hub's store on SQLite. Every public function that writes runs in
 * one IMMEDIATE transaction (nested calls join the outer one), so that a
 * change and everything derived from it (a job's counters and state, the
 * audit row) land together or not at all.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "db.h"
#include "err.h"
#include "store.h"
#include "store-int.h"

/*
 * Schema versions: entry i takes a database from version i to i + 1. Add
 * a version by appending an entry; never edit one that has shipped.
 */
static const char *const store_migrations[] = {
	/* 1: everything the hub of issue 4 needs. */
	"CREATE TABLE sites ("
	" name TEXT PRIMARY KEY NOT NULL CHECK (name <> ''),"
	" bwlimit INTEGER NOT NULL DEFAULT 0 CHECK (bwlimit >= 0),"
	" created INTEGER NOT NULL);"
	"CREATE TABLE users ("
	" email TEXT PRIMARY KEY NOT NULL CHECK (email <> ''),"
	" clearance TEXT NOT NULL"
	"  CHECK (clearance IN ('employee', 'restricted')),"
	" created INTEGER NOT NULL);"
	"CREATE TABLE agents ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL,"
	" role TEXT NOT NULL CHECK (role IN ('site', 'user')),"
	" site TEXT REFERENCES sites(name),"
	" email TEXT REFERENCES users(email),"
	" clearance TEXT CHECK (clearance IN ('employee', 'restricted')),"
	" fingerprint BLOB NOT NULL UNIQUE CHECK (length(fingerprint) = 32),"
	" address TEXT,"
	" enrolled_at INTEGER NOT NULL,"
	" last_seen INTEGER,"
	" CHECK ((role = 'site' AND site IS NOT NULL AND email IS NULL"
	"  AND clearance IS NULL) OR (role = 'user' AND site IS NULL"
	"  AND email IS NOT NULL AND clearance IS NOT NULL)));"
	"CREATE TABLE invites ("
	" id INTEGER PRIMARY KEY,"
	" code_hash BLOB NOT NULL UNIQUE CHECK (length(code_hash) = 32),"
	" kind TEXT NOT NULL CHECK (kind IN ('site', 'user')),"
	" site TEXT,"
	" email TEXT,"
	" clearance TEXT CHECK (clearance IN ('employee', 'restricted')),"
	" created INTEGER NOT NULL,"
	" expires INTEGER NOT NULL,"
	" used_at INTEGER,"
	" used_by BLOB,"
	" CHECK ((kind = 'site' AND site IS NOT NULL AND email IS NULL"
	"  AND clearance IS NULL) OR (kind = 'user' AND site IS NULL"
	"  AND email IS NOT NULL AND clearance IS NOT NULL)));"
	"CREATE TABLE shares ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" version INTEGER NOT NULL,"
	" json TEXT NOT NULL,"
	" updated INTEGER NOT NULL);"
	"CREATE TABLE share_history ("
	" version INTEGER PRIMARY KEY,"
	" json TEXT NOT NULL,"
	" who TEXT,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE acls ("
	" principal TEXT NOT NULL CHECK (principal <> ''),"
	" prefix TEXT NOT NULL CHECK (instr(prefix, ':') > 1),"
	" access TEXT NOT NULL CHECK (access IN ('read', 'write')),"
	" PRIMARY KEY (principal, prefix));"
	"CREATE TABLE jobs ("
	" id INTEGER PRIMARY KEY,"
	" submitter TEXT NOT NULL,"
	" from_site TEXT NOT NULL REFERENCES sites(name),"
	" to_site TEXT REFERENCES sites(name),"
	" to_user TEXT REFERENCES users(email),"
	" priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 1000),"
	" note TEXT,"
	" state TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed',"
	"  'cancelled', 'paused')),"
	" created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL,"
	" n_tasks INTEGER NOT NULL DEFAULT 0,"
	" n_queued INTEGER NOT NULL DEFAULT 0,"
	" n_running INTEGER NOT NULL DEFAULT 0,"
	" n_done INTEGER NOT NULL DEFAULT 0,"
	" n_failed INTEGER NOT NULL DEFAULT 0,"
	" n_cancelled INTEGER NOT NULL DEFAULT 0,"
	" n_paused INTEGER NOT NULL DEFAULT 0,"
	" bytes_total INTEGER NOT NULL DEFAULT 0,"
	" bytes_done INTEGER NOT NULL DEFAULT 0,"
	" meta TEXT,"
	" CHECK ((to_site IS NULL) <> (to_user IS NULL)));"
	"CREATE INDEX jobs_state ON jobs(state, id);"
	"CREATE TABLE tasks ("
	" id INTEGER PRIMARY KEY,"
	" job_id INTEGER NOT NULL REFERENCES jobs(id),"
	" dest TEXT NOT NULL,"
	" priority INTEGER NOT NULL,"
	" src_path TEXT NOT NULL,"
	" dst_path TEXT NOT NULL CHECK (dst_path <> ''),"
	" basis TEXT,"
	" size INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),"
	" state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done',"
	"  'failed', 'cancelled', 'paused')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),"
	" next_try INTEGER NOT NULL,"
	" bytes_done INTEGER NOT NULL DEFAULT 0,"
	" last_progress INTEGER,"
	" error TEXT,"
	" started INTEGER,"
	" finished INTEGER);"
	"CREATE INDEX tasks_job ON tasks(job_id, id);"
	"CREATE INDEX tasks_queued ON tasks(priority DESC, id)"
	" WHERE state = 'queued';"
	"CREATE INDEX tasks_running ON tasks(dest, dst_path)"
	" WHERE state = 'running';"
	"CREATE INDEX tasks_progress ON tasks(last_progress)"
	" WHERE state = 'running';"
	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY,"
	" time INTEGER NOT NULL,"
	" who TEXT NOT NULL,"
	" what TEXT NOT NULL,"
	" detail TEXT);",
	/*
	 * 2: facts about the store itself: whose it is (hub_fp), and a
	 * check of the seal key kept outside it (secret_check).
	 */
	"CREATE TABLE meta ("
	" key TEXT PRIMARY KEY NOT NULL,"
	" value TEXT NOT NULL);",
	/*
	 * 3: a site's transfer window (docs/agent.md, "Transfer windows":
	 * caps by local day and time) and the time zone it is read in;
	 * NULL: no window, and the hub's own zone.
	 */
	"ALTER TABLE sites ADD COLUMN window TEXT;"
	"ALTER TABLE sites ADD COLUMN tz TEXT;",
	/*
	 * 4: the share roots agents set for themselves (ferry root set,
	 * --storage-root, FERRY_<SHARE>_PATH) and their home base: how is
	 * 'set', 'env' (share is then the variable's SHARE part) or 'home'
	 * (share is '').
	 */
	"CREATE TABLE roots ("
	" endpoint TEXT NOT NULL CHECK (endpoint <> ''),"
	" share TEXT NOT NULL,"
	" how TEXT NOT NULL CHECK (how IN ('set', 'env', 'home')),"
	" path TEXT NOT NULL CHECK (path <> ''),"
	" agent TEXT NOT NULL,"
	" updated INTEGER NOT NULL,"
	" PRIMARY KEY (endpoint, how, share));",
	/*
	 * 5: the relay through the hub, on unless a site (ferry site set
	 * --relay off) or a job (ferry send --no-relay) turns it off.
	 */
	"ALTER TABLE sites ADD COLUMN relay INTEGER NOT NULL DEFAULT 1"
	" CHECK (relay IN (0, 1));"
	"ALTER TABLE jobs ADD COLUMN relay INTEGER NOT NULL DEFAULT 1"
	" CHECK (relay IN (0, 1));",
	/*
	 * 6: notices for mail (docs/mail.md), written by triggers in the
	 * transaction of the change they announce, so that none is lost
	 * by a crash between the change and its mail: a job done or failed,
	 * an ACL granting more than before, a person's agent enrolled. The
	 * hub's mail thread queues each into the outbox, then marks it.
	 */
	"CREATE TABLE notices ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL CHECK (kind IN ('job', 'access', 'enrolled',"
	"  'publish-to', 'test')),"
	" job_id INTEGER,"
	" state TEXT,"
	" who TEXT,"
	" place TEXT,"
	" access TEXT,"
	" queued INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX notices_pending ON notices(id) WHERE queued = 0;"
	"CREATE TRIGGER notices_job AFTER UPDATE OF state ON jobs"
	" WHEN NEW.state IN ('done', 'failed') AND OLD.state IS NOT NEW.state"
	" BEGIN INSERT INTO notices (kind, job_id, state)"
	"  VALUES ('job', NEW.id, NEW.state); END;"
	/* Before the insert: INSERT OR REPLACE has not removed the old row. */
	"CREATE TRIGGER notices_acl BEFORE INSERT ON acls"
	" WHEN NOT EXISTS (SELECT 1 FROM acls WHERE principal = NEW.principal"
	"  AND prefix = NEW.prefix AND (access = NEW.access"
	"  OR access = 'write'))"
	" BEGIN INSERT INTO notices (kind, who, place, access)"
	"  VALUES ('access', NEW.principal, NEW.prefix, NEW.access); END;"
	"CREATE TRIGGER notices_enrolled AFTER INSERT ON agents"
	" WHEN NEW.role = 'user'"
	" BEGIN INSERT INTO notices (kind, who, place, access)"
	"  VALUES ('enrolled', NEW.email, NEW.name, NEW.clearance); END;",
	/*
	 * 7: agentless SFTP sites (docs/sftp.md): a site of kind sftp has a
	 * row here; its credentials are the paths of files on the client
	 * (via; NULL: the hub), never their content.
	 */
	"CREATE TABLE sftp_sites ("
	" site TEXT PRIMARY KEY NOT NULL REFERENCES sites(name),"
	" target TEXT NOT NULL CHECK (target <> ''),"
	" key_file TEXT NOT NULL CHECK (key_file <> ''),"
	" known_hosts TEXT NOT NULL CHECK (known_hosts <> ''),"
	" passphrase_file TEXT,"
	" via TEXT,"
	" created INTEGER NOT NULL);",
	/*
	 * 8: the first error of a job without reading its other tasks: every
	 * look at a running job (`ferry send --wait`, `ferry jobs`) asks.
	 * tasks_progress goes: every task's start and end wrote it, for a
	 * sweep of stalled tasks every 30 s that tasks_running serves as
	 * well (it holds the running tasks only; store_stuck names it).
	 */
	"CREATE INDEX tasks_error ON tasks(job_id, id)"
	" WHERE error IS NOT NULL AND state IN ('queued', 'failed');"
	"DROP INDEX tasks_progress;",
	/*
	 * 9: how many streams (connections) a transfer opens: a site's
	 * default (ferry site set --streams) and a job's (ferry send
	 * --streams); 0 leaves the choice to the hub (hub-streams.c).
	 */
	"ALTER TABLE sites ADD COLUMN streams INTEGER NOT NULL DEFAULT 0"
	" CHECK (streams BETWEEN 0 AND 16);"
	"ALTER TABLE jobs ADD COLUMN streams INTEGER NOT NULL DEFAULT 0"
	" CHECK (streams BETWEEN 0 AND 16);",
	/*
	 * 10: the hubs of one store, each with a key of its own (issue 17):
	 * the set agents pin and learn over their links. state and seen are
	 * each hub's own word, written every second or two (store-hubs.c).
	 */
	"CREATE TABLE hubs ("
	" fingerprint TEXT PRIMARY KEY NOT NULL CHECK (fingerprint <> ''),"
	" address TEXT NOT NULL CHECK (address <> ''),"
	" state TEXT NOT NULL DEFAULT 'standby'"
	"  CHECK (state IN ('active', 'standby')),"
	" seen INTEGER,"
	" added INTEGER NOT NULL);",
	/*
	 * 11: the queued tasks by destination (store-next.c): the
	 * dispatcher reads those of the destinations it can serve now, not
	 * every queued task, and finds the destinations by seeking this
	 * index. tasks_queued (the same, across destinations) goes: nothing
	 * reads it, and each task's insert wrote it.
	 */
	"CREATE INDEX tasks_queued_dest ON tasks(dest, priority DESC, id)"
	" WHERE state = 'queued';"
	"DROP INDEX tasks_queued;",
	/*
	 * 12: the tasks run more than once, for /metrics' retries figure
	 * (store-stats.c), which read every task on each scrape. Few tasks
	 * are in it, and a task enters it only when it fails.
	 */
	"CREATE INDEX tasks_retried ON tasks(attempts) WHERE attempts > 1;",
	/*
	 * 13: a transfer between two agents, claimed by the hub run that
	 * started it (issue 17: running transfers carry on across a
	 * failover, store-claim.c). Which agents are its two ends (names
	 * and keys, as the hub saw them) and which task each file index
	 * is: the next hub checks an agent's report against these, and
	 * takes the claim over instead of running the tasks again.
	 */
	"CREATE TABLE claims ("
	" id INTEGER PRIMARY KEY,"
	" job_id INTEGER NOT NULL,"
	" run INTEGER NOT NULL,"
	" send_name TEXT NOT NULL,"
	" send_fp TEXT NOT NULL,"
	" recv_name TEXT NOT NULL,"
	" recv_fp TEXT NOT NULL,"
	" started INTEGER NOT NULL);"
	"CREATE TABLE claim_tasks ("
	" claim INTEGER NOT NULL,"
	" idx INTEGER NOT NULL,"
	" task INTEGER NOT NULL,"
	" PRIMARY KEY (claim, idx));"
	"CREATE INDEX claim_tasks_task ON claim_tasks(task);",
	/*
	 * 14: the platform each agent said in its last hello (issue 18).
	 * A job planned while none of an end's agents is linked translates
	 * that end's paths for the machine it last heard from (a Windows
	 * workstation's C:\ root, not the site's POSIX one):
	 * store_endpoint_platform, hub_endpoint_platform.
	 */
	"ALTER TABLE agents ADD COLUMN platform TEXT"
	" CHECK (platform IN ('linux', 'windows', 'macos'));",
	/*
	 * 15: the place (site or e-mail) whose agent sent a job, from its
	 * submitter "ENDPOINT (agent NAME)"; NULL for the admin's and
	 * ferry-ftrack's. max-agent-jobs counts a person's unfinished jobs
	 * on each relayed send (hub-relay.c): it read every running and
	 * paused job, under the hub's lock; the index answers the count
	 * from that place's rows alone (store_agent_jobs_open).
	 */
	"ALTER TABLE jobs ADD COLUMN agent_endpoint TEXT;"
	"UPDATE jobs SET agent_endpoint ="
	" substr(submitter, 1, instr(submitter, ' (agent ') - 1)"
	" WHERE instr(submitter, ' (agent ') > 1;"
	"CREATE INDEX jobs_agent_open ON jobs(agent_endpoint, state)"
	" WHERE agent_endpoint IS NOT NULL;"
};

/* Opening and the schema. */

int
store_open(const char *path, struct store **out, char **cause)
{
	return (store_open_as(path, 1, out, cause));
}

int
store_open_as(const char *path, int create, struct store **out,
    char **cause)
{
	return (store_open_with(path, NULL, create, out, cause));
}

/* PostgreSQL takes its own migrations, which must match SQLite's. */
static int
store_migrate(struct store *st, int create, char **cause)
{
	int	n = store_schema_latest();

	if (db_kind(st->db) == DB_SQLITE)
		return (db_migrate(st->db, store_migrations, n, create,
		    cause));
	if ((int)store_pg_nmigrations != n)
		return (err_set(cause, FERRY_ERR_INTERNAL, "this ferry has %d "
		    "schema versions for SQLite but %zu for PostgreSQL "
		    "(agent/store/store-pg.c)", n, store_pg_nmigrations));
	return (db_migrate(st->db, store_pg_migrations, n, create, cause));
}

int
store_ready(struct store *st, char **cause)
{
	return (db_ping(st->db, cause));
}

/* "ferryhub" in ASCII: the advisory lock's key, for all ferry hubs. */
#define STORE_LEASE_KEY	INT64_C(0x6665727279687562)

int
store_open_lease(const char *target, const char *password_file,
    struct store **out, char **cause)
{
	struct db_options	 opt;
	struct store		*st;
	int			 r;

	*out = NULL;
	if ((st = calloc(1, sizeof *st)) == NULL)
		return (store_nomem(cause));
	memset(&opt, 0, sizeof opt);
	opt.busy_ms = STORE_BUSY_MS;
	opt.password_file = password_file;
	opt.lease = 1;
	opt.connect_s = 2;	/* the lease's checks are a second apart */
	if ((r = db_open_with(target, &opt, &st->db, cause)) != 0) {
		free(st);
		return (r);
	}
	*out = st;
	return (0);
}

void
store_fence_at(struct store *st, int64_t until_ms)
{
	db_fence_at(st->db, until_ms);
}

int
store_lease(struct store *st, int *active, char **cause)
{
	return (db_lease(st->db, STORE_LEASE_KEY, active, cause));
}

int
store_is_postgresql(const struct store *st)
{
	return (db_kind(st->db) == DB_POSTGRESQL);
}

int
store_open_with(const char *path, const char *password_file, int create,
    struct store **out, char **cause)
{
	struct db_options	 opt;
	struct store		*st;
	char			*msg;
	int			 r;

	if ((st = calloc(1, sizeof *st)) == NULL)
		return (store_nomem(cause));
	st->retry_base = 30;
	st->retry_cap = 3600;
	st->max_attempts = 5;
	/* One thread at a time uses a store (common/db.h). */
	memset(&opt, 0, sizeof opt);
	opt.busy_ms = STORE_BUSY_MS;
	opt.password_file = password_file;
	if ((r = db_open_with(path, &opt, &st->db, cause)) == 0)
		r = store_migrate(st, create, cause);
	/*
	 * A file's name leads the cause; a URL is never repeated (the
	 * database layer names it, and one carrying a password, refused
	 * there, must not be echoed).
	 */
	if (r != 0 && cause != NULL && *cause != NULL && !db_is_url(path) &&
	    strncmp(*cause, path, strlen(path)) != 0) {
		msg = *cause;
		*cause = NULL;
		err_set(cause, r, "%s: %s", path, msg);
		free(msg);
	}
	if (r != 0) {
		store_close(st);
		return (r);
	}
	*out = st;
	return (0);
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	db_close(st->db);
	free(st);
}

int
store_schema_version(struct store *st)
{
	int	version = -1;

	db_version(st->db, &version, NULL);
	return (version);
}

int
store_schema_latest(void)
{
	return ((int)STORE_NAMES(store_migrations));
}

void
store_set_retry(struct store *st, int64_t base, int64_t cap,
    int max_attempts)
{
	st->retry_base = base > 0 ? base : 1;
	st->retry_cap = cap >= st->retry_base ? cap : st->retry_base;
	st->max_attempts = max_attempts > 0 ? max_attempts : 1;
}

int64_t
store_backoff(struct store *st, int attempts)
{
	int64_t	wait = st->retry_base;
	int	i;

	/* Doubling stops at the cap, so that it never overflows. */
	for (i = 1; i < attempts && wait < st->retry_cap; i++)
		wait *= 2;
	return (wait < st->retry_cap ? wait : st->retry_cap);
}
