/*
 * RFC 6455 WebSocket frames: the header codec, client masking, close
 * payloads, and an incremental parser that turns received bytes into whole
 * messages (fragments reassembled, control frames handed out as they come).
 * Everything here is a pure function over byte buffers, with no I/O, so
 * that it can be unit-tested byte by byte and fuzzed; ws.c does the I/O.
 *
 * Library tier: functions return 0 (or a count) or a negative FERRY_ERR_*
 * code and, when a cause pointer is given, a newly allocated message.
 *
 * Private to ftrack/eventhub/ (and its tests and fuzz targets).
 */
#ifndef FERRY_WS_FRAME_INT_H
#define FERRY_WS_FRAME_INT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Opcodes (section 5.2). */
#define WS_OP_CONT	0x0
#define WS_OP_TEXT	0x1
#define WS_OP_BINARY	0x2
#define WS_OP_CLOSE	0x8
#define WS_OP_PING	0x9
#define WS_OP_PONG	0xa

/* Control frames carry at most this much and are never fragmented. */
#define WS_CONTROL_MAX	125
/* The longest header: 2 bytes, a 64-bit length and a 4-byte mask key. */
#define WS_HEADER_MAX	14

/* Close status codes (section 7.4.1) this code sends or names. */
#define WS_CLOSE_NORMAL		1000
#define WS_CLOSE_GOING_AWAY	1001
#define WS_CLOSE_PROTOCOL	1002
#define WS_CLOSE_NO_STATUS	1005	/* never on the wire */
#define WS_CLOSE_ABNORMAL	1006	/* never on the wire */
#define WS_CLOSE_BAD_DATA	1007
#define WS_CLOSE_TOO_BIG	1009

/* Who sent the bytes being parsed: servers must not mask, clients must. */
enum ws_sender {
	WS_FROM_SERVER = 0,
	WS_FROM_CLIENT = 1
};

struct ws_frame_header {
	int		 fin;
	int		 opcode;
	int		 masked;
	uint8_t		 mask[4];
	uint64_t	 len;		/* payload length */
	size_t		 hdrlen;	/* bytes of header before the payload */
};

/* "text", "close", ...; "reserved" for an opcode RFC 6455 leaves unused. */
const char	*ws_opcode_name(int opcode);

/*
 * Decodes the frame header at p[0..n). Returns 1 with *h filled, 0 when
 * more bytes are needed, or FERRY_ERR_PROTO (reserved bits, reserved
 * opcode, fragmented or oversize control frame, wrong masking for sender,
 * a length not in its shortest form or with the top bit set) or
 * FERRY_ERR_TOOBIG (a payload longer than max_len). Each check is made as
 * soon as the bytes it needs are present, so garbage is refused at once.
 */
int	 ws_frame_header_parse(const uint8_t *p, size_t n, enum ws_sender from,
	     uint64_t max_len, struct ws_frame_header *h, char **cause);

/*
 * Appends one frame to out. mask is the 4-byte key a client must use (the
 * payload is masked as it is copied), or NULL for an unmasked (server)
 * frame. FERRY_ERR_INVAL for a reserved opcode or a control frame that is
 * fragmented or longer than WS_CONTROL_MAX.
 */
int	 ws_frame_encode(struct buf *out, int opcode, int fin,
	     const void *payload, size_t len, const uint8_t *mask,
	     char **cause);

/*
 * XORs p[0..n) with the mask key, as if p started offset bytes into the
 * payload (masking is its own inverse).
 */
void	 ws_mask(uint8_t *p, size_t n, const uint8_t key[4], uint64_t offset);

/* Whether p[0..n) is well-formed UTF-8 (no overlong forms or surrogates). */
int	 ws_utf8_valid(const uint8_t *p, size_t n);

/*
 * Encodes a close payload (status code, then a reason cut to fit a control
 * frame at a character boundary) into out[WS_CONTROL_MAX]; code 0 sends an
 * empty payload. Returns its length.
 */
size_t	 ws_close_encode(uint8_t *out, int code, const char *reason);

/* "going away", "message too big", ...; "unknown" for others. */
const char	*ws_close_code_name(int code);

/*
 * Decodes a received close payload. An empty payload gives code
 * WS_CLOSE_NO_STATUS. FERRY_ERR_PROTO for a 1-byte payload, a code that may
 * not be sent (section 7.4) or a reason that is not UTF-8.
 */
int	 ws_close_decode(const uint8_t *p, size_t n, int *code,
	     const char **reason, size_t *reason_len, char **cause);

/* A whole message, or one control frame. */
struct ws_msg {
	int		 opcode;	/* TEXT, BINARY, CLOSE, PING or PONG */
	const uint8_t	*data;		/* NUL-terminated; never NULL */
	size_t		 len;
	int		 close_code;	/* CLOSE: its status, or 1005 if none */
	const char	*close_reason;	/* CLOSE: NUL-terminated, maybe "" */
};

/*
 * The incremental parser. Feed it bytes as they arrive, then call
 * ws_parser_next until it returns 0. A zeroed struct is not valid: use
 * ws_parser_init. Once it has failed it keeps failing with the same code.
 */
struct ws_parser {
	enum ws_sender	 from;
	size_t		 max_msg;	/* largest message it will assemble */
	struct buf	 in;		/* bytes not parsed yet, from off */
	size_t		 off;
	struct buf	 msg;		/* the data message being reassembled */
	int		 msg_op;	/* its opcode; 0 when none is open */
	uint8_t		 ctl[WS_CONTROL_MAX + 1];	/* last control frame */
	int		 error;		/* sticky FERRY_ERR_* */
	int		 status;	/* close code that error calls for */
};

/* Bytes one ws_parser_feed may add beyond a partial frame. */
#define WS_FEED_MAX	(64 * 1024)

void	 ws_parser_init(struct ws_parser *p, enum ws_sender from,
	     size_t max_msg);
void	 ws_parser_free(struct ws_parser *p);
/* Appends received bytes (at most WS_FEED_MAX at a time). */
int	 ws_parser_feed(struct ws_parser *p, const void *data, size_t len,
	     char **cause);
/*
 * Returns 1 with the next message in *m (valid until the next feed or
 * next call), 0 when the bytes so far hold no further message, or a
 * negative code: FERRY_ERR_PROTO (see ws_frame_header_parse, plus a
 * continuation with no message open, a new message inside a fragmented
 * one, text that is not UTF-8, a bad close payload), FERRY_ERR_TOOBIG (a
 * message longer than max_msg) or FERRY_ERR_NOMEM.
 */
int	 ws_parser_next(struct ws_parser *p, struct ws_msg *m, char **cause);
/* The close code to send after a failure (1002, 1007 or 1009). */
int	 ws_parser_close_status(const struct ws_parser *p);
/* Whether part of a frame or of a fragmented message is held. */
int	 ws_parser_partial(const struct ws_parser *p);

#endif
