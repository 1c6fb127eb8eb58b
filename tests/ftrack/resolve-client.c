/*
 * Resolution and registration against the ftrack double (run by
 * tests/ftrack/resolve.sh, which starts it and sets FTRACK_SERVER and
 * FTRACK_API_KEY). The fixture's studio: sh010's plate v001 and v002 (24
 * frames and a reference movie each, v001 also in la), sh020's plate
 * v001 (10 frames), hero_prop's model v001 (a file and a container of
 * three textures), everything in hq. Versions, tasks, shots, sequences,
 * projects and components are resolved, with and without latest_only;
 * bases come from the highest earlier version la holds; errors name what
 * is wrong; a shot of 50 versions of 10 components takes three requests;
 * registration creates what is missing, with la's paths, and nothing else.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "ftq.h"
#include "register.h"
#include "resolve.h"
#include "rest.h"
#include "test.h"

/* The fixture's ids (tests/ftrack-double/fixture.json). */
#define HQ		"78304116-eb3d-55ed-af40-bd42f28de2d2"
#define LA		"2a370b92-8d4c-5cbb-ba6d-2168d5a5719b"
#define ANA		"3c5a2649-00bd-5289-a61b-3d37018edb12"
#define PROJECT		"87b94289-7862-5d0c-9baf-5b944e423c7c"
#define SQ010		"ee310ac7-876c-54bf-8811-ac4828acedd4"
#define SH010		"d97710a6-470a-50d8-8e5d-ee722f39e0be"
#define SH030		"ad09c2b1-265b-5ead-9b5f-ec77b7e2c821"
#define COMP_TASK	"2a845f1d-5673-54e6-bcbf-0c918fc6b03c"	/* sh010 */
/* sh010's lighting task: no versions. */
#define LIGHT_TASK	"b3cd08ce-b294-5bfd-8006-f2fae062b26d"
#define HERO_PROP	"4513cf23-5dce-5ed0-8f20-146a71e975d0"
#define PLATE		"c1af84b3-d367-53fa-a125-a375a9387390"	/* sh010's */
#define V001		"a10820ff-d1c6-5207-aea0-901dd2364424"
#define V002		"3af2c6c7-cf8c-5aab-ae53-09c764ba7db2"
#define SH020_V001	"1030ff88-64bd-57ae-b662-e2c5c3d888e4"
#define MODEL_V001	"0004a410-6244-5210-a564-7a4f330bfc66"
#define V002_MAIN	"ac4c361b-6ba4-525b-9a69-ee0cff7bc387"
#define V002_REF	"0f8058fb-18f0-5016-9eef-50fcf4d97643"
#define V002_1001	"8cb8ca3f-a742-5a8d-b65c-93aa9cd6c634"
#define TEXTURES	"8c339998-1a43-5507-b4aa-8cfcd2dc3074"

#define SH010_DIR	"/mnt/projects/demo/sq010/sh010/plate/"
#define LA_SH010_DIR	"/mnt/la/projects/demo/sq010/sh010/plate/"

static struct rest	*r;
static struct rest	*other;		/* someone else's session */
static const char	*url, *key;
/* The source prefix resolve() passes on. */
static const char	*prefix;

static unsigned long
requests(void)
{
	struct rest_stats	st;

	rest_get_stats(r, &st);
	return (st.requests);
}

/* A selection of one entity. */
static json_t *
sel(const char *type, const char *id)
{
	return (json_pack("[{s:s, s:s}]", "entityId", id, "entityType", type));
}

/*
 * Resolves selection (taken over) from src for dst; *nreqp: the requests
 * it took. Returns the error, with its cause in *causep (freed by the
 * caller) when causep is set.
 */
static int
resolve(json_t *selection, const char *src, const char *dst, int latest,
    struct resolve_result *res, unsigned long *nreqp, char **causep)
{
	struct resolve_opts	 o;
	unsigned long		 before = requests();
	char			*cause = NULL;
	int			 e;

	memset(&o, 0, sizeof o);
	o.source_location_id = src;
	o.dest_location_id = dst;
	o.latest_only = latest;
	o.source_prefix = prefix;
	memset(res, 0, sizeof *res);
	e = resolve_selection(r, selection, &o, res, &cause);
	if (nreqp != NULL)
		*nreqp = requests() - before;
	if (e != 0 && causep == NULL)
		TEST_FAIL("resolve: %s", cause);
	if (causep != NULL)
		*causep = cause;
	else
		free(cause);
	json_decref(selection);
	test_checks++;
	if (cause != NULL && strstr(cause, key) != NULL)
		TEST_FAIL("a cause shows the API key: %s", cause);
	return (e);
}

/* The file whose path is p, or NULL. */
static const struct resolve_file *
file_at(const struct resolve_result *res, const char *p)
{
	size_t	i;

	for (i = 0; i < res->n; i++) {
		if (strcmp(res->v[i].path, p) == 0)
			return (&res->v[i]);
	}
	return (NULL);
}

