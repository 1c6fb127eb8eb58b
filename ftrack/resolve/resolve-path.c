/*
 * Paths: a resource identifier as a path in the source location
 * (ftrack-protocol.md §4.5: the identifier itself where locations hold
 * full paths, as ferry's site locations do; prefix + identifier for a
 * custom location), and the earlier version's file that serves as a
 * delta basis.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "resolve-int.h"

/* "/x", "\\server\x", "C:\x" or "C:/x". */
static int
resolve_path_absolute(const char *p)
{
	if (p[0] == '/' || p[0] == '\\')
		return (1);
	return (isalpha((unsigned char)p[0]) && p[1] == ':' &&
	    (p[2] == '/' || p[2] == '\\'));
}

/* Whether a relative identifier has a ".." part (it could climb out). */
static int
resolve_path_climbs(const char *p)
{
	size_t	n;

	for (;;) {
		n = strcspn(p, "/\\");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return (1);
		if (p[n] == '\0')
			return (0);
		p += n + 1;
	}
}

/* prefix/ri, with the prefix's own kind of separator. */
static int
resolve_path_join(const char *prefix, const char *ri, char **pathp)
{
	struct buf	 b;
	size_t		 n = strlen(prefix);
	int		 e;

	buf_init(&b, 0);
	e = buf_addstr(&b, prefix);
	if (prefix[n - 1] != '/' && prefix[n - 1] != '\\')
		e |= buf_addch(&b, strchr(prefix, '/') == NULL &&
		    strchr(prefix, '\\') != NULL ? '\\' : '/');
	e |= buf_addstr(&b, ri);
	if (e != 0) {
		buf_free(&b);
		return (FERRY_ERR_NOMEM);
	}
	*pathp = buf_detach(&b);
	return (0);
}

int
resolve_path_of(const char *prefix, const char *ri, char **pathp,
    char **cause)
{
	size_t	n;

	if (*ri == '\0')
		return (err_set(cause, FERRY_ERR_INVAL, "the resource "
		    "identifier is empty"));
	if (prefix == NULL || *prefix == '\0') {
		if (!resolve_path_absolute(ri))
			return (err_set(cause, FERRY_ERR_INVAL, "the resource "
			    "identifier \"%s\" is not a full path; a location "
			    "that holds relative identifiers needs a source "
			    "prefix", ri));
	} else if (resolve_path_absolute(ri)) {
		/* As ftrack's DiskAccessor: a full path must be in prefix. */
		n = strlen(prefix);
		if (strncmp(ri, prefix, n) != 0 || (ri[n] != '\0' &&
		    ri[n] != '/' && ri[n] != '\\' && prefix[n - 1] != '/' &&
		    prefix[n - 1] != '\\'))
			return (err_set(cause, FERRY_ERR_INVAL, "the resource "
			    "identifier \"%s\" is not under the source prefix "
			    "\"%s\"", ri, prefix));
	} else if (resolve_path_climbs(ri))
		return (err_set(cause, FERRY_ERR_INVAL, "the resource "
		    "identifier \"%s\" climbs out of the source prefix with "
		    "\"..\"", ri));
	else
		return (resolve_path_join(prefix, ri, pathp) == 0 ? 0 :
		    err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	if ((*pathp = strdup(ri)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	return (0);
}

int
resolve_path_candidate(struct resolve_ctx *c, const json_t *row)
{
	const json_t	*comp, *container, *version;
	const char	*asset, *name, *ri;
	json_t		*list, *pair;
	char		*key;
	int		 e = 0;

	comp = json_object_get(row, "component");
	container = json_object_get(comp, "container");
	if (!json_is_object(container))
		container = NULL;
	version = json_object_get(container, "version");
	if (!json_is_object(version))
		version = json_object_get(comp, "version");
	asset = resolve_ctx_str(version, "asset_id");
	name = resolve_ctx_str(comp, "name");
	ri = resolve_ctx_str(row, "resource_identifier");
	/* Only a hint: one ftrack describes partly is passed over. */
	if (asset == NULL || name == NULL || ri == NULL ||
	    !json_is_integer(json_object_get(version, "version")))
		return (0);
	if ((key = resolve_files_key(asset, container, name)) == NULL)
		return (FERRY_ERR_NOMEM);
	if ((list = json_object_get(c->bases, key)) == NULL &&
	    (json_object_set_new(c->bases, key, json_array()) != 0 ||
	    (list = json_object_get(c->bases, key)) == NULL))
		e = FERRY_ERR_NOMEM;
	pair = json_pack("[Os]", json_object_get(version, "version"), ri);
	if (e == 0 && (pair == NULL || json_array_append(list, pair) != 0))
		e = FERRY_ERR_NOMEM;
	json_decref(pair);
	free(key);
	return (e);
}

const char *
resolve_path_basis(const struct resolve_ctx *c, const struct resolve_item *it)
{
	const json_t	*list, *pair;
	const char	*best = NULL;
	json_int_t	 mine = resolve_files_version(it), v, bestv = -1;
	size_t		 i;

	if (it->key == NULL || mine < 0)
		return (NULL);
	list = json_object_get(c->bases, it->key);
	json_array_foreach(list, i, pair) {
		v = json_integer_value(json_array_get(pair, 0));
		if (v < mine && v > bestv) {
			bestv = v;
			best = json_string_value(json_array_get(pair, 1));
		}
	}
	return (best);
}
