/*
 * ferry-ftrack's publish plan (action/publish-plan.c): which files become
 * one sequence component, how components and the asset are named, that
 * every id is chosen, and what is refused.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "publish-plan.h"
#include "test.h"

/* A done job from the vendor to hq of these destination paths. */
static json_t *
job(const char *const *dst, const char *task)
{
	json_t	*tasks = json_array(), *j;
	size_t	 i;

	for (i = 0; dst[i] != NULL; i++)
		json_array_append_new(tasks, json_pack("{s:s+, s:s, s:i, s:s}",
		    "src", "/vendor", dst[i], "dst", dst[i], "size", 10,
		    "state", "done"));
	j = json_pack("{s:i, s:s, s:s, s:o, s:{s:{s:s*, s:s}}}", "id", 7,
	    "from", "vendor@fx.example", "to", "hq", "tasks", tasks, "meta",
	    "publish", "task", task, "by", "vendor@fx.example");
	return (j);
}

static json_t *
plan_of(const char *const *dst, const char *task)
{
	json_t	*j = job(dst, task), *plan = NULL;
	char	*cause = NULL;

	ASSERT_INT_EQ(publish_plan(j, &plan, &cause), 0);
	free(cause);
	json_decref(j);
	return (plan);
}

static const char *
str(const json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return (s != NULL ? s : "(null)");
}

static void
test_sequence_and_file(void)
{
	static const char *const dst[] = { "/hq/sh010/comp/plate.1001.exr",
	    "/hq/sh010/comp/plate.1002.exr", "/hq/sh010/comp/plate.1003.exr",
	    "/hq/sh010/comp/plate.mov", NULL };
	json_t		*plan = plan_of(dst, "T1"), *items, *seq, *mov;

	items = json_object_get(plan, "items");
	ASSERT_INT_EQ(json_array_size(items), 2);
	seq = json_array_get(items, 0);
	mov = json_array_get(items, 1);
	ASSERT_STR_EQ(str(seq, "type"), "sequence");
	ASSERT_STR_EQ(str(seq, "name"), "plate.exr");
	ASSERT_STR_EQ(str(seq, "file_type"), ".exr");
	ASSERT_INT_EQ(json_integer_value(json_object_get(seq, "padding")), 4);
	ASSERT_INT_EQ(json_array_size(json_object_get(seq, "members")), 3);
	ASSERT_STR_EQ(str(json_array_get(json_object_get(seq, "members"), 2),
	    "name"), "1003");
	ASSERT_STR_EQ(str(json_array_get(json_object_get(seq, "members"), 2),
	    "src"), "/vendor/hq/sh010/comp/plate.1003.exr");
	ASSERT_STR_EQ(str(mov, "type"), "file");
	ASSERT_STR_EQ(str(mov, "name"), "plate.mov");
	ASSERT_STR_EQ(str(plan, "asset_name"), "plate");
	ASSERT_STR_EQ(str(plan, "task_id"), "T1");
	ASSERT_STR_EQ(str(plan, "by"), "vendor@fx.example");
	ASSERT_STR_EQ(str(plan, "dest"), "hq");
	/* Every id chosen, and all different. */
	ASSERT_INT_EQ(strlen(str(plan, "version_id")), 36);
	ASSERT_TRUE(strcmp(str(plan, "version_id"), str(plan, "asset_id")) !=
	    0);
	ASSERT_TRUE(strcmp(str(seq, "id"), str(mov, "id")) != 0);
	json_decref(plan);
}

/* A version number is not a frame; mixed padding is padding 0. */
static void
test_names(void)
{
	static const char *const versions[] = { "/hq/a/shot_v001.mov",
	    "/hq/a/shot_v002.mov", NULL };
	static const char *const mixed[] = { "/hq/r/fire_99.exr",
	    "/hq/r/fire_100.exr", "/hq/r/fire_101.exr", NULL };
	static const char *const folder[] = { "/hq/sh010/lookdev_v003/a.tif",
	    "/hq/sh010/lookdev_v003/b.tif", "/hq/sh010/lookdev_v003/x/a.tif",
	    NULL };
	json_t	*plan;

	plan = plan_of(versions, "T");
	ASSERT_INT_EQ(json_array_size(json_object_get(plan, "items")), 2);
	ASSERT_STR_EQ(str(plan, "asset_name"), "shot");
	json_decref(plan);
	plan = plan_of(mixed, "T");
	ASSERT_INT_EQ(json_array_size(json_object_get(plan, "items")), 1);
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_array_get(
	    json_object_get(plan, "items"), 0), "padding")), 0);
	ASSERT_STR_EQ(str(json_array_get(json_object_get(plan, "items"), 0),
	    "name"), "fire.exr");
	json_decref(plan);
	/* Different stems: the folder, less its version; names kept apart. */
	plan = plan_of(folder, "T");
	ASSERT_STR_EQ(str(plan, "asset_name"), "lookdev");
	ASSERT_STR_EQ(str(json_array_get(json_object_get(plan, "items"), 2),
	    "name"), "a.tif-2");
	json_decref(plan);
}

static void
test_refused(void)
{
	static const char *const none[] = { NULL };
	json_t	*j, *plan = NULL;
	char	*cause = NULL;

	j = job(none, "T");
	ASSERT_INT_EQ(publish_plan(j, &plan, &cause), FERRY_ERR_NOTFOUND);
	ASSERT_STR_CONTAINS(cause, "no file");
	free(cause);
	cause = NULL;
	json_decref(j);
	j = job(none, NULL);
	ASSERT_INT_EQ(publish_plan(j, &plan, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "no task");
	ASSERT_TRUE(plan == NULL);
	free(cause);
	json_decref(j);
}

int
main(void)
{
	test_sequence_and_file();
	test_names();
	test_refused();
	return (TEST_DONE());
}