/* Files whose path starts with dir. */
static size_t
count_under(const struct resolve_result *res, const char *dir)
{
	size_t	i, n = 0;

	for (i = 0; i < res->n; i++)
		n += strncmp(res->v[i].path, dir, strlen(dir)) == 0;
	return (n);
}

static size_t
count_bases(const struct resolve_result *res)
{
	size_t	i, n = 0;

	for (i = 0; i < res->n; i++)
		n += res->v[i].basis != NULL;
	return (n);
}

/* Sorted by path, each path once. */
static void
check_sorted(const struct resolve_result *res)
{
	size_t	i;

	for (i = 1; i < res->n; i++)
		ASSERT_TRUE(strcmp(res->v[i - 1].path, res->v[i].path) < 0);
}

static void put(const char *, const char *, const char *);

/* Runs a formatted query with one string argument; returns the rows. */
static json_t *
query(const char *fmt, const char *arg)
{
	json_t	*rows = NULL;
	char	*expr = NULL, *cause = NULL;

	if (ftq_format(&expr, &cause, fmt, arg) != 0 ||
	    rest_query_all(r, expr, &rows, &cause) != 0)
		TEST_FAIL("query %s: %s", fmt, cause);
	free(expr);
	free(cause);
	return (rows != NULL ? rows : json_array());
}

static size_t
count_rows(const char *fmt, const char *arg)
{
	json_t	*rows = query(fmt, arg);
	size_t	 n = json_array_size(rows);

	json_decref(rows);
	return (n);
}

/*
 * The ComponentLocations in la of a version's components: its own and,
 * since members carry only container_id, those of its containers.
 */
static size_t
count_in_la(const char *version)
{
	return (count_rows("select id from ComponentLocation where "
	    "location.name is \"la\" and component_id in (select id from "
	    "Component where version_id is %q)", version) + count_rows("select "
	    "id from ComponentLocation where location.name is \"la\" and "
	    "component.container.version_id is %q", version));
}

static char *
create(const char *type, json_t *data)
{
	json_t	*out = NULL;
	char	*cause = NULL, *id;

	if (rest_create(r, type, data, &out, &cause) != 0)
		TEST_FAIL("create %s: %s", type, cause);
	id = strdup(json_string_value(json_object_get(out, "id")));
	json_decref(out);
	json_decref(data);
	free(cause);
	return (id);
}

static void
delete(const char *type, char *id)
{
	char	*cause = NULL;

	if (rest_delete(r, type, id, &cause) != 0)
		TEST_FAIL("delete %s %s: %s", type, id, cause);
	free(cause);
	free(id);
}

/* sh010's plate v002: 24 frames and the movie, v001's as bases. */
static void
test_version(void)
{
	struct resolve_result		 res;
	const struct resolve_file	*f;
	unsigned long			 n;

	resolve(sel("assetversion", V002), HQ, LA, 0, &res, &n, NULL);
	ASSERT_INT_EQ(n, 3);
	ASSERT_INT_EQ(res.n, 25);
	ASSERT_INT_EQ(count_under(&res, SH010_DIR "v002/"), 25);
	check_sorted(&res);
	f = file_at(&res, SH010_DIR "v002/plate.1001.exr");
	ASSERT_TRUE(f != NULL);
	if (f != NULL) {
		ASSERT_STR_EQ(f->component_id, V002_1001);
		ASSERT_STR_EQ(f->container_id, V002_MAIN);
		/* The basis is v001's same frame, as hq sees it. */
		ASSERT_STR_EQ(f->basis, SH010_DIR "v001/plate.1001.exr");
	}
	f = file_at(&res, SH010_DIR "v002/plate.1024.exr");
	ASSERT_TRUE(f != NULL && f->basis != NULL);
	if (f != NULL)
		ASSERT_STR_EQ(f->basis, SH010_DIR "v001/plate.1024.exr");
	f = file_at(&res, SH010_DIR "v002/reference.mov");
	ASSERT_TRUE(f != NULL);
	if (f != NULL) {
		ASSERT_STR_EQ(f->component_id, V002_REF);
		ASSERT_TRUE(f->container_id == NULL);
		ASSERT_STR_EQ(f->basis, SH010_DIR "v001/reference.mov");
	}
	ASSERT_INT_EQ(count_bases(&res), 25);
	resolve_result_clear(&res);
	ASSERT_TRUE(res.v == NULL && res.n == 0);
	resolve_result_clear(&res);

	/* Ana's location holds nothing, and without a destination: none. */
	resolve(sel("AssetVersion", V002), HQ, ANA, 0, &res, NULL, NULL);
	ASSERT_INT_EQ(res.n, 25);
	ASSERT_INT_EQ(count_bases(&res), 0);
	resolve_result_clear(&res);
	resolve(sel("asset_version", V002), HQ, NULL, 0, &res, &n, NULL);
	ASSERT_INT_EQ(res.n, 25);
	ASSERT_INT_EQ(count_bases(&res), 0);
	ASSERT_INT_EQ(n, 3);
	resolve_result_clear(&res);
	/* v001 is the earliest: nothing earlier to start from. */
	resolve(sel("assetversion", V001), HQ, LA, 0, &res, NULL, NULL);
	ASSERT_INT_EQ(res.n, 25);
	ASSERT_INT_EQ(count_bases(&res), 0);
	resolve_result_clear(&res);
}

