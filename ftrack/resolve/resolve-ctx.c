/*
 * The context of one resolution: its maps, made and freed here, and the
 * small helpers that the rounds (resolve-fetch.c), the files
 * (resolve-files.c) and the paths (resolve-path.c) share. It calls none of
 * them: it is the bottom of ftrack/resolve/.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "resolve-int.h"

const char *
resolve_ctx_str(const json_t *o, const char *key)
{
	return (json_string_value(json_object_get(o, key)));
}

int
resolve_ctx_is_container(const json_t *component)
{
	const char	*type = resolve_ctx_str(component, "__entity_type__");

	return (type != NULL && (strcmp(type, "SequenceComponent") == 0 ||
	    strcmp(type, "ContainerComponent") == 0));
}

int
resolve_ctx_run(struct resolve_ctx *c, json_t *exprs, json_t **rowsp,
    char **cause)
{
	if (json_array_size(exprs) > 0)
		return (rest_query_many(c->r, exprs, rowsp, cause));
	if ((*rowsp = json_array()) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	return (0);
}

int
resolve_ctx_add_id(json_t *ids, json_t *set, const char *id)
{
	if (set != NULL) {
		if (json_object_get(set, id) != NULL)
			return (0);
		if (json_object_set_new(set, id, json_true()) != 0)
			return (FERRY_ERR_NOMEM);
	}
	return (json_array_append_new(ids, json_string(id)) == 0 ? 0 :
	    FERRY_ERR_NOMEM);
}

void
resolve_ctx_clear(struct resolve_ctx *c)
{
	size_t	i;

	json_decref(c->sel_versions);
	json_decref(c->sel_contexts);
	json_decref(c->sel_components);
	json_decref(c->versions);
	json_decref(c->whole);
	json_decref(c->components);
	json_decref(c->ris);
	json_decref(c->bases);
	json_decref(c->locations);
	for (i = 0; i < c->nitems; i++)
		free(c->items[i].key);
	free(c->items);
}

int
resolve_ctx_init(struct resolve_ctx *c, char **cause)
{
	c->versions = json_object();
	c->components = json_object();
	c->ris = json_object();
	c->bases = json_object();
	c->locations = json_object();
	if (c->versions == NULL || c->components == NULL || c->ris == NULL ||
	    c->bases == NULL || c->locations == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	return (0);
}
