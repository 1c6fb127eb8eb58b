/*
 * A send's "meta" (docs/api.md): a JSON object the hub keeps with the job
 * and shows in `jobs` and `job`, for the tools that follow jobs. The one
 * meaning ferry gives it is "publish" ({"task", "note", "by"}), which
 * ferry-ftrack turns into an AssetVersion on that ftrack task
 * (docs/ftrack.md). Whoever may write it decides what ftrack is told, so:
 * a local client of the hub (the studio's own tools, as the hub's user)
 * may store any object; an agent, for a person or a site, only
 * {"publish": {"task", "note"}}, and the hub itself writes "by" as the
 * agent it knows, so that a vendor cannot publish in someone else's name.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ferryd.h"

/* More than any task id and note; the store keeps meta as text. */
#define JOBMETA_MAX		16384
#define JOBMETA_TASK_MAX	128
#define JOBMETA_NOTE_MAX	4096

/* A string member of at most max bytes, or absent. */
static int
jobmeta_string(const json_t *o, const char *key, size_t max, char **cause)
{
	const json_t	*v = json_object_get(o, key);

	if (v == NULL)
		return (0);
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > max)
		return (err_set(cause, FERRY_ERR_INVAL, "meta.publish.%s must "
		    "be a string of 1 to %zu bytes", key, max));
	if (strlen(json_string_value(v)) != json_string_length(v))
		return (err_set(cause, FERRY_ERR_INVAL, "meta.publish.%s holds "
		    "a NUL byte", key));
	return (0);
}

/* What an agent may say: {"publish": {"task"?, "note"?}}, nothing else. */
static int
jobmeta_agent(const json_t *meta, char **cause)
{
	const json_t	*pub = json_object_get(meta, "publish");
	const char	*key;
	json_t		*v;
	int		 r;

	json_object_foreach((json_t *)meta, key, v) {
		if (strcmp(key, "publish") != 0)
			return (err_set(cause, FERRY_ERR_DENIED, "an agent may "
			    "give a job only meta.publish, not meta.%.64s",
			    key));
	}
	if (!json_is_object(pub))
		return (err_set(cause, FERRY_ERR_INVAL, "meta.publish must be "
		    "an object"));
	json_object_foreach((json_t *)pub, key, v) {
		if (strcmp(key, "task") != 0 && strcmp(key, "note") != 0)
			return (err_set(cause, FERRY_ERR_DENIED, "an agent may "
			    "give meta.publish only \"task\" and \"note\" (the "
			    "hub writes \"by\"), not \"%.64s\"", key));
	}
	if ((r = jobmeta_string(pub, "task", JOBMETA_TASK_MAX, cause)) != 0)
		return (r);
	return (jobmeta_string(pub, "note", JOBMETA_NOTE_MAX, cause));
}

/*
 * The endpoint an agent's request is made for: the hub's relay writes
 * "_by" as "ENDPOINT (agent NAME)", and no site or e-mail holds " (".
 */
static int
jobmeta_endpoint(const json_t *req, char *out, size_t len, char **cause)
{
	const char	*by = json_string_value(json_object_get(req, "_by"));
	const char	*end;
	const char	*from = json_string_value(json_object_get(req,
			    "from"));

	if (by == NULL || (end = strstr(by, " (agent ")) == NULL ||
	    (size_t)(end - by) >= len)
		return (err_set(cause, FERRY_ERR_INVAL, "meta from an agent "
		    "that the hub cannot name"));
	memcpy(out, by, (size_t)(end - by));
	out[end - by] = '\0';
	/* A publish is the agent's own work, sent from its own place. */
	if (from == NULL || strcmp(from, out) != 0)
		return (err_set(cause, FERRY_ERR_DENIED, "a publish from this "
		    "agent must be sent from %s", out));
	return (0);
}

int
jobmeta_check(const json_t *req, char **metap, char **cause)
{
	const json_t	*meta = json_object_get(req, "meta");
	json_t		*copy;
	char		*text, who[256];
	int		 r;

	*metap = NULL;
	if (meta == NULL || json_is_null(meta))
		return (0);
	if (!json_is_object(meta))
		return (err_set(cause, FERRY_ERR_INVAL, "meta must be a JSON "
		    "object"));
	if (json_object_get(req, "_by") != NULL &&
	    ((r = jobmeta_agent(meta, cause)) != 0 ||
	    (r = jobmeta_endpoint(req, who, sizeof who, cause)) != 0))
		return (r);
	if ((copy = json_deep_copy(meta)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	/* An agent's person is the hub's word, never the agent's. */
	if (json_object_get(req, "_by") != NULL)
		json_object_set_new(json_object_get(copy, "publish"), "by",
		    json_string(who));
	text = json_dumps(copy, JSON_COMPACT);
	json_decref(copy);
	if (text == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	if (strlen(text) > JOBMETA_MAX) {
		free(text);
		return (err_set(cause, FERRY_ERR_INVAL, "meta is larger than "
		    "%d bytes", JOBMETA_MAX));
	}
	*metap = text;
	return (0);
}
