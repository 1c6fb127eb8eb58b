/*
 * Builds ftrack query expressions without pasting input into them
 * (docs/ftrack-rest.md). A format string, written by the programmer, holds
 * the query's words; values come in through directives that quote them
 * the way ftrack's parser reads quoted strings:
 *
 *   %q   a string (const char *): "..." with \" and \\ escaped
 *   %L   a JSON array (const json_t *) of strings and integers: a
 *        comma-separated list of quoted strings and numbers, for "in (%L)"
 *   %n   a name (const char *): an entity type or a dotted attribute path,
 *        [A-Za-z_][A-Za-z0-9_]* separated by dots, inserted as it is
 *   %d   an int; %zu a size_t
 *   %%   a percent sign
 *
 * A string that cannot be quoted is refused (FERRY_ERR_INVAL): one with a
 * NUL byte, a control character (below 0x20, or 0x7f) or bytes that are
 * not UTF-8. So is an empty list, which ftrack cannot parse.
 *
 *	struct ftq q;
 *	ftq_init(&q);
 *	ftq_add(&q, "select id from Component where version_id in (%L)", ids);
 *	if (name != NULL)
 *		ftq_add(&q, " and name is %q", name);
 *	r = ftq_finish(&q, &expr, cause);
 *
 * Public API of libftrackrest (with rest.h and credentials.h).
 */
#ifndef FERRY_FTQ_H
#define FERRY_FTQ_H

#include <stdarg.h>
#include <stddef.h>

#include <jansson.h>

#include "buf.h"

/* Values per "in (...)" list when a query is cut into chunks. */
#define FTQ_CHUNK	100
/* The longest expression built, so that a runaway list is caught here. */
#define FTQ_MAX		(4 * 1024 * 1024)

/* An expression being built; the first error sticks until ftq_finish(). */
struct ftq {
	struct buf	 b;
	int		 error;
	char		*cause;
};

void	 ftq_init(struct ftq *q);
/* Appends fmt with its directives expanded; see above. */
void	 ftq_add(struct ftq *q, const char *fmt, ...);
/*
 * Stores the expression in *exprp (the caller frees it) and returns 0, or
 * returns the first error of an ftq_add() with its cause. Clears q.
 */
int	 ftq_finish(struct ftq *q, char **exprp, char **cause);

/* One-shot form of the three above. */
int	 ftq_format(char **exprp, char **cause, const char *fmt, ...);
int	 ftq_vformat(struct buf *b, char **cause, const char *fmt,
	    va_list ap);

/*
 * For a query whose list may be long: fmt must hold exactly one %L. Stores
 * in *exprsp a new JSON array of expressions, one per chunk of at most
 * chunk values of the list (FTQ_CHUNK if chunk is 0), identical apart
 * from the list; an empty list gives an empty array, not an error.
 */
int	 ftq_format_chunks(json_t **exprsp, size_t chunk, char **cause,
	    const char *fmt, ...);

/* Appends s (len bytes) as a quoted string, or refuses it. */
int	 ftq_quote(struct buf *b, const char *s, size_t len, char **cause);

#endif