/* The compositing task of sh010 has both versions (its sequences). */
static void
test_task(void)
{
	struct resolve_result	res;
	unsigned long		n;

	resolve(sel("task", COMP_TASK), HQ, LA, 0, &res, &n, NULL);
	ASSERT_INT_EQ(n, 3);
	ASSERT_INT_EQ(res.n, 50);
	ASSERT_INT_EQ(count_under(&res, SH010_DIR "v001/"), 25);
	ASSERT_INT_EQ(count_under(&res, SH010_DIR "v002/"), 25);
	ASSERT_INT_EQ(count_bases(&res), 25);
	check_sorted(&res);
	resolve_result_clear(&res);

	resolve(sel("task", COMP_TASK), HQ, LA, 1, &res, NULL, NULL);
	ASSERT_INT_EQ(res.n, 25);
	ASSERT_INT_EQ(count_under(&res, SH010_DIR "v002/"), 25);
	ASSERT_INT_EQ(count_bases(&res), 25);
	resolve_result_clear(&res);
}

/* Shots, sequences, asset builds and the project: all beneath. */
static void
test_contexts(void)
{
	struct resolve_result	res;
	json_t			*two;
	unsigned long		n;

	resolve(sel("task", SH010), HQ, LA, 0, &res, &n, NULL);
	ASSERT_INT_EQ(res.n, 50);
	ASSERT_INT_EQ(n, 3);
	resolve_result_clear(&res);
	resolve(sel("Shot", SH010), HQ, LA, 1, &res, NULL, NULL);
	ASSERT_INT_EQ(res.n, 25);
	resolve_result_clear(&res);

	resolve(sel("task", SQ010), HQ, LA, 0, &res, &n, NULL);
	ASSERT_INT_EQ(res.n, 60);
	ASSERT_INT_EQ(count_under(&res, "/mnt/projects/demo/sq010/sh020/"
	    "plate/v001/plate.10"), 10);
	ASSERT_INT_EQ(n, 3);
	resolve_result_clear(&res);
	resolve(sel("task", SQ010), HQ, LA, 1, &res, NULL, NULL);
	ASSERT_INT_EQ(res.n, 35);
	resolve_result_clear(&res);

	resolve(sel("task", HERO_PROP), HQ, LA, 0, &res, NULL, NULL);
	ASSERT_INT_EQ(res.n, 4);
	ASSERT_TRUE(file_at(&res, "/mnt/projects/demo/assets/hero_prop/model/"
	    "v001/model.abc") != NULL);
	ASSERT_INT_EQ(count_under(&res, "/mnt/projects/demo/assets/hero_prop/"
	    "model/v001/textures/"), 3);
	resolve_result_clear(&res);

	/* With ep101's edit and the forest's three frames. */
	resolve(sel("show", PROJECT), HQ, LA, 0, &res, &n, NULL);
	ASSERT_INT_EQ(res.n, 68);
	ASSERT_INT_EQ(n, 3);
	check_sorted(&res);
	resolve_result_clear(&res);
	resolve(sel("show", PROJECT), HQ, LA, 1, &res, NULL, NULL);
	ASSERT_INT_EQ(res.n, 43);
	resolve_result_clear(&res);

	/* Overlapping selections: each file once; a selected version stays. */
	two = json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "entityId",
	    SH010, "entityType", "task", "entityId", COMP_TASK, "entityType",
	    "task", "entityId", V001, "entityType", "assetversion");
	resolve(two, HQ, LA, 1, &res, &n, NULL);
	ASSERT_INT_EQ(res.n, 50);
	ASSERT_INT_EQ(n, 3);
	resolve_result_clear(&res);
}

/* Components: a sequence's members, a container's, a file, one frame. */
static void
test_components(void)
{
	struct resolve_result		 res;
	const struct resolve_file	*f;
	json_t				*many;
	size_t				 i;

	resolve(sel("Component", V002_MAIN), HQ, LA, 0, &res, NULL, NULL);
	ASSERT_INT_EQ(res.n, 24);
	for (i = 0; i < res.n; i++)
		ASSERT_STR_EQ(res.v[i].container_id, V002_MAIN);
	ASSERT_INT_EQ(count_bases(&res), 24);
	resolve_result_clear(&res);

	resolve(sel("Component", TEXTURES), HQ, LA, 0, &res, NULL, NULL);
	ASSERT_INT_EQ(res.n, 3);
	ASSERT_STR_EQ(res.v[0].path, "/mnt/projects/demo/assets/hero_prop/"
	    "model/v001/textures/diffuse.tif");
	ASSERT_STR_EQ(res.v[0].container_id, TEXTURES);
	resolve_result_clear(&res);

	many = json_pack("[{s:s, s:s}, {s:s, s:s}]", "entityId", V002_REF,
	    "entityType", "component", "entityId", V002_1001, "entityType",
	    "FileComponent");
	resolve(many, HQ, LA, 1, &res, NULL, NULL);
	ASSERT_INT_EQ(res.n, 2);
	f = file_at(&res, SH010_DIR "v002/plate.1001.exr");
	ASSERT_TRUE(f != NULL);
	if (f != NULL) {
		ASSERT_STR_EQ(f->container_id, V002_MAIN);
		ASSERT_STR_EQ(f->basis, SH010_DIR "v001/plate.1001.exr");
	}
	f = file_at(&res, SH010_DIR "v002/reference.mov");
	ASSERT_TRUE(f != NULL && f->basis != NULL);
	resolve_result_clear(&res);
}

