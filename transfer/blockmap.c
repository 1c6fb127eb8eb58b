#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blockmap-int.h"
#include "err.h"
#include "iobuf-int.h"
#include "xxh-int.h"

#define BLOCKMAP_LIT_MAX	(1024 * 1024)	/* one LITERAL command */

/* librsync delta format: the magic and the two commands we need. */
#define RS_DELTA_MAGIC_BYTES	"rs\002\066"
#define RS_OP_END		0x00
#define RS_OP_LITERAL_N4	0x43	/* u32 length, then the bytes */
#define RS_OP_COPY_N8_N8	0x54	/* u64 basis offset, u64 length */

static uint32_t
blockmap_hash(const void *p, size_t n)
{
	return ((uint32_t)XXH3_64bits(p, n));
}

int
blockmap_start(uint64_t size, struct buf *out)
{
	uint8_t	hdr[BLOCKMAP_HEADER];

	put_be(hdr, BLOCKMAP_MAGIC, 4);
	put_be(hdr + 4, BLOCKMAP_BLOCK, 4);
	put_be(hdr + 8, size, 8);
	return (buf_add(out, hdr, sizeof hdr));
}

int
blockmap_add(const void *data, size_t n, struct buf *out)
{
	const uint8_t	*p = data;
	uint8_t		 h[4];
	size_t		 i;
	int		 r = 0;

	for (i = 0; r == 0 && i < n; i += BLOCKMAP_BLOCK) {
		put_be(h, blockmap_hash(p + i, n - i < BLOCKMAP_BLOCK ?
		    n - i : BLOCKMAP_BLOCK), 4);
		r = buf_add(out, h, 4);
	}
	return (r);
}

int
blockmap_build(int fd, uint64_t size, struct buf *out, char **cause)
{
	uint8_t		*chunk;
	uint64_t	 off = 0;
	size_t		 want;
	ssize_t		 got;
	int		 r;

	if ((r = blockmap_start(size, out)) != 0)
		return (r);
	if ((chunk = iobuf_alloc(64 * BLOCKMAP_BLOCK)) == NULL)
		return (FERRY_ERR_NOMEM);
	while (r == 0 && off < size) {
		want = size - off < 64 * BLOCKMAP_BLOCK ? (size_t)(size - off) :
		    64 * BLOCKMAP_BLOCK;
		got = pread(fd, chunk, want, (off_t)off);
		if (got <= 0) {
			r = err_set(cause, FERRY_ERR_IO, "reading the basis: %s",
			    got == 0 ? "it is shorter than it was" :
			    strerror(errno));
			break;
		}
		r = blockmap_add(chunk, (size_t)got, out);
		off += (uint64_t)got;
	}
	free(chunk);
	return (r);
}

int
blockmap_is(const void *data, size_t len)
{
	return (len >= 4 && get_be(data, 4) == BLOCKMAP_MAGIC);
}

int
blockmap_parse(const void *data, size_t len, struct blockmap **out,
    char **cause)
{
	const uint8_t	*p = data;
	struct blockmap	*m;
	size_t		 i;

	*out = NULL;
	if (len < BLOCKMAP_HEADER || !blockmap_is(data, len))
		return (err_set(cause, FERRY_ERR_PROTO, "block map too short"));
	if ((m = calloc(1, sizeof *m)) == NULL)
		return (FERRY_ERR_NOMEM);
	m->block = (uint32_t)get_be(p + 4, 4);
	m->size = get_be(p + 8, 8);
	m->n = (len - BLOCKMAP_HEADER) / 4;
	if (m->block != BLOCKMAP_BLOCK || (len - BLOCKMAP_HEADER) % 4 != 0 ||
	    m->n != (m->size + m->block - 1) / m->block) {
		free(m);
		return (err_set(cause, FERRY_ERR_PROTO, "block map of %zu "
		    "bytes does not fit its header", len));
	}
	if ((m->h = calloc(m->n + 1, sizeof *m->h)) == NULL) {
		free(m);
		return (FERRY_ERR_NOMEM);
	}
	for (i = 0; i < m->n; i++)
		m->h[i] = (uint32_t)get_be(p + BLOCKMAP_HEADER + 4 * i, 4);
	*out = m;
	return (0);
}

void
blockmap_free(struct blockmap *m)
{
	if (m == NULL)
		return;
	free(m->h);
	free(m);
}

int
blockmap_enc_init(struct blockmap_enc *e, const struct blockmap *m,
    uint64_t pos)
{
	memset(e, 0, sizeof *e);
	e->m = m;
	e->pos = pos;
	buf_init(&e->lit, 0);
	if ((e->part = malloc(BLOCKMAP_BLOCK)) == NULL)
		return (FERRY_ERR_NOMEM);
	return (0);
}

