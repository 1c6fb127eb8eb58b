/*
 * Enrolment: the first contact between a new agent and the hub, with no
 * password and no key known in advance. The hub made a one-time code
 * ("ID-SECRET", printed by `ferry invite`); it stores only the code's
 * SHA-256, which both ends use as an HMAC key. The TLS handshake accepts
 * any key; then each end proves it knows the code by an HMAC over the
 * connection's exported keying material and both key fingerprints, so a
 * man in the middle (who holds two different TLS sessions) can prove
 * nothing, and the code is never sent. Afterwards the hub pins the agent's
 * key and the agent the hub's.
 */
#ifndef FERRY_ENROLL_H
#define FERRY_ENROLL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct tls_conn;

#define ENROLL_SECRET_LEN	16
#define ENROLL_KEY_LEN		32	/* SHA-256 of the code */
#define ENROLL_CODE_MAX		64

/*
 * Makes a code for invite id from a fresh random secret: writes the code
 * (NUL-terminated, at most ENROLL_CODE_MAX) and its key.
 */
int	enroll_code_new(int64_t id, char *code, uint8_t *key, char **cause);
/* Parses a code as a person may type it; gives its invite id and key. */
int	enroll_code_parse(const char *code, int64_t *id, uint8_t *key,
	    char **cause);

/*
 * The hub's answer for an invite id: 0 and its key if it may be used, or
 * an error with a cause saying why not (unknown, expired, used).
 */
typedef int (*enroll_lookup_fn)(void *arg, int64_t id, uint8_t *key,
    char **cause);

/*
 * The agent's side. Sends its proof and name, checks the hub's proof.
 * On success *reply is the hub's message (site, role, hub fingerprint
 * comes from tls_peer_fp).
 */
int	enroll_agent(struct tls_conn *c, const char *code, const char *name,
	    json_t **reply, char **cause);

/*
 * The hub's side, after it read the agent's first message (msg, op
 * "enroll"): checks the proof with the key lookup gives and, if it holds,
 * sets *id and *name; the caller then records the agent and calls
 * enroll_hub_accept (or enroll_hub_refuse).
 */
int	enroll_hub_check(struct tls_conn *c, const json_t *msg,
	    enroll_lookup_fn lookup, void *arg, int64_t *id, char **name,
	    uint8_t *key, char **cause);
/* Sends the hub's proof and info (a borrowed object, may be NULL). */
int	enroll_hub_accept(struct tls_conn *c, const uint8_t *key,
	    json_t *info, char **cause);
/* Tells the agent why it is refused. */
void	enroll_hub_refuse(struct tls_conn *c, const char *why);

#endif