/* Errors name what is wrong. */
static void
test_errors(void)
{
	struct resolve_result	 res;
	char			*cause = NULL, *notes;
	json_t			*bad;

	/* v002 is not in la: every file is missing there; three named. */
	ASSERT_INT_EQ(resolve(sel("assetversion", V002), LA, HQ, 0, &res,
	    NULL, &cause), FERRY_ERR_NOTFOUND);
	ASSERT_STR_CONTAINS(cause, "of sh010/plate v002");
	ASSERT_STR_CONTAINS(cause, " and 22 more are not in the source "
	    "location \"la\"");
	ASSERT_TRUE(res.n == 0 && res.v == NULL);
	free(cause);

	/* One component of v001 was never put anywhere. */
	notes = create("FileComponent", json_pack("{s:s, s:s, s:s}", "name",
	    "notes", "file_type", ".txt", "version_id", V001));
	ASSERT_INT_EQ(resolve(sel("assetversion", V001), HQ, LA, 0, &res,
	    NULL, &cause), FERRY_ERR_NOTFOUND);
	ASSERT_STR_CONTAINS(cause, "component \"notes\" of sh010/plate v001 (");
	ASSERT_STR_CONTAINS(cause, notes);
	ASSERT_STR_CONTAINS(cause, ") is not in the source location \"hq\"");
	free(cause);
	delete("FileComponent", notes);

	/* Web review media on ftrack's server are not ferry's to send. */
	notes = create("FileComponent", json_pack("{s:s, s:s, s:s}", "name",
	    "ftrackreview-mp4", "file_type", ".mp4", "version_id", V001));
	put(notes, "3a372bde-05bc-11e4-8908-20c9d081909b", notes);
	resolve(sel("assetversion", V001), HQ, LA, 0, &res, NULL, NULL);
	ASSERT_INT_EQ(res.n, 25);
	resolve_result_clear(&res);
	/* ...unless the source holds them. */
	put(notes, HQ, SH010_DIR "v001/review.mp4");
	resolve(sel("assetversion", V001), HQ, LA, 0, &res, NULL, NULL);
	ASSERT_INT_EQ(res.n, 26);
	ASSERT_TRUE(file_at(&res, SH010_DIR "v001/review.mp4") != NULL);
	resolve_result_clear(&res);
	delete("FileComponent", notes);

	ASSERT_INT_EQ(resolve(sel("task", LIGHT_TASK), HQ, LA, 0, &res, NULL,
	    &cause), FERRY_ERR_NOTFOUND);
	ASSERT_STR_CONTAINS(cause, "nothing to send");
	free(cause);
	ASSERT_INT_EQ(resolve(json_array(), HQ, LA, 0, &res, NULL, &cause),
	    FERRY_ERR_NOTFOUND);
	ASSERT_STR_CONTAINS(cause, "nothing to send: the selection is empty");
	free(cause);
	/* An id that is nothing is nothing to send, not an error of ftrack. */
	ASSERT_INT_EQ(resolve(sel("assetversion", "no-such-version"), HQ, LA,
	    0, &res, NULL, &cause), FERRY_ERR_NOTFOUND);
	free(cause);

	ASSERT_INT_EQ(resolve(sel("list", V002), HQ, LA, 0, &res, NULL,
	    &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "selection item 0 (" V002 "): unknown "
	    "entity type \"list\"");
	free(cause);
	bad = json_pack("[{s:s, s:s}, {s:s}]", "entityId", V002, "entityType",
	    "assetversion", "entityType", "task");
	ASSERT_INT_EQ(resolve(bad, HQ, LA, 0, &res, NULL, &cause),
	    FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "selection item 1 has no entityId");
	free(cause);
	ASSERT_INT_EQ(resolve(json_object(), HQ, LA, 0, &res, NULL, &cause),
	    FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "the selection is not an array");
	free(cause);
	ASSERT_INT_EQ(resolve(sel("assetversion", V002), "no-such-location",
	    LA, 0, &res, NULL, &cause), FERRY_ERR_NOTFOUND);
	ASSERT_STR_CONTAINS(cause, "the source location no-such-location is "
	    "not in ftrack");
	free(cause);
}

/* A custom location holds identifiers relative to a configured prefix. */
static void
test_prefix(void)
{
	struct resolve_result	 res;
	char			*loc, *cause = NULL;

	loc = create("Location", json_pack("{s:s}", "name", "studio.custom"));
	free(create("ComponentLocation", json_pack("{s:s, s:s, s:s}",
	    "component_id", V002_REF, "location_id", loc,
	    "resource_identifier", "demo/sh010/plate/v002/reference.mov")));
	free(create("ComponentLocation", json_pack("{s:s, s:s, s:s}",
	    "component_id", V002_1001, "location_id", loc,
	    "resource_identifier", "demo/../../etc/passwd")));

	prefix = "/mnt/custom";
	resolve(sel("component", V002_REF), loc, NULL, 0, &res, NULL, NULL);
	ASSERT_INT_EQ(res.n, 1);
	if (res.n == 1)
		ASSERT_STR_EQ(res.v[0].path, "/mnt/custom/demo/sh010/plate/"
		    "v002/reference.mov");
	resolve_result_clear(&res);
	prefix = "S:\\projects\\";
	resolve(sel("component", V002_REF), loc, NULL, 0, &res, NULL, NULL);
	if (res.n == 1)
		ASSERT_STR_EQ(res.v[0].path, "S:\\projects\\demo/sh010/plate/"
		    "v002/reference.mov");
	resolve_result_clear(&res);

	/* An identifier that climbs out of the prefix is refused. */
	prefix = "/mnt/custom";
	ASSERT_INT_EQ(resolve(sel("component", V002_1001), loc, NULL, 0, &res,
	    NULL, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "component \"main\" frame \"1001\" of "
	    "sh010/plate v002");
	ASSERT_STR_CONTAINS(cause, "in location \"studio.custom\": the "
	    "resource identifier \"demo/../../etc/passwd\" climbs out");
	free(cause);
	/* Without a prefix, a relative identifier is no path. */
	prefix = NULL;
	ASSERT_INT_EQ(resolve(sel("component", V002_REF), loc, NULL, 0, &res,
	    NULL, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "is not a full path; a location that holds "
	    "relative identifiers needs a source prefix");
	free(cause);
	/* A full path must be under the prefix. */
	prefix = "/mnt/custom";
	ASSERT_INT_EQ(resolve(sel("component", V002_REF), HQ, NULL, 0, &res,
	    NULL, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "is not under the source prefix "
	    "\"/mnt/custom\"");
	free(cause);
	prefix = "/mnt/projects";
	resolve(sel("component", V002_REF), HQ, NULL, 0, &res, NULL, NULL);
	ASSERT_INT_EQ(res.n, 1);
	resolve_result_clear(&res);
	prefix = NULL;
	delete("Location", loc);
}

/*
 * An asset on sh030 with 50 versions of 10 components, each in hq, made
 * in one batch (as tests/ftrack/rest-client.c does); returns its id.
 */
static char *
make_big_shot(void)
{
	json_t	*ops, *res = NULL, *d, *op;
	char	*cause = NULL, *asset, vid[REST_UUID_LEN];
	char	 cid[REST_UUID_LEN], ri[128], name[8];
	int	 v, c;

	d = json_pack("{s:s, s:s}", "name", "bigplate", "context_id", SH030);
	op = rest_op_create("Asset", d);
	json_decref(d);
	asset = strdup(json_string_value(json_object_get(json_object_get(op,
	    "entity_data"), "id")));
	ops = json_pack("[o]", op);
	for (v = 1; v <= 50; v++) {
		rest_uuid(vid);
		d = json_pack("{s:s, s:s, s:i}", "id", vid, "asset_id", asset,
		    "version", v);
		json_array_append_new(ops, rest_op_create("AssetVersion", d));
		json_decref(d);
		for (c = 0; c < 10; c++) {
			rest_uuid(cid);
			snprintf(name, sizeof name, "c%d", c);
			snprintf(ri, sizeof ri, "/mnt/projects/demo/sq020/"
			    "sh030/bigplate/v%03d/c%d.exr", v, c);
			d = json_pack("{s:s, s:s, s:s, s:s}", "id", cid, "name",
			    name, "file_type", ".exr", "version_id", vid);
			json_array_append_new(ops, rest_op_create(
			    "FileComponent", d));
			json_decref(d);
			d = json_pack("{s:s, s:s, s:s}", "component_id", cid,
			    "location_id", HQ, "resource_identifier", ri);
			json_array_append_new(ops, rest_op_create(
			    "ComponentLocation", d));
			json_decref(d);
		}
	}
	if (rest_call(r, ops, &res, &cause) != 0)
		TEST_FAIL("making the big shot: %s", cause);
	json_decref(res);
	json_decref(ops);
	free(cause);
	return (asset);
}

/* The brief's example: a shot of 50 versions of 10 components. */
static void
test_big_shot(void)
{
	struct resolve_result	 res;
	unsigned long		 n;
	char			*asset = make_big_shot();

	resolve(sel("task", SH030), HQ, LA, 0, &res, &n, NULL);
	ASSERT_INT_EQ(res.n, 500);
	ASSERT_INT_EQ(n, 3);
	ASSERT_STR_EQ(res.v[0].path, "/mnt/projects/demo/sq020/sh030/"
	    "bigplate/v001/c0.exr");
	ASSERT_STR_EQ(res.v[499].path, "/mnt/projects/demo/sq020/sh030/"
	    "bigplate/v050/c9.exr");
	resolve_result_clear(&res);
	resolve(sel("task", SH030), HQ, LA, 1, &res, &n, NULL);
	ASSERT_INT_EQ(res.n, 10);
	ASSERT_INT_EQ(count_under(&res, "/mnt/projects/demo/sq020/sh030/"
	    "bigplate/v050/"), 10);
	ASSERT_INT_EQ(n, 3);
	resolve_result_clear(&res);
	delete("Asset", asset);
}

/*
 * sh010's plate v003 in hq: a sequence padded to 5 whose members, as the
 * Python client makes them, have no version of their own, and a movie.
 */
/* Puts component id in location loc at ri, through session s. */
static void
put_by(struct rest *s, const char *id, const char *loc, const char *ri)
{
	json_t	*data;
	char	*cause = NULL;

	data = json_pack("{s:s, s:s, s:s}", "component_id", id, "location_id",
	    loc, "resource_identifier", ri);
	if (rest_create(s, "ComponentLocation", data, NULL, &cause) != 0)
		TEST_FAIL("registering %s: %s", id, cause);
	json_decref(data);
	free(cause);
}

static void
put(const char *id, const char *loc, const char *ri)
{
	put_by(r, id, loc, ri);
}

static char *
make_v003(void)
{
	char	*v, *seq, *id;
	char	 name[8], ri[128];
	int	 i;

	v = create("AssetVersion", json_pack("{s:s, s:i}", "asset_id", PLATE,
	    "version", 3));
	seq = create("SequenceComponent", json_pack("{s:s, s:s, s:i, s:s}",
	    "name", "main", "file_type", ".exr", "padding", 5, "version_id",
	    v));
	put(seq, HQ, SH010_DIR "v003/plate.%05d.exr");
	for (i = 1; i <= 3; i++) {
		snprintf(name, sizeof name, "%05d", 1000 + i);
		snprintf(ri, sizeof ri, SH010_DIR "v003/plate.%s.exr", name);
		id = create("FileComponent", json_pack("{s:s, s:s, s:s}",
		    "name", name, "file_type", ".exr", "container_id", seq));
		put(id, HQ, ri);
		free(id);
	}
	id = create("FileComponent", json_pack("{s:s, s:s, s:s}", "name",
	    "reference", "file_type", ".mov", "version_id", v));
	put(id, HQ, SH010_DIR "v003/reference.mov");
	free(id);
	free(seq);
	return (v);
}

/* v003's bases come from the highest earlier version in la. */
static void
check_v003(const char *v003, const char *from)
{
	struct resolve_result		 res;
	const struct resolve_file	*f;
	unsigned long			 n;
	char				 want[128];

	resolve(sel("assetversion", v003), HQ, LA, 0, &res, &n, NULL);
	ASSERT_INT_EQ(n, 3);
	ASSERT_INT_EQ(res.n, 4);
	ASSERT_INT_EQ(count_bases(&res), 4);
	/* "01002" is frame 1002, whatever its padding. */
	f = file_at(&res, SH010_DIR "v003/plate.01002.exr");
	snprintf(want, sizeof want, SH010_DIR "%s/plate.1002.exr", from);
	ASSERT_TRUE(f != NULL);
	if (f != NULL)
		ASSERT_STR_EQ(f->basis, want);
	f = file_at(&res, SH010_DIR "v003/reference.mov");
	snprintf(want, sizeof want, SH010_DIR "%s/reference.mov", from);
	ASSERT_TRUE(f != NULL);
	if (f != NULL)
		ASSERT_STR_EQ(f->basis, want);
	resolve_result_clear(&res);
}

/* What dst_of() does in a test. */
struct delivery {
	const char	*skip;		/* paths with this were not delivered */
	const char	*race;		/* registered in la on the first call */
	int		 calls;
	char		 buf[512];
};

/* hq's paths as la sees them: /mnt/projects/... -> /mnt/la/projects/... */
static const char *
to_la(const char *src, void *arg)
{
	struct delivery	*d = arg;

	/* Someone else registers a file while we are at it. */
	if (d->calls++ == 0 && d->race != NULL)
		put_by(other, d->race, LA, "/mnt/la/registered-meanwhile");
	if (d->skip != NULL && strstr(src, d->skip) != NULL)
		return (NULL);
	if (strncmp(src, "/mnt/", 5) != 0)
		return (NULL);
	snprintf(d->buf, sizeof d->buf, "/mnt/la/%s", src + 5);
	return (d->buf);
}

static int
registered(struct resolve_result *res, struct delivery *d,
    struct register_stats *st, unsigned long *nreqp)
{
	unsigned long	 before = requests();
	char		*cause = NULL;
	int		 e;

	e = register_delivery_stats(r, LA, res, to_la, d, st, &cause);
	if (e != 0)
		TEST_FAIL("register_delivery: %s", cause);
	*nreqp = requests() - before;
	free(cause);
	return (e);
}

#define LA_COUNT "select id from ComponentLocation where location_id is %q"

/* v002 delivered to la: 24 frames, the movie, then the sequence. */
static void
test_register_version(void)
{
	struct resolve_result	 res;
	struct register_stats	 st;
	struct delivery		 d;
	json_t			*rows, *row;
	unsigned long		 n;
	size_t			 la_before = count_rows(LA_COUNT, LA), i;

	ASSERT_INT_EQ(la_before, 26);
	resolve(sel("assetversion", V002), HQ, LA, 0, &res, NULL, NULL);
	memset(&d, 0, sizeof d);
	registered(&res, &d, &st, &n);
	ASSERT_INT_EQ(st.created, 26);
	ASSERT_INT_EQ(st.existing, 0);
	ASSERT_INT_EQ(st.undelivered, 0);
	ASSERT_INT_EQ(n, 2);
	ASSERT_INT_EQ(count_in_la(V002), 26);
	rows = query("select component_id, resource_identifier from "
	    "ComponentLocation where location.name is \"la\" and "
	    "resource_identifier like %q", LA_SH010_DIR "v002/%");
	ASSERT_INT_EQ(json_array_size(rows), 26);
	json_array_foreach(rows, i, row) {
		const char *c = json_string_value(json_object_get(row,
		    "component_id"));
		const char *ri = json_string_value(json_object_get(row,
		    "resource_identifier"));

		if (strcmp(c, V002_MAIN) == 0)
			ASSERT_STR_EQ(ri, LA_SH010_DIR "v002/plate.%04d.exr");
		else if (strcmp(c, V002_1001) == 0)
			ASSERT_STR_EQ(ri, LA_SH010_DIR "v002/plate.1001.exr");
		else if (strcmp(c, V002_REF) == 0)
			ASSERT_STR_EQ(ri, LA_SH010_DIR "v002/reference.mov");
		else
			ASSERT_TRUE(strncmp(ri, LA_SH010_DIR "v002/plate.10",
			    strlen(LA_SH010_DIR) + 10) == 0);
	}
	json_decref(rows);
	ASSERT_INT_EQ(count_rows(LA_COUNT, LA), la_before + 26);

	/* Again: nothing new, nothing deleted, one request. */
	registered(&res, &d, &st, &n);
	ASSERT_INT_EQ(st.created, 0);
	ASSERT_INT_EQ(st.existing, 26);
	ASSERT_INT_EQ(n, 1);
	ASSERT_INT_EQ(count_rows(LA_COUNT, LA), la_before + 26);
	/* v001's registrations in la are still there. */
	ASSERT_INT_EQ(count_in_la(V001), 26);
	resolve_result_clear(&res);
}

/* A container is registered once all its members are in la. */
static void
test_register_container(void)
{
	struct resolve_result	 res;
	struct register_stats	 st;
	struct delivery		 d;
	json_t			*rows;
	unsigned long		 n;

	resolve(sel("component", TEXTURES), HQ, LA, 0, &res, NULL, NULL);
	memset(&d, 0, sizeof d);
	d.skip = "normal";
	registered(&res, &d, &st, &n);
	ASSERT_INT_EQ(st.created, 2);
	ASSERT_INT_EQ(st.undelivered, 1);
	ASSERT_INT_EQ(count_rows("select id from ComponentLocation where "
	    "location.name is \"la\" and component_id is %q", TEXTURES), 0);
	d.skip = NULL;
	registered(&res, &d, &st, &n);
	ASSERT_INT_EQ(st.created, 2);
	ASSERT_INT_EQ(st.existing, 2);
	rows = query("select resource_identifier from ComponentLocation where "
	    "location.name is \"la\" and component_id is %q", TEXTURES);
	ASSERT_INT_EQ(json_array_size(rows), 1);
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(rows,
	    0), "resource_identifier")), "/mnt/la/projects/demo/assets/"
	    "hero_prop/model/v001/textures/");
	json_decref(rows);
	resolve_result_clear(&res);
}

/*
 * A frame registered by someone else between our look and our creates:
 * ftrack refuses the batch, which goes again without it.
 */
static void
test_register_race(void)
{
	struct resolve_result	 res;
	struct register_stats	 st;
	struct delivery		 d;
	unsigned long		 n;
	size_t			 i;

	resolve(sel("assetversion", SH020_V001), HQ, LA, 0, &res, NULL, NULL);
	ASSERT_INT_EQ(res.n, 10);
	memset(&d, 0, sizeof d);
	for (i = 0; i < res.n; i++) {
		if (strstr(res.v[i].path, "plate.1005.exr") != NULL)
			d.race = res.v[i].component_id;
	}
	ASSERT_TRUE(d.race != NULL);
	registered(&res, &d, &st, &n);
	ASSERT_INT_EQ(st.created, 10);	/* 9 frames and the sequence */
	ASSERT_INT_EQ(st.existing, 1);
	/* The look, the refused batch, the second look, the batch again. */
	ASSERT_INT_EQ(n, 4);
	ASSERT_INT_EQ(count_in_la(SH020_V001), 11);
	ASSERT_INT_EQ(count_rows("select id from ComponentLocation where "
	    "resource_identifier is %q", "/mnt/la/registered-meanwhile"), 1);
	resolve_result_clear(&res);
}

static void
test_register_errors(void)
{
	struct resolve_result	 res;
	struct register_stats	 st;
	struct delivery		 d;
	char			*cause = NULL;

	resolve(sel("assetversion", MODEL_V001), HQ, LA, 0, &res, NULL, NULL);
	memset(&d, 0, sizeof d);
	ASSERT_INT_EQ(register_delivery_stats(r, "no-such-location", &res,
	    to_la, &d, &st, &cause), FERRY_ERR_NOTFOUND);
	ASSERT_STR_CONTAINS(cause, "the destination location "
	    "no-such-location is not in ftrack");
	ASSERT_INT_EQ(st.created, 0);
	ASSERT_INT_EQ(register_delivery(r, NULL, &res, to_la, &d, &cause),
	    FERRY_ERR_INVAL);
	free(cause);
	resolve_result_clear(&res);
	/* Nothing delivered is nothing to do. */
	ASSERT_INT_EQ(register_delivery(r, LA, &res, to_la, &d, &cause), 0);
}

/* The sequence's identifier in the destination, from a member's path. */
static void
test_container_identifier(void)
{
	json_t	*seq, *frame, *box, *tex;
	char	*ri = NULL, *cause = NULL;

	seq = json_pack("{s:s, s:s, s:i}", "__entity_type__",
	    "SequenceComponent", "name", "main", "padding", 4);
	frame = json_pack("{s:s, s:s}", "name", "1001", "file_type", ".exr");
	ASSERT_INT_EQ(register_container_identifier(seq, frame,
	    "D:\\la\\plate.1001.exr", &ri, &cause), 0);
	ASSERT_STR_EQ(ri, "D:\\la\\plate.%04d.exr");
	free(ri);
	json_object_set_new(frame, "name", json_string("7"));
	json_object_set_new(seq, "padding", json_integer(0));
	ASSERT_INT_EQ(register_container_identifier(seq, frame,
	    "/la/shot_v2_0007.exr", &ri, &cause), 0);
	ASSERT_STR_EQ(ri, "/la/shot_v2_%d.exr");
	free(ri);
	ASSERT_INT_EQ(register_container_identifier(seq, frame,
	    "/la/shot_v2_0008.exr", &ri, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "does not end with the frame number \"7\"");
	box = json_pack("{s:s, s:s}", "__entity_type__", "ContainerComponent",
	    "name", "textures");
	tex = json_pack("{s:s, s:s}", "name", "diffuse", "file_type", ".tif");
	ASSERT_INT_EQ(register_container_identifier(box, tex,
	    "/la/textures/diffuse.tif", &ri, &cause), 0);
	ASSERT_STR_EQ(ri, "/la/textures/");
	free(ri);
	ASSERT_INT_EQ(register_container_identifier(box, tex, "diffuse.tif",
	    &ri, &cause), FERRY_ERR_INVAL);
	json_decref(seq);
	json_decref(frame);
	json_decref(box);
	json_decref(tex);
	free(cause);
}

int
main(void)
{
	struct rest_opts	 o;
	char			*cause = NULL, *v003;

	url = getenv("FTRACK_SERVER");
	key = getenv("FTRACK_API_KEY");
	if (url == NULL || key == NULL)
		TEST_SKIP("FTRACK_SERVER and FTRACK_API_KEY must be set "
		    "(tests/ftrack/resolve.sh sets them)");
	if (rest_global_init(&cause) != 0)
		TEST_FAIL("%s", cause);
	rest_opts_init(&o);
	o.url = url;
	o.user = "ferry";
	o.api_key = key;
	o.retries = 0;
	if (rest_new(&o, &r, &cause) != 0 ||
	    rest_new(&o, &other, &cause) != 0) {
		TEST_FAIL("rest_new: %s", cause);
		return (TEST_DONE());
	}
	test_version();
	test_task();
	test_contexts();
	test_components();
	test_errors();
	test_prefix();
	test_big_shot();
	test_container_identifier();

	/* Bases: v001 while la has only it, v002 once it is there too. */
	v003 = make_v003();
	check_v003(v003, "v001");
	test_register_version();
	check_v003(v003, "v002");
	delete("AssetVersion", v003);

	test_register_container();
	test_register_race();
	test_register_errors();
	rest_free(r);
	rest_free(other);
	rest_global_cleanup();
	free(cause);
	return (TEST_DONE());
}
