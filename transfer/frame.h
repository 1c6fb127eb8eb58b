/*
 * Frames: the unit of the transfer protocol, carried over TLS. See
 * docs/protocol.md for the byte layout; this header is its C view.
 *
 * A frame is an 8-byte header followed by a payload:
 *
 *	offset 0  u8	magic, FRAME_MAGIC (0xF1: frame format 1)
 *	offset 1  u8	type, one of enum frame_type
 *	offset 2  u16	flags, big-endian; no flag is defined yet, so any
 *			set bit is malformed
 *	offset 4  u32	payload length in bytes, big-endian; at most
 *			frame_type_max_len(type)
 *
 * Library tier: functions return 0 (or a count) or a negative FERRY_ERR_*
 * code and, when a cause pointer is given, a newly allocated message.
 */
#ifndef FERRY_FRAME_H
#define FERRY_FRAME_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define FRAME_MAGIC		0xf1
#define FRAME_HEADER_LEN	8

/* Payload limits: bulk frames carry file data, control frames metadata. */
#define FRAME_MAX_BULK		(1024 * 1024)
#define FRAME_MAX_ENTRY		(64 * 1024)
#define FRAME_MAX_CONTROL	4096

/*
 * Frame types. The numbers are on the wire: never renumber, only add.
 * Only HELLO has a defined payload so far; the others are reserved for the
 * transfer layer, which defines their payloads.
 */
enum frame_type {
	FRAME_HELLO = 1,	/* version and features, both sides, first */
	FRAME_TOKEN = 2,	/* one-time transfer token, connecting side */
	FRAME_FILE_ENTRY = 3,	/* one entry of the file list */
	FRAME_SIGNATURE = 4,	/* part of a librsync signature */
	FRAME_DELTA = 5,	/* part of a librsync delta */
	FRAME_DATA = 6,		/* part of a file sent whole */
	FRAME_FILE_END = 7,	/* end of a file, with its checksum */
	FRAME_ACK = 8,		/* receiver's verdict on a file */
	FRAME_ERROR = 9,	/* fatal error; the sender closes next */
	FRAME_PLAN = 10,	/* receiver's decision on one entry */
	FRAME_FILE_BEGIN = 11,	/* start of one file's data */
	FRAME_CONTROL = 12,	/* a control message (JSON), agent and hub */
	FRAME_CHUNK = 13,	/* start of one chunk of a striped file */
	FRAME_KEEPALIVE = 14	/* still hashing before an answer */
};
#define FRAME_TYPE_MIN	FRAME_HELLO
#define FRAME_TYPE_MAX	FRAME_KEEPALIVE

/* "HELLO", "DATA", ...; "unknown" for anything else. */
const char	*frame_type_name(int type);
/* The largest payload type may carry; 0 for an unknown type. */
uint32_t	 frame_type_max_len(int type);

struct frame_header {
	enum frame_type	 type;
	uint16_t	 flags;
	uint32_t	 len;
};

/*
 * Checks and decodes the FRAME_HEADER_LEN bytes at p. Returns 0 or
 * FERRY_ERR_PROTO (bad magic, unknown type, unknown flags, oversize).
 */
int	 frame_header_parse(const uint8_t *p, struct frame_header *h,
	     char **cause);
/*
 * Encodes a header into p[FRAME_HEADER_LEN]. Returns 0, FERRY_ERR_INVAL for
 * an unknown type or flags, or FERRY_ERR_TOOBIG for an oversize length.
 */
int	 frame_header_encode(uint8_t *p, int type, uint16_t flags, size_t len,
	     char **cause);
/* Appends a whole frame (header and payload) to out. */
int	 frame_encode(struct buf *out, int type, uint16_t flags,
	     const void *payload, size_t len, char **cause);

/* A decoded frame. payload is valid only until the next decoder call. */
struct frame {
	enum frame_type	 type;
	uint16_t	 flags;
	uint32_t	 len;
	const uint8_t	*payload;	/* NULL when len is 0 */
};

