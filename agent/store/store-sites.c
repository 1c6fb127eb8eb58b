/*
 * Sites, users and agents in the store.
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

/* Sites, users, agents. */

int
store_site_add(struct store *st, const char *name, int64_t now,
    char **cause)
{
	static const char	 sql[] =
	    "INSERT INTO sites (name, created) VALUES (?, ?)";
	struct db_stmt		*s;
	int			 r;

	if (name == NULL || *name == '\0')
		return (err_set(cause, FERRY_ERR_INVAL, "empty site name"));
	if ((r = db_q(st->db, sql, &s, cause, "ti", name, now)) != 0)
		return (r);
	r = db_exec(st->db, s, cause);
	if (r == FERRY_ERR_EXIST)
		err_set(cause, r, "site %s already exists", name);
	return (r);
}

int
store_site_set_bwlimit(struct store *st, const char *name, int64_t bwlimit,
    char **cause)
{
	static const char	 sql[] =
	    "UPDATE sites SET bwlimit = ? WHERE name = ?";
	struct db_stmt		*s;
	int			 r;

	if (bwlimit < 0)
		return (err_set(cause, FERRY_ERR_INVAL, "negative bandwidth "
		    "limit"));
	if ((r = db_q(st->db, sql, &s, cause, "it", bwlimit, name)) != 0)
		return (r);
	if ((r = db_exec(st->db, s, cause)) != 0)
		return (r);
	if (db_changes(st->db) == 0)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "no site %s", name));
	return (0);
}

/*
 * Sets a site's window (tz 0) or zone (tz 1). The statements are
 * static: db_q caches them by address.
 */
static int
store_site_set_text(struct store *st, const char *name, int tz,
    const char *value, char **cause)
{
	static const char	 sql_window[] =
	    "UPDATE sites SET \"window\" = ? WHERE name = ?";
	static const char	 sql_tz[] =
	    "UPDATE sites SET tz = ? WHERE name = ?";
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, tz ? sql_tz : sql_window, &s, cause, "tt",
	    value, name)) != 0 || (r = db_exec(st->db, s, cause)) != 0)
		return (r);
	if (db_changes(st->db) == 0)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "no site %s", name));
	return (0);
}

int
store_site_set_window(struct store *st, const char *name,
    const char *window, char **cause)
{
	return (store_site_set_text(st, name, 0, window, cause));
}

int
store_site_set_tz(struct store *st, const char *name, const char *tz,
    char **cause)
{
	return (store_site_set_text(st, name, 1, tz, cause));
}

static void
store_site_row(struct db_stmt *s, struct store_site *site)
{
	site->name = (char *)db_col_str(s, 0);
	site->bwlimit = db_col_int64(s, 1);
	site->created = db_col_int64(s, 2);
	site->window = (char *)db_col_str(s, 3);
	site->tz = (char *)db_col_str(s, 4);
}

int
store_site_get(struct store *st, const char *name, struct store_site *out,
    char **cause)
{
	static const char	 sql[] =
	    "SELECT name, bwlimit, created, \"window\", tz FROM sites"
	    " WHERE name = ?";
	struct store_site	 site;
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "t", name)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) <= 0)
		return (r == 0 ? err_set(cause, FERRY_ERR_NOTFOUND,
		    "no site %s", name) : r);
	store_site_row(s, &site);
	r = store_dup(site.name, &site.name);
	r |= store_dup(site.window, &site.window);
	r |= store_dup(site.tz, &site.tz);
	db_reset(s);
	if (r != 0) {
		store_site_clear(&site);
		return (store_nomem(cause));
	}
	*out = site;
	return (0);
}

int
store_site_list(struct store *st,
    int (*cb)(void *, const struct store_site *), void *arg, char **cause)
{
	static const char	 sql[] =
	    "SELECT name, bwlimit, created, \"window\", tz FROM sites ORDER BY name";
	struct store_site	 site;
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "")) != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1) {
		store_site_row(s, &site);
		if (cb(arg, &site) != 0) {
			db_reset(s);
			return (0);
		}
	}
	return (r);
}

void
store_site_clear(struct store_site *s)
{
	if (s == NULL)
		return;
	free(s->name);
	free(s->window);
	free(s->tz);
	s->name = s->window = s->tz = NULL;
}

