/* The SQLite back end of ferry's database layer (db.h, db-int.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "compat.h"
#include "db.h"
#include "db-int.h"
#include "err.h"

#define LITE(db)	((sqlite3 *)(db)->h)
#define STMT(s)		((sqlite3_stmt *)(s)->h)

/* Made here, 0600 whatever the umask, and never through a symlink. */
static int
lite_create_file(const char *path, char **cause)
{
	int	fd;

	if ((fd = compat_open_private(path)) == -1)
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", path,
		    strerror(errno)));
	close(fd);
	return (0);
}

/* journal_mode answers the mode it got: anything but wal is an error. */
static int
lite_wal(sqlite3 *db, const char *path, char **cause)
{
	sqlite3_stmt		*s;
	const unsigned char	*mode;
	int			 rc, r = 0;

	rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", path,
		    sqlite3_errmsg(db)));
	if (sqlite3_step(s) != SQLITE_ROW)
		r = err_set(cause, FERRY_ERR_IO, "%s: %s", path,
		    sqlite3_errmsg(db));
	else if ((mode = sqlite3_column_text(s, 0)) == NULL ||
	    strcmp((const char *)mode, "wal") != 0)
		r = err_set(cause, FERRY_ERR_IO, "%s: cannot use WAL mode "
		    "(journal mode is %s)", path, mode != NULL ?
		    (const char *)mode : "unknown");
	sqlite3_finalize(s);
	return (r);
}

int
db_sqlite_open(const char *path, const struct db_options *opt,
    struct db *db, char **cause)
{
	sqlite3	*conn = NULL;
	int	 rc, r;

	if ((r = lite_create_file(path, cause)) != 0)
		return (r);
	/* One thread at a time uses a connection: no mutexes needed. */
	rc = sqlite3_open_v2(path, &conn, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		r = err_set(cause, FERRY_ERR_IO, "%s: %s", path,
		    conn != NULL ? sqlite3_errmsg(conn) : sqlite3_errstr(rc));
		sqlite3_close_v2(conn);
		return (r);
	}
	sqlite3_extended_result_codes(conn, 1);
	sqlite3_busy_timeout(conn, opt->busy_ms);
	if ((r = lite_wal(conn, path, cause)) == 0 &&
	    sqlite3_exec(conn, "PRAGMA synchronous = FULL;"
	    "PRAGMA foreign_keys = ON;", NULL, NULL, NULL) != SQLITE_OK)
		r = err_set(cause, FERRY_ERR_IO, "%s: %s", path,
		    sqlite3_errmsg(conn));
	if (r != 0) {
		sqlite3_close_v2(conn);
		return (r);
	}
	db->h = conn;
	return (0);
}

static void
lite_close(struct db *db)
{
	sqlite3_close_v2(LITE(db));
}

/* Maps SQLite's rc to a FERRY_ERR_* code and sets the cause. */
static int
lite_err(struct db *db, int rc, char **cause)
{
	int	code;

	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		code = FERRY_ERR_EXIST;
		break;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		code = FERRY_ERR_NOTFOUND;
		break;
	default:
		switch (rc & 0xff) {
		case SQLITE_CONSTRAINT:
		case SQLITE_MISMATCH:
		case SQLITE_RANGE:
			code = FERRY_ERR_INVAL;
			break;
		case SQLITE_NOMEM:
			code = FERRY_ERR_NOMEM;
			break;
		case SQLITE_BUSY:
		case SQLITE_LOCKED:
			code = FERRY_ERR_TIMEOUT;
			break;
		default:
			code = FERRY_ERR_IO;
			break;
		}
	}
	return (err_set(cause, code, "database: %s", sqlite3_errmsg(LITE(db))));
}

static int
lite_prepare(struct db *db, struct db_stmt *s, char **cause)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	rc = sqlite3_prepare_v3(LITE(db), s->sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK)
		return (lite_err(db, rc, cause));
	s->h = st;
	return (0);
}

static void
lite_finalize(struct db_stmt *s)
{
	sqlite3_finalize(STMT(s));
}

static void
lite_reset(struct db_stmt *s)
{
	sqlite3_reset(STMT(s));
	sqlite3_clear_bindings(STMT(s));
}

static int
lite_bind(struct db_stmt *s, const struct db_arg *a, int n, char **cause)
{
	int	i, rc = SQLITE_OK;

	for (i = 0; i < n && rc == SQLITE_OK; i++) {
		switch (a[i].type) {
		case 't':
			rc = sqlite3_bind_text(STMT(s), i + 1, a[i].s, -1,
			    SQLITE_STATIC);
			break;
		case 'i':
			rc = sqlite3_bind_int64(STMT(s), i + 1, a[i].i);
			break;
		case 'h':
			rc = sqlite3_bind_blob(STMT(s), i + 1, a[i].b,
			    DB_HASH_LEN, SQLITE_STATIC);
			break;
		default:
			rc = sqlite3_bind_null(STMT(s), i + 1);
			break;
		}
	}
	return (rc == SQLITE_OK ? 0 : lite_err(s->db, rc, cause));
}

