/*
 * Invites: made, used once, and enrolment by one.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "db.h"
#include "err.h"
#include "store.h"
#include "store-int.h"

/* Invites. */

int
store_invite_code(char *buf, size_t len, char **cause)
{
	static const char	 alphabet[] =
	    "0123456789abcdefghjkmnpqrstvwxyz";
	unsigned char		 raw[STORE_CODE_LEN * 5 / 8];
	unsigned		 bits = 0, acc = 0;
	size_t			 i, n = 0;

	if (len < STORE_CODE_LEN + 1)
		return (err_set(cause, FERRY_ERR_INVAL, "code buffer too "
		    "small"));
	if (RAND_bytes(raw, sizeof raw) != 1)
		return (err_set(cause, FERRY_ERR_CRYPTO, "no random bytes"));
	/* Base32 (Crockford's alphabet): 5 bits a character. */
	for (i = 0; i < sizeof raw; i++) {
		acc = (acc << 8) | raw[i];
		bits += 8;
		while (bits >= 5) {
			buf[n++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	buf[n] = '\0';
	OPENSSL_cleanse(raw, sizeof raw);
	return (0);
}

int
store_invite_hash(const char *code, unsigned char hash[STORE_HASH_LEN],
    char **cause)
{
	unsigned int	n = 0;

	if (code == NULL || *code == '\0')
		return (err_set(cause, FERRY_ERR_INVAL, "empty invite code"));
	if (EVP_Digest(code, strlen(code), hash, &n, EVP_sha256(),
	    NULL) != 1 || n != STORE_HASH_LEN)
		return (err_set(cause, FERRY_ERR_CRYPTO, "SHA-256 failed"));
	return (0);
}

int
store_invite_create(struct store *st, enum store_role kind,
    const char *target, enum store_clearance clearance, const char *code,
    int64_t now, int64_t ttl, int64_t *id, char **cause)
{
	static const char	 sql[] =
	    "INSERT INTO invites (code_hash, kind, site, email, clearance,"
	    " created, expires) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id";
	unsigned char		 hash[STORE_HASH_LEN];
	struct db_stmt		*s;
	int			 user = kind == STORE_ROLE_USER, r;

	if (target == NULL || *target == '\0' || ttl <= 0)
		return (err_set(cause, FERRY_ERR_INVAL, "an invite needs a "
		    "%s and a positive lifetime", user ? "user" : "site"));
	if (user != (clearance != STORE_CLEARANCE_NONE))
		return (err_set(cause, FERRY_ERR_INVAL, "%s",
		    user ? "a user invite needs a clearance" :
		    "a site invite takes no clearance"));
	if ((r = store_invite_hash(code, hash, cause)) != 0 ||
	    (r = store_seal_key(st, hash, hash, 1, cause)) != 0)
		return (r);
	r = db_q(st->db, sql, &s, cause, "httttii", hash, store_role_name(kind),
	    user ? NULL : target, user ? target : NULL,
	    store_clearance_col(clearance), now, now + ttl);
	if (r != 0)
		return (r);
	r = db_exec_id(st->db, s, id, cause);
	if (r == FERRY_ERR_EXIST)
		return (err_set(cause, r, "this invite code exists already"));
	return (r);
}

static void
store_time_str(int64_t t, char *buf, size_t len)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "%jd", (intmax_t)t);
}

static int
store_invite_copy(struct db_stmt *s, struct store_invite *inv)
{
	const char	*kind = db_col_str(s, 1);
	int		 r = 0;

	memset(inv, 0, sizeof *inv);
	inv->id = db_col_int64(s, 0);
	inv->kind = kind != NULL && strcmp(kind, "user") == 0 ?
	    STORE_ROLE_USER : STORE_ROLE_SITE;
	inv->clearance = store_clearance_from(db_col_str(s, 4));
	inv->created = db_col_int64(s, 5);
	inv->expires = db_col_int64(s, 6);
	inv->used_at = db_col_int64(s, 7);
	r |= store_dup(db_col_str(s, 2), &inv->site);
	r |= store_dup(db_col_str(s, 3), &inv->email);
	if (r != 0) {
		store_invite_clear(inv);
		return (FERRY_ERR_NOMEM);
	}
	return (0);
}

/* Why an invite cannot be used, or 0. */
static int
store_invite_check(const struct store_invite *inv, int64_t now,
    char **cause)
{
	char	when[64];

	if (inv->used_at != 0) {
		store_time_str(inv->used_at, when, sizeof when);
		return (err_set(cause, FERRY_ERR_USED, "this invite code was "
		    "already used, at %s", when));
	}
	if (inv->expires <= now) {
		store_time_str(inv->expires, when, sizeof when);
		return (err_set(cause, FERRY_ERR_EXPIRED, "this invite code "
		    "expired at %s", when));
	}
	return (0);
}

static int
store_invite_use_tx(struct store *st, const unsigned char *hash,
    const unsigned char *fp, int64_t now, struct store_invite *inv,
    char **cause)
{
	static const char	 get[] =
	    "SELECT id, kind, site, email, clearance, created, expires,"
	    " used_at FROM invites WHERE code_hash = ?";
	static const char	 use[] =
	    "UPDATE invites SET used_at = ?, used_by = ?"
	    " WHERE id = ? AND used_at IS NULL";
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, get, &s, cause, "h", hash)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) <= 0)
		return (r == 0 ? err_set(cause, FERRY_ERR_NOTFOUND,
		    "unknown invite code") : r);
	r = store_invite_copy(s, inv);
	db_reset(s);
	if (r != 0)
		return (store_nomem(cause));
	if ((r = store_invite_check(inv, now, cause)) == 0)
		r = db_q(st->db, use, &s, cause, "ihi", now, fp, inv->id);
	if (r == 0)
		r = db_exec(st->db, s, cause);
	if (r == 0 && db_changes(st->db) != 1)
		r = err_set(cause, FERRY_ERR_USED, "this invite code was "
		    "already used");
	if (r != 0)
		store_invite_clear(inv);
	else
		inv->used_at = now;
	return (r);
}

