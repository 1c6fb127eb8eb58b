#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

/* Makes room for extra more bytes plus the terminating NUL. */
static int
buf_reserve(struct buf *b, size_t extra)
{
	size_t	 need, cap;
	char	*p;

	if (extra > SIZE_MAX - b->len - 1)
		return (FERRY_ERR_TOOBIG);
	need = b->len + extra + 1;
	if (b->max != 0 && need - 1 > b->max)
		return (FERRY_ERR_TOOBIG);
	if (need <= b->cap)
		return (0);
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if ((p = realloc(b->data, cap)) == NULL)
		return (FERRY_ERR_NOMEM);
	b->data = p;
	b->cap = cap;
	return (0);
}

int
buf_add(struct buf *b, const void *data, size_t len)
{
	int	r;

	if ((r = buf_reserve(b, len)) != 0)
		return (r);
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return (0);
}

int
buf_addstr(struct buf *b, const char *s)
{
	return (buf_add(b, s, strlen(s)));
}

int
buf_addch(struct buf *b, char c)
{
	return (buf_add(b, &c, 1));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return (FERRY_ERR_INVAL);
	if ((r = buf_reserve(b, (size_t)n)) != 0)
		return (r);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return (0);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

char *
buf_detach(struct buf *b)
{
	char	*s = b->data;

	if (s == NULL)
		s = strdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return (s);
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

const char *
buf_str(const struct buf *b)
{
	return (b->data != NULL ? b->data : "");
}
