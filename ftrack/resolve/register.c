/*
 * register_delivery(): one round of queries (what the destination holds
 * already, the sequences and containers with all their members, the
 * location), then the ComponentLocations to create, files and members
 * first, in batches. A batch that ftrack refuses because part of it got
 * registered meanwhile (another Send, or a retried request whose first
 * answer was lost) is sent once more without that part.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "ftq.h"
#include "register.h"

struct register_ctx {
	struct rest		*r;
	const char		*dest;
	struct register_stats	*st;
	json_t			*files;		/* ids of the files, once */
	json_t			*container_ids;	/* ids of their containers */
	json_t			*delivered;	/* id -> destination path */
	json_t			*existing;	/* id -> identifier there now */
	json_t			*containers;	/* id -> its row */
	json_t			*members;	/* container id -> members */
	json_t			*planned;	/* id -> true, for ops */
	json_t			*location;	/* the destination's row */
	json_t			*ops;		/* the creates, in order */
	json_t			*added;		/* ids registered now; NULL */
};

static const char *
register_str(const json_t *o, const char *key)
{
	return (json_string_value(json_object_get(o, key)));
}

static int
register_nomem(char **cause)
{
	return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
}

/* Appends id to ids unless set has it (then adds it to set). */
static int
register_add_id(json_t *ids, json_t *set, const char *id)
{
	if (json_object_get(set, id) != NULL)
		return (0);
	if (json_object_set_new(set, id, json_true()) != 0 ||
	    json_array_append_new(ids, json_string(id)) != 0)
		return (FERRY_ERR_NOMEM);
	return (0);
}

/* The files of the result and their containers, each once. */
static int
register_collect(struct register_ctx *c, const struct resolve_result *res,
    char **cause)
{
	const struct resolve_file	*f;
	json_t				*seen_files, *seen_containers;
	size_t				 i;
	int				 e = 0;

	seen_files = json_object();
	seen_containers = json_object();
	for (i = 0; i < res->n && e == 0; i++) {
		f = &res->v[i];
		e = register_add_id(c->files, seen_files, f->component_id);
		if (e == 0 && f->container_id != NULL)
			e = register_add_id(c->container_ids, seen_containers,
			    f->container_id);
	}
	json_decref(seen_files);
	json_decref(seen_containers);
	return (e == 0 ? 0 : register_nomem(cause));
}

/*
 * Where each file went. Asked after the destination was read, just
 * before the creates: what got registered in between is caught by
 * register_send_batch().
 */
static int
register_destinations(struct register_ctx *c, const struct resolve_result *res,
    const char *(*dst_of)(const char *, void *), void *arg, char **cause)
{
	const struct resolve_file	*f;
	const char			*dst;
	json_t				*v;
	size_t				 i;

	for (i = 0; i < res->n; i++) {
		f = &res->v[i];
		if (json_object_get(c->delivered, f->component_id) != NULL)
			continue;
		if ((dst = dst_of(f->path, arg)) == NULL) {
			c->st->undelivered++;
			continue;
		}
		if ((v = json_string(dst)) == NULL)
			return (err_set(cause, FERRY_ERR_INVAL, "the "
			    "destination path of %s (%s) is not UTF-8",
			    f->path, f->component_id));
		if (json_object_set_new(c->delivered, f->component_id, v) != 0)
			return (register_nomem(cause));
	}
	return (0);
}

/* Moves ftq's chunks (e: its result) to the end of exprs. */
static int
register_take(json_t *exprs, json_t *chunks, int e, char **cause)
{
	if (e == 0 && json_array_extend(exprs, chunks) != 0)
		e = register_nomem(cause);
	json_decref(chunks);
	return (e);
}

