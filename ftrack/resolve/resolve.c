/*
 * resolve_selection(): the rounds of resolve-fetch.c, then the checks
 * (something to send, every file in the source location) and the result,
 * sorted by path.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "resolve-int.h"

/* Missing files named in an error before "and N more". */
#define RESOLVE_MISSING_NAMED	3
/*
 * ftrack's own web review media (ftrackreview-mp4, -webm, -image) live in
 * ftrack.review or ftrack.server: sent if the source has them, else left.
 */
#define RESOLVE_REVIEW_PREFIX	"ftrackreview-"

static int
resolve_check_nothing(const struct resolve_ctx *c, char **cause)
{
	if (c->nitems > 0)
		return (0);
	return (err_set(cause, FERRY_ERR_NOTFOUND, "nothing to send: no file "
	    "components under the selection (%zu versions, %zu tasks or "
	    "other contexts, %zu components selected; %zu versions found)",
	    json_array_size(c->sel_versions), json_array_size(c->sel_contexts),
	    json_array_size(c->sel_components), json_array_size(c->whole)));
}

/* The location's name, or its id when ftrack does not know it. */
static const char *
resolve_location_name(const struct resolve_ctx *c, const char *id)
{
	const char	*name = resolve_ctx_str(c->locations, id);

	return (name != NULL ? name : id);
}

static int
resolve_check_locations(const struct resolve_ctx *c, char **cause)
{
	const char	*dst = c->o->dest_location_id;

	if (json_object_get(c->locations, c->o->source_location_id) == NULL)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "the source "
		    "location %s is not in ftrack", c->o->source_location_id));
	if (dst != NULL && json_object_get(c->locations, dst) == NULL)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "the destination "
		    "location %s is not in ftrack", dst));
	return (0);
}

/* Leaves out review media that the source location does not hold. */
static void
resolve_drop_review(struct resolve_ctx *c)
{
	const char	*name;
	size_t		 i, kept = 0;

	for (i = 0; i < c->nitems; i++) {
		name = resolve_ctx_str(c->items[i].row, "name");
		if (json_object_get(c->ris, c->items[i].id) == NULL &&
		    name != NULL && strncmp(name, RESOLVE_REVIEW_PREFIX,
		    strlen(RESOLVE_REVIEW_PREFIX)) == 0) {
			free(c->items[i].key);
			continue;
		}
		c->items[kept++] = c->items[i];
	}
	c->nitems = kept;
}

/* Names the first files not in the source location, and counts them. */
static int
resolve_check_missing(const struct resolve_ctx *c, char **cause)
{
	struct buf	 b;
	char		*label;
	size_t		 i, missing = 0;
	int		 e;

	buf_init(&b, 0);
	for (i = 0; i < c->nitems; i++) {
		if (json_object_get(c->ris, c->items[i].id) != NULL)
			continue;
		if (missing++ >= RESOLVE_MISSING_NAMED)
			continue;
		label = resolve_files_label(&c->items[i]);
		buf_printf(&b, "%s%s", missing > 1 ? ", " : "",
		    label != NULL ? label : c->items[i].id);
		free(label);
	}
	if (missing == 0)
		return (0);
	if (missing > RESOLVE_MISSING_NAMED)
		buf_printf(&b, " and %zu more", missing -
		    RESOLVE_MISSING_NAMED);
	e = err_set(cause, FERRY_ERR_NOTFOUND, "%s %s not in the source "
	    "location \"%s\" (ftrack has no component location for %s)",
	    buf_str(&b), missing > 1 ? "are" : "is",
	    resolve_location_name(c, c->o->source_location_id),
	    missing > 1 ? "them" : "it");
	buf_free(&b);
	return (e);
}

/* One file of the result; its paths as the source location sees them. */
static int
resolve_file_make(const struct resolve_ctx *c, const struct resolve_item *it,
    struct resolve_file *f, char **cause)
{
	const char	*prefix = c->o->source_prefix, *basis;
	char		*why = NULL, *label;
	int		 e;

