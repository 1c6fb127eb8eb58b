#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "rest-int.h"

/* One expression while its pages come in. */
struct rest_query_state {
	const char	*expr;
	json_t		*rows;		/* every row so far */
	json_int_t	 offset;	/* of the next page; -1 when done */
};

/* The "data" array of a query result, or NULL. */
static json_t *
rest_query_data(json_t *result)
{
	json_t	*data = json_object_get(result, "data");

	return (json_is_array(data) ? data : NULL);
}

int
rest_query(struct rest *r, const char *expr, json_t **datap, char **cause)
{
	json_t	*ops, *results, *data;
	int	 e;

	if ((ops = json_array()) == NULL || json_array_append_new(ops,
	    rest_op_query(expr)) != 0) {
		json_decref(ops);
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	}
	e = rest_call(r, ops, &results, cause);
	json_decref(ops);
	if (e != 0)
		return (e);
	data = rest_query_data(json_array_get(results, 0));
	if (data == NULL)
		e = err_set(cause, FERRY_ERR_PROTO, "ftrack at %s answered "
		    "query \"%.160s\" without a data array", r->url, expr);
	else
		*datap = json_incref(data);
	json_decref(results);
	return (e);
}

/* The expression for the next page of s. */
static char *
rest_query_page_expr(const struct rest *r, const struct rest_query_state *s)
{
	char	*expr;
	int	 n;

	if (r->opts.page_size > 0)
		n = asprintf(&expr, "%s offset %" JSON_INTEGER_FORMAT
		    " limit %d", s->expr, s->offset, r->opts.page_size);
	else if (s->offset > 0)
		n = asprintf(&expr, "%s offset %" JSON_INTEGER_FORMAT, s->expr,
		    s->offset);
	else
		n = asprintf(&expr, "%s", s->expr);
	return (n == -1 ? NULL : expr);
}

/*
 * Takes one page into s: its rows, and where the next one starts. An
 * offset that does not move forward would page for ever, so it is refused.
 */
static int
rest_query_take(struct rest *r, struct rest_query_state *s, json_t *result,
    char **cause)
{
	json_t		*data, *next;
	json_int_t	 offset;

	if ((data = rest_query_data(result)) == NULL)
		return (err_set(cause, FERRY_ERR_PROTO, "ftrack at %s answered "
		    "query \"%.160s\" without a data array", r->url, s->expr));
	if (json_array_extend(s->rows, data) != 0)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	next = json_object_get(json_object_get(json_object_get(result,
	    "metadata"), "next"), "offset");
	if (next == NULL || json_is_null(next)) {
		s->offset = -1;
		return (0);
	}
	offset = json_integer_value(next);
	if (!json_is_integer(next) || offset <= s->offset ||
	    json_array_size(data) == 0)
		return (err_set(cause, FERRY_ERR_PROTO, "ftrack at %s sent a "
		    "next page offset that does not move forward for query "
		    "\"%.160s\"", r->url, s->expr));
	s->offset = offset;
	return (0);
}

/*
 * Asks for the next page of every unfinished query, REST_BATCH_MAX in one
 * request. Returns 0 with *morep set if some are still unfinished.
 */
static int
rest_query_round(struct rest *r, struct rest_query_state *st, size_t n,
    int *morep, char **cause)
{
	json_t	*ops, *results = NULL;
	size_t	 i, which[REST_BATCH_MAX], k = 0;
	char	*expr;
	int	 e = 0;

	if ((ops = json_array()) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	for (i = 0; i < n && k < REST_BATCH_MAX && e == 0; i++) {
		if (st[i].offset < 0)
			continue;
		if ((expr = rest_query_page_expr(r, &st[i])) == NULL ||
		    json_array_append_new(ops, rest_op_query(expr)) != 0)
			e = err_set(cause, FERRY_ERR_NOMEM, "out of memory");
		free(expr);
		which[k++] = i;
	}
	if (e == 0)
		e = rest_call(r, ops, &results, cause);
	for (i = 0; i < k && e == 0; i++)
		e = rest_query_take(r, &st[which[i]],
		    json_array_get(results, i), cause);
	*morep = 0;
	for (i = 0; i < n; i++)
		*morep |= st[i].offset >= 0;
	json_decref(ops);
	json_decref(results);
	return (e);
}

static int
rest_query_run(struct rest *r, struct rest_query_state *st, size_t n,
    json_t *all, char **cause)
{
	size_t	i;
	int	more = n > 0, e = 0;

	while (more && e == 0)
		e = rest_query_round(r, st, n, &more, cause);
	for (i = 0; i < n && e == 0; i++) {
		if (json_array_extend(all, st[i].rows) != 0)
			e = err_set(cause, FERRY_ERR_NOMEM, "out of memory");
	}
	return (e);
}

int
rest_query_many(struct rest *r, const json_t *exprs, json_t **datap,
    char **cause)
{
	struct rest_query_state	*st;
	json_t			*all;
	size_t			 i, n = json_array_size(exprs);
	int			 e = 0;

	if (!json_is_array(exprs))
		return (err_set(cause, FERRY_ERR_INVAL, "queries must be a "
		    "JSON array of expressions"));
	if ((st = calloc(n + 1, sizeof *st)) == NULL ||
	    (all = json_array()) == NULL) {
		free(st);
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	}
	for (i = 0; i < n && e == 0; i++) {
		st[i].expr = json_string_value(json_array_get(exprs, i));
		if (st[i].expr == NULL)
			e = err_set(cause, FERRY_ERR_INVAL, "query %zu is not "
			    "a string", i);
		else if ((st[i].rows = json_array()) == NULL)
			e = err_set(cause, FERRY_ERR_NOMEM, "out of memory");
	}
	if (e == 0)
		e = rest_query_run(r, st, n, all, cause);
	for (i = 0; i < n; i++)
		json_decref(st[i].rows);
	free(st);
	if (e != 0) {
		json_decref(all);
		return (e);
	}
	*datap = all;
	return (0);
}

int
rest_query_all(struct rest *r, const char *expr, json_t **datap,
    char **cause)
{
	json_t	*exprs;
	int	 e;

	if ((exprs = json_pack("[s]", expr)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	e = rest_query_many(r, exprs, datap, cause);
	json_decref(exprs);
	return (e);
}
