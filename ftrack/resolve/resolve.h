/*
 * What a Send in ftrack means in files (docs/ftrack.md, "Resolution and
 * registration"): every file component beneath a web UI selection, with
 * its path in the source location and, when the destination already holds
 * an earlier version of the same asset, that version's same file as a
 * delta basis. Batched: a selection takes three requests whatever it holds
 * (more only when an answer runs over a page).
 *
 * Errors: 0, or
 *   FERRY_ERR_NOTFOUND  nothing to send; a component not in the source
 *                       location (the cause names the component, the
 *                       version and the location); an unknown location
 *   FERRY_ERR_INVAL     a bad selection (the item and what is wrong, an
 *                       unknown entity type among them), or a resource
 *                       identifier that is no usable path
 *   FERRY_ERR_NOMEM, and the REST client's errors (rest.h)
 * with a cause.
 *
 * libftrackresolve's public API (with register.h); it builds on
 * libftrackrest (rest.h).
 */
#ifndef FERRY_RESOLVE_H
#define FERRY_RESOLVE_H

#include <stddef.h>

#include <jansson.h>

#include "rest.h"

struct resolve_file {
	char	*component_id;	/* a file component, or a sequence member */
	char	*container_id;	/* the sequence/container component; NULL */
	char	*path;		/* as the source location sees it */
	/* An earlier version's same file (source path); NULL. */
	char	*basis;
};

/* Sorted by path, each component once. */
struct resolve_result {
	struct resolve_file	*v;
	size_t			 n;
};

struct resolve_opts {
	/* Where the files are read. */
	const char *source_location_id;
	/* For basis hints: what it holds already; may be NULL. */
	const char *dest_location_id;
	/* Custom locations: prefix + identifier; NULL. */
	const char *source_prefix;
	/* Tasks and above: latest version per asset. */
	int	    latest_only;
};

/*
 * selection: the web UI's data.selection array ([{entityId, entityType},
 * ...]). entityType is the web UI's word, any case, "_" ignored:
 * "assetversion"; "task" (any TypedContext: shot, sequence, asset build,
 * folder... the concrete names are taken too) and "show" or "project";
 * "component" (a file, a sequence or a container: its members). For
 * contexts, every version beneath (by asset or by task), or with
 * latest_only the highest of each asset; selected versions and
 * components are always sent. *out is set only on success.
 */
int	 resolve_selection(struct rest *r, const json_t *selection,
	    const struct resolve_opts *o, struct resolve_result *out,
	    char **cause);
/* Frees what the result holds and empties it; safe on an empty one. */
void	 resolve_result_clear(struct resolve_result *res);

#endif
