/*
 * A publish's plan (docs/ftrack.md "Publishing back"): from a ferry job
 * done at the hub, what ftrack will get. Every file of the job becomes a
 * FileComponent, except files that form an image sequence
 * ("plate.1001.exr", "plate.1002.exr" in one directory: a frame number
 * between a '.' or '_' and the extension, at least two frames), which
 * become one SequenceComponent with a FileComponent member per frame, as
 * ftrack's Python client makes them. The asset is named after what was
 * published: the common stem of the components ("plate" for
 * plate.%04d.exr and plate.mov), without a trailing version ("comp_v003"
 * is "comp"), else the directory holding them all. Every id is chosen
 * here, before anything is created, and the plan is spooled: a create
 * retried after a crash is then refused by ftrack as a duplicate instead
 * of making a second version.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "publish-plan.h"
#include "rest.h"

/* A name for an asset when nothing published gives one. */
#define PLAN_DEFAULT_ASSET	"publish"

/* A new id in the plan under key. */
static int
plan_id(json_t *o, const char *key)
{
	char	uuid[REST_UUID_LEN];

	if (rest_uuid(uuid) != 0)
		return (FERRY_ERR_CRYPTO);
	return (json_object_set_new(o, key, json_string(uuid)) == 0 ? 0 :
	    FERRY_ERR_NOMEM);
}

static const char *
plan_base(const char *path)
{
	const char	*slash = strrchr(path, '/');

	return (slash != NULL ? slash + 1 : path);
}

/*
 * Where the frame number of a file name is: its digits end where the
 * extension starts, and a '.' or '_' comes before them. 0 if none.
 */
static int
plan_frame(const char *base, size_t *startp, size_t *lenp)
{
	const char	*dot = strrchr(base, '.');
	size_t		 end, start;

	if (dot == NULL || dot == base)
		return (0);
	end = (size_t)(dot - base);
	for (start = end; start > 0 && isdigit((unsigned char)base[start - 1]);
	    start--)
		;
	if (start == end || start == 0 || end - start > 9 ||
	    (base[start - 1] != '.' && base[start - 1] != '_'))
		return (0);
	*startp = start;
	*lenp = end - start;
	return (1);
}

/* The key that frames of one sequence share: directory, head, tail. */
static char *
plan_seq_key(const char *dst, size_t start, size_t len)
{
	size_t	 off = (size_t)(plan_base(dst) - dst) + start;
	char	*key;

	if ((key = malloc(strlen(dst) + 2)) == NULL)
		return (NULL);
	memcpy(key, dst, off);
	key[off] = '\n';
	strcpy(key + off + 1, dst + off + len);
	return (key);
}

/* The extension with its dot, as ftrack's file_type; "" for none. */
static const char *
plan_file_type(const char *base)
{
	const char	*dot = strrchr(base, '.');

	return (dot != NULL && dot != base ? dot : "");
}

/* Groups the job's done tasks: {key: [task, ...]}, in dst order. */
static json_t *
plan_group(const json_t *tasks)
{
	json_t		*groups = json_object(), *t, *list;
	const char	*dst, *state;
	char		*key;
	size_t		 i, start, len;

	json_array_foreach(tasks, i, t) {
		dst = json_string_value(json_object_get(t, "dst"));
		state = json_string_value(json_object_get(t, "state"));
		if (dst == NULL || state == NULL || strcmp(state, "done") != 0)
			continue;
		if (plan_frame(plan_base(dst), &start, &len))
			key = plan_seq_key(dst, start, len);
		else
			key = strdup(dst);
		if (key == NULL)
			continue;
		if ((list = json_object_get(groups, key)) == NULL) {
			list = json_array();
			json_object_set_new(groups, key, list);
		}
		json_array_append(list, t);
		free(key);
	}
	return (groups);
}

/* A component name not used yet in the version: name, name-2, ... */
static void
plan_unique_name(json_t *used, const char *name, char *out, size_t len)
{
	int	n;

	snprintf(out, len, "%s", name);
	for (n = 2; json_object_get(used, out) != NULL; n++)
		snprintf(out, len, "%s-%d", name, n);
	json_object_set_new(used, out, json_true());
}

static json_t *
plan_member(const json_t *t, int with_frame_name)
{
	const char	*dst = json_string_value(json_object_get(t, "dst"));
	const char	*base = plan_base(dst);
	json_t		*m;
	char		 frame[16];
	size_t		 start, len;

	m = json_pack("{s:O, s:O, s:I}", "src", json_object_get(t, "src"),
	    "dst", json_object_get(t, "dst"), "size",
	    json_integer_value(json_object_get(t, "size")));
	if (m == NULL || plan_id(m, "id") != 0) {
		json_decref(m);
		return (NULL);
	}
	/* A member is named by its frame number, unpadded ("1001"). */
	if (with_frame_name && plan_frame(base, &start, &len)) {
		snprintf(frame, sizeof frame, "%ld", strtol(base + start, NULL,
		    10));
		json_object_set_new(m, "name", json_string(frame));
	}
	return (m);
}

