/*
 * Keep-alives while an end hashes before its answer (docs/protocol.md
 * 6.3, feature KEEPALIVE): the half that hashes and sends them, and the
 * half that waits and checks them. Private to the transfer library.
 *
 * A receiver hashes a partial file of an earlier try (a resume) or its
 * own copy (the skip check's content hash) before it may send the
 * entry's PLAN; a sender hashes its own prefix of a resumed file before
 * its FILE_BEGIN. A large file on a slow disk took longer than the
 * peer's idle timeout (ferryd's, 60 s), and every try failed. With
 * KEEPALIVE agreed, a frame with the bytes hashed so far goes at least
 * every BEAT_EVERY seconds meanwhile. The waiting end takes it as life
 * only while it makes progress and within a time bound set by the size
 * it knows, so that a keep-alive cannot hold a stream for ever.
 */
#ifndef FERRY_BEAT_H
#define FERRY_BEAT_H

#include <stdint.h>

#include "conn-int.h"
#include "progress-int.h"

/*
 * Far under any idle timeout (ferryd's 60 s, a test's few seconds), as a
 * delta's SIGNATURE frames (recv-sig.c); 20 bytes a second cost nothing.
 */
#define BEAT_EVERY	1.0
/*
 * The waiting end's bound on one answer: BEAT_GRACE_S, and a second for
 * each BEAT_MIN_RATE bytes there are to hash. 1 MiB/s is far under any
 * disk's (a NAS's 100 MB/s, a USB 2 stick's 30); a hostile peer that
 * reports progress holds the stream no longer than an honest one would
 * take at that pace, and is cut at the bound. Without keep-alives an
 * answer may already take the idle timeout (60 s) per entry.
 */
#define BEAT_GRACE_S	10
#define BEAT_MIN_RATE	(1024 * 1024)

/* The end that hashes. */
struct beat_out {
	struct conn	*c;
	struct progress	*pr;		/* its own hashing counts here */
	int		 on;		/* feature KEEPALIVE agreed */
	uint32_t	 id;		/* the entry being answered */
	uint64_t	 done;		/* bytes hashed for it so far */
	double		 sent_at;	/* last pushed onto the wire */
	int		 err;		/* a send failed: stop hashing */
	char		*cause;
};

/* sent_at: now, the peer's wait starting. */
void	beat_out_init(struct beat_out *b, struct conn *c, struct progress *pr,
	    int on);
/* The next hashing is for entry id, from 0 bytes. */
void	beat_out_entry(struct beat_out *b, uint32_t id);
/* Something else went onto the wire now (a flush of other frames). */
void	beat_out_sent(struct beat_out *b);
/*
 * When the peer last heard is not known (frames queued, flushed when the
 * buffer fills): a keep-alive goes after the first read.
 */
void	beat_out_stale(struct beat_out *b);
/*
 * A hash_beat_fn: n bytes more were hashed; sends a KEEPALIVE (and what
 * is queued before it) when BEAT_EVERY has passed. Non-zero (b->err)
 * when the stream failed: the hashing stops, and the caller must not
 * take its result for a verdict on the file.
 */
int	beat_out_fn(void *arg, uint64_t n);
void	beat_out_free(struct beat_out *b);

/* The end that waits. */
struct beat_in {
	double		 since;		/* the wait for this answer began */
	uint32_t	 id;
	uint64_t	 done;		/* 0: no keep-alive yet */
};

/* A new answer is waited for, from now. */
void	beat_in_reset(struct beat_in *w);
/*
 * Checks keep-alive f for entry id, which has at most max bytes to hash
 * (the caller checked that id is the entry whose answer is owed now):
 * well formed, more bytes than the last one (progress), no more than
 * max, and within the bound of max. FERRY_ERR_PROTO with a cause naming
 * the entry and the fault otherwise.
 */
int	beat_in_take(struct beat_in *w, const struct frame *f, uint32_t id,
	    uint64_t max, char **cause);

#endif
