/*
 * The PostgreSQL back end of ferry's database layer (db.h, db-int.h),
 * on libpq. SQL arrives written for SQLite's placeholders (? and ?N) and
 * leaves with PostgreSQL's ($N); INDEXED BY, a SQLite planner hint, is
 * dropped. Statements are prepared once per connection (named, by the
 * cache slot that holds them) and run with text parameters, except
 * blobs, which go as binary bytea; PostgreSQL infers every parameter's
 * type from where it stands, as SQLite never needed to.
 *
 * A lost connection is not hidden: the statement that met it fails with
 * FERRY_ERR_UNREACHABLE ("database connection lost"), since whether it
 * committed is unknown, and the next statement outside a transaction
 * reconnects (at most once a second, so that a hub whose database is
 * down answers at once rather than waiting on every call).
 */
#include "config.h"

#ifdef HAVE_LIBPQ

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "db.h"
#include "db-int.h"
#include "err.h"

/* db-rows.c's multi-row statements take up to 999. */
#define PG_MAX_PARAMS	1000
#define PG_BYTEA_OID	17
/* pg_advisory_xact_lock's key for migrations: "ferry" in ASCII. */
#define PG_MIGRATE_KEY	"439788892537"

struct pg {
	PGconn		*conn;
	char		*target;	/* the URL, for messages; no password */
	char		*passfile;
	int		 connect_s;
	int		 lease;		/* db_options' */
	unsigned	 gen;		/* bumped by each (re)connection */
	unsigned	 next_name;
	int64_t		 changes;
	time_t		 last_try;	/* the last reconnection attempt */
	unsigned	 lease_gen;	/* the connection that holds the lease */
	int		 lease_pid;	/* its server process */
};

struct pg_stmt {
	char		*text;		/* with $N */
	char		 name[24];
	int		 nparams;
	unsigned	 gen;		/* prepared on this connection */
	/* nparams of each, made at prepare */
	const char	**vals;
	int		 *lens;
	int		 *fmts;
	char		(*ints)[24];
	PGresult	*res;
	int		 row, nrows;
	unsigned char	**blobs;	/* this row's decoded bytea, by column */
	size_t		*bloblens;
};

#define PG(db)		((struct pg *)(db)->h)
#define PST(s)		((struct pg_stmt *)(s)->h)

/*
 * An error's cause, and ferry's code for its SQLSTATE: what a caller
 * (and an operator reading the log) needs is which of "the database is
 * gone", "this breaks a rule" and "the server is out of room" it was.
 */
static int
pg_err_code(const char *state)
{
	if (state == NULL)
		return (FERRY_ERR_UNREACHABLE);
	if (strcmp(state, "23505") == 0)
		return (FERRY_ERR_EXIST);
	if (strcmp(state, "23503") == 0)
		return (FERRY_ERR_NOTFOUND);
	if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
		return (FERRY_ERR_INVAL);
	if (strcmp(state, "53200") == 0)
		return (FERRY_ERR_NOMEM);
	if (strncmp(state, "53", 2) == 0)
		return (FERRY_ERR_IO);
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
		return (FERRY_ERR_UNREACHABLE);
	if (strncmp(state, "40", 2) == 0 || strcmp(state, "55P03") == 0 ||
	    strcmp(state, "57014") == 0)
		return (FERRY_ERR_TIMEOUT);
	if (strncmp(state, "28", 2) == 0)
		return (FERRY_ERR_AUTH);
	if (strcmp(state, "25P02") == 0)
		return (FERRY_ERR_STATE);
	if (strncmp(state, "42", 2) == 0)
		return (FERRY_ERR_INTERNAL);
	return (FERRY_ERR_IO);
}

/* libpq's messages span lines (a hint after a tab); a cause is one. */
static void
pg_chomp(char *msg)
{
	char	*in, *out;
	size_t	 n;

	for (in = out = msg; *in != '\0'; in++) {
		if (*in == '\n' || *in == '\t' || *in == '\r') {
			if (out > msg && out[-1] != ' ')
				*out++ = ' ';
		} else
			*out++ = *in;
	}
	*out = '\0';
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == ' ')
		msg[--n] = '\0';
}

