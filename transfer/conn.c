#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conn-int.h"
#include "err.h"
#include "tls.h"

int
conn_init(struct conn *c, struct tls_conn *tls)
{
	memset(c, 0, sizeof *c);
	c->tls = tls;
	tls_bulk(tls);
	/* Aligned, so that payloads can be written with O_DIRECT (flush.h). */
	if (posix_memalign((void **)&c->rbuf, 4096, CONN_RBUF) != 0 ||
	    (c->wbuf = malloc(CONN_WBUF)) == NULL) {
		conn_free(c);
		return (FERRY_ERR_NOMEM);
	}
	return (0);
}

void
conn_free(struct conn *c)
{
	free(c->rbuf);
	free(c->wbuf);
	c->rbuf = c->wbuf = NULL;
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
conn_bulk_space(struct conn *c, char **cause)
{
	if (c->wlen + FRAME_HEADER_LEN + FRAME_MAX_BULK > CONN_WBUF &&
	    conn_flush(c, cause) != 0)
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

int
conn_read_to(struct conn *c, struct frame *f, uint8_t *room, size_t roomlen,
    char **cause)
{
	uint8_t			hdr[FRAME_HEADER_LEN], *dst;
	struct frame_header	h;
	int			r;

	/*
	 * Exact reads straight into the payload buffer: OpenSSL has already
	 * read ahead, so this costs no extra system call, and a 1 MiB frame
	 * is not gathered piece by piece a second time.
	 */
	if ((r = tls_read(c->tls, hdr, sizeof hdr, cause)) != 0)
		return (r);
	if ((r = frame_header_parse(hdr, &h, cause)) != 0)
		return (r);
	dst = room != NULL && h.type == FRAME_DATA && h.len <= roomlen ?
	    room : c->rbuf;
	if (h.len > 0 && (r = tls_read(c->tls, dst, h.len, cause)) != 0) {
		if (r == FERRY_ERR_CLOSED)
			return (err_set(cause, r, "peer closed the connection "
			    "in the middle of a %s frame",
			    frame_type_name(h.type)));
		return (r);
	}
	c->bytes_in += sizeof hdr + h.len;
	f->type = h.type;
	f->flags = h.flags;
	f->len = h.len;
	f->payload = h.len > 0 ? dst : NULL;
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
