#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "err.h"
#include "identity.h"
#include "ossl-int.h"

/*
 * Ed25519 rather than ECDSA P-256: signatures need no per-signature random
 * nonce (so a weak RNG cannot leak the key), there is one curve and no
 * parameter choices to get wrong, keys and certificates are small, and
 * every TLS 1.3 stack we care about (OpenSSL >= 1.1.1) supports it.
 */
#define IDENTITY_KEY_TYPE	"ED25519"
/* Peers pin the key, not the certificate, so expiry would only break. */
#define IDENTITY_CERT_DAYS	(100 * 365)
/* PEM files of one small key or certificate; anything bigger is not ours. */
#define IDENTITY_FILE_MAX	(64 * 1024)

#define FP_B32_LEN	52	/* 256 bits in base32, unpadded */
#define FP_RUN		13	/* characters per Luhn-checked run */
#define FP_RAW_LEN	56	/* with one check character per run */
#define FP_GROUP	7

struct identity {
	EVP_PKEY	*key;
	X509		*cert;
	uint8_t		 fp[IDENTITY_FP_LEN];
};

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

void
identity_free(struct identity *id)
{
	if (id == NULL)
		return;
	EVP_PKEY_free(id->key);
	X509_free(id->cert);
	free(id);
}

const uint8_t *
identity_fp(const struct identity *id)
{
	return (id->fp);
}

EVP_PKEY *
identity_key(const struct identity *id)
{
	return (id->key);
}

X509 *
identity_cert(const struct identity *id)
{
	return (id->cert);
}

static int
identity_crypto_err(char **cause, const char *what)
{
	char	e[256];

	return (err_set(cause, FERRY_ERR_CRYPTO, "%s: %s", what,
	    ossl_err(e, sizeof e)));
}

int
identity_fp_of_cert(X509 *cert, uint8_t *fp, char **cause)
{
	EVP_PKEY	*pub;
	unsigned char	*der = NULL;
	unsigned int	 mdlen = 0;
	int		 len, ok;

	if ((pub = X509_get0_pubkey(cert)) == NULL)
		return (identity_crypto_err(cause,
		    "certificate has no usable public key"));
	if ((len = i2d_PUBKEY(pub, &der)) <= 0)
		return (identity_crypto_err(cause,
		    "cannot encode the public key"));
	ok = EVP_Digest(der, (size_t)len, fp, &mdlen, EVP_sha256(), NULL);
	OPENSSL_free(der);
	if (!ok || mdlen != IDENTITY_FP_LEN)
		return (identity_crypto_err(cause, "SHA-256 failed"));
	return (0);
}

