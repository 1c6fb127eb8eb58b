/*
 * Enrolment: the first contact between a new agent and the hub, with no
 * password and no key known in advance. The hub made a one-time code
 * (printed by `ferry invite`); it stores only the code's SHA-256, which
 * both ends use as an HMAC key. The TLS handshake accepts
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

#define ENROLL_KEY_LEN		32	/* SHA-256 of the code */

/*
 * The key of a code as a person may type it: case, dashes and spaces do
 * not matter. FERRY_ERR_PARSE if it cannot be a code.
 */
int	enroll_code_key(const char *code, uint8_t *key, char **cause);

/* An invite the hub knows: its number and its key. */
struct enroll_candidate {
	int64_t	id;
	uint8_t	key[ENROLL_KEY_LEN];
};

/*
 * The agent's side. Sends its proof and name, checks the hub's proof.
 * On success *reply is the hub's message (site, role, hub fingerprint
 * comes from tls_peer_fp).
 */
int	enroll_agent(struct tls_conn *c, const char *code, const char *name,
	    json_t **reply, char **cause);
/* The same with the code's key (enroll_code_key) instead of the code. */
int	enroll_agent_key(struct tls_conn *c, const uint8_t *key,
	    const char *name, json_t **reply, char **cause);

/*
 * The hub's side, after it read the agent's first message (msg, op
 * "enroll"): finds the candidate whose key the agent's proof was made
 * with. Sets *which (an index into cand) and *name, or fails with
 * FERRY_ERR_AUTH when no invite fits.
 */
int	enroll_hub_check(struct tls_conn *c, const json_t *msg,
	    const struct enroll_candidate *cand, size_t ncand, size_t *which,
	    char **name, char **cause);
/* Sends the hub's proof and info (a borrowed object, may be NULL). */
int	enroll_hub_accept(struct tls_conn *c, const uint8_t *key,
	    json_t *info, char **cause);
/* Tells the agent why it is refused. */
void	enroll_hub_refuse(struct tls_conn *c, const char *why);

#endif
