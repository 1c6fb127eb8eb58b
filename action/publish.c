/*
 * Publishing back (docs/ftrack.md): a ferry job done at the hub whose
 * meta holds {"publish": {"task", "note", "by"}} becomes, once, an
 * AssetVersion on that ftrack task with a component per file or image
 * sequence, registered in the destination's location, the note its
 * comment; then the hub is asked to tell the task's assignees.
 *
 * Between polls it asks the hub for done jobs; each publish not yet in
 * the spool is planned (publish-plan.c: every id chosen) and spooled
 * before anything is created. Then a state machine, each step recorded
 * once ftrack has it: planned -> created (the version, its components and
 * its note, in one ftrack transaction) -> registered -> done. A restart
 * anywhere repeats at most the step it was in, and each step is safe to
 * repeat: the version is looked up by its planned id before any create,
 * a create whose answer was lost is refused as a duplicate of that id,
 * and registration keeps what is there.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "ferry-ftrack.h"
#include "ftq.h"
#include "log.h"
#include "rest.h"
#include "spool.h"

/* Done jobs looked at on each poll, newest first. */
#define PUBLISH_LIST_LIMIT	200
/* Creates tried when someone else takes the next version number. */
#define PUBLISH_VERSION_TRIES	3
/* Polls a publish that fails for a reason that may pass is tried. */
#define PUBLISH_ATTEMPTS	20
#define PUBLISH_ASSET_TYPE	"Upload"

static const char *
publish_str(const json_t *o, const char *key)
{
	return (json_string_value(json_object_get(o, key)));
}

/* The rows of one query (format and values as ftq_format's). */
static int
publish_query(struct ff *ff, json_t **rowsp, char **cause, const char *fmt,
    ...)
{
	struct buf	 b;
	va_list		 ap;
	int		 r;

	buf_init(&b, FTQ_MAX);
	va_start(ap, fmt);
	r = ftq_vformat(&b, cause, fmt, ap);
	va_end(ap);
	if (r == 0)
		r = rest_query(ff->rest, buf_str(&b), rowsp, cause);
	buf_free(&b);
	return (r);
}

/* The first row's string attribute key, or NULL (and *rowsp kept). */
static const char *
publish_first(const json_t *rows, const char *key)
{
	return (publish_str(json_array_get(rows, 0), key));
}

/* Whether the planned version exists; its number in *versionp. */
static int
publish_version_made(struct ff *ff, const json_t *plan, int64_t *versionp,
    char **cause)
{
	json_t	*rows = NULL;
	int	 r;

	*versionp = 0;
	r = publish_query(ff, &rows, cause, "select id, version from "
	    "AssetVersion where id is %q", publish_str(plan, "version_id"));
	if (r == 0 && json_array_size(rows) == 1)
		*versionp = json_integer_value(json_object_get(
		    json_array_get(rows, 0), "version"));
	json_decref(rows);
	return (r);
}

/* The task's context (its parent), and the asset there, if any. */
static int
publish_where(struct ff *ff, json_t *plan, char **cause)
{
	json_t		*rows = NULL;
	const char	*context;
	int		 r;

	if ((r = publish_query(ff, &rows, cause, "select id, name, parent_id "
	    "from TypedContext where id is %q", publish_str(plan,
	    "task_id"))) != 0)
		return (r);
	if (json_array_size(rows) != 1) {
		json_decref(rows);
		return (err_set(cause, FERRY_ERR_NOTFOUND, "ftrack has no task "
		    "%s", publish_str(plan, "task_id")));
	}
	json_object_set(plan, "task_name", json_object_get(json_array_get(
	    rows, 0), "name"));
	context = publish_first(rows, "parent_id");
	json_object_set_new(plan, "context_id", json_string(context != NULL ?
	    context : publish_str(plan, "task_id")));
	json_decref(rows);
	rows = NULL;
	r = publish_query(ff, &rows, cause, "select id from Asset where name "
	    "is %q and context_id is %q", publish_str(plan, "asset_name"),
	    publish_str(plan, "context_id"));
	if (r == 0)
		json_object_set_new(plan, "asset_found", json_boolean(
		    json_array_size(rows) > 0));
	if (r == 0 && json_array_size(rows) > 0)
		json_object_set(plan, "asset_id", json_object_get(
		    json_array_get(rows, 0), "id"));
	json_decref(rows);
	return (r);
}

