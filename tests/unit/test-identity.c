/* Agent identities: generate, save, reload, fingerprints and their text. */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "err.h"
#include "identity.h"
#include "test.h"

static char	tmpdir[] = "/tmp/ferry-test-identity.XXXXXX";

static char *
tpath(const char *name)
{
	static char	p[4][256];
	static int	i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", tmpdir, name);
	return (p[i]);
}

static int
count_entries(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return (n);
}

static char *
slurp(const char *path)
{
	FILE	*f;
	char	*s;
	long	 n;

	if ((f = fopen(path, "r")) == NULL)
		return (NULL);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	if (fread(s, 1, (size_t)n, f) != (size_t)n)
		s[0] = '\0';
	fclose(f);
	return (s);
}

static int
mode_of(const char *path)
{
	struct stat	st;

	if (stat(path, &st) == -1)
		return (-1);
	return ((int)(st.st_mode & 07777));
}

/* A worked example, computed independently (Python base64 + Luhn mod 32). */
static void
test_fp_format_vector(void)
{
	uint8_t		 fp[IDENTITY_FP_LEN], back[IDENTITY_FP_LEN];
	char		 s[IDENTITY_FP_STRLEN + 1];
	size_t		 i;

	for (i = 0; i < sizeof fp; i++)
		fp[i] = (uint8_t)i;
	identity_fp_format(fp, s);
	ASSERT_STR_EQ(s, "AAAQEAY-EAUDAO5-CAJBIFQ-YDIOB4X-IBCEQTC-QKRMFYM-"
	    "YDENBWH-A5DYPQS");
	ASSERT_INT_EQ(identity_fp_parse(s, back, NULL), 0);
	ASSERT_TRUE(memcmp(fp, back, sizeof fp) == 0);
	memset(back, 0, sizeof back);
	ASSERT_INT_EQ(identity_fp_parse("aaaqeayeaudao5cajbifqydiob4xibceqtc"
	    "qkrmfymydenbwha5dypqs", back, NULL), 0);
	ASSERT_TRUE(memcmp(fp, back, sizeof fp) == 0);
}

static void
test_fp_parse_errors(void)
{
	uint8_t	 fp[IDENTITY_FP_LEN];
	char	 s[IDENTITY_FP_STRLEN + 1];
	char	*cause = NULL;

	/* One character changed: a check character catches it. */
	snprintf(s, sizeof s, "%s", "AAAQEAY-EAUDAO5-CAJBIFQ-YDIOB4X-IBCEQTC-"
	    "QKRMFYM-YDENBWH-A5DYPQS");
	s[1] = 'B';
	ASSERT_INT_EQ(identity_fp_parse(s, fp, &cause), FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "check character 1 of 4 is wrong");
	s[1] = 'A';
	s[62] = 'T';
	ASSERT_INT_EQ(identity_fp_parse(s, fp, &cause), FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "check character 4 of 4");
	ASSERT_INT_EQ(identity_fp_parse("AAAQEAY-EAUDAO5", fp, &cause),
	    FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "has 14 characters, expected 56");
	ASSERT_INT_EQ(identity_fp_parse("AAAQEAY-EAUDAO1", fp, &cause),
	    FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "'1'");
	ASSERT_INT_EQ(identity_fp_parse("AAAQEAY-EAUDAO5-CAJBIFQ-YDIOB4X-"
	    "IBCEQTC-QKRMFYM-YDENBWH-A5DYPQSA", fp, &cause), FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "longer than 56");
	/* Last data character R instead of Q (a padding bit), check fixed. */
	ASSERT_INT_EQ(identity_fp_parse("AAAQEAY-EAUDAO5-CAJBIFQ-YDIOB4X-"
	    "IBCEQTC-QKRMFYM-YDENBWH-A5DYPRQ", fp, &cause), FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "non-zero padding bits");
	free(cause);
}

static void
check_fp_text(const uint8_t *fp)
{
	char	s[IDENTITY_FP_STRLEN + 1];
	uint8_t	back[IDENTITY_FP_LEN];
	size_t	i;

	identity_fp_format(fp, s);
	ASSERT_INT_EQ(strlen(s), IDENTITY_FP_STRLEN);
	for (i = 0; i < IDENTITY_FP_STRLEN; i++) {
		if (i % 8 == 7)
			ASSERT_TRUE(s[i] == '-');
		else
			ASSERT_TRUE(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
			    s[i]) != NULL);
	}
	ASSERT_INT_EQ(identity_fp_parse(s, back, NULL), 0);
	ASSERT_TRUE(memcmp(fp, back, IDENTITY_FP_LEN) == 0);
}

/* The fingerprint is SHA-256 of the DER SubjectPublicKeyInfo. */
static void
check_fp_is_spki_digest(const struct identity *id)
{
	unsigned char	*der = NULL;
	unsigned char	 md[32];
	unsigned int	 mdlen = 0;
	int		 len;

	len = i2d_PUBKEY(identity_key(id), &der);
	ASSERT_TRUE(len > 0);
	/* Ed25519 SPKI: 12 bytes of algorithm header plus the 32-byte key. */
	ASSERT_INT_EQ(len, 44);
	ASSERT_INT_EQ(EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(),
	    NULL), 1);
	ASSERT_TRUE(memcmp(md, identity_fp(id), 32) == 0);
	OPENSSL_free(der);
}

