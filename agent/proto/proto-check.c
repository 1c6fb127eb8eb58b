/*
 * The control protocol's messages as a table (proto-check.h): the hub
 * checks what agents send, an agent what the hub sends, both before
 * acting. A field is required unless marked optional (then it may also
 * be null); fields not in the
 * table are ignored (a newer peer may add some), but a field in the
 * table must have its type, and strings and arrays have a length bound.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "err.h"
#include "proto-check.h"

#define PC_STR_MAX	8192	/* a path, an error text */
#define PC_ARR_MAX	(1 << 20)	/* files in one list */
#define PC_ID_LEN	32	/* a question's id: 128 bits in hex */

enum pc_type {
	PC_STR,		/* a string of at most PC_STR_MAX bytes */
	PC_ID,		/* a question's id */
	PC_UINT,	/* an integer >= 0 */
	PC_BOOL,
	PC_OBJ,
	PC_STRS,	/* an array of strings */
	PC_UINTS,	/* an array of integers >= 0 */
	PC_INTS,	/* an array of integers */
	PC_FILES,	/* an array of {"path": str, "size": uint} */
	PC_SENDS,	/* an array of {"src": str, "rel": str, "basis"?} */
	PC_OBJS		/* an array of objects, which the taker checks */
};

struct pc_field {
	const char	*name;
	enum pc_type	 type;
	int		 optional;
};

struct pc_op {
	const char		*op;	/* NULL: an answer ("re") */
	enum proto_dir		 dir;
	struct pc_field		 fields[20];	/* ending with a NULL name */
};

