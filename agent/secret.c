/*
 * The hub's secret at rest: hub.secret, 32 random bytes in hex, mode
 * 0600, in the state directory beside hub.db but never in it. It seals
 * the invites' keys (store-seal.c), so that a copy of hub.db alone cannot
 * enrol. hub.db records a check of it (an HMAC of a fixed text), so a
 * secret from elsewhere is told from the right one, and whose hub.db it
 * is (the hub's key fingerprint), so another hub's database is refused.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "err.h"
#include "ferryd.h"
#include "hex.h"
#include "identity.h"
#include "log.h"
#include "store.h"

#define SECRET_FILE	"hub.secret"
#define SECRET_LEN	32
#define SECRET_CHECK	"ferry hub.secret check"

static void
secret_path(const char *state, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", state, SECRET_FILE);
}

/* The check hub.db keeps of a secret, in hex. */
static int
secret_check(const uint8_t *key, char *out, char **cause)
{
	uint8_t		mac[32];
	unsigned int	n = sizeof mac;

	if (HMAC(EVP_sha256(), key, SECRET_LEN, (const void *)SECRET_CHECK,
	    strlen(SECRET_CHECK), mac, &n) == NULL)
		return (err_set(cause, FERRY_ERR_CRYPTO, "HMAC failed"));
	hex_encode(mac, sizeof mac, out);
	return (0);
}

/* Reads a secret from path: FERRY_ERR_NOTFOUND if there is none. */
static int
secret_read_path(const char *path, uint8_t *key, char **cause)
{
	char	text[2 * SECRET_LEN + 2];
	ssize_t	n;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return (errno == ENOENT ? FERRY_ERR_NOTFOUND : err_set(cause,
		    FERRY_ERR_IO, "%s: %s", path, strerror(errno)));
	n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n < 2 * SECRET_LEN || (text[2 * SECRET_LEN] = '\0',
	    hex_decode(text, key, SECRET_LEN) != 0))
		return (err_set(cause, FERRY_ERR_PARSE, "%s: not a hub "
		    "secret", path));
	OPENSSL_cleanse(text, sizeof text);
	return (0);
}

/* Reads hub.secret: FERRY_ERR_NOTFOUND if there is none. */
static int
secret_read(const char *state, uint8_t *key, char **cause)
{
	char	path[4096];

	secret_path(state, path, sizeof path);
	return (secret_read_path(path, key, cause));
}

/*
 * Writes key as hub.secret, 0600: into hub.secret.new (O_EXCL: a name
 * nobody else writes), flushed, then renamed, so that a crash never
 * leaves a part of a secret under the final name. An existing hub.secret
 * is never replaced.
 */
static int
secret_write(const char *state, const uint8_t *key, char **cause)
{
	char		path[4096], tmp[4096 + 8], text[2 * SECRET_LEN + 2];
	struct stat	sb;
	int		fd, r = 0;

	secret_path(state, path, sizeof path);
	snprintf(tmp, sizeof tmp, "%s.new", path);
	if (lstat(path, &sb) == 0)
		return (err_set(cause, FERRY_ERR_EXIST, "%s exists already",
		    path));
	hex_encode(key, SECRET_LEN, text);
	text[2 * SECRET_LEN] = '\n';
	text[2 * SECRET_LEN + 1] = '\0';
	(void)unlink(tmp);	/* what a crash left */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1 || write(fd, text, strlen(text)) !=
	    (ssize_t)strlen(text) || fsync(fd) == -1)
		r = err_set(cause, FERRY_ERR_IO, "%s: %s", tmp,
		    strerror(errno));
	if (fd != -1 && close(fd) == -1 && r == 0)
		r = err_set(cause, FERRY_ERR_IO, "%s: %s", tmp,
		    strerror(errno));
	if (r == 0 && rename(tmp, path) == -1)
		r = err_set(cause, FERRY_ERR_IO, "%s: %s", path,
		    strerror(errno));
	if (r != 0)
		(void)unlink(tmp);
	OPENSSL_cleanse(text, sizeof text);
	return (r);
}

/* Makes hub.secret: new random bytes, written once, 0600. */
static int
secret_make(const char *state, uint8_t *key, char **cause)
{
	if (RAND_bytes(key, SECRET_LEN) != 1)
		return (err_set(cause, FERRY_ERR_CRYPTO, "no random bytes"));
	return (secret_write(state, key, cause));
}

