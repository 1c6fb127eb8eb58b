#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conn-int.h"
#include "err.h"
#include "iobuf-int.h"
#include "tls.h"

int
conn_init(struct conn *c, struct tls_conn *tls)
{
	memset(c, 0, sizeof *c);
	c->tls = tls;
	tls_bulk(tls);
	/* Aligned, so that payloads can be written with O_DIRECT (flush.h). */
	if (posix_memalign((void **)&c->rbuf, 4096, CONN_RBUF) != 0 ||
	    (c->wmem = iobuf_alloc(IOBUF_ALIGN + CONN_WBUF)) == NULL ||
	    (c->ibuf = malloc(CONN_IBUF)) == NULL) {
		conn_free(c);
		return (FERRY_ERR_NOMEM);
	}
	/*
	 * The payload of a bulk frame at the buffer's start (most are: a
	 * full one is sent at once) starts a page, as a file's data is
	 * read straight into it (iobuf-int.h).
	 */
	c->wbuf = c->wmem + IOBUF_ALIGN - FRAME_HEADER_LEN;
	return (0);
}

void
conn_free(struct conn *c)
{
	free(c->rbuf);
	free(c->wmem);
	free(c->ibuf);
	c->rbuf = c->wbuf = c->wmem = c->ibuf = NULL;
}

int
conn_flush(struct conn *c, char **cause)
{
	int	r;

	if (c->wlen == 0)
		return (0);
	if ((r = tls_write(c->tls, c->wbuf, c->wlen, cause)) != 0)
		return (r);
	c->bytes_out += c->wlen;
	c->wlen = 0;
	return (0);
}

int
conn_put(struct conn *c, const void *frames, size_t len, char **cause)
{
	int	r;

	if (c->wlen + len > CONN_WBUF && (r = conn_flush(c, cause)) != 0)
		return (r);
	if (len > CONN_WBUF) {
		/* Larger than the buffer: send it straight through. */
		if ((r = tls_write(c->tls, frames, len, cause)) != 0)
			return (r);
		c->bytes_out += len;
		return (0);
	}
	memcpy(c->wbuf + c->wlen, frames, len);
	c->wlen += len;
	return (0);
}

uint8_t *
conn_bulk_space(struct conn *c, size_t want, char **cause)
{
	size_t	at;

	if (c->wlen + FRAME_HEADER_LEN + FRAME_MAX_BULK > CONN_WBUF &&
	    conn_flush(c, cause) != 0)
		return (NULL);
	/*
	 * A large read into room 1 to 31 bytes into a page is the kernel's
	 * slow copy (iobuf-int.h): after a striped chunk's header (28
	 * bytes) every chunk's first read was. Sending what is queued puts
	 * the room at the buffer's start, on a page; for a small read the
	 * slow copy costs less than that write.
	 */
	at = (size_t)((uintptr_t)(c->wbuf + c->wlen + FRAME_HEADER_LEN) %
	    IOBUF_ALIGN);
	if (want >= CONN_ALIGN_MIN && at >= 1 && at <= IOBUF_SLOW &&
	    c->wlen > 0 && conn_flush(c, cause) != 0)
		return (NULL);
	return (c->wbuf + c->wlen + FRAME_HEADER_LEN);
}

int
conn_bulk_commit(struct conn *c, int type, size_t len, char **cause)
{
	int	r;

	r = frame_header_encode(c->wbuf + c->wlen, type, 0, len, cause);
	if (r != 0)
		return (r);
	c->wlen += FRAME_HEADER_LEN + len;
	/* A full bulk frame is worth sending at once: it keeps data moving. */
	if (c->wlen + FRAME_HEADER_LEN + FRAME_MAX_BULK > CONN_WBUF)
		return (conn_flush(c, cause));
	return (0);
}

int
conn_read(struct conn *c, struct frame *f, char **cause)
{
	return (conn_read_to(c, f, NULL, 0, cause));
}

/* A peer that closed inside a frame (type) or inside its header (-1). */
static int
conn_cut(int type, char **cause)
{
	if (type < 0)
		return (err_set(cause, FERRY_ERR_CLOSED, "peer closed the "
		    "connection in the middle of a frame header"));
	return (err_set(cause, FERRY_ERR_CLOSED, "peer closed the connection "
	    "in the middle of a %s frame", frame_type_name(type)));
}

/*
 * Makes at least n (<= CONN_IBUF) bytes available at c->ibuf + c->ipos,
 * reading whatever the connection has ready. type is the frame whose
 * payload they are, -1 for a header: a close before them is clean only
 * between frames.
 */
