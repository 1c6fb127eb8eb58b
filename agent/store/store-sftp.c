/*
 * SFTP sites in the store: a site whose files live on a vendor's SFTP
 * server (docs/sftp.md). A row names the server and the paths of the
 * credentials on the client, never the credentials themselves, so that a
 * copy of the store lets nobody log in.
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
store_sftp_add_tx(struct store *st, const struct store_sftp *s, int64_t now,
    char **cause)
{
	static const char	 sql[] =
	    "INSERT INTO sftp_sites (site, target, key_file, known_hosts,"
	    " passphrase_file, via, created) VALUES (?, ?, ?, ?, ?, ?, ?)";
	struct db_stmt		*q;
	int			 r;

	if ((r = store_site_add(st, s->site, now, cause)) != 0)
		return (r);
	if ((r = db_q(st->db, sql, &q, cause, "tttttti", s->site, s->target,
	    s->key_file, s->known_hosts, s->passphrase_file, s->via,
	    now)) != 0)
		return (r);
	return (db_exec(st->db, q, cause));
}

int
store_sftp_add(struct store *st, const struct store_sftp *s, int64_t now,
    char **cause)
{
	int	r;

	if (s->site == NULL || s->target == NULL || s->key_file == NULL ||
	    s->known_hosts == NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "an SFTP site needs a "
		    "name, a target, a key file and a known_hosts file"));
	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	r = store_sftp_add_tx(st, s, now, cause);
	return (db_end(st->db, r, cause));
}

int
store_sftp_get(struct store *st, const char *site, struct store_sftp *out,
    char **cause)
{
	static const char	 sql[] =
	    "SELECT site, target, key_file, known_hosts, passphrase_file,"
	    " via, created FROM sftp_sites WHERE site = ?";
	struct store_sftp	 s;
	struct db_stmt		*q;
	int			 r = 0;

	if ((r = db_q(st->db, sql, &q, cause, "t", site)) != 0)
		return (r);
	if ((r = db_step(st->db, q, cause)) <= 0)
		return (r == 0 ? err_set(cause, FERRY_ERR_NOTFOUND,
		    "%s is not an SFTP site", site) : r);
	memset(&s, 0, sizeof s);
	r = store_dup(db_col_str(q, 0), &s.site);
	r |= store_dup(db_col_str(q, 1), &s.target);
	r |= store_dup(db_col_str(q, 2), &s.key_file);
	r |= store_dup(db_col_str(q, 3), &s.known_hosts);
	r |= store_dup(db_col_str(q, 4), &s.passphrase_file);
	r |= store_dup(db_col_str(q, 5), &s.via);
	s.created = db_col_int64(q, 6);
	db_reset(q);
	if (r != 0) {
		store_sftp_clear(&s);
		return (store_nomem(cause));
	}
	*out = s;
	return (0);
}

void
store_sftp_clear(struct store_sftp *s)
{
	if (s == NULL)
		return;
	free(s->site);
	free(s->target);
	free(s->key_file);
	free(s->known_hosts);
	free(s->passphrase_file);
	free(s->via);
	memset(s, 0, sizeof *s);
}