static int
lite_step(struct db_stmt *s, char **cause)
{
	int	rc, r;

	rc = sqlite3_step(STMT(s));
	if (rc == SQLITE_ROW)
		return (1);
	r = rc == SQLITE_DONE ? 0 : lite_err(s->db, rc, cause);
	lite_reset(s);
	return (r);
}

static int64_t
lite_col_int64(struct db_stmt *s, int i)
{
	return (sqlite3_column_int64(STMT(s), i));
}

static double
lite_col_double(struct db_stmt *s, int i)
{
	return (sqlite3_column_double(STMT(s), i));
}

static const char *
lite_col_str(struct db_stmt *s, int i)
{
	return ((const char *)sqlite3_column_text(STMT(s), i));
}

static const void *
lite_col_blob(struct db_stmt *s, int i)
{
	return (sqlite3_column_blob(STMT(s), i));
}

static int
lite_col_bytes(struct db_stmt *s, int i)
{
	return (sqlite3_column_bytes(STMT(s), i));
}

static int
lite_col_null(struct db_stmt *s, int i)
{
	return (sqlite3_column_type(STMT(s), i) == SQLITE_NULL);
}

static int
lite_sql(struct db *db, const char *sql, char **cause)
{
	char	*msg = NULL;
	int	 rc, r = 0;

	rc = sqlite3_exec(LITE(db), sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		r = lite_err(db, sqlite3_extended_errcode(LITE(db)), cause);
		if (msg != NULL)
			err_set(cause, r, "database: %s", msg);
	}
	sqlite3_free(msg);
	return (r);
}

static int64_t
lite_changes(struct db *db)
{
	return (sqlite3_changes(LITE(db)));
}

/* A one-row, one-column PRAGMA; *out is the text, or NULL. */
static int
lite_pragma(struct db *db, const char *sql, char *out, size_t len,
    char **cause)
{
	sqlite3_stmt		*s;
	const unsigned char	*v;
	int			 rc, r = 0;

	rc = sqlite3_prepare_v2(LITE(db), sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return (lite_err(db, rc, cause));
	if ((rc = sqlite3_step(s)) == SQLITE_ROW &&
	    (v = sqlite3_column_text(s, 0)) != NULL)
		snprintf(out, len, "%s", (const char *)v);
	else if (rc != SQLITE_ROW)
		r = lite_err(db, rc, cause);
	sqlite3_finalize(s);
	return (r);
}

static int
lite_check(struct db *db, char **cause)
{
	char	res[64] = "";
	int	r;

	if ((r = lite_pragma(db, "PRAGMA quick_check", res, sizeof res,
	    cause)) != 0)
		return (r);
	if (strcmp(res, "ok") != 0)
		return (err_set(cause, FERRY_ERR_IO, "quick_check failed"));
	return (0);
}

static int
lite_version(struct db *db, int *version, char **cause)
{
	char	v[32] = "0";
	int	r;

	if ((r = lite_pragma(db, "PRAGMA user_version", v, sizeof v,
	    cause)) == 0)
		*version = atoi(v);
	return (r);
}

/* BEGIN IMMEDIATE has the write lock already. */
static int
lite_migrate_lock(struct db *db, char **cause)
{
	(void)db;
	(void)cause;
	return (0);
}

static int
lite_set_version(struct db *db, int version, char **cause)
{
	char	pragma[64];

	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", version);
	return (lite_sql(db, pragma, cause));
}

const struct db_backend db_sqlite_backend = {
	.kind = DB_SQLITE,
	.begin = "BEGIN IMMEDIATE",
	/*
	 * WAL with synchronous=NORMAL: the commit is not flushed, but the
	 * log's frames are checksummed in a chain, so after a power cut
	 * the database is as of some earlier commit, never torn; the next
	 * durable commit's flush (or a checkpoint's) covers this one too.
	 * A killed process loses nothing: the log is in the kernel's hands.
	 */
	.light_before = "PRAGMA synchronous = NORMAL",
	.light_after = "PRAGMA synchronous = FULL",
	.prepare = lite_prepare,
	.finalize = lite_finalize,
	.bind = lite_bind,
	.step = lite_step,
	.reset = lite_reset,
	.col_int64 = lite_col_int64,
	.col_double = lite_col_double,
	.col_str = lite_col_str,
	.col_blob = lite_col_blob,
	.col_bytes = lite_col_bytes,
	.col_null = lite_col_null,
	.sql = lite_sql,
	.changes = lite_changes,
	.check = lite_check,
	.version = lite_version,
	.migrate_lock = lite_migrate_lock,
	.set_version = lite_set_version,
	.close = lite_close,
};
