/*
 * After a ferry job is done: tell ftrack where the files are now
 * (register.h: a ComponentLocation in the destination for each delivered
 * component, with the path the destination sees), tell other integrations
 * (ftrack.location.component-added, as ftrack's Python client publishes
 * it), and, when configured, set statuses on the versions delivered and
 * their tasks.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "eventhub.h"
#include "ferry-ftrack.h"
#include "ftq.h"
#include "log.h"
#include "register.h"
#include "resolve.h"
#include "rest.h"
#include "spool.h"

#define FINISH_ADDED_TOPIC	"ftrack.location.component-added"

/* What dst_of() reads: delivered source paths, and the destination's
 * prefix (a custom location holds identifiers relative to it). */
struct finish_map {
	json_t		*dst;		/* {src path: dst path} */
	const char	*prefix;	/* NULL: full paths */
};

static const char *
finish_dst_of(const char *src, void *arg)
{
	struct finish_map	*m = arg;
	const char		*dst;
	size_t			 n;

	if ((dst = json_string_value(json_object_get(m->dst, src))) == NULL ||
	    m->prefix == NULL)
		return (dst);
	/* As ftrack's DiskAccessor: prefix + "/" + identifier. */
	n = strlen(m->prefix);
	if (strncmp(dst, m->prefix, n) != 0)
		return (dst);
	if (n > 0 && (m->prefix[n - 1] == '/' || m->prefix[n - 1] == '\\'))
		return (dst + n);
	if (dst[n] == '/' || dst[n] == '\\')
		return (dst + n + 1);
	return (dst);
}

/*
 * One event per component registered now, members first, with the data
 * ftrack's Python client gives it (Location.add_components): other
 * integrations listen for these. A failure is logged, not fatal: the
 * registration is what counts.
 */
static void
finish_announce(struct ff *ff, const char *location_id, const json_t *added)
{
	const json_t	*id;
	json_t		*event;
	char		*cause = NULL;
	size_t		 i;

	/*
	 * Idle beside a standby hub (docs/ftrack.md, "Beside two hubs"), it
	 * finishes its own deliveries off the event hub: nothing to say it on.
	 */
	if (ff->hub == NULL) {
		if (json_array_size(added) > 0)
			log_warnx("%zu %s events not published: this "
			    "ferry-ftrack is idle, off the event hub",
			    json_array_size(added), FINISH_ADDED_TOPIC);
		return;
	}
	json_array_foreach(added, i, id) {
		event = json_pack("{s:s, s:{s:O, s:s}}", "topic",
		    FINISH_ADDED_TOPIC, "data", "component_id", id,
		    "location_id", location_id);
		if (event == NULL || eventhub_publish(ff->hub, event, NULL,
		    NULL, NULL, &cause) != 0) {
			log_warnx("cannot publish %s for component %s: %s",
			    FINISH_ADDED_TOPIC, json_string_value(id),
			    cause != NULL ? cause : "out of memory");
			free(cause);
			json_decref(event);
			return;
		}
		json_decref(event);
	}
}

int
finish_register_files(struct ff *ff, const char *dest,
    const char *location_id, const json_t *files, const json_t *dst,
    size_t *countp, char **cause)
{
	struct resolve_result	 res = { NULL, 0 };
	struct register_stats	 st;
	struct finish_map	 m;
	json_t			*added;
	int			 r;

	*countp = 0;
	if ((r = resolved_from_json(files, &res, cause)) != 0 || res.n == 0)
		return (r);
	m.dst = (json_t *)dst;
	m.prefix = ffconf_prefix(&ff->conf, dest);
	memset(&st, 0, sizeof st);
	added = json_array();
	r = register_delivery_added(ff->rest, location_id, &res,
	    finish_dst_of, &m, &st, added, cause);
	if (r == 0)
		*countp = st.created + st.existing;
	/* What got registered is announced, even when a later batch failed. */
	finish_announce(ff, location_id, added);
	json_decref(added);
	resolve_result_clear(&res);
	return (r);
}

int
finish_register(struct ff *ff, const struct spool_delivery *d,
    const json_t *job, size_t *countp, char **cause)
{
	const json_t	*t;
	const char	*src, *dst, *state;
	json_t		*map;
	size_t		 i;
	int		 r;

	map = json_object();
	json_array_foreach(json_object_get(job, "tasks"), i, t) {
		src = json_string_value(json_object_get(t, "src"));
		dst = json_string_value(json_object_get(t, "dst"));
		state = json_string_value(json_object_get(t, "state"));
		if (src != NULL && dst != NULL && state != NULL &&
		    strcmp(state, "done") == 0)
			json_object_set_new(map, src, json_string(dst));
	}
	r = finish_register_files(ff, d->dest, d->dest_location_id, d->files,
	    map, countp, cause);
	json_decref(map);
	return (r);
}

