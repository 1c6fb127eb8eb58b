/*
 * ftrack event-hub expressions: the language of subscriptions
 * ("topic=ftrack.action.launch and data.actionIdentifier=ferry.send") and
 * of event targets ("id=<subscriber id>"), as ftrack's Python client
 * defines it:
 *
 *	expr	:= and ("or" and)*
 *	and	:= not ("and" not)*
 *	not	:= ["not"] ( "(" expr ")" | field op value )
 *	field	:= [A-Za-z0-9_.]+		a dotted path into the object
 *	op	:= "=" | "!=" | "<" | ">" | "<=" | ">="
 *	value	:= a run of letters, digits and - _ , . / * @ +
 *		 | '...' | "..."	(quotes removed; \ escapes in them)
 *
 * Keywords are case-insensitive. A condition on a missing field is false
 * whatever its operator. Values compare as strings: a number or boolean
 * in the object equals no value (as in the Python client, which does not
 * coerce). "=" with a value ending in "*" matches the prefix before it.
 *
 * Library tier: 0 or a negative FERRY_ERR_* code, with a cause.
 *
 * Private to ftrack/eventhub/ (and its tests and fuzz targets).
 */
#ifndef FERRY_SUBEXPR_INT_H
#define FERRY_SUBEXPR_INT_H

#include <jansson.h>

#define SUBEXPR_MAX_LEN		4096
#define SUBEXPR_MAX_DEPTH	32

struct subexpr;

/*
 * Compiles text. FERRY_ERR_PARSE naming what was expected and at which
 * byte; FERRY_ERR_TOOBIG past SUBEXPR_MAX_LEN bytes or SUBEXPR_MAX_DEPTH
 * nested parentheses or "not"s.
 */
int	 subexpr_parse(const char *text, struct subexpr **out, char **cause);
/* Whether obj (an event, or a subscriber's metadata) matches. */
int	 subexpr_match(const struct subexpr *e, const json_t *obj);
void	 subexpr_free(struct subexpr *e);

#endif
