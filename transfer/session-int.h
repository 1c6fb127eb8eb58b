/* What the sender and receiver sides share; not part of the API. */
#ifndef FERRY_SESSION_H
#define FERRY_SESSION_H

#include "conn-int.h"
#include "msg-int.h"
#include "progress-int.h"
#include "transfer.h"

/* A batch of entries ends at whichever limit comes first. */
#define SESSION_BATCH_FILES	1024
#define SESSION_BATCH_BYTES	(4ULL << 30)

/*
 * The sender tries a delta on the first SESSION_PROBE_BYTES of a file
 * before committing to it; if the delta is nearly as big as the data,
 * the file goes whole instead.
 */
#define SESSION_PROBE_BYTES	(8 * 1024 * 1024)
#define SESSION_PROBE_RATIO	0.9

/*
 * A block-map delta goes ahead when at least SESSION_BLOCK_MIN of the
 * probed bytes match. Otherwise a file up to SESSION_RESCAN_MAX is offered
 * again with a librsync signature (its data may only have moved), and a
 * larger one goes whole: a rewritten file is never slower than a copy.
 */
#define SESSION_BLOCK_MIN	0.05
#define SESSION_RESCAN_MAX	(32ULL * 1024 * 1024)


/*
 * Exchanges HELLO frames on a fresh connection (both sides send first),
 * offering every feature bit but those in leave_out; sets *features (may
 * be NULL) to the feature bits both sides speak.
 */
int	session_hello(struct conn *c, uint64_t leave_out, uint64_t *features,
	    char **cause);
/* Sends an ERROR frame with msg, ignoring failure (we are giving up). */
void	session_error(struct conn *c, const char *msg);
/* Adds "rel: reason" to a list of failures kept for the final cause. */
void	session_note_failure(struct buf *failures, pthread_mutex_t *mu,
	    const char *rel, const char *reason);

#endif