/* Base32 of the digest, then a Luhn check character after each run. */
static void
fp_b32(const uint8_t *fp, char *out)
{
	unsigned int	acc = 0;
	int		bits = 0;
	size_t		i, n = 0;

	for (i = 0; i < IDENTITY_FP_LEN; i++) {
		acc = (acc << 8 | fp[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[n++] = b32_alphabet[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		out[n++] = b32_alphabet[(acc << (5 - bits)) & 31];
}

static int
b32_value(char c)
{
	const char	*p;

	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c == '\0' || (p = strchr(b32_alphabet, c)) == NULL)
		return (-1);
	return ((int)(p - b32_alphabet));
}

/* Luhn mod 32 over run[0..n), which holds only base32 characters. */
static char
fp_luhn(const char *run, size_t n)
{
	int	factor = 2, sum = 0, addend;
	size_t	i;

	for (i = n; i > 0; i--) {
		addend = factor * b32_value(run[i - 1]);
		factor = factor == 2 ? 1 : 2;
		sum += addend / 32 + addend % 32;
	}
	return (b32_alphabet[(32 - sum % 32) % 32]);
}

void
identity_fp_format(const uint8_t *fp, char *s)
{
	char	b32[FP_B32_LEN], raw[FP_RAW_LEN];
	size_t	i, r, n = 0;

	fp_b32(fp, b32);
	for (r = 0; r < FP_B32_LEN / FP_RUN; r++) {
		memcpy(raw + r * (FP_RUN + 1), b32 + r * FP_RUN, FP_RUN);
		raw[r * (FP_RUN + 1) + FP_RUN] = fp_luhn(b32 + r * FP_RUN,
		    FP_RUN);
	}
	for (i = 0; i < FP_RAW_LEN; i++) {
		if (i > 0 && i % FP_GROUP == 0)
			s[n++] = '-';
		s[n++] = raw[i];
	}
	s[n] = '\0';
}

/* Collects the significant characters of s, upper-cased, into raw. */
static int
fp_parse_raw(const char *s, char *raw, char **cause)
{
	size_t	n = 0;
	int	v;

	for (; *s != '\0'; s++) {
		if (*s == '-' || *s == ' ')
			continue;
		if ((v = b32_value(*s)) == -1)
			return (err_set(cause, FERRY_ERR_PARSE,
			    "fingerprint contains '%c', which is not in the "
			    "base32 alphabet (A-Z, 2-7)", *s));
		if (n == FP_RAW_LEN)
			return (err_set(cause, FERRY_ERR_PARSE,
			    "fingerprint is longer than %d characters",
			    FP_RAW_LEN));
		raw[n++] = b32_alphabet[v];
	}
	if (n != FP_RAW_LEN)
		return (err_set(cause, FERRY_ERR_PARSE,
		    "fingerprint has %zu characters, expected %d (not "
		    "counting dashes)", n, FP_RAW_LEN));
	return (0);
}

int
identity_fp_parse(const char *s, uint8_t *fp, char **cause)
{
	char		raw[FP_RAW_LEN];
	const char	*run;
	unsigned int	acc = 0;
	int		bits = 0, r;
	size_t		i, j, n = 0;

	if ((r = fp_parse_raw(s, raw, cause)) != 0)
		return (r);
	for (i = 0; i < FP_B32_LEN / FP_RUN; i++) {
		run = raw + i * (FP_RUN + 1);
		if (fp_luhn(run, FP_RUN) != run[FP_RUN])
			return (err_set(cause, FERRY_ERR_PARSE,
			    "fingerprint check character %zu of 4 is wrong: "
			    "is it mistyped?", i + 1));
		for (j = 0; j < FP_RUN; j++) {
			acc = (acc << 5 | (unsigned int)b32_value(run[j])) &
			    0xfff;
			bits += 5;
			if (bits >= 8 && n < IDENTITY_FP_LEN) {
				bits -= 8;
				fp[n++] = (uint8_t)(acc >> bits);
			}
		}
	}
	/* 52 characters carry 260 bits: the last 4 must be zero padding. */
	if ((acc & ((1u << bits) - 1)) != 0)
		return (err_set(cause, FERRY_ERR_PARSE,
		    "fingerprint has non-zero padding bits: is it mistyped?"));
	return (0);
}

static int
identity_make_key(EVP_PKEY **key, char **cause)
{
	EVP_PKEY_CTX	*ctx;
	int		 ok;

	*key = NULL;
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, IDENTITY_KEY_TYPE,
	    NULL)) == NULL)
		return (identity_crypto_err(cause, "Ed25519 is not available"));
	ok = EVP_PKEY_keygen_init(ctx) > 0 && EVP_PKEY_generate(ctx, key) > 0;
	EVP_PKEY_CTX_free(ctx);
	if (!ok)
		return (identity_crypto_err(cause, "key generation failed"));
	return (0);
}

/* A random positive 127-bit serial, as RFC 5280 asks for uniqueness. */
static int
identity_set_serial(X509 *cert)
{
	unsigned char	 r[16];
	BIGNUM		*bn;
	int		 ok;

	if (RAND_bytes(r, sizeof r) != 1)
		return (0);
	r[0] &= 0x7f;
	r[0] |= 0x40;	/* never zero, never negative */
	if ((bn = BN_bin2bn(r, sizeof r, NULL)) == NULL)
		return (0);
	ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
	BN_free(bn);
	return (ok);
}

