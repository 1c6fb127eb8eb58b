/*
 * The web UI's selection, sorted by what ferry does with each kind
 * (ftrack-protocol.md §3.2: the UI says "task" for every TypedContext,
 * "show" for a project, "Component" from the sidebar's Components tab).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "resolve-int.h"

enum resolve_kind { KIND_VERSION, KIND_CONTEXT, KIND_COMPONENT };

/* Normalised names (lower case, no "_"): the UI's, and concrete ones. */
static const struct {
	const char		*name;
	enum resolve_kind	 kind;
} resolve_select_types[] = {
	{ "assetversion", KIND_VERSION },
	{ "task", KIND_CONTEXT },
	{ "show", KIND_CONTEXT },
	{ "project", KIND_CONTEXT },
	{ "typedcontext", KIND_CONTEXT },
	{ "context", KIND_CONTEXT },
	{ "shot", KIND_CONTEXT },
	{ "sequence", KIND_CONTEXT },
	{ "episode", KIND_CONTEXT },
	{ "folder", KIND_CONTEXT },
	{ "assetbuild", KIND_CONTEXT },
	{ "milestone", KIND_CONTEXT },
	{ "component", KIND_COMPONENT },
	{ "filecomponent", KIND_COMPONENT },
	{ "sequencecomponent", KIND_COMPONENT },
	{ "containercomponent", KIND_COMPONENT },
};

/* Lower case without "_" into out; 0, or -1 if it does not fit. */
static int
resolve_select_normalise(const char *type, char *out, size_t size)
{
	size_t	n = 0;

	for (; *type != '\0'; type++) {
		if (*type == '_')
			continue;
		if (n + 1 >= size)
			return (-1);
		out[n++] = tolower((unsigned char)*type);
	}
	out[n] = '\0';
	return (0);
}

static int
resolve_select_kind(const char *type, enum resolve_kind *kindp)
{
	char	name[32];
	size_t	i;

	if (resolve_select_normalise(type, name, sizeof name) != 0)
		return (-1);
	for (i = 0; i < sizeof resolve_select_types /
	    sizeof resolve_select_types[0]; i++) {
		if (strcmp(name, resolve_select_types[i].name) == 0) {
			*kindp = resolve_select_types[i].kind;
			return (0);
		}
	}
	return (-1);
}

/* Files item i of the selection under its kind. */
static int
resolve_select_item(struct resolve_ctx *c, size_t i, const json_t *item,
    char **cause)
{
	const char		*id, *type;
	enum resolve_kind	 kind;
	json_t			*to;

	if (!json_is_object(item))
		return (err_set(cause, FERRY_ERR_INVAL, "selection item %zu "
		    "is not an object", i));
	id = resolve_ctx_str(item, "entityId");
	type = resolve_ctx_str(item, "entityType");
	if (id == NULL || *id == '\0')
		return (err_set(cause, FERRY_ERR_INVAL, "selection item %zu "
		    "has no entityId", i));
	if (type == NULL || *type == '\0')
		return (err_set(cause, FERRY_ERR_INVAL, "selection item %zu "
		    "(%.64s) has no entityType", i, id));
	if (resolve_select_kind(type, &kind) != 0)
		return (err_set(cause, FERRY_ERR_INVAL, "selection item %zu "
		    "(%.64s): unknown entity type \"%.64s\"; ferry sends "
		    "versions, tasks and what holds them (shots, sequences, "
		    "asset builds, projects) and components", i, id, type));
	to = kind == KIND_VERSION ? c->sel_versions : kind == KIND_CONTEXT ?
	    c->sel_contexts : c->sel_components;
	if (json_array_append_new(to, json_string(id)) != 0)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	return (0);
}

int
resolve_select_parse(struct resolve_ctx *c, const json_t *selection,
    char **cause)
{
	const json_t	*item;
	size_t		 i;
	int		 e = 0;

	if (!json_is_array(selection))
		return (err_set(cause, FERRY_ERR_INVAL, "the selection is not "
		    "an array"));
	if (json_array_size(selection) == 0)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "nothing to send: "
		    "the selection is empty"));
	c->sel_versions = json_array();
	c->sel_contexts = json_array();
	c->sel_components = json_array();
	if (c->sel_versions == NULL || c->sel_contexts == NULL ||
	    c->sel_components == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	json_array_foreach(selection, i, item) {
		if ((e = resolve_select_item(c, i, item, cause)) != 0)
			break;
	}
	return (e);
}
