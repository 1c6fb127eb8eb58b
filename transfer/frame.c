#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "frame.h"

/* Flag bits this version understands; none yet, so any set bit is an error. */
#define FRAME_FLAGS_KNOWN	0x0000

struct frame_type_info {
	const char	*name;
	uint32_t	 max_len;
};

/* Indexed by type; entry 0 is the unused value 0. */
static const struct frame_type_info frame_types[] = {
	{ NULL, 0 },
	{ "HELLO", FRAME_MAX_CONTROL },
	{ "TOKEN", FRAME_MAX_CONTROL },
	{ "FILE_ENTRY", FRAME_MAX_ENTRY },
	{ "SIGNATURE", FRAME_MAX_BULK },
	{ "DELTA", FRAME_MAX_BULK },
	{ "DATA", FRAME_MAX_BULK },
	{ "FILE_END", FRAME_MAX_CONTROL },
	{ "ACK", FRAME_MAX_CONTROL },
	{ "ERROR", FRAME_MAX_CONTROL },
	{ "PLAN", FRAME_MAX_CONTROL },
	{ "FILE_BEGIN", FRAME_MAX_CONTROL },
	{ "CONTROL", FRAME_MAX_BULK },
	{ "CHUNK", FRAME_MAX_CONTROL },
	{ "KEEPALIVE", FRAME_MAX_CONTROL },
};

static int
frame_type_known(int type)
{
	return (type >= FRAME_TYPE_MIN && type <= FRAME_TYPE_MAX);
}

const char *
frame_type_name(int type)
{
	return (frame_type_known(type) ? frame_types[type].name : "unknown");
}

uint32_t
frame_type_max_len(int type)
{
	return (frame_type_known(type) ? frame_types[type].max_len : 0);
}

static void
put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

/*
 * The checks of frame_header_parse, split by how many header bytes are
 * known, so that the decoder can reject garbage at its first bad byte
 * instead of waiting for (or allocating for) the rest of a frame.
 */
static int
frame_check_prefix(const uint8_t *p, size_t n, char **cause)
{
	uint16_t	flags;
	uint32_t	len;

	if (n >= 1 && p[0] != FRAME_MAGIC)
		return (err_set(cause, FERRY_ERR_PROTO,
		    "bad frame magic 0x%02x (expected 0x%02x): not a ferry "
		    "peer, or the stream lost its framing", p[0], FRAME_MAGIC));
	if (n >= 2 && !frame_type_known(p[1]))
		return (err_set(cause, FERRY_ERR_PROTO,
		    "unknown frame type %u", p[1]));
	if (n >= 4) {
		flags = (uint16_t)(p[2] << 8 | p[3]);
		if ((flags & ~FRAME_FLAGS_KNOWN) != 0)
			return (err_set(cause, FERRY_ERR_PROTO,
			    "%s frame has unknown flags 0x%04x",
			    frame_type_name(p[1]), flags));
	}
	if (n >= FRAME_HEADER_LEN) {
		len = get_u32(p + 4);
		if (len > frame_type_max_len(p[1]))
			return (err_set(cause, FERRY_ERR_PROTO,
			    "%s frame of %u bytes exceeds its limit of %u",
			    frame_type_name(p[1]), len,
			    frame_type_max_len(p[1])));
	}
	return (0);
}

int
frame_header_parse(const uint8_t *p, struct frame_header *h, char **cause)
{
	int	r;

	if ((r = frame_check_prefix(p, FRAME_HEADER_LEN, cause)) != 0)
		return (r);
	h->type = (enum frame_type)p[1];
	h->flags = (uint16_t)(p[2] << 8 | p[3]);
	h->len = get_u32(p + 4);
	return (0);
}

int
frame_header_encode(uint8_t *p, int type, uint16_t flags, size_t len,
    char **cause)
{
	if (!frame_type_known(type))
		return (err_set(cause, FERRY_ERR_INVAL,
		    "cannot encode unknown frame type %d", type));
	if ((flags & ~FRAME_FLAGS_KNOWN) != 0)
		return (err_set(cause, FERRY_ERR_INVAL,
		    "cannot encode unknown frame flags 0x%04x", flags));
	if (len > frame_type_max_len(type))
		return (err_set(cause, FERRY_ERR_TOOBIG,
		    "%s frame of %zu bytes exceeds its limit of %u",
		    frame_type_name(type), len, frame_type_max_len(type)));
	p[0] = FRAME_MAGIC;
	p[1] = (uint8_t)type;
	put_u16(p + 2, flags);
	put_u32(p + 4, (uint32_t)len);
	return (0);
}

int
frame_encode(struct buf *out, int type, uint16_t flags, const void *payload,
    size_t len, char **cause)
{
	uint8_t	hdr[FRAME_HEADER_LEN];
	int	r;

	if ((r = frame_header_encode(hdr, type, flags, len, cause)) != 0)
		return (r);
	if ((r = buf_add(out, hdr, sizeof hdr)) != 0)
		return (r);
	if (len > 0 && (r = buf_add(out, payload, len)) != 0)
		return (r);
	return (0);
}