/* The next number: one past the asset's highest version. */
static int
publish_next_version(struct ff *ff, const json_t *plan, int64_t *nextp,
    char **cause)
{
	json_t	*rows = NULL;
	int	 r;

	*nextp = 1;
	if (json_is_false(json_object_get(plan, "asset_found")))
		return (0);
	r = publish_query(ff, &rows, cause, "select version from AssetVersion "
	    "where asset_id is %q order by version descending limit 1",
	    publish_str(plan, "asset_id"));
	if (r == 0 && json_array_size(rows) > 0)
		*nextp = json_integer_value(json_object_get(json_array_get(
		    rows, 0), "version")) + 1;
	json_decref(rows);
	return (r);
}

/* Who published, as an ftrack user (NULL: none has that e-mail). */
static int
publish_user(struct ff *ff, json_t *plan, char **cause)
{
	json_t		*rows = NULL;
	const char	*by = publish_str(plan, "by");
	int		 r;

	if (by == NULL || json_object_get(plan, "user_id") != NULL)
		return (0);
	r = publish_query(ff, &rows, cause, "select id from User where email "
	    "is %q", by);
	if (r == 0 && json_array_size(rows) > 0)
		json_object_set(plan, "user_id", json_object_get(
		    json_array_get(rows, 0), "id"));
	json_decref(rows);
	return (r);
}

/* A new asset's type, by the configured name. */
static int
publish_asset_type(struct ff *ff, json_t *plan, char **cause)
{
	const char	*name = ff->conf.publish_asset_type != NULL ?
			    ff->conf.publish_asset_type : PUBLISH_ASSET_TYPE;
	json_t		*rows = NULL;
	int		 r;

	r = publish_query(ff, &rows, cause, "select id from AssetType where "
	    "name is %q", name);
	if (r == 0 && json_array_size(rows) == 0)
		r = err_set(cause, FERRY_ERR_NOTFOUND, "ftrack has no asset "
		    "type \"%s\" for a new asset \"%s\" (publish_asset_type)",
		    name, publish_str(plan, "asset_name"));
	if (r == 0)
		json_object_set(plan, "asset_type_id", json_object_get(
		    json_array_get(rows, 0), "id"));
	json_decref(rows);
	return (r);
}

static void
publish_op(json_t *ops, const char *type, json_t *data)
{
	json_array_append_new(ops, rest_op_create(type, data));
	json_decref(data);
}

/* The components of the version: a file, or a sequence and its frames. */
static void
publish_component_ops(json_t *ops, const json_t *plan)
{
	const json_t	*item, *m;
	const char	*vid = publish_str(plan, "version_id");
	json_int_t	 size;
	size_t		 i, j;

	json_array_foreach(json_object_get(plan, "items"), i, item) {
		if (strcmp(publish_str(item, "type"), "file") == 0) {
			publish_op(ops, "FileComponent", json_pack("{s:O, s:O, "
			    "s:O, s:O, s:s}", "id", json_object_get(item, "id"),
			    "name", json_object_get(item, "name"), "file_type",
			    json_object_get(item, "file_type"), "size",
			    json_object_get(item, "size"), "version_id", vid));
			continue;
		}
		size = 0;
		json_array_foreach(json_object_get(item, "members"), j, m)
			size += json_integer_value(json_object_get(m, "size"));
		publish_op(ops, "SequenceComponent", json_pack("{s:O, s:O, "
		    "s:O, s:O, s:I, s:s}", "id", json_object_get(item, "id"),
		    "name", json_object_get(item, "name"), "file_type",
		    json_object_get(item, "file_type"), "padding",
		    json_object_get(item, "padding"), "size", size,
		    "version_id", vid));
		json_array_foreach(json_object_get(item, "members"), j, m)
			publish_op(ops, "FileComponent", json_pack("{s:O, s:O, "
			    "s:O, s:O, s:O}", "id", json_object_get(m, "id"),
			    "name", json_object_get(m, "name"), "file_type",
			    json_object_get(item, "file_type"), "size",
			    json_object_get(m, "size"), "container_id",
			    json_object_get(item, "id")));
	}
}

