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
#include <sqlite3.h>

#include "db.h"
#include "err.h"
#include "store.h"
#include "store-int.h"

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

static const char *store_state_names[STORE_STATE_COUNT] = {
	"queued", "running", "done", "failed", "cancelled", "paused"
};
static const char *store_role_names[] = { "site", "user" };
static const char *store_clearance_names[] = {
	"none", "employee", "restricted"
};
static const char *store_access_names[] = { "read", "write" };

#define STORE_NAMES(a) (sizeof (a) / sizeof (a)[0])
#define M(s) (1U << (s))

/*
 * The task state machine, the only place that says which transition is
 * legal. running -> queued is crash recovery only (store_recover).
 */
static const unsigned store_moves[STORE_STATE_COUNT] = {
	[STORE_QUEUED] = M(STORE_RUNNING) | M(STORE_CANCELLED) |
	    M(STORE_PAUSED),
	[STORE_RUNNING] = M(STORE_DONE) | M(STORE_FAILED) |
	    M(STORE_CANCELLED) | M(STORE_PAUSED) | M(STORE_QUEUED),
	[STORE_DONE] = 0,
	[STORE_FAILED] = M(STORE_QUEUED) | M(STORE_CANCELLED),
	[STORE_CANCELLED] = 0,
	[STORE_PAUSED] = M(STORE_QUEUED) | M(STORE_CANCELLED)
};

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
	" value TEXT NOT NULL);"
};

/* Names. */

static int
store_name_find(const char **names, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && i < n; i++) {
		if (strcmp(names[i], name) == 0)
			return ((int)i);
	}
	return (-1);
}

const char *
store_state_name(enum store_state s)
{
	if (s < 0 || s >= STORE_STATE_COUNT)
		return ("any");
	return (store_state_names[s]);
}

int
store_state_parse(const char *name, enum store_state *s)
{
	int	i;

	i = store_name_find(store_state_names, STORE_STATE_COUNT, name);
	if (i < 0)
		return (FERRY_ERR_INVAL);
	*s = (enum store_state)i;
	return (0);
}

const char *
store_role_name(enum store_role r)
{
	if ((size_t)r >= STORE_NAMES(store_role_names))
		return ("unknown");
	return (store_role_names[r]);
}

int
store_role_parse(const char *name, enum store_role *r)
{
	int	i;

	i = store_name_find(store_role_names, STORE_NAMES(store_role_names),
	    name);
	if (i < 0)
		return (FERRY_ERR_INVAL);
	*r = (enum store_role)i;
	return (0);
}

const char *
store_clearance_name(enum store_clearance c)
{
	if ((size_t)c >= STORE_NAMES(store_clearance_names))
		return ("unknown");
	return (store_clearance_names[c]);
}

int
store_clearance_parse(const char *name, enum store_clearance *c)
{
	int	i;

	i = store_name_find(store_clearance_names,
	    STORE_NAMES(store_clearance_names), name);
	if (i < 0)
		return (FERRY_ERR_INVAL);
	*c = (enum store_clearance)i;
	return (0);
}

const char *
store_access_name(enum store_access a)
{
	if ((size_t)a >= STORE_NAMES(store_access_names))
		return ("unknown");
	return (store_access_names[a]);
}

int
store_access_parse(const char *name, enum store_access *a)
{
	int	i;

	i = store_name_find(store_access_names,
	    STORE_NAMES(store_access_names), name);
	if (i < 0)
		return (FERRY_ERR_INVAL);
	*a = (enum store_access)i;
	return (0);
}

/* A clearance as stored: NULL for none. */
static const char *
store_clearance_col(enum store_clearance c)
{
	return (c == STORE_CLEARANCE_NONE ? NULL : store_clearance_name(c));
}

static enum store_clearance
store_clearance_from(const char *name)
{
	enum store_clearance	c = STORE_CLEARANCE_NONE;

	if (name != NULL)
		store_clearance_parse(name, &c);
	return (c);
}

/* Copies src into *dst; 0 or FERRY_ERR_NOMEM. NULL stays NULL. */
static int
store_dup(const char *src, char **dst)
{
	*dst = NULL;
	if (src != NULL && (*dst = strdup(src)) == NULL)
		return (FERRY_ERR_NOMEM);
	return (0);
}

int
store_nomem(char **cause)
{
	return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
}

int
store_batch_begin(struct store *st, char **cause)
{
	return (db_begin(st->db, cause));
}

int
store_batch_end(struct store *st, int r, char **cause)
{
	return (db_end(st->db, r, cause));
}

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
	struct store	*st;
	char		*msg;
	int		 r;

	if ((st = calloc(1, sizeof *st)) == NULL)
		return (store_nomem(cause));
	st->retry_base = 30;
	st->retry_cap = 3600;
	st->max_attempts = 5;
	/* One thread at a time uses a store (common/db.h). */
	if ((r = db_open(path, STORE_BUSY_MS, &st->db, cause)) == 0)
		r = db_migrate(st->db, store_migrations, store_schema_latest(),
		    create, cause);
	if (r != 0 && cause != NULL && *cause != NULL &&
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

/* Sites, users, agents. */

int
store_site_add(struct store *st, const char *name, int64_t now,
    char **cause)
{
	static const char	 sql[] =
	    "INSERT INTO sites (name, created) VALUES (?, ?)";
	sqlite3_stmt		*s;
	int			 r;

	if (name == NULL || *name == '\0')
		return (err_set(cause, FERRY_ERR_INVAL, "empty site name"));
	if ((r = db_q(st->db, sql, &s, cause, "ti", name, now)) != 0)
		return (r);
	r = db_exec(st->db, s, cause);
	if (r == FERRY_ERR_EXIST)
		err_set(cause, r, "site %s already exists", name);
	return (r);
}

int
store_site_set_bwlimit(struct store *st, const char *name, int64_t bwlimit,
    char **cause)
{
	static const char	 sql[] =
	    "UPDATE sites SET bwlimit = ? WHERE name = ?";
	sqlite3_stmt		*s;
	int			 r;

	if (bwlimit < 0)
		return (err_set(cause, FERRY_ERR_INVAL, "negative bandwidth "
		    "limit"));
	if ((r = db_q(st->db, sql, &s, cause, "it", bwlimit, name)) != 0)
		return (r);
	if ((r = db_exec(st->db, s, cause)) != 0)
		return (r);
	if (sqlite3_changes(st->db->conn) == 0)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "no site %s", name));
	return (0);
}

static void
store_site_row(sqlite3_stmt *s, struct store_site *site)
{
	site->name = (char *)db_col_str(s, 0);
	site->bwlimit = sqlite3_column_int64(s, 1);
	site->created = sqlite3_column_int64(s, 2);
}

int
store_site_get(struct store *st, const char *name, struct store_site *out,
    char **cause)
{
	static const char	 sql[] =
	    "SELECT name, bwlimit, created FROM sites WHERE name = ?";
	struct store_site	 site;
	sqlite3_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "t", name)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) <= 0)
		return (r == 0 ? err_set(cause, FERRY_ERR_NOTFOUND,
		    "no site %s", name) : r);
	store_site_row(s, &site);
	r = store_dup(site.name, &site.name);
	db_reset(s);
	if (r != 0)
		return (store_nomem(cause));
	*out = site;
	return (0);
}

int
store_site_list(struct store *st,
    int (*cb)(void *, const struct store_site *), void *arg, char **cause)
{
	static const char	 sql[] =
	    "SELECT name, bwlimit, created FROM sites ORDER BY name";
	struct store_site	 site;
	sqlite3_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "")) != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1) {
		store_site_row(s, &site);
		if (cb(arg, &site) != 0) {
			db_reset(s);
			return (0);
		}
	}
	return (r);
}

void
store_site_clear(struct store_site *s)
{
	if (s == NULL)
		return;
	free(s->name);
	s->name = NULL;
}

int
store_user_set(struct store *st, const char *email,
    enum store_clearance clearance, int64_t now, char **cause)
{
	static const char	 sql[] =
	    "INSERT INTO users (email, clearance, created) VALUES (?, ?, ?)"
	    " ON CONFLICT (email) DO UPDATE SET clearance = excluded.clearance";
	sqlite3_stmt		*s;
	int			 r;

