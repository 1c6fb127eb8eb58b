/*
 * Figures about the store for the hub's /metrics (agent/hub-web.c): one
 * aggregate query each, from a table, so that a scrape costs a few
 * statements whatever the number of jobs. Jobs carry their own counters
 * (n_done, bytes_done), so the per-destination totals read the jobs table,
 * not every task.
 */
#include "config.h"

#include <stdint.h>


#include "db.h"
#include "err.h"
#include "store.h"
#include "store-int.h"

const char *const store_stat_sql[] = {
	[STORE_STAT_JOBS] =
	    "SELECT state, count(*), 0 FROM jobs GROUP BY state",
	/*
	 * The bytes summed as reals (SQLite; numeric in PostgreSQL): an
	 * integer sum() that overflows fails the whole query, and with it
	 * /metrics (progress-forged.sh, size-forged.sh); exact to 2^53.
	 */
	[STORE_STAT_MOVED] =
	    "SELECT coalesce(to_site, to_user), sum(n_done),"
	    " sum(bytes_done * 1.0) FROM jobs GROUP BY 1",
	[STORE_STAT_FAILED] =
	    "SELECT coalesce(error, ''), count(*), 0 FROM tasks"
	    " WHERE state = 'failed' GROUP BY 1",
	/*
	 * From the partial index tasks_retried (schema 11), which holds
	 * only tasks run more than once: not a scan of every task.
	 */
	[STORE_STAT_RETRIES] =
	    "SELECT 'retries', coalesce(sum(attempts - 1), 0), 0 FROM tasks"
	    " INDEXED BY tasks_retried WHERE attempts > 1",
	[STORE_STAT_SIZE] =
	    "SELECT 'bytes', page_count * page_size, 0"
	    " FROM pragma_page_count(), pragma_page_size()",
};

const size_t store_stat_nsql = STORE_NAMES(store_stat_sql);

static const char store_stat_pg_size[] =
    "SELECT 'bytes', pg_database_size(current_database()), 0";

int
store_stat(struct store *st, enum store_stat which,
    int (*cb)(void *, const struct store_stat_row *), void *arg,
    char **cause)
{
	struct store_stat_row	 row;
	struct db_stmt		*s;
	int			 r;

	if ((size_t)which >= store_stat_nsql)
		return (err_set(cause, FERRY_ERR_INVAL, "no such statistic"));
	/* The one statistic with no portable SQL. */
	if (which == STORE_STAT_SIZE && db_kind(st->db) == DB_POSTGRESQL)
		r = db_q(st->db, store_stat_pg_size, &s, cause, "");
	else
		r = db_q(st->db, store_stat_sql[which], &s, cause, "");
	if (r != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1) {
		row.label = db_col_str(s, 0);
		row.a = db_col_int64(s, 1);
		row.b = db_col_int64(s, 2);
		if (row.label != NULL && cb(arg, &row) != 0) {
			db_reset(s);
			return (0);
		}
	}
	return (r);
}
