/*
 * ferry's database layer, for the hub's store and ferry-ftrack's spool,
 * with two back ends behind one interface: SQLite (a path; the default)
 * and PostgreSQL (a postgresql:// URL, when built with libpq).
 *
 * SQLite is opened the one way both users need (the file made 0600
 * before SQLite touches it, WAL mode checked, synchronous=FULL so that a
 * commit is on disk before anyone acts on it, foreign keys on, a busy
 * timeout). Both back ends cache prepared statements by SQL text, bind
 * with one binder, nest transactions and run the schema's migrations.
 * SQL is written with SQLite's `?` and `?N` placeholders; the PostgreSQL
 * back end turns them into $N. One thread at a time uses a struct db.
 */
#ifndef FERRY_DB_H
#define FERRY_DB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Statements are kept for the life of the database, by SQL text. */
#define DB_CACHE	160
/* What the binder's h takes: a blob of this many bytes. */
#define DB_HASH_LEN	32

struct db;		/* a connection */
struct db_stmt;		/* a prepared statement, owned by its db */

enum db_kind {
	DB_SQLITE,
	DB_POSTGRESQL
};

/* Options for db_open_with; zero means the default. */
struct db_options {
	int		 busy_ms;	/* SQLite's busy timeout */
	/* PostgreSQL: a 0600 password file (libpq's passfile), checked. */
	const char	*password_file;
	int		 connect_s;	/* PostgreSQL: connect timeout */
	/*
	 * PostgreSQL: this connection holds a lease (db_lease): it is
	 * checked more often when idle (every connection gives up on data
	 * unacknowledged for DB_LEASE_CLIENT_MS, and reconnects within
	 * that; the server ends a session, and frees its lease,
	 * DB_LEASE_SILENT_MS after it last heard from it).
	 */
	int		 lease;
};

/*
 * The lease's clocks (docs/operations.md, "Fencing"). The server ends a
 * session it has not heard from for DB_LEASE_SILENT_MS (TCP keepalives and
 * tcp_user_timeout, set on every connection), which frees the lease for a
 * standby. The holder stops acting DB_LEASE_FENCE_MS after it sent its
 * last lease check that succeeded: the server heard that check no earlier
 * than it was sent, so the holder stops at least SILENT - FENCE before
 * anyone else can hold the lease.
 */
#define DB_LEASE_SILENT_MS	6000
#define DB_LEASE_FENCE_MS	3000
#define DB_LEASE_CLIENT_MS	2000

/*
 * target is a file path (SQLite) or a postgresql:// or postgres:// URL
 * (PostgreSQL). On failure *dbp is NULL and the cause names target
 * (without any password). A URL that carries a password is refused:
 * it would end up in argv and config files.
 */
int		 db_open(const char *target, int busy_ms, struct db **dbp,
		     char **cause);
int		 db_open_with(const char *target,
		     const struct db_options *opt, struct db **dbp,
		     char **cause);
void		 db_close(struct db *db);
/*
 * Fencing: from until_ms (clock_ms()) on, every statement on db fails
 * (FERRY_ERR_UNREACHABLE) and no transaction commits, until it is moved
 * on again; 0: never. Thread-safe: another thread (the lease's) moves it.
 */
void		 db_fence_at(struct db *db, int64_t until_ms);
enum db_kind	 db_kind(const struct db *db);
/* Whether target names a PostgreSQL database rather than a file. */
int		 db_is_url(const char *target);
/* Whether this build has the PostgreSQL back end. */
int		 db_have_postgresql(void);

/*
 * sql must be a string that lives as long as db (a literal): statements
 * are cached by its address. db_q prepares (or finds) it and binds by
 * fmt: t text (NULL binds NULL; it must outlive the statement's use),
 * i int64_t, z int64_t with 0 binding NULL, n int, h a DB_HASH_LEN blob.
 * db_step answers 1 for a row, 0 at the end (reset), < 0 on error
 * (reset); a caller that stops before the end calls db_reset. db_exec
 * runs a statement to the end; db_sql runs SQL text uncached (several
 * statements, no parameters).
 */
int		 db_q(struct db *db, const char *sql, struct db_stmt **sp,
		     char **cause, const char *fmt, ...);
int		 db_vq(struct db *db, const char *sql, struct db_stmt **sp,
		     char **cause, const char *fmt, va_list ap);
int		 db_step(struct db *db, struct db_stmt *s, char **cause);
int		 db_exec(struct db *db, struct db_stmt *s, char **cause);
int		 db_sql(struct db *db, const char *sql, char **cause);
void		 db_reset(struct db_stmt *s);