static int
conn_fill(struct conn *c, size_t n, int type, char **cause)
{
	size_t	held = c->ilen - c->ipos, got;
	int	r;

	if (held >= n)
		return (0);
	if (c->ipos + n > CONN_IBUF) {
		memmove(c->ibuf, c->ibuf + c->ipos, held);
		c->ipos = 0;
		c->ilen = held;
	}
	while (c->ilen - c->ipos < n) {
		if ((r = tls_read_some(c->tls, c->ibuf + c->ilen,
		    CONN_IBUF - c->ilen, &got, cause)) != 0) {
			if (r == FERRY_ERR_CLOSED &&
			    (type >= 0 || c->ilen > c->ipos))
				return (conn_cut(type, cause));
			return (r);
		}
		c->ilen += got;
	}
	return (0);
}

/* Takes n held bytes (conn_fill made sure of them). */
static const uint8_t *
conn_take(struct conn *c, size_t n)
{
	const uint8_t	*p = c->ibuf + c->ipos;

	/* Emptied: the next read starts at the front again. */
	c->ipos += n;
	if (c->ipos == c->ilen)
		c->ipos = c->ilen = 0;
	return (p);
}

/*
 * A bulk payload of len bytes into dst: what is held already is copied,
 * a large rest is read straight into dst (no second copy of a 1 MiB
 * frame), a small one through ibuf so that the next frames come with it.
 */
static int
conn_read_bulk(struct conn *c, uint8_t *dst, size_t len, int type,
    char **cause)
{
	size_t	held = c->ilen - c->ipos, n;
	int	r;

	n = held < len ? held : len;
	if (n > 0)
		memcpy(dst, conn_take(c, n), n);
	if ((len -= n) == 0)
		return (0);
	if (len >= CONN_IBUF / 2) {
		/* ibuf is empty: all it held went to dst above. */
		if ((r = tls_read(c->tls, dst + n, len, cause)) ==
		    FERRY_ERR_CLOSED)
			return (conn_cut(type, cause));
		return (r);
	}
	if ((r = conn_fill(c, len, type, cause)) != 0)
		return (r);
	memcpy(dst + n, conn_take(c, len), len);
	return (0);
}

int
conn_read_to(struct conn *c, struct frame *f, uint8_t *room, size_t roomlen,
    char **cause)
{
	struct frame_header	 h;
	const uint8_t		*payload = NULL;
	uint8_t			*dst;
	int			 r;

	/*
	 * The header is checked (magic, type, flags, the type's size limit)
	 * before anything is done with its payload; the buffers are the
	 * connection's, of fixed size: a peer's frame allocates nothing.
	 */
	if ((r = conn_fill(c, FRAME_HEADER_LEN, -1, cause)) != 0)
		return (r);
	if ((r = frame_header_parse(c->ibuf + c->ipos, &h, cause)) != 0)
		return (r);
	(void)conn_take(c, FRAME_HEADER_LEN);
	if (h.len == 0)
		;
	else if (frame_type_max_len(h.type) + FRAME_HEADER_LEN <= CONN_IBUF) {
		/* Control frames and entries are handed out in place. */
		if ((r = conn_fill(c, h.len, h.type, cause)) != 0)
			return (r);
		payload = conn_take(c, h.len);
	} else {
		/*
		 * Bulk payloads go to the aligned rbuf, so that they can be
		 * written with O_DIRECT (flush.h), or to the caller's room.
		 */
		dst = room != NULL && h.type == FRAME_DATA &&
		    h.len <= roomlen ? room : c->rbuf;
		if ((r = conn_read_bulk(c, dst, h.len, h.type, cause)) != 0)
			return (r);
		payload = dst;
	}
	c->bytes_in += FRAME_HEADER_LEN + h.len;
	f->type = h.type;
	f->flags = h.flags;
	f->len = h.len;
	f->payload = payload;
	return (0);
}

int
conn_expect(struct conn *c, int type, struct frame *f, char **cause)
{
	int	r;

	if ((r = conn_read(c, f, cause)) != 0)
		return (r);
	if ((int)f->type == type)
		return (0);
	return (conn_unexpected(f, type, cause));
}

int
conn_unexpected(const struct frame *f, int type, char **cause)
{
	if (f->type == FRAME_ERROR)
		return (err_set(cause, FERRY_ERR_PROTO, "peer reported: %.*s",
		    (int)f->len, f->payload ? (const char *)f->payload : ""));
	return (err_set(cause, FERRY_ERR_PROTO, "expected a %s frame, got %s",
	    frame_type_name(type), frame_type_name(f->type)));
}