static int
register_queries(const struct register_ctx *c, json_t *exprs, char **cause)
{
	json_t	*all, *chunks = NULL;
	char	*expr = NULL;
	int	 e;

	if ((all = json_copy(c->files)) == NULL ||
	    json_array_extend(all, c->container_ids) != 0) {
		json_decref(all);
		return (register_nomem(cause));
	}
	e = ftq_format_chunks(&chunks, 0, cause, "select component_id, "
	    "resource_identifier from ComponentLocation where location_id is "
	    "%q and component_id in (%L)", c->dest, all);
	json_decref(all);
	if ((e = register_take(exprs, chunks, e, cause)) != 0)
		return (e);
	e = ftq_format_chunks(&chunks, 0, cause, "select id, name, padding "
	    "from SequenceComponent where id in (%L)", c->container_ids);
	if ((e = register_take(exprs, chunks, e, cause)) != 0)
		return (e);
	e = ftq_format_chunks(&chunks, 0, cause, "select id, name from "
	    "ContainerComponent where id in (%L)", c->container_ids);
	if ((e = register_take(exprs, chunks, e, cause)) != 0)
		return (e);
	e = ftq_format_chunks(&chunks, 0, cause, "select id, name, file_type, "
	    "container_id from Component where container_id in (%L)",
	    c->container_ids);
	if ((e = register_take(exprs, chunks, e, cause)) != 0)
		return (e);
	if ((e = ftq_format(&expr, cause, "select id, name from Location "
	    "where id is %q", c->dest)) != 0)
		return (e);
	if (json_array_append_new(exprs, json_string(expr)) != 0)
		e = register_nomem(cause);
	free(expr);
	return (e);
}

/* A member row under its container, in c->members. */
static int
register_keep_member(struct register_ctx *c, json_t *row,
    const char *container_id)
{
	json_t	*list = json_object_get(c->members, container_id);

	if (list == NULL) {
		if ((list = json_array()) == NULL ||
		    json_object_set_new(c->members, container_id, list) != 0)
			return (FERRY_ERR_NOMEM);
	}
	return (json_array_append(list, row) == 0 ? 0 : FERRY_ERR_NOMEM);
}

/* Files one row of the queries; rows are told apart by their type. */
static int
register_keep(struct register_ctx *c, json_t *row)
{
	const char	*type = register_str(row, "__entity_type__");
	const char	*id = register_str(row, "id"), *container_id;

	if (type == NULL)
		return (FERRY_ERR_PROTO);
	if (strcmp(type, "Location") == 0) {
		c->location = json_incref(row);
		return (0);
	}
	if (strcmp(type, "ComponentLocation") == 0) {
		id = register_str(row, "component_id");
		if (id == NULL || register_str(row, "resource_identifier") ==
		    NULL)
			return (FERRY_ERR_PROTO);
		return (json_object_set(c->existing, id, json_object_get(row,
		    "resource_identifier")) == 0 ? 0 : FERRY_ERR_NOMEM);
	}
	if (id == NULL)
		return (FERRY_ERR_PROTO);
	/* Either or both: a row of the containers' or the members' query. */
	if ((container_id = register_str(row, "container_id")) != NULL &&
	    register_keep_member(c, row, container_id) != 0)
		return (FERRY_ERR_NOMEM);
	if ((strcmp(type, "SequenceComponent") == 0 ||
	    strcmp(type, "ContainerComponent") == 0) &&
	    json_object_get(c->containers, id) == NULL &&
	    json_object_set(c->containers, id, row) != 0)
		return (FERRY_ERR_NOMEM);
	return (0);
}

static int
register_fetch(struct register_ctx *c, char **cause)
{
	json_t	*exprs, *rows = NULL, *row;
	size_t	 i;
	int	 e;

	if ((exprs = json_array()) == NULL)
		return (register_nomem(cause));
	if ((e = register_queries(c, exprs, cause)) == 0)
		e = rest_query_many(c->r, exprs, &rows, cause);
	json_array_foreach(rows, i, row) {
		if (e != 0)
			break;
		if ((e = register_keep(c, row)) == FERRY_ERR_NOMEM)
			e = register_nomem(cause);
		else if (e != 0)
			e = err_set(cause, e, "ftrack at %s sent a %s without "
			    "its ids", rest_url(c->r), register_str(row,
			    "__entity_type__") != NULL ? register_str(row,
			    "__entity_type__") : "row");
	}
	json_decref(exprs);
	json_decref(rows);
	if (e == 0 && c->location == NULL)
		e = err_set(cause, FERRY_ERR_NOTFOUND, "the destination "
		    "location %s is not in ftrack", c->dest);
	return (e);
}

/* Plans the create of id's ComponentLocation with identifier ri. */
static int
register_plan_one(struct register_ctx *c, const char *id, const char *ri)
{
	json_t	*data, *op;

	data = json_pack("{s:s, s:s, s:s}", "component_id", id, "location_id",
	    c->dest, "resource_identifier", ri);
	op = data != NULL ? rest_op_create("ComponentLocation", data) : NULL;
	json_decref(data);
	if (op == NULL || json_array_append_new(c->ops, op) != 0 ||
	    json_object_set_new(c->planned, id, json_true()) != 0)
		return (FERRY_ERR_NOMEM);
	return (0);
}

