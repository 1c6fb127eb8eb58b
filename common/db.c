/*
 * ferry's database layer (db.h): what both back ends share. The
 * statement cache, the binder, nested transactions and the migration
 * runner live here, so that the store and the spool behave alike on
 * SQLite and PostgreSQL; db-sqlite.c and db-pg.c only talk to their
 * library.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "db.h"
#include "db-int.h"
#include "clock.h"
#include "err.h"

int
db_is_url(const char *target)
{
	return (strncmp(target, "postgresql://", 13) == 0 ||
	    strncmp(target, "postgres://", 11) == 0);
}

int
db_have_postgresql(void)
{
#ifdef HAVE_LIBPQ
	return (1);
#else
	return (0);
#endif
}

int
db_open_with(const char *target, const struct db_options *opt,
    struct db **dbp, char **cause)
{
	static const struct db_options	 none;
	struct db			*db;
	int				 r;

	*dbp = NULL;
	if (opt == NULL)
		opt = &none;
	if ((db = calloc(1, sizeof *db)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	if (db_is_url(target)) {
#ifdef HAVE_LIBPQ
		db->be = &db_pg_backend;
		r = db_pg_open(target, opt, db, cause);
#else
		r = err_set(cause, FERRY_ERR_INVAL, "this ferry was "
		    "built without PostgreSQL (configure --with-postgresql)");
#endif
	} else {
		db->be = &db_sqlite_backend;
		r = db_sqlite_open(target, opt, db, cause);
	}
	if (r != 0) {
		free(db);
		return (r);
	}
	*dbp = db;
	return (0);
}

int
db_open(const char *target, int busy_ms, struct db **dbp, char **cause)
{
	struct db_options	opt = { .busy_ms = busy_ms };

	return (db_open_with(target, &opt, dbp, cause));
}

void
db_close(struct db *db)
{
	size_t	i;

	if (db == NULL)
		return;
	for (i = 0; i < db->ncache; i++)
		db->be->finalize(&db->cache[i]);
	/* After the statements, which were keyed by these texts. */
	for (i = 0; i < db->ngen; i++)
		free(db->gen[i].sql);
	db->be->close(db);
	free(db);
}

enum db_kind
db_kind(const struct db *db)
{
	return (db->be->kind);
}

void
db_reset(struct db_stmt *s)
{
	s->db->be->reset(s);
}

int
db_prepare(struct db *db, const char *sql, struct db_stmt **sp,
    char **cause)
{
	struct db_stmt	*c;
	size_t		 i;
	int		 r;

	for (i = 0; i < db->ncache; i++) {
		if (db->cache[i].sql == sql) {
			*sp = &db->cache[i];
			return (0);
		}
	}
	if (db->ncache == DB_CACHE)
		return (err_set(cause, FERRY_ERR_INTERNAL,
		    "database: statement cache full"));
	c = &db->cache[db->ncache];
	c->db = db;
	c->sql = sql;
	c->h = NULL;
	if ((r = db->be->prepare(db, c, cause)) != 0)
		return (r);
	db->ncache++;
	*sp = c;
	return (0);
}

void
db_fence_at(struct db *db, int64_t until_ms)
{
	atomic_store(&db->fence_ms, until_ms);
}

/* Past the fence (db_fence_at), nothing runs: another may own it now. */
static int
db_fenced(struct db *db, char **cause)
{
	int64_t	until = atomic_load(&db->fence_ms);

	if (until == 0 || clock_ms() < until)
		return (0);
	return (err_set(cause, FERRY_ERR_UNREACHABLE, "the database's lease "
	    "could not be confirmed for %d s, so this process no longer "
	    "uses it (another may hold the lease now)",
	    DB_LEASE_FENCE_MS / 1000));
}

static int	db_settled(struct db *, char **);

/*
 * Reads one of fmt's parameters: t text (NULL binds NULL), i int64_t, z
 * int64_t with 0 binding NULL, n int, h a 32-byte blob.
 */
