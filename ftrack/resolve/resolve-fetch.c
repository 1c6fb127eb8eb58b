/*
 * The three rounds of queries of a resolution, each one
 * rest_query_many() call (one request unless an answer runs over a page):
 *
 * 1. the versions: selected, or beneath selected contexts (by the asset's
 *    context, its ancestors or project, or by the version's task), and
 *    the selected components;
 * 2. the components of the versions sent whole, the members of their
 *    sequences and containers and of selected ones, and the versions of
 *    selected components;
 * 3. every file's identifier in the source location, the two locations'
 *    names, and the files of the same assets that the destination holds
 *    (the basis candidates, with their identifiers in the source).
 *
 * Rows of different queries of one round are told apart by their
 * __entity_type__ and the attributes they carry.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "ftq.h"
#include "resolve-int.h"

#define VERSION_FIELDS "id, version, asset_id, asset.name, asset.parent.name"
#define COMPONENT_FIELDS "id, name, file_type, version_id, container_id"

/* A version beneath any of the contexts; each %L is the same chunk. */
#define CONTEXT_QUERY "select " VERSION_FIELDS " from AssetVersion where " \
	"asset.context_id in (%L) or asset.parent.ancestors.id in (%L) or " \
	"asset.parent.project_id in (%L) or task_id in (%L) or " \
	"task.ancestors.id in (%L)"

#define CANDIDATE_FIELDS "select component_id, resource_identifier, " \
	"component.name, component.container.name, " \
	"component.version.version, component.version.asset_id, " \
	"component.container.version.version, " \
	"component.container.version.asset_id from ComponentLocation "
/* The destination's test is last: the cheaper ones go first. */
#define CANDIDATE_HELD " and component.component_locations any " \
	"(location_id is %q)"

static int
resolve_fetch_nomem(char **cause)
{
	return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
}

/*
 * Moves the expressions of chunks (made by ftq, whose result was e) to
 * the end of exprs.
 */
static int
resolve_fetch_take(json_t *exprs, json_t *chunks, int e, char **cause)
{
	if (e == 0 && json_array_extend(exprs, chunks) != 0)
		e = resolve_fetch_nomem(cause);
	json_decref(chunks);
	return (e);
}

/* CONTEXT_QUERY for every chunk of the selected contexts. */
static int
resolve_fetch_contexts(json_t *exprs, const json_t *ids, char **cause)
{
	json_t	*chunk;
	char	*expr;
	size_t	 i, j;
	int	 e = 0;

	for (i = 0; i < json_array_size(ids) && e == 0; i += FTQ_CHUNK) {
		if ((chunk = json_array()) == NULL)
			return (resolve_fetch_nomem(cause));
		for (j = i; j < i + FTQ_CHUNK && j < json_array_size(ids); j++)
			json_array_append(chunk, json_array_get(ids, j));
		e = ftq_format(&expr, cause, CONTEXT_QUERY, chunk, chunk, chunk,
		    chunk, chunk);
		json_decref(chunk);
		if (e != 0)
			break;
		if (json_array_append_new(exprs, json_string(expr)) != 0)
			e = resolve_fetch_nomem(cause);
		free(expr);
	}
	return (e);
}

/* Files one row of round 1 or 2 in c->versions or c->components. */
static int
resolve_fetch_keep(struct resolve_ctx *c, json_t *row)
{
	const char	*type = resolve_ctx_str(row, "__entity_type__");
	const char	*id = resolve_ctx_str(row, "id");
	json_t		*map;

	if (type == NULL || id == NULL)
		return (FERRY_ERR_PROTO);
	map = strcmp(type, "AssetVersion") == 0 ? c->versions : c->components;
	/* The first row wins: a selected component's has its container. */
	if (json_object_get(map, id) != NULL)
		return (0);
	return (json_object_set(map, id, row) == 0 ? 0 : FERRY_ERR_NOMEM);
}

static int
resolve_fetch_keep_all(struct resolve_ctx *c, json_t *rows, char **cause)
{
	json_t	*row;
	size_t	 i;
	int	 e;

	json_array_foreach(rows, i, row) {
		if ((e = resolve_fetch_keep(c, row)) == FERRY_ERR_NOMEM)
			return (resolve_fetch_nomem(cause));
		if (e != 0)
			return (err_set(cause, e, "ftrack at %s sent a row "
			    "without a type or an id", rest_url(c->r)));
	}
	return (0);
}