static void
test_generate_save_load(void)
{
	struct identity	*a = NULL, *b = NULL, *back = NULL;
	uint8_t		 fp[IDENTITY_FP_LEN];
	char		*cause = NULL, *key1, *cert1, *key2, *cert2;

	ASSERT_INT_EQ(identity_generate("agent a", &a, &cause), 0);
	ASSERT_INT_EQ(identity_generate("agent b", &b, &cause), 0);
	ASSERT_TRUE(a != NULL && b != NULL);
	if (a == NULL || b == NULL)
		return;
	ASSERT_TRUE(memcmp(identity_fp(a), identity_fp(b),
	    IDENTITY_FP_LEN) != 0);
	check_fp_text(identity_fp(a));
	check_fp_is_spki_digest(a);
	ASSERT_INT_EQ(identity_fp_of_cert(identity_cert(a), fp, NULL), 0);
	ASSERT_TRUE(memcmp(fp, identity_fp(a), IDENTITY_FP_LEN) == 0);

	/* A permissive umask must not widen the files. */
	umask(0);
	ASSERT_INT_EQ(identity_save(a, tpath("a.key"), tpath("a.crt"),
	    &cause), 0);
	umask(022);
	ASSERT_INT_EQ(mode_of(tpath("a.key")), 0600);
	ASSERT_INT_EQ(mode_of(tpath("a.crt")), 0600);
	ASSERT_INT_EQ(count_entries(tmpdir), 2);	/* no temp files left */
	key1 = slurp(tpath("a.key"));
	cert1 = slurp(tpath("a.crt"));
	ASSERT_STR_CONTAINS(key1, "-----BEGIN PRIVATE KEY-----");
	ASSERT_STR_CONTAINS(cert1, "-----BEGIN CERTIFICATE-----");

	ASSERT_INT_EQ(identity_load(tpath("a.key"), tpath("a.crt"), &back,
	    &cause), 0);
	if (back != NULL) {
		ASSERT_TRUE(memcmp(identity_fp(back), identity_fp(a),
		    IDENTITY_FP_LEN) == 0);
		ASSERT_INT_EQ(EVP_PKEY_eq(identity_key(back), identity_key(a)),
		    1);
	}
	identity_free(back);

	/* Refuses to overwrite, and changes nothing. */
	ASSERT_INT_EQ(identity_save(b, tpath("a.key"), tpath("a.crt"),
	    &cause), FERRY_ERR_EXIST);
	ASSERT_STR_CONTAINS(cause, "refusing to overwrite");
	ASSERT_INT_EQ(identity_save(b, tpath("b.key"), tpath("a.crt"),
	    &cause), FERRY_ERR_EXIST);
	ASSERT_INT_EQ(access(tpath("b.key"), F_OK), -1);
	ASSERT_INT_EQ(count_entries(tmpdir), 2);
	key2 = slurp(tpath("a.key"));
	cert2 = slurp(tpath("a.crt"));
	ASSERT_STR_EQ(key1, key2);
	ASSERT_STR_EQ(cert1, cert2);
	free(key1);
	free(cert1);
	free(key2);
	free(cert2);

	/* b's certificate does not go with a's key. */
	ASSERT_INT_EQ(identity_save(b, tpath("b.key"), tpath("b.crt"),
	    &cause), 0);
	ASSERT_INT_EQ(identity_load(tpath("a.key"), tpath("b.crt"), &back,
	    &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "is not the certificate of the key");
	ASSERT_TRUE(back == NULL);
	identity_free(a);
	identity_free(b);
	free(cause);
}

static void
test_load_refuses(void)
{
	struct identity	*id = NULL;
	char		*cause = NULL;
	FILE		*f;

	ASSERT_INT_EQ(identity_load(tpath("none.key"), tpath("a.crt"), &id,
	    &cause), FERRY_ERR_NOTFOUND);
	ASSERT_STR_CONTAINS(cause, "none.key");

	ASSERT_INT_EQ(chmod(tpath("a.key"), 0644), 0);
	ASSERT_INT_EQ(identity_load(tpath("a.key"), tpath("a.crt"), &id,
	    &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "(mode 0644): it must be 0600");
	ASSERT_INT_EQ(chmod(tpath("a.key"), 0600), 0);

	f = fopen(tpath("junk.key"), "w");
	fputs("-----BEGIN PRIVATE KEY-----\nnot base64\n", f);
	fclose(f);
	chmod(tpath("junk.key"), 0600);
	ASSERT_INT_EQ(identity_load(tpath("junk.key"), tpath("a.crt"), &id,
	    &cause), FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "not an unencrypted PEM private key");
	ASSERT_INT_EQ(identity_load(tpath("a.key"), tpath("a.key"), &id,
	    &cause), FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "not a PEM certificate");
	ASSERT_TRUE(id == NULL);

	ASSERT_INT_EQ(identity_generate("", &id, &cause), FERRY_ERR_INVAL);
	free(cause);
}

static void
cleanup(void)
{
	const char	*names[] = { "a.key", "a.crt", "b.key", "b.crt",
	    "junk.key", NULL };
	int		 i;

	for (i = 0; names[i] != NULL; i++)
		unlink(tpath(names[i]));
	rmdir(tmpdir);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL)
		TEST_SKIP("cannot make a temporary directory");
	test_fp_format_vector();
	test_fp_parse_errors();
	test_generate_save_load();
	test_load_refuses();
	cleanup();
	return (TEST_DONE());
}