	if (email == NULL || *email == '\0')
		return (err_set(cause, FERRY_ERR_INVAL, "empty user email"));
	if (clearance == STORE_CLEARANCE_NONE)
		return (err_set(cause, FERRY_ERR_INVAL, "user %s needs a "
		    "clearance (employee or restricted)", email));
	r = db_q(st->db, sql, &s, cause, "tti", email,
	    store_clearance_col(clearance), now);
	if (r != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

int
store_user_get(struct store *st, const char *email,
    enum store_clearance *clearance, char **cause)
{
	static const char	 sql[] =
	    "SELECT clearance FROM users WHERE email = ?";
	sqlite3_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "t", email)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) <= 0)
		return (r == 0 ? err_set(cause, FERRY_ERR_NOTFOUND,
		    "no user %s", email) : r);
	*clearance = store_clearance_from(db_col_str(s, 0));
	db_reset(s);
	return (0);
}

int
store_user_list(struct store *st,
    int (*cb)(void *, const char *, enum store_clearance), void *arg,
    char **cause)
{
	static const char	 sql[] =
	    "SELECT email, clearance FROM users ORDER BY email";
	sqlite3_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "")) != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1) {
		if (cb(arg, db_col_str(s, 0), store_clearance_from(
		    db_col_str(s, 1))) != 0) {
			db_reset(s);
			return (0);
		}
	}
	return (r);
}

int
store_agent_add(struct store *st, const struct store_agent *a, int64_t now,
    int64_t *id, char **cause)
{
	static const char	 sql[] =
	    "INSERT INTO agents (name, role, site, email, clearance,"
	    " fingerprint, address, enrolled_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	static const char	 taken[] =
	    "SELECT 1 FROM agents WHERE name = ? AND fingerprint <> ?";
	sqlite3_stmt		*s;
	int			 user = a->role == STORE_ROLE_USER, r;

	if (a->name == NULL || (user ? a->email == NULL : a->site == NULL))
		return (err_set(cause, FERRY_ERR_INVAL, "agent needs a name "
		    "and a %s", user ? "user" : "site"));
	/* The hub finds an agent's link by name: one agent per name. */
	if ((r = db_q(st->db, taken, &s, cause, "th", a->name,
	    a->fingerprint)) != 0 ||
	    (r = db_step(st->db, s, cause)) < 0)
		return (r);
	if (r == 1) {
		db_reset(s);
		return (err_set(cause, FERRY_ERR_EXIST, "an agent named %s is "
		    "enrolled already: choose another --name", a->name));
	}
	r = db_q(st->db, sql, &s, cause, "ttttthti", a->name,
	    store_role_name(a->role), user ? NULL : a->site,
	    user ? a->email : NULL,
	    user ? store_clearance_col(a->clearance) : NULL, a->fingerprint,
	    a->address, now);
	if (r != 0)
		return (r);
	r = db_exec(st->db, s, cause);
	if (r == FERRY_ERR_EXIST)
		return (err_set(cause, r, "this key is already enrolled"));
	if (r == FERRY_ERR_NOTFOUND)
		return (err_set(cause, r, "no %s %s", user ? "user" : "site",
		    user ? a->email : a->site));
	if (r == 0 && id != NULL)
		*id = sqlite3_last_insert_rowid(st->db->conn);
	return (r);
}

static int
store_agent_copy(sqlite3_stmt *s, struct store_agent *a)
{
	const void	*fp;
	const char	*role;
	int		 r = 0;

	memset(a, 0, sizeof *a);
	a->id = sqlite3_column_int64(s, 0);
	role = db_col_str(s, 2);
	a->role = role != NULL && strcmp(role, "user") == 0 ?
	    STORE_ROLE_USER : STORE_ROLE_SITE;
	a->clearance = store_clearance_from(db_col_str(s, 5));
	fp = sqlite3_column_blob(s, 6);
	if (fp != NULL && sqlite3_column_bytes(s, 6) == STORE_FINGERPRINT_LEN)
		memcpy(a->fingerprint, fp, STORE_FINGERPRINT_LEN);
	a->enrolled_at = sqlite3_column_int64(s, 8);
	a->last_seen = sqlite3_column_int64(s, 9);
	r |= store_dup(db_col_str(s, 1), &a->name);
	r |= store_dup(db_col_str(s, 3), &a->site);
	r |= store_dup(db_col_str(s, 4), &a->email);
	r |= store_dup(db_col_str(s, 7), &a->address);
	if (r != 0) {
		store_agent_clear(a);
		return (FERRY_ERR_NOMEM);
	}
	return (0);
}

static int
store_agent_get_by(struct store *st, const char *sql, const char *fmt,
    const void *key, int64_t id, struct store_agent *out, char **cause)
{
	sqlite3_stmt	*s;
	int		 r;

	if (*fmt == 'h')
		r = db_q(st->db, sql, &s, cause, fmt, key);
	else
		r = db_q(st->db, sql, &s, cause, fmt, id);
	if (r != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) <= 0)
		return (r == 0 ? err_set(cause, FERRY_ERR_NOTFOUND,
		    "no such agent") : r);
	r = store_agent_copy(s, out);
	db_reset(s);
	return (r != 0 ? store_nomem(cause) : 0);
}

#define STORE_AGENT_SELECT \
	"SELECT id, name, role, site, email, clearance, fingerprint," \
	" address, enrolled_at, last_seen FROM agents"

int
store_agent_by_fingerprint(struct store *st,
    const unsigned char fp[STORE_FINGERPRINT_LEN], struct store_agent *out,
    char **cause)
{
	static const char	sql[] = STORE_AGENT_SELECT
	    " WHERE fingerprint = ?";

	return (store_agent_get_by(st, sql, "h", fp, 0, out, cause));
}

static int
store_agent_by_id(struct store *st, int64_t id, struct store_agent *out,
    char **cause)
{
	static const char	sql[] = STORE_AGENT_SELECT " WHERE id = ?";

	return (store_agent_get_by(st, sql, "i", NULL, id, out, cause));
}

int
store_agent_seen(struct store *st, int64_t id, const char *address,
    int64_t now, char **cause)
{
	static const char	 sql[] =
	    "UPDATE agents SET last_seen = ?, address = coalesce(?, address)"
	    " WHERE id = ?";
	sqlite3_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "iti", now, address, id)) != 0)
		return (r);
	if ((r = db_exec(st->db, s, cause)) != 0)
		return (r);
	if (sqlite3_changes(st->db->conn) == 0)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "no agent %jd",
		    (intmax_t)id));
	return (0);
}

void
store_agent_clear(struct store_agent *a)
{
	if (a == NULL)
		return;
	free(a->name);
	free(a->site);
	free(a->email);
	free(a->address);
	a->name = a->site = a->email = a->address = NULL;
}

/* Invites. */

