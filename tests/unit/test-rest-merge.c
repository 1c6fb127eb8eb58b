/*
 * rest_merge() over every shape a de-duplicating ftrack server sends: a
 * reference after its full entity, before it, inside it (a cycle through
 * a collection), two entities that refer to each other, references across
 * the results of one batch, answers that need nothing, things that are
 * not entities, and nesting deeper than the merge goes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "err.h"
#include "rest-merge-int.h"
#include "test.h"

static json_t *
load(const char *text)
{
	json_error_t	 jerr;
	json_t		*j;

	if ((j = json_loads(text, 0, &jerr)) == NULL) {
		fprintf(stderr, "bad test JSON: %s: %s\n", jerr.text, text);
		exit(1);
	}
	return (j);
}

/* Merges text; the input must come out of it unchanged. */
static json_t *
merged(const char *text)
{
	json_t	*in = load(text), *copy, *out = NULL;
	char	*cause = NULL;

	copy = json_deep_copy(in);
	ASSERT_INT_EQ(rest_merge(in, &out, &cause), 0);
	ASSERT_TRUE(json_equal(in, copy));
	json_decref(in);
	json_decref(copy);
	free(cause);
	return (out);
}

/* The value at a path of keys and indexes ("0/data/1/name"), or NULL. */
static json_t *
at(json_t *j, const char *path)
{
	char	*p = strdup(path), *tok, *save = NULL;

	for (tok = strtok_r(p, "/", &save); tok != NULL && j != NULL;
	    tok = strtok_r(NULL, "/", &save)) {
		if (json_is_array(j))
			j = json_array_get(j, strtoul(tok, NULL, 10));
		else
			j = json_object_get(j, tok);
	}
	free(p);
	return (j);
}

static const char *
at_str(json_t *j, const char *path)
{
	return (json_string_value(at(j, path)));
}

/* Two shots on one sequence: the second shot's parent is a reference. */
static void
test_reference_after(void)
{
	json_t	*out;

	out = merged("[{\"action\": \"query\", \"data\": ["
	    "{\"__entity_type__\": \"Shot\", \"id\": \"s1\", \"name\":"
	    " \"sh010\","
	    " \"parent\": {\"__entity_type__\": \"Sequence\", \"id\": \"q1\","
	    " \"name\": \"sq010\", \"object_type\": {\"__entity_type__\":"
	    " \"ObjectType\", \"id\": \"o1\", \"name\": \"Sequence\"}}},"
	    "{\"__entity_type__\": \"Shot\", \"id\": \"s2\", \"name\":"
	    " \"sh020\", \"parent\": {\"__entity_type__\": \"Sequence\","
	    " \"id\": \"q1\"}}],"
	    " \"metadata\": {\"next\": {\"offset\": null}}}]");
	ASSERT_STR_EQ(at_str(out, "0/data/1/parent/name"), "sq010");
	ASSERT_STR_EQ(at_str(out, "0/data/1/parent/object_type/name"),
	    "Sequence");
	/* One object for the one sequence. */
	ASSERT_TRUE(at(out, "0/data/0/parent") == at(out, "0/data/1/parent"));
	ASSERT_TRUE(json_is_null(at(out, "0/metadata/next/offset")));
	json_decref(out);
}

/* The reference comes first; the full entity later in the answer. */
static void
test_reference_before(void)
{
	json_t	*out;

	out = merged("[{\"action\": \"query\", \"data\": ["
	    "{\"__entity_type__\": \"Task\", \"id\": \"t1\", \"status\":"
	    " {\"__entity_type__\": \"Status\", \"id\": \"st1\"}},"
	    "{\"__entity_type__\": \"Task\", \"id\": \"t2\", \"status\":"
	    " {\"__entity_type__\": \"Status\", \"id\": \"st1\", \"name\":"
	    " \"Ready\", \"state\": {\"__entity_type__\": \"State\", \"id\":"
	    " \"x1\", \"short\": \"DONE\"}}}]}]");
	ASSERT_STR_EQ(at_str(out, "0/data/0/status/name"), "Ready");
	ASSERT_STR_EQ(at_str(out, "0/data/0/status/state/short"), "DONE");
	json_decref(out);
}

/*
 * A version whose asset lists it among its versions: the inner one is a
 * reference to the outer one. It gets the version's plain values, not
 * its asset again (that would be a cycle).
 */
