/*
 * The REST client against the ftrack double (run by tests/ftrack/rest.sh,
 * which starts the double and sets FTRACK_SERVER): server information,
 * paging, a shot resolved in a fixed number of requests, a Job created and
 * updated in one batch, ComponentLocations registered in one batch,
 * ftrack's errors surfaced with the operation named, values quoted so that
 * ftrack's parser reads them back, and a wrong key refused at the first
 * call. Every cause is checked for the key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "ftq.h"
#include "rest.h"
#include "test.h"

static const char	*url, *key;

static struct rest *
session(const char *user, const char *api_key, int page_size)
{
	struct rest_opts	 o;
	struct rest		*r = NULL;
	char			*cause = NULL;

	rest_opts_init(&o);
	o.url = url;
	o.user = user;
	o.api_key = api_key;
	o.page_size = page_size;
	o.retries = 0;
	if (rest_new(&o, &r, &cause) != 0)
		TEST_FAIL("rest_new: %s", cause);
	free(cause);
	return (r);
}

static void
check_cause(const char *cause)
{
	test_checks++;
	if (cause != NULL && (strstr(cause, key) != NULL ||
	    strstr(cause, "wrong-key-1234") != NULL))
		TEST_FAIL("a cause shows the API key: %s", cause);
}

static unsigned long
requests(struct rest *r)
{
	struct rest_stats	st;

	rest_get_stats(r, &st);
	return (st.requests);
}

/* Runs a formatted query (one page); returns the rows or NULL. */
static json_t *
query(struct rest *r, const char *fmt, const char *arg)
{
	json_t	*rows = NULL;
	char	*expr = NULL, *cause = NULL;

	if (ftq_format(&expr, &cause, fmt, arg) != 0 ||
	    rest_query(r, expr, &rows, &cause) != 0)
		TEST_FAIL("query %s: %s", fmt, cause);
	free(expr);
	free(cause);
	return (rows);
}

static const char *
str(const json_t *o, const char *k)
{
	return (json_string_value(json_object_get(o, k)));
}

/* The ids of rows, as a new JSON array. */
static json_t *
ids_of(const json_t *rows)
{
	json_t	*ids = json_array(), *row;
	size_t	 i;

	json_array_foreach(rows, i, row)
		json_array_append_new(ids, json_string(str(row, "id")));
	return (ids);
}

static void
test_info(struct rest *r)
{
	json_t	*info = NULL;
	char	*cause = NULL;

	ASSERT_INT_EQ(rest_server_info(r, &info, &cause), 0);
	ASSERT_TRUE(str(info, "version") != NULL);
	ASSERT_TRUE(json_is_true(json_object_get(info,
	    "is_timezone_support_enabled")));
	json_decref(info);
	free(cause);
}

/* 24 frames in pages of 5: five requests, the same rows as one page. */
static void
test_paging(struct rest *r)
{
	struct rest	*paged = session("ferry", key, 5);
	json_t		*seq, *all = NULL, *one;
	char		*expr = NULL, *cause = NULL;
	unsigned long	 before;
	size_t		 i;

	seq = query(r, "select id from SequenceComponent where version.version "
	    "is 1 and version.asset.parent.name is %q", "sh010");
	ASSERT_INT_EQ(json_array_size(seq), 1);
	ASSERT_INT_EQ(ftq_format(&expr, &cause, "select id, name from "
	    "FileComponent where container_id is %q order by name",
	    str(json_array_get(seq, 0), "id")), 0);
	before = requests(paged);
	ASSERT_INT_EQ(rest_query_all(paged, expr, &all, &cause), 0);
	ASSERT_INT_EQ(requests(paged) - before, 5);
	ASSERT_INT_EQ(json_array_size(all), 24);
	ASSERT_INT_EQ(rest_query(r, expr, &one, &cause), 0);
	ASSERT_INT_EQ(json_array_size(one), 24);
	for (i = 0; i < json_array_size(one); i++)
		ASSERT_STR_EQ(str(json_array_get(all, i), "id"),
		    str(json_array_get(one, i), "id"));
	ASSERT_STR_EQ(str(json_array_get(all, 0), "name"), "1001");
	ASSERT_STR_EQ(str(json_array_get(all, 23), "name"), "1024");
	json_decref(seq);
	json_decref(all);
	json_decref(one);
	free(expr);
	free(cause);
	rest_free(paged);
}