int
store_invite_use(struct store *st, const char *code,
    const unsigned char fp[STORE_FINGERPRINT_LEN], int64_t now,
    struct store_invite *out, char **cause)
{
	unsigned char		hash[STORE_HASH_LEN];
	struct store_invite	inv;
	int			r;

	if ((r = store_invite_hash(code, hash, cause)) != 0 ||
	    (r = store_seal_key(st, hash, hash, 1, cause)) != 0)
		return (r);
	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	r = store_invite_use_tx(st, hash, fp, now, &inv, cause);
	if ((r = db_end(st->db, r, cause)) != 0)
		return (r);
	if (out != NULL)
		*out = inv;
	else
		store_invite_clear(&inv);
	return (0);
}

static int
store_enroll_tx(struct store *st, const struct store_invite *inv,
    struct store_agent *a, int64_t now, char **cause)
{
	static const char	 site[] =
	    "INSERT INTO sites (name, created) VALUES (?, ?)"
	    " ON CONFLICT DO NOTHING";
	static const char	 audit[] =
	    "INSERT INTO audit (time, who, what, detail) VALUES (?, ?,"
	    " 'enroll', ?)";
	char			 detail[96];
	struct db_stmt		*s;
	int			 r;

	if (inv->kind == STORE_ROLE_SITE) {
		a->site = inv->site;
		if ((r = db_q(st->db, site, &s, cause, "ti", inv->site,
		    now)) != 0 || (r = db_exec(st->db, s, cause)) != 0)
			return (r);
	} else {
		a->email = inv->email;
		a->clearance = inv->clearance;
		r = store_user_set(st, inv->email, inv->clearance, now, cause);
		if (r != 0)
			return (r);
	}
	a->role = inv->kind;
	if ((r = store_agent_add(st, a, now, &a->id, cause)) != 0)
		return (r);
	snprintf(detail, sizeof detail, "{\"invite\":%jd,\"agent\":%jd}",
	    (intmax_t)inv->id, (intmax_t)a->id);
	if ((r = db_q(st->db, audit, &s, cause, "itt", now, a->name,
	    detail)) != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

int
store_enroll(struct store *st, const char *code, const char *name,
    const unsigned char fp[STORE_FINGERPRINT_LEN], const char *address,
    int64_t now, struct store_agent *out, char **cause)
{
	unsigned char	hash[STORE_HASH_LEN];
	int		r;

	if ((r = store_invite_hash(code, hash, cause)) != 0)
		return (r);
	return (store_enroll_hash(st, hash, name, fp, address, now, out,
	    cause));
}

int
store_enroll_hash(struct store *st, const unsigned char *hash,
    const char *name, const unsigned char fp[STORE_FINGERPRINT_LEN],
    const char *address, int64_t now, struct store_agent *out, char **cause)
{
	struct store_invite	inv;
	struct store_agent	a;
	unsigned char		sealed[STORE_HASH_LEN];
	int			r;

	if (name == NULL || *name == '\0')
		return (err_set(cause, FERRY_ERR_INVAL, "empty agent name"));
	if ((r = store_seal_key(st, hash, sealed, 1, cause)) != 0)
		return (r);
	memset(&a, 0, sizeof a);
	a.name = (char *)name;
	a.address = (char *)address;
	memcpy(a.fingerprint, fp, STORE_FINGERPRINT_LEN);
	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	r = store_invite_use_tx(st, sealed, fp, now, &inv, cause);
	if (r == 0) {
		r = store_enroll_tx(st, &inv, &a, now, cause);
		store_invite_clear(&inv);
	}
	if ((r = db_end(st->db, r, cause)) != 0)
		return (r);
	if (out != NULL)
		return (store_agent_by_id(st, a.id, out, cause));
	return (0);
}

int
store_invite_keys(struct store *st,
    int (*cb)(void *, int64_t, const unsigned char *), void *arg,
    char **cause)
{
	static const char	 sql[] = "SELECT id, code_hash FROM invites";
	unsigned char		 key[STORE_HASH_LEN];
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "")) != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) > 0) {
		if (db_col_bytes(s, 1) != STORE_HASH_LEN)
			continue;
		if ((r = store_seal_key(st, db_col_blob(s, 1), key, 0,
		    cause)) != 0 ||
		    (r = cb(arg, db_col_int64(s, 0), key)) != 0)
			break;
	}
	OPENSSL_cleanse(key, sizeof key);
	db_reset(s);
	return (r < 0 ? r : 0);
}

void
store_invite_clear(struct store_invite *inv)
{
	if (inv == NULL)
		return;
	free(inv->site);
	free(inv->email);
	inv->site = inv->email = NULL;
}

int
store_invite_pending(struct store *st, const char *target, int64_t now,
    int *pending, char **cause)
{
	static const char	 sql[] = "SELECT 1 FROM invites WHERE"
	    " (site = ?1 OR email = ?1) AND used_at IS NULL AND expires > ?2"
	    " LIMIT 1";
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "ti", target, now)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) < 0)
		return (r);
	*pending = r == 1;
	if (r == 1)
		db_reset(s);
	return (0);
}