static int
register_plan_files(struct register_ctx *c)
{
	const char	*id, *dst;
	json_t		*v;
	size_t		 i;
	int		 e;

	json_array_foreach(c->files, i, v) {
		id = json_string_value(v);
		if (json_object_get(c->existing, id) != NULL) {
			c->st->existing++;
			continue;
		}
		dst = register_str(c->delivered, id);
		if (dst != NULL && (e = register_plan_one(c, id, dst)) != 0)
			return (e);
	}
	return (0);
}

/*
 * Whether every member of a container is in the destination, now or
 * from before; *memberp and *pathp: one with its path there, preferring
 * one delivered now.
 */
static int
register_all_there(const struct register_ctx *c, const json_t *members,
    const json_t **memberp, const char **pathp)
{
	const json_t	*m;
	const char	*id, *path;
	size_t		 i;

	*memberp = NULL;
	*pathp = NULL;
	json_array_foreach(members, i, m) {
		id = register_str(m, "id");
		if (json_object_get(c->planned, id) == NULL &&
		    json_object_get(c->existing, id) == NULL)
			return (0);
		if ((path = register_str(c->delivered, id)) == NULL)
			path = register_str(c->existing, id);
		if (*pathp == NULL || register_str(c->delivered, id) != NULL) {
			*memberp = m;
			*pathp = path;
		}
	}
	return (*pathp != NULL);
}

static int
register_plan_containers(struct register_ctx *c, char **cause)
{
	const json_t	*member;
	const char	*id, *path;
	json_t		*v, *row;
	char		*ri;
	size_t		 i;
	int		 e;

	json_array_foreach(c->container_ids, i, v) {
		id = json_string_value(v);
		if (json_object_get(c->existing, id) != NULL) {
			c->st->existing++;
			continue;
		}
		row = json_object_get(c->containers, id);
		if (row == NULL || !register_all_there(c,
		    json_object_get(c->members, id), &member, &path))
			continue;
		if ((e = register_container_identifier(row, member, path, &ri,
		    cause)) != 0)
			return (e);
		e = register_plan_one(c, id, ri);
		free(ri);
		if (e != 0)
			return (register_nomem(cause));
	}
	return (0);
}

/* The component ids of ops[from, from + n) registered by now. */
static int
register_recheck(struct register_ctx *c, size_t from, size_t n,
    json_t **nowp, char **cause)
{
	json_t	*ids, *exprs = NULL, *rows = NULL, *row, *now;
	size_t	 i;
	int	 e;

	ids = json_array();
	now = json_object();
	for (i = from; i < from + n && ids != NULL; i++)
		json_array_append(ids, json_object_get(json_object_get(
		    json_array_get(c->ops, i), "entity_data"), "component_id"));
	if (ids == NULL || now == NULL)
		e = register_nomem(cause);
	else
		e = ftq_format_chunks(&exprs, 0, cause, "select component_id "
		    "from ComponentLocation where location_id is %q and "
		    "component_id in (%L)", c->dest, ids);
	if (e == 0)
		e = rest_query_many(c->r, exprs, &rows, cause);
	json_array_foreach(rows, i, row) {
		if (e == 0 && register_str(row, "component_id") != NULL &&
		    json_object_set_new(now, register_str(row,
		    "component_id"), json_true()) != 0)
			e = register_nomem(cause);
	}
	json_decref(ids);
	json_decref(exprs);
	json_decref(rows);
	if (e != 0) {
		json_decref(now);
		return (e);
	}
	*nowp = now;
	return (0);
}

/* ops[from, from + n) without those in now, as a new array. */
static json_t *
register_without(const struct register_ctx *c, size_t from, size_t n,
    const json_t *now)
{
	json_t		*left, *op;
	const char	*id;
	size_t		 i;

	if ((left = json_array()) == NULL)
		return (NULL);
	for (i = from; i < from + n; i++) {
		op = json_array_get(c->ops, i);
		id = register_str(json_object_get(op, "entity_data"),
		    "component_id");
		if (json_object_get(now, id) == NULL &&
		    json_array_append(left, op) != 0) {
			json_decref(left);
			return (NULL);
		}
	}
	return (left);
}

/* Appends the component ids of a batch that ftrack took to c->added. */
static int
register_note_added(struct register_ctx *c, const json_t *batch)
{
	const json_t	*op;
	size_t		 i;

	json_array_foreach(batch, i, op) {
		if (json_array_append(c->added, json_object_get(
		    json_object_get(op, "entity_data"), "component_id")) != 0)
			return (FERRY_ERR_NOMEM);
	}
	return (0);
}

