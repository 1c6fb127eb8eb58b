#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "enroll.h"
#include "hex.h"
#include "err.h"
#include "identity.h"
#include "proto.h"
#include "tls.h"

#define ENROLL_EXPORTER	"EXPORTER-ferry-enroll"
#define ENROLL_PROOF	32

int
enroll_code_key(const char *code, uint8_t *key, char **cause)
{
	char		canon[128];
	unsigned int	n = ENROLL_KEY_LEN;
	size_t		len = 0;

	/* The hub hashed the code as it made it: lower case, no dashes. */
	for (; *code != '\0'; code++) {
		if (*code == '-' || *code == ' ')
			continue;
		if (!isalnum((unsigned char)*code) || len == sizeof canon - 1)
			return (err_set(cause, FERRY_ERR_PARSE, "not an "
			    "enrolment code: unexpected '%c'", *code));
		canon[len++] = (char)tolower((unsigned char)*code);
	}
	if (len < 16)
		return (err_set(cause, FERRY_ERR_PARSE, "not an enrolment "
		    "code: it is too short"));
	if (EVP_Digest(canon, len, key, &n, EVP_sha256(), NULL) != 1)
		return (err_set(cause, FERRY_ERR_CRYPTO, "SHA-256 failed"));
	OPENSSL_cleanse(canon, sizeof canon);
	return (0);
}

/*
 * HMAC(key, role || exporter || client fp || server fp): what each side
 * sends. role is "agent" or "hub" so that a proof cannot be reflected.
 */
static int
enroll_proof(struct tls_conn *c, const uint8_t *key, const char *role,
    const uint8_t *client_fp, const uint8_t *server_fp, uint8_t *out,
    char **cause)
{
	uint8_t		msg[8 + 32 + 2 * IDENTITY_FP_LEN];
	unsigned int	n = ENROLL_PROOF;
	size_t		len = strlen(role);
	int		r;

	memcpy(msg, role, len);
	if ((r = tls_export(c, ENROLL_EXPORTER, msg + len, 32, cause)) != 0)
		return (r);
	memcpy(msg + len + 32, client_fp, IDENTITY_FP_LEN);
	memcpy(msg + len + 32 + IDENTITY_FP_LEN, server_fp, IDENTITY_FP_LEN);
	if (HMAC(EVP_sha256(), key, ENROLL_KEY_LEN, msg,
	    len + 32 + 2 * IDENTITY_FP_LEN, out, &n) == NULL)
		return (err_set(cause, FERRY_ERR_CRYPTO, "HMAC failed"));
	return (0);
}

/* Compares a hex proof from a message with the one expected. */
static int
enroll_proof_ok(const json_t *msg, const uint8_t *want)
{
	const char	*got = json_string_value(json_object_get(msg, "proof"));
	char		 w[2 * ENROLL_PROOF + 1];

	if (got == NULL || strlen(got) != 2 * ENROLL_PROOF)
		return (0);
	hex_encode(want, ENROLL_PROOF, w);
	return (CRYPTO_memcmp(got, w, sizeof w - 1) == 0);
}

int
enroll_agent(struct tls_conn *c, const char *code, const char *name,
    json_t **reply, char **cause)
{
	uint8_t	key[ENROLL_KEY_LEN];
	int	r;

	*reply = NULL;
	if ((r = enroll_code_key(code, key, cause)) != 0)
		return (r);
	r = enroll_agent_key(c, key, name, reply, cause);
	OPENSSL_cleanse(key, sizeof key);
	return (r);
}

