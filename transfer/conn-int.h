/*
 * One data connection of a transfer session: frames over an established
 * TLS connection, with an output buffer so that small frames travel
 * together, and byte counters for the statistics.
 */
#ifndef FERRY_CONN_H
#define FERRY_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

struct tls_conn;

#define CONN_RBUF	FRAME_MAX_BULK	/* the largest payload */
/*
 * Bytes read ahead of the frame being decoded: several small frames come
 * out of one SSL_read (each call clears OpenSSL's error queue and takes
 * the record layer's locks). Room for the largest non-bulk frame and its
 * header, so that those are handed out in place.
 */
#define CONN_IBUF	(FRAME_HEADER_LEN + FRAME_MAX_ENTRY)
#define CONN_WBUF	(FRAME_HEADER_LEN + FRAME_MAX_BULK + 64 * 1024)
/* Reads from this size on are worth a write to land on a page. */
#define CONN_ALIGN_MIN	(64 * 1024)

struct conn {
	struct tls_conn		*tls;		/* borrowed */
	uint8_t			*rbuf;		/* the last bulk frame's payload */
	uint8_t			*ibuf;		/* read ahead, CONN_IBUF */
	size_t			 ipos;		/* first byte not yet taken */
	size_t			 ilen;		/* bytes held in ibuf */
	uint8_t			*wbuf;		/* in wmem: see conn_init */
	uint8_t			*wmem;
	size_t			 wlen;
	uint64_t		 bytes_in;
	uint64_t		 bytes_out;
};

int	 conn_init(struct conn *c, struct tls_conn *tls);
void	 conn_free(struct conn *c);

/* Queues an encoded frame (or several); sends when the buffer fills. */
int	 conn_put(struct conn *c, const void *frames, size_t len,
	     char **cause);
/*
 * For bulk payloads without a copy: returns room for up to FRAME_MAX_BULK
 * payload bytes; conn_bulk_commit then frames len of them as type. want:
 * about how many will be read into it from a file (it may send what is
 * queued first, for a large read, so that the room starts a page).
 */
uint8_t	*conn_bulk_space(struct conn *c, size_t want, char **cause);
int	 conn_bulk_commit(struct conn *c, int type, size_t len,
	     char **cause);
/* Sends everything queued. */
int	 conn_flush(struct conn *c, char **cause);

/*
 * Reads the next frame. f->payload is valid until the next call.
 * FERRY_ERR_CLOSED when the peer closed, FERRY_ERR_PROTO when it sent a
 * malformed frame.
 */
int	 conn_read(struct conn *c, struct frame *f, char **cause);
/*
 * The same, but a DATA payload that fits in roomlen bytes at room goes
 * there instead (f->payload == room then): a striped chunk is gathered
 * for one large write without a copy (stripe-recv.c). A bulk payload
 * (DATA, DELTA, SIGNATURE, CONTROL) is always in room or in the aligned
 * rbuf; what was read ahead of it is copied, the rest read straight
 * there. Other payloads may point into the read-ahead buffer.
 */
int	 conn_read_to(struct conn *c, struct frame *f, uint8_t *room,
	     size_t roomlen, char **cause);
/* Reads the next frame and requires it to be of type. */
int	 conn_expect(struct conn *c, int type, struct frame *f, char **cause);
/*
 * conn_expect's error for a frame f that is not of type: the peer's
 * ERROR, or "expected a PLAN frame, got DATA". FERRY_ERR_PROTO.
 */
int	 conn_unexpected(const struct frame *f, int type, char **cause);

#endif