/* The ids of the statuses named in the configuration: {name: id}. */
static int
finish_status_ids(struct ff *ff, json_t **idsp, char **cause)
{
	json_t	*names = json_array(), *rows = NULL, *row, *ids;
	char	*expr = NULL;
	size_t	 i;
	int	 r;

	if (ff->conf.version_status != NULL)
		json_array_append_new(names, json_string(
		    ff->conf.version_status));
	if (ff->conf.task_status != NULL)
		json_array_append_new(names, json_string(ff->conf.task_status));
	r = ftq_format(&expr, cause, "select id, name from Status where name "
	    "in (%L)", names);
	json_decref(names);
	if (r == 0)
		r = rest_query_all(ff->rest, expr, &rows, cause);
	free(expr);
	if (r != 0)
		return (r);
	ids = json_object();
	json_array_foreach(rows, i, row)
		json_object_set(ids, json_string_value(json_object_get(row,
		    "name")), json_object_get(row, "id"));
	json_decref(rows);
	*idsp = ids;
	return (0);
}

/*
 * The versions of the delivered components, and their tasks. Members of
 * sequences and containers have no version of their own (ftrack's Python
 * client gives them only container_id): theirs is their container's.
 */
static int
finish_owners(struct ff *ff, const struct spool_delivery *d,
    json_t *versions, json_t *tasks, char **cause)
{
	json_t		*ids = json_array(), *exprs = NULL, *rows = NULL;
	json_t		*f, *row, *owner;
	const char	*v, *t;
	size_t		 i;
	int		 r;

	json_array_foreach(d->files, i, f)
		json_array_append(ids, json_object_get(f, "component_id"));
	r = ftq_format_chunks(&exprs, 0, cause, "select version_id, "
	    "version.task_id, container.version_id, container.version.task_id "
	    "from Component where id in (%L)", ids);
	json_decref(ids);
	if (r == 0)
		r = rest_query_many(ff->rest, exprs, &rows, cause);
	json_decref(exprs);
	json_array_foreach(rows, i, row) {
		owner = row;
		if (json_string_value(json_object_get(row, "version_id")) ==
		    NULL)
			owner = json_object_get(row, "container");
		v = json_string_value(json_object_get(owner, "version_id"));
		t = json_string_value(json_object_get(json_object_get(owner,
		    "version"), "task_id"));
		if (v != NULL)
			json_object_set_new(versions, v, json_true());
		if (t != NULL)
			json_object_set_new(tasks, t, json_true());
	}
	json_decref(rows);
	return (r);
}

/* Appends an update of each entity's status_id to ops. */
static void
finish_status_ops(json_t *ops, const char *type, const json_t *entities,
    const json_t *status_id)
{
	const char	*id;
	json_t		*v, *data;

	if (!json_is_string(status_id))
		return;
	data = json_pack("{s:O}", "status_id", status_id);
	json_object_foreach((json_t *)entities, id, v)
		json_array_append_new(ops, rest_op_update(type, id, data));
	json_decref(data);
}

int
finish_statuses(struct ff *ff, const struct spool_delivery *d, char **cause)
{
	json_t	*status = NULL, *versions, *tasks, *ops, *res = NULL;
	int	 r;

	if (ff->conf.version_status == NULL && ff->conf.task_status == NULL)
		return (0);
	if ((r = finish_status_ids(ff, &status, cause)) != 0)
		return (r);
	versions = json_object();
	tasks = json_object();
	ops = json_array();
	if ((r = finish_owners(ff, d, versions, tasks, cause)) == 0) {
		if (ff->conf.version_status != NULL)
			finish_status_ops(ops, "AssetVersion", versions,
			    json_object_get(status, ff->conf.version_status));
		if (ff->conf.task_status != NULL)
			finish_status_ops(ops, "Task", tasks,
			    json_object_get(status, ff->conf.task_status));
		if (json_object_size(versions) == 0)
			r = err_set(cause, FERRY_ERR_NOTFOUND, "ftrack gives "
			    "no version for the %zu components delivered",
			    json_array_size(d->files));
		else if (json_array_size(ops) > 0)
			r = rest_call(ff->rest, ops, &res, cause);
		else
			r = err_set(cause, FERRY_ERR_NOTFOUND, "ftrack has no "
			    "status named %s", ff->conf.version_status != NULL ?
			    ff->conf.version_status : ff->conf.task_status);
	}
	json_decref(res);
	json_decref(ops);
	json_decref(versions);
	json_decref(tasks);
	json_decref(status);
	return (r);
}