int
store_invite_code(char *buf, size_t len, char **cause)
{
	static const char	 alphabet[] =
	    "0123456789abcdefghjkmnpqrstvwxyz";
	unsigned char		 raw[STORE_CODE_LEN * 5 / 8];
	unsigned		 bits = 0, acc = 0;
	size_t			 i, n = 0;

	if (len < STORE_CODE_LEN + 1)
		return (err_set(cause, FERRY_ERR_INVAL, "code buffer too "
		    "small"));
	if (RAND_bytes(raw, sizeof raw) != 1)
		return (err_set(cause, FERRY_ERR_CRYPTO, "no random bytes"));
	/* Base32 (Crockford's alphabet): 5 bits a character. */
	for (i = 0; i < sizeof raw; i++) {
		acc = (acc << 8) | raw[i];
		bits += 8;
		while (bits >= 5) {
			buf[n++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	buf[n] = '\0';
	OPENSSL_cleanse(raw, sizeof raw);
	return (0);
}

int
store_invite_hash(const char *code, unsigned char hash[STORE_HASH_LEN],
    char **cause)
{
	unsigned int	n = 0;

	if (code == NULL || *code == '\0')
		return (err_set(cause, FERRY_ERR_INVAL, "empty invite code"));
	if (EVP_Digest(code, strlen(code), hash, &n, EVP_sha256(),
	    NULL) != 1 || n != STORE_HASH_LEN)
		return (err_set(cause, FERRY_ERR_CRYPTO, "SHA-256 failed"));
	return (0);
}

int
store_invite_create(struct store *st, enum store_role kind,
    const char *target, enum store_clearance clearance, const char *code,
    int64_t now, int64_t ttl, int64_t *id, char **cause)
{
	static const char	 sql[] =
	    "INSERT INTO invites (code_hash, kind, site, email, clearance,"
	    " created, expires) VALUES (?, ?, ?, ?, ?, ?, ?)";
	unsigned char		 hash[STORE_HASH_LEN];
	sqlite3_stmt		*s;
	int			 user = kind == STORE_ROLE_USER, r;

	if (target == NULL || *target == '\0' || ttl <= 0)
		return (err_set(cause, FERRY_ERR_INVAL, "an invite needs a "
		    "%s and a positive lifetime", user ? "user" : "site"));
	if (user != (clearance != STORE_CLEARANCE_NONE))
		return (err_set(cause, FERRY_ERR_INVAL, "%s",
		    user ? "a user invite needs a clearance" :
		    "a site invite takes no clearance"));
	if ((r = store_invite_hash(code, hash, cause)) != 0 ||
	    (r = store_seal_key(st, hash, hash, 1, cause)) != 0)
		return (r);
	r = db_q(st->db, sql, &s, cause, "httttii", hash, store_role_name(kind),
	    user ? NULL : target, user ? target : NULL,
	    store_clearance_col(clearance), now, now + ttl);
	if (r != 0)
		return (r);
	r = db_exec(st->db, s, cause);
	if (r == FERRY_ERR_EXIST)
		return (err_set(cause, r, "this invite code exists already"));
	if (r == 0 && id != NULL)
		*id = sqlite3_last_insert_rowid(st->db->conn);
	return (r);
}

static void
store_time_str(int64_t t, char *buf, size_t len)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "%jd", (intmax_t)t);
}

static int
store_invite_copy(sqlite3_stmt *s, struct store_invite *inv)
{
	const char	*kind = db_col_str(s, 1);
	int		 r = 0;

	memset(inv, 0, sizeof *inv);
	inv->id = sqlite3_column_int64(s, 0);
	inv->kind = kind != NULL && strcmp(kind, "user") == 0 ?
	    STORE_ROLE_USER : STORE_ROLE_SITE;
	inv->clearance = store_clearance_from(db_col_str(s, 4));
	inv->created = sqlite3_column_int64(s, 5);
	inv->expires = sqlite3_column_int64(s, 6);
	inv->used_at = sqlite3_column_int64(s, 7);
	r |= store_dup(db_col_str(s, 2), &inv->site);
	r |= store_dup(db_col_str(s, 3), &inv->email);
	if (r != 0) {
		store_invite_clear(inv);
		return (FERRY_ERR_NOMEM);
	}
	return (0);
}

/* Why an invite cannot be used, or 0. */
static int
store_invite_check(const struct store_invite *inv, int64_t now,
    char **cause)
{
	char	when[64];

	if (inv->used_at != 0) {
		store_time_str(inv->used_at, when, sizeof when);
		return (err_set(cause, FERRY_ERR_USED, "this invite code was "
		    "already used, at %s", when));
	}
	if (inv->expires <= now) {
		store_time_str(inv->expires, when, sizeof when);
		return (err_set(cause, FERRY_ERR_EXPIRED, "this invite code "
		    "expired at %s", when));
	}
	return (0);
}

static int
store_invite_use_tx(struct store *st, const unsigned char *hash,
    const unsigned char *fp, int64_t now, struct store_invite *inv,
    char **cause)
{
	static const char	 get[] =
	    "SELECT id, kind, site, email, clearance, created, expires,"
	    " used_at FROM invites WHERE code_hash = ?";
	static const char	 use[] =
	    "UPDATE invites SET used_at = ?, used_by = ?"
	    " WHERE id = ? AND used_at IS NULL";
	sqlite3_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, get, &s, cause, "h", hash)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) <= 0)
		return (r == 0 ? err_set(cause, FERRY_ERR_NOTFOUND,
		    "unknown invite code") : r);
	r = store_invite_copy(s, inv);
	db_reset(s);
	if (r != 0)
		return (store_nomem(cause));
	if ((r = store_invite_check(inv, now, cause)) == 0)
		r = db_q(st->db, use, &s, cause, "ihi", now, fp, inv->id);
	if (r == 0)
		r = db_exec(st->db, s, cause);
	if (r == 0 && sqlite3_changes(st->db->conn) != 1)
		r = err_set(cause, FERRY_ERR_USED, "this invite code was "
		    "already used");
	if (r != 0)
		store_invite_clear(inv);
	else
		inv->used_at = now;
	return (r);
}

int
store_invite_use(struct store *st, const char *code,
    const unsigned char fp[STORE_FINGERPRINT_LEN], int64_t now,
    struct store_invite *out, char **cause)
{
	unsigned char		hash[STORE_HASH_LEN];
	struct store_invite	inv;
	int			r;

	if ((r = store_invite_hash(code, hash, cause)) != 0 ||
	    (r = store_seal_key(st, hash, hash, 1, cause)) != 0)
		return (r);
	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	r = store_invite_use_tx(st, hash, fp, now, &inv, cause);
	if ((r = db_end(st->db, r, cause)) != 0)
		return (r);
	if (out != NULL)
		*out = inv;
	else
		store_invite_clear(&inv);
	return (0);
}

static int
store_enroll_tx(struct store *st, const struct store_invite *inv,
    struct store_agent *a, int64_t now, char **cause)
{
	static const char	 site[] =
	    "INSERT OR IGNORE INTO sites (name, created) VALUES (?, ?)";
	static const char	 audit[] =
	    "INSERT INTO audit (time, who, what, detail) VALUES (?, ?,"
	    " 'enroll', ?)";
	char			 detail[96];
	sqlite3_stmt		*s;
	int			 r;

	if (inv->kind == STORE_ROLE_SITE) {
		a->site = inv->site;
		if ((r = db_q(st->db, site, &s, cause, "ti", inv->site,
		    now)) != 0 || (r = db_exec(st->db, s, cause)) != 0)
			return (r);
	} else {
		a->email = inv->email;
		a->clearance = inv->clearance;
		r = store_user_set(st, inv->email, inv->clearance, now, cause);
		if (r != 0)
			return (r);
	}
	a->role = inv->kind;
	if ((r = store_agent_add(st, a, now, &a->id, cause)) != 0)
		return (r);
	snprintf(detail, sizeof detail, "{\"invite\":%jd,\"agent\":%jd}",
	    (intmax_t)inv->id, (intmax_t)a->id);
	if ((r = db_q(st->db, audit, &s, cause, "itt", now, a->name,
	    detail)) != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

int
store_enroll(struct store *st, const char *code, const char *name,
    const unsigned char fp[STORE_FINGERPRINT_LEN], const char *address,
    int64_t now, struct store_agent *out, char **cause)
{
	unsigned char	hash[STORE_HASH_LEN];
	int		r;

	if ((r = store_invite_hash(code, hash, cause)) != 0)
		return (r);
	return (store_enroll_hash(st, hash, name, fp, address, now, out,
	    cause));
}

int
store_enroll_hash(struct store *st, const unsigned char *hash,
    const char *name, const unsigned char fp[STORE_FINGERPRINT_LEN],
    const char *address, int64_t now, struct store_agent *out, char **cause)
{
	struct store_invite	inv;
	struct store_agent	a;
	unsigned char		sealed[STORE_HASH_LEN];
	int			r;

	if (name == NULL || *name == '\0')
		return (err_set(cause, FERRY_ERR_INVAL, "empty agent name"));
	if ((r = store_seal_key(st, hash, sealed, 1, cause)) != 0)
		return (r);
	memset(&a, 0, sizeof a);
	a.name = (char *)name;
	a.address = (char *)address;
	memcpy(a.fingerprint, fp, STORE_FINGERPRINT_LEN);
	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	r = store_invite_use_tx(st, sealed, fp, now, &inv, cause);
	if (r == 0) {
		r = store_enroll_tx(st, &inv, &a, now, cause);
		store_invite_clear(&inv);
	}
	if ((r = db_end(st->db, r, cause)) != 0)
		return (r);
	if (out != NULL)
		return (store_agent_by_id(st, a.id, out, cause));
	return (0);
}

int
store_invite_keys(struct store *st,
    int (*cb)(void *, int64_t, const unsigned char *), void *arg,
    char **cause)
{
	static const char	 sql[] = "SELECT id, code_hash FROM invites";
	unsigned char		 key[STORE_HASH_LEN];
	sqlite3_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "")) != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) > 0) {
		if (sqlite3_column_bytes(s, 1) != STORE_HASH_LEN)
			continue;
		if ((r = store_seal_key(st, sqlite3_column_blob(s, 1), key, 0,
		    cause)) != 0 ||
		    (r = cb(arg, sqlite3_column_int64(s, 0), key)) != 0)
			break;
	}
	OPENSSL_cleanse(key, sizeof key);
	db_reset(s);
	return (r < 0 ? r : 0);
}