int
db_arg_read(struct db_arg *a, char type, va_list *ap, char **cause)
{
	memset(a, 0, sizeof *a);
	a->type = type;
	switch (type) {
	case 't':
		if ((a->s = va_arg(*ap, const char *)) == NULL)
			a->type = 0;
		break;
	case 'i':
		a->i = va_arg(*ap, int64_t);
		break;
	case 'z':
		a->i = va_arg(*ap, int64_t);
		a->type = a->i == 0 ? 0 : 'i';
		break;
	case 'n':
		a->i = va_arg(*ap, int);
		a->type = 'i';
		break;
	case 'h':
		a->b = va_arg(*ap, const void *);
		break;
	default:
		return (err_set(cause, FERRY_ERR_INTERNAL,
		    "database: bad binder format '%c'", type));
	}
	return (0);
}

int
db_bind_args(struct db *db, const char *sql, struct db_stmt **sp,
    const struct db_arg *args, int n, char **cause)
{
	struct db_stmt	*s = NULL;
	int		 r;

	if ((r = db_settled(db, cause)) != 0 ||
	    (r = db_prepare(db, sql, &s, cause)) != 0)
		return (r);
	if ((r = db->be->bind(s, args, n, cause)) != 0) {
		db_reset(s);
		return (r);
	}
	*sp = s;
	return (0);
}

#define DB_MAX_ARGS	64

int
db_vq(struct db *db, const char *sql, struct db_stmt **sp, char **cause,
    const char *fmt, va_list ap)
{
	struct db_arg	 args[DB_MAX_ARGS];
	va_list		 aq;
	int		 i, r = 0;

	va_copy(aq, ap);
	for (i = 0; r == 0 && fmt[i] != '\0'; i++) {
		if (i == DB_MAX_ARGS)
			r = err_set(cause, FERRY_ERR_INTERNAL,
			    "database: too many parameters");
		else
			r = db_arg_read(&args[i], fmt[i], &aq, cause);
	}
	va_end(aq);
	if (r != 0 || (r = db_fenced(db, cause)) != 0)
		return (r);
	return (db_bind_args(db, sql, sp, args, i, cause));
}

