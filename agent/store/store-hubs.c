/*
 * The hubs of one store (issue 17, docs/operations.md "Active and
 * standby hubs"): each hub has a key of its own, and this table is the
 * set of them that agents pin and learn over their control links. Each
 * hub writes its own row only: its address when it starts, and its
 * state (active or standby) with the time, every second or two, so that
 * the other can tell a waiting standby from one that is gone.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "store.h"
#include "store-int.h"

int
store_hub_add(struct store *st, const char *fp, const char *address,
    int64_t now, char **cause)
{
	static const char	 sql[] =
	    "INSERT INTO hubs (fingerprint, address, added) VALUES (?, ?, ?)"
	    " ON CONFLICT (fingerprint) DO UPDATE SET address ="
	    " excluded.address";
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "tti", fp, address, now)) != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

int
store_hub_seen(struct store *st, const char *fp, const char *state,
    int64_t now, char **cause)
{
	static const char	 sql[] =
	    "UPDATE hubs SET state = ?, seen = ? WHERE fingerprint = ?";
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "tit", state, now, fp)) != 0)
		return (r);
	if ((r = db_exec(st->db, s, cause)) != 0)
		return (r);
	return (db_changes(st->db) == 1 ? 0 : err_set(cause,
	    FERRY_ERR_NOTFOUND, "hub %s is not one of this store's hubs", fp));
}

int
store_hub_known(struct store *st, const char *fp, char **cause)
{
	static const char	 sql[] =
	    "SELECT 1 FROM hubs WHERE fingerprint = ?";
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "t", fp)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) == 1) {
		db_reset(s);
		return (0);
	}
	return (r == 0 ? FERRY_ERR_NOTFOUND : r);
}

int
store_hub_remove(struct store *st, const char *fp, char **cause)
{
	static const char	 sql[] = "DELETE FROM hubs WHERE fingerprint = ?";
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "t", fp)) != 0)
		return (r);
	if ((r = db_exec(st->db, s, cause)) != 0)
		return (r);
	return (db_changes(st->db) == 1 ? 0 : err_set(cause,
	    FERRY_ERR_NOTFOUND, "no hub with key %s", fp));
}

int
store_hub_list(struct store *st, int (*cb)(void *,
    const struct store_hub *), void *arg, char **cause)
{
	static const char	 sql[] =
	    "SELECT fingerprint, address, state, seen, added FROM hubs"
	    " ORDER BY added, fingerprint";
	struct store_hub	 h;
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "")) != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1) {
		h.fp = db_col_str(s, 0);
		h.address = db_col_str(s, 1);
		h.state = db_col_str(s, 2);
		h.seen = db_col_int64(s, 3);
		h.added = db_col_int64(s, 4);
		if ((r = cb(arg, &h)) != 0) {
			db_reset(s);
			return (r);
		}
	}
	return (r);
}
