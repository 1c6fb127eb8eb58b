/*
 * The share map's versions and the ACLs of restricted users.
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

/* Shares and ACLs. */

static int
store_share_set_tx(struct store *st, const char *json, const char *who,
    int64_t now, int64_t *version, char **cause)
{
	static const char	 hist[] =
	    "INSERT INTO share_history (version, json, who, created)"
	    " VALUES ((SELECT coalesce(max(version), 0) + 1"
	    " FROM share_history), ?, ?, ?) RETURNING version";
	static const char	 cur[] =
	    "INSERT INTO shares (id, version, json, updated)"
	    " VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
	    " version = excluded.version, json = excluded.json,"
	    " updated = excluded.updated";
	static const char	 audit[] =
	    "INSERT INTO audit (time, who, what, detail) VALUES (?, ?,"
	    " 'share.set', ?)";
	char			 detail[64];
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, hist, &s, cause, "tti", json, who, now)) != 0 ||
	    (r = db_exec_id(st->db, s, version, cause)) != 0)
		return (r);
	if ((r = db_q(st->db, cur, &s, cause, "iti", *version, json,
	    now)) != 0 || (r = db_exec(st->db, s, cause)) != 0)
		return (r);
	snprintf(detail, sizeof detail, "{\"version\":%jd}",
	    (intmax_t)*version);
	if ((r = db_q(st->db, audit, &s, cause, "itt", now,
	    who != NULL ? who : "", detail)) != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

int
store_share_set(struct store *st, const char *json, const char *who,
    int64_t now, int64_t *version, char **cause)
{
	int64_t	v = 0;
	int	r;

	if (json == NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "no share map text"));
	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	r = store_share_set_tx(st, json, who, now, &v, cause);
	if ((r = db_end(st->db, r, cause)) == 0 && version != NULL)
		*version = v;
	return (r);
}

static int
store_text_get(struct store *st, const char *sql, int64_t key, char **text,
    int64_t *version, char **cause)
{
	struct db_stmt	*s;
	char		*copy;
	int		 r;

	if ((r = db_q(st->db, sql, &s, cause, "i", key)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) <= 0)
		return (r == 0 ? err_set(cause, FERRY_ERR_NOTFOUND,
		    "no share map") : r);
	r = store_dup(db_col_str(s, 0), &copy);
	if (version != NULL)
		*version = db_col_int64(s, 1);
	db_reset(s);
	if (r != 0)
		return (store_nomem(cause));
	*text = copy;
	return (0);
}

int
store_share_get(struct store *st, char **json, int64_t *version,
    char **cause)
{
	static const char	sql[] =
	    "SELECT json, version FROM shares WHERE id = ?";

	return (store_text_get(st, sql, 1, json, version, cause));
}

int
store_share_version(struct store *st, int64_t version, char **json,
    char **cause)
{
	static const char	sql[] =
	    "SELECT json, version FROM share_history WHERE version = ?";

	return (store_text_get(st, sql, version, json, NULL, cause));
}

int
store_acl_set(struct store *st, const char *principal, const char *prefix,
    enum store_access access, char **cause)
{
	static const char	 sql[] =
	    "INSERT INTO acls (principal, prefix, access) VALUES (?, ?, ?)"
	    " ON CONFLICT (principal, prefix) DO UPDATE SET"
	    " access = excluded.access";
	struct db_stmt		*s;
	int			 r;

	if (principal == NULL || prefix == NULL || strchr(prefix, ':') ==
	    NULL || *prefix == ':')
		return (err_set(cause, FERRY_ERR_INVAL, "an ACL needs a "
		    "principal and a prefix share:path"));
	r = db_q(st->db, sql, &s, cause, "ttt", principal, prefix,
	    store_access_name(access));
	if (r != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

int
store_acl_delete(struct store *st, const char *principal,
    const char *prefix, char **cause)
{
	static const char	 sql[] =
	    "DELETE FROM acls WHERE principal = ? AND prefix = ?";
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "tt", principal, prefix)) != 0)
		return (r);
	if ((r = db_exec(st->db, s, cause)) != 0)
		return (r);
	if (db_changes(st->db) == 0)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "no ACL for %s on "
		    "%s", principal, prefix));
	return (0);
}

/* Whether prefix covers path, a whole path component at a time. */
static int
store_acl_covers(const char *prefix, const char *path)
{
	size_t	n = strlen(prefix);

	if (strncmp(prefix, path, n) != 0)
		return (0);
	if (n > 0 && (prefix[n - 1] == ':' || prefix[n - 1] == '/'))
		return (1);
	return (path[n] == '\0' || path[n] == '/');
}

int
store_acl_check(struct store *st, const char *principal, const char *path,
    enum store_access access, int *allowed, char **cause)
{
	static const char	 sql[] =
	    "SELECT prefix, access FROM acls WHERE principal = ?";
	struct db_stmt		*s;
	const char		*granted;
	int			 r, ok = 0;

	if ((r = db_q(st->db, sql, &s, cause, "t", principal)) != 0)
		return (r);
	while (!ok && (r = db_step(st->db, s, cause)) == 1) {
		granted = db_col_str(s, 1);
		if (!store_acl_covers(db_col_str(s, 0), path))
			continue;
		ok = access == STORE_ACCESS_READ ||
		    strcmp(granted, "write") == 0;
	}
	if (r < 0)
		return (r);
	if (r == 1)
		db_reset(s);
	*allowed = ok;
	return (0);
}

int
store_acl_list(struct store *st, const char *principal,
    int (*cb)(void *, const char *, const char *, enum store_access),
    void *arg, char **cause)
{
	static const char	 sql[] =
	    "SELECT principal, prefix, access FROM acls"
	    " WHERE ?1 IS NULL OR principal = ?1 ORDER BY principal, prefix";
	enum store_access	 a;
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "t", principal)) != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1) {
		a = strcmp(db_col_str(s, 2), "write") == 0 ?
		    STORE_ACCESS_WRITE : STORE_ACCESS_READ;
		if (cb(arg, db_col_str(s, 0), db_col_str(s, 1), a) != 0) {
			db_reset(s);
			return (0);
		}
	}
	return (r);
}