static int	pg_scalar(struct db *, const char *, char *, size_t, char **);

static int
pg_err(struct db *db, const PGresult *res, char **cause)
{
	const char	*state = NULL, *why = NULL;
	char		 msg[512];
	int		 code;

	if (res != NULL) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		why = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	}
	if (why == NULL)
		why = PQerrorMessage(PG(db)->conn);
	snprintf(msg, sizeof msg, "%s", why != NULL ? why : "");
	pg_chomp(msg);
	if (state == NULL || PQstatus(PG(db)->conn) == CONNECTION_BAD) {
		return (err_set(cause, FERRY_ERR_UNREACHABLE, "database %s: "
		    "connection lost (%s)", PG(db)->target, msg));
	}
	code = pg_err_code(state);
	if (strcmp(state, "53100") == 0)
		return (err_set(cause, code, "database %s: the server is out "
		    "of disk space (SQLSTATE %s: %s)", PG(db)->target, state,
		    msg));
	return (err_set(cause, code, "database: %s (SQLSTATE %s)", msg,
	    state));
}

/*
 * A password file (libpq's passfile) must be ours and 0600: libpq only
 * warns on stderr and goes on without it, which would show up as a
 * baffling authentication failure.
 */
static int
pg_check_passfile(const char *path, char **cause)
{
	struct stat	sb;
	int		fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return (err_set(cause, FERRY_ERR_IO, "password file %s: %s",
		    path, strerror(errno)));
	if (fstat(fd, &sb) == -1) {
		close(fd);
		return (err_set(cause, FERRY_ERR_IO, "password file %s: %s",
		    path, strerror(errno)));
	}
	close(fd);
	if (!S_ISREG(sb.st_mode))
		return (err_set(cause, FERRY_ERR_INVAL, "password file %s is "
		    "not a regular file", path));
	if ((sb.st_mode & 077) != 0)
		return (err_set(cause, FERRY_ERR_DENIED, "password file %s "
		    "has mode %04o: it must be 0600 (chmod 600 %s)", path,
		    (unsigned)(sb.st_mode & 07777), path));
	if (sb.st_uid != geteuid())
		return (err_set(cause, FERRY_ERR_DENIED, "password file %s "
		    "belongs to uid %u, not to this user (%u)", path,
		    (unsigned)sb.st_uid, (unsigned)geteuid()));
	return (0);
}

/* A URL with a password in it would sit in argv and in config files. */
static int
pg_check_url(const char *url, char **cause)
{
	PQconninfoOption	*opts, *o;
	char			*err = NULL;
	int			 r = 0;

	if ((opts = PQconninfoParse(url, &err)) == NULL) {
		if (err != NULL)
			pg_chomp(err);
		r = err_set(cause, FERRY_ERR_PARSE, "database URL: %s",
		    err != NULL ? err : "out of memory");
		PQfreemem(err);
		return (r);
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL &&
		    *o->val != '\0')
			r = err_set(cause, FERRY_ERR_INVAL, "the database URL "
			    "carries a password: put it in a 0600 password "
			    "file (--store-password-file, or PGPASSFILE) "
			    "instead");
		if (strcmp(o->keyword, "passfile") == 0 && o->val != NULL &&
		    r == 0)
			r = pg_check_passfile(o->val, cause);
	}
	PQconninfoFree(opts);
	return (r);
}