#define OPT	1
static const struct pc_op pc_ops[] = {
	/* The first message of a control connection. */
	{ "hello", PROTO_FIRST, { { "name", PC_STR, 0 },
	    { "address", PC_STR, OPT }, { "roots", PC_OBJ, OPT },
	    { "run", PC_UINT, OPT }, { "running", PC_OBJS, OPT },
	    { "platform", PC_STR, OPT }, { "commits", PC_BOOL, OPT },
	    { "compare", PC_BOOL, OPT } } },
	{ "enroll", PROTO_FIRST, { { "proof", PC_STR, 0 },
	    { "name", PC_STR, 0 } } },
	/* A standby hub's local request, to the active hub (issue 17). */
	{ "forward", PROTO_FIRST, { { "uid", PC_UINT, 0 },
	    { "user", PC_STR, OPT } } },
	/* From an agent. */
	{ "ping", PROTO_TO_HUB, { { NULL, 0, 0 } } },
	{ "api", PROTO_TO_HUB, { { "req", PC_ID, 0 },
	    { "request", PC_OBJ, 0 } } },
	{ NULL, PROTO_TO_HUB, { { "re", PC_ID, 0 },
	    { "files", PC_FILES, OPT }, { "error", PC_STR, OPT },
	    { "same", PC_STR, OPT },
	    { "denied", PC_BOOL, OPT }, { "more", PC_BOOL, OPT } } },
	{ "transfer.listening", PROTO_TO_HUB, { { "id", PC_UINT, 0 },
	    { "port", PC_UINT, 0 } } },
	{ "transfer.file", PROTO_TO_HUB, { { "id", PC_UINT, 0 },
	    { "index", PC_UINT, 0 }, { "ok", PC_BOOL, 0 },
	    { "error", PC_STR, OPT } } },
	{ "transfer.progress", PROTO_TO_HUB, { { "id", PC_UINT, 0 },
	    { "index", PC_UINT, 0 }, { "bytes", PC_UINT, 0 } } },
	{ "transfer.done", PROTO_TO_HUB, { { "id", PC_UINT, 0 },
	    { "ok", PC_BOOL, 0 }, { "error", PC_STR, OPT },
	    { "bytes", PC_UINT, OPT }, { "wire_bytes", PC_UINT, OPT },
	    { "streams", PC_UINT, OPT }, { "striped", PC_UINT, OPT } } },
	{ "transfer.suspect", PROTO_TO_HUB, { { "id", PC_UINT, 0 },
	    { "path", PC_STR, 0 }, { "why", PC_STR, 0 } } },
	/* From the hub. */
	{ "welcome", PROTO_TO_AGENT, { { "name", PC_STR, 0 },
	    { "site", PC_STR, OPT }, { "user", PC_STR, OPT },
	    { "run", PC_UINT, OPT } } },
	{ "pong", PROTO_TO_AGENT, { { NULL, 0, 0 } } },
	/* The store's hubs (issue 17): hublist_check checks the list. */
	{ "hubs", PROTO_TO_AGENT, { { NULL, 0, 0 } } },
	{ "list", PROTO_TO_AGENT, { { "req", PC_ID, 0 },
	    { "paths", PC_STRS, 0 }, { "roots", PC_STRS, OPT },
	    { "skip_missing", PC_BOOL, OPT }, { "page", PC_UINT, OPT } } },
	/* node-compare.c: four arrays of one length, the taker checks. */
	{ "compare", PROTO_TO_AGENT, { { "req", PC_ID, 0 },
	    { "root", PC_STR, 0 }, { "names", PC_STRS, 0 },
	    { "sizes", PC_UINTS, 0 }, { "mtimes", PC_INTS, 0 },
	    { "nsecs", PC_UINTS, 0 } } },
	{ NULL, PROTO_TO_AGENT, { { "re", PC_ID, 0 },
	    { "reply", PC_OBJ, 0 } } },
	{ "transfer.start", PROTO_TO_AGENT, { { "id", PC_UINT, 0 },
	    { "role", PC_STR, 0 }, { "token", PC_STR, 0 },
	    { "streams", PC_UINT, 0 }, { "peer_fp", PC_STR, 0 },
	    { "files", PC_SENDS, OPT }, { "bwlimit", PC_UINT, OPT },
	    { "expect", PC_STRS, OPT }, { "bases", PC_OBJ, OPT },
	    { "root", PC_STR, OPT },
	    { "listen", PC_STR, OPT }, { "peer_addr", PC_STR, OPT },
	    { "connect", PC_STR, OPT }, { "relay", PC_STR, OPT },
	    { "relay_side", PC_STR, OPT }, { "stripe", PC_UINT, OPT },
	    { "job", PC_UINT, OPT }, { "report_files", PC_BOOL, OPT } } },
	{ "transfer.abort", PROTO_TO_AGENT, { { "id", PC_UINT, 0 } } },
	{ "transfer.rate", PROTO_TO_AGENT, { { "id", PC_UINT, 0 },
	    { "bwlimit", PC_UINT, 0 } } },
	{ "discard", PROTO_TO_AGENT, { { "paths", PC_STRS, 0 } } },
};
#undef OPT

static const struct pc_field pc_file_fields[] = {
	{ "path", PC_STR, 0 }, { "size", PC_UINT, 0 }, { NULL, 0, 0 }
};
static const struct pc_field pc_send_fields[] = {
	{ "src", PC_STR, 0 }, { "rel", PC_STR, 0 }, { "basis", PC_STR, 1 },
	{ NULL, 0, 0 }
};

static int	pc_fields(const json_t *, const struct pc_field *,
		    const char *, char **);

static int
pc_str(const json_t *v)
{
	return (json_is_string(v) && json_string_length(v) <= PC_STR_MAX &&
	    strlen(json_string_value(v)) == json_string_length(v));
}

