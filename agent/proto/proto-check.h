/*
 * What a control message may hold, checked before anyone acts on it: a
 * table of the ops each side may receive, with the fields each needs and
 * their types (docs/security.md shows it). Pure: no I/O, no state, so
 * that it is fuzzed as is (tests/fuzz/fuzz-control.c).
 */
#ifndef FERRY_PROTO_CHECK_H
#define FERRY_PROTO_CHECK_H

#include <jansson.h>

/* Who receives the message. */
enum proto_dir {
	PROTO_TO_HUB,		/* from an agent, on its control link */
	PROTO_TO_AGENT,		/* from the hub */
	PROTO_FIRST		/* the first message of a control connection */
};

/*
 * 0 if msg is a message dir's receiver may act on: an object with a known
 * "op" (or an answer, "re") whose fields have the types the table says.
 * Otherwise FERRY_ERR_PROTO with a cause naming the op and field.
 */
int	proto_check(const json_t *msg, enum proto_dir dir, char **cause);

#endif