void
store_invite_clear(struct store_invite *inv)
{
	if (inv == NULL)
		return;
	free(inv->site);
	free(inv->email);
	inv->site = inv->email = NULL;
}

/* Shares and ACLs. */

static int
store_share_set_tx(struct store *st, const char *json, const char *who,
    int64_t now, int64_t *version, char **cause)
{
	static const char	 hist[] =
	    "INSERT INTO share_history (version, json, who, created)"
	    " VALUES ((SELECT coalesce(max(version), 0) + 1"
	    " FROM share_history), ?, ?, ?)";
	static const char	 cur[] =
	    "INSERT OR REPLACE INTO shares (id, version, json, updated)"
	    " VALUES (1, ?, ?, ?)";
	static const char	 audit[] =
	    "INSERT INTO audit (time, who, what, detail) VALUES (?, ?,"
	    " 'share.set', ?)";
	char			 detail[64];
	sqlite3_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, hist, &s, cause, "tti", json, who, now)) != 0 ||
	    (r = db_exec(st->db, s, cause)) != 0)
		return (r);
	*version = sqlite3_last_insert_rowid(st->db->conn);
	if ((r = db_q(st->db, cur, &s, cause, "iti", *version, json,
	    now)) != 0 || (r = db_exec(st->db, s, cause)) != 0)
		return (r);
	snprintf(detail, sizeof detail, "{\"version\":%jd}",
	    (intmax_t)*version);
	if ((r = db_q(st->db, audit, &s, cause, "itt", now,
	    who != NULL ? who : "", detail)) != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

int
store_share_set(struct store *st, const char *json, const char *who,
    int64_t now, int64_t *version, char **cause)
{
	int64_t	v = 0;
	int	r;

	if (json == NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "no share map text"));
	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	r = store_share_set_tx(st, json, who, now, &v, cause);
	if ((r = db_end(st->db, r, cause)) == 0 && version != NULL)
		*version = v;
	return (r);
}

static int
store_text_get(struct store *st, const char *sql, int64_t key, char **text,
    int64_t *version, char **cause)
{
	sqlite3_stmt	*s;
	char		*copy;
	int		 r;

	if ((r = db_q(st->db, sql, &s, cause, "i", key)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) <= 0)
		return (r == 0 ? err_set(cause, FERRY_ERR_NOTFOUND,
		    "no share map") : r);
	r = store_dup(db_col_str(s, 0), &copy);
	if (version != NULL)
		*version = sqlite3_column_int64(s, 1);
	db_reset(s);
	if (r != 0)
		return (store_nomem(cause));
	*text = copy;
	return (0);
}

int
store_share_get(struct store *st, char **json, int64_t *version,
    char **cause)
{
	static const char	sql[] =
	    "SELECT json, version FROM shares WHERE id = ?";

	return (store_text_get(st, sql, 1, json, version, cause));
}

int
store_share_version(struct store *st, int64_t version, char **json,
    char **cause)
{
	static const char	sql[] =
	    "SELECT json, version FROM share_history WHERE version = ?";

	return (store_text_get(st, sql, version, json, NULL, cause));
}

int
store_acl_set(struct store *st, const char *principal, const char *prefix,
    enum store_access access, char **cause)
{
	static const char	 sql[] =
	    "INSERT OR REPLACE INTO acls (principal, prefix, access)"
	    " VALUES (?, ?, ?)";
	sqlite3_stmt		*s;
	int			 r;

	if (principal == NULL || prefix == NULL || strchr(prefix, ':') ==
	    NULL || *prefix == ':')
		return (err_set(cause, FERRY_ERR_INVAL, "an ACL needs a "
		    "principal and a prefix share:path"));
	r = db_q(st->db, sql, &s, cause, "ttt", principal, prefix,
	    store_access_name(access));
	if (r != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

int
store_acl_delete(struct store *st, const char *principal,
    const char *prefix, char **cause)
{
	static const char	 sql[] =
	    "DELETE FROM acls WHERE principal = ? AND prefix = ?";
	sqlite3_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "tt", principal, prefix)) != 0)
		return (r);
	if ((r = db_exec(st->db, s, cause)) != 0)
		return (r);
	if (sqlite3_changes(st->db->conn) == 0)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "no ACL for %s on "
		    "%s", principal, prefix));
	return (0);
}

/* Whether prefix covers path, a whole path component at a time. */
static int
store_acl_covers(const char *prefix, const char *path)
{
	size_t	n = strlen(prefix);

	if (strncmp(prefix, path, n) != 0)
		return (0);
	if (n > 0 && (prefix[n - 1] == ':' || prefix[n - 1] == '/'))
		return (1);
	return (path[n] == '\0' || path[n] == '/');
}

int
store_acl_check(struct store *st, const char *principal, const char *path,
    enum store_access access, int *allowed, char **cause)
{
	static const char	 sql[] =
	    "SELECT prefix, access FROM acls WHERE principal = ?";
	sqlite3_stmt		*s;
	const char		*granted;
	int			 r, ok = 0;

	if ((r = db_q(st->db, sql, &s, cause, "t", principal)) != 0)
		return (r);
	while (!ok && (r = db_step(st->db, s, cause)) == 1) {
		granted = db_col_str(s, 1);
		if (!store_acl_covers(db_col_str(s, 0), path))
			continue;
		ok = access == STORE_ACCESS_READ ||
		    strcmp(granted, "write") == 0;
	}
	if (r < 0)
		return (r);
	if (r == 1)
		db_reset(s);
	*allowed = ok;
	return (0);
}

/* The audit trail. */