/* One batch, one ftrack transaction: [asset], version, components, note. */
static json_t *
publish_ops(struct ff *ff, const json_t *plan, int64_t version)
{
	const char	*note = publish_str(plan, "note");
	json_t		*user = json_object_get(plan, "user_id");
	json_t		*ops = json_array(), *v;

	if (json_is_false(json_object_get(plan, "asset_found")))
		publish_op(ops, "Asset", json_pack("{s:O, s:O, s:O, s:O}", "id",
		    json_object_get(plan, "asset_id"), "name",
		    json_object_get(plan, "asset_name"), "context_id",
		    json_object_get(plan, "context_id"), "type_id",
		    json_object_get(plan, "asset_type_id")));
	v = json_pack("{s:O, s:O, s:O, s:I, s:s}", "id", json_object_get(plan,
	    "version_id"), "asset_id", json_object_get(plan, "asset_id"),
	    "task_id", json_object_get(plan, "task_id"), "version",
	    (json_int_t)version, "comment", note != NULL ? note : "");
	if (v != NULL && user != NULL)
		json_object_set(v, "user_id", user);
	publish_op(ops, "AssetVersion", v);
	publish_component_ops(ops, plan);
	if (note != NULL && *note != '\0')
		publish_op(ops, "Note", json_pack("{s:O, s:s, s:O, s:s, s:s}",
		    "id", json_object_get(plan, "note_id"), "content", note,
		    "parent_id", json_object_get(plan, "version_id"),
		    "parent_type", "AssetVersion", "user_id", json_is_string(
		    user) ? json_string_value(user) : ff->my_user_id));
	return (ops);
}

/* The hub's clearance of a user ("restricted", ...), or NULL. */
static int
publish_clearance(struct ff *ff, const char *email, char *out, size_t len,
    char **cause)
{
	json_t		*req, *rep = NULL, *u;
	const char	*e;
	size_t		 i;
	int		 r;

	out[0] = '\0';
	req = json_pack("{s:s}", "op", "endpoints");
	r = ferryapi_call(ff->hub_state, req, &rep, cause);
	json_decref(req);
	json_array_foreach(json_object_get(rep, "users"), i, u) {
		e = publish_str(u, "email");
		if (e != NULL && strcasecmp(e, email) == 0)
			snprintf(out, len, "%s", publish_str(u, "clearance") !=
			    NULL ? publish_str(u, "clearance") : "restricted");
	}
	json_decref(rep);
	return (r);
}

/*
 * A vendor (a restricted user at the hub) publishes only on tasks ftrack
 * assigns to them: the task id came from their machine, and any id would
 * otherwise put their files into any shot. Sites and employees may
 * publish on any task.
 */
static int
publish_allowed(struct ff *ff, const json_t *plan, char **cause)
{
	const char	*by = publish_str(plan, "by");
	json_t		*rows = NULL;
	char		 clearance[32];
	int		 r;

	if (by == NULL)
		return (0);
	if ((r = publish_clearance(ff, by, clearance, sizeof clearance,
	    cause)) != 0)
		return (r);
	if (strcmp(clearance, "restricted") != 0)
		return (0);
	if ((r = publish_query(ff, &rows, cause, "select id from Appointment "
	    "where context_id is %q and resource.email is %q and type is "
	    "\"assignment\"", publish_str(plan, "task_id"), by)) != 0)
		return (r);
	if (json_array_size(rows) == 0)
		r = err_set(cause, FERRY_ERR_DENIED, "%s is a restricted user "
		    "and ftrack does not assign task %s to them: no version "
		    "made (the files are at %s)", by, publish_str(plan,
		    "task_id"), publish_str(plan, "dest"));
	json_decref(rows);
	return (r);
}

/*
 * The version, made once: if the planned id exists, it was made (its
 * answer lost, or the process killed before the spool heard of it).
 */
