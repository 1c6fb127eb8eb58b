/*
 * An agent's identity: an Ed25519 key pair and a self-signed X.509
 * certificate for it, kept as two PEM files, and the fingerprint by which
 * peers pin it.
 *
 * The fingerprint is the SHA-256 digest of the DER SubjectPublicKeyInfo of
 * the public key (so it survives re-issuing the certificate for the same
 * key). Its printed form, in the manner of Syncthing device IDs:
 *
 *  1. the 32 digest bytes in RFC 4648 base32 (alphabet A-Z 2-7), without
 *     "=" padding: 52 characters;
 *  2. split into 4 runs of 13 characters, each followed by one check
 *     character computed with the Luhn mod 32 algorithm over that run
 *     (code points are positions in the base32 alphabet; from the rightmost
 *     character, every other one, starting with the rightmost, is doubled
 *     and its two base-32 digits summed; the check is (32 - sum % 32) % 32):
 *     56 characters;
 *  3. grouped by 7 with dashes: 8 groups, 63 characters in all, like
 *     "AAAAAAA-BBBBBBB-CCCCCCC-DDDDDDD-EEEEEEE-FFFFFFF-GGGGGGG-HHHHHHH"
 *     (tests/unit/test-identity.c checks a worked example).
 *
 * identity_fp_parse accepts that form in upper or lower case, with or
 * without dashes and spaces, and rejects a wrong check character, which
 * catches most typing errors.
 *
 * Library tier: functions return 0 or a negative FERRY_ERR_* code and, when
 * a cause pointer is given, a newly allocated message the caller frees.
 */
#ifndef FERRY_IDENTITY_H
#define FERRY_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#define IDENTITY_FP_LEN		32	/* digest bytes */
#define IDENTITY_FP_STRLEN	63	/* printed form, without the NUL */

struct identity;

/*
 * Makes a new key pair and a certificate for it whose subject CN is name
 * (for people reading it; peers trust the fingerprint, not the name).
 */
int	 identity_generate(const char *name, struct identity **out,
	     char **cause);
/*
 * Writes the key and certificate as PEM files, mode 0600. Neither file may
 * exist yet: FERRY_ERR_EXIST if one does, and then nothing is written.
 * Each file appears complete or not at all, never half-written.
 */
int	 identity_save(const struct identity *id, const char *key_path,
	     const char *cert_path, char **cause);
/*
 * Reads an identity back. Refuses a key file that group or others may
 * read, and a certificate that is not for that key.
 */
int	 identity_load(const char *key_path, const char *cert_path,
	     struct identity **out, char **cause);
void	 identity_free(struct identity *id);

/* Where an agent keeps its identity: these two files in its directory. */
#define IDENTITY_KEY_FILE	"key.pem"
#define IDENTITY_CERT_FILE	"cert.pem"

/* Loads the identity kept in dir. */
int	 identity_load_dir(const char *dir, struct identity **out,
	     char **cause);
/*
 * Loads the identity kept in dir or, if there is none, makes one named
 * name and saves it there (*created says which).
 */
int	 identity_init_dir(const char *dir, const char *name,
	     struct identity **out, int *created, char **cause);

/* The fingerprint, IDENTITY_FP_LEN bytes. */
const uint8_t	*identity_fp(const struct identity *id);
/* The key and certificate, still owned by id (for tls.c). */
EVP_PKEY	*identity_key(const struct identity *id);
X509		*identity_cert(const struct identity *id);

/* The fingerprint of cert's public key into fp[IDENTITY_FP_LEN]. */
int	 identity_fp_of_cert(X509 *cert, uint8_t *fp, char **cause);
/* Prints fp into s, which must hold IDENTITY_FP_STRLEN + 1 bytes. */
void	 identity_fp_format(const uint8_t *fp, char *s);
/* Parses a printed fingerprint into fp[IDENTITY_FP_LEN]. */
int	 identity_fp_parse(const char *s, uint8_t *fp, char **cause);

#endif