int
store_audit_add(struct store *st, int64_t now, const char *who,
    const char *what, const char *detail, char **cause)
{
	static const char	 sql[] =
	    "INSERT INTO audit (time, who, what, detail) VALUES (?, ?, ?, ?)";
	sqlite3_stmt		*s;
	int			 r;

	if (who == NULL || what == NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "audit needs who and "
		    "what"));
	r = db_q(st->db, sql, &s, cause, "ittt", now, who, what, detail);
	if (r != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

int
store_audit_list(struct store *st, int64_t after, size_t limit,
    int (*cb)(void *, const struct store_audit *), void *arg, char **cause)
{
	static const char	 sql[] =
	    "SELECT id, time, who, what, detail FROM audit WHERE id > ?"
	    " ORDER BY id LIMIT ?";
	struct store_audit	 a;
	sqlite3_stmt		*s;
	int			 r;

	r = db_q(st->db, sql, &s, cause, "ii", after,
	    limit == 0 ? (int64_t)-1 : (int64_t)limit);
	if (r != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1) {
		a.id = sqlite3_column_int64(s, 0);
		a.time = sqlite3_column_int64(s, 1);
		a.who = (char *)db_col_str(s, 2);
		a.what = (char *)db_col_str(s, 3);
		a.detail = (char *)db_col_str(s, 4);
		if (cb(arg, &a) != 0) {
			db_reset(s);
			return (0);
		}
	}
	return (r);
}

/* Jobs. */

static enum store_state
store_state_from(const char *name)
{
	enum store_state	s = STORE_ANY;

	if (name != NULL)
		store_state_parse(name, &s);
	return (s);
}

#define STORE_JOB_SELECT \
	"SELECT id, submitter, from_site, to_site, to_user, priority, note," \
	" meta, state, created, updated, n_tasks, n_queued, n_running," \
	" n_done, n_failed, n_cancelled, n_paused, bytes_total, bytes_done" \
	" FROM jobs"

/* A borrowed view of the current row of a STORE_JOB_SELECT. */
static void
store_job_row(sqlite3_stmt *s, struct store_job *j)
{
	int	i;

	memset(j, 0, sizeof *j);
	j->id = sqlite3_column_int64(s, 0);
	j->submitter = (char *)db_col_str(s, 1);
	j->from_site = (char *)db_col_str(s, 2);
	j->to_site = (char *)db_col_str(s, 3);
	j->to_user = (char *)db_col_str(s, 4);
	j->priority = sqlite3_column_int(s, 5);
	j->note = (char *)db_col_str(s, 6);
	j->meta = (char *)db_col_str(s, 7);
	j->state = store_state_from(db_col_str(s, 8));
	j->created = sqlite3_column_int64(s, 9);
	j->updated = sqlite3_column_int64(s, 10);
	j->ntasks = sqlite3_column_int64(s, 11);
	for (i = 0; i < STORE_STATE_COUNT; i++)
		j->count[i] = sqlite3_column_int64(s, 12 + i);
	j->bytes_total = sqlite3_column_int64(s, 18);
	j->bytes_done = sqlite3_column_int64(s, 19);
}

static int
store_exists(struct store *st, const char *sql, const char *key,
    const char *what, char **cause)
{
	sqlite3_stmt	*s;
	int		 r;

	if ((r = db_q(st->db, sql, &s, cause, "t", key)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) == 1) {
		db_reset(s);
		return (0);
	}
	return (r == 0 ? err_set(cause, FERRY_ERR_NOTFOUND, "no %s %s", what,
	    key) : r);
}

static int
store_job_check(struct store *st, const struct store_job *job,
    char **cause)
{
	static const char	site[] = "SELECT 1 FROM sites WHERE name = ?";
	static const char	user[] = "SELECT 1 FROM users WHERE email = ?";
	int			r;

	if (job->submitter == NULL || job->from_site == NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "a job needs a "
		    "submitter and a source site"));
	if ((job->to_site == NULL) == (job->to_user == NULL))
		return (err_set(cause, FERRY_ERR_INVAL, "a job goes to one "
		    "site or one user"));
	if (job->priority < 0 || job->priority > STORE_PRIORITY_MAX)
		return (err_set(cause, FERRY_ERR_INVAL, "priority %d is not "
		    "between 0 and %d", job->priority, STORE_PRIORITY_MAX));
	if ((r = store_exists(st, site, job->from_site, "site", cause)) != 0)
		return (r);
	if (job->to_site != NULL)
		return (store_exists(st, site, job->to_site, "site", cause));
	return (store_exists(st, user, job->to_user, "user", cause));
}

static int
store_task_insert(struct store *st, const struct store_job *job,
    int64_t id, const struct store_task *t, size_t i, int64_t now,
    char **cause)
{
	static const char	 sql[] =
	    "INSERT INTO tasks (job_id, dest, priority, src_path, dst_path,"
	    " basis, size, state, max_attempts, next_try)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)";
	sqlite3_stmt		*s;
	const char		*dest;
	int			 max, r;

	if (t->src_path == NULL || t->dst_path == NULL ||
	    *t->dst_path == '\0' || t->size < 0)
		return (err_set(cause, FERRY_ERR_INVAL, "task %zu: needs a "
		    "source, a destination and a size", i + 1));
	dest = job->to_site != NULL ? job->to_site : job->to_user;
	max = t->max_attempts > 0 ? t->max_attempts : st->max_attempts;
	r = db_q(st->db, sql, &s, cause, "itntttini", id, dest, job->priority,
	    t->src_path, t->dst_path, t->basis, t->size, max, now);
	if (r != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

static int
store_job_create_tx(struct store *st, const struct store_job *job,
    const struct store_task *tasks, size_t ntasks, int64_t now, int64_t *id,
    char **cause)
{
	static const char	 sql[] =
	    "INSERT INTO jobs (submitter, from_site, to_site, to_user,"
	    " priority, note, meta, state, created, updated, n_tasks,"
	    " n_queued, bytes_total) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
	    " ?, ?, ?)";
	char			 detail[96];
	sqlite3_stmt		*s;
	int64_t			 total = 0;
	size_t			 i;
	int			 r;

	if ((r = store_job_check(st, job, cause)) != 0)
		return (r);
	for (i = 0; i < ntasks; i++)
		total += tasks[i].size > 0 ? tasks[i].size : 0;
	r = db_q(st->db, sql, &s, cause, "ttttntttiiiii", job->submitter,
	    job->from_site, job->to_site, job->to_user, job->priority,
	    job->note, job->meta, ntasks > 0 ? "running" : "done", now, now,
	    (int64_t)ntasks, (int64_t)ntasks, total);
	if (r != 0 || (r = db_exec(st->db, s, cause)) != 0)
		return (r);
	*id = sqlite3_last_insert_rowid(st->db->conn);
	for (i = 0; r == 0 && i < ntasks; i++)
		r = store_task_insert(st, job, *id, &tasks[i], i, now, cause);
	if (r != 0)
		return (r);
	snprintf(detail, sizeof detail, "{\"job\":%jd,\"tasks\":%zu}",
	    (intmax_t)*id, ntasks);
	return (store_audit_add(st, now, job->submitter, "job.create", detail,
	    cause));
}

int
store_job_create(struct store *st, const struct store_job *job,
    const struct store_task *tasks, size_t ntasks, int64_t now, int64_t *id,
    char **cause)
{
	int64_t	new_id = 0;
	int	r;

	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	r = store_job_create_tx(st, job, tasks, ntasks, now, &new_id, cause);
	if ((r = db_end(st->db, r, cause)) == 0 && id != NULL)
		*id = new_id;
	return (r);
}

static int
store_job_copy(const struct store_job *src, struct store_job *dst)
{
	int	r = 0;

	*dst = *src;
	r |= store_dup(src->submitter, &dst->submitter);
	r |= store_dup(src->from_site, &dst->from_site);
	r |= store_dup(src->to_site, &dst->to_site);
	r |= store_dup(src->to_user, &dst->to_user);
	r |= store_dup(src->note, &dst->note);
	r |= store_dup(src->meta, &dst->meta);
	if (r != 0) {
		store_job_clear(dst);
		return (FERRY_ERR_NOMEM);
	}
	return (0);
}

int
store_job_get(struct store *st, int64_t id, struct store_job *out,
    char **cause)
{
	static const char	 sql[] = STORE_JOB_SELECT " WHERE id = ?";
	struct store_job	 j;
	sqlite3_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "i", id)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) <= 0)
		return (r == 0 ? err_set(cause, FERRY_ERR_NOTFOUND,
		    "no job %jd", (intmax_t)id) : r);
	store_job_row(s, &j);
	r = store_job_copy(&j, out);
	db_reset(s);
	return (r != 0 ? store_nomem(cause) : 0);
}

int
store_job_list(struct store *st, enum store_state state, size_t limit,
    int (*cb)(void *, const struct store_job *), void *arg, char **cause)
{
	static const char	 sql[] = STORE_JOB_SELECT
	    " WHERE ?1 IS NULL OR state = ?1 ORDER BY id DESC LIMIT ?2";
	struct store_job	 j;
	sqlite3_stmt		*s;
	int			 r;

	r = db_q(st->db, sql, &s, cause, "ti",
	    state == STORE_ANY ? NULL : store_state_name(state),
	    limit == 0 ? (int64_t)-1 : (int64_t)limit);
	if (r != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1) {
		store_job_row(s, &j);
		if (cb(arg, &j) != 0) {
			db_reset(s);
			return (0);
		}
	}
	return (r);
}

int
store_job_set_meta(struct store *st, int64_t id, const char *meta,
    int64_t now, char **cause)
{
	static const char	 sql[] =
	    "UPDATE jobs SET meta = ?, updated = ? WHERE id = ?";
	sqlite3_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "tii", meta, now, id)) != 0)
		return (r);
	if ((r = db_exec(st->db, s, cause)) != 0)
		return (r);
	if (sqlite3_changes(st->db->conn) == 0)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "no job %jd",
		    (intmax_t)id));
	return (0);
}

void
store_job_clear(struct store_job *j)
{
	if (j == NULL)
		return;
	free(j->submitter);
	free(j->from_site);
	free(j->to_site);
	free(j->to_user);
	free(j->note);
	free(j->meta);
	j->submitter = j->from_site = j->to_site = j->to_user = NULL;
	j->note = j->meta = NULL;
}

