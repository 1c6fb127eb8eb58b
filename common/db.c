/* Opening ferry's SQLite databases (db.h). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "err.h"

/* Made here, 0600 whatever the umask, and never through a symlink. */
static int
db_create_file(const char *path, char **cause)
{
	int	fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", path,
		    strerror(errno)));
	if (fchmod(fd, 0600) == -1) {
		close(fd);
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", path,
		    strerror(errno)));
	}
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
db_open(const char *path, int busy_ms, sqlite3 **dbp, char **cause)
{
	sqlite3	*db = NULL;
	int	 rc, r;

	*dbp = NULL;
	if ((r = db_create_file(path, cause)) != 0)
		return (r);
	/* One thread at a time uses a connection: no mutexes needed. */
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		r = err_set(cause, FERRY_ERR_IO, "%s: %s", path, db != NULL ?
		    sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close_v2(db);
		return (r);
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, busy_ms);
	if ((r = db_wal(db, path, cause)) == 0 &&
	    sqlite3_exec(db, "PRAGMA synchronous = FULL;"
	    "PRAGMA foreign_keys = ON;", NULL, NULL, NULL) != SQLITE_OK)
		r = err_set(cause, FERRY_ERR_IO, "%s: %s", path,
		    sqlite3_errmsg(db));
	if (r != 0) {
		sqlite3_close_v2(db);
		return (r);
	}
	*dbp = db;
	return (0);
}

static int
db_fail(sqlite3 *db, const char *path, const char *what, char **cause)
{
	return (err_set(cause, FERRY_ERR_IO, "%s: %s: %s", path, what,
	    sqlite3_errmsg(db)));
}

int
db_exec(sqlite3 *db, const char *path, const char *sql, char **cause)
{
	char	*msg = NULL;
	int	 r = 0;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		r = err_set(cause, FERRY_ERR_IO, "%s: %s", path,
		    msg != NULL ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return (r);
}

int
db_vprepare(sqlite3 *db, const char *path, sqlite3_stmt **stp, char **cause,
    const char *sql, const char *types, va_list ap)
{
	sqlite3_stmt	*st;
	int		 i, rc = SQLITE_OK;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return (db_fail(db, path, "prepare", cause));
	for (i = 0; types[i] != '\0' && rc == SQLITE_OK; i++) {
		if (types[i] == 's')
			rc = sqlite3_bind_text(st, i + 1, va_arg(ap,
			    const char *), -1, SQLITE_TRANSIENT);
		else
			rc = sqlite3_bind_int64(st, i + 1, va_arg(ap,
			    int64_t));
	}
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return (db_fail(db, path, "bind", cause));
	}
	*stp = st;
	return (0);
}

int
db_prepare(sqlite3 *db, const char *path, sqlite3_stmt **stp, char **cause,
    const char *sql, const char *types, ...)
{
	va_list	ap;
	int	r;

	va_start(ap, types);
	r = db_vprepare(db, path, stp, cause, sql, types, ap);
	va_end(ap);
	return (r);
}

int
db_step(sqlite3 *db, const char *path, sqlite3_stmt *st, char **cause)
{
	int	rc;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return (1);
	if (rc == SQLITE_DONE)
		return (0);
	sqlite3_finalize(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return (err_set(cause, FERRY_ERR_EXIST, "%s: %s", path,
		    sqlite3_errmsg(db)));
	return (db_fail(db, path, "step", cause));
}

int
db_vrun(sqlite3 *db, const char *path, char **cause, const char *sql,
    const char *types, va_list ap)
{
	sqlite3_stmt	*st;
	int		 r;

	if ((r = db_vprepare(db, path, &st, cause, sql, types, ap)) != 0)
		return (r);
	if ((r = db_step(db, path, st, cause)) < 0)
		return (r);
	sqlite3_finalize(st);
	return (0);
}

int
db_run(sqlite3 *db, const char *path, char **cause, const char *sql,
    const char *types, ...)
{
	va_list	ap;
	int	r;

	va_start(ap, types);
	r = db_vrun(db, path, cause, sql, types, ap);
	va_end(ap);
	return (r);
}

int
db_migrate(sqlite3 *db, const char *path, const char *const *migrations,
    int n, const char *program, char **cause)
{
	sqlite3_stmt	*st;
	char		 sql[64];
	int		 version = 0, r;

	if ((r = db_prepare(db, path, &st, cause, "PRAGMA user_version",
	    "")) != 0)
		return (r);
	if ((r = db_step(db, path, st, cause)) < 0)
		return (r);
	version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > n)
		return (err_set(cause, FERRY_ERR_STATE, "%s: made by a newer "
		    "%s (schema %d, this one knows %d)", path, program,
		    version, n));
	for (; version < n; version++) {
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d;",
		    version + 1);
		if ((r = db_exec(db, path, "BEGIN IMMEDIATE", cause)) != 0)
			return (r);
		r = db_exec(db, path, migrations[version], cause);
		if (r != 0 || (r = db_exec(db, path, sql, cause)) != 0) {
			db_exec(db, path, "ROLLBACK", NULL);
			return (r);
		}
		if ((r = db_exec(db, path, "COMMIT", cause)) != 0)
			return (r);
	}
	return (0);
}
