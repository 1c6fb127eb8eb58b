/* Event-hub subscription and target expressions: compile and match. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "subexpr-int.h"

enum subexpr_kind { SUBEXPR_OR, SUBEXPR_AND, SUBEXPR_NOT, SUBEXPR_COND };
enum subexpr_op { OP_EQ, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE };

struct subexpr {
	enum subexpr_kind	 kind;
	struct subexpr		*a, *b;		/* operands; NOT uses a */
	enum subexpr_op		 op;
	char			*field;
	char			*value;
};

/* The text being compiled and where the cursor is. */
struct subexpr_cursor {
	const char	*s;
	size_t		 pos;
	int		 depth;
	char		**cause;
};

static struct subexpr	*subexpr_or(struct subexpr_cursor *, int *);

void
subexpr_free(struct subexpr *e)
{
	if (e == NULL)
		return;
	subexpr_free(e->a);
	subexpr_free(e->b);
	free(e->field);
	free(e->value);
	free(e);
}

static void
subexpr_skip_space(struct subexpr_cursor *c)
{
	while (isspace((unsigned char)c->s[c->pos]))
		c->pos++;
}

static int
subexpr_field_char(char ch)
{
	return (isalnum((unsigned char)ch) || ch == '_' || ch == '.');
}

static int
subexpr_value_char(char ch)
{
	return (subexpr_field_char(ch) ||
	    (ch != '\0' && strchr("-,/*@+", ch) != NULL));
}

/* Takes keyword kw (any case) if it stands as a word at the cursor. */
static int
subexpr_keyword(struct subexpr_cursor *c, const char *kw)
{
	size_t	n = strlen(kw);

	subexpr_skip_space(c);
	if (strncasecmp(c->s + c->pos, kw, n) != 0 ||
	    subexpr_field_char(c->s[c->pos + n]))
		return (0);
	c->pos += n;
	return (1);
}

static struct subexpr *
subexpr_node(enum subexpr_kind kind, struct subexpr *a, struct subexpr *b,
    int *r)
{
	struct subexpr	*e;

	if ((e = calloc(1, sizeof *e)) == NULL) {
		subexpr_free(a);
		subexpr_free(b);
		*r = FERRY_ERR_NOMEM;
		return (NULL);
	}
	e->kind = kind;
	e->a = a;
	e->b = b;
	return (e);
}

static struct subexpr *
subexpr_fail(struct subexpr_cursor *c, int *r, const char *what)
{
	*r = err_set(c->cause, FERRY_ERR_PARSE, "expression: expected %s at "
	    "byte %zu", what, c->pos + 1);
	return (NULL);
}

static int
subexpr_op(struct subexpr_cursor *c, enum subexpr_op *op)
{
	static const struct {
		const char	*text;
		enum subexpr_op	 op;
	} ops[] = {
		{ "!=", OP_NE }, { "<=", OP_LE }, { ">=", OP_GE },
		{ "=", OP_EQ }, { "<", OP_LT }, { ">", OP_GT }
	};
	size_t	i, n;

	subexpr_skip_space(c);
	for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		n = strlen(ops[i].text);
		if (strncmp(c->s + c->pos, ops[i].text, n) == 0) {
			c->pos += n;
			*op = ops[i].op;
			return (1);
		}
	}
	return (0);
}

/* A quoted value, with \ escaping the next character. */
static int
subexpr_quoted(struct subexpr_cursor *c, struct buf *v)
{
	char	q = c->s[c->pos++], ch;
	int	r;

	while ((ch = c->s[c->pos]) != q) {
		if (ch == '\0')
			return (FERRY_ERR_PARSE);
		if (ch == '\\' && c->s[c->pos + 1] != '\0')
			ch = c->s[++c->pos];
		if ((r = buf_addch(v, ch)) != 0)
			return (r);
		c->pos++;
	}
	c->pos++;
	return (0);
}

static int
subexpr_value(struct subexpr_cursor *c, char **out)
{
	struct buf	v;
	size_t		start;
	int		r = 0;

	buf_init(&v, 0);
	subexpr_skip_space(c);
	if (c->s[c->pos] == '"' || c->s[c->pos] == '\'')
		r = subexpr_quoted(c, &v);
	else {
		start = c->pos;
		while (subexpr_value_char(c->s[c->pos]))
			c->pos++;
		r = c->pos == start ? FERRY_ERR_PARSE :
		    buf_add(&v, c->s + start, c->pos - start);
	}
	if (r == 0 && v.data == NULL)
		r = buf_addstr(&v, "");
	if (r != 0) {
		buf_free(&v);
		return (r);
	}
	*out = buf_detach(&v);
	return (*out != NULL ? 0 : FERRY_ERR_NOMEM);
}

static struct subexpr *
subexpr_cond(struct subexpr_cursor *c, int *r)
{
	struct subexpr	*e;
	size_t		 start;

	subexpr_skip_space(c);
	start = c->pos;
	while (subexpr_field_char(c->s[c->pos]))
		c->pos++;
	if (c->pos == start)
		return (subexpr_fail(c, r, "a field name or \"(\""));
	if ((e = subexpr_node(SUBEXPR_COND, NULL, NULL, r)) == NULL)
		return (NULL);
	if ((e->field = strndup(c->s + start, c->pos - start)) == NULL) {
		*r = FERRY_ERR_NOMEM;
		goto fail;
	}
	if (!subexpr_op(c, &e->op)) {
		subexpr_fail(c, r, "an operator (=, !=, <, >, <=, >=)");
		goto fail;
	}
	if ((*r = subexpr_value(c, &e->value)) != 0) {
		if (*r == FERRY_ERR_PARSE)
			subexpr_fail(c, r, "a value");
		goto fail;
	}
	return (e);
fail:
	subexpr_free(e);
	return (NULL);
}