/* Tasks: rows. */

/* A borrowed view of a row of the task columns, in store_task_get order. */
static void
store_task_row(sqlite3_stmt *s, struct store_task *t)
{
	t->id = sqlite3_column_int64(s, 0);
	t->job_id = sqlite3_column_int64(s, 1);
	t->dest = (char *)db_col_str(s, 2);
	t->src_path = (char *)db_col_str(s, 3);
	t->dst_path = (char *)db_col_str(s, 4);
	t->basis = (char *)db_col_str(s, 5);
	t->size = sqlite3_column_int64(s, 6);
	t->priority = sqlite3_column_int(s, 7);
	t->state = store_state_from(db_col_str(s, 8));
	t->attempts = sqlite3_column_int(s, 9);
	t->max_attempts = sqlite3_column_int(s, 10);
	t->next_try = sqlite3_column_int64(s, 11);
	t->bytes_done = sqlite3_column_int64(s, 12);
	t->last_progress = sqlite3_column_int64(s, 13);
	t->error = (char *)db_col_str(s, 14);
	t->started = sqlite3_column_int64(s, 15);
	t->finished = sqlite3_column_int64(s, 16);
}

int
store_task_get(struct store *st, int64_t id, struct store_task *out,
    char **cause)
{
	static const char	 sql[] = "SELECT id, job_id, dest, src_path,"
	    " dst_path, basis, size, priority, state, attempts, max_attempts,"
	    " next_try, bytes_done, last_progress, error, started, finished"
	    " FROM tasks WHERE id = ?";
	struct store_task	 t;
	sqlite3_stmt		*s;
	int			 r = 0;

	if ((r = db_q(st->db, sql, &s, cause, "i", id)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) <= 0)
		return (r == 0 ? err_set(cause, FERRY_ERR_NOTFOUND,
		    "no task %jd", (intmax_t)id) : r);
	store_task_row(s, &t);
	r = store_dup(t.dest, &t.dest);
	r |= store_dup(t.src_path, &t.src_path);
	r |= store_dup(t.dst_path, &t.dst_path);
	r |= store_dup(t.basis, &t.basis);
	r |= store_dup(t.error, &t.error);
	db_reset(s);
	if (r != 0) {
		store_task_clear(&t);
		return (store_nomem(cause));
	}
	*out = t;
	return (0);
}

int
store_job_tasks(struct store *st, int64_t id,
    int (*cb)(void *, const struct store_task *), void *arg, char **cause)
{
	static const char	 sql[] = "SELECT id, job_id, dest, src_path,"
	    " dst_path, basis, size, priority, state, attempts, max_attempts,"
	    " next_try, bytes_done, last_progress, error, started, finished"
	    " FROM tasks WHERE job_id = ? ORDER BY id";
	struct store_task	 t;
	sqlite3_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "i", id)) != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1) {
		store_task_row(s, &t);
		if (cb(arg, &t) != 0) {
			db_reset(s);
			return (0);
		}
	}
	return (r);
}

void
store_task_clear(struct store_task *t)
{
	if (t == NULL)
		return;
	free(t->dest);
	free(t->src_path);
	free(t->dst_path);
	free(t->basis);
	free(t->error);
	t->dest = t->src_path = t->dst_path = t->basis = t->error = NULL;
}

/* Tasks: the state machine. */

static int
store_task_allowed(const struct store_move *m, enum store_state to,
    char **cause)
{
	if (m->state >= 0 && m->state < STORE_STATE_COUNT &&
	    (store_moves[m->state] & M(to)) != 0)
		return (0);
	return (err_set(cause, FERRY_ERR_STATE, "task %jd is %s: it cannot "
	    "become %s", (intmax_t)m->id, store_state_name(m->state),
	    store_state_name(to)));
}

/*
 * Moves m to state to in memory, with what each transition implies; a
 * failure with attempts left goes on to queued with its backoff.
 */
static int
store_task_apply(struct store *st, struct store_move *m,
    enum store_state to, int64_t now, const char *error, char **cause)
{
	int	r;

	if ((r = store_task_allowed(m, to, cause)) != 0)
		return (r);
	m->state = to;
	switch (to) {
	case STORE_RUNNING:
		m->started = m->last_progress = now;
		m->finished = 0;
		break;
	case STORE_DONE:
		m->finished = now;
		m->bytes_done = m->size;
		m->error = NULL;
		m->set_error = 1;
		break;
	case STORE_FAILED:
		m->finished = now;
		m->attempts++;
		m->error = error;
		m->set_error = 1;
		if (m->attempts >= m->max_attempts)
			break;
		if ((r = store_task_allowed(m, STORE_QUEUED, cause)) != 0)
			return (r);
		m->state = STORE_QUEUED;
		m->next_try = now + store_backoff(st, m->attempts);
		break;
	case STORE_CANCELLED:
		m->finished = now;
		break;
	case STORE_QUEUED:
		m->next_try = now;
		break;
	default:
		break;
	}
	return (0);
}

static void
store_move_row(sqlite3_stmt *s, struct store_move *m)
{
	memset(m, 0, sizeof *m);
	m->id = sqlite3_column_int64(s, 0);
	m->job_id = sqlite3_column_int64(s, 1);
	m->state = store_state_from(db_col_str(s, 2));
	m->attempts = sqlite3_column_int(s, 3);
	m->max_attempts = sqlite3_column_int(s, 4);
	m->next_try = sqlite3_column_int64(s, 5);
	m->bytes_done = sqlite3_column_int64(s, 6);
	m->size = sqlite3_column_int64(s, 7);
	m->last_progress = sqlite3_column_int64(s, 8);
	m->started = sqlite3_column_int64(s, 9);
	m->finished = sqlite3_column_int64(s, 10);
}

#define STORE_MOVE_SELECT \
	"SELECT id, job_id, state, attempts, max_attempts, next_try," \
	" bytes_done, size, last_progress, started, finished FROM tasks"

static int
store_move_load(struct store *st, int64_t id, struct store_move *m,
    char **cause)
{
	static const char	 sql[] = STORE_MOVE_SELECT " WHERE id = ?";
	sqlite3_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "i", id)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) <= 0)
		return (r == 0 ? err_set(cause, FERRY_ERR_NOTFOUND,
		    "no task %jd", (intmax_t)id) : r);
	store_move_row(s, m);
	db_reset(s);
	return (0);
}

/* Changes to one job's counters, saved with store_tally_save(). */
struct store_tally {
	int64_t	n[STORE_STATE_COUNT];
	int64_t	bytes;
};