static int
publish_create(struct ff *ff, json_t *plan, char **cause)
{
	json_t	*ops, *res = NULL;
	int64_t	 version = 0, made = 0;
	char	 why[512] = "";
	int	 r, tries;

	if ((r = publish_version_made(ff, plan, &made, cause)) != 0)
		return (r);
	if (made > 0)
		goto out;
	if ((r = publish_where(ff, plan, cause)) != 0 ||
	    (r = publish_allowed(ff, plan, cause)) != 0 ||
	    (r = publish_user(ff, plan, cause)) != 0)
		return (r);
	for (tries = 0; tries < PUBLISH_VERSION_TRIES; tries++) {
		if (json_is_false(json_object_get(plan, "asset_found")) &&
		    (r = publish_asset_type(ff, plan, cause)) != 0)
			return (r);
		if ((r = publish_next_version(ff, plan, &version, cause)) != 0)
			return (r);
		ops = publish_ops(ff, plan, version);
		r = rest_call(ff->rest, ops, &res, cause);
		json_decref(ops);
		json_decref(res);
		res = NULL;
		if (r == 0) {
			made = version;
			break;
		}
		snprintf(why, sizeof why, "%s", *cause);
		free(*cause);
		*cause = NULL;
		/* Refused, or the answer lost: did it happen after all? */
		if ((r = publish_version_made(ff, plan, &made, cause)) != 0)
			return (r);
		if (made > 0)
			break;
		/* Someone took the number, or made the asset: look again. */
		if ((r = publish_where(ff, plan, cause)) != 0)
			return (r);
	}
	if (made == 0)
		return (err_set(cause, FERRY_ERR_STATE, "ftrack refused "
		    "version %jd of %s %d times: %s", (intmax_t)version,
		    publish_str(plan, "asset_name"), PUBLISH_VERSION_TRIES,
		    why));
out:
	json_object_set_new(plan, "version", json_integer(made));
	return (0);
}

/* Registers every file at its destination path in the dest's location. */
static int
publish_register(struct ff *ff, json_t *plan, size_t *countp, char **cause)
{
	json_t		*rows = NULL, *files, *map, *item, *m;
	const char	*loc;
	size_t		 i, j;
	int		 r;

	if ((r = publish_query(ff, &rows, cause, "select id from Location "
	    "where name is %q", publish_str(plan, "dest"))) != 0)
		return (r);
	if ((loc = publish_first(rows, "id")) == NULL) {
		json_decref(rows);
		return (err_set(cause, FERRY_ERR_NOTFOUND, "ftrack has no "
		    "location named %s, where the publish was delivered",
		    publish_str(plan, "dest")));
	}
	files = json_array();
	map = json_object();
	json_array_foreach(json_object_get(plan, "items"), i, item) {
		if (json_object_get(item, "members") == NULL) {
			json_array_append_new(files, json_pack("{s:O, s:O}",
			    "component_id", json_object_get(item, "id"), "path",
			    json_object_get(item, "src")));
			json_object_set(map, publish_str(item, "src"),
			    json_object_get(item, "dst"));
		}
		json_array_foreach(json_object_get(item, "members"), j, m) {
			json_array_append_new(files, json_pack("{s:O, s:O, "
			    "s:O}", "component_id", json_object_get(m, "id"),
			    "container_id", json_object_get(item, "id"), "path",
			    json_object_get(m, "src")));
			json_object_set(map, publish_str(m, "src"),
			    json_object_get(m, "dst"));
		}
	}
	r = finish_register_files(ff, publish_str(plan, "dest"), loc, files,
	    map, countp, cause);
	json_decref(files);
	json_decref(map);
	json_decref(rows);
	return (r);
}

/* The task's assignees' e-mails. */
static int
publish_assignees(struct ff *ff, const json_t *plan, json_t **top,
    char **cause)
{
	json_t		*rows = NULL, *row, *to;
	const char	*email;
	size_t		 i;
	int		 r;

	if ((r = publish_query(ff, &rows, cause, "select resource.email from "
	    "Appointment where context_id is %q and type is \"assignment\"",
	    publish_str(plan, "task_id"))) != 0)
		return (r);
	to = json_array();
	json_array_foreach(rows, i, row) {
		email = publish_str(json_object_get(row, "resource"), "email");
		if (email != NULL && *email != '\0')
			json_array_append_new(to, json_string(email));
	}
	json_decref(rows);
	*top = to;
	return (0);
}

/*
 * Asks the hub to tell the assignees (its "notify" request). A hub
 * without it is said once in the log, not retried: the version stands.
 */
