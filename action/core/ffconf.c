/*
 * ferry-ftrack --config FILE: a small JSON object (docs/ftrack.md).
 *
 *   {"allowed_roles": ["Administrator", "Project Manager"],
 *    "location_prefixes": {"studio.disk": "/mnt/ftrack"},
 *    "job_update_interval": 3,
 *    "automations": {
 *      "send_assigned_tasks": {"from": "hq"},
 *      "statuses_on_delivery": {"version": "Ready", "task": "Ready"}}}
 *
 * Every key is optional; an unknown one is refused, so that a typo does
 * not silently turn a setting off.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "ffconf.h"

#define FFCONF_UPDATE_MS	3000
/* Job updates closer than this would flood ftrack. */
#define FFCONF_UPDATE_MIN_MS	200

/* Refuses any key of obj not in the NULL-terminated list. */
static int
ffconf_keys(const char *path, const char *where, const json_t *obj,
    const char *const *known, char **cause)
{
	const char	*key;
	json_t		*v;
	size_t		 i;

	json_object_foreach((json_t *)obj, key, v) {
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(key, known[i]) == 0)
				break;
		if (known[i] == NULL)
			return (err_set(cause, FERRY_ERR_PARSE, "%s: unknown "
			    "key \"%s\" in %s", path, key, where));
	}
	return (0);
}

/* A string member of obj, copied into *out; absent is fine. */
static int
ffconf_string(const char *path, const json_t *obj, const char *where,
    const char *key, char **out, char **cause)
{
	json_t	*v = json_object_get(obj, key);

	if (v == NULL)
		return (0);
	if (!json_is_string(v) || json_string_length(v) == 0)
		return (err_set(cause, FERRY_ERR_PARSE, "%s: %s.%s must be a "
		    "non-empty string", path, where, key));
	*out = strdup(json_string_value(v));
	return (*out == NULL ? FERRY_ERR_NOMEM : 0);
}

static int
ffconf_roles(const char *path, json_t *v, struct ffconf *c, char **cause)
{
	json_t	*role;
	size_t	 i;

	if (!json_is_array(v))
		return (err_set(cause, FERRY_ERR_PARSE, "%s: allowed_roles "
		    "must be a list of ftrack role names", path));
	json_array_foreach(v, i, role) {
		if (!json_is_string(role))
			return (err_set(cause, FERRY_ERR_PARSE, "%s: "
			    "allowed_roles[%zu] is not a string", path, i));
	}
	c->allowed_roles = json_incref(v);
	return (0);
}

static int
ffconf_prefixes(const char *path, json_t *v, struct ffconf *c, char **cause)
{
	const char	*name;
	json_t		*p;

	if (!json_is_object(v))
		return (err_set(cause, FERRY_ERR_PARSE, "%s: location_prefixes "
		    "must map location names to path prefixes", path));
	json_object_foreach(v, name, p) {
		if (!json_is_string(p) || json_string_length(p) == 0)
			return (err_set(cause, FERRY_ERR_PARSE, "%s: "
			    "location_prefixes.%s must be a non-empty path",
			    path, name));
	}
	json_decref(c->prefixes);
	c->prefixes = json_incref(v);
	return (0);
}

static int
ffconf_interval(const char *path, json_t *v, struct ffconf *c, char **cause)
{
	double	s = json_number_value(v);

	if (!json_is_number(v) || !isfinite(s) ||
	    s * 1000 < FFCONF_UPDATE_MIN_MS || s > 3600)
		return (err_set(cause, FERRY_ERR_PARSE, "%s: "
		    "job_update_interval must be a number of seconds from "
		    "%.1f to 3600", path, FFCONF_UPDATE_MIN_MS / 1000.0));
	c->update_ms = (int64_t)(s * 1000);
	return (0);
}