int
db_q(struct db *db, const char *sql, struct db_stmt **sp, char **cause,
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
db_step(struct db *db, struct db_stmt *s, char **cause)
{
	int	r;

	if ((r = db_fenced(s->db, cause)) != 0) {
		db_reset(s);
		return (r);
	}
	(void)db;
	return (s->db->be->step(s, cause));
}

/* Runs s to completion and resets it. */
int
db_exec(struct db *db, struct db_stmt *s, char **cause)
{
	int	r;

	r = db_step(db, s, cause);
	if (r == 1) {
		db_reset(s);
		r = 0;
	}
	return (r);
}

/* SQL text, for the transactions' own statements: db_settled is theirs. */
static int
db_sql_tx(struct db *db, const char *sql, char **cause)
{
	int	r;

	/* A rollback is always let through: it undoes, never writes. */
	if (strcmp(sql, "ROLLBACK") != 0 && (r = db_fenced(db, cause)) != 0)
		return (r);
	return (db->be->sql(db, sql, cause));
}

int
db_sql(struct db *db, const char *sql, char **cause)
{
	int	r;

	if ((r = db_settled(db, cause)) != 0)
		return (r);
	return (db_sql_tx(db, sql, cause));
}

int64_t
db_col_int64(struct db_stmt *s, int i)
{
	return (s->db->be->col_int64(s, i));
}

int
db_col_int(struct db_stmt *s, int i)
{
	return ((int)s->db->be->col_int64(s, i));
}

double
db_col_double(struct db_stmt *s, int i)
{
	return (s->db->be->col_double(s, i));
}

const char *
db_col_str(struct db_stmt *s, int i)
{
	return (s->db->be->col_str(s, i));
}

const void *
db_col_blob(struct db_stmt *s, int i)
{
	return (s->db->be->col_blob(s, i));
}

int
db_col_bytes(struct db_stmt *s, int i)
{
	return (s->db->be->col_bytes(s, i));
}

int
db_col_null(struct db_stmt *s, int i)
{
	return (s->db->be->col_null(s, i));
}

int64_t
db_changes(struct db *db)
{
	return (db->be->changes(db));
}

int
db_exec_id(struct db *db, struct db_stmt *s, int64_t *id, char **cause)
{
	int	r;

	if ((r = db_step(db, s, cause)) < 0)
		return (r);
	if (r == 0)
		return (err_set(cause, FERRY_ERR_INTERNAL, "database: "
		    "INSERT ... RETURNING returned no row"));
	if (id != NULL)
		*id = db_col_int64(s, 0);
	db_reset(s);
	return (0);
}

int
db_ping(struct db *db, char **cause)
{
	return (db->be->ping != NULL ? db->be->ping(db, cause) : 0);
}

int
db_lease(struct db *db, int64_t key, int *held, char **cause)
{
	*held = 1;
	return (db->be->lease != NULL ? db->be->lease(db, key, held, cause) :
	    0);
}

int
db_check(struct db *db, char **cause)
{
	return (db->be->check(db, cause));
}

/* Transactions. */

/* The durable setting back after a light transaction; 0 if it is. */
static int
db_unrelax(struct db *db, char **cause)
{
	int	r;

	if (!db->relaxed || db->be->light_after == NULL)
		return (0);
	if ((r = db_sql_tx(db, db->be->light_after, cause)) == 0)
		db->relaxed = 0;
	return (r);
}

/*
 * Before any statement outside a transaction: the durable setting back
 * if a light transaction's end could not put it back (SQLite's PRAGMA
 * synchronous = FULL is a statement of its own, after the COMMIT, and
 * fails when memory runs out). Such a statement commits on its own, at
 * whatever the setting is: left light, it was committed unflushed and
 * its caller told it was safe, and every later one too, silently
 * (tests/unit/test-db-light.c). So each tries again, and none runs
 * until the setting is back. Inside a transaction db_begin saw to it
 * (or it is a light one, relaxed on purpose).
 */
static int
db_settled(struct db *db, char **cause)
{
	char	*why = NULL;
	int	 r;

	if (!db->relaxed || db->depth > 0)
		return (0);
	if ((r = db_unrelax(db, &why)) == 0)
		return (0);
	r = err_set(cause, r, "database: the durable setting could not be "
	    "put back after a light transaction, so nothing but another "
	    "light one runs until it is: %s", why != NULL ? why : err_str(r));
	free(why);
	return (r);
}

int
db_begin(struct db *db, char **cause)
{
	int	r;

	if (db->depth > 0) {
		db->depth++;
		return (0);
	}
	/* Never a durable transaction with a light setting left over. */
	if ((r = db_settled(db, cause)) != 0)
		return (r);
	db->depth++;
	if ((r = db_sql_tx(db, db->be->begin, cause)) != 0)
		db->depth--;
	return (r);
}

int
db_begin_light(struct db *db, char **cause)
{
	int	r;

	/* Joined: the outermost caller knows what it records. */
	if (db->depth > 0) {
		db->depth++;
		return (0);
	}
	if (db->be->light_before != NULL) {
		db->relaxed = 1;
		if ((r = db_sql_tx(db, db->be->light_before, cause)) != 0) {
			db_unrelax(db, NULL);
			return (r);
		}
	}
	db->depth++;
	if ((r = db_sql_tx(db, db->be->begin, cause)) != 0) {
		db->depth--;
		db_unrelax(db, NULL);
		return (r);
	}
	if (db->be->light_in != NULL &&
	    (r = db_sql_tx(db, db->be->light_in, cause)) != 0)
		return (db_end(db, r, NULL));
	return (0);
}

/* Ends a db_begin(): commits the outermost if r is 0, else rolls back. */
int
db_end(struct db *db, int r, char **cause)
{
	if (--db->depth > 0)
		return (r);
	if (r == 0 && (r = db_sql_tx(db, "COMMIT", cause)) == 0) {
		/*
		 * Committed: a failure to put the durable setting back
		 * shows at the next statement (db_settled).
		 */
		db_unrelax(db, NULL);
		return (0);
	}
	db_sql_tx(db, "ROLLBACK", NULL);
	db_unrelax(db, NULL);
	return (r);
}

/* Migrations. */

int
db_version(struct db *db, int *version, char **cause)
{
	return (db->be->version(db, version, cause));
}

/* One migration step, in its own transaction. */
static int
db_migrate_one(struct db *db, const char *const *migrations, int n,
    int *version, char **cause)
{
	int	r;

	if ((r = db_begin(db, cause)) != 0)
		return (r);
	/* Another process may have migrated while this one waited. */
	if ((r = db->be->migrate_lock(db, cause)) == 0)
		r = db_version(db, version, cause);
	if (r == 0 && *version < n) {
		r = db_sql(db, migrations[*version], cause);
		if (r == 0)
			r = db->be->set_version(db, *version + 1, cause);
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