static int
publish_notify(struct ff *ff, int64_t job, const json_t *plan, char **cause)
{
	json_t	*to = NULL, *req, *rep = NULL;
	char	*list;
	int	 r;

	if ((r = publish_assignees(ff, plan, &to, cause)) != 0)
		return (r);
	req = json_pack("{s:s, s:s, s:I, s:O}", "op", "notify", "event",
	    "publish-received", "job", (json_int_t)job, "to", to);
	r = ferryapi_call(ff->hub_state, req, &rep, cause);
	json_decref(req);
	json_decref(rep);
	list = json_dumps(to, JSON_COMPACT);
	if (r == FERRY_ERR_DENIED && *cause != NULL &&
	    strstr(*cause, "unknown request") != NULL) {
		if (!ff->notify_missing)
			log_warnx("the hub has no \"notify\" request: the "
			    "assignees of publishes are not told (said once)");
		ff->notify_missing = 1;
		log_info("ferry job %jd: publish not notified to %s",
		    (intmax_t)job, list != NULL ? list : "?");
		free(*cause);
		*cause = NULL;
		r = 0;
	} else if (r == FERRY_ERR_DENIED) {
		/* Refused, not failed: asking again would be refused too. */
		log_warnx("ferry job %jd: the hub refused to notify %s of the "
		    "publish: %s", (intmax_t)job, list != NULL ? list : "?",
		    *cause);
		free(*cause);
		*cause = NULL;
		r = 0;
	} else if (r == 0)
		log_info("ferry job %jd: the hub notifies %s of the publish",
		    (intmax_t)job, list != NULL ? list : "?");
	free(list);
	json_decref(to);
	return (r);
}

/* Gives up on a publish, or counts one more attempt. */
static void
publish_failed(struct ff *ff, const struct spool_publish *p, int r,
    const char *why)
{
	int	 attempts = 0;
	char	*cause = NULL;

	spool_publish_attempted(ff->spool, p->ferry_job, clock_now(),
	    &attempts, NULL);
	/* What is not there will not appear by asking again. */
	if (r == FERRY_ERR_NOTFOUND || r == FERRY_ERR_INVAL ||
	    r == FERRY_ERR_PARSE || r == FERRY_ERR_DENIED ||
	    attempts >= PUBLISH_ATTEMPTS) {
		log_error("ferry job %jd: publish to ftrack task %s failed: %s",
		    (intmax_t)p->ferry_job, p->task_id, why);
		if (spool_publish_set(ff->spool, p->ferry_job, SPOOL_PUB_FAILED,
		    NULL, why, clock_now(), &cause) != 0) {
			log_error("%s", cause);
			free(cause);
		}
		return;
	}
	log_warnx("ferry job %jd: publish to ftrack task %s (%s; attempt %d "
	    "of %d): %s", (intmax_t)p->ferry_job, p->task_id,
	    spool_pub_state_name(p->state), attempts, PUBLISH_ATTEMPTS, why);
}

/* Records a step; on failure the step is done again later (safely). */
static int
publish_record(struct ff *ff, struct spool_publish *p,
    enum spool_pub_state state)
{
	char	*cause = NULL;

	if (spool_publish_set(ff->spool, p->ferry_job, state, p->plan, NULL,
	    clock_now(), &cause) != 0) {
		log_error("ferry job %jd: %s", (intmax_t)p->ferry_job, cause);
		free(cause);
		return (-1);
	}
	p->state = state;
	return (0);
}

/* Takes one publish as far as it goes now. */
static void
publish_advance(struct ff *ff, struct spool_publish *p)
{
	char	 id[32], *cause = NULL;
	size_t	 count = 0;
	int	 r = 0;

	snprintf(id, sizeof id, "%jd", (intmax_t)p->ferry_job);
	if (p->state == SPOOL_PUB_PLANNED) {
		if ((r = publish_create(ff, p->plan, &cause)) != 0)
			goto out;
		/* A test kills here: ftrack has the version, the spool not. */
		stall_after(ff, "publish-made", id);
		if (publish_record(ff, p, SPOOL_PUB_CREATED) != 0)
			goto out;
		log_info("ferry job %jd: %s v%03jd created on ftrack task %s "
		    "(%s)", (intmax_t)p->ferry_job, publish_str(p->plan,
		    "asset_name"), (intmax_t)json_integer_value(
		    json_object_get(p->plan, "version")), p->task_id,
		    publish_str(p->plan, "version_id"));
		stall_after(ff, "publish-created", id);
	}
	if (p->state == SPOOL_PUB_CREATED) {
		if ((r = publish_register(ff, p->plan, &count, &cause)) != 0 ||
		    publish_record(ff, p, SPOOL_PUB_REGISTERED) != 0)
			goto out;
		log_info("ferry job %jd: %zu components of the publish "
		    "registered in %s", (intmax_t)p->ferry_job, count,
		    publish_str(p->plan, "dest"));
	}
	if (p->state == SPOOL_PUB_REGISTERED) {
		if ((r = publish_notify(ff, p->ferry_job, p->plan,
		    &cause)) != 0 || publish_record(ff, p, SPOOL_PUB_DONE) != 0)
			goto out;
		log_info("ferry job %jd: published as %s v%03jd on ftrack task "
		    "%s", (intmax_t)p->ferry_job, publish_str(p->plan,
		    "asset_name"), (intmax_t)json_integer_value(
		    json_object_get(p->plan, "version")), p->task_id);
	}
out:
	if (r != 0)
		publish_failed(ff, p, r, cause != NULL ? cause : err_str(r));
	free(cause);
}