/* One item: a file, or a sequence with its members. */
static json_t *
plan_item(const json_t *list, json_t *used)
{
	const json_t	*first = json_array_get(list, 0);
	const char	*dst = json_string_value(json_object_get(first,
			    "dst"));
	const char	*base = plan_base(dst);
	json_t		*item, *members, *m, *t;
	char		 name[512], head[256];
	size_t		 i, start, len, hl;
	int		 seq = json_array_size(list) > 1, padding;

	item = json_pack("{s:s, s:s}", "type", seq ? "sequence" : "file",
	    "file_type", plan_file_type(base));
	if (item == NULL || plan_id(item, "id") != 0)
		goto fail;
	if (!seq) {
		plan_unique_name(used, base, name, sizeof name);
		json_object_set_new(item, "name", json_string(name));
		json_object_set_new(item, "src", json_deep_copy(
		    json_object_get(first, "src")));
		json_object_set_new(item, "dst", json_string(dst));
		json_object_set_new(item, "size", json_integer(
		    json_integer_value(json_object_get(first, "size"))));
		return (item);
	}
	plan_frame(base, &start, &len);
	hl = start - 1 < sizeof head - 1 ? start - 1 : sizeof head - 1;
	memcpy(head, base, hl);
	head[hl] = '\0';
	snprintf(head + hl, sizeof head - hl, "%s", base + start + len);
	plan_unique_name(used, head, name, sizeof name);
	json_object_set_new(item, "name", json_string(name));
	/* Padded when every frame has as many digits (ftrack's padding). */
	padding = (int)len;
	members = json_array();
	json_object_set_new(item, "members", members);
	json_array_foreach(list, i, t) {
		base = plan_base(json_string_value(json_object_get(t, "dst")));
		if (plan_frame(base, &start, &len) && (int)len != padding)
			padding = 0;
		if ((m = plan_member(t, 1)) == NULL)
			goto fail;
		json_array_append_new(members, m);
	}
	json_object_set_new(item, "padding", json_integer(padding));
	return (item);
fail:
	json_decref(item);
	return (NULL);
}

/* "comp_v003" -> "comp"; "plate." -> "plate". */
static void
plan_strip_version(char *s)
{
	size_t	n = strlen(s), d = n;

	while (d > 0 && isdigit((unsigned char)s[d - 1]))
		d--;
	if (d < n && d > 0 && (s[d - 1] == 'v' || s[d - 1] == 'V') &&
	    (d == 1 || strchr("._-", s[d - 2]) != NULL))
		s[d > 1 ? d - 2 : 0] = '\0';
	n = strlen(s);
	while (n > 0 && strchr("._- ", s[n - 1]) != NULL)
		s[--n] = '\0';
}

/* The asset's name: the components' common stem, or their directory. */
static void
plan_asset_name(const json_t *items, char *out, size_t len)
{
	const json_t	*item;
	const char	*name, *dst, *slash;
	char		 stem[256], dir[512] = "";
	size_t		 i, n, common = (size_t)-1;
	int		 same = 1;

	out[0] = '\0';
	json_array_foreach(items, i, item) {
		name = json_string_value(json_object_get(item, "name"));
		n = strcspn(name, ".");
		snprintf(stem, sizeof stem, "%.*s", (int)n, name);
		plan_strip_version(stem);
		if (i == 0)
			snprintf(out, len, "%s", stem);
		else if (strcmp(out, stem) != 0)
			same = 0;
		dst = json_string_value(json_object_get(item, "dst"));
		if (dst == NULL)
			dst = json_string_value(json_object_get(json_array_get(
			    json_object_get(item, "members"), 0), "dst"));
		if (i == 0)
			snprintf(dir, sizeof dir, "%s", dst);
		for (n = 0; dir[n] != '\0' && dir[n] == dst[n]; n++)
			;
		common = n < common ? n : common;
	}
	if (same && out[0] != '\0')
		return;
	/* The deepest directory every component is in. */
	if (common < sizeof dir)
		dir[common] = '\0';
	if ((slash = strrchr(dir, '/')) != NULL)
		dir[slash - dir] = '\0';
	snprintf(out, len, "%s", plan_base(dir));
	plan_strip_version(out);
	if (out[0] == '\0')
		snprintf(out, len, "%s", PLAN_DEFAULT_ASSET);
}

int
publish_plan(const json_t *job, json_t **planp, char **cause)
{
	const json_t	*pub = json_object_get(json_object_get(job, "meta"),
			    "publish");
	json_t		*plan, *groups, *items, *list, *item, *used;
	const char	*key;
	char		 asset[256];
	int		 r = 0;

	plan = json_pack("{s:O, s:O?, s:O?, s:O?, s:O?}", "task_id",
	    json_object_get(pub, "task"), "note", json_object_get(pub, "note"),
	    "by", json_object_get(pub, "by"), "dest", json_object_get(job,
	    "to"), "source", json_object_get(job, "from"));
	if (plan == NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "the job's "
		    "meta.publish has no task"));
	items = json_array();
	json_object_set_new(plan, "items", items);
	groups = plan_group(json_object_get(job, "tasks"));
	used = json_object();
	json_object_foreach(groups, key, list) {
		if ((item = plan_item(list, used)) == NULL) {
			r = err_set(cause, FERRY_ERR_NOMEM, "out of memory");
			break;
		}
		json_array_append_new(items, item);
	}
	json_decref(used);
	json_decref(groups);
	if (r == 0 && json_array_size(items) == 0)
		r = err_set(cause, FERRY_ERR_NOTFOUND, "the job delivered no "
		    "file");
	if (r == 0) {
		plan_asset_name(items, asset, sizeof asset);
		json_object_set_new(plan, "asset_name", json_string(asset));
		if (plan_id(plan, "asset_id") != 0 ||
		    plan_id(plan, "version_id") != 0 ||
		    plan_id(plan, "note_id") != 0)
			r = err_set(cause, FERRY_ERR_CRYPTO, "no random uuid "
			    "for the publish");
	}
	if (r != 0) {
		json_decref(plan);
		return (r);
	}
	*planp = plan;
	return (0);
}
