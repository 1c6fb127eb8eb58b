/*
 * The share roots agents set for themselves, on the hub: what an agent
 * reports (roots_take, at its hello and from `ferry root set`), checked
 * and kept in the store, and the API's view of which root holds for each
 * share and why (roots_effective). hub-roots-map.c lays them over the
 * share map, in the order it gives.
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
/*
 * roots.report taken a minute per site or person: each replaces its
 * roots in the store (a transaction, a disk flush, under d->mu), and a
 * person sets roots by hand (roots-churn.sh: 200 in 4 s before).
 */
#define ROOTS_REPORTS_MAX	30
#define ROOTS_RATE_SLOTS	64

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
	const char		*platform = hub_endpoint_platform(d, endpoint);
	enum share_os		 os;
	size_t			 i;

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
		/*
		 * The root the map gives now, with every layer laid, of the
		 * kind its agent takes (a Windows one's drive root).
		 */
		f.share = name;
		f.root = NULL;
		for (i = 0; f.root == NULL && (os = share_platform_os(
		    platform, i)) != SHARE_OS_DEFAULT; i++)
			share_map_site_roots(m, endpoint, os, roots_find_cb,
			    &f);
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
 * Whether endpoint's roots were replaced ROOTS_REPORTS_MAX times in the
 * minute from the first of them; if not, counts one more. The slots are
 * the endpoints seen last. Caller holds d->mu.
 */
static int
roots_too_often(const char *endpoint)
{
	static struct hub_rate	slots[ROOTS_RATE_SLOTS];

	return (hub_rate_take(slots, ROOTS_RATE_SLOTS, endpoint,
	    ROOTS_REPORTS_MAX, clock_now()));
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
	if (strcmp(op, "roots.report") == 0) {
		pthread_mutex_lock(&d->mu);
		if (roots_too_often(ep))
			r = err_set(&cause, FERRY_ERR_TOOBIG, "%s: its roots "
			    "were set %d times in the last minute: set them "
			    "again in a minute", ep, ROOTS_REPORTS_MAX);
		pthread_mutex_unlock(&d->mu);
	}
	if (r == 0 && strcmp(op, "roots.report") == 0)
		r = roots_take(d, ep, agent ? agent : ep, json_object_get(req,
		    "roots"), 1, &cause);
	if (r != 0) {
		json_t	*why = json_pack("{s:s}", "why", cause ? cause :
			    err_str(r));

		/* Relayed (agent set), it may come again and again. */
		pthread_mutex_lock(&d->mu);
		if (agent != NULL)
			audit_note_some(d, agent, "roots.refused",
			    AUDIT_AGENT_REFUSALS, why);
		else
			audit_note(d, ep, "roots.refused", why);
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