static int
identity_fill_cert(X509 *cert, EVP_PKEY *key, const char *name)
{
	X509_NAME	*subj;

	if (!X509_set_version(cert, X509_VERSION_3) ||
	    !identity_set_serial(cert))
		return (0);
	/* An hour of slack for peers whose clocks run behind. */
	if (X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(cert), IDENTITY_CERT_DAYS, 0,
	    NULL) == NULL)
		return (0);
	if ((subj = X509_get_subject_name(cert)) == NULL ||
	    !X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_UTF8,
	    (const unsigned char *)name, -1, -1, 0) ||
	    !X509_set_issuer_name(cert, subj))
		return (0);
	/* Ed25519 signs the message itself: no separate digest. */
	return (X509_set_pubkey(cert, key) &&
	    X509_sign(cert, key, NULL) > 0);
}

int
identity_generate(const char *name, struct identity **out, char **cause)
{
	struct identity	*id;
	int		 r;

	*out = NULL;
	if (name == NULL || *name == '\0' || strlen(name) > 64)
		return (err_set(cause, FERRY_ERR_INVAL,
		    "identity name must be 1 to 64 bytes"));
	if ((id = calloc(1, sizeof *id)) == NULL)
		return (FERRY_ERR_NOMEM);
	if ((r = identity_make_key(&id->key, cause)) != 0)
		goto fail;
	if ((id->cert = X509_new()) == NULL ||
	    !identity_fill_cert(id->cert, id->key, name)) {
		r = identity_crypto_err(cause, "cannot make the certificate");
		goto fail;
	}
	if ((r = identity_fp_of_cert(id->cert, id->fp, cause)) != 0)
		goto fail;
	*out = id;
	return (0);
fail:
	identity_free(id);
	return (r);
}

/* The directory part of path, for fsync after a new name appears in it. */
static int
identity_fsync_dir(const char *path)
{
	char		 dir[PATH_MAX];
	const char	*slash;
	int		 fd, r;

	if ((slash = strrchr(path, '/')) == NULL)
		snprintf(dir, sizeof dir, ".");
	else if (slash == path)
		snprintf(dir, sizeof dir, "/");
	else if ((size_t)(slash - path) >= sizeof dir)
		return (-1);
	else
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (-1);
	r = fsync(fd);
	close(fd);
	return (r);
}

static int
identity_write_all(int fd, const char *data, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, data, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		data += n;
		len -= (size_t)n;
	}
	return (0);
}

/* Creates tmp exclusively, mode 0600, and fills it durably. */
static int
identity_write_tmp(const char *tmp, const char *data, size_t len,
    char **cause)
{
	int	fd, saved;

	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return (err_set(cause, errno == EEXIST ? FERRY_ERR_EXIST :
		    FERRY_ERR_IO, "%s: %s", tmp, strerror(errno)));
	/* The umask can only narrow 0600, but say exactly what we mean. */
	if (fchmod(fd, 0600) == -1 || identity_write_all(fd, data, len) == -1 ||
	    fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(tmp);
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", tmp,
		    strerror(saved)));
	}
	if (close(fd) == -1) {
		saved = errno;
		unlink(tmp);
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", tmp,
		    strerror(saved)));
	}
	return (0);
}

/*
 * Writes data under a temporary name, then gives it its final name with
 * link(2) rather than rename(2): rename would silently replace an existing
 * file, and an identity must never be overwritten; link fails with EEXIST
 * instead, atomically.
 */
static int
identity_write_file(const char *path, const char *data, size_t len,
    char **cause)
{
	char		tmp[PATH_MAX];
	unsigned char	rnd[4] = { 0 };
	int		r, saved;

	/* Random, so that a temp file left by a crash never blocks us. */
	(void)RAND_bytes(rnd, sizeof rnd);
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%02x%02x%02x%02x", path,
	    rnd[0], rnd[1], rnd[2], rnd[3]) >= sizeof tmp)
		return (err_set(cause, FERRY_ERR_INVAL, "%s: path too long",
		    path));
	if ((r = identity_write_tmp(tmp, data, len, cause)) != 0)
		return (r);
	r = link(tmp, path);
	saved = errno;
	unlink(tmp);
	if (r == -1)
		return (err_set(cause, saved == EEXIST ? FERRY_ERR_EXIST :
		    FERRY_ERR_IO, "%s: %s", path, strerror(saved)));
	if (identity_fsync_dir(path) == -1) {
		saved = errno;
		unlink(path);
		return (err_set(cause, FERRY_ERR_IO, "%s: syncing its "
		    "directory: %s", path, strerror(saved)));
	}
	return (0);
}

