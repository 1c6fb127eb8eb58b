/*
 * The files a launch resolved, kept in the spool with its delivery so
 * that registration after the transfer uses exactly what was sent.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "ferry-ftrack.h"
#include "resolve.h"

json_t *
resolved_to_json(const struct resolve_result *res)
{
	const struct resolve_file	*f;
	json_t				*files;
	size_t				 i;

	if ((files = json_array()) == NULL)
		return (NULL);
	for (i = 0; i < res->n; i++) {
		f = &res->v[i];
		if (json_array_append_new(files, json_pack("{s:s, s:s*, s:s, "
		    "s:s*}", "component_id", f->component_id, "container_id",
		    f->container_id, "path", f->path, "basis",
		    f->basis)) != 0) {
			json_decref(files);
			return (NULL);
		}
	}
	return (files);
}

/* A new copy of a string member, or NULL (absent, or out of memory). */
static char *
resolved_dup(const json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return (s != NULL ? strdup(s) : NULL);
}

int
resolved_from_json(const json_t *files, struct resolve_result *res,
    char **cause)
{
	struct resolve_result	 out = { NULL, 0 };
	struct resolve_file	*f;
	json_t			*o;
	size_t			 i;

	if (!json_is_array(files))
		return (err_set(cause, FERRY_ERR_PARSE, "the spooled files are "
		    "not a list"));
	if (json_array_size(files) > 0 && (out.v = calloc(json_array_size(
	    files), sizeof *out.v)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	json_array_foreach(files, i, o) {
		f = &out.v[out.n++];
		f->component_id = resolved_dup(o, "component_id");
		f->container_id = resolved_dup(o, "container_id");
		f->path = resolved_dup(o, "path");
		f->basis = resolved_dup(o, "basis");
		if (f->component_id == NULL || f->path == NULL) {
			resolve_result_clear(&out);
			return (err_set(cause, FERRY_ERR_PARSE, "spooled file "
			    "%zu has no component or path", i));
		}
	}
	*res = out;
	return (0);
}
