/*
 * The database layer's inside (db.h): what db.c, which owns the cache,
 * the binder, transactions and migrations, asks of a back end
 * (db-sqlite.c, db-pg.c). Only common/db*.c and tests include this.
 */
#ifndef FERRY_DB_INT_H
#define FERRY_DB_INT_H

#include <stdatomic.h>
#include <stdarg.h>
#include <stdint.h>

#include "db.h"

/* One bound parameter, as db.c's binder read it from the caller. */
struct db_arg {
	char		 type;		/* 't', 'i', 'h' or 0 for NULL */
	int64_t		 i;
	const char	*s;
	const void	*b;		/* DB_HASH_LEN bytes */
};

struct db_backend {
	enum db_kind	  kind;
	const char	 *begin;	/* the SQL that opens a transaction */
	/*
	 * A light transaction (db_begin_light): SQL run before its BEGIN
	 * and after its end (SQLite, whose flush setting cannot change
	 * inside a transaction: "after" puts the durable one back), or
	 * right after its BEGIN (PostgreSQL's SET LOCAL, which ends with
	 * the transaction). NULL: none.
	 */
	const char	 *light_before, *light_after, *light_in;
	int		(*prepare)(struct db *, struct db_stmt *, char **);
	void		(*finalize)(struct db_stmt *);
	int		(*bind)(struct db_stmt *, const struct db_arg *, int,
			    char **);
	int		(*step)(struct db_stmt *, char **);
	void		(*reset)(struct db_stmt *);
	int64_t		(*col_int64)(struct db_stmt *, int);
	double		(*col_double)(struct db_stmt *, int);
	const char	*(*col_str)(struct db_stmt *, int);
	const void	*(*col_blob)(struct db_stmt *, int);
	int		(*col_bytes)(struct db_stmt *, int);
	int		(*col_null)(struct db_stmt *, int);
	int		(*sql)(struct db *, const char *, char **);
	int64_t		(*changes)(struct db *);
	int		(*check)(struct db *, char **);
	int		(*ping)(struct db *, char **);	/* NULL: always up */
	int		(*lease)(struct db *, int64_t, int *, char **);
	/* Reads the version; 0 for a database without ferry's schema. */
	int		(*version)(struct db *, int *, char **);
	/* Inside the migration's transaction: first lock, last record. */
	int		(*migrate_lock)(struct db *, char **);
	int		(*set_version)(struct db *, int, char **);
	void		(*close)(struct db *);
};

struct db_stmt {
	struct db	*db;
	const char	*sql;		/* the caller's literal: the key */
	void		*h;		/* the back end's statement */
};

/* A statement's text made by db_rows (db-rows.c), kept for the db's life. */
struct db_gen {
	const char	*head, *row;	/* the caller's literals */
	int		 nrows;
	char		*sql;
};
#define DB_GEN		32

struct db {
	const struct db_backend	*be;
	void			*h;	/* the back end's connection */
	int			 depth;	/* transaction nesting */
	/* light_before ran and light_after has not yet succeeded. */
	int			 relaxed;
	struct db_stmt		 cache[DB_CACHE];
	size_t			 ncache;
	_Atomic int64_t		 fence_ms;	/* db_fence_at's; 0: none */
	struct db_gen		 gen[DB_GEN];
	size_t			 ngen;
};

/* db.c's cache and binder, for db-rows.c. */
int	db_prepare(struct db *db, const char *sql, struct db_stmt **sp,
	    char **cause);
int	db_arg_read(struct db_arg *a, char type, va_list *ap, char **cause);
int	db_bind_args(struct db *db, const char *sql, struct db_stmt **sp,
	    const struct db_arg *args, int n, char **cause);

extern const struct db_backend db_sqlite_backend;
int	db_sqlite_open(const char *path, const struct db_options *opt,
	    struct db *db, char **cause);
#ifdef HAVE_LIBPQ
extern const struct db_backend db_pg_backend;
int	db_pg_open(const char *url, const struct db_options *opt,
	    struct db *db, char **cause);
#endif

#endif
