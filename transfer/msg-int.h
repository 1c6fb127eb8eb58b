/*
 * The payloads of the transfer session's control frames (docs/protocol.md,
 * section "Session"). Each message has an encoder that appends a whole
 * frame to a buffer and a decoder that checks a received frame's payload
 * completely: unknown values, short or trailing bytes are FERRY_ERR_PROTO.
 * Decoded strings are owned by the message; free them with msg_*_clear.
 */
#ifndef FERRY_MSG_H
#define FERRY_MSG_H

#include <stdint.h>

#include "buf.h"
#include "frame.h"
#include "transfer.h"

#define MSG_HASH_LEN	16	/* xxh3-128, big-endian high then low */

/* Entry flags. */
#define MSG_ENTRY_FORCE_WHOLE	0x01	/* a retry: do not trust any basis */
#define MSG_ENTRY_HAS_HASH	0x02	/* hash holds the content's checksum */
#define MSG_ENTRY_WANT_RSYNC	0x04	/* send a librsync signature, not a
					   block map */
#define MSG_ENTRY_STRIPE	0x08	/* the sender may stripe it (6.7) */

/* FILE_ENTRY: one file, directory or symlink the sender offers. */
struct msg_entry {
	uint32_t	 id;
	uint8_t		 type;		/* enum msg_entry_type */
	uint8_t		 flags;
	uint32_t	 mode;		/* permission bits only (07777) */
	uint64_t	 size;
	int64_t		 mtime_sec;
	uint32_t	 mtime_nsec;
	char		*path;		/* relative, '/'-separated */
	char		*link;		/* symlink target; "" otherwise */
	char		*basis;		/* receiver-side basis hint; "" */
	uint8_t		 hash[MSG_HASH_LEN]; /* with MSG_ENTRY_HAS_HASH */
};

enum msg_plan_action {
	MSG_PLAN_SKIP = 0,	/* identical already: nothing to send */
	MSG_PLAN_WHOLE = 1,	/* send the file from offset */
	MSG_PLAN_DELTA = 2,	/* SIGNATURE frames follow: send a delta */
	MSG_PLAN_REFUSE = 3,	/* the receiver will not take it: reason */
	MSG_PLAN_DONE = 4,	/* a directory or symlink, already applied */
	MSG_PLAN_STRIPE = 5	/* send it in chunks, on any stream; offset
				   is the chunk size, the chunk map follows */
};

/* PLAN: the receiver's decision on one entry. */
struct msg_plan {
	uint32_t	 id;
	uint8_t		 action;	/* enum msg_plan_action */
	uint64_t	 offset;	/* bytes already held (resume) */
	uint8_t		 prefix_hash[MSG_HASH_LEN]; /* of those bytes */
	char		*reason;	/* REFUSE only; "" otherwise */
};

/* FILE_BEGIN: the sender starts a file's data. */
struct msg_begin {
	uint32_t	 id;
	uint8_t		 action;	/* MSG_PLAN_WHOLE or MSG_PLAN_DELTA */
	uint64_t	 offset;	/* where the data starts */
};

enum msg_end_status {
	MSG_END_OK = 0,
	MSG_END_CHANGED = 1,	/* the source changed while it was read */
	MSG_END_UNREADABLE = 2,	/* the source could not be read: reason */
	MSG_END_RESCAN = 3	/* no data: offer it again with a librsync
				   signature */
};

/* FILE_END: the sender's end of a file, with the checksum of its content. */
struct msg_end {
	uint32_t	 id;
	uint8_t		 status;	/* enum msg_end_status */
	uint64_t	 size;
	uint8_t		 hash[MSG_HASH_LEN];
	char		*reason;
};

enum msg_ack_status {
	MSG_ACK_DONE = 0,	/* verified and under its final name */
	MSG_ACK_RETRY = 1,	/* failed, worth another try: reason */
	MSG_ACK_FAILED = 2	/* failed for good: reason */
};

/* ACK: the receiver's verdict on a file it was sent. */
struct msg_ack {
	uint32_t	 id;
	uint8_t		 status;	/* enum msg_ack_status */
	char		*reason;
};

int	msg_entry_encode(struct buf *out, const struct msg_entry *m);
int	msg_entry_decode(const struct frame *f, struct msg_entry *m,
	    char **cause);
void	msg_entry_clear(struct msg_entry *m);

int	msg_plan_encode(struct buf *out, const struct msg_plan *m);
int	msg_plan_decode(const struct frame *f, struct msg_plan *m,
	    char **cause);
void	msg_plan_clear(struct msg_plan *m);

int	msg_begin_encode(struct buf *out, const struct msg_begin *m);
int	msg_begin_decode(const struct frame *f, struct msg_begin *m,
	    char **cause);

int	msg_end_encode(struct buf *out, const struct msg_end *m);
int	msg_end_decode(const struct frame *f, struct msg_end *m,
	    char **cause);
void	msg_end_clear(struct msg_end *m);

int	msg_ack_encode(struct buf *out, const struct msg_ack *m);
int	msg_ack_decode(const struct frame *f, struct msg_ack *m,
	    char **cause);
void	msg_ack_clear(struct msg_ack *m);

/* CHUNK: one chunk of a striped file follows, as DATA and a FILE_END. */
struct msg_chunk {
	uint32_t	 id;		/* the striped file's entry */
	uint32_t	 index;		/* chunk number */
	uint64_t	 offset;	/* index * chunk size */
	uint32_t	 length;	/* bytes of DATA that follow */
};

int	msg_chunk_encode(struct buf *out, const struct msg_chunk *m);
int	msg_chunk_decode(const struct frame *f, struct msg_chunk *m,
	    char **cause);

/*
 * KEEPALIVE: the end that owes an answer is still hashing for entry id,
 * done bytes so far (docs/protocol.md 6.3; only with feature KEEPALIVE).
 */
struct msg_keepalive {
	uint32_t	 id;
	uint64_t	 done;
};

int	msg_keepalive_encode(struct buf *out, const struct msg_keepalive *m);
int	msg_keepalive_decode(const struct frame *f, struct msg_keepalive *m,
	    char **cause);

/* An empty frame of type: the end of a batch of that type. */
int	msg_end_of_batch(struct buf *out, int type);

#endif
