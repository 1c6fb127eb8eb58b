/* Loading and checking a share map written in JSON. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "share-map-int.h"

#define MEMBER_MAX 512

/* Names a JSON member for messages: "shares.storage" + "sites" + "la". */
static void
member_join(char *out, const char *where, const char *mid, const char *key)
{
	int	n;

	n = snprintf(out, MEMBER_MAX, "%s%s%s", where, mid, key);
	if (n < 0 || n >= MEMBER_MAX)
		memcpy(out + MEMBER_MAX - 4, "...", 4);
}

static const char *share_os_kind_name[] = {
	"an absolute Linux path (/...)",
	"an absolute macOS path (/...)",
	"a Windows drive path (X: or X:\\...)",
	"a UNC path (\\\\host\\share...)",
};

/* Parses one root string; "where" is the JSON member, for messages. */
static int
share_load_root(const char *name, const char *where, enum share_os os,
    json_t *value, struct share_root *root, char **cause)
{
	char	*why = NULL;
	size_t	 i;
	int	 r;

	root->os = os;
	if (!json_is_string(value))
		return (err_set(cause, FERRY_ERR_PARSE, "%s: %s: must be a "
		    "string holding %s", name, where, share_os_kind_name[os]));
	r = path_parse(json_string_value(value), json_string_length(value),
	    &root->path, &why);
	if (r == 0 && root->path.kind != share_os_kind(os)) {
		path_clear(&root->path);
		r = err_set(cause, FERRY_ERR_PARSE, "%s: %s: \"%s\" is not %s",
		    name, where, json_string_value(value),
		    share_os_kind_name[os]);
	} else if (r != 0) {
		r = err_set(cause, FERRY_ERR_PARSE, "%s: %s: %s", name, where,
		    why != NULL ? why : err_str(r));
	}
	free(why);
	for (i = 0; r == 0 && i < root->path.ncomp; i++) {
		if (strcmp(root->path.comp[i], "..") == 0) {
			path_clear(&root->path);
			r = err_set(cause, FERRY_ERR_PARSE,
			    "%s: %s: a root cannot contain \"..\"", name, where);
		}
	}
	return (r);
}

static void
share_roots_clear(struct share_roots *rs)
{
	size_t	i;

	for (i = 0; i < rs->nroot; i++)
		path_clear(&rs->root[i].path);
	free(rs->root);
	free(rs->site);
	memset(rs, 0, sizeof *rs);
}

/*
 * Loads the platform members of obj (a share or one of its sites) into rs.
 * "sites" is skipped when allow_sites is set; anything else is an error.
 */
static int
share_load_roots(const char *name, const char *where, json_t *obj,
    int allow_sites, struct share_roots *rs, char **cause)
{
	const char	*key;
	json_t		*value;
	enum share_os	 os;
	char		 member[MEMBER_MAX];
	int		 r;

	if (!json_is_object(obj))
		return (err_set(cause, FERRY_ERR_PARSE,
		    "%s: %s: must be an object", name, where));
	rs->root = calloc(SHARE_OS_COUNT, sizeof *rs->root);
	if (rs->root == NULL)
		return (FERRY_ERR_NOMEM);
	json_object_foreach(obj, key, value) {
		member_join(member, where, ".", key);
		if (allow_sites && strcmp(key, "sites") == 0)
			continue;
		if (share_os_parse(key, &os) != 0)
			return (err_set(cause, FERRY_ERR_PARSE,
			    "%s: %s: unknown member (expected linux, mac, "
			    "windows, unc%s)", name, member,
			    allow_sites ? " or sites" : ""));
		r = share_load_root(name, member, os, value,
		    &rs->root[rs->nroot], cause);
		if (r != 0)
			return (r);
		rs->nroot++;
	}
	if (rs->nroot == 0)
		return (err_set(cause, FERRY_ERR_PARSE,
		    "%s: %s: names no root (linux, mac, windows or unc)", name,
		    where));
	return (0);
}

static int
share_load_sites(const char *name, const char *where, json_t *sites,
    struct share *s, char **cause)
{
	const char	*key;
	json_t		*value;
	char		 member[MEMBER_MAX];
	int		 r;

	if (!json_is_object(sites))
		return (err_set(cause, FERRY_ERR_PARSE,
		    "%s: %s.sites: must be an object of site names", name,
		    where));
	s->sites = calloc(json_object_size(sites) + 1, sizeof *s->sites);
	if (s->sites == NULL)
		return (FERRY_ERR_NOMEM);
	json_object_foreach(sites, key, value) {
		member_join(member, where, ".sites.", key);
		if (*key == '\0')
			return (err_set(cause, FERRY_ERR_PARSE,
			    "%s: %s: a site name cannot be empty", name,
			    member));
		if ((s->sites[s->nsites].site = strdup(key)) == NULL)
			return (FERRY_ERR_NOMEM);
		r = share_load_roots(name, member, value, 0,
		    &s->sites[s->nsites], cause);
		s->nsites++;
		if (r != 0)
			return (r);
	}
	return (0);
}

static int
share_load_share(const char *name, const char *key, json_t *value,
    struct share *s, char **cause)
{
	char	where[MEMBER_MAX];
	json_t	*sites;
	int	r;

	member_join(where, "shares", ".", key);
	if (*key == '\0')
		return (err_set(cause, FERRY_ERR_PARSE,
		    "%s: shares: a share name cannot be empty", name));
	if ((s->name = strdup(key)) == NULL)
		return (FERRY_ERR_NOMEM);
	if ((r = share_load_roots(name, where, value, 1, &s->defaults,
	    cause)) != 0)
		return (r);
	if ((sites = json_object_get(value, "sites")) != NULL)
		return (share_load_sites(name, where, sites, s, cause));
	return (0);
}

