/*
 * Opening the SQLite databases ferry keeps its durable state in (the
 * hub's store, ferry-ftrack's spool) the one way both need: the file
 * made 0600 before SQLite touches it, WAL mode (checked, not assumed),
 * synchronous=FULL so that a commit is on disk before anyone acts on it,
 * foreign keys on, and a busy timeout.
 */
#ifndef FERRY_DB_H
#define FERRY_DB_H

#include <stdarg.h>

#include <sqlite3.h>

/* On failure *dbp is NULL and the cause names path. */
int	db_open(const char *path, int busy_ms, sqlite3 **dbp, char **cause);

/*
 * Statements, for stores that are one statement or one transaction per
 * function. path names the database in causes.
 */
/* Runs sql (any number of statements, no rows). */
int	db_exec(sqlite3 *db, const char *path, const char *sql, char **cause);
/*
 * Prepares sql and binds the arguments described by types, one letter
 * each: 's' a string (NULL binds NULL), 'i' an int64_t.
 */
int	db_prepare(sqlite3 *db, const char *path, sqlite3_stmt **stp,
	    char **cause, const char *sql, const char *types, ...);
int	db_vprepare(sqlite3 *db, const char *path, sqlite3_stmt **stp,
	    char **cause, const char *sql, const char *types, va_list ap);
/*
 * Steps st: 1 for a row, 0 when done, or an error (st is finalized then):
 * FERRY_ERR_EXIST for a constraint, FERRY_ERR_IO for the rest.
 */
int	db_step(sqlite3 *db, const char *path, sqlite3_stmt *st,
	    char **cause);
/* Prepares, binds and runs one statement that returns no row. */
int	db_run(sqlite3 *db, const char *path, char **cause, const char *sql,
	    const char *types, ...);
int	db_vrun(sqlite3 *db, const char *path, char **cause, const char *sql,
	    const char *types, va_list ap);
/*
 * Brings the schema (PRAGMA user_version) up to n: entry i takes it from
 * version i to i + 1, each in its own transaction. A database newer than
 * n is refused, naming program.
 */
int	db_migrate(sqlite3 *db, const char *path,
	    const char *const *migrations, int n, const char *program,
	    char **cause);

#endif
