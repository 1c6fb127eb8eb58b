/*
 * The share map with the roots agents set laid over it (hub-roots.h),
 * below hub-names.c, which asks for the map, and hub-roots.c, which takes
 * the roots agents report and says which hold. An agent says where each
 * share lies on its machine (`ferry root set`, `ferryd enroll
 * --storage-root SHARE=PATH`, FERRY_<SHARE>_PATH in ferryd's
 * environment) and where its home base is; the hub keeps that in the
 * store (store-roots.c) and lays it over the share map whenever it reads
 * the map (names_share_map), so that jobs to and from that site or
 * person translate with that machine's own roots. For each share, first
 * wins:
 *   1. FERRY_<SHARE>_PATH in the agent's environment;
 *   2. the root set with `ferry root set` or --storage-root;
 *   3. the share map's own entry for that site or person;
 *   3b. for a share nested in another whose root the agent gave
 *      (1 or 2), that root and the rest of the path (ROOT/projects);
 *   4. for a person, HOME/SHARE below the agent's home base (where
 *      deliveries go when nothing else says: `ferry status` says so);
 *   5. the share's default roots (a site).
 * Never for the hub's own site: the hub's roots are the share map's.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ferryd.h"
#include "hub-roots.h"
#include "log.h"
#include "share-map.h"
#include "store.h"

/* The environment variable's SHARE part for share: upper case, '_'. */
static void
roots_env_key(const char *share, char *out, size_t n)
{
	size_t	i;

	for (i = 0; share[i] != '\0' && i + 1 < n; i++)
		out[i] = isalnum((unsigned char)share[i]) ?
		    (char)toupper((unsigned char)share[i]) : '_';
	out[i] = '\0';
}

int
roots_rows_cb(void *arg, const struct store_root *r)
{
	return (json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:s}",
	    "endpoint", r->endpoint, "share", r->share, "how", r->how, "path",
	    r->path)));
}

/* The row of endpoint with how and share in rows, or NULL. */
static const char *
roots_row(const json_t *rows, const char *endpoint, const char *how,
    const char *share)
{
	const json_t	*r;
	size_t		 i;

	json_array_foreach(rows, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "endpoint")),
		    endpoint) == 0 && strcmp(json_string_value(
		    json_object_get(r, "how")), how) == 0 &&
		    strcmp(json_string_value(json_object_get(r, "share")),
		    share) == 0)
			return (json_string_value(json_object_get(r, "path")));
	}
	return (NULL);
}

/* The agent's own root of share (env, then set), or NULL. */
static const char *
roots_given(const json_t *rows, const char *endpoint, const char *share)
{
	const char	*p;
	char		 key[128];

	roots_env_key(share, key, sizeof key);
	if ((p = roots_row(rows, endpoint, "env", key)) != NULL)
		return (p);
	return (roots_row(rows, endpoint, "set", share));
}

/*
 * A share nested in another (projects at /storage/projects, inside
 * storage at /storage) follows the enclosing share's root when the agent
 * gave that one and not this: ROOT/projects, as on-prem. NULL if not.
 */
static char *
roots_nested(const json_t *map, const json_t *rows, const char *endpoint,
    const char *share)
{
	const json_t	*shares = json_object_get(map, "shares"), *s;
	const char	*mine, *theirs, *name, *best = NULL, *given = NULL;
	const char	*g;
	char		*out = NULL;
	size_t		 n, bestn = 0;

	mine = json_string_value(json_object_get(json_object_get(shares,
	    share), "linux"));
	json_object_foreach((json_t *)(uintptr_t)shares, name, s) {
		theirs = json_string_value(json_object_get(s, "linux"));
		if (mine == NULL || theirs == NULL || strcmp(name, share) == 0)
			continue;
		n = strlen(theirs);
		while (n > 1 && theirs[n - 1] == '/')
			n--;
		if (n <= bestn || strncmp(mine, theirs, n) != 0 ||
		    (mine[n] != '/' && !(n == 1 && mine[0] == '/')) ||
		    (g = roots_given(rows, endpoint, name)) == NULL)
			continue;
		best = mine + (n == 1 ? 0 : n);
		bestn = n;
		given = g;
	}
	if (best != NULL && asprintf(&out, "%s%s", given, best) == -1)
		out = NULL;
	return (out);
}

/*
 * Where share lies for endpoint, by the order above: *from says which
 * ("env", "set", "map", "home", "default") and *root the path when it is
 * the agent's (allocated; NULL for "map" and "default").
 */