/*
 * An incremental decoder: feed it byte chunks of any size as they arrive.
 * A zeroed struct is not valid; use frame_decoder_init. It never reads
 * past the len bytes it is given, and allocates at most one payload of
 * the largest allowed size.
 */
struct frame_decoder {
	uint8_t		 hdr[FRAME_HEADER_LEN];
	size_t		 hdrlen;	/* header bytes held */
	struct frame_header h;
	uint8_t		*buf;		/* payload being gathered */
	size_t		 bufcap;
	size_t		 have;		/* payload bytes held */
	int		 error;		/* sticky: once malformed, always */
};

void	 frame_decoder_init(struct frame_decoder *d);
void	 frame_decoder_free(struct frame_decoder *d);
/*
 * Consumes bytes from data[0..len) and sets *used to how many it took.
 * Returns 1 when a complete frame is in *f, 0 when all len bytes were
 * taken and more are needed, or a negative code: FERRY_ERR_PROTO for a
 * malformed frame (then every later call fails the same way), or
 * FERRY_ERR_NOMEM. f->payload points into data or into the decoder and is
 * valid until the next call. Feed the rest (data + *used) on the next call.
 */
int	 frame_decode(struct frame_decoder *d, const void *data, size_t len,
	     size_t *used, struct frame *f, char **cause);
/* Whether the decoder holds part of a frame (for "EOF mid-frame"). */
int	 frame_decoder_partial(const struct frame_decoder *d);

/*
 * HELLO payload, version 1 (12 bytes; a longer payload is accepted and the
 * extra bytes ignored, so that a later version may add fields):
 *	offset 0  u32	highest protocol version the sender speaks
 *	offset 4  u64	feature bits the sender supports
 */
#define FRAME_PROTO_VERSION	1	/* the version this code speaks */
#define FRAME_PROTO_MIN		1	/* the oldest it still accepts */
#define FRAME_HELLO_LEN		12
/*
 * Feature bits. STRIPE: one large file may be cut into chunks that travel
 * on any of the transfer's streams (docs/protocol.md, 6.7).
 */
#define FRAME_FEATURE_STRIPE	UINT64_C(0x1)
/*
 * A batch's ACKs come after the next batch's data (docs/protocol.md 6.1):
 * the receiver commits one batch while it takes the next.
 */
#define FRAME_FEATURE_PIPELINE	UINT64_C(0x2)
/*
 * An end that must hash before its answer (a receiver's partial file or
 * its copy for the skip check, before the PLAN) sends KEEPALIVE frames
 * meanwhile, with the bytes hashed so far (docs/protocol.md 6.3): a
 * large file on a slow disk no longer outlasts the waiting end's idle
 * timeout. Without it, the waiting end hears nothing, as before.
 */
#define FRAME_FEATURE_KEEPALIVE	UINT64_C(0x4)
#define FRAME_FEATURES		(FRAME_FEATURE_STRIPE | \
				 FRAME_FEATURE_PIPELINE | \
				 FRAME_FEATURE_KEEPALIVE)

struct frame_hello {
	uint32_t	 version;
	uint64_t	 features;
};

/* Appends a HELLO frame to out. */
int	 frame_hello_encode(struct buf *out, const struct frame_hello *hello,
	     char **cause);
/* Decodes the payload of a HELLO frame f. FERRY_ERR_PROTO if malformed. */
int	 frame_hello_decode(const struct frame *f, struct frame_hello *hello,
	     char **cause);
/*
 * Agrees on what to speak: the lower of the two versions and the features
 * both support. FERRY_ERR_PROTO if the peer's version is older than
 * FRAME_PROTO_MIN.
 */
int	 frame_hello_negotiate(const struct frame_hello *ours,
	     const struct frame_hello *peer, struct frame_hello *agreed,
	     char **cause);

#endif