/* Runs one chunked query: all chunks in one request. */
static json_t *
query_in(struct rest *r, size_t chunk, const char *fmt, const json_t *ids)
{
	json_t	*exprs = NULL, *rows = NULL;
	char	*cause = NULL;

	if (ftq_format_chunks(&exprs, chunk, &cause, fmt, ids) != 0 ||
	    rest_query_many(r, exprs, &rows, &cause) != 0)
		TEST_FAIL("%s: %s", fmt, cause);
	json_decref(exprs);
	free(cause);
	return (rows);
}

/*
 * A shot's versions, their components, the sequences' members and every
 * location of all of them in hq: four requests whatever the counts.
 */
static void
test_resolve(struct rest *r)
{
	json_t		*versions, *vids, *comps, *cids, *seqs, *members;
	json_t		*locs, *c;
	unsigned long	 before = requests(r);
	size_t		 i;

	versions = query(r, "select id from AssetVersion where "
	    "asset.parent.name is %q", "sh010");
	vids = ids_of(versions);
	comps = query_in(r, 0, "select id, name from Component where "
	    "container_id is None and version_id in (%L)", vids);
	cids = ids_of(comps);
	seqs = json_array();
	json_array_foreach(comps, i, c) {
		if (strcmp(str(c, "__entity_type__"), "SequenceComponent") == 0)
			json_array_append_new(seqs, json_string(str(c, "id")));
	}
	members = query_in(r, 0, "select id, name from FileComponent where "
	    "container_id in (%L)", seqs);
	json_array_foreach(members, i, c)
		json_array_append_new(cids, json_string(str(c, "id")));
	/* Small chunks: six queries, still one request. */
	locs = query_in(r, 10, "select component_id, resource_identifier from "
	    "ComponentLocation where location.name is \"hq\" and component_id "
	    "in (%L)", cids);
	ASSERT_INT_EQ(requests(r) - before, 4);
	ASSERT_INT_EQ(json_array_size(versions), 2);
	ASSERT_INT_EQ(json_array_size(comps), 4);
	ASSERT_INT_EQ(json_array_size(members), 48);
	ASSERT_INT_EQ(json_array_size(locs), 52);
	json_array_foreach(locs, i, c)
		ASSERT_TRUE(strncmp(str(c, "resource_identifier"),
		    "/mnt/projects/demo/sq010/sh010/plate/v00", 40) == 0);
	json_decref(versions);
	json_decref(vids);
	json_decref(comps);
	json_decref(cids);
	json_decref(seqs);
	json_decref(members);
	json_decref(locs);
}

/*
 * One batch that makes an asset on sh030 with 50 versions of 10
 * components, each registered in hq; returns the asset's id.
 */
static char *
make_big_shot(struct rest *r)
{
	json_t	*shot, *hq, *ops, *res = NULL, *d, *op;
	char	*cause = NULL, *asset, vid[REST_UUID_LEN];
	char	 cid[REST_UUID_LEN], ri[128];
	int	 v, c;

	shot = query(r, "select id from Shot where name is %q", "sh030");
	hq = query(r, "select id from Location where name is %q", "hq");
	d = json_pack("{s:s, s:s}", "name", "bigplate", "context_id",
	    str(json_array_get(shot, 0), "id"));
	op = rest_op_create("Asset", d);
	json_decref(d);
	asset = strdup(str(json_object_get(op, "entity_data"), "id"));
	ops = json_pack("[o]", op);
	for (v = 1; v <= 50; v++) {
		rest_uuid(vid);
		d = json_pack("{s:s, s:s, s:i}", "id", vid, "asset_id", asset,
		    "version", v);
		json_array_append_new(ops, rest_op_create("AssetVersion", d));
		json_decref(d);
		for (c = 0; c < 10; c++) {
			rest_uuid(cid);
			snprintf(ri, sizeof ri, "/mnt/projects/demo/sq020/"
			    "sh030/bigplate/v%03d/c%d.exr", v, c);
			d = json_pack("{s:s, s:s, s:s, s:s}", "id", cid, "name",
			    ri + strlen(ri) - 6, "file_type", ".exr",
			    "version_id", vid);
			json_array_append_new(ops, rest_op_create(
			    "FileComponent", d));
			json_decref(d);
			d = json_pack("{s:s, s:s, s:s}", "component_id", cid,
			    "location_id", str(json_array_get(hq, 0), "id"),
			    "resource_identifier", ri);
			json_array_append_new(ops, rest_op_create(
			    "ComponentLocation", d));
			json_decref(d);
		}
	}
	ASSERT_INT_EQ(json_array_size(ops), 1 + 50 * 21);
	if (rest_call(r, ops, &res, &cause) != 0)
		TEST_FAIL("making the big shot: %s", cause);
	json_decref(res);
	json_decref(ops);
	json_decref(shot);
	json_decref(hq);
	free(cause);
	return (asset);
}