static struct subexpr *
subexpr_not(struct subexpr_cursor *c, int *r)
{
	struct subexpr	*e = NULL;

	if (++c->depth > SUBEXPR_MAX_DEPTH) {
		*r = err_set(c->cause, FERRY_ERR_TOOBIG, "expression nests "
		    "deeper than %d", SUBEXPR_MAX_DEPTH);
		return (NULL);
	}
	if (subexpr_keyword(c, "not")) {
		if ((e = subexpr_not(c, r)) != NULL)
			e = subexpr_node(SUBEXPR_NOT, e, NULL, r);
	} else if (c->s[c->pos] == '(') {
		c->pos++;
		if ((e = subexpr_or(c, r)) != NULL) {
			subexpr_skip_space(c);
			if (c->s[c->pos] == ')')
				c->pos++;
			else {
				subexpr_free(e);
				e = subexpr_fail(c, r, "\")\"");
			}
		}
	} else
		e = subexpr_cond(c, r);
	c->depth--;
	return (e);
}

/* One level of "a KW b KW c", for and and or. */
static struct subexpr *
subexpr_chain(struct subexpr_cursor *c, int *r, const char *kw,
    enum subexpr_kind kind, struct subexpr *(*operand)(struct subexpr_cursor *,
    int *))
{
	struct subexpr	*e, *b;

	if ((e = operand(c, r)) == NULL)
		return (NULL);
	while (subexpr_keyword(c, kw)) {
		if ((b = operand(c, r)) == NULL) {
			subexpr_free(e);
			return (NULL);
		}
		if ((e = subexpr_node(kind, e, b, r)) == NULL)
			return (NULL);
	}
	return (e);
}

static struct subexpr *
subexpr_and(struct subexpr_cursor *c, int *r)
{
	return (subexpr_chain(c, r, "and", SUBEXPR_AND, subexpr_not));
}

static struct subexpr *
subexpr_or(struct subexpr_cursor *c, int *r)
{
	return (subexpr_chain(c, r, "or", SUBEXPR_OR, subexpr_and));
}

int
subexpr_parse(const char *text, struct subexpr **out, char **cause)
{
	struct subexpr_cursor	 c;
	struct subexpr		*e;
	int			 r = 0;

	if (strlen(text) > SUBEXPR_MAX_LEN)
		return (err_set(cause, FERRY_ERR_TOOBIG, "expression longer "
		    "than %d bytes", SUBEXPR_MAX_LEN));
	memset(&c, 0, sizeof c);
	c.s = text;
	c.cause = cause;
	if ((e = subexpr_or(&c, &r)) == NULL)
		return (r == FERRY_ERR_NOMEM ? err_set(cause, r,
		    "expression: out of memory") : r);
	subexpr_skip_space(&c);
	if (text[c.pos] != '\0') {
		subexpr_free(e);
		return (err_set(cause, FERRY_ERR_PARSE, "expression: expected "
		    "\"and\", \"or\" or the end at byte %zu", c.pos + 1));
	}
	*out = e;
	return (0);
}

/* Walks the dotted path; NULL if any step is missing or not an object. */
static const json_t *
subexpr_lookup(const json_t *obj, const char *path)
{
	const char	*dot;
	char		 key[SUBEXPR_MAX_LEN + 1];
	size_t		 n;

	while (obj != NULL) {
		if (!json_is_object(obj))
			return (NULL);
		dot = strchr(path, '.');
		n = dot != NULL ? (size_t)(dot - path) : strlen(path);
		memcpy(key, path, n);
		key[n] = '\0';
		obj = json_object_get(obj, key);
		if (dot == NULL)
			return (obj);
		path = dot + 1;
	}
	return (NULL);
}

static int
subexpr_cond_match(const struct subexpr *e, const json_t *obj)
{
	const json_t	*v = subexpr_lookup(obj, e->field);
	const char	*s;
	size_t		 n = strlen(e->value);
	int		 cmp;

	if (v == NULL)
		return (0);
	if (!json_is_string(v))
		return (e->op == OP_NE);
	s = json_string_value(v);
	if (e->op == OP_EQ && n > 0 && e->value[n - 1] == '*')
		return (strncmp(s, e->value, n - 1) == 0);
	cmp = strcmp(s, e->value);
	switch (e->op) {
	case OP_EQ:
		return (cmp == 0);
	case OP_NE:
		return (cmp != 0);
	case OP_LT:
		return (cmp < 0);
	case OP_GT:
		return (cmp > 0);
	case OP_LE:
		return (cmp <= 0);
	default:
		return (cmp >= 0);
	}
}

int
subexpr_match(const struct subexpr *e, const json_t *obj)
{
	switch (e->kind) {
	case SUBEXPR_OR:
		return (subexpr_match(e->a, obj) || subexpr_match(e->b, obj));
	case SUBEXPR_AND:
		return (subexpr_match(e->a, obj) && subexpr_match(e->b, obj));
	case SUBEXPR_NOT:
		return (!subexpr_match(e->a, obj));
	default:
		return (subexpr_cond_match(e, obj));
	}
}