static int
store_tally_save(struct store *st, int64_t job_id,
    const struct store_tally *t, char **cause)
{
	static const char	 sql[] =
	    "UPDATE jobs SET n_queued = n_queued + ?,"
	    " n_running = n_running + ?,"
	    " n_done = n_done + ?, n_failed = n_failed + ?,"
	    " n_cancelled = n_cancelled + ?, n_paused = n_paused + ?,"
	    " bytes_done = bytes_done + ? WHERE id = ?";
	sqlite3_stmt		*s;
	int			 r;

	r = db_q(st->db, sql, &s, cause, "iiiiiiii", t->n[STORE_QUEUED],
	    t->n[STORE_RUNNING], t->n[STORE_DONE], t->n[STORE_FAILED],
	    t->n[STORE_CANCELLED], t->n[STORE_PAUSED], t->bytes, job_id);
	if (r != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

/* Writes a moved task. */
static int
store_move_save(struct store *st, const struct store_move *m, char **cause)
{
	static const char	 sql[] =
	    "UPDATE tasks SET state = ?, attempts = ?, next_try = ?,"
	    " bytes_done = ?, last_progress = ?, started = ?, finished = ?,"
	    " error = CASE WHEN ? THEN ? ELSE error END WHERE id = ?";
	sqlite3_stmt		*s;
	int			 r;

	r = db_q(st->db, sql, &s, cause, "tniizzznti", store_state_name(
	    m->state), m->attempts, m->next_try, m->bytes_done,
	    m->last_progress, m->started, m->finished, m->set_error, m->error,
	    m->id);
	if (r != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

/* Keeps the job's state what its task counters say it is. */
static int
store_job_derive(struct store *st, int64_t job_id, int64_t now,
    char **cause)
{
	static const char	 sql[] =
	    "UPDATE jobs SET state = CASE"
	    " WHEN n_queued + n_running > 0 THEN 'running'"
	    " WHEN n_paused > 0 THEN 'paused'"
	    " WHEN n_failed > 0 THEN 'failed'"
	    " WHEN n_cancelled > 0 THEN 'cancelled'"
	    " ELSE 'done' END, updated = ? WHERE id = ?";
	sqlite3_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "ii", now, job_id)) != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

/*
 * Moves one loaded task and saves it, counting the change in tally; the
 * caller saves the tally and derives the job's state.
 */
static int
store_move(struct store *st, struct store_move *m, enum store_state to,
    int64_t now, const char *error, struct store_tally *tally, char **cause)
{
	enum store_state	from = m->state;
	int64_t			old_bytes = m->bytes_done;
	int			r;

	if ((r = store_task_apply(st, m, to, now, error, cause)) != 0)
		return (r);
	tally->n[from]--;
	tally->n[m->state]++;
	tally->bytes += m->bytes_done - old_bytes;
	return (store_move_save(st, m, cause));
}

/* One task's move with its job's counters and state. */
static int
store_move_one(struct store *st, struct store_move *m, enum store_state to,
    int64_t now, const char *error, char **cause)
{
	struct store_tally	tally;
	int			r;

	memset(&tally, 0, sizeof tally);
	if ((r = store_move(st, m, to, now, error, &tally, cause)) != 0 ||
	    (r = store_tally_save(st, m->job_id, &tally, cause)) != 0)
		return (r);
	return (store_job_derive(st, m->job_id, now, cause));
}

/* Fails with FERRY_ERR_STATE while another task writes id's destination. */
static int
store_dest_free(struct store *st, int64_t id, char **cause)
{
	static const char	 sql[] =
	    "SELECT r.id FROM tasks t JOIN tasks r ON r.dest = t.dest"
	    " AND r.dst_path = t.dst_path AND r.state = 'running'"
	    " AND r.id <> t.id WHERE t.id = ?";
	sqlite3_stmt		*s;
	int64_t			 other;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "i", id)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) <= 0)
		return (r);
	other = sqlite3_column_int64(s, 0);
	db_reset(s);
	return (err_set(cause, FERRY_ERR_STATE, "task %jd waits: task %jd is "
	    "writing the same destination file", (intmax_t)id,
	    (intmax_t)other));
}

/*
 * One task's transition, with its job's state, in one transaction. need,
 * unless STORE_ANY, is the only state the operation starts from.
 */
static int
store_task_op_tx(struct store *st, int64_t id, enum store_state need,
    enum store_state to, int64_t now, const char *error, char **cause)
{
	struct store_move	m;
	int			r;

	if ((r = store_move_load(st, id, &m, cause)) != 0)
		return (r);
	if (need != STORE_ANY && m.state != need)
		return (err_set(cause, FERRY_ERR_STATE, "task %jd is %s, not "
		    "%s", (intmax_t)id, store_state_name(m.state),
		    store_state_name(need)));
	if (to == STORE_RUNNING && (r = store_dest_free(st, id, cause)) != 0)
		return (r);
	/* A retry asked for by a person starts the count again. */
	if (need == STORE_FAILED)
		m.attempts = 0;
	return (store_move_one(st, &m, to, now, error, cause));
}

static int
store_task_op(struct store *st, int64_t id, enum store_state need,
    enum store_state to, int64_t now, const char *error, char **cause)
{
	int	r;

	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	r = store_task_op_tx(st, id, need, to, now, error, cause);
	return (db_end(st->db, r, cause));
}

int
store_task_start(struct store *st, int64_t id, int64_t now, char **cause)
{
	return (store_task_op(st, id, STORE_ANY, STORE_RUNNING, now, NULL,
	    cause));
}

int
store_task_done(struct store *st, int64_t id, int64_t now, char **cause)
{
	return (store_task_op(st, id, STORE_ANY, STORE_DONE, now, NULL,
	    cause));
}

int
store_task_fail(struct store *st, int64_t id, const char *error,
    int64_t now, char **cause)
{
	return (store_task_op(st, id, STORE_ANY, STORE_FAILED, now,
	    error != NULL ? error : "failed", cause));
}

int
store_task_cancel(struct store *st, int64_t id, int64_t now, char **cause)
{
	return (store_task_op(st, id, STORE_ANY, STORE_CANCELLED, now, NULL,
	    cause));
}

int
store_task_pause(struct store *st, int64_t id, int64_t now, char **cause)
{
	return (store_task_op(st, id, STORE_ANY, STORE_PAUSED, now, NULL,
	    cause));
}

/* Only a paused task resumes; failed -> queued is a retry. */
int
store_task_resume(struct store *st, int64_t id, int64_t now, char **cause)
{
	return (store_task_op(st, id, STORE_PAUSED, STORE_QUEUED, now, NULL,
	    cause));
}

int
store_task_retry(struct store *st, int64_t id, int64_t now, char **cause)
{
	return (store_task_op(st, id, STORE_FAILED, STORE_QUEUED, now, NULL,
	    cause));
}

int
store_task_progress(struct store *st, int64_t id, int64_t bytes_done,
    int64_t now, char **cause)
{
	static const char	 task[] =
	    "UPDATE tasks SET bytes_done = ?, last_progress = ? WHERE id = ?";
	static const char	 job[] =
	    "UPDATE jobs SET bytes_done = bytes_done + ?, updated = ?"
	    " WHERE id = ?";
	struct store_move	 m;
	sqlite3_stmt		*s;
	int			 r;

	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	r = store_move_load(st, id, &m, cause);
	if (r == 0 && m.state != STORE_RUNNING)
		r = err_set(cause, FERRY_ERR_STATE, "task %jd is %s, not "
		    "running", (intmax_t)id, store_state_name(m.state));
	if (r == 0)
		r = db_q(st->db, task, &s, cause, "iii", bytes_done, now, id);
	if (r == 0)
		r = db_exec(st->db, s, cause);
	if (r == 0)
		r = db_q(st->db, job, &s, cause, "iii",
		    bytes_done - m.bytes_done, now, m.job_id);
	if (r == 0)
		r = db_exec(st->db, s, cause);
	return (db_end(st->db, r, cause));
}

/* Job operations. */

struct store_job_op {
	const char		*what;		/* audit */
	enum store_state	 to;
	unsigned		 from;		/* states it applies to */
	int			 reset;		/* attempts, for retry */
};

static const struct store_job_op store_job_ops[] = {
	{ "job.cancel", STORE_CANCELLED, ~0U, 0 },
	{ "job.pause", STORE_PAUSED, M(STORE_QUEUED) | M(STORE_RUNNING), 0 },
	{ "job.resume", STORE_QUEUED, M(STORE_PAUSED), 0 },
	{ "job.retry", STORE_QUEUED, M(STORE_FAILED), 1 }
};

/* Reads up to STORE_CHUNK of the job's tasks after task id after. */
static int
store_job_chunk(struct store *st, int64_t job_id, int64_t after,
    struct store_move *moves, size_t *n, char **cause)
{
	static const char	 sql[] = STORE_MOVE_SELECT
	    " WHERE job_id = ? AND id > ? ORDER BY id LIMIT ?";
	sqlite3_stmt		*s;
	int			 r;

	*n = 0;
	r = db_q(st->db, sql, &s, cause, "iin", job_id, after, STORE_CHUNK);
	if (r != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1)
		store_move_row(s, &moves[(*n)++]);
	return (r);
}

static int
store_job_op_tx(struct store *st, int64_t id, const struct store_job_op *op,
    int64_t now, size_t *changed, char **cause)
{
	struct store_move	*moves, *m;
	struct store_tally	 tally;
	size_t			 n, i;
	int64_t			 after = 0;
	int			 r;

	if ((moves = calloc(STORE_CHUNK, sizeof *moves)) == NULL)
		return (store_nomem(cause));
	memset(&tally, 0, sizeof tally);
	do {
		r = store_job_chunk(st, id, after, moves, &n, cause);
		for (i = 0; r == 0 && i < n; i++) {
			m = &moves[i];
			after = m->id;
			/* The table decides; the operation only narrows. */
			if ((op->from & M(m->state)) == 0 ||
			    (store_moves[m->state] & M(op->to)) == 0)
				continue;
			if (op->reset)
				m->attempts = 0;
			r = store_move(st, m, op->to, now, NULL, &tally,
			    cause);
			(*changed)++;
		}
	} while (r == 0 && n == STORE_CHUNK);
	free(moves);
	if (r == 0)
		r = store_tally_save(st, id, &tally, cause);
	return (r);
}