/* PEM of the key (private) or the certificate into a new memory BIO. */
static BIO *
identity_pem(const struct identity *id, int private)
{
	BIO	*b;
	int	 ok;

	/* Secure memory is wiped on free: the key must not linger. */
	if ((b = BIO_new(private ? BIO_s_secmem() : BIO_s_mem())) == NULL)
		return (NULL);
	if (private)
		ok = PEM_write_bio_PrivateKey(b, id->key, NULL, NULL, 0, NULL,
		    NULL);
	else
		ok = PEM_write_bio_X509(b, id->cert);
	if (!ok) {
		BIO_free(b);
		return (NULL);
	}
	return (b);
}

static int
identity_save_one(const struct identity *id, int private, const char *path,
    char **cause)
{
	BIO	*b;
	char	*data;
	long	 len;
	int	 r;

	if ((b = identity_pem(id, private)) == NULL)
		return (identity_crypto_err(cause, "cannot encode PEM"));
	if ((len = BIO_get_mem_data(b, &data)) <= 0) {
		BIO_free(b);
		return (identity_crypto_err(cause, "cannot encode PEM"));
	}
	r = identity_write_file(path, data, (size_t)len, cause);
	BIO_free(b);
	return (r);
}

static int
identity_absent(const char *path, char **cause)
{
	struct stat	st;

	if (lstat(path, &st) == 0)
		return (err_set(cause, FERRY_ERR_EXIST, "%s already exists: "
		    "refusing to overwrite an identity", path));
	if (errno != ENOENT)
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", path,
		    strerror(errno)));
	return (0);
}

int
identity_save(const struct identity *id, const char *key_path,
    const char *cert_path, char **cause)
{
	int	r;

	/* Check both first, so that a refusal leaves nothing behind. */
	if ((r = identity_absent(key_path, cause)) != 0 ||
	    (r = identity_absent(cert_path, cause)) != 0)
		return (r);
	if ((r = identity_save_one(id, 1, key_path, cause)) != 0)
		return (r);
	if ((r = identity_save_one(id, 0, cert_path, cause)) != 0) {
		/* Half an identity is useless: take the key back out. */
		unlink(key_path);
		return (r);
	}
	return (0);
}

/*
 * Reads a whole small file into a new memory BIO. The key file must not be
 * readable by group or others, as ssh insists for its keys.
 */
