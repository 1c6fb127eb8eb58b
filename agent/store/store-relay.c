/*
 * Whether the hub may relay a transfer between two agents that cannot
 * reach each other: a site's switch (ferry site set --relay) and a job's
 * (ferry send --no-relay). Both default to on, so a store from before
 * the relay (migration 3) relays.
 */
#include "config.h"

#include <stdint.h>


#include "db.h"
#include "err.h"
#include "store.h"
#include "store-int.h"

int
store_relay_site_set(struct store *st, const char *site, int on,
    char **cause)
{
	static const char	 sql[] =
	    "UPDATE sites SET relay = ? WHERE name = ?";
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "it", (int64_t)(on != 0),
	    site)) != 0)
		return (r);
	if ((r = db_exec(st->db, s, cause)) != 0)
		return (r);
	if (db_changes(st->db) == 0)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "no site %s", site));
	return (0);
}

/*
 * 1 when the relay is on for site: a site the store does not know (a
 * person's agent never set) has it on; a store that cannot answer, off.
 */
int
store_relay_site_on(struct store *st, const char *site)
{
	static const char	 sql[] =
	    "SELECT relay FROM sites WHERE name = ?";
	struct db_stmt		*s;
	int			 r, on;

	if (site == NULL)
		return (1);
	if (db_q(st->db, sql, &s, NULL, "t", site) != 0)
		return (0);
	r = db_step(st->db, s, NULL);
	on = r == 0 || (r == 1 && db_col_int(s, 0) != 0);
	db_reset(s);
	return (on);
}

int
store_relay_job_set(struct store *st, int64_t job, int on, char **cause)
{
	static const char	 sql[] =
	    "UPDATE jobs SET relay = ? WHERE id = ?";
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "ii", (int64_t)(on != 0),
	    job)) != 0)
		return (r);
	if ((r = db_exec(st->db, s, cause)) != 0)
		return (r);
	if (db_changes(st->db) == 0)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "no job %jd",
		    (intmax_t)job));
	return (0);
}

/*
 * 1 when the job may be relayed. A store that cannot answer says no:
 * the relay is the exception, and refusing it only delays the job.
 */
int
store_relay_job_on(struct store *st, int64_t job)
{
	static const char	 sql[] =
	    "SELECT relay FROM jobs WHERE id = ?";
	struct db_stmt		*s;
	int			 r, on = 0;

	if (db_q(st->db, sql, &s, NULL, "i", job) != 0)
		return (0);
	if ((r = db_step(st->db, s, NULL)) == 1)
		on = db_col_int(s, 0) != 0;
	db_reset(s);
	return (on);
}