int
enroll_agent_key(struct tls_conn *c, const uint8_t *key, const char *name,
    json_t **reply, char **cause)
{
	uint8_t		 mine[ENROLL_PROOF], theirs[ENROLL_PROOF];
	uint8_t		 own_fp[IDENTITY_FP_LEN];
	char		 h[2 * ENROLL_PROOF + 1];
	const char	*err;
	json_t		*msg, *rep = NULL;
	int		 r;

	*reply = NULL;
	/* The hub saw our fingerprint; both proofs cover both keys. */
	memcpy(own_fp, tls_own_fp(c), IDENTITY_FP_LEN);
	if ((r = enroll_proof(c, key, "agent", own_fp, tls_peer_fp(c), mine,
	    cause)) != 0 ||
	    (r = enroll_proof(c, key, "hub", own_fp, tls_peer_fp(c), theirs,
	    cause)) != 0)
		goto out;
	hex_encode(mine, sizeof mine, h);
	msg = json_pack("{s:s, s:s, s:s}", "op", "enroll", "proof", h,
	    "name", name);
	r = msg == NULL ? FERRY_ERR_NOMEM : proto_send(c, msg, cause);
	json_decref(msg);
	if (r != 0 || (r = proto_recv(c, &rep, cause)) != 0)
		goto out;
	if ((err = json_string_value(json_object_get(rep, "error"))) != NULL) {
		r = err_set(cause, FERRY_ERR_AUTH, "the hub refused the code: "
		    "%s", err);
		goto out;
	}
	if (!enroll_proof_ok(rep, theirs)) {
		r = err_set(cause, FERRY_ERR_AUTH, "the hub could not prove it "
		    "made this code: someone may be in the middle");
		goto out;
	}
	*reply = rep;
	rep = NULL;	/* transferred */
out:
	json_decref(rep);
	return (r);
}

int
enroll_hub_check(struct tls_conn *c, const json_t *msg,
    const struct enroll_candidate *cand, size_t ncand, size_t *which,
    char **name, char **cause)
{
	uint8_t		 want[ENROLL_PROOF], own_fp[IDENTITY_FP_LEN];
	const char	*n;
	size_t		 i;
	int		 r;

	*name = NULL;
	n = json_string_value(json_object_get(msg, "name"));
	if (n == NULL || *n == '\0' || strlen(n) > 255)
		return (err_set(cause, FERRY_ERR_PROTO, "enrolment message "
		    "without a name"));
	memcpy(own_fp, tls_own_fp(c), IDENTITY_FP_LEN);
	/* Every invite is tried: the proof names none of them. */
	for (i = 0; i < ncand; i++) {
		if ((r = enroll_proof(c, cand[i].key, "agent", tls_peer_fp(c),
		    own_fp, want, cause)) != 0)
			return (r);
		if (enroll_proof_ok(msg, want))
			break;
	}
	if (i == ncand)
		return (err_set(cause, FERRY_ERR_AUTH, "wrong or unknown "
		    "enrolment code"));
	if ((*name = strdup(n)) == NULL)
		return (FERRY_ERR_NOMEM);
	*which = i;
	return (0);
}

int
enroll_hub_accept(struct tls_conn *c, const uint8_t *key, json_t *info,
    char **cause)
{
	uint8_t	 proof[ENROLL_PROOF], own_fp[IDENTITY_FP_LEN];
	char	 h[2 * ENROLL_PROOF + 1];
	json_t	*msg;
	int	 r;

	memcpy(own_fp, tls_own_fp(c), IDENTITY_FP_LEN);
	if ((r = enroll_proof(c, key, "hub", tls_peer_fp(c), own_fp, proof,
	    cause)) != 0)
		return (r);
	hex_encode(proof, sizeof proof, h);
	msg = info != NULL ? json_deep_copy(info) : json_object();
	if (msg == NULL || json_object_set_new(msg, "proof",
	    json_string(h)) != 0) {
		json_decref(msg);
		return (FERRY_ERR_NOMEM);
	}
	r = proto_send(c, msg, cause);
	json_decref(msg);
	return (r);
}

void
enroll_hub_refuse(struct tls_conn *c, const char *why)
{
	json_t	*msg = json_pack("{s:s}", "error", why);

	if (msg != NULL)
		proto_send(c, msg, NULL);
	json_decref(msg);
}