static void
test_cycle_self(void)
{
	json_t	*out, *inner;
	char	*text;

	out = merged("[{\"action\": \"query\", \"data\": [{\"__entity_type__\":"
	    " \"AssetVersion\", \"id\": \"v1\", \"version\": 1, \"asset_id\":"
	    " \"a1\", \"link\": [{\"id\": \"p\", \"name\": \"demo\", \"type\":"
	    " \"Project\"}], \"asset\": {\"__entity_type__\": \"Asset\","
	    " \"id\": \"a1\", \"name\": \"plate\", \"versions\": ["
	    "{\"__entity_type__\": \"AssetVersion\", \"id\": \"v1\"},"
	    "{\"__entity_type__\": \"AssetVersion\", \"id\": \"v2\","
	    " \"version\": 2, \"asset_id\": \"a1\"}]}}]}]");
	inner = at(out, "0/data/0/asset/versions/0");
	ASSERT_INT_EQ(json_integer_value(json_object_get(inner, "version")), 1);
	ASSERT_STR_EQ(at_str(inner, "asset_id"), "a1");
	ASSERT_STR_EQ(at_str(inner, "link/0/name"), "demo");
	ASSERT_TRUE(json_object_get(inner, "asset") == NULL);
	ASSERT_INT_EQ(json_integer_value(at(out,
	    "0/data/0/asset/versions/1/version")), 2);
	/* No cycle: jansson can write it out. */
	ASSERT_TRUE((text = json_dumps(out, JSON_COMPACT)) != NULL);
	free(text);
	json_decref(out);
}

/* Two entities that refer to each other. */
static void
test_cycle_pair(void)
{
	json_t	*out;
	char	*text;

	out = merged("[{\"__entity_type__\": \"SequenceComponent\", \"id\":"
	    " \"c1\", \"name\": \"main\", \"members\": [{\"__entity_type__\":"
	    " \"FileComponent\", \"id\": \"m1\", \"name\": \"1001\","
	    " \"container\": {\"__entity_type__\": \"SequenceComponent\","
	    " \"id\": \"c1\"}}]},"
	    "{\"__entity_type__\": \"FileComponent\", \"id\": \"m1\"}]");
	ASSERT_STR_EQ(at_str(out, "0/members/0/container/name"), "main");
	ASSERT_TRUE(at(out, "0/members/0/container/members") == NULL);
	ASSERT_STR_EQ(at_str(out, "1/name"), "1001");
	ASSERT_STR_EQ(at_str(out, "1/container/name"), "main");
	ASSERT_TRUE((text = json_dumps(out, JSON_COMPACT)) != NULL);
	free(text);
	json_decref(out);
}

/*
 * Across a batch: the second query's rows are references to entities the
 * first query sent in full, and a third refers to a create's answer.
 */
static void
test_across_batch(void)
{
	json_t	*out;

	out = merged("["
	    "{\"action\": \"query\", \"data\": [{\"__entity_type__\":"
	    " \"FileComponent\", \"id\": \"f1\", \"name\": \"1001\","
	    " \"container_id\": \"c1\", \"version_id\": null}]},"
	    "{\"action\": \"query\", \"data\": [{\"__entity_type__\":"
	    " \"FileComponent\", \"id\": \"f1\", \"container\":"
	    " {\"__entity_type__\": \"SequenceComponent\", \"id\": \"c1\","
	    " \"version_id\": \"v2\"}}]},"
	    "{\"action\": \"create\", \"data\": {\"__entity_type__\": \"Job\","
	    " \"id\": \"j1\"}},"
	    "{\"action\": \"query\", \"data\": [{\"__entity_type__\": \"Job\","
	    " \"id\": \"j1\", \"status\": \"running\"}]}]");
	ASSERT_STR_EQ(at_str(out, "1/data/0/name"), "1001");
	ASSERT_STR_EQ(at_str(out, "1/data/0/container_id"), "c1");
	ASSERT_STR_EQ(at_str(out, "0/data/0/container/version_id"), "v2");
	ASSERT_TRUE(json_is_null(at(out, "1/data/0/version_id")));
	ASSERT_STR_EQ(at_str(out, "2/data/status"), "running");
	json_decref(out);
}

/* The first non-null value of a key wins; null gives way to a value. */
static void
test_conflicts(void)
{
	json_t	*out;

	out = merged("[{\"__entity_type__\": \"Task\", \"id\": \"t1\","
	    " \"name\": \"comp\", \"parent\": null},"
	    "{\"__entity_type__\": \"Task\", \"id\": \"t1\", \"name\": \"x\","
	    " \"parent\": {\"__entity_type__\": \"Shot\", \"id\": \"s1\"}}]");
	ASSERT_STR_EQ(at_str(out, "0/name"), "comp");
	ASSERT_STR_EQ(at_str(out, "1/name"), "comp");
	ASSERT_STR_EQ(at_str(out, "0/parent/id"), "s1");
	json_decref(out);
}

/* What is not an entity stays as it is, and an answer without
 * references comes out equal. */