static int
ffconf_automations(const char *path, json_t *v, struct ffconf *c,
    char **cause)
{
	static const char *const keys[] = { "send_assigned_tasks",
	    "statuses_on_delivery", NULL };
	static const char *const assign_keys[] = { "from", NULL };
	static const char *const status_keys[] = { "version", "task", NULL };
	json_t	*a, *s;
	int	 r;

	if (!json_is_object(v))
		return (err_set(cause, FERRY_ERR_PARSE, "%s: automations must "
		    "be an object", path));
	if ((r = ffconf_keys(path, "automations", v, keys, cause)) != 0)
		return (r);
	if ((a = json_object_get(v, "send_assigned_tasks")) != NULL) {
		if (!json_is_object(a) || json_object_get(a, "from") == NULL)
			return (err_set(cause, FERRY_ERR_PARSE, "%s: "
			    "automations.send_assigned_tasks needs \"from\": "
			    "the location tasks are sent from", path));
		if ((r = ffconf_keys(path, "automations.send_assigned_tasks",
		    a, assign_keys, cause)) != 0 ||
		    (r = ffconf_string(path, a, "send_assigned_tasks", "from",
		    &c->assign_from, cause)) != 0)
			return (r);
	}
	if ((s = json_object_get(v, "statuses_on_delivery")) == NULL)
		return (0);
	if (!json_is_object(s))
		return (err_set(cause, FERRY_ERR_PARSE, "%s: automations."
		    "statuses_on_delivery must be an object", path));
	if ((r = ffconf_keys(path, "automations.statuses_on_delivery", s,
	    status_keys, cause)) != 0 ||
	    (r = ffconf_string(path, s, "statuses_on_delivery", "version",
	    &c->version_status, cause)) != 0)
		return (r);
	return (ffconf_string(path, s, "statuses_on_delivery", "task",
	    &c->task_status, cause));
}

static int
ffconf_parse(const char *path, json_t *root, struct ffconf *c, char **cause)
{
	static const char *const keys[] = { "allowed_roles",
	    "location_prefixes", "job_update_interval", "automations",
	    "publish_asset_type", NULL };
	json_t	*v;
	int	 r;

	if (!json_is_object(root))
		return (err_set(cause, FERRY_ERR_PARSE, "%s: not a JSON object",
		    path));
	if ((r = ffconf_keys(path, "the configuration", root, keys,
	    cause)) != 0)
		return (r);
	if ((v = json_object_get(root, "allowed_roles")) != NULL &&
	    (r = ffconf_roles(path, v, c, cause)) != 0)
		return (r);
	if ((v = json_object_get(root, "location_prefixes")) != NULL &&
	    (r = ffconf_prefixes(path, v, c, cause)) != 0)
		return (r);
	if ((v = json_object_get(root, "job_update_interval")) != NULL &&
	    (r = ffconf_interval(path, v, c, cause)) != 0)
		return (r);
	/* The type of an asset a publish makes (docs/ftrack.md). */
	if (json_object_get(root, "publish_asset_type") != NULL &&
	    (r = ffconf_string(path, root, "the configuration",
	    "publish_asset_type", &c->publish_asset_type, cause)) != 0)
		return (r);
	if ((v = json_object_get(root, "automations")) != NULL)
		return (ffconf_automations(path, v, c, cause));
	return (0);
}

int
ffconf_load(const char *path, struct ffconf *c, char **cause)
{
	json_error_t	 jerr;
	json_t		*root;
	int		 r;

	memset(c, 0, sizeof *c);
	c->update_ms = FFCONF_UPDATE_MS;
	c->prefixes = json_object();
	if (path == NULL)
		return (0);
	if ((root = json_load_file(path, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		ffconf_clear(c);
		return (err_set(cause, FERRY_ERR_PARSE, "%s: line %d, column "
		    "%d: %s", path, jerr.line, jerr.column, jerr.text));
	}
	r = ffconf_parse(path, root, c, cause);
	json_decref(root);
	if (r != 0)
		ffconf_clear(c);
	return (r);
}

void
ffconf_clear(struct ffconf *c)
{
	json_decref(c->allowed_roles);
	json_decref(c->prefixes);
	free(c->assign_from);
	free(c->version_status);
	free(c->task_status);
	free(c->publish_asset_type);
	memset(c, 0, sizeof *c);
}

const char *
ffconf_prefix(const struct ffconf *c, const char *location)
{
	return (json_string_value(json_object_get(c->prefixes, location)));
}
