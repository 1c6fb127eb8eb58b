/*
 * What protects the store at rest (docs/security.md).
 *
 * An invite's key (the SHA-256 of its code, which both ends of an
 * enrolment use for their proofs) is stored sealed: AES-256 over its two
 * blocks under a seal key kept outside the database (hub.secret). The
 * hub must recover the key to check a proof, so a one-way value cannot
 * do; a copy of hub.db alone holds only the sealed form. The key is
 * uniformly random and never repeats, so the blocks need no mode.
 *
 * The meta table says whose store it is and how to tell its seal key,
 * and store_open_existing refuses anything but a ferry hub database in
 * good order: `ferryd run` never makes a new one.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "db.h"
#include "err.h"
#include "store.h"
#include "store-int.h"

int
store_seal_key(struct store *st, const unsigned char *in, unsigned char *out,
    int seal, char **cause)
{
	EVP_CIPHER_CTX	*ctx;
	int		 n = 0, ok;

	if (!st->sealing) {
		memmove(out, in, STORE_HASH_LEN);
		return (0);
	}
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return (store_nomem(cause));
	ok = EVP_CipherInit_ex(ctx, EVP_aes_256_ecb(), NULL, st->seal, NULL,
	    seal) == 1 && EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	    EVP_CipherUpdate(ctx, out, &n, in, STORE_HASH_LEN) == 1 &&
	    n == STORE_HASH_LEN;
	EVP_CIPHER_CTX_free(ctx);
	return (ok ? 0 : err_set(cause, FERRY_ERR_CRYPTO, "AES failed"));
}

void
store_set_seal(struct store *st, const unsigned char *key)
{
	memcpy(st->seal, key, sizeof st->seal);
	st->sealing = 1;
}

int
store_meta_get(struct store *st, const char *key, char **value,
    char **cause)
{
	static const char	 sql[] = "SELECT value FROM meta WHERE key = ?";
	struct db_stmt		*s;
	int			 r;

	*value = NULL;
	if ((r = db_q(st->db, sql, &s, cause, "t", key)) != 0)
		return (r);
	if ((r = db_step(st->db, s, cause)) == 1) {
		*value = strdup(db_col_str(s, 0));
		db_reset(s);
		return (*value != NULL ? 0 : store_nomem(cause));
	}
	return (r == 0 ? FERRY_ERR_NOTFOUND : r);
}

int
store_meta_set(struct store *st, const char *key, const char *value,
    char **cause)
{
	static const char	 sql[] =
	    "INSERT INTO meta (key, value) VALUES (?, ?)"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value";
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "tt", key, value)) != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

/* Seals one invite row in place. */
static int
store_seal_row(struct store *st, int64_t id, const unsigned char *plain,
    char **cause)
{
	static const char	 sql[] =
	    "UPDATE invites SET code_hash = ? WHERE id = ?";
	unsigned char		 sealed[STORE_HASH_LEN];
	struct db_stmt		*s;
	int			 r;

	if ((r = store_seal_key(st, plain, sealed, 1, cause)) != 0 ||
	    (r = db_q(st->db, sql, &s, cause, "hi", sealed, id)) != 0)
		return (r);
	return (db_exec(st->db, s, cause));
}

int
store_invite_seal_all(struct store *st, const char *check, size_t *n,
    char **cause)
{
	static const char	 sql[] = "SELECT id, code_hash FROM invites";
	unsigned char		 (*rows)[STORE_HASH_LEN] = NULL, (*v)[32];
	int64_t			*ids = NULL, *w;
	struct db_stmt		*s;
	size_t			 i, count = 0;
	int			 r;

	if ((r = db_begin(st->db, cause)) != 0)
		return (r);
	/* Read all first: a statement must not run while its rows change. */
	if ((r = db_q(st->db, sql, &s, cause, "")) == 0) {
		while ((r = db_step(st->db, s, cause)) == 1) {
			if (db_col_bytes(s, 1) != STORE_HASH_LEN)
				continue;
			if ((v = realloc(rows, (count + 1) * sizeof *rows)) ==
			    NULL || (rows = v, (w = realloc(ids, (count + 1) *
			    sizeof *ids)) == NULL)) {
				db_reset(s);
				r = store_nomem(cause);
				break;
			}
			ids = w;
			ids[count] = db_col_int64(s, 0);
			memcpy(rows[count++], db_col_blob(s, 1),
			    STORE_HASH_LEN);
		}
	}
	for (i = 0; r == 0 && i < count; i++)
		r = store_seal_row(st, ids[i], rows[i], cause);
	if (r == 0)
		r = store_meta_set(st, "secret_check", check, cause);
	if (rows != NULL)
		OPENSSL_cleanse(rows, count * sizeof *rows);
	free(rows);
	free(ids);
	if ((r = db_end(st->db, r, cause)) == 0 && n != NULL)
		*n = count;
	return (r);
}

/* Whether the database finds itself in order (SQLite: quick_check). */
static int
store_quick_check(struct store *st, char **cause)
{
	return (db_check(st->db, cause));
}

int
store_open_existing(const char *path, struct store **out, char **cause)
{
	return (store_open_existing_with(path, NULL, out, cause));
}

int
store_open_existing_with(const char *path, const char *password_file,
    struct store **out, char **cause)
{
	static const char	 restore[] = ": restore it from a backup "
				    "(docs/security.md), or make a new hub "
				    "with 'ferryd init'";
	struct stat		 sb;
	char			*why = NULL;
	int			 r;

	*out = NULL;
	if (db_is_url(path)) {
		r = store_open_with(path, password_file, 0, out, &why);
		if (r == FERRY_ERR_STATE)
			r = err_set(cause, r, "%s holds no ferry hub store: "
			    "make one with 'ferryd init --hub --store'", path);
		else if (r != 0)
			r = err_set(cause, r, "%s", why);
		free(why);
		return (r);
	}
	if (stat(path, &sb) == -1)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "%s is %s%s", path,
		    errno == ENOENT ? "missing" : strerror(errno), restore));
	if (sb.st_size == 0)
		return (err_set(cause, FERRY_ERR_IO, "%s is empty%s", path,
		    restore));
	r = store_open_as(path, 0, out, &why);
	if (r == 0 && (r = store_quick_check(*out, &why)) != 0) {
		store_close(*out);
		*out = NULL;
	}
	if (r == FERRY_ERR_STATE)
		r = err_set(cause, r, "%s is not a ferry hub database%s",
		    path, restore);
	else if (r != 0)
		r = err_set(cause, r, "%s is damaged (%s)%s", path, why ? why :
		    err_str(r), restore);
	free(why);
	return (r);
}
