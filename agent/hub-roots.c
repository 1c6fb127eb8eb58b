/*
 * The share roots agents set for themselves, on the hub. An agent says
 * where each share lies on its machine (`ferry root set`, `ferryd enroll
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

#include "clock.h"
#include "err.h"
#include "ferryd.h"
#include "hub-home.h"
#include "hub-names.h"
#include "hub-roots.h"
#include "log.h"
#include "share-map.h"
#include "store.h"

#define ROOTS_MAX	64	/* roots one agent may report */

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

static int
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
static void
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
static int
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

struct roots_find {
	const char	*share;
	char		*root;
};

static int
roots_find_cb(void *arg, const char *share, const char *root)
{
	struct roots_find	*f = arg;

	if (strcmp(share, f->share) != 0)
		return (0);
	f->root = strdup(root);
	return (1);
}

/*
 * Where each share lies for endpoint now, and why: {SHARE: {"path",
 * "from"}}, "path" null where the hub's map cannot say. Caller holds
 * d->mu.
 */
json_t *
roots_effective(struct ferryd *d, const char *endpoint)
{
	struct share_map	*m = NULL;
	struct roots_find	 f;
	json_t			*rows = json_array(), *map = NULL;
	json_t			*out, *s;
	const char		*name, *from;
	char			*json = NULL, *root;
	int64_t			 version;
	int			 person = roots_person(d, endpoint);

	out = json_object();
	if (store_share_get(d->store, &json, &version, NULL) != 0 ||
	    json == NULL || (map = json_loads(json, 0, NULL)) == NULL ||
	    names_share_map(d, &m, NULL) != 0) {
		free(json);
		json_decref(map);
		json_decref(rows);
		return (out);
	}
	store_roots_list(d->store, endpoint, roots_rows_cb, rows, NULL);
	json_object_foreach(json_object_get(map, "shares"), name, s) {
		roots_decide(map, rows, endpoint, person, name, &from, &root);
		free(root);
		/* The root the map gives now, with every layer laid. */
		f.share = name;
		f.root = NULL;
		share_map_site_roots(m, endpoint, SHARE_OS_LINUX,
		    roots_find_cb, &f);
		json_object_set_new(out, name, json_pack("{s:s?, s:s}",
		    "path", f.root, "from", from));
		free(f.root);
	}
	share_map_free(m);
	json_decref(map);
	json_decref(rows);
	free(json);
	return (out);
}

/* Whether path is an absolute root an agent may give: no "..", no controls. */
static int
roots_path_ok(const char *path)
{
	const char	*p = path;
	size_t		 n;

	if (strlen(path) > 4096 || strlen(path) < 1)
		return (0);
	for (; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return (0);
	}
	if (!(path[0] == '/' || (isalpha((unsigned char)path[0]) &&
	    path[1] == ':' && (path[2] == '\\' || path[2] == '/')) ||
	    (path[0] == '\\' && path[1] == '\\')))
		return (0);
	for (p = path; *p != '\0'; p += n) {
		p += strspn(p, "/\\");
		n = strcspn(p, "/\\");
		if (n == 2 && strncmp(p, "..", 2) == 0)
			return (0);
	}
	return (1);
}

