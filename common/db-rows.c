/*
 * Multi-row INSERTs (db.h, db_rows): rows are collected with their text
 * copied, and run DB_ROWS_MAX at a time through one statement; what is
 * left at a flush runs in statements of 64, 32, ... 1 rows, so at most
 * nine statement texts exist per INSERT, each made once per database
 * and kept (struct db_gen) for the statement cache, which is keyed by
 * the text's address.
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
#include "err.h"

/*
 * SQLite before 3.32 takes at most 999 parameters in a statement
 * (SQLITE_MAX_VARIABLE_NUMBER's old default); stay under it everywhere.
 */
#define DB_ROWS_PARAMS	999

struct db_rows {
	struct db	*db;
	const char	*head, *row;
	char		 fmt[DB_ROWS_PARAMS + 1];
	int		 ncols;		/* parameters per row */
	int		 max;		/* rows per full statement */
	int		 n;		/* rows pending */
	struct db_arg	*args;		/* max * ncols */
};

static void
db_rows_free_text(struct db_rows *r)
{
	int	i;

	for (i = 0; i < r->n * r->ncols; i++) {
		if (r->args[i].type == 't')
			free((char *)r->args[i].s);
		r->args[i].type = 0;
	}
	r->n = 0;
}

int
db_rows_open(struct db *db, const char *head, const char *row,
    const char *fmt, struct db_rows **rp, char **cause)
{
	struct db_rows	*r;
	const char	*p;
	int		 marks = 0;
	size_t		 ncols = strlen(fmt);

	*rp = NULL;
	for (p = row; *p != '\0'; p++)
		marks += *p == '?';
	if (ncols == 0 || ncols > DB_ROWS_PARAMS || (size_t)marks != ncols ||
	    strchr(row, '\'') != NULL)
		return (err_set(cause, FERRY_ERR_INTERNAL, "database: a row "
		    "of %zu parameters for \"%s\"", ncols, row));
	if ((r = calloc(1, sizeof *r)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	r->db = db;
	r->head = head;
	r->row = row;
	memcpy(r->fmt, fmt, ncols + 1);
	r->ncols = (int)ncols;
	r->max = DB_ROWS_PARAMS / r->ncols;
	if (r->max > DB_ROWS_MAX)
		r->max = DB_ROWS_MAX;
	if ((r->args = calloc((size_t)r->max * ncols, sizeof *r->args)) ==
	    NULL) {
		free(r);
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	}
	*rp = r;
	return (0);
}

void
db_rows_close(struct db_rows *r)
{
	if (r == NULL)
		return;
	db_rows_free_text(r);
	free(r->args);
	free(r);
}

/* The text of head with nrows copies of row, made once per database. */
static int
db_rows_sql(struct db_rows *r, int nrows, const char **sql, char **cause)
{
	struct db	*db = r->db;
	struct db_gen	*g;
	size_t		 i, hl, rl, len;
	char		*text, *o;

	for (i = 0; i < db->ngen; i++) {
		g = &db->gen[i];
		if (g->head == r->head && g->row == r->row &&
		    g->nrows == nrows) {
			*sql = g->sql;
			return (0);
		}
	}
	if (db->ngen == DB_GEN)
		return (err_set(cause, FERRY_ERR_INTERNAL, "database: too "
		    "many multi-row statements"));
	hl = strlen(r->head);
	rl = strlen(r->row);
	len = hl + (size_t)nrows * (rl + 2) + 1;
	if ((text = malloc(len)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	memcpy(text, r->head, hl);
	o = text + hl;
	for (i = 0; i < (size_t)nrows; i++) {
		*o++ = i == 0 ? ' ' : ',';
		memcpy(o, r->row, rl);
		o += rl;
	}
	*o = '\0';
	g = &db->gen[db->ngen++];
	g->head = r->head;
	g->row = r->row;
	g->nrows = nrows;
	g->sql = text;
	*sql = text;
	return (0);
}

/* Runs nrows pending rows from the first'th. */
static int
db_rows_run(struct db_rows *r, int first, int nrows, char **cause)
{
	struct db_stmt	*s;
	const char	*sql = NULL;
	int		 rc;

	if ((rc = db_rows_sql(r, nrows, &sql, cause)) != 0)
		return (rc);
	rc = db_bind_args(r->db, sql, &s, r->args + first * r->ncols,
	    nrows * r->ncols, cause);
	if (rc != 0)
		return (rc);
	return (db_exec(r->db, s, cause));
}

int
db_rows_flush(struct db_rows *r, char **cause)
{
	int	done = 0, k, rc = 0;

	/* Full batches, then what is left in powers of two. */
	while (rc == 0 && done < r->n) {
		if (r->n - done >= r->max)
			k = r->max;
		else
			for (k = 1; k * 2 <= r->n - done; k *= 2)
				;
		rc = db_rows_run(r, done, k, cause);
		done += k;
	}
	db_rows_free_text(r);
	return (rc);
}

int
db_rows_add(struct db_rows *r, char **cause, ...)
{
	struct db_arg	*a;
	va_list		 ap;
	int		 i, rc = 0;

	if (r->n == r->max && (rc = db_rows_flush(r, cause)) != 0)
		return (rc);
	a = r->args + r->n * r->ncols;
	va_start(ap, cause);
	for (i = 0; rc == 0 && i < r->ncols; i++) {
		if ((rc = db_arg_read(&a[i], r->fmt[i], &ap, cause)) != 0)
			break;
		if (a[i].type == 't' && (a[i].s = strdup(a[i].s)) == NULL) {
			a[i].type = 0;
			rc = err_set(cause, FERRY_ERR_NOMEM, "out of memory");
		}
	}
	va_end(ap);
	if (rc != 0) {
		/* This row's copies so far; the row is not added. */
		while (--i >= 0)
			if (a[i].type == 't')
				free((char *)a[i].s);
		memset(a, 0, sizeof *a * (size_t)r->ncols);
		return (rc);
	}
	r->n++;
	return (0);
}
