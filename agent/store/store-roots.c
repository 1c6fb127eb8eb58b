/*
 * The share roots agents set for their own machines. The agent is the
 * authority on where its files live, so it reports the whole set each
 * time (at hello, and on `ferry root set`), and the set replaces what
 * the hub held for that site or user.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>


#include "db.h"
#include "err.h"
#include "store.h"
#include "store-int.h"

static int
store_roots_replace_tx(struct store *st, const char *endpoint,
    const struct store_root *roots, size_t n, int64_t now, char **cause)
{
	static const char	 del[] =
	    "DELETE FROM roots WHERE endpoint = ?";
	static const char	 ins[] =
	    "INSERT INTO roots (endpoint, share, how, path, agent,"
	    " updated) VALUES (?, ?, ?, ?, ?, ?)"
	    " ON CONFLICT (endpoint, how, share) DO UPDATE SET"
	    " path = excluded.path, agent = excluded.agent,"
	    " updated = excluded.updated";
	struct db_stmt		*s;
	size_t			 i;
	int			 r;

	if ((r = db_q(st->db, del, &s, cause, "t", endpoint)) != 0 ||
	    (r = db_exec(st->db, s, cause)) != 0)
		return (r);
	for (i = 0; i < n; i++) {
		if ((r = db_q(st->db, ins, &s, cause, "ttttti", endpoint,
		    roots[i].share, roots[i].how, roots[i].path,
		    roots[i].agent, now)) != 0 ||
		    (r = db_exec(st->db, s, cause)) != 0)
			return (r);
	}
	return (0);
}

int
store_roots_replace(struct store *st, const char *endpoint,
    const struct store_root *roots, size_t n, int64_t now, char **cause)
{
	int	r;

	if (endpoint == NULL || *endpoint == '\0')
		return (err_set(cause, FERRY_ERR_INVAL, "roots need a site or "
		    "a user"));
	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	r = store_roots_replace_tx(st, endpoint, roots, n, now, cause);
	return (db_end(st->db, r, cause));
}

int
store_roots_list(struct store *st, const char *endpoint,
    int (*cb)(void *, const struct store_root *), void *arg, char **cause)
{
	static const char	 sql[] =
	    "SELECT endpoint, share, how, path, agent, updated FROM roots"
	    " WHERE ?1 IS NULL OR endpoint = ?1 ORDER BY endpoint, share, how";
	struct store_root	 root;
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "t", endpoint)) != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1) {
		root.endpoint = db_col_str(s, 0);
		root.share = db_col_str(s, 1);
		root.how = db_col_str(s, 2);
		root.path = db_col_str(s, 3);
		root.agent = db_col_str(s, 4);
		root.updated = db_col_int64(s, 5);
		if (cb(arg, &root) != 0) {
			db_reset(s);
			return (0);
		}
	}
	return (r);
}
