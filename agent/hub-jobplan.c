/*
 * A big job's plan on disk (issue 15, "Scale"). A send lists its files
 * into memory and sorts them by destination, one task per destination
 * (the first naming wins): about 250 bytes a file, 250 MB for a million.
 * Past JOBPLAN_SPILL files the list goes to a private SQLite file
 * instead, keyed by (destination, order named), and the job is stored
 * from a scan of it, so the hub holds SQLite's page cache and one row.
 *
 * The file is SQLite's private temporary database (opened as ""): SQLite
 * makes it under TMPDIR and removes it when it is closed, also when the
 * hub is killed (it is unlinked at once), and keeps it in its page cache
 * until that is full (8 MB here), so a small spill never touches the
 * disk. Nothing here is durable: the job is in the store once
 * store_job_create_stream returns, or not at all.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "err.h"
#include "ferryd.h"
#include "hub-jobplan.h"
#include "store.h"

/* By destination, then in the order the paths named them. */
static int
jobs_task_cmp(const void *a, const void *b)
{
	const struct store_task	*x = a, *y = b;
	int			 c = strcmp(x->dst_path, y->dst_path);

	if (c != 0)
		return (c);
	return (x->id < y->id ? -1 : x->id > y->id);
}

/*
 * One task per destination file, however the paths named it (a folder,
 * and a sequence inside it): the first naming wins. Sends and publishes
 * both plan through it.
 */
void
jobs_tasks_dedupe(struct store_task *t, size_t *np)
{
	size_t	i, n = 0;

	if (*np < 2)
		return;
	/* The id (unused until stored) keeps the order paths named them. */
	for (i = 0; i < *np; i++)
		t[i].id = (int64_t)i;
	qsort(t, *np, sizeof *t, jobs_task_cmp);
	for (i = 0; i < *np; i++) {
		if (n > 0 && strcmp(t[n - 1].dst_path, t[i].dst_path) == 0) {
			free(t[i].src_path);
			free(t[i].dst_path);
			free(t[i].basis);
			continue;
		}
		t[n++] = t[i];
	}
	for (i = 0; i < n; i++)
		t[i].id = 0;
	*np = n;
}

static int
jobplan_sqlerr(struct jobplan *p, char **cause, const char *what)
{
	return (err_set(cause, FERRY_ERR_IO, "planning the job's files on "
	    "disk (%s): %s", what, p->db != NULL ? sqlite3_errmsg(p->db) :
	    "cannot open SQLite's temporary file"));
}

static int
jobplan_open(struct jobplan *p, char **cause)
{
	if (sqlite3_open_v2("", &p->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
	    sqlite3_exec(p->db, "PRAGMA journal_mode = OFF;"
	    "PRAGMA synchronous = OFF; PRAGMA cache_size = -8192;"
	    "PRAGMA temp_store = FILE;"
	    "CREATE TABLE plan (dst TEXT NOT NULL, ord INTEGER NOT NULL,"
	    " src TEXT NOT NULL, basis TEXT, size INTEGER NOT NULL,"
	    " PRIMARY KEY (dst, ord)) WITHOUT ROWID;", NULL, NULL, NULL) !=
	    SQLITE_OK || sqlite3_prepare_v2(p->db, "INSERT INTO plan VALUES"
	    " (?, ?, ?, ?, ?)", -1, &p->ins, NULL) != SQLITE_OK)
		return (jobplan_sqlerr(p, cause, "open"));
	return (0);
}

int
jobplan_spill(struct jobplan *p, struct store_task *t, size_t *np,
    char **cause)
{
	size_t	i, n = *np;
	int	r = 0;

	if (p->db == NULL && (r = jobplan_open(p, cause)) != 0)
		n = 0;
	else if (sqlite3_exec(p->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		r = jobplan_sqlerr(p, cause, "begin");
		n = 0;
	}
	for (i = 0; i < n; i++) {
		sqlite3_bind_text(p->ins, 1, t[i].dst_path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(p->ins, 2, p->ord++);
		sqlite3_bind_text(p->ins, 3, t[i].src_path, -1, SQLITE_STATIC);
		sqlite3_bind_text(p->ins, 4, t[i].basis, -1, SQLITE_STATIC);
		sqlite3_bind_int64(p->ins, 5, t[i].size);
		if (sqlite3_step(p->ins) != SQLITE_DONE) {
			r = jobplan_sqlerr(p, cause, "insert");
			sqlite3_reset(p->ins);
			break;
		}
		sqlite3_reset(p->ins);
	}
	if (n > 0) {
		sqlite3_clear_bindings(p->ins);
		if (sqlite3_exec(p->db, r == 0 ? "COMMIT" : "ROLLBACK", NULL,
		    NULL, NULL) != SQLITE_OK && r == 0)
			r = jobplan_sqlerr(p, cause, "commit");
	}
	for (i = 0; i < *np; i++) {
		free(t[i].src_path);
		free(t[i].dst_path);
		free(t[i].basis);
	}
	*np = 0;
	return (r);
}

int
jobplan_next(void *arg, const struct store_task **t, char **cause)
{
	struct jobplan		*p = arg;
	const unsigned char	*dst;
	int			 rc;

	if (p->sel == NULL && sqlite3_prepare_v2(p->db, "SELECT dst, src,"
	    " basis, size FROM plan ORDER BY dst, ord", -1, &p->sel, NULL) !=
	    SQLITE_OK)
		return (jobplan_sqlerr(p, cause, "select"));
	/* One task per destination: the first named, as jobs_tasks_dedupe. */
	while ((rc = sqlite3_step(p->sel)) == SQLITE_ROW) {
		dst = sqlite3_column_text(p->sel, 0);
		if (p->last != NULL && strcmp(p->last, (const char *)dst) == 0)
			continue;
		free(p->last);
		if ((p->last = strdup((const char *)dst)) == NULL)
			return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
		memset(&p->cur, 0, sizeof p->cur);
		/* Valid until the next step, which is all *t promises. */
		p->cur.dst_path = p->last;
		p->cur.src_path = (char *)(uintptr_t)sqlite3_column_text(
		    p->sel, 1);
		p->cur.basis = (char *)(uintptr_t)sqlite3_column_text(p->sel,
		    2);
		p->cur.size = sqlite3_column_int64(p->sel, 3);
		*t = &p->cur;
		return (1);
	}
	if (rc != SQLITE_DONE)
		return (jobplan_sqlerr(p, cause, "scan"));
	return (0);
}

void
jobplan_close(struct jobplan *p)
{
	sqlite3_finalize(p->ins);
	sqlite3_finalize(p->sel);
	sqlite3_close(p->db);	/* and SQLite removes the file */
	free(p->last);
	memset(p, 0, sizeof *p);
}
