/* Opening ferry's SQLite databases (db.h). */
#include "config.h"

#include <errno.h>
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