/* Whether v is an array (of at most PC_ARR_MAX) whose items fit. */
static int
pc_array(const json_t *v, enum pc_type type, const char *op, char **cause)
{
	const json_t	*item;
	size_t		 i;

	if (!json_is_array(v) || json_array_size(v) > PC_ARR_MAX)
		return (0);
	json_array_foreach(v, i, item) {
		if (type == PC_STRS && !pc_str(item))
			return (0);
		if ((type == PC_UINTS || type == PC_INTS) &&
		    !json_is_integer(item))
			return (0);
		if (type == PC_UINTS && json_integer_value(item) < 0)
			return (0);
		if (type == PC_OBJS && !json_is_object(item))
			return (0);
		/* The caller names the array in the cause. */
		if (type == PC_FILES && pc_fields(item, pc_file_fields, op,
		    NULL) != 0)
			return (0);
		if (type == PC_SENDS && pc_fields(item, pc_send_fields, op,
		    NULL) != 0)
			return (0);
	}
	return (1);
}

static int
pc_type_ok(const json_t *v, enum pc_type type, const char *op, char **cause)
{
	const char	*s;

	switch (type) {
	case PC_STR:
		return (pc_str(v));
	case PC_ID:
		return (json_is_string(v) && (s = json_string_value(v)) !=
		    NULL && strlen(s) == PC_ID_LEN &&
		    strspn(s, "0123456789abcdef") == PC_ID_LEN);
	case PC_UINT:
		return (json_is_integer(v) && json_integer_value(v) >= 0);
	case PC_BOOL:
		return (json_is_boolean(v));
	case PC_OBJ:
		return (json_is_object(v));
	default:
		return (pc_array(v, type, op, cause));
	}
}

static int
pc_fields(const json_t *msg, const struct pc_field *f, const char *op,
    char **cause)
{
	const json_t	*v;

	if (!json_is_object(msg))
		return (err_set(cause, FERRY_ERR_PROTO, "%s: an item is not "
		    "an object", op));
	for (; f->name != NULL; f++) {
		/* An optional field may be null: json_pack's "s?". */
		if ((v = json_object_get(msg, f->name)) == NULL ||
		    (f->optional && json_is_null(v))) {
			if (f->optional)
				continue;
			return (err_set(cause, FERRY_ERR_PROTO, "%s: no "
			    "\"%s\"", op, f->name));
		}
		if (!pc_type_ok(v, f->type, op, cause))
			return (err_set(cause, FERRY_ERR_PROTO, "%s: \"%s\" "
			    "has the wrong type or size", op, f->name));
	}
	return (0);
}

int
proto_check(const json_t *msg, enum proto_dir dir, char **cause)
{
	const json_t	*opv = json_object_get(msg, "op");
	const char	*op = json_string_value(opv);
	size_t		 i;

	if (!json_is_object(msg))
		return (err_set(cause, FERRY_ERR_PROTO, "not an object"));
	if (opv != NULL && op == NULL)
		return (err_set(cause, FERRY_ERR_PROTO, "\"op\" is not a "
		    "string"));
	/* Receivers take a message with "re" as an answer, whatever else. */
	if (opv != NULL && json_object_get(msg, "re") != NULL)
		return (err_set(cause, FERRY_ERR_PROTO, "both \"op\" and "
		    "\"re\""));
	if (op == NULL && json_object_get(msg, "re") == NULL)
		return (err_set(cause, FERRY_ERR_PROTO, "neither \"op\" nor "
		    "\"re\""));
	for (i = 0; i < sizeof pc_ops / sizeof pc_ops[0]; i++) {
		if (pc_ops[i].dir != dir || (op == NULL) !=
		    (pc_ops[i].op == NULL) || (op != NULL &&
		    strcmp(op, pc_ops[i].op) != 0))
			continue;
		return (pc_fields(msg, pc_ops[i].fields, op ? op : "answer",
		    cause));
	}
	return (err_set(cause, FERRY_ERR_PROTO, "%s \"%.64s\" is not a "
	    "message %s takes", op ? "op" : "an answer", op ? op : "",
	    dir == PROTO_TO_HUB ? "the hub" : dir == PROTO_TO_AGENT ?
	    "an agent" : "a new connection"));
}
