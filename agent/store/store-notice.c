/*
 * Notices: what deserves mail (docs/mail.md). The schema's triggers
 * write them in the transaction of the change itself (a job done or
 * failed, an ACL granted, a person's agent enrolled); store_notice_add
 * takes the others (more recipients of a publish). The hub's mail thread
 * reads the pending ones, queues their mail, and marks each queued.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>


#include "db.h"
#include "err.h"
#include "store.h"
#include "store-int.h"

int
store_notice_add(struct store *st, const char *kind, int64_t job_id,
    const char *who, const char *place, char **cause)
{
	static const char	 sql[] =
	    "INSERT INTO notices (kind, job_id, who, place)"
	    " VALUES (?, ?, ?, ?)";
	struct db_stmt		*s;
	int			 r;

	r = db_q(st->db, sql, &s, cause, "tztt", kind, job_id, who, place);
	if (r != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

int
store_notice_pending(struct store *st, int64_t after, size_t limit,
    int (*cb)(void *, const struct store_notice *), void *arg, char **cause)
{
	static const char	 sql[] =
	    "SELECT id, kind, job_id, state, who, place, access FROM notices"
	    " WHERE queued = 0 AND id > ? ORDER BY id LIMIT ?";
	struct store_notice	 n;
	struct db_stmt		*s;
	int			 r;

	r = db_q(st->db, sql, &s, cause, "ii", after,
	    limit == 0 ? INT64_MAX : (int64_t)limit);
	if (r != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1) {
		memset(&n, 0, sizeof n);
		n.id = db_col_int64(s, 0);
		n.kind = db_col_str(s, 1);
		n.job_id = db_col_int64(s, 2);
		n.state = db_col_str(s, 3);
		n.who = db_col_str(s, 4);
		n.place = db_col_str(s, 5);
		n.access = db_col_str(s, 6);
		if (cb(arg, &n) != 0) {
			db_reset(s);
			return (0);
		}
	}
	return (r);
}

int
store_notice_done(struct store *st, int64_t id, char **cause)
{
	static const char	 sql[] =
	    "UPDATE notices SET queued = 1 WHERE id = ?";
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "i", id)) != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

int
store_notice_count(struct store *st, int64_t job_id, const char *state,
    int64_t upto, int64_t *n, char **cause)
{
	static const char	 sql[] =
	    "SELECT count(*) FROM notices WHERE kind = 'job' AND job_id = ?"
	    " AND state = ? AND id <= ?";
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "iti", job_id, state,
	    upto)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) != 1)
		return (r == 0 ? FERRY_ERR_NOTFOUND : r);
	*n = db_col_int64(s, 0);
	db_reset(s);
	return (0);
}
