/*
 * ferry's SQLite layer, for the hub's store and ferry-ftrack's spool:
 * opening a database the one way both need (the file made 0600 before
 * SQLite touches it, WAL mode checked, synchronous=FULL so that a commit
 * is on disk before anyone acts on it, foreign keys on, a busy timeout),
 * prepared statements cached by SQL text, one binder, nested IMMEDIATE
 * transactions and the schema's migrations. One thread at a time uses a
 * struct db.
 */
#ifndef FERRY_DB_H
#define FERRY_DB_H

#include <stdarg.h>
#include <stddef.h>

#include <sqlite3.h>

/* Statements are kept for the life of the database, by SQL text. */
#define DB_CACHE	96
/* What the binder's h takes: a blob of this many bytes. */
#define DB_HASH_LEN	32

struct db_cached {
	const char	*sql;
	sqlite3_stmt	*stmt;
};

struct db {
	sqlite3			*conn;
	int			 depth;		/* transaction nesting */
	struct db_cached	 cache[DB_CACHE];
	size_t			 ncache;
};

/* On failure *dbp is NULL and the cause names path. */
int		 db_open(const char *path, int busy_ms, struct db **dbp,
		     char **cause);
void		 db_close(struct db *db);

/*
 * sql must be a string that lives as long as db (a literal): statements
 * are cached by its address. db_q prepares (or finds) it and binds by
 * fmt: t text (NULL binds NULL; it must outlive the statement's use),
 * i int64_t, z int64_t with 0 binding NULL, n int, h a DB_HASH_LEN blob.
 * db_step answers 1 for a row, 0 at the end (reset), < 0 on error
 * (reset); a caller that stops before the end calls db_reset. db_exec
 * runs a statement to the end; db_sql runs SQL text uncached.
 */
int		 db_q(struct db *db, const char *sql, sqlite3_stmt **sp,
		     char **cause, const char *fmt, ...);
int		 db_vq(struct db *db, const char *sql, sqlite3_stmt **sp,
		     char **cause, const char *fmt, va_list ap);
int		 db_step(struct db *db, sqlite3_stmt *s, char **cause);
int		 db_exec(struct db *db, sqlite3_stmt *s, char **cause);
int		 db_sql(struct db *db, const char *sql, char **cause);
void		 db_reset(sqlite3_stmt *s);
const char	*db_col_str(sqlite3_stmt *s, int i);
/* Maps SQLite's rc to a FERRY_ERR_* code and sets the cause. */
int		 db_err(struct db *db, int rc, char **cause);

/*
 * BEGIN IMMEDIATE; nested calls join the outermost. db_end commits the
 * outermost if r is 0, else rolls back, and returns r or the commit's
 * error.
 */
int		 db_begin(struct db *db, char **cause);
int		 db_end(struct db *db, int r, char **cause);

/*
 * Schema versions (PRAGMA user_version): migrations[i] takes the
 * database from version i to i + 1, each in its own transaction. A
 * database at version 0 is refused unless create; one newer than n is
 * refused with FERRY_ERR_INVAL ("newer").
 */
int		 db_version(struct db *db, int *version, char **cause);
int		 db_migrate(struct db *db, const char *const *migrations,
		     int n, int create, char **cause);

#endif
