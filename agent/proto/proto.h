/*
 * The control protocol's transport: one JSON object per CONTROL frame
 * (docs/protocol.md) over a TLS connection, with blocking reads and writes
 * bounded by the connection's timeout.
 */
#ifndef FERRY_PROTO_H
#define FERRY_PROTO_H

#include <jansson.h>

struct tls_conn;

/* Sends msg (not consumed) as one CONTROL frame. */
int	proto_send(struct tls_conn *c, const json_t *msg, char **cause);
/*
 * Receives one CONTROL frame and parses it; *msg is a new reference to a
 * JSON object. An ERROR frame from the peer becomes FERRY_ERR_PROTO with
 * its text as the cause.
 */
int	proto_recv(struct tls_conn *c, json_t **msg, char **cause);
/*
 * The same, refusing (FERRY_ERR_TOOBIG) a frame longer than max bytes
 * before anything is allocated for it: for peers not yet authenticated.
 */
int	proto_recv_max(struct tls_conn *c, size_t max, json_t **msg,
	    char **cause);

#endif