int
resolve_fetch_versions(struct resolve_ctx *c, char **cause)
{
	json_t	*exprs, *chunks = NULL, *rows = NULL;
	int	 e;

	if ((exprs = json_array()) == NULL)
		return (resolve_fetch_nomem(cause));
	e = ftq_format_chunks(&chunks, 0, cause, "select " VERSION_FIELDS
	    " from AssetVersion where id in (%L)", c->sel_versions);
	e = resolve_fetch_take(exprs, chunks, e, cause);
	if (e == 0)
		e = resolve_fetch_contexts(exprs, c->sel_contexts, cause);
	if (e == 0) {
		e = ftq_format_chunks(&chunks, 0, cause, "select "
		    COMPONENT_FIELDS ", container.name, container.version_id "
		    "from Component where id in (%L)", c->sel_components);
		e = resolve_fetch_take(exprs, chunks, e, cause);
	}
	if (e == 0)
		e = resolve_ctx_run(c, exprs, &rows, cause);
	if (e == 0)
		e = resolve_fetch_keep_all(c, rows, cause);
	json_decref(exprs);
	json_decref(rows);
	return (e);
}

/* The versions of selected components that round 1 did not bring. */
static int
resolve_fetch_missing_versions(struct resolve_ctx *c, json_t *ids)
{
	const char	*id, *vid;
	json_t		*row, *container, *seen;
	int		 e = 0;

	if ((seen = json_object()) == NULL)
		return (FERRY_ERR_NOMEM);
	json_object_foreach(c->components, id, row) {
		container = json_object_get(row, "container");
		vid = json_is_object(container) ?
		    resolve_ctx_str(container, "version_id") : NULL;
		if (vid == NULL)
			vid = resolve_ctx_str(row, "version_id");
		if (vid != NULL && json_object_get(c->versions, vid) == NULL &&
		    (e = resolve_ctx_add_id(ids, seen, vid)) != 0)
			break;
	}
	json_decref(seen);
	return (e);
}

/* Round 2's queries into exprs. */
static int
resolve_fetch_round2(struct resolve_ctx *c, json_t *exprs, json_t *vids,
    char **cause)
{
	json_t	*chunks = NULL;
	int	 e;

	e = ftq_format_chunks(&chunks, 0, cause, "select " COMPONENT_FIELDS
	    " from Component where container_id is None and version_id in "
	    "(%L)", c->whole);
	if ((e = resolve_fetch_take(exprs, chunks, e, cause)) != 0)
		return (e);
	e = ftq_format_chunks(&chunks, 0, cause, "select " COMPONENT_FIELDS
	    " from Component where container.version_id in (%L)", c->whole);
	if ((e = resolve_fetch_take(exprs, chunks, e, cause)) != 0)
		return (e);
	e = ftq_format_chunks(&chunks, 0, cause, "select " COMPONENT_FIELDS
	    " from Component where container_id in (%L)", c->sel_components);
	if ((e = resolve_fetch_take(exprs, chunks, e, cause)) != 0)
		return (e);
	e = ftq_format_chunks(&chunks, 0, cause, "select " VERSION_FIELDS
	    " from AssetVersion where id in (%L)", vids);
	return (resolve_fetch_take(exprs, chunks, e, cause));
}

int
resolve_fetch_components(struct resolve_ctx *c, char **cause)
{
	json_t	*exprs, *vids, *rows = NULL;
	int	 e;

	exprs = json_array();
	vids = json_array();
	if (exprs == NULL || vids == NULL ||
	    resolve_fetch_missing_versions(c, vids) != 0)
		e = resolve_fetch_nomem(cause);
	else
		e = resolve_fetch_round2(c, exprs, vids, cause);
	if (e == 0)
		e = resolve_ctx_run(c, exprs, &rows, cause);
	if (e == 0)
		e = resolve_fetch_keep_all(c, rows, cause);
	json_decref(exprs);
	json_decref(vids);
	json_decref(rows);
	return (e);
}

/* The ids of the files, and of their versions' assets. */
static int
resolve_fetch_ids(const struct resolve_ctx *c, json_t *files, json_t *assets)
{
	json_t		*seen;
	const char	*asset;
	size_t		 i;
	int		 e = 0;

	if ((seen = json_object()) == NULL)
		return (FERRY_ERR_NOMEM);
	for (i = 0; i < c->nitems && e == 0; i++) {
		e = resolve_ctx_add_id(files, NULL, c->items[i].id);
		asset = resolve_ctx_str(c->items[i].version, "asset_id");
		if (e == 0 && asset != NULL)
			e = resolve_ctx_add_id(assets, seen, asset);
	}
	json_decref(seen);
	return (e);
}

