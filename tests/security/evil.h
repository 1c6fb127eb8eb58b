/*
 * The crafted agent's toolkit (tests/security/): a real agent's identity,
 * enrolled by a real `ferryd enroll`, that speaks the real control
 * protocol (transfer/ TLS, CONTROL frames, agent/proto/proto.c) but says what a
 * test tells it to. Attacks are built from these calls; evil-agent.c
 * drives the control plane, evil-data.c the data plane.
 *
 * This API is shared by both programs: keep it stable.
 */
#ifndef FERRY_EVIL_H
#define FERRY_EVIL_H

#include <stdint.h>

#include <jansson.h>

struct identity;
struct tls_conn;

struct evil {
	char		*state;		/* the agent's state directory */
	struct identity	*id;		/* its key and certificate */
	char		*name;		/* from its ferryd.conf; may be NULL */
	char		*host;		/* the hub, from its ferryd.conf */
	int		 port;
	uint8_t		 hub_fp[32];	/* pinned by the enrolment */
	char		*source;	/* source-address; NULL */
	int		 fd;		/* -1 when not connected */
	struct tls_conn	*c;
};

/*
 * Loads the identity and the hub's address and key from state, a
 * directory made by `ferryd enroll` (or by `ferry-peer keygen` with a
 * ferryd.conf copied in, for an unenrolled key).
 */
int	evil_load(struct evil *e, const char *state, char **cause);
void	evil_free(struct evil *e);

/*
 * Dials the hub and runs the TLS handshake, pinning the hub's key;
 * timeout_ms bounds the handshake.
 */
int	evil_connect(struct evil *e, int timeout_ms, char **cause);
/*
 * Says hello (claiming address, which may be NULL) and reads the hub's
 * reply into *welcome (new reference; may be an {"error": ...}).
 */
int	evil_hello(struct evil *e, const char *address, json_t **welcome,
	    char **cause);
/* Sends one control message (not consumed). */
int	evil_send(struct evil *e, const json_t *msg, char **cause);
/*
 * Receives one control message within timeout_ms: FERRY_ERR_TIMEOUT if
 * none came, FERRY_ERR_CLOSED (or another error) if the hub hung up.
 */
int	evil_recv(struct evil *e, int timeout_ms, json_t **msg, char **cause);
/*
 * Receives until a message whose "op" is op (or, op NULL, any message
 * with "re" or "op" other than "pong") arrives within timeout_ms; others
 * are passed to skipped (may be NULL) and dropped.
 */
int	evil_wait_op(struct evil *e, const char *op, int timeout_ms,
	    json_t **msg, void (*skipped)(const json_t *, void *), void *arg,
	    char **cause);
/* Closes the connection (with close_notify); evil_connect may follow. */
void	evil_close(struct evil *e);

/*
 * Reads a whole file (a JSON message, a template) into a new JSON value;
 * "-" is standard input.
 */
int	evil_json_file(const char *path, json_t **out, char **cause);
/*
 * A copy of template with every string value "@req", "@id", "@token" or
 * "@port" (at any depth) replaced by that member of msg, so that a
 * canned answer can name the question it answers.
 */
json_t	*evil_fill(const json_t *template, const json_t *msg);

#endif