int
store_user_set(struct store *st, const char *email,
    enum store_clearance clearance, int64_t now, char **cause)
{
	static const char	 sql[] =
	    "INSERT INTO users (email, clearance, created) VALUES (?, ?, ?)"
	    " ON CONFLICT (email) DO UPDATE SET clearance = excluded.clearance";
	struct db_stmt		*s;
	int			 r;

	if (email == NULL || *email == '\0')
		return (err_set(cause, FERRY_ERR_INVAL, "empty user email"));
	if (clearance == STORE_CLEARANCE_NONE)
		return (err_set(cause, FERRY_ERR_INVAL, "user %s needs a "
		    "clearance (employee or restricted)", email));
	r = db_q(st->db, sql, &s, cause, "tti", email,
	    store_clearance_col(clearance), now);
	if (r != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

int
store_user_get(struct store *st, const char *email,
    enum store_clearance *clearance, char **cause)
{
	static const char	 sql[] =
	    "SELECT clearance FROM users WHERE email = ?";
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "t", email)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) <= 0)
		return (r == 0 ? err_set(cause, FERRY_ERR_NOTFOUND,
		    "no user %s", email) : r);
	*clearance = store_clearance_from(db_col_str(s, 0));
	db_reset(s);
	return (0);
}

int
store_user_list(struct store *st,
    int (*cb)(void *, const char *, enum store_clearance), void *arg,
    char **cause)
{
	static const char	 sql[] =
	    "SELECT email, clearance FROM users ORDER BY email";
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "")) != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1) {
		if (cb(arg, db_col_str(s, 0), store_clearance_from(
		    db_col_str(s, 1))) != 0) {
			db_reset(s);
			return (0);
		}
	}
	return (r);
}

int
store_agent_add(struct store *st, const struct store_agent *a, int64_t now,
    int64_t *id, char **cause)
{
	static const char	 sql[] =
	    "INSERT INTO agents (name, role, site, email, clearance,"
	    " fingerprint, address, enrolled_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
	static const char	 taken[] =
	    "SELECT 1 FROM agents WHERE name = ? AND fingerprint <> ?";
	struct db_stmt		*s;
	int			 user = a->role == STORE_ROLE_USER, r;

	if (a->name == NULL || (user ? a->email == NULL : a->site == NULL))
		return (err_set(cause, FERRY_ERR_INVAL, "agent needs a name "
		    "and a %s", user ? "user" : "site"));
	/* The hub finds an agent's link by name: one agent per name. */
	if ((r = db_q(st->db, taken, &s, cause, "th", a->name,
	    a->fingerprint)) != 0 ||
	    (r = db_step(st->db, s, cause)) < 0)
		return (r);
	if (r == 1) {
		db_reset(s);
		return (err_set(cause, FERRY_ERR_EXIST, "an agent named %s is "
		    "enrolled already: choose another --name", a->name));
	}
	r = db_q(st->db, sql, &s, cause, "ttttthti", a->name,
	    store_role_name(a->role), user ? NULL : a->site,
	    user ? a->email : NULL,
	    user ? store_clearance_col(a->clearance) : NULL, a->fingerprint,
	    a->address, now);
	if (r != 0)
		return (r);
	r = db_exec_id(st->db, s, id, cause);
	if (r == FERRY_ERR_EXIST)
		return (err_set(cause, r, "this key is already enrolled"));
	if (r == FERRY_ERR_NOTFOUND)
		return (err_set(cause, r, "no %s %s", user ? "user" : "site",
		    user ? a->email : a->site));
	return (r);
}

static int
store_agent_copy(struct db_stmt *s, struct store_agent *a)
{
	const void	*fp;
	const char	*role;
	int		 r = 0;

	memset(a, 0, sizeof *a);
	a->id = db_col_int64(s, 0);
	role = db_col_str(s, 2);
	a->role = role != NULL && strcmp(role, "user") == 0 ?
	    STORE_ROLE_USER : STORE_ROLE_SITE;
	a->clearance = store_clearance_from(db_col_str(s, 5));
	fp = db_col_blob(s, 6);
	if (fp != NULL && db_col_bytes(s, 6) == STORE_FINGERPRINT_LEN)
		memcpy(a->fingerprint, fp, STORE_FINGERPRINT_LEN);
	a->enrolled_at = db_col_int64(s, 8);
	a->last_seen = db_col_int64(s, 9);
	r |= store_dup(db_col_str(s, 1), &a->name);
	r |= store_dup(db_col_str(s, 3), &a->site);
	r |= store_dup(db_col_str(s, 4), &a->email);
	r |= store_dup(db_col_str(s, 7), &a->address);
	if (r != 0) {
		store_agent_clear(a);
		return (FERRY_ERR_NOMEM);
	}
	return (0);
}