void
blockmap_enc_free(struct blockmap_enc *e)
{
	free(e->part);
	buf_free(&e->lit);
	e->part = NULL;
}

static int
blockmap_emit(struct blockmap_enc *e, const void *p, size_t n,
    delta_sink sink, void *arg)
{
	int	r;

	if (!e->started) {
		e->started = 1;
		if ((r = sink(arg, RS_DELTA_MAGIC_BYTES, 4)) != 0)
			return (r);
	}
	return (sink(arg, p, n));
}

static int
blockmap_flush_copy(struct blockmap_enc *e, delta_sink sink, void *arg)
{
	uint8_t	cmd[17];

	if (e->copy_len == 0)
		return (0);
	cmd[0] = RS_OP_COPY_N8_N8;
	put_be(cmd + 1, e->copy_at, 8);
	put_be(cmd + 9, e->copy_len, 8);
	e->copy_len = 0;
	return (blockmap_emit(e, cmd, sizeof cmd, sink, arg));
}

static int
blockmap_flush_literal(struct blockmap_enc *e, delta_sink sink, void *arg)
{
	uint8_t	cmd[5];
	int	r;

	if (e->lit.len == 0)
		return (0);
	cmd[0] = RS_OP_LITERAL_N4;
	put_be(cmd + 1, e->lit.len, 4);
	if ((r = blockmap_emit(e, cmd, sizeof cmd, sink, arg)) == 0)
		r = blockmap_emit(e, e->lit.data, e->lit.len, sink, arg);
	buf_reset(&e->lit);
	return (r);
}

/* Handles one block of n bytes starting at e->pos. */
static int
blockmap_block(struct blockmap_enc *e, const uint8_t *p, size_t n,
    delta_sink sink, void *arg)
{
	const struct blockmap	*m = e->m;
	uint64_t		 i = e->pos / BLOCKMAP_BLOCK, blen;
	int			 r;

	blen = i < m->n ? (m->size - i * BLOCKMAP_BLOCK < BLOCKMAP_BLOCK ?
	    m->size - i * BLOCKMAP_BLOCK : BLOCKMAP_BLOCK) : 0;
	e->pos += n;
	/* Only a whole aligned block can match the block at its position. */
	if (i < m->n && (e->pos - n) % BLOCKMAP_BLOCK == 0 && n == blen &&
	    blockmap_hash(p, n) == m->h[i]) {
		if ((r = blockmap_flush_literal(e, sink, arg)) != 0)
			return (r);
		if (e->copy_len > 0 && e->copy_at + e->copy_len !=
		    i * BLOCKMAP_BLOCK && (r = blockmap_flush_copy(e, sink,
		    arg)) != 0)
			return (r);
		if (e->copy_len == 0)
			e->copy_at = i * BLOCKMAP_BLOCK;
		e->copy_len += n;
		e->matched += n;
		return (0);
	}
	if ((r = blockmap_flush_copy(e, sink, arg)) != 0 ||
	    (r = buf_add(&e->lit, p, n)) != 0)
		return (r);
	if (e->lit.len >= BLOCKMAP_LIT_MAX)
		return (blockmap_flush_literal(e, sink, arg));
	return (0);
}

int
blockmap_enc_push(struct blockmap_enc *e, const void *data, size_t len,
    int eof, delta_sink sink, void *arg)
{
	const uint8_t	*p = data;
	size_t		 room, take;
	uint8_t		 end = RS_OP_END;
	int		 r;

	while (len > 0) {
		/* Gather up to the next block boundary. */
		room = BLOCKMAP_BLOCK - (size_t)((e->pos + e->partlen) %
		    BLOCKMAP_BLOCK);
		if (e->partlen == 0 && len >= room) {
			/* A whole block in the input: no copy needed. */
			if ((r = blockmap_block(e, p, room, sink, arg)) != 0)
				return (r);
			p += room;
			len -= room;
			continue;
		}
		take = len < room ? len : room;
		memcpy(e->part + e->partlen, p, take);
		e->partlen += take;
		p += take;
		len -= take;
		if (take == room) {
			r = blockmap_block(e, e->part, e->partlen, sink, arg);
			e->partlen = 0;
			if (r != 0)
				return (r);
		}
	}
	if (!eof)
		return (0);
	if (e->partlen > 0) {
		r = blockmap_block(e, e->part, e->partlen, sink, arg);
		e->partlen = 0;
		if (r != 0)
			return (r);
	}
	if ((r = blockmap_flush_literal(e, sink, arg)) != 0 ||
	    (r = blockmap_flush_copy(e, sink, arg)) != 0)
		return (r);
	return (blockmap_emit(e, &end, 1, sink, arg));
}