void
frame_decoder_init(struct frame_decoder *d)
{
	memset(d, 0, sizeof *d);
}

void
frame_decoder_free(struct frame_decoder *d)
{
	free(d->buf);
	memset(d, 0, sizeof *d);
}

int
frame_decoder_partial(const struct frame_decoder *d)
{
	return (d->hdrlen > 0);
}

/* Takes header bytes one at a time, checking each as it arrives. */
static int
frame_decode_header(struct frame_decoder *d, const uint8_t *p, size_t len,
    size_t *used, char **cause)
{
	int	r;

	while (d->hdrlen < FRAME_HEADER_LEN && *used < len) {
		d->hdr[d->hdrlen++] = p[(*used)++];
		if ((r = frame_check_prefix(d->hdr, d->hdrlen, cause)) != 0)
			return (r);
	}
	if (d->hdrlen == FRAME_HEADER_LEN)
		return (frame_header_parse(d->hdr, &d->h, cause));
	return (0);
}

static int
frame_decoder_reserve(struct frame_decoder *d, size_t n)
{
	uint8_t	*b;

	if (n <= d->bufcap)
		return (0);
	if ((b = realloc(d->buf, n)) == NULL)
		return (FERRY_ERR_NOMEM);
	d->buf = b;
	d->bufcap = n;
	return (0);
}

/* Hands out the current frame and readies the decoder for the next one. */
static int
frame_decode_emit(struct frame_decoder *d, const uint8_t *payload,
    struct frame *f)
{
	f->type = d->h.type;
	f->flags = d->h.flags;
	f->len = d->h.len;
	f->payload = d->h.len > 0 ? payload : NULL;
	d->hdrlen = 0;
	d->have = 0;
	return (1);
}

int
frame_decode(struct frame_decoder *d, const void *data, size_t len,
    size_t *used, struct frame *f, char **cause)
{
	const uint8_t	*p = data;
	size_t		 take;
	int		 r;

	*used = 0;
	if (d->error != 0)
		return (err_set(cause, d->error,
		    "frame decoder already failed on a malformed frame"));
	if (len == 0)
		return (0);
	if ((r = frame_decode_header(d, p, len, used, cause)) != 0) {
		d->error = r;
		return (r);
	}
	if (d->hdrlen < FRAME_HEADER_LEN)
		return (0);

	/* The whole payload is in the caller's chunk: no copy needed. */
	if (d->have == 0 && len - *used >= d->h.len) {
		*used += d->h.len;
		return (frame_decode_emit(d, p + *used - d->h.len, f));
	}
	if ((r = frame_decoder_reserve(d, d->h.len)) != 0)
		return (r);
	take = d->h.len - d->have;
	if (take > len - *used)
		take = len - *used;
	memcpy(d->buf + d->have, p + *used, take);
	d->have += take;
	*used += take;
	if (d->have < d->h.len)
		return (0);
	return (frame_decode_emit(d, d->buf, f));
}

static uint64_t
get_u64(const uint8_t *p)
{
	return ((uint64_t)get_u32(p) << 32 | get_u32(p + 4));
}

static void
put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

int
frame_hello_encode(struct buf *out, const struct frame_hello *hello,
    char **cause)
{
	uint8_t	p[FRAME_HELLO_LEN];

	put_u32(p, hello->version);
	put_u64(p + 4, hello->features);
	return (frame_encode(out, FRAME_HELLO, 0, p, sizeof p, cause));
}

int
frame_hello_decode(const struct frame *f, struct frame_hello *hello,
    char **cause)
{
	if (f->type != FRAME_HELLO)
		return (err_set(cause, FERRY_ERR_PROTO,
		    "expected a HELLO frame, got %s",
		    frame_type_name(f->type)));
	if (f->len < FRAME_HELLO_LEN)
		return (err_set(cause, FERRY_ERR_PROTO,
		    "HELLO payload of %u bytes is shorter than %d", f->len,
		    FRAME_HELLO_LEN));
	hello->version = get_u32(f->payload);
	hello->features = get_u64(f->payload + 4);
	if (hello->version == 0)
		return (err_set(cause, FERRY_ERR_PROTO,
		    "HELLO names protocol version 0, which does not exist"));
	return (0);
}

int
frame_hello_negotiate(const struct frame_hello *ours,
    const struct frame_hello *peer, struct frame_hello *agreed, char **cause)
{
	if (peer->version < FRAME_PROTO_MIN)
		return (err_set(cause, FERRY_ERR_PROTO,
		    "peer speaks protocol version %u; this ferry needs %d or "
		    "newer", peer->version, FRAME_PROTO_MIN));
	agreed->version = peer->version < ours->version ?
	    peer->version : ours->version;
	agreed->features = peer->features & ours->features;
	return (0);
}