void
roots_decide(const json_t *map, const json_t *rows, const char *endpoint,
    int person, const char *share, const char **from, char **root)
{
	const json_t	*entry;
	const char	*p;
	char		 key[128];

	*root = NULL;
	roots_env_key(share, key, sizeof key);
	entry = json_object_get(json_object_get(json_object_get(
	    json_object_get(map, "shares"), share), "sites"), endpoint);
	if ((p = roots_row(rows, endpoint, "env", key)) != NULL) {
		*from = "env";
		*root = strdup(p);
	} else if ((p = roots_row(rows, endpoint, "set", share)) != NULL) {
		*from = "set";
		*root = strdup(p);
	} else if (entry != NULL)
		*from = "map";
	else if ((*root = roots_nested(map, rows, endpoint, share)) != NULL)
		*from = "nested";
	else if (person && (p = roots_row(rows, endpoint, "home", "")) !=
	    NULL) {
		*from = "home";
		if (asprintf(root, "%s/%s", p, share) == -1)
			*root = NULL;
	} else
		*from = "default";
}

/* Lays endpoint's roots over map (a JSON share map). */
static void
roots_lay(json_t *map, const json_t *rows, const char *endpoint, int person)
{
	json_t		*shares = json_object_get(map, "shares");
	json_t		*s, *sites;
	const char	*name, *from;
	char		*root;

	json_object_foreach(shares, name, s) {
		roots_decide(map, rows, endpoint, person, name, &from, &root);
		if (root == NULL)
			continue;
		if ((sites = json_object_get(s, "sites")) == NULL) {
			sites = json_object();
			json_object_set_new(s, "sites", sites);
		}
		/* A Windows agent's root is a drive or UNC path. */
		json_object_set_new(sites, endpoint, json_pack("{s:s}",
		    root[0] == '/' && root[1] != '/' ? "linux" : root[0] ==
		    '/' || root[0] == '\\' ? "unc" : "windows", root));
		free(root);
	}
}

/* Whether name is a person the hub knows. Caller holds d->mu. */
int
roots_person(struct ferryd *d, const char *name)
{
	enum store_clearance	cl;

	return (store_user_get(d->store, name, &cl, NULL) == 0);
}

/* Loads map's text with endpoints' roots laid over it (if it loads). */
static int
roots_try(const json_t *map, struct share_map **m)
{
	char	*text = json_dumps(map, JSON_COMPACT);
	int	 r;

	if (text == NULL)
		return (FERRY_ERR_NOMEM);
	r = share_map_load_text(text, strlen(text), "share map", m, NULL);
	free(text);
	return (r);
}

/* Lays every endpoint's roots over map, but those in skip (or all). */
static void
roots_lay_all(struct ferryd *d, json_t *map, const json_t *rows,
    const char *only)
{
	const json_t	*r;
	const char	*ep, *last = NULL;
	size_t		 i;

	json_array_foreach(rows, i, r) {
		ep = json_string_value(json_object_get(r, "endpoint"));
		if ((last != NULL && strcmp(last, ep) == 0) ||
		    strcmp(ep, d->conf.site) == 0 || (only != NULL &&
		    strcmp(ep, only) != 0))
			continue;
		last = ep;
		roots_lay(map, rows, ep, roots_person(d, ep));
	}
}

int
roots_share_map(struct ferryd *d, const char *json, struct share_map **m,
    char **cause)
{
	json_t		*rows = json_array(), *map = NULL, *one, *r;
	const char	*ep, *last = NULL;
	size_t		 i;

	if (rows == NULL || store_roots_list(d->store, NULL, roots_rows_cb,
	    rows, NULL) != 0 || json_array_size(rows) == 0 ||
	    (map = json_loads(json, 0, NULL)) == NULL) {
		json_decref(rows);
		json_decref(map);
		return (share_map_load_text(json, strlen(json), "share map",
		    m, cause));
	}
	one = json_deep_copy(map);
	roots_lay_all(d, one, rows, NULL);
	if (one != NULL && roots_try(one, m) == 0) {
		json_decref(one);
		json_decref(map);
		json_decref(rows);
		return (0);
	}
	json_decref(one);
	/*
	 * Some endpoint's roots make the map fail to load (a root another
	 * share has already): each endpoint's are laid over the map as it
	 * stands, and those that break it are left out and logged, so that
	 * no agent can break the map for the rest.
	 */
	json_array_foreach(rows, i, r) {
		ep = json_string_value(json_object_get(r, "endpoint"));
		if (last != NULL && strcmp(last, ep) == 0)
			continue;
		last = ep;
		one = json_deep_copy(map);
		roots_lay_all(d, one, rows, ep);
		if (one != NULL && roots_try(one, m) == 0) {
			share_map_free(*m);
			json_decref(map);
			map = one;
			continue;
		}
		json_decref(one);
		log_warnx("%s: its share roots are left out: they clash with "
		    "the share map", ep);
	}
	*m = NULL;
	i = (size_t)roots_try(map, m);
	json_decref(map);
	json_decref(rows);
	if (i != 0)
		return (share_map_load_text(json, strlen(json), "share map",
		    m, cause));
	return (0);
}