/*
 * The brief's example: a shot with 50 versions of 10 components is
 * resolved, with each component's path in hq, in three requests.
 */
static void
test_big_shot(struct rest *r)
{
	struct rest	*s = session("ferry", key, REST_PAGE_SIZE);
	json_t		*versions = NULL, *vids, *comps, *cids, *locs;
	char		*asset, *expr = NULL, *cause = NULL;
	unsigned long	 before;

	asset = make_big_shot(r);
	before = requests(s);
	ASSERT_INT_EQ(ftq_format(&expr, &cause, "select id from AssetVersion "
	    "where asset.parent.name is %q", "sh030"), 0);
	ASSERT_INT_EQ(rest_query_all(s, expr, &versions, &cause), 0);
	vids = ids_of(versions);
	comps = query_in(s, 0, "select id, name from Component where "
	    "container_id is None and version_id in (%L)", vids);
	cids = ids_of(comps);
	locs = query_in(s, 0, "select component_id, resource_identifier from "
	    "ComponentLocation where location.name is \"hq\" and component_id "
	    "in (%L)", cids);
	ASSERT_INT_EQ(json_array_size(versions), 50);
	ASSERT_INT_EQ(json_array_size(comps), 500);
	ASSERT_INT_EQ(json_array_size(locs), 500);
	ASSERT_INT_EQ(requests(s) - before, 3);
	ASSERT_INT_EQ(rest_delete(r, "Asset", asset, &cause), 0);
	json_decref(versions);
	json_decref(vids);
	json_decref(comps);
	json_decref(cids);
	json_decref(locs);
	free(asset);
	free(expr);
	free(cause);
	rest_free(s);
}

