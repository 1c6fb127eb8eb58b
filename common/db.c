/* ferry's SQLite layer (db.h). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "db.h"
#include "err.h"

/* Made here, 0600 whatever the umask, and never through a symlink. */
static int
db_create_file(const char *path, char **cause)
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
db_wal(sqlite3 *db, const char *path, char **cause)
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
db_open(const char *path, int busy_ms, struct db **dbp, char **cause)
{
	struct db	*db;
	sqlite3		*conn = NULL;
	int		 rc, r;

	*dbp = NULL;
	if ((r = db_create_file(path, cause)) != 0)
		return (r);
	if ((db = calloc(1, sizeof *db)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	/* One thread at a time uses a connection: no mutexes needed. */
	rc = sqlite3_open_v2(path, &conn, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		r = err_set(cause, FERRY_ERR_IO, "%s: %s", path,
		    conn != NULL ? sqlite3_errmsg(conn) : sqlite3_errstr(rc));
		sqlite3_close_v2(conn);
		free(db);
		return (r);
	}
	db->conn = conn;
	sqlite3_extended_result_codes(conn, 1);
	sqlite3_busy_timeout(conn, busy_ms);
	if ((r = db_wal(conn, path, cause)) == 0 &&
	    sqlite3_exec(conn, "PRAGMA synchronous = FULL;"
	    "PRAGMA foreign_keys = ON;", NULL, NULL, NULL) != SQLITE_OK)
		r = err_set(cause, FERRY_ERR_IO, "%s: %s", path,
		    sqlite3_errmsg(conn));
	if (r != 0) {
		db_close(db);
		return (r);
	}
	*dbp = db;
	return (0);
}

void
db_close(struct db *db)
{
	size_t	i;

	if (db == NULL)
		return;
	for (i = 0; i < db->ncache; i++)
		sqlite3_finalize(db->cache[i].stmt);
	sqlite3_close_v2(db->conn);
	free(db);
}

int
db_err(struct db *db, int rc, char **cause)
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
	return (err_set(cause, code, "database: %s", sqlite3_errmsg(db->conn)));
}

void
db_reset(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static int
db_prepare(struct db *db, const char *sql, sqlite3_stmt **sp,
    char **cause)
{
	struct db_cached	*c;
	size_t			 i;
	int			 rc;

	for (i = 0; i < db->ncache; i++) {
		if (db->cache[i].sql == sql) {
			*sp = db->cache[i].stmt;
			return (0);
		}
	}
	if (db->ncache == DB_CACHE)
		return (err_set(cause, FERRY_ERR_INTERNAL,
		    "database: statement cache full"));
	c = &db->cache[db->ncache];
	rc = sqlite3_prepare_v3(db->conn, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &c->stmt, NULL);
	if (rc != SQLITE_OK)
		return (db_err(db, rc, cause));
	c->sql = sql;
	db->ncache++;
	*sp = c->stmt;
	return (0);
}

/*
 * Binds parameters 1, 2, ... by fmt: t text (NULL binds NULL), i int64_t,
 * z int64_t with 0 binding NULL, n int, h a 32-byte blob.
 */
static int
db_vbind(sqlite3_stmt *s, const char *fmt, va_list ap)
{
	const char	*str;
	const void	*blob;
	int64_t		 v;
	int		 i, rc = SQLITE_OK;

	for (i = 0; fmt[i] != '\0' && rc == SQLITE_OK; i++) {
		switch (fmt[i]) {
		case 't':
			str = va_arg(ap, const char *);
			if (str == NULL)
				rc = sqlite3_bind_null(s, i + 1);
			else
				rc = sqlite3_bind_text(s, i + 1, str, -1,
				    SQLITE_STATIC);
			break;
		case 'i':
			rc = sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
			break;
		case 'z':
			v = va_arg(ap, int64_t);
			if (v == 0)
				rc = sqlite3_bind_null(s, i + 1);
			else
				rc = sqlite3_bind_int64(s, i + 1, v);
			break;
		case 'n':
			rc = sqlite3_bind_int(s, i + 1, va_arg(ap, int));
			break;
		case 'h':
			blob = va_arg(ap, const void *);
			rc = sqlite3_bind_blob(s, i + 1, blob, DB_HASH_LEN,
			    SQLITE_STATIC);
			break;
		default:
			rc = SQLITE_MISUSE;
			break;
		}
	}
	return (rc);
}

int
db_vq(struct db *db, const char *sql, sqlite3_stmt **sp, char **cause,
    const char *fmt, va_list ap)
{
	sqlite3_stmt	*s = NULL;
	int		 r, rc;

	if ((r = db_prepare(db, sql, &s, cause)) != 0)
		return (r);
	if ((rc = db_vbind(s, fmt, ap)) != SQLITE_OK) {
		r = db_err(db, rc, cause);
		db_reset(s);
		return (r);
	}
	*sp = s;
	return (0);
}

int
db_q(struct db *db, const char *sql, sqlite3_stmt **sp, char **cause,
    const char *fmt, ...)
{
	va_list	ap;
	int	r;

	va_start(ap, fmt);
	r = db_vq(db, sql, sp, cause, fmt, ap);
	va_end(ap);
	return (r);
}

/* 1: a row is ready; 0: done (reset); < 0: error (reset). */
int
db_step(struct db *db, sqlite3_stmt *s, char **cause)
{
	int	rc, r;

	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return (1);
	r = rc == SQLITE_DONE ? 0 : db_err(db, rc, cause);
	db_reset(s);
	return (r);
}

/* Runs s to completion and resets it. */
int
db_exec(struct db *db, sqlite3_stmt *s, char **cause)
{
	int	r;

	r = db_step(db, s, cause);
	if (r == 1) {
		db_reset(s);
		r = 0;
	}
	return (r);
}

int
db_sql(struct db *db, const char *sql, char **cause)
{
	char	*msg = NULL;
	int	 rc, r = 0;

	rc = sqlite3_exec(db->conn, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		r = db_err(db, sqlite3_extended_errcode(db->conn), cause);
		if (msg != NULL)
			err_set(cause, r, "database: %s", msg);
	}
	sqlite3_free(msg);
	return (r);
}

const char *
db_col_str(sqlite3_stmt *s, int i)
{
	return ((const char *)sqlite3_column_text(s, i));
}

/* Transactions. */

int
db_begin(struct db *db, char **cause)
{
	int	r;

	if (db->depth++ > 0)
		return (0);
	if ((r = db_sql(db, "BEGIN IMMEDIATE", cause)) != 0)
		db->depth--;
	return (r);
}

/* Ends a db_begin(): commits the outermost if r is 0, else rolls back. */
int
db_end(struct db *db, int r, char **cause)
{
	if (--db->depth > 0)
		return (r);
	if (r == 0 && (r = db_sql(db, "COMMIT", cause)) == 0)
		return (0);
	db_sql(db, "ROLLBACK", NULL);
	return (r);
}

/* Migrations. */

int
db_version(struct db *db, int *version, char **cause)
{
	sqlite3_stmt	*s;
	int		 rc, r = 0;

	rc = sqlite3_prepare_v2(db->conn, "PRAGMA user_version", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return (db_err(db, rc, cause));
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*version = sqlite3_column_int(s, 0);
	else
		r = db_err(db, rc, cause);
	sqlite3_finalize(s);
	return (r);
}

/* One migration step, in its own transaction. */
static int
db_migrate_one(struct db *db, const char *const *migrations, int n,
    int *version, char **cause)
{
	char	pragma[64];
	int	r;

	if ((r = db_begin(db, cause)) != 0)
		return (r);
	/* Another process may have migrated while this one waited. */
	r = db_version(db, version, cause);
	if (r == 0 && *version < n) {
		r = db_sql(db, migrations[*version], cause);
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d",
		    *version + 1);
		if (r == 0)
			r = db_sql(db, pragma, cause);
		if (r == 0)
			(*version)++;
	}
	return (db_end(db, r, cause));
}

int
db_migrate(struct db *db, const char *const *migrations, int n, int create,
    char **cause)
{
	int	version, r;

	if ((r = db_version(db, &version, cause)) != 0)
		return (r);
	if (version == 0 && !create)
		return (err_set(cause, FERRY_ERR_STATE, "no ferry schema"));
	if (version > n)
		return (err_set(cause, FERRY_ERR_INVAL, "database schema "
		    "version %d is newer than this ferry's (%d)", version, n));
	while (r == 0 && version < n)
		r = db_migrate_one(db, migrations, n, &version, cause);
	return (r);
}