static void
test_untouched(void)
{
	static const char *same[] = {
		"[]", "{}", "[1, \"a\", null, true, 2.5]",
		"[{\"action\": \"query_server_information\", \"version\":"
		" \"4.13\", \"storage_scenario\": {\"scenario\": \"x\"}}]",
		/* No id, a number id, an empty type: not entities. */
		"[{\"__entity_type__\": \"JobComponent\", \"job_id\": \"j\","
		" \"component_id\": \"c\", \"n\": 1}, {\"__entity_type__\":"
		" \"JobComponent\", \"job_id\": \"j\", \"component_id\":"
		" \"c\"}]",
		"[{\"__entity_type__\": \"Task\", \"id\": 7, \"a\": 1},"
		" {\"__entity_type__\": \"Task\", \"id\": 7}]",
		"[{\"__entity_type__\": \"\", \"id\": \"e\", \"a\": 1},"
		" {\"__entity_type__\": \"\", \"id\": \"e\"}]",
		/* Whole answers, as with the option honoured. */
		"[{\"action\": \"query\", \"data\": [{\"__entity_type__\":"
		" \"Shot\", \"id\": \"s1\", \"parent\": {\"__entity_type__\":"
		" \"Sequence\", \"id\": \"q1\", \"name\": \"sq010\"}},"
		" {\"__entity_type__\": \"Shot\", \"id\": \"s2\", \"parent\":"
		" {\"__entity_type__\": \"Sequence\", \"id\": \"q1\", \"name\":"
		" \"sq010\"}}]}]",
	};
	json_t	*in, *out;
	size_t	 i;

	for (i = 0; i < sizeof same / sizeof same[0]; i++) {
		in = load(same[i]);
		out = merged(same[i]);
		if (!json_equal(in, out))
			TEST_FAIL("changed: %s", same[i]);
		json_decref(in);
		json_decref(out);
	}
}

/* Two types with one id are two entities. */
static void
test_type_is_identity(void)
{
	json_t	*out;

	out = merged("[{\"__entity_type__\": \"Task\", \"id\": \"a:x\","
	    " \"name\": \"comp\"}, {\"__entity_type__\": \"Shot\", \"id\":"
	    " \"a:x\"}, {\"__entity_type__\": \"Task:a\", \"id\": \"x\"}]");
	ASSERT_TRUE(at(out, "1/name") == NULL);
	ASSERT_TRUE(at(out, "2/name") == NULL);
	json_decref(out);
}

/* Nesting beyond the limit is left alone, without failing. */
static void
test_deep(void)
{
	json_t	*in, *top, *o, *out = NULL;
	char	*cause = NULL;
	int	 i;

	top = o = json_object();
	for (i = 0; i < 3 * REST_MERGE_MAX_DEPTH; i++) {
		json_object_set_new(o, "__entity_type__", json_string("Task"));
		json_object_set_new(o, "id", json_sprintf("t%d", i));
		json_object_set_new(o, "parent", json_object());
		o = json_object_get(o, "parent");
	}
	in = json_pack("[O, {s:s, s:s}]", top, "__entity_type__", "Task",
	    "id", "t0");
	ASSERT_INT_EQ(rest_merge(in, &out, &cause), 0);
	ASSERT_STR_EQ(at_str(out, "1/parent/parent/id"), "t2");
	json_decref(out);
	json_decref(in);
	json_decref(top);
}

/*
 * Each of a chain of entities refers to the next one twice: written out
 * it would double at every step, but merged objects are shared, so the
 * merge is quick.
 */
static void
test_shared_chain(void)
{
	json_t	*in, *e, *out = NULL;
	char	*cause = NULL;
	clock_t	 t0 = clock();
	int	 i;

	in = json_array();
	for (i = 0; i < 200; i++) {
		e = json_pack("{s:s, s:o, s:[{s:s, s:o}, {s:s, s:o}]}",
		    "__entity_type__", "Folder", "id", json_sprintf("f%d", i),
		    "children", "__entity_type__", "Folder", "id",
		    json_sprintf("f%d", i + 1), "__entity_type__", "Folder",
		    "id", json_sprintf("f%d", i + 1));
		json_array_append_new(in, e);
	}
	ASSERT_INT_EQ(rest_merge(in, &out, &cause), 0);
	ASSERT_TRUE(at(out, "0/children/0") == at(out, "1"));
	ASSERT_TRUE(at(out, "0/children/0") == at(out, "0/children/1"));
	ASSERT_TRUE((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
	json_decref(out);
	json_decref(in);
}

int
main(void)
{
	test_reference_after();
	test_reference_before();
	test_cycle_self();
	test_cycle_pair();
	test_across_batch();
	test_conflicts();
	test_untouched();
	test_type_is_identity();
	test_deep();
	test_shared_chain();
	return (TEST_DONE());
}
