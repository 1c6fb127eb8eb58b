/*
 * What the web UI selected (data.selection, §3.2 of the ftrack notes):
 * whether ferry Send applies to it, and whether it holds anything above
 * versions (tasks, shots, episodes, folders, a studio's own object types,
 * projects), for which the form offers "latest versions only".
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "ferry-ftrack.h"
#include "ftq.h"
#include "rest.h"

enum selection_kind {
	SELECTION_OTHER,
	SELECTION_VERSION,
	SELECTION_COMPONENT,
	SELECTION_PROJECT,
	SELECTION_CONTEXT	/* a TypedContext: which one, ftrack says */
};

/* The web UI's entityType, lower-cased and without '_', as ftrack's own
 * action handler reads it. */
static enum selection_kind
selection_kind(const char *type)
{
	static const struct {
		const char		*name;
		enum selection_kind	 kind;
	} kinds[] = {
		{ "assetversion", SELECTION_VERSION },
		{ "component", SELECTION_COMPONENT },
		{ "filecomponent", SELECTION_COMPONENT },
		{ "sequencecomponent", SELECTION_COMPONENT },
		{ "containercomponent", SELECTION_COMPONENT },
		{ "show", SELECTION_PROJECT },
		{ "project", SELECTION_PROJECT },
		{ "task", SELECTION_CONTEXT },
		{ "typedcontext", SELECTION_CONTEXT },
	};
	char	norm[64];
	size_t	i, n = 0;

	for (i = 0; type[i] != '\0' && n < sizeof norm - 1; i++) {
		if (type[i] != '_')
			norm[n++] = (char)tolower((unsigned char)type[i]);
	}
	norm[n] = '\0';
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (strcmp(norm, kinds[i].name) == 0)
			return (kinds[i].kind);
	}
	return (SELECTION_OTHER);
}

/*
 * Whether every id is a TypedContext: any of them can hold versions (an
 * asset sits on any context, whatever its object type: Episode, Folder, a
 * studio's own types), so the test is that ftrack knows it as one, with
 * an object type, not that its type has a name from a list.
 */
static int
selection_contexts(struct ff *ff, json_t *ids, int *okp, char **cause)
{
	json_t	*rows = NULL, *row;
	char	*expr = NULL;
	size_t	 i;
	int	 r;

	if ((r = ftq_format(&expr, cause, "select id, object_type_id from "
	    "TypedContext where id in (%L)", ids)) != 0)
		return (r);
	r = rest_query_all(ff->rest, expr, &rows, cause);
	free(expr);
	if (r != 0)
		return (r);
	*okp = json_array_size(rows) == json_array_size(ids);
	json_array_foreach(rows, i, row) {
		if (!json_is_string(json_object_get(row, "object_type_id")))
			*okp = 0;
	}
	json_decref(rows);
	return (0);
}

/* Checks the shape of one entry; returns its kind or -1. */
static int
selection_entry(const json_t *e, size_t i, char **cause)
{
	const char	*id, *type;

	id = json_string_value(json_object_get(e, "entityId"));
	type = json_string_value(json_object_get(e, "entityType"));

	if (!json_is_object(e) || id == NULL || *id == '\0' || type == NULL)
		return (err_set(cause, FERRY_ERR_PARSE, "data.selection[%zu] "
		    "needs an entityId and an entityType", i));
	return ((int)selection_kind(type));
}

int
selection_check(struct ff *ff, const json_t *selection,
    struct selection_info *si, char **cause)
{
	json_t		*e, *contexts, *seen;
	const char	*id;
	size_t		 i;
	int		 kind, ok = 1, r = 0;

	memset(si, 0, sizeof *si);
	if (!json_is_array(selection))
		return (err_set(cause, FERRY_ERR_PARSE, "data.selection is not "
		    "a list of entities"));
	contexts = json_array();
	seen = json_object();	/* an id selected twice is asked once */
	json_array_foreach(selection, i, e) {
		if ((kind = selection_entry(e, i, cause)) < 0) {
			r = kind;
			break;
		}
		if (kind == SELECTION_OTHER)
			ok = 0;
		id = json_string_value(json_object_get(e, "entityId"));
		if (kind == SELECTION_CONTEXT && json_object_get(seen, id) ==
		    NULL) {
			json_object_set_new(seen, id, json_true());
			json_array_append_new(contexts, json_string(id));
		}
		if (kind == SELECTION_CONTEXT || kind == SELECTION_PROJECT)
			si->above_versions = 1;
	}
	if (r == 0 && ok && json_array_size(contexts) > 0)
		r = selection_contexts(ff, contexts, &ok, cause);
	json_decref(contexts);
	json_decref(seen);
	if (r != 0)
		return (r);
	si->count = json_array_size(selection);
	si->supported = ok && si->count > 0;
	return (0);
}
