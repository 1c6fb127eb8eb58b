/*
 * How many streams a transfer opens: a site's default (ferry site set
 * --streams) and a job's (ferry send --streams). 0, the default of both
 * columns (migration 9), means unset: the hub decides (hub-streams.c).
 */
#include "config.h"

#include <stdint.h>


#include "db.h"
#include "err.h"
#include "store.h"
#include "store-int.h"

static int
streams_valid(int n, char **cause)
{
	if (n < 0 || n > STORE_STREAMS_MAX)
		return (err_set(cause, FERRY_ERR_INVAL, "streams must be 1 to "
		    "%d (0: the hub's choice), not %d", STORE_STREAMS_MAX, n));
	return (0);
}

int
store_streams_site_set(struct store *st, const char *site, int n,
    char **cause)
{
	static const char	 sql[] =
	    "UPDATE sites SET streams = ? WHERE name = ?";
	struct db_stmt		*s;
	int			 r;

	if ((r = streams_valid(n, cause)) != 0 ||
	    (r = db_q(st->db, sql, &s, cause, "it", (int64_t)n, site)) != 0)
		return (r);
	if ((r = db_exec(st->db, s, cause)) != 0)
		return (r);
	if (db_changes(st->db) == 0)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "no site %s", site));
	return (0);
}

/* A site's default, 0 when none is set or the store cannot answer. */
int
store_streams_site_get(struct store *st, const char *site)
{
	static const char	 sql[] =
	    "SELECT streams FROM sites WHERE name = ?";
	struct db_stmt		*s;
	int			 n = 0;

	if (site == NULL || db_q(st->db, sql, &s, NULL, "t", site) != 0)
		return (0);
	if (db_step(st->db, s, NULL) == 1)
		n = db_col_int(s, 0);
	db_reset(s);
	return (n);
}

int
store_streams_job_set(struct store *st, int64_t job, int n, char **cause)
{
	static const char	 sql[] =
	    "UPDATE jobs SET streams = ? WHERE id = ?";
	struct db_stmt		*s;
	int			 r;

	if ((r = streams_valid(n, cause)) != 0 ||
	    (r = db_q(st->db, sql, &s, cause, "ii", (int64_t)n, job)) != 0)
		return (r);
	if ((r = db_exec(st->db, s, cause)) != 0)
		return (r);
	if (db_changes(st->db) == 0)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "no job %jd",
		    (intmax_t)job));
	return (0);
}

/* A job's own count, 0 when none was asked or the store cannot answer. */
int
store_streams_job_get(struct store *st, int64_t job)
{
	static const char	 sql[] =
	    "SELECT streams FROM jobs WHERE id = ?";
	struct db_stmt		*s;
	int			 n = 0;

	if (db_q(st->db, sql, &s, NULL, "i", job) != 0)
		return (0);
	if (db_step(st->db, s, NULL) == 1)
		n = db_col_int(s, 0);
	db_reset(s);
	return (n);
}