/* Basis candidates: only when there is a destination to hold them. */
static int
resolve_fetch_candidates(const struct resolve_ctx *c, json_t *exprs,
    const json_t *assets, char **cause)
{
	const char	*src = c->o->source_location_id;
	const char	*dst = c->o->dest_location_id;
	json_t		*chunks = NULL;
	int		 e;

	if (dst == NULL || strcmp(dst, src) == 0)
		return (0);
	e = ftq_format_chunks(&chunks, 0, cause, CANDIDATE_FIELDS "where "
	    "location_id is %q and component.version.asset_id in (%L)"
	    CANDIDATE_HELD, src, assets, dst);
	if ((e = resolve_fetch_take(exprs, chunks, e, cause)) != 0)
		return (e);
	e = ftq_format_chunks(&chunks, 0, cause, CANDIDATE_FIELDS "where "
	    "location_id is %q and component.container.version.asset_id in "
	    "(%L)" CANDIDATE_HELD, src, assets, dst);
	return (resolve_fetch_take(exprs, chunks, e, cause));
}

static int
resolve_fetch_round3(const struct resolve_ctx *c, json_t *exprs,
    char **cause)
{
	json_t	*files, *assets, *locs, *chunks = NULL;
	int	 e;

	files = json_array();
	assets = json_array();
	locs = json_pack("[s]", c->o->source_location_id);
	if (files == NULL || assets == NULL || locs == NULL ||
	    resolve_fetch_ids(c, files, assets) != 0 ||
	    (c->o->dest_location_id != NULL && json_array_append_new(locs,
	    json_string(c->o->dest_location_id)) != 0))
		e = resolve_fetch_nomem(cause);
	else {
		e = ftq_format_chunks(&chunks, 0, cause, "select id, name from "
		    "Location where id in (%L)", locs);
		e = resolve_fetch_take(exprs, chunks, e, cause);
	}
	if (e == 0) {
		e = ftq_format_chunks(&chunks, 0, cause, "select component_id, "
		    "resource_identifier from ComponentLocation where "
		    "location_id is %q and component_id in (%L)",
		    c->o->source_location_id, files);
		e = resolve_fetch_take(exprs, chunks, e, cause);
	}
	if (e == 0)
		e = resolve_fetch_candidates(c, exprs, assets, cause);
	json_decref(files);
	json_decref(assets);
	json_decref(locs);
	return (e);
}

/* Files one row of round 3. */
static int
resolve_fetch_location_row(struct resolve_ctx *c, json_t *row)
{
	const char	*type = resolve_ctx_str(row, "__entity_type__");
	const char	*id, *value;
	json_t		*map;

	if (type != NULL && strcmp(type, "Location") == 0) {
		map = c->locations;
		id = resolve_ctx_str(row, "id");
		value = resolve_ctx_str(row, "name");
	} else {
		map = c->ris;
		id = resolve_ctx_str(row, "component_id");
		value = resolve_ctx_str(row, "resource_identifier");
	}
	if (id == NULL || value == NULL)
		return (FERRY_ERR_PROTO);
	if (json_object_set_new(map, id, json_string(value)) != 0)
		return (FERRY_ERR_NOMEM);
	if (json_is_object(json_object_get(row, "component")))
		return (resolve_path_candidate(c, row));
	return (0);
}

int
resolve_fetch_locations(struct resolve_ctx *c, char **cause)
{
	json_t	*exprs, *rows = NULL, *row;
	size_t	 i;
	int	 e;

	if ((exprs = json_array()) == NULL)
		return (resolve_fetch_nomem(cause));
	e = resolve_fetch_round3(c, exprs, cause);
	if (e == 0)
		e = resolve_ctx_run(c, exprs, &rows, cause);
	json_array_foreach(rows, i, row) {
		if (e != 0)
			break;
		e = resolve_fetch_location_row(c, row);
		if (e == FERRY_ERR_NOMEM)
			e = resolve_fetch_nomem(cause);
		else if (e != 0)
			e = err_set(cause, e, "ftrack at %s sent a location or "
			    "component location without its id, name or "
			    "resource identifier", rest_url(c->r));
	}
	json_decref(exprs);
	json_decref(rows);
	return (e);
}