/* A done job with meta.publish.task not yet spooled: plan and spool it. */
static void
publish_take(struct ff *ff, int64_t job_id, const char *task)
{
	json_t	*req, *job = NULL, *plan = NULL;
	char	*cause = NULL;
	int	 r;

	req = json_pack("{s:s, s:I}", "op", "job", "id", (json_int_t)job_id);
	r = ferryapi_call(ff->hub_state, req, &job, &cause);
	json_decref(req);
	if (r != 0) {
		log_warnx("ferry job %jd: cannot read the publish: %s",
		    (intmax_t)job_id, cause);
		free(cause);
		return;
	}
	r = publish_plan(job, &plan, &cause);
	if (r != 0) {
		/* Spooled as failed, so that it is said once. */
		plan = json_pack("{s:s}", "task_id", task);
		log_error("ferry job %jd: publish to ftrack task %s: %s",
		    (intmax_t)job_id, task, cause);
	}
	if (spool_publish_add(ff->spool, job_id, task, plan, clock_now(),
	    r != 0 ? NULL : &cause) != 0) {
		log_error("ferry job %jd: %s", (intmax_t)job_id, cause);
	} else if (r != 0)
		spool_publish_set(ff->spool, job_id, SPOOL_PUB_FAILED, NULL,
		    cause, clock_now(), NULL);
	else
		log_info("ferry job %jd: a publish to ftrack task %s, %zu "
		    "components", (intmax_t)job_id, task, json_array_size(
		    json_object_get(plan, "items")));
	free(cause);
	json_decref(plan);
	json_decref(job);
}

/* The hub's done jobs that are publishes to a task and new here. */
static void
publish_discover(struct ff *ff)
{
	json_t		*req, *rep = NULL, *j;
	const char	*task;
	char		*cause = NULL;
	size_t		 i;
	int		 known, r;

	req = json_pack("{s:s, s:s, s:i}", "op", "jobs", "state", "done",
	    "limit", PUBLISH_LIST_LIMIT);
	r = ferryapi_call(ff->hub_state, req, &rep, &cause);
	json_decref(req);
	if (r != 0) {
		if (!ff->publish_list_failing)
			log_warnx("cannot ask the hub for publishes (said "
			    "once until it answers): %s", cause);
		ff->publish_list_failing = 1;
		free(cause);
		return;
	}
	ff->publish_list_failing = 0;
	json_array_foreach(json_object_get(rep, "jobs"), i, j) {
		/* A publish without a task makes nothing in ftrack. */
		task = publish_str(json_object_get(json_object_get(j, "meta"),
		    "publish"), "task");
		/* A hub that ignores "state" lists jobs still running too. */
		if (task == NULL || *task == '\0' ||
		    publish_str(j, "state") == NULL ||
		    strcmp(publish_str(j, "state"), "done") != 0)
			continue;
		if (spool_publish_known(ff->spool, json_integer_value(
		    json_object_get(j, "id")), &known, &cause) != 0) {
			log_error("%s", cause);
			free(cause);
			break;
		}
		if (!known)
			publish_take(ff, json_integer_value(json_object_get(j,
			    "id")), task);
	}
	json_decref(rep);
}

void
publish_tick(struct ff *ff)
{
	struct spool_publish	 p;
	json_t			*jobs = NULL, *id;
	char			*cause = NULL;
	size_t			 i;

	publish_discover(ff);
	if (spool_publish_pending(ff->spool, &jobs, &cause) != 0) {
		log_error("%s", cause);
		free(cause);
		return;
	}
	json_array_foreach(jobs, i, id) {
		if (*ff->stopping)
			break;
		if (spool_publish_get(ff->spool, json_integer_value(id), &p,
		    &cause) != 0) {
			log_error("%s", cause);
			free(cause);
			cause = NULL;
			continue;
		}
		publish_advance(ff, &p);
		spool_publish_clear(&p);
	}
	json_decref(jobs);
}