/* Create and update a Job in one batch; then by itself; then delete. */
static void
test_job(struct rest *r, const char *user_id)
{
	json_t	*create, *update, *ops, *res = NULL, *job, *rows;
	char	*cause = NULL;
	const char *id;

	create = json_pack("{s:s, s:s, s:s}", "user_id", user_id, "status",
	    "running", "data", "{\"description\": \"ferry: gathering\"}");
	ops = json_pack("[o]", rest_op_create("Job", create));
	id = str(json_object_get(json_array_get(ops, 0), "entity_data"), "id");
	update = json_pack("{s:s, s:s}", "status", "done", "data",
	    "{\"description\": \"ferry: 3 files, 12 MB\"}");
	json_array_append_new(ops, rest_op_update("Job", id, update));
	ASSERT_INT_EQ(rest_call(r, ops, &res, &cause), 0);
	ASSERT_INT_EQ(json_array_size(res), 2);
	ASSERT_STR_EQ(str(json_object_get(json_array_get(res, 0), "data"),
	    "id"), id);
	/* ftrack answers with the type and id: read back what you need. */
	job = json_object_get(json_array_get(res, 1), "data");
	ASSERT_STR_EQ(str(job, "__entity_type__"), "Job");
	ASSERT_STR_EQ(str(job, "id"), id);
	rows = query(r, "select status, data, finished_at from Job where id is "
	    "%q", id);
	ASSERT_INT_EQ(json_array_size(rows), 1);
	ASSERT_STR_EQ(str(json_array_get(rows, 0), "status"), "done");
	ASSERT_STR_CONTAINS(str(json_array_get(rows, 0), "data"), "3 files");
	json_decref(rows);

	/* A bad status is refused; the message names the operation. */
	json_object_set_new(update, "status", json_string("finished"));
	ASSERT_INT_EQ(rest_update(r, "Job", id, update, NULL, &cause),
	    FERRY_ERR_INVAL);
	check_cause(cause);
	ASSERT_STR_CONTAINS(cause, "refused update Job: ValidationError");
	ASSERT_STR_EQ(rest_last_exception(r), "ValidationError");

	ASSERT_INT_EQ(rest_delete(r, "Job", id, &cause), 0);
	rows = query(r, "select id from Job where id is %q", id);
	ASSERT_INT_EQ(json_array_size(rows), 0);
	json_decref(rows);
	ASSERT_INT_EQ(rest_delete(r, "Job", id, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_EQ(rest_last_exception(r), "NoResultFoundError");
	json_decref(create);
	json_decref(update);
	json_decref(ops);
	json_decref(res);
	free(cause);
}

/* The batch of ComponentLocations for sh020's plate in la. */
static json_t *
registrations(struct rest *r, const char *la_id, json_t **cidsp)
{
	json_t	*seq, *members, *ops, *data, *c;
	char	 ri[256];
	size_t	 i;

	seq = query(r, "select id from SequenceComponent where "
	    "version.asset.parent.name is %q", "sh020");
	members = query(r, "select id, name from FileComponent where "
	    "container_id is %q", str(json_array_get(seq, 0), "id"));
	json_array_extend(members, seq);
	ops = json_array();
	*cidsp = ids_of(members);
	json_array_foreach(members, i, c) {
		snprintf(ri, sizeof ri, "/mnt/la/projects/demo/sq010/sh020/"
		    "plate/v001/plate.%s.exr", i < json_array_size(members) -
		    1 ? str(c, "name") : "%04d");
		data = json_pack("{s:s, s:s, s:s}", "component_id", str(c,
		    "id"), "location_id", la_id, "resource_identifier", ri);
		json_array_append_new(ops, rest_op_create("ComponentLocation",
		    data));
		json_decref(data);
	}
	json_decref(seq);
	json_decref(members);
	return (ops);
}

static void
test_registration(struct rest *r)
{
	json_t		*loc, *ops, *res = NULL, *cids, *rows, *one;
	char		*cause = NULL;
	const char	*la;
	unsigned long	 before;

	loc = query(r, "select id from Location where name is %q", "la");
	la = str(json_array_get(loc, 0), "id");
	ops = registrations(r, la, &cids);
	ASSERT_INT_EQ(json_array_size(ops), 11);
	before = requests(r);
	ASSERT_INT_EQ(rest_call(r, ops, &res, &cause), 0);
	ASSERT_INT_EQ(requests(r) - before, 1);
	json_decref(res);
	rows = query_in(r, 0, "select resource_identifier from "
	    "ComponentLocation where location.name is \"la\" and component_id "
	    "in (%L)", cids);
	ASSERT_INT_EQ(json_array_size(rows), 11);
	json_decref(rows);

	/* Registering again is ftrack's error, for the whole batch. */
	json_decref(ops);
	ops = registrations(r, la, &one);
	ASSERT_INT_EQ(rest_call(r, ops, &res, &cause), FERRY_ERR_INVAL);
	check_cause(cause);
	ASSERT_STR_CONTAINS(cause, "refused a batch of 11 operations (create "
	    "ComponentLocation, create ComponentLocation, create "
	    "ComponentLocation, create ComponentLocation, ...)");
	ASSERT_STR_EQ(rest_last_exception(r), "ServerError");
	json_decref(one);

	json_decref(ops);
	json_decref(cids);
	json_decref(loc);
	free(cause);
}

/* Values with quotes, backslashes and UTF-8 go in and are found again. */
static void
test_quoting(struct rest *r, const char *user_id)
{
	static const char *tricky = "{\"description\": \"it's a \\\"quoted\\\""
	    " C:\\\\show\\\\ value \xe2\x9c\x93\"} or id is_not none";
	json_t	*data, *job = NULL, *rows;
	char	*cause = NULL;

	data = json_pack("{s:s, s:s}", "user_id", user_id, "data", tricky);
	ASSERT_INT_EQ(rest_create(r, "Job", data, &job, &cause), 0);
	rows = query(r, "select id, data from Job where data is %q", tricky);
	ASSERT_INT_EQ(json_array_size(rows), 1);
	ASSERT_STR_EQ(str(json_array_get(rows, 0), "id"), str(job, "id"));
	ASSERT_STR_EQ(str(json_array_get(rows, 0), "data"), tricky);
	json_decref(rows);
	/* An injection attempt is just a name that does not exist. */
	rows = query(r, "select id from Shot where name is %q",
	    "x\" or name like \"%");
	ASSERT_INT_EQ(json_array_size(rows), 0);
	json_decref(rows);
	ASSERT_INT_EQ(rest_delete(r, "Job", str(job, "id"), &cause), 0);
	json_decref(job);
	json_decref(data);
	free(cause);
}

static void
test_errors(struct rest *r)
{
	json_t	*rows = NULL;
	char	*cause = NULL;

	ASSERT_INT_EQ(rest_query(r, "select nope from Shot", &rows, &cause),
	    FERRY_ERR_INVAL);
	check_cause(cause);
	ASSERT_STR_CONTAINS(cause, "refused query \"select nope from Shot\": "
	    "ServerError: ");
	ASSERT_STR_CONTAINS(cause, "nope");
	ASSERT_INT_EQ(rest_query(r, "select id from Shot where", &rows,
	    &cause), FERRY_ERR_INVAL);
	ASSERT_STR_EQ(rest_last_exception(r), "ParseError");
	ASSERT_TRUE(rows == NULL);
	free(cause);
}

/* A wrong key, or a user ftrack does not know: refused at the first call. */
static void
test_credentials(void)
{
	static const char *users[] = { "ferry", "nobody", "former@studio."
	    "example" };
	struct rest	*r;
	json_t		*info = NULL;
	char		*cause = NULL;
	size_t		 i;

	for (i = 0; i < sizeof users / sizeof users[0]; i++) {
		r = session(users[i], i == 0 ? "wrong-key-1234" : key, 0);
		ASSERT_INT_EQ(rest_server_info(r, &info, &cause),
		    FERRY_ERR_AUTH);
		check_cause(cause);
		ASSERT_STR_CONTAINS(cause, "refused the API user");
		ASSERT_STR_CONTAINS(cause, users[i]);
		ASSERT_STR_CONTAINS(cause, "InvalidCredentialsError");
		ASSERT_TRUE(info == NULL);
		rest_free(r);
	}
	free(cause);
}

int
main(void)
{
	struct rest		*r;
	struct rest_stats	 st;
	json_t			*user;
	char			*cause = NULL;

	url = getenv("FTRACK_SERVER");
	key = getenv("FTRACK_API_KEY");
	if (url == NULL || key == NULL)
		TEST_SKIP("FTRACK_SERVER and FTRACK_API_KEY must be set "
		    "(tests/ftrack/rest.sh sets them)");
	if (rest_global_init(&cause) != 0)
		TEST_FAIL("%s", cause);
	r = session("ferry", key, 0);
	test_info(r);
	test_paging(r);
	test_resolve(r);
	test_big_shot(r);
	user = query(r, "select id from User where username is %q", "ferry");
	test_job(r, str(json_array_get(user, 0), "id"));
	test_registration(r);
	test_quoting(r, str(json_array_get(user, 0), "id"));
	test_errors(r);
	/* Every call above went over one kept-alive connection. */
	rest_get_stats(r, &st);
	ASSERT_INT_EQ(st.connects, 1);
	ASSERT_INT_EQ(st.retries, 0);
	json_decref(user);
	rest_free(r);
	test_credentials();
	rest_global_cleanup();
	return (TEST_DONE());
}
