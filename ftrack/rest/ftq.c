#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "ftq.h"

/* Which part of the %L list to render; all of it unless chunking. */
struct ftq_slice {
	size_t	from;
	size_t	n;
	int	active;
};

/* Length of the UTF-8 sequence at s (at most len bytes), or 0 if bad. */
static size_t
ftq_utf8_len(const unsigned char *s, size_t len)
{
	uint32_t	cp;
	size_t		n, i;

	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return (0);
	if (n > len)
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return (0);
	return (n);
}

int
ftq_quote(struct buf *b, const char *s, size_t len, char **cause)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, n;
	int			 r = 0;

	/* Check everything first, so that a refused value adds nothing. */
	for (i = 0; i < len; i += n) {
		if (u[i] == '\0')
			return (err_set(cause, FERRY_ERR_INVAL, "a query value "
			    "has a NUL byte at offset %zu", i));
		if (u[i] < 0x20 || u[i] == 0x7f)
			return (err_set(cause, FERRY_ERR_INVAL, "a query value "
			    "has control character 0x%02x at offset %zu", u[i],
			    i));
		if ((n = ftq_utf8_len(u + i, len - i)) == 0)
			return (err_set(cause, FERRY_ERR_INVAL, "a query value "
			    "is not UTF-8 (byte 0x%02x at offset %zu)", u[i],
			    i));
	}
	r |= buf_addch(b, '"');
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			r |= buf_addch(b, '\\');
		r |= buf_addch(b, s[i]);
	}
	r |= buf_addch(b, '"');
	return (r == 0 ? 0 : err_set(cause, FERRY_ERR_TOOBIG,
	    "query expression longer than %d bytes", FTQ_MAX));
}

/* An entity type or dotted attribute path: inserted bare, so checked. */
static int
ftq_name(struct buf *b, const char *s, char **cause)
{
	size_t	i;
	int	start = 1;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '.' && !start) {
			start = 1;
			continue;
		}
		if (!(s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (!start && s[i] >= '0' && s[i] <= '9')))
			break;
		start = 0;
	}
	if (s[i] != '\0' || start)
		return (err_set(cause, FERRY_ERR_INVAL, "\"%.64s\" is not an "
		    "entity type or attribute name", s));
	return (buf_addstr(b, s) == 0 ? 0 : FERRY_ERR_TOOBIG);
}

/* One list element: a string is quoted, an integer written out. */
static int
ftq_element(struct buf *b, const json_t *v, size_t i, char **cause)
{
	if (json_is_string(v))
		return (ftq_quote(b, json_string_value(v),
		    json_string_length(v), cause));
	if (json_is_integer(v))
		return (buf_printf(b, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v)) == 0 ? 0 : FERRY_ERR_TOOBIG);
	return (err_set(cause, FERRY_ERR_INVAL, "query list element %zu is "
	    "neither a string nor an integer", i));
}

static int
ftq_list(struct buf *b, const json_t *list, const struct ftq_slice *sl,
    char **cause)
{
	size_t	from = 0, n, i;
	int	r;

	if (!json_is_array(list))
		return (err_set(cause, FERRY_ERR_INVAL, "%%L needs a JSON "
		    "array"));
	n = json_array_size(list);
	if (sl->active) {
		from = sl->from;
		n = sl->n;
	}
	if (n == 0)
		return (err_set(cause, FERRY_ERR_INVAL, "empty list in a "
		    "query: ftrack cannot parse \"in ()\""));
	for (i = from; i < from + n; i++) {
		if (i > from && buf_addstr(b, ", ") != 0)
			return (FERRY_ERR_TOOBIG);
		r = ftq_element(b, json_array_get(list, i), i, cause);
		if (r != 0)
			return (r);
	}
	return (0);
}

/* Expands one directive at *fmtp (just past the '%'), consuming from ap. */
static int
ftq_directive(struct buf *b, const char **fmtp, va_list *ap,
    const struct ftq_slice *sl, char **cause)
{
	const char	*s;
	char		 c = **fmtp;

	(*fmtp)++;
	switch (c) {
	case '%':
		return (buf_addch(b, '%') == 0 ? 0 : FERRY_ERR_TOOBIG);
	case 'q':
		s = va_arg(*ap, const char *);
		if (s == NULL)
			return (err_set(cause, FERRY_ERR_INVAL, "%%q given "
			    "NULL"));
		return (ftq_quote(b, s, strlen(s), cause));
	case 'n':
		return (ftq_name(b, va_arg(*ap, const char *), cause));
	case 'L':
		return (ftq_list(b, va_arg(*ap, const json_t *), sl, cause));
	case 'd':
		return (buf_printf(b, "%d", va_arg(*ap, int)) == 0 ? 0 :
		    FERRY_ERR_TOOBIG);
	case 'z':
		if (**fmtp == 'u') {
			(*fmtp)++;
			return (buf_printf(b, "%zu", va_arg(*ap, size_t)) == 0 ?
			    0 : FERRY_ERR_TOOBIG);
		}
		break;
	}
	return (err_set(cause, FERRY_ERR_INVAL, "unknown directive %%%c in "
	    "query format", c == '\0' ? '?' : c));
}