static int
store_agent_get_by(struct store *st, const char *sql, const char *fmt,
    const void *key, int64_t id, struct store_agent *out, char **cause)
{
	struct db_stmt	*s;
	int		 r;

	if (*fmt == 'h')
		r = db_q(st->db, sql, &s, cause, fmt, key);
	else
		r = db_q(st->db, sql, &s, cause, fmt, id);
	if (r != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) <= 0)
		return (r == 0 ? err_set(cause, FERRY_ERR_NOTFOUND,
		    "no such agent") : r);
	r = store_agent_copy(s, out);
	db_reset(s);
	return (r != 0 ? store_nomem(cause) : 0);
}

#define STORE_AGENT_SELECT \
	"SELECT id, name, role, site, email, clearance, fingerprint," \
	" address, enrolled_at, last_seen FROM agents"

int
store_agent_by_fingerprint(struct store *st,
    const unsigned char fp[STORE_FINGERPRINT_LEN], struct store_agent *out,
    char **cause)
{
	static const char	sql[] = STORE_AGENT_SELECT
	    " WHERE fingerprint = ?";

	return (store_agent_get_by(st, sql, "h", fp, 0, out, cause));
}

int
store_agent_by_id(struct store *st, int64_t id, struct store_agent *out,
    char **cause)
{
	static const char	sql[] = STORE_AGENT_SELECT " WHERE id = ?";

	return (store_agent_get_by(st, sql, "i", NULL, id, out, cause));
}

int
store_agent_seen(struct store *st, int64_t id, const char *address,
    int64_t now, char **cause)
{
	static const char	 sql[] =
	    "UPDATE agents SET last_seen = ?, address = coalesce(?, address)"
	    " WHERE id = ?";
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "iti", now, address, id)) != 0)
		return (r);
	if ((r = db_exec(st->db, s, cause)) != 0)
		return (r);
	if (db_changes(st->db) == 0)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "no agent %jd",
		    (intmax_t)id));
	return (0);
}

int
store_agent_set_platform(struct store *st, int64_t id, const char *platform,
    char **cause)
{
	static const char	 sql[] =
	    "UPDATE agents SET platform = ? WHERE id = ?"
	    " AND platform IS DISTINCT FROM ?";
	struct db_stmt		*s;
	int			 r;

	/* Unchanged (most hellos): no write, no WAL growth. */
	if ((r = db_q(st->db, sql, &s, cause, "tit", platform, id,
	    platform)) != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

int
store_endpoint_platform(struct store *st, const char *endpoint, char *buf,
    size_t len, char **cause)
{
	/*
	 * A site may have a Linux server and a Windows workstation: the
	 * one heard from last is the likelier to take the next transfer.
	 */
	static const char	 sql[] =
	    "SELECT platform FROM agents WHERE platform IS NOT NULL"
	    " AND ((role = 'site' AND site = ?) OR (role = 'user'"
	    " AND email = ?)) ORDER BY coalesce(last_seen, 0) DESC, id DESC"
	    " LIMIT 1";
	struct db_stmt		*s;
	const char		*p;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "tt", endpoint, endpoint)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) <= 0)
		return (r == 0 ? err_set(cause, FERRY_ERR_NOTFOUND, "no agent "
		    "of %s has said its platform", endpoint) : r);
	p = db_col_str(s, 0);
	r = p != NULL && strlen(p) < len ? 0 : FERRY_ERR_PARSE;
	if (r == 0)
		memcpy(buf, p, strlen(p) + 1);
	db_reset(s);
	return (r == 0 ? 0 : err_set(cause, r, "a stored platform of %s does "
	    "not fit", endpoint));
}

void
store_agent_clear(struct store_agent *a)
{
	if (a == NULL)
		return;
	free(a->name);
	free(a->site);
	free(a->email);
	free(a->address);
	a->name = a->site = a->email = a->address = NULL;
}