/* Whether name is a share's (or, env, a variable's) name. */
static int
roots_name_ok(const char *name, int env)
{
	size_t	n = strlen(name);

	return (n > 0 && n <= 64 && strspn(name, env ?
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_" : "abcdefghijklmnopqrstu"
	    "vwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n);
}

/* Adds one reported root to v, or says why not. */
static int
roots_add(struct store_root *v, size_t *n, const char *share, const char *how,
    const json_t *path, const char *agent, char **cause)
{
	const char	*p = json_string_value(path);

	if (*n >= ROOTS_MAX)
		return (err_set(cause, FERRY_ERR_TOOBIG, "more than %d roots",
		    ROOTS_MAX));
	if (!roots_name_ok(share, strcmp(how, "env") == 0) &&
	    strcmp(how, "home") != 0)
		return (err_set(cause, FERRY_ERR_BADNAME, "%s: not a share's "
		    "name", share));
	if (p == NULL || !roots_path_ok(p))
		return (err_set(cause, FERRY_ERR_BADNAME, "%s: %s is not an "
		    "absolute path without \"..\"", *share ? share : "home",
		    p ? p : "(none)"));
	v[*n].share = share;
	v[*n].how = how;
	v[*n].path = p;
	v[*n].agent = agent;
	(*n)++;
	return (0);
}

/*
 * Two shares at one place would make the map refuse to load (and which
 * share a file is under, a guess): refused here, where it is said why.
 */
static int
roots_clash(const struct store_root *v, size_t n, char **cause)
{
	size_t	i, k;

	for (i = 0; i < n; i++) {
		for (k = i + 1; k < n; k++) {
			if (strcmp(v[i].how, v[k].how) == 0 &&
			    strcmp(v[i].path, v[k].path) == 0)
				return (err_set(cause, FERRY_ERR_EXIST,
				    "%s and %s cannot both lie at %s",
				    v[i].share, v[k].share, v[i].path));
		}
	}
	return (0);
}

int
roots_take(struct ferryd *d, const char *endpoint, const char *agent,
    const json_t *report, int strict, char **cause)
{
	struct store_root	 v[ROOTS_MAX];
	const json_t		*p;
	const char		*share;
	char			 prefix[80];
	size_t			 n = 0;
	int			 r = 0;

	if (strcmp(endpoint, d->conf.site) == 0)
		return (err_set(cause, FERRY_ERR_DENIED, "%s is the hub's own "
		    "site: its roots are the share map's (edit it and run "
		    "'ferry share import' on the hub)", endpoint));
	if (!json_is_object(report))
		return (err_set(cause, FERRY_ERR_PROTO, "roots: not an "
		    "object"));
	json_object_foreach(json_object_get(report, "set"), share, p) {
		if (r == 0)
			r = roots_add(v, &n, share, "set", p, agent, cause);
		snprintf(prefix, sizeof prefix, "%s:", share);
		if (r == 0 && strict)
			r = names_share(d, prefix, cause);
	}
	json_object_foreach(json_object_get(report, "env"), share, p) {
		if (r == 0)
			r = roots_add(v, &n, share, "env", p, agent, cause);
	}
	if (r == 0 && (p = json_object_get(report, "home")) != NULL)
		r = roots_add(v, &n, "", "home", p, agent, cause);
	if (r == 0)
		r = roots_clash(v, n, cause);
	if (r != 0)
		return (r);
	pthread_mutex_lock(&d->mu);
	r = store_roots_replace(d->store, endpoint, v, n, clock_now(), cause);
	pthread_mutex_unlock(&d->mu);
	return (r);
}

void
roots_hello(struct ferryd *d, const char *agent, const char *site,
    const char *email, const json_t *hello)
{
	const json_t	*report = json_object_get(hello, "roots");
	const char	*endpoint = site != NULL ? site : email;
	char		*cause = NULL;

	if (report != NULL && endpoint != NULL && roots_take(d, endpoint,
	    agent, report, 0, &cause) != 0) {
		log_warnx("%s: its share roots are refused: %s", agent,
		    cause ? cause : "bad roots");
		pthread_mutex_lock(&d->mu);
		audit_note_limited(d, agent, "roots.refused", json_pack(
		    "{s:s}", "why", cause ? cause : "bad roots"));
		pthread_mutex_unlock(&d->mu);
	}
	free(cause);
	if (email != NULL)
		home_ensure(d, email);
}

/*
 * roots.report (an agent's ferryd, for `ferry root set`) and roots (what
 * `ferry status` and `ferry root` show): the roots of the asking agent's
 * site or person, or on the hub of the one named.
 */
json_t *
roots_api(struct ferryd *d, const char *op, const json_t *req, uid_t uid)
{
	const char	*ep = json_string_value(json_object_get(req,
			    "_endpoint"));
	const char	*agent = json_string_value(json_object_get(req,
			    "_agent"));
	char		*cause = NULL, *home = NULL;
	json_t		*rep;
	int		 r = 0;

	if (ep == NULL && strcmp(op, "roots") == 0)
		ep = json_string_value(json_object_get(req, "endpoint"));
	if (ep == NULL)
		return (json_pack("{s:s, s:b}", "error", strcmp(op, "roots") ==
		    0 ? "roots needs a site or person (\"endpoint\")" :
		    "roots are set on the agent's machine: 'ferry root set "
		    "SHARE PATH' there", "done", 1));
	if (strcmp(op, "roots.report") == 0)
		r = roots_take(d, ep, agent ? agent : ep, json_object_get(req,
		    "roots"), 1, &cause);
	if (r != 0) {
		pthread_mutex_lock(&d->mu);
		audit_note(d, agent ? agent : ep, "roots.refused", json_pack(
		    "{s:s}", "why", cause ? cause : err_str(r)));
		pthread_mutex_unlock(&d->mu);
		rep = json_pack("{s:s, s:b}", "error", cause ? cause :
		    err_str(r), "done", 1);
		free(cause);
		return (rep);
	}
	if (strcmp(op, "roots.report") == 0)
		log_info("%s: share roots of %s set, by %s", ep, ep, agent ?
		    agent : ep);
	pthread_mutex_lock(&d->mu);
	rep = json_pack("{s:s, s:o, s:b}", "endpoint", ep, "roots",
	    roots_effective(d, ep), "done", 1);
	if (home_get(d, ep, &home) == 0)
		json_object_set_new(rep, "home_folder", json_string(home));
	pthread_mutex_unlock(&d->mu);
	free(home);
	return (rep);
}