static int
identity_read(const char *path, int private, BIO **out, char **cause)
{
	struct stat	 st;
	char		*data;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd, r = 0;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return (err_set(cause, errno == ENOENT ? FERRY_ERR_NOTFOUND :
		    FERRY_ERR_IO, "%s: %s", path, strerror(errno)));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > IDENTITY_FILE_MAX) {
		close(fd);
		return (err_set(cause, FERRY_ERR_INVAL, "%s: not a regular "
		    "file of at most %d bytes", path, IDENTITY_FILE_MAX));
	}
	if (private && (st.st_mode & 077) != 0) {
		close(fd);
		return (err_set(cause, FERRY_ERR_INVAL, "%s: private key is "
		    "accessible by group or others (mode %04o): it must be "
		    "0600", path, (unsigned int)(st.st_mode & 07777)));
	}
	if ((data = OPENSSL_secure_malloc(IDENTITY_FILE_MAX)) == NULL) {
		close(fd);
		return (FERRY_ERR_NOMEM);
	}
	while (len < IDENTITY_FILE_MAX && (n = read(fd, data + len,
	    IDENTITY_FILE_MAX - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			r = err_set(cause, FERRY_ERR_IO, "%s: %s", path,
			    strerror(errno));
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	if (r == 0 && ((*out = BIO_new(BIO_s_secmem())) == NULL ||
	    BIO_write(*out, data, (int)len) != (int)len))
		r = identity_crypto_err(cause, "cannot buffer a file");
	OPENSSL_secure_clear_free(data, IDENTITY_FILE_MAX);
	if (r != 0) {
		BIO_free(*out);
		*out = NULL;
	}
	return (r);
}

/* Never prompt for a passphrase: a daemon has no terminal. */
static int
identity_no_pass(char *buf, int size, int rwflag, void *u)
{
	return (-1);
}

static int
identity_load_key(const char *path, EVP_PKEY **key, char **cause)
{
	BIO	*b;
	char	 e[256];
	int	 r;

	if ((r = identity_read(path, 1, &b, cause)) != 0)
		return (r);
	*key = PEM_read_bio_PrivateKey(b, NULL, identity_no_pass, NULL);
	BIO_free(b);
	if (*key == NULL)
		return (err_set(cause, FERRY_ERR_PARSE, "%s: not an "
		    "unencrypted PEM private key: %s", path,
		    ossl_err(e, sizeof e)));
	if (!EVP_PKEY_is_a(*key, IDENTITY_KEY_TYPE))
		return (err_set(cause, FERRY_ERR_PARSE, "%s: a %s key, but "
		    "ferry identities are Ed25519", path,
		    EVP_PKEY_get0_type_name(*key)));
	return (0);
}

static int
identity_load_cert(const char *path, X509 **cert, char **cause)
{
	BIO	*b;
	char	 e[256];
	int	 r;

	if ((r = identity_read(path, 0, &b, cause)) != 0)
		return (r);
	*cert = PEM_read_bio_X509(b, NULL, identity_no_pass, NULL);
	BIO_free(b);
	if (*cert == NULL)
		return (err_set(cause, FERRY_ERR_PARSE, "%s: not a PEM "
		    "certificate: %s", path, ossl_err(e, sizeof e)));
	return (0);
}

int
identity_load(const char *key_path, const char *cert_path,
    struct identity **out, char **cause)
{
	struct identity	*id;
	int		 r;

	*out = NULL;
	if ((id = calloc(1, sizeof *id)) == NULL)
		return (FERRY_ERR_NOMEM);
	if ((r = identity_load_key(key_path, &id->key, cause)) != 0 ||
	    (r = identity_load_cert(cert_path, &id->cert, cause)) != 0)
		goto fail;
	if (X509_check_private_key(id->cert, id->key) != 1) {
		ERR_clear_error();
		r = err_set(cause, FERRY_ERR_INVAL, "%s is not the "
		    "certificate of the key in %s", cert_path, key_path);
		goto fail;
	}
	if ((r = identity_fp_of_cert(id->cert, id->fp, cause)) != 0)
		goto fail;
	*out = id;
	return (0);
fail:
	identity_free(id);
	return (r);
}

/* Builds dir/key.pem and dir/cert.pem. */
static int
identity_dir_paths(const char *dir, char *key, char *cert, size_t n)
{
	int	a, b;

	a = snprintf(key, n, "%s/%s", dir, IDENTITY_KEY_FILE);
	b = snprintf(cert, n, "%s/%s", dir, IDENTITY_CERT_FILE);
	return (a < 0 || b < 0 || (size_t)a >= n || (size_t)b >= n ?
	    FERRY_ERR_TOOBIG : 0);
}

int
identity_load_dir(const char *dir, struct identity **out, char **cause)
{
	char	key[4096], cert[4096];

	*out = NULL;
	if (identity_dir_paths(dir, key, cert, sizeof key) != 0)
		return (err_set(cause, FERRY_ERR_TOOBIG, "%s: path too long",
		    dir));
	return (identity_load(key, cert, out, cause));
}

int
identity_init_dir(const char *dir, const char *name, struct identity **out,
    int *created, char **cause)
{
	char	key[4096], cert[4096];
	int	r;

	*created = 0;
	if (identity_dir_paths(dir, key, cert, sizeof key) != 0)
		return (err_set(cause, FERRY_ERR_TOOBIG, "%s: path too long",
		    dir));
	if (access(key, F_OK) == 0)
		return (identity_load(key, cert, out, cause));
	if ((r = identity_generate(name, out, cause)) != 0)
		return (r);
	if ((r = identity_save(*out, key, cert, cause)) != 0) {
		identity_free(*out);
		*out = NULL;
		return (r);
	}
	*created = 1;
	return (0);
}