/* Sends one batch; once more without what got registered meanwhile. */
static int
register_send_batch(struct register_ctx *c, size_t from, size_t n,
    char **cause)
{
	json_t	*batch, *results = NULL, *now = NULL;
	size_t	 sent;
	int	 e;

	if ((batch = register_without(c, from, n, NULL)) == NULL)
		return (register_nomem(cause));
	e = rest_call(c->r, batch, &results, cause);
	if (e == FERRY_ERR_INVAL && register_recheck(c, from, n, &now,
	    NULL) == 0 && json_object_size(now) > 0) {
		json_decref(batch);
		if ((batch = register_without(c, from, n, now)) == NULL)
			e = register_nomem(cause);
		else if (json_array_size(batch) == 0)
			e = 0;
		else
			e = rest_call(c->r, batch, &results, cause);
		c->st->existing += json_object_size(now);
	}
	sent = json_array_size(batch);
	if (e == 0 && c->added != NULL && register_note_added(c, batch) != 0)
		e = register_nomem(cause);
	json_decref(batch);
	json_decref(results);
	json_decref(now);
	if (e == 0)
		c->st->created += sent;
	return (e);
}

static int
register_send(struct register_ctx *c, char **cause)
{
	size_t	from, n, total = json_array_size(c->ops);
	int	e = 0;

	for (from = 0; from < total && e == 0; from += n) {
		n = total - from < REGISTER_BATCH ? total - from :
		    REGISTER_BATCH;
		e = register_send_batch(c, from, n, cause);
	}
	return (e);
}

static void
register_ctx_clear(struct register_ctx *c)
{
	json_decref(c->files);
	json_decref(c->container_ids);
	json_decref(c->delivered);
	json_decref(c->existing);
	json_decref(c->containers);
	json_decref(c->members);
	json_decref(c->planned);
	json_decref(c->location);
	json_decref(c->ops);
}

static int
register_ctx_init(struct register_ctx *c, char **cause)
{
	c->files = json_array();
	c->container_ids = json_array();
	c->delivered = json_object();
	c->existing = json_object();
	c->containers = json_object();
	c->members = json_object();
	c->planned = json_object();
	c->ops = json_array();
	if (c->files == NULL || c->container_ids == NULL ||
	    c->delivered == NULL || c->existing == NULL ||
	    c->containers == NULL || c->members == NULL ||
	    c->planned == NULL || c->ops == NULL)
		return (register_nomem(cause));
	return (0);
}

int
register_delivery_added(struct rest *r, const char *dest_location_id,
    const struct resolve_result *res,
    const char *(*dst_of)(const char *src_path, void *arg), void *arg,
    struct register_stats *st, json_t *added, char **cause)
{
	struct register_ctx	c;
	int			e;

	memset(st, 0, sizeof *st);
	if (dest_location_id == NULL || *dest_location_id == '\0' ||
	    res == NULL || dst_of == NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "registration needs a "
		    "destination location, files and their destination paths"));
	if (res->n == 0)
		return (0);
	memset(&c, 0, sizeof c);
	c.r = r;
	c.dest = dest_location_id;
	c.st = st;
	c.added = added;
	if ((e = register_ctx_init(&c, cause)) == 0 &&
	    (e = register_collect(&c, res, cause)) == 0 &&
	    (e = register_fetch(&c, cause)) == 0 &&
	    (e = register_destinations(&c, res, dst_of, arg, cause)) == 0 &&
	    (e = register_plan_files(&c)) == 0 &&
	    (e = register_plan_containers(&c, cause)) == 0)
		e = register_send(&c, cause);
	if (e == FERRY_ERR_NOMEM)
		e = register_nomem(cause);
	register_ctx_clear(&c);
	return (e);
}

int
register_delivery_stats(struct rest *r, const char *dest_location_id,
    const struct resolve_result *res,
    const char *(*dst_of)(const char *src_path, void *arg), void *arg,
    struct register_stats *st, char **cause)
{
	return (register_delivery_added(r, dest_location_id, res, dst_of, arg,
	    st, NULL, cause));
}

int
register_delivery(struct rest *r, const char *dest_location_id,
    const struct resolve_result *res,
    const char *(*dst_of)(const char *src_path, void *arg), void *arg,
    char **cause)
{
	struct register_stats	st;

	return (register_delivery_stats(r, dest_location_id, res, dst_of, arg,
	    &st, cause));
}