	memset(f, 0, sizeof *f);
	e = resolve_path_of(prefix, resolve_ctx_str(c->ris, it->id), &f->path,
	    &why);
	if (e != 0) {
		label = resolve_files_label(it);
		e = err_set(cause, e, "%s in location \"%s\": %s",
		    label != NULL ? label : it->id, resolve_location_name(c,
		    c->o->source_location_id), why != NULL ? why : "bad path");
		free(label);
		free(why);
		return (e);
	}
	/* A basis is a hint: one that is no usable path is left out. */
	if ((basis = resolve_path_basis(c, it)) != NULL &&
	    resolve_path_of(prefix, basis, &f->basis, &why) == FERRY_ERR_NOMEM)
		e = FERRY_ERR_NOMEM;
	free(why);
	f->component_id = strdup(it->id);
	if (it->container_id != NULL)
		f->container_id = strdup(it->container_id);
	if (e != 0 || f->component_id == NULL || (it->container_id != NULL &&
	    f->container_id == NULL))
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	return (0);
}

static int
resolve_file_cmp(const void *a, const void *b)
{
	const struct resolve_file *fa = a, *fb = b;

	return (strcmp(fa->path, fb->path));
}

static int
resolve_build(const struct resolve_ctx *c, struct resolve_result *res,
    char **cause)
{
	size_t	i;
	int	e;

	if ((res->v = calloc(c->nitems, sizeof *res->v)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	for (i = 0; i < c->nitems; i++) {
		/* Counted first, so that clearing frees a half-made file. */
		res->n++;
		if ((e = resolve_file_make(c, &c->items[i], &res->v[i],
		    cause)) != 0)
			return (e);
	}
	qsort(res->v, res->n, sizeof *res->v, resolve_file_cmp);
	return (0);
}

/* Rounds 1 and 2: the files beneath the selection. */
static int
resolve_gather(struct resolve_ctx *c, const json_t *selection, char **cause)
{
	int	e;

	if ((e = resolve_ctx_init(c, cause)) != 0 ||
	    (e = resolve_select_parse(c, selection, cause)) != 0 ||
	    (e = resolve_fetch_versions(c, cause)) != 0 ||
	    (e = resolve_files_latest(c, cause)) != 0 ||
	    (e = resolve_fetch_components(c, cause)) != 0 ||
	    (e = resolve_files_list(c, cause)) != 0)
		return (e);
	return (resolve_check_nothing(c, cause));
}

/* Round 3: where they are, and what the destination has. */
static int
resolve_locate(struct resolve_ctx *c, char **cause)
{
	int	e;

	if ((e = resolve_fetch_locations(c, cause)) != 0 ||
	    (e = resolve_check_locations(c, cause)) != 0)
		return (e);
	resolve_drop_review(c);
	if ((e = resolve_check_nothing(c, cause)) != 0)
		return (e);
	return (resolve_check_missing(c, cause));
}

int
resolve_selection(struct rest *r, const json_t *selection,
    const struct resolve_opts *o, struct resolve_result *out, char **cause)
{
	struct resolve_ctx	c;
	struct resolve_result	res = { NULL, 0 };
	int			e;

	if (o == NULL || o->source_location_id == NULL ||
	    *o->source_location_id == '\0')
		return (err_set(cause, FERRY_ERR_INVAL, "no source location "
		    "to resolve the selection in"));
	memset(&c, 0, sizeof c);
	c.r = r;
	c.o = o;
	if ((e = resolve_gather(&c, selection, cause)) == 0 &&
	    (e = resolve_locate(&c, cause)) == 0)
		e = resolve_build(&c, &res, cause);
	resolve_ctx_clear(&c);
	if (e != 0) {
		resolve_result_clear(&res);
		return (e);
	}
	*out = res;
	return (0);
}

void
resolve_result_clear(struct resolve_result *res)
{
	size_t	i;

	if (res == NULL)
		return;
	for (i = 0; i < res->n; i++) {
		free(res->v[i].component_id);
		free(res->v[i].container_id);
		free(res->v[i].path);
		free(res->v[i].basis);
	}
	free(res->v);
	res->v = NULL;
	res->n = 0;
}