/*
 * The current row's columns, from 0. NULL reads as 0 or NULL; a
 * boolean (PostgreSQL) as 1 or 0. Strings and blobs stay valid until
 * the next db_step or db_reset of s.
 */
int64_t		 db_col_int64(struct db_stmt *s, int i);
int		 db_col_int(struct db_stmt *s, int i);
double		 db_col_double(struct db_stmt *s, int i);
const char	*db_col_str(struct db_stmt *s, int i);
const void	*db_col_blob(struct db_stmt *s, int i);
int		 db_col_bytes(struct db_stmt *s, int i);
int		 db_col_null(struct db_stmt *s, int i);

/*
 * Many rows, few statements. A db_rows collects the rows of one INSERT
 * and runs them as multi-row statements (INSERT ... VALUES (...), (...),
 * standard SQL on both back ends) of up to DB_ROWS_MAX rows and 999
 * parameters: on PostgreSQL each statement is a round trip, on SQLite
 * a step through the statement machine, so a job's 100,000 tasks are
 * about a thousand statements instead of 100,000. head is the
 * statement up to VALUES
 * ("INSERT INTO t (a, b) VALUES"), row one row's tuple of bare ?
 * placeholders and nothing quoted ("(?, ?)"), fmt the binder's
 * letters for one row (as db_q's). head and row must be literals: the
 * statements made from them are cached by their addresses. Text is
 * copied at db_rows_add, so a row's strings need not outlive the call;
 * an h blob is not, and must live until the rows are flushed.
 * Rows run in the caller's transaction (open one around them), in the
 * order added; an error from a statement names the batch, not the row.
 * db_rows_flush runs what is pending; db_rows_close frees without
 * running it (after an error, or once flushed).
 */
#define DB_ROWS_MAX	128

struct db_rows;

int		 db_rows_open(struct db *db, const char *head,
		     const char *row, const char *fmt, struct db_rows **rp,
		     char **cause);
int		 db_rows_add(struct db_rows *r, char **cause, ...);
int		 db_rows_flush(struct db_rows *r, char **cause);
void		 db_rows_close(struct db_rows *r);

/* Rows changed by the last INSERT, UPDATE or DELETE run on db. */
int64_t		 db_changes(struct db *db);
/*
 * Runs s, an INSERT ... RETURNING of one integer (both back ends have
 * RETURNING; neither's "last id" is portable), to the end; *id (if not
 * NULL) is that integer.
 */
int		 db_exec_id(struct db *db, struct db_stmt *s, int64_t *id,
		     char **cause);
/*
 * Whether the database answers now (PostgreSQL: a round trip, and one
 * reconnection if the server went away; SQLite: always 0). Outside a
 * transaction only.
 */
int		 db_ping(struct db *db, char **cause);
/*
 * A lease named key, held by this connection: PostgreSQL's session
 * advisory lock, which the server drops when the session ends (the
 * process killed, its machine gone), so one caller at a time holds it.
 * Each call keeps or takes it: *held is 1 if this connection holds it
 * now, 0 if another does, 2 if it held it before, lost it with its
 * session, and took it again (after a reconnection the old session's
 * lock is gone, and it is taken again only if nobody else took it). SQLite: always held (one
 * file on one machine). Use a connection for nothing else.
 */
int		 db_lease(struct db *db, int64_t key, int *held, char **cause);
/* Whether the database finds itself in order (SQLite's quick_check). */
int		 db_check(struct db *db, char **cause);

/*
 * BEGIN (IMMEDIATE on SQLite); nested calls join the outermost. db_end
 * commits the outermost if r is 0, else rolls back, and returns r or the
 * commit's error.
 */
int		 db_begin(struct db *db, char **cause);
int		 db_end(struct db *db, int r, char **cause);
/*
 * A light transaction: its commit survives the process being killed
 * (-9 included) but may be undone by a power cut or an OS crash, which
 * leaves the database as of an earlier commit, never torn; the next
 * durable commit makes it durable too (both back ends flush their log
 * in order). For what may be done again after such a cut (progress,
 * a transfer's start), never for what someone is told is safe. Nested
 * begins of either kind join the outermost, whose kind counts.
 */
int		 db_begin_light(struct db *db, char **cause);

/*
 * Schema versions (SQLite: PRAGMA user_version; PostgreSQL: the table
 * ferry_schema): migrations[i] takes the database from version i to
 * i + 1, each in its own transaction, written in the back end's own
 * dialect. A database at version 0 is refused unless create; one newer
 * than n is refused with FERRY_ERR_INVAL ("newer").
 */
int		 db_version(struct db *db, int *version, char **cause);
int		 db_migrate(struct db *db, const char *const *migrations,
		     int n, int create, char **cause);

#endif