/* A library never prints: the server's notices are dropped. */
static void
pg_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static int
pg_connect(struct db *db, char **cause)
{
	struct pg	*p = PG(db);
	const char	*keys[12], *vals[12];
	char		 timeout[16], utimeout[16], msg[512], sql[256];
	PGresult	*res;
	int		 n = 0;

	/*
	 * Reconnecting, the caller (the hub, under its lock) waits 2 s at
	 * most: past its lease's fence it would not use the connection.
	 */
	snprintf(timeout, sizeof timeout, "%d", p->gen > 0 &&
	    p->connect_s > DB_LEASE_CLIENT_MS / 1000 ?
	    DB_LEASE_CLIENT_MS / 1000 : p->connect_s);
	keys[n] = "dbname";		vals[n++] = p->target;
	keys[n] = "connect_timeout";	vals[n++] = timeout;
	/*
	 * A server that drops off the network is noticed in seconds, not
	 * in TCP's hours: the statement fails and the lease (db_lease) is
	 * known lost; the lease's own connection, sooner (db.h's clocks).
	 * Ignored on a unix socket.
	 */
	keys[n] = "keepalives";		vals[n++] = "1";
	keys[n] = "keepalives_idle";	vals[n++] = p->lease ? "1" : "5";
	keys[n] = "keepalives_interval"; vals[n++] = "1";
	keys[n] = "keepalives_count";	vals[n++] = "2";
	snprintf(utimeout, sizeof utimeout, "%d", DB_LEASE_CLIENT_MS);
	keys[n] = "tcp_user_timeout";	vals[n++] = utimeout;
	keys[n] = "client_encoding";	vals[n++] = "UTF8";
	keys[n] = "fallback_application_name"; vals[n++] = "ferryd";
	if (p->passfile != NULL) {
		keys[n] = "passfile";	vals[n++] = p->passfile;
	}
	keys[n] = NULL;			vals[n] = NULL;
	if (p->conn != NULL)
		PQfinish(p->conn);
	p->last_try = time(NULL);
	p->gen++;
	/* expand_dbname: the URL is read, then the keywords after it win. */
	p->conn = PQconnectdbParams(keys, vals, 1);
	if (p->conn == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	PQsetNoticeProcessor(p->conn, pg_notice, NULL);
	if (PQstatus(p->conn) != CONNECTION_OK) {
		snprintf(msg, sizeof msg, "%s", PQerrorMessage(p->conn));
		pg_chomp(msg);
		return (err_set(cause, FERRY_ERR_UNREACHABLE, "%s: cannot "
		    "connect: %s", p->target, msg));
	}
	if (PQserverVersion(p->conn) < 100000)
		return (err_set(cause, FERRY_ERR_INVAL, "%s: "
		    "PostgreSQL %d is too old (ferry needs 10 or later)",
		    p->target, PQserverVersion(p->conn) / 10000));
	/*
	 * And the server ends the session of a hub that dropped off the
	 * network DB_LEASE_SILENT_MS after it last heard from it (probes
	 * from SILENT/2 on, one a second, and a user timeout for data it
	 * sent that is not acknowledged), so that the lease it held comes
	 * free for a standby, and its row locks with it. Never sooner: the
	 * holder stops acting (fences) before that (db.h, docs/
	 * operations.md).
	 */
	snprintf(sql, sizeof sql, "SET tcp_keepalives_idle = %d;"
	    "SET tcp_keepalives_interval = 1; SET tcp_keepalives_count = %d",
	    DB_LEASE_SILENT_MS / 2000, DB_LEASE_SILENT_MS / 2000);
	res = PQexec(p->conn, sql);
	PQclear(res);
	if (PQserverVersion(p->conn) >= 120000) {
		snprintf(sql, sizeof sql, "SET tcp_user_timeout = %d",
		    DB_LEASE_SILENT_MS);
		res = PQexec(p->conn, sql);
		PQclear(res);
	}
	return (0);
}

/*
 * Before a statement: a broken connection is made again, but only where
 * no transaction was open on it (its work is gone, and the caller must
 * hear so), and at most once a second.
 */
static int
pg_ready(struct db *db, int may_reconnect, char **cause)
{
	struct pg	*p = PG(db);

	if (PQstatus(p->conn) == CONNECTION_OK)
		return (0);
	if (!may_reconnect)
		return (err_set(cause, FERRY_ERR_UNREACHABLE, "database %s: "
		    "connection lost during a transaction", p->target));
	if (time(NULL) == p->last_try)
		return (err_set(cause, FERRY_ERR_UNREACHABLE, "database %s: "
		    "connection lost; reconnecting", p->target));
	return (pg_connect(db, cause));
}

int
db_pg_open(const char *url, const struct db_options *opt, struct db *db,
    char **cause)
{
	struct pg	*p;
	const char	*env;
	int		 r;

	if ((r = pg_check_url(url, cause)) != 0)
		return (r);
	if (opt->password_file != NULL &&
	    (r = pg_check_passfile(opt->password_file, cause)) != 0)
		return (r);
	if (opt->password_file == NULL &&
	    (env = getenv("PGPASSFILE")) != NULL && *env != '\0' &&
	    access(env, F_OK) == 0 &&
	    (r = pg_check_passfile(env, cause)) != 0)
		return (r);
	if ((p = calloc(1, sizeof *p)) == NULL ||
	    (p->target = strdup(url)) == NULL || (opt->password_file != NULL &&
	    (p->passfile = strdup(opt->password_file)) == NULL)) {
		if (p != NULL)
			free(p->target);
		free(p);
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	}
	p->connect_s = opt->connect_s > 0 ? opt->connect_s : 5;
	p->lease = opt->lease;
	db->h = p;
	if ((r = pg_connect(db, cause)) != 0) {
		PQfinish(p->conn);
		free(p->target);
		free(p->passfile);
		free(p);
		db->h = NULL;
	}
	return (r);
}

static void
pg_close(struct db *db)
{
	struct pg	*p = PG(db);

	if (p == NULL)
		return;
	PQfinish(p->conn);
	free(p->target);
	free(p->passfile);
	free(p);
}

/*
 * SQLite's placeholders to PostgreSQL's: ?N is $N, and a bare ? is one
 * more than the largest number so far (SQLite's rule). Quoted text,
 * identifiers and comments are left alone. INDEXED BY <name> goes.
 */
static char *
pg_translate(const char *sql, int *nparams)
{
	const char	*p = sql;
	char		*out, *o;
	int		 max = 0, n;
	size_t		 marks = 0;
	char		 q;

	/*
	 * "$NNNN" is at most 4 bytes longer than "?" (a multi-row INSERT
	 * has up to 999 parameters); "?NN" never grows.
	 */
	for (p = sql; *p != '\0'; p++)
		marks += *p == '?';
	p = sql;
	if ((out = malloc(strlen(sql) + marks * 4 + 1)) == NULL)
		return (NULL);
	o = out;
	while (*p != '\0') {
		if (*p == '\'' || *p == '"') {
			q = *p;
			*o++ = *p++;
			while (*p != '\0' && *p != q)
				*o++ = *p++;
			if (*p != '\0')
				*o++ = *p++;
		} else if (p[0] == '-' && p[1] == '-') {
			while (*p != '\0' && *p != '\n')
				*o++ = *p++;
		} else if (*p == '?') {
			p++;
			if (*p >= '0' && *p <= '9') {
				n = (int)strtol(p, (char **)&p, 10);
			} else
				n = max + 1;
			if (n > max)
				max = n;
			o += sprintf(o, "$%d", n);
		} else if (strncmp(p, " INDEXED BY ", 12) == 0) {
			p += 12;
			while (*p == '_' || (*p >= 'a' && *p <= 'z') ||
			    (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
				p++;
		} else
			*o++ = *p++;
	}
	*o = '\0';
	*nparams = max;
	return (out);
}

static void
pg_stmt_free(struct pg_stmt *st)
{
	free(st->text);
	free(st->vals);
	free(st->lens);
	free(st->fmts);
	free(st->ints);
	free(st);
}

static int
pg_prepare(struct db *db, struct db_stmt *s, char **cause)
{
	struct pg_stmt	*st;
	size_t		 n;

	if ((st = calloc(1, sizeof *st)) == NULL ||
	    (st->text = pg_translate(s->sql, &st->nparams)) == NULL) {
		free(st);
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	}
	if (st->nparams > PG_MAX_PARAMS) {
		pg_stmt_free(st);
		return (err_set(cause, FERRY_ERR_INTERNAL, "database: too "
		    "many parameters"));
	}
	n = st->nparams > 0 ? (size_t)st->nparams : 1;
	if ((st->vals = calloc(n, sizeof *st->vals)) == NULL ||
	    (st->lens = calloc(n, sizeof *st->lens)) == NULL ||
	    (st->fmts = calloc(n, sizeof *st->fmts)) == NULL ||
	    (st->ints = calloc(n, sizeof *st->ints)) == NULL) {
		pg_stmt_free(st);
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	}
	snprintf(st->name, sizeof st->name, "ferry_%u", PG(db)->next_name++);
	s->h = st;
	/* PQprepare waits for the first run: the connection may be down. */
	return (0);
}

static void
pg_row_clear(struct pg_stmt *st)
{
	int	i;

	if (st->blobs != NULL && st->res != NULL) {
		for (i = 0; i < PQnfields(st->res); i++)
			PQfreemem(st->blobs[i]);
	}
	free(st->blobs);
	free(st->bloblens);
	st->blobs = NULL;
	st->bloblens = NULL;
}

static void
pg_reset(struct db_stmt *s)
{
	struct pg_stmt	*st = PST(s);
	int		 i;

	pg_row_clear(st);
	PQclear(st->res);
	st->res = NULL;
	st->row = st->nrows = 0;
	for (i = 0; i < st->nparams; i++) {
		st->vals[i] = NULL;
		st->lens[i] = st->fmts[i] = 0;
	}
}

static void
pg_finalize(struct db_stmt *s)
{
	struct pg_stmt	*st = PST(s);

	if (st == NULL)
		return;
	pg_reset(s);
	pg_stmt_free(st);
	s->h = NULL;
}

static int
pg_bind(struct db_stmt *s, const struct db_arg *a, int n, char **cause)
{
	struct pg_stmt	*st = PST(s);
	int		 i;

	if (n > st->nparams)
		return (err_set(cause, FERRY_ERR_INVAL, "database: %d "
		    "parameters for a statement that takes %d", n,
		    st->nparams));
	for (i = 0; i < n; i++) {
		switch (a[i].type) {
		case 't':
			st->vals[i] = a[i].s;
			break;
		case 'i':
			snprintf(st->ints[i], sizeof st->ints[i], "%" PRId64,
			    a[i].i);
			st->vals[i] = st->ints[i];
			break;
		case 'h':
			st->vals[i] = a[i].b;
			st->lens[i] = DB_HASH_LEN;
			st->fmts[i] = 1;	/* binary: bytea as is */
			break;
		default:
			st->vals[i] = NULL;
			break;
		}
	}
	return (0);
}

/* Runs the statement (preparing it on this connection first). */
static int
pg_run(struct db_stmt *s, char **cause)
{
	struct db	*db = s->db;
	struct pg	*p = PG(db);
	struct pg_stmt	*st = PST(s);
	PGresult	*res;
	int		 r;

	if ((r = pg_ready(db, db->depth == 0, cause)) != 0)
		return (r);
	if (st->gen != p->gen) {
		res = PQprepare(p->conn, st->name, st->text, 0, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			r = pg_err(db, res, cause);
			PQclear(res);
			return (r);
		}
		PQclear(res);
		st->gen = p->gen;
	}
	res = PQexecPrepared(p->conn, st->name, st->nparams, st->vals,
	    st->lens, st->fmts, 0);
	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		p->changes = strtoll(PQcmdTuples(res), NULL, 10);
		st->res = res;
		st->nrows = PQntuples(res);
		st->row = -1;
		return (0);
	default:
		r = pg_err(db, res, cause);
		PQclear(res);
		return (r);
	}
}

static int
pg_step(struct db_stmt *s, char **cause)
{
	struct pg_stmt	*st = PST(s);
	int		 r;

	if (st->res == NULL && (r = pg_run(s, cause)) != 0) {
		pg_reset(s);
		return (r);
	}
	pg_row_clear(st);
	if (++st->row < st->nrows)
		return (1);
	pg_reset(s);
	return (0);
}

static const char *
pg_value(struct db_stmt *s, int i)
{
	struct pg_stmt	*st = PST(s);

	if (st->res == NULL || st->row < 0 || st->row >= st->nrows ||
	    i < 0 || i >= PQnfields(st->res) ||
	    PQgetisnull(st->res, st->row, i))
		return (NULL);
	return (PQgetvalue(st->res, st->row, i));
}

/* Text results: booleans are t and f, numeric sums may carry a point. */
static int64_t
pg_col_int64(struct db_stmt *s, int i)
{
	const char	*v = pg_value(s, i);

	if (v == NULL || strcmp(v, "f") == 0)
		return (0);
	if (strcmp(v, "t") == 0)
		return (1);
	return (strtoll(v, NULL, 10));
}

static double
pg_col_double(struct db_stmt *s, int i)
{
	const char	*v = pg_value(s, i);

	return (v != NULL ? strtod(v, NULL) : 0);
}

static const char *
pg_col_str(struct db_stmt *s, int i)
{
	return (pg_value(s, i));
}

/* bytea arrives as text (\x and hex): decoded once per row and column. */
static const unsigned char *
pg_blob(struct db_stmt *s, int i, size_t *len)
{
	struct pg_stmt	*st = PST(s);
	const char	*v = pg_value(s, i);
	int		 nf;

	*len = 0;
	if (v == NULL)
		return (NULL);
	if (PQftype(st->res, i) != PG_BYTEA_OID) {
		*len = strlen(v);
		return ((const unsigned char *)v);
	}
	nf = PQnfields(st->res);
	if (st->blobs == NULL) {
		st->blobs = calloc(nf, sizeof *st->blobs);
		st->bloblens = calloc(nf, sizeof *st->bloblens);
		if (st->blobs == NULL || st->bloblens == NULL) {
			pg_row_clear(st);
			return (NULL);
		}
	}
	if (st->blobs[i] == NULL)
		st->blobs[i] = PQunescapeBytea((const unsigned char *)v,
		    &st->bloblens[i]);
	*len = st->bloblens[i];
	return (st->blobs[i]);
}

static const void *
pg_col_blob(struct db_stmt *s, int i)
{
	size_t	len;

	return (pg_blob(s, i, &len));
}

static int
pg_col_bytes(struct db_stmt *s, int i)
{
	size_t	len;

	pg_blob(s, i, &len);
	return ((int)len);
}

static int
pg_col_null(struct db_stmt *s, int i)
{
	return (pg_value(s, i) == NULL);
}

/* Outside a transaction, or opening one: reconnecting loses nothing. */
static int
pg_sql(struct db *db, const char *sql, char **cause)
{
	PGresult	*res;
	int		 r = 0;

	if ((r = pg_ready(db, db->depth == 0 || (db->depth == 1 &&
	    sql == db->be->begin), cause)) != 0)
		return (r);
	res = PQexec(PG(db)->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		r = pg_err(db, res, cause);
	PQclear(res);
	return (r);
}

static int64_t
pg_changes(struct db *db)
{
	return (PG(db)->changes);
}

/*
 * An empty query is the cheapest round trip. A server that went away
 * shows only when spoken to: then one reconnection, at once.
 */
static int
pg_ping(struct db *db, char **cause)
{
	PGresult	*res;
	int		 r;

	if (db->depth > 0)
		return (0);
	if ((r = pg_ready(db, 1, cause)) != 0)
		return (r);
	res = PQexec(PG(db)->conn, "");
	r = PQresultStatus(res) == PGRES_EMPTY_QUERY ? 0 : pg_err(db, res,
	    cause);
	PQclear(res);
	if (r != 0 && PQstatus(PG(db)->conn) == CONNECTION_BAD) {
		free(cause != NULL ? *cause : NULL);
		if (cause != NULL)
			*cause = NULL;
		PG(db)->last_try = 0;
		r = pg_ready(db, 1, cause);
	}
	return (r);
}

/* A ping that succeeds on the same connection: the lock is still ours. */
static int
pg_lease(struct db *db, int64_t key, int *held, char **cause)
{
	struct pg	*p = PG(db);
	char		 sql[160], v[8];
	int		 r;

	*held = 0;
	if ((r = pg_ping(db, cause)) != 0)
		return (r);
	if (p->lease_gen != 0 && p->lease_gen == p->gen) {
		*held = 1;
		return (0);
	}
	snprintf(sql, sizeof sql, "SELECT pg_try_advisory_lock(%" PRId64 ")",
	    key);
	if ((r = pg_scalar(db, sql, v, sizeof v, cause)) != 0)
		return (r);
	if (strcmp(v, "t") == 0) {
		*held = p->lease_gen != 0 ? 2 : 1;
		p->lease_gen = p->gen;
		p->lease_pid = PQbackendPID(p->conn);
		return (0);
	}
	if (p->lease_pid == 0)
		return (0);
	/*
	 * Not got, on a new connection: the holder may be this process's
	 * own last session, which the server has not ended yet (a closed
	 * connection's backend exits after the close). That is not another
	 * hub: say "unknown", and end it, to try again.
	 */
	snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_locks WHERE "
	    "locktype = 'advisory' AND granted AND pid = %d", p->lease_pid);
	if ((r = pg_scalar(db, sql, v, sizeof v, cause)) != 0)
		return (r);
	if (strcmp(v, "0") == 0)
		return (0);
	snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)",
	    p->lease_pid);
	pg_scalar(db, sql, v, sizeof v, NULL);
	return (err_set(cause, FERRY_ERR_UNREACHABLE, "database %s: the "
	    "lease's last session is still ending", p->target));
}