int
secret_init(const char *state, struct store *st, const uint8_t *fp,
    char **cause)
{
	uint8_t	key[SECRET_LEN];
	char	check[65], fps[IDENTITY_FP_STRLEN + 1];
	int	r;

	identity_fp_format(fp, fps);
	if ((r = secret_make(state, key, cause)) == 0 &&
	    (r = secret_check(key, check, cause)) == 0 &&
	    (r = store_meta_set(st, "hub_fp", fps, cause)) == 0) {
		store_set_seal(st, key);
		r = store_invite_seal_all(st, check, NULL, cause);
	}
	OPENSSL_cleanse(key, sizeof key);
	return (r);
}

/* Whose hub.db this is: ours, or (from before meta) ours from now on. */
static int
secret_owner(const char *state, struct store *st, const uint8_t *fp,
    char **cause)
{
	char	fps[IDENTITY_FP_STRLEN + 1], *have = NULL;
	int	r;

	identity_fp_format(fp, fps);
	r = store_meta_get(st, "hub_fp", &have, cause);
	if (r == FERRY_ERR_NOTFOUND)
		return (store_meta_set(st, "hub_fp", fps, cause));
	/* A store's other hubs, each with a key of its own (issue 17). */
	if (r == 0 && strcmp(have, fps) != 0 &&
	    store_hub_known(st, fps, NULL) != 0)
		r = err_set(cause, FERRY_ERR_AUTH, "%s/hub.db belongs to "
		    "another hub (key %s), not to this one (key %s): restore "
		    "this hub's own hub.db (docs/security.md)", state, have,
		    fps);
	free(have);
	return (r);
}

int
secret_open(const char *state, struct store *st, const uint8_t *fp,
    char **cause)
{
	uint8_t	key[SECRET_LEN];
	char	check[65], *want = NULL;
	size_t	n = 0;
	int	r, have;

	if ((r = secret_owner(state, st, fp, cause)) != 0)
		return (r);
	if ((r = store_meta_get(st, "secret_check", &want, cause)) != 0 &&
	    r != FERRY_ERR_NOTFOUND)
		return (r);
	have = (r = secret_read(state, key, cause)) == 0;
	if (r != 0 && r != FERRY_ERR_NOTFOUND)
		goto out;
	if (!have && want != NULL) {
		r = err_set(cause, FERRY_ERR_NOTFOUND, "%s/%s is missing: "
		    "restore it from the same backup as hub.db "
		    "(docs/security.md)", state, SECRET_FILE);
		goto out;
	}
	/* A hub from before hub.secret: make it, seal what is stored. */
	if (!have && (r = secret_make(state, key, cause)) != 0)
		goto out;
	if ((r = secret_check(key, check, cause)) != 0)
		goto out;
	if (want != NULL && strcmp(want, check) != 0) {
		r = err_set(cause, FERRY_ERR_AUTH, "%s/%s does not belong to "
		    "this hub.db: restore the two from the same backup "
		    "(docs/security.md)", state, SECRET_FILE);
		goto out;
	}
	store_set_seal(st, key);
	if (want == NULL) {
		if ((r = store_invite_seal_all(st, check, &n, cause)) != 0)
			goto out;
		log_info("%s/%s made; %zu invite(s) sealed with it", state,
		    SECRET_FILE, n);
	}
out:
	OPENSSL_cleanse(key, sizeof key);
	free(want);
	return (r);
}

/*
 * A second hub of one store (ferryd init --join): the store's hub.secret,
 * copied by the operator from a hub of it, is checked against the store
 * and written into this hub's state directory, 0600, under its final
 * name only once whole (O_EXCL on a name nobody else writes).
 */
int
secret_join(const char *state, struct store *st, const char *from,
    char **cause)
{
	uint8_t		key[SECRET_LEN];
	char		check[65], *want = NULL;
	struct stat	sb;
	int		r;

	if (stat(from, &sb) == -1)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "%s: %s", from,
		    strerror(errno)));
	if ((sb.st_mode & 077) != 0)
		return (err_set(cause, FERRY_ERR_AUTH, "%s can be read by "
		    "others (mode %03o): make it 0600 first", from,
		    (unsigned)(sb.st_mode & 0777)));
	if ((r = secret_read_path(from, key, cause)) != 0) {
		if (r == FERRY_ERR_NOTFOUND)
			r = err_set(cause, r, "%s: no such file", from);
		return (r);
	}
	if ((r = store_meta_get(st, "secret_check", &want, cause)) != 0 ||
	    (r = secret_check(key, check, cause)) != 0)
		goto out;
	if (strcmp(want, check) != 0) {
		r = err_set(cause, FERRY_ERR_AUTH, "%s is not this store's "
		    "hub.secret: copy the one from the state directory of a "
		    "hub of this store", from);
		goto out;
	}
	r = secret_write(state, key, cause);
out:
	OPENSSL_cleanse(key, sizeof key);
	free(want);
	return (r);
}
