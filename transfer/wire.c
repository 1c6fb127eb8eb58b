#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "wire-int.h"

void
wire_reader_init(struct wire_reader *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->bad = 0;
}

/* Returns the next n bytes, or NULL (and marks r bad) if they are short. */
static const uint8_t *
wire_take(struct wire_reader *r, size_t n)
{
	const uint8_t	*p;

	if (r->bad || r->len - r->off < n) {
		r->bad = 1;
		return (NULL);
	}
	p = r->p + r->off;
	r->off += n;
	return (p);
}

static uint64_t
wire_get_be(struct wire_reader *r, size_t n)
{
	const uint8_t	*p = wire_take(r, n);
	uint64_t	 v = 0;
	size_t		 i;

	for (i = 0; p != NULL && i < n; i++)
		v = v << 8 | p[i];
	return (v);
}

uint8_t
wire_get_u8(struct wire_reader *r)
{
	return ((uint8_t)wire_get_be(r, 1));
}

uint16_t
wire_get_u16(struct wire_reader *r)
{
	return ((uint16_t)wire_get_be(r, 2));
}

uint32_t
wire_get_u32(struct wire_reader *r)
{
	return ((uint32_t)wire_get_be(r, 4));
}

uint64_t
wire_get_u64(struct wire_reader *r)
{
	return (wire_get_be(r, 8));
}

void
wire_get_bytes(struct wire_reader *r, void *out, size_t n)
{
	const uint8_t	*p = wire_take(r, n);

	if (p != NULL)
		memcpy(out, p, n);
	else
		memset(out, 0, n);
}

char *
wire_get_str(struct wire_reader *r)
{
	uint16_t	 n = wire_get_u16(r);
	const uint8_t	*p = wire_take(r, n);
	char		*s;

	if (p == NULL || memchr(p, '\0', n) != NULL ||
	    (s = malloc((size_t)n + 1)) == NULL) {
		r->bad = 1;
		return (NULL);
	}
	memcpy(s, p, n);
	s[n] = '\0';
	return (s);
}

int
wire_reader_ok(const struct wire_reader *r)
{
	return (!r->bad && r->off == r->len);
}

static int
wire_put_be(struct buf *b, uint64_t v, size_t n)
{
	uint8_t	tmp[8];
	size_t	i;

	for (i = 0; i < n; i++)
		tmp[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return (buf_add(b, tmp, n));
}

int
wire_put_u8(struct buf *b, uint8_t v)
{
	return (wire_put_be(b, v, 1));
}

int
wire_put_u16(struct buf *b, uint16_t v)
{
	return (wire_put_be(b, v, 2));
}

int
wire_put_u32(struct buf *b, uint32_t v)
{
	return (wire_put_be(b, v, 4));
}

int
wire_put_u64(struct buf *b, uint64_t v)
{
	return (wire_put_be(b, v, 8));
}

int
wire_put_str(struct buf *b, const char *s)
{
	size_t	n = s != NULL ? strlen(s) : 0;
	int	r;

	if (n > UINT16_MAX)
		return (FERRY_ERR_TOOBIG);
	if ((r = wire_put_u16(b, (uint16_t)n)) != 0)
		return (r);
	return (buf_add(b, s != NULL ? s : "", n));
}