static int
ftq_expand(struct buf *b, char **cause, const char *fmt, va_list ap,
    const struct ftq_slice *sl)
{
	const char	*p;
	va_list		 aq;
	size_t		 n;
	int		 r = 0;

	va_copy(aq, ap);
	while (r == 0 && *fmt != '\0') {
		p = strchr(fmt, '%');
		n = p == NULL ? strlen(fmt) : (size_t)(p - fmt);
		if (buf_add(b, fmt, n) != 0)
			r = FERRY_ERR_TOOBIG;
		fmt += n;
		if (r == 0 && *fmt == '%') {
			fmt++;
			r = ftq_directive(b, &fmt, &aq, sl, cause);
		}
	}
	va_end(aq);
	if (r == FERRY_ERR_TOOBIG)
		r = err_set(cause, r, "query expression longer than %d bytes",
		    FTQ_MAX);
	return (r);
}

int
ftq_vformat(struct buf *b, char **cause, const char *fmt, va_list ap)
{
	struct ftq_slice	sl = { 0, 0, 0 };

	return (ftq_expand(b, cause, fmt, ap, &sl));
}

int
ftq_format(char **exprp, char **cause, const char *fmt, ...)
{
	struct buf	 b;
	va_list		 ap;
	int		 r;

	buf_init(&b, FTQ_MAX);
	va_start(ap, fmt);
	r = ftq_vformat(&b, cause, fmt, ap);
	va_end(ap);
	if (r != 0) {
		buf_free(&b);
		return (r);
	}
	*exprp = buf_detach(&b);
	return (0);
}

void
ftq_init(struct ftq *q)
{
	buf_init(&q->b, FTQ_MAX);
	q->error = 0;
	q->cause = NULL;
}

void
ftq_add(struct ftq *q, const char *fmt, ...)
{
	va_list	ap;

	if (q->error != 0)
		return;
	va_start(ap, fmt);
	q->error = ftq_vformat(&q->b, &q->cause, fmt, ap);
	va_end(ap);
}

int
ftq_finish(struct ftq *q, char **exprp, char **cause)
{
	int	r = q->error;

	if (r == 0)
		*exprp = buf_detach(&q->b);
	else if (cause != NULL) {
		free(*cause);
		*cause = q->cause;	/* transferred */
		q->cause = NULL;
	}
	buf_free(&q->b);
	free(q->cause);
	ftq_init(q);
	return (r);
}

/*
 * Finds the argument of the one %L in fmt by walking the directives
 * before it, so that ftq_format_chunks() knows the list it cuts.
 */
static int
ftq_find_list(const char *fmt, va_list ap, const json_t **listp,
    char **cause)
{
	const json_t	*list = NULL;
	va_list		 aq;
	int		 count = 0;

	va_copy(aq, ap);
	for (; *fmt != '\0'; fmt++) {
		if (*fmt != '%')
			continue;
		switch (*++fmt) {
		case 'q':
		case 'n':
			(void)va_arg(aq, const char *);
			break;
		case 'd':
			(void)va_arg(aq, int);
			break;
		case 'z':
			(void)va_arg(aq, size_t);
			break;
		case 'L':
			list = va_arg(aq, const json_t *);
			count++;
			break;
		case '\0':
			fmt--;
			break;
		}
	}
	va_end(aq);
	if (count != 1)
		return (err_set(cause, FERRY_ERR_INVAL, "a chunked query needs "
		    "exactly one %%L, not %d", count));
	if (!json_is_array(list))
		return (err_set(cause, FERRY_ERR_INVAL, "%%L needs a JSON "
		    "array"));
	*listp = list;
	return (0);
}

static int
ftq_chunks(json_t *exprs, size_t chunk, char **cause, const char *fmt,
    va_list ap)
{
	const json_t		*list;
	struct ftq_slice	 sl = { 0, 0, 1 };
	struct buf		 b;
	size_t			 total;
	int			 r;

	if ((r = ftq_find_list(fmt, ap, &list, cause)) != 0)
		return (r);
	total = json_array_size(list);
	for (sl.from = 0; sl.from < total; sl.from += sl.n) {
		sl.n = total - sl.from < chunk ? total - sl.from : chunk;
		buf_init(&b, FTQ_MAX);
		r = ftq_expand(&b, cause, fmt, ap, &sl);
		if (r == 0 && json_array_append_new(exprs,
		    json_string(buf_str(&b))) != 0)
			r = err_set(cause, FERRY_ERR_NOMEM, "out of memory");
		buf_free(&b);
		if (r != 0)
			return (r);
	}
	return (0);
}

int
ftq_format_chunks(json_t **exprsp, size_t chunk, char **cause,
    const char *fmt, ...)
{
	json_t	*exprs;
	va_list	 ap;
	int	 r;

	if ((exprs = json_array()) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	va_start(ap, fmt);
	r = ftq_chunks(exprs, chunk == 0 ? FTQ_CHUNK : chunk, cause, fmt, ap);
	va_end(ap);
	if (r != 0) {
		json_decref(exprs);
		return (r);
	}
	*exprsp = exprs;
	return (0);
}