static int
pg_check(struct db *db, char **cause)
{
	return (pg_sql(db, "SELECT 1", cause));
}

/* One text value of a one-row query, or "" for none. */
static int
pg_scalar(struct db *db, const char *sql, char *out, size_t len,
    char **cause)
{
	PGresult	*res;
	int		 r;

	if ((r = pg_ready(db, db->depth == 0, cause)) != 0)
		return (r);
	res = PQexec(PG(db)->conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		r = pg_err(db, res, cause);
	else if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
	else
		snprintf(out, len, "%s", "");
	PQclear(res);
	return (r);
}

/* The version sits in ferry_schema, made by the first migration. */
static int
pg_version(struct db *db, int *version, char **cause)
{
	char	v[32];
	int	r;

	if ((r = pg_scalar(db, "SELECT to_regclass('ferry_schema')", v,
	    sizeof v, cause)) != 0)
		return (r);
	*version = 0;
	if (*v == '\0')
		return (0);
	if ((r = pg_scalar(db, "SELECT version FROM ferry_schema WHERE id = 1",
	    v, sizeof v, cause)) == 0)
		*version = atoi(v);
	return (r);
}

/* Two hubs starting at once: one migrates, the other waits, then sees. */
static int
pg_migrate_lock(struct db *db, char **cause)
{
	return (pg_sql(db, "SELECT pg_advisory_xact_lock(" PG_MIGRATE_KEY ");"
	    "CREATE TABLE IF NOT EXISTS ferry_schema ("
	    " id integer PRIMARY KEY CHECK (id = 1),"
	    " version integer NOT NULL)", cause));
}

static int
pg_set_version(struct db *db, int version, char **cause)
{
	char	sql[160];

	snprintf(sql, sizeof sql, "INSERT INTO ferry_schema (id, version)"
	    " VALUES (1, %d) ON CONFLICT (id) DO UPDATE SET"
	    " version = excluded.version", version);
	return (pg_sql(db, sql, cause));
}

const struct db_backend db_pg_backend = {
	.kind = DB_POSTGRESQL,
	.begin = "BEGIN",
	/*
	 * The server answers the commit before its WAL record is flushed
	 * (or sent to a synchronous standby); after a crash the database
	 * is as of an earlier commit, never torn, and a later durable
	 * commit's flush covers this one.
	 */
	.light_in = "SET LOCAL synchronous_commit = off",
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.bind = pg_bind,
	.step = pg_step,
	.reset = pg_reset,
	.col_int64 = pg_col_int64,
	.col_double = pg_col_double,
	.col_str = pg_col_str,
	.col_blob = pg_col_blob,
	.col_bytes = pg_col_bytes,
	.col_null = pg_col_null,
	.sql = pg_sql,
	.changes = pg_changes,
	.check = pg_check,
	.ping = pg_ping,
	.lease = pg_lease,
	.version = pg_version,
	.migrate_lock = pg_migrate_lock,
	.set_version = pg_set_version,
	.close = pg_close,
};

#endif /* HAVE_LIBPQ */