/*
 * Refuses a map in which two shares have the same root at some site, since
 * a path under it could not be told apart.
 */
static int
share_map_check_unique(const char *name, const struct share_map *m,
    char **cause)
{
	const struct share_roots	*a, *b;
	const char			*site;
	size_t				 i, j, k, x, y;

	for (i = 0; i < m->nshare; i++) {
		for (k = 0; k <= m->share[i].nsites; k++) {
			site = k == 0 ? NULL : m->share[i].sites[k - 1].site;
			for (j = i + 1; j < m->nshare; j++) {
				a = share_effective_roots(&m->share[i], site);
				b = share_effective_roots(&m->share[j], site);
				for (x = 0; x < a->nroot; x++)
				for (y = 0; y < b->nroot; y++) {
					if (!share_root_equal(&a->root[x],
					    &b->root[y]))
						continue;
					return (err_set(cause, FERRY_ERR_PARSE,
					    "%s: shares %s and %s have the "
					    "same %s root%s%s", name,
					    m->share[i].name, m->share[j].name,
					    share_os_name(a->root[x].os),
					    site ? " at site " : "",
					    site ? site : ""));
				}
			}
		}
	}
	return (0);
}

/* The optional top-level "sites": names of the sites the map serves. */
static int
share_map_load_sites(const char *name, const json_t *sites,
    struct share_map *m, char **cause)
{
	const json_t	*v;
	size_t		 i;

	if (sites == NULL)
		return (0);
	if (!json_is_array(sites))
		return (err_set(cause, FERRY_ERR_PARSE, "%s: sites: expected "
		    "an array of site names", name));
	if ((m->site = calloc(json_array_size(sites) + 1,
	    sizeof *m->site)) == NULL)
		return (FERRY_ERR_NOMEM);
	json_array_foreach(sites, i, v) {
		if (!json_is_string(v) || json_string_length(v) == 0)
			return (err_set(cause, FERRY_ERR_PARSE, "%s: "
			    "sites[%zu]: expected a site name", name, i));
		if ((m->site[m->nsite++] = strdup(json_string_value(v))) ==
		    NULL)
			return (FERRY_ERR_NOMEM);
	}
	return (0);
}

static int
share_map_from_json(const char *name, json_t *doc, struct share_map **out,
    char **cause)
{
	struct share_map	*m;
	json_t			*shares, *value;
	const char		*key;
	int			 r;

	if (!json_is_object(doc) ||
	    !json_is_object(shares = json_object_get(doc, "shares")))
		return (err_set(cause, FERRY_ERR_PARSE,
		    "%s: expected an object with a \"shares\" object", name));
	json_object_foreach(doc, key, value) {
		if (strcmp(key, "shares") != 0 && strcmp(key, "sites") != 0)
			return (err_set(cause, FERRY_ERR_PARSE,
			    "%s: %s: unknown member (expected shares or "
			    "sites)", name, key));
	}
	if (json_object_size(shares) == 0)
		return (err_set(cause, FERRY_ERR_PARSE,
		    "%s: shares: no share is defined", name));
	if ((m = calloc(1, sizeof *m)) == NULL ||
	    (m->share = calloc(json_object_size(shares),
	    sizeof *m->share)) == NULL) {
		free(m);
		return (FERRY_ERR_NOMEM);
	}
	json_object_foreach(shares, key, value) {
		r = share_load_share(name, key, value, &m->share[m->nshare],
		    cause);
		m->nshare++;
		if (r != 0)
			goto fail;
	}
	if ((r = share_map_check_unique(name, m, cause)) != 0 ||
	    (r = share_map_load_sites(name, json_object_get(doc, "sites"), m,
	    cause)) != 0)
		goto fail;
	*out = m;
	return (0);
fail:
	share_map_free(m);
	return (r);
}

int
share_map_load_text(const char *text, size_t len, const char *name,
    struct share_map **out, char **cause)
{
	json_error_t	 jerr;
	json_t		*doc;
	int		 r;

	*out = NULL;
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		return (err_set(cause, FERRY_ERR_PARSE, "%s:%d:%d: %s", name,
		    jerr.line, jerr.column, jerr.text));
	r = share_map_from_json(name, doc, out, cause);
	json_decref(doc);
	return (r);
}

int
share_map_load_file(const char *file, struct share_map **out, char **cause)
{
	json_error_t	 jerr;
	json_t		*doc;
	int		 r;

	*out = NULL;
	doc = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		if (jerr.line < 1)	/* could not open or read it */
			return (err_set(cause, FERRY_ERR_IO, "%s: %s", file,
			    jerr.text));
		return (err_set(cause, FERRY_ERR_PARSE, "%s:%d:%d: %s", file,
		    jerr.line, jerr.column, jerr.text));
	}
	r = share_map_from_json(file, doc, out, cause);
	json_decref(doc);
	return (r);
}

void
share_map_free(struct share_map *m)
{
	size_t	i, k;

	if (m == NULL)
		return;
	for (i = 0; i < m->nshare; i++) {
		free(m->share[i].name);
		share_roots_clear(&m->share[i].defaults);
		for (k = 0; k < m->share[i].nsites; k++)
			share_roots_clear(&m->share[i].sites[k]);
		free(m->share[i].sites);
	}
	free(m->share);
	for (i = 0; i < m->nsite; i++)
		free(m->site[i]);
	free(m->site);
	free(m);
}