static int
store_job_op_run(struct store *st, int64_t id, const char *who,
    const struct store_job_op *op, int64_t now, size_t *changed,
    char **cause)
{
	struct store_job	job;
	char			detail[96];
	size_t			n = 0;
	int			r;

	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	if ((r = store_job_get(st, id, &job, cause)) != 0)
		return (db_end(st->db, r, cause));
	r = store_job_op_tx(st, id, op, now, &n, cause);
	if (r == 0 && n == 0)
		r = err_set(cause, FERRY_ERR_STATE, "job %jd is %s: no task "
		    "to %s", (intmax_t)id, store_state_name(job.state),
		    op->what + 4);
	store_job_clear(&job);
	if (r == 0)
		r = store_job_derive(st, id, now, cause);
	snprintf(detail, sizeof detail, "{\"job\":%jd,\"tasks\":%zu}",
	    (intmax_t)id, n);
	if (r == 0)
		r = store_audit_add(st, now, who != NULL ? who : "", op->what,
		    detail, cause);
	if ((r = db_end(st->db, r, cause)) == 0 && changed != NULL)
		*changed = n;
	return (r);
}

int
store_job_cancel(struct store *st, int64_t id, const char *who, int64_t now,
    size_t *changed, char **cause)
{
	return (store_job_op_run(st, id, who, &store_job_ops[0], now, changed,
	    cause));
}

int
store_job_pause(struct store *st, int64_t id, const char *who, int64_t now,
    size_t *changed, char **cause)
{
	return (store_job_op_run(st, id, who, &store_job_ops[1], now, changed,
	    cause));
}

int
store_job_resume(struct store *st, int64_t id, const char *who, int64_t now,
    size_t *changed, char **cause)
{
	return (store_job_op_run(st, id, who, &store_job_ops[2], now, changed,
	    cause));
}

int
store_job_retry(struct store *st, int64_t id, const char *who, int64_t now,
    size_t *changed, char **cause)
{
	return (store_job_op_run(st, id, who, &store_job_ops[3], now, changed,
	    cause));
}

/* Scheduling. */

/* Destinations handed out by one store_task_next call. */
struct store_taken {
	char	**keys;
	size_t	  n;
	size_t	  cap;
};

static int
store_taken_key(const struct store_task *t, char **key)
{
	if (asprintf(key, "%s\001%s", t->dest, t->dst_path) == -1)
		return (FERRY_ERR_NOMEM);
	return (0);
}

/* 1 if t's destination was taken already, else takes it (0), or error. */
static int
store_taken_add(struct store_taken *tk, const struct store_task *t)
{
	char	*key, **keys;
	size_t	 i;

	if (store_taken_key(t, &key) != 0)
		return (FERRY_ERR_NOMEM);
	for (i = 0; i < tk->n; i++) {
		if (strcmp(tk->keys[i], key) == 0) {
			free(key);
			return (1);
		}
	}
	if (tk->n == tk->cap) {
		keys = reallocarray(tk->keys, tk->cap + 16, sizeof *keys);
		if (keys == NULL) {
			free(key);
			return (FERRY_ERR_NOMEM);
		}
		tk->keys = keys;
		tk->cap += 16;
	}
	tk->keys[tk->n++] = key;
	return (0);
}

static void
store_taken_free(struct store_taken *tk)
{
	size_t	i;

	for (i = 0; i < tk->n; i++)
		free(tk->keys[i]);
	free(tk->keys);
}

int
store_task_next(struct store *st, int64_t now, size_t limit,
    int (*cb)(void *, const struct store_task *), void *arg, char **cause)
{
	static const char	 sql[] = "SELECT id, job_id, dest, src_path,"
	    " dst_path, basis, size, priority, state, attempts, max_attempts,"
	    " next_try, bytes_done, last_progress, error, started, finished"
	    " FROM tasks t WHERE state = 'queued' AND next_try <= ?"
	    " AND NOT EXISTS (SELECT 1 FROM tasks r WHERE r.state = 'running'"
	    " AND r.dest = t.dest AND r.dst_path = t.dst_path)"
	    " ORDER BY priority DESC, id";
	struct store_taken	 tk;
	struct store_task	 t;
	sqlite3_stmt		*s;
	size_t			 n = 0;
	int			 r, taken;

	memset(&tk, 0, sizeof tk);
	if ((r = db_q(st->db, sql, &s, cause, "i", now)) != 0)
		return (r);
	while ((limit == 0 || n < limit) &&
	    (r = db_step(st->db, s, cause)) == 1) {
		store_task_row(s, &t);
		if ((taken = store_taken_add(&tk, &t)) < 0) {
			r = store_nomem(cause);
			break;
		}
		if (taken)
			continue;
		n++;
		if (cb(arg, &t) != 0)
			break;
	}
	/* Stopped early (limit, callback or no memory): the row is open. */
	if (r == 1 || r == FERRY_ERR_NOMEM)
		db_reset(s);
	if (r == 1)
		r = 0;
	store_taken_free(&tk);
	return (r);
}

/* Recovery. */

static int
store_sweep_chunk(struct store *st, const char *sql, int64_t bound,
    struct store_move *moves, size_t *n, char **cause)
{
	sqlite3_stmt	*s;
	int		 r;

	*n = 0;
	r = db_q(st->db, sql, &s, cause, "in", bound, STORE_CHUNK);
	if (r != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1)
		store_move_row(s, &moves[(*n)++]);
	return (r);
}

/*
 * Moves every running task that sql (a STORE_MOVE_SELECT taking bound and
 * a limit) finds to state to. Moved tasks are no longer running, so each
 * query finds only ones not yet moved.
 */
static int
store_sweep(struct store *st, const char *sql, int64_t bound,
    enum store_state to, int64_t now, size_t *count, char **cause)
{
	struct store_move	*moves, *m;
	char			 error[96];
	size_t			 n, i, done = 0;
	int			 r;

	if ((moves = calloc(STORE_CHUNK, sizeof *moves)) == NULL)
		return (store_nomem(cause));
	if ((r = db_begin(st->db, cause)) != 0) {
		free(moves);
		return (r);
	}
	do {
		r = store_sweep_chunk(st, sql, bound, moves, &n, cause);
		for (i = 0; r == 0 && i < n; i++) {
			m = &moves[i];
			snprintf(error, sizeof error, "stalled: no progress "
			    "for %jd s", (intmax_t)(now - m->last_progress));
			r = store_move_one(st, m, to, now, error, cause);
			done++;
		}
	} while (r == 0 && n == STORE_CHUNK);
	free(moves);
	if ((r = db_end(st->db, r, cause)) == 0 && count != NULL)
		*count = done;
	return (r);
}

int
store_recover(struct store *st, int64_t now, size_t *n, char **cause)
{
	static const char	sql[] = STORE_MOVE_SELECT
	    " WHERE state = 'running' AND id > ? ORDER BY id LIMIT ?";

	return (store_sweep(st, sql, 0, STORE_QUEUED, now, n, cause));
}

int
store_stuck(struct store *st, int64_t now, int64_t stall, size_t *n,
    char **cause)
{
	static const char	sql[] = STORE_MOVE_SELECT
	    " WHERE state = 'running' AND last_progress < ? ORDER BY id"
	    " LIMIT ?";

	if (stall <= 0)
		return (err_set(cause, FERRY_ERR_INVAL, "stall time must be "
		    "positive"));
	return (store_sweep(st, sql, now - stall, STORE_FAILED, now, n,
	    cause));
}

int
store_invite_pending(struct store *st, const char *target, int64_t now,
    int *pending, char **cause)
{
	static const char	 sql[] = "SELECT 1 FROM invites WHERE"
	    " (site = ?1 OR email = ?1) AND used_at IS NULL AND expires > ?2"
	    " LIMIT 1";
	sqlite3_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "ti", target, now)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) < 0)
		return (r);
	*pending = r == 1;
	if (r == 1)
		db_reset(s);
	return (0);
}
