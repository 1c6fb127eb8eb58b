/*
 * The audit trail.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "db.h"
#include "err.h"
#include "store.h"
#include "store-int.h"

/* The audit trail. */

int
store_audit_add(struct store *st, int64_t now, const char *who,
    const char *what, const char *detail, char **cause)
{
	static const char	 sql[] =
	    "INSERT INTO audit (time, who, what, detail) VALUES (?, ?, ?, ?)";
	struct db_stmt		*s;
	int			 r;

	if (who == NULL || what == NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "audit needs who and "
		    "what"));
	r = db_q(st->db, sql, &s, cause, "ittt", now, who, what, detail);
	if (r != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

int
store_audit_list(struct store *st, int64_t after, size_t limit,
    int (*cb)(void *, const struct store_audit *), void *arg, char **cause)
{
	static const char	 sql[] =
	    "SELECT id, time, who, what, detail FROM audit WHERE id > ?"
	    " ORDER BY id LIMIT ?";
	struct store_audit	 a;
	struct db_stmt		*s;
	int			 r;

	r = db_q(st->db, sql, &s, cause, "ii", after,
	    limit == 0 ? INT64_MAX : (int64_t)limit);
	if (r != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1) {
		a.id = db_col_int64(s, 0);
		a.time = db_col_int64(s, 1);
		a.who = (char *)db_col_str(s, 2);
		a.what = (char *)db_col_str(s, 3);
		a.detail = (char *)db_col_str(s, 4);
		if (cb(arg, &a) != 0) {
			db_reset(s);
			return (0);
		}
	}
	return (r);
}
