/*
 * From rows to files: which versions are sent whole, which components are
 * files (sequences and containers are not: their members are), and what
 * names a file for messages and for finding its basis.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "resolve-int.h"

/* Whether ids (an array of strings) holds id. */
static int
resolve_files_has(const json_t *ids, const char *id)
{
	const json_t	*v;
	size_t		 i;

	json_array_foreach(ids, i, v) {
		if (strcmp(json_string_value(v), id) == 0)
			return (1);
	}
	return (0);
}

/* The highest version of each asset among those not selected directly. */
static int
resolve_files_best(const struct resolve_ctx *c, json_t *best)
{
	const char	*id, *asset;
	json_t		*row, *had;

	json_object_foreach(c->versions, id, row) {
		if (resolve_files_has(c->sel_versions, id) ||
		    (asset = resolve_ctx_str(row, "asset_id")) == NULL)
			continue;
		had = json_object_get(best, asset);
		if (had != NULL && json_integer_value(json_object_get(had,
		    "version")) >= json_integer_value(json_object_get(row,
		    "version")))
			continue;
		if (json_object_set(best, asset, row) != 0)
			return (FERRY_ERR_NOMEM);
	}
	return (0);
}

int
resolve_files_latest(struct resolve_ctx *c, char **cause)
{
	const char	*id;
	json_t		*row, *best;
	int		 e = 0;

	if ((c->whole = json_array()) == NULL ||
	    (best = json_object()) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	if (c->o->latest_only)
		e = resolve_files_best(c, best);
	json_object_foreach(c->versions, id, row) {
		if (e != 0)
			break;
		if (c->o->latest_only && !resolve_files_has(c->sel_versions,
		    id) && json_object_get(best, resolve_ctx_str(row,
		    "asset_id")) != row)
			continue;
		e = resolve_ctx_add_id(c->whole, NULL, id);
	}
	json_decref(best);
	return (e == 0 ? 0 : err_set(cause, e, "out of memory"));
}

/* The container a file belongs to: its row, or what round 1 nested. */
static const json_t *
resolve_files_container(const struct resolve_ctx *c, const json_t *row,
    const char *container_id)
{
	const json_t	*container;

	if (container_id == NULL)
		return (NULL);
	if ((container = json_object_get(c->components, container_id)) != NULL)
		return (container);
	container = json_object_get(row, "container");
	return (json_is_object(container) ? container : NULL);
}

static int
resolve_files_item(struct resolve_ctx *c, const char *id, const json_t *row,
    struct resolve_item *it)
{
	const char	*vid = NULL, *asset, *name;

	memset(it, 0, sizeof *it);
	it->id = id;
	it->row = row;
	it->container_id = resolve_ctx_str(row, "container_id");
	it->container = resolve_files_container(c, row, it->container_id);
	if (it->container != NULL)
		vid = resolve_ctx_str(it->container, "version_id");
	if (vid == NULL)
		vid = resolve_ctx_str(row, "version_id");
	if (vid != NULL)
		it->version = json_object_get(c->versions, vid);
	/* Without an asset or a name there is no earlier same file. */
	asset = resolve_ctx_str(it->version, "asset_id");
	name = resolve_ctx_str(row, "name");
	if (asset == NULL || name == NULL)
		return (0);
	it->key = resolve_files_key(asset, it->container, name);
	return (it->key == NULL ? FERRY_ERR_NOMEM : 0);
}

int
resolve_files_list(struct resolve_ctx *c, char **cause)
{
	const char	*id;
	json_t		*row;
	size_t		 n = json_object_size(c->components);
	int		 e = 0;

	if (n > 0 && (c->items = calloc(n, sizeof *c->items)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	json_object_foreach(c->components, id, row) {
		if (resolve_ctx_is_container(row))
			continue;
		if ((e = resolve_files_item(c, id, row,
		    &c->items[c->nitems++])) != 0)
			return (err_set(cause, e, "out of memory"));
	}
	return (0);
}

json_int_t
resolve_files_version(const struct resolve_item *it)
{
	const json_t	*v = json_object_get(it->version, "version");

	return (json_is_integer(v) ? json_integer_value(v) : -1);
}

/* s, or a stand-in for a name ftrack did not send. */
static const char *
resolve_files_or(const char *s)
{
	return (s != NULL ? s : "?");
}

char *
resolve_files_label(const struct resolve_item *it)
{
	struct buf	 b;
	const json_t	*asset;
	const char	*type;
	int		 e;

	buf_init(&b, 0);
	if (it->container != NULL) {
		type = resolve_ctx_str(it->container, "__entity_type__");
		e = buf_printf(&b, "component \"%s\" %s \"%s\"",
		    resolve_files_or(resolve_ctx_str(it->container, "name")),
		    type != NULL && strcmp(type, "SequenceComponent") == 0 ?
		    "frame" : "member",
		    resolve_files_or(resolve_ctx_str(it->row, "name")));
	} else
		e = buf_printf(&b, "component \"%s\"",
		    resolve_files_or(resolve_ctx_str(it->row, "name")));
	asset = json_object_get(it->version, "asset");
	if (json_is_object(asset))
		e |= buf_printf(&b, " of %s/%s v%03" JSON_INTEGER_FORMAT,
		    resolve_files_or(resolve_ctx_str(json_object_get(asset,
		    "parent"), "name")), resolve_files_or(resolve_ctx_str(asset,
		    "name")), resolve_files_version(it));
	e |= buf_printf(&b, " (%s)", it->id);
	if (e != 0) {
		buf_free(&b);
		return (NULL);
	}
	return (buf_detach(&b));
}

/*
 * A frame keeps its number whatever its padding ("01001" is "1001"), so
 * that versions padded differently still find each other's frames.
 */
static const char *
resolve_files_frame(const char *name)
{
	const char	*p = name;

	while (*p == '0' && p[1] >= '0' && p[1] <= '9')
		p++;
	return (strspn(p, "0123456789") == strlen(p) && *p != '\0' ? p :
	    name);
}

char *
resolve_files_key(const char *asset_id, const json_t *container,
    const char *name)
{
	struct buf	 b;
	const char	*type;
	int		 e;

	buf_init(&b, 0);
	if (container == NULL)
		e = buf_printf(&b, "%s\037file\037%s", asset_id, name);
	else {
		type = resolve_ctx_str(container, "__entity_type__");
		if (type != NULL && strcmp(type, "SequenceComponent") == 0)
			name = resolve_files_frame(name);
		e = buf_printf(&b, "%s\037member\037%s\037%s", asset_id,
		    resolve_files_or(resolve_ctx_str(container, "name")), name);
	}
	if (e != 0) {
		buf_free(&b);
		return (NULL);
	}
	return (buf_detach(&b));
}

