/*
 * ferry-ftrack --config (action/ffconf.c): the defaults, every key, and
 * clear refusals that name the file and the key at fault.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "err.h"
#include "ffconf.h"
#include "test.h"

static char	path[] = "/tmp/test-ffconf.XXXXXX";

static int
load(const char *text, struct ffconf *c, char **cause)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL)
		TEST_SKIP("cannot write the configuration");
	fputs(text, f);
	fclose(f);
	return (ffconf_load(path, c, cause));
}

/* The text must be refused with a cause naming the file and holding want. */
static void
refused(const char *text, const char *want)
{
	struct ffconf	 c;
	char		*cause = NULL;

	ASSERT_INT_EQ(load(text, &c, &cause), FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, path);
	ASSERT_STR_CONTAINS(cause, want);
	free(cause);
}

int
main(void)
{
	struct ffconf	 c;
	char		*cause = NULL;
	int		 fd;

	if ((fd = mkstemp(path)) == -1)
		TEST_SKIP("mkstemp failed");
	close(fd);

	ASSERT_INT_EQ(ffconf_load(NULL, &c, NULL), 0);
	ASSERT_INT_EQ(c.update_ms, 3000);
	ASSERT_TRUE(c.allowed_roles == NULL && c.assign_from == NULL &&
	    c.version_status == NULL && c.task_status == NULL);
	ASSERT_TRUE(ffconf_prefix(&c, "hq") == NULL);
	ffconf_clear(&c);

	ASSERT_INT_EQ(load("{\"allowed_roles\": [\"Administrator\"], "
	    "\"location_prefixes\": {\"studio.disk\": \"/mnt/ftrack\"}, "
	    "\"job_update_interval\": 0.5, \"automations\": {"
	    "\"send_assigned_tasks\": {\"from\": \"hq\"}, "
	    "\"statuses_on_delivery\": {\"version\": \"Ready\", "
	    "\"task\": \"Done\"}}}", &c, &cause), 0);
	ASSERT_INT_EQ(json_array_size(c.allowed_roles), 1);
	ASSERT_STR_EQ(ffconf_prefix(&c, "studio.disk"), "/mnt/ftrack");
	ASSERT_INT_EQ(c.update_ms, 500);
	ASSERT_STR_EQ(c.assign_from, "hq");
	ASSERT_STR_EQ(c.version_status, "Ready");
	ASSERT_STR_EQ(c.task_status, "Done");
	ffconf_clear(&c);

	refused("{\"allowed_role\": []}", "unknown key \"allowed_role\"");
	refused("{\"allowed_roles\": \"Administrator\"}", "allowed_roles must "
	    "be a list");
	refused("{\"allowed_roles\": [1]}", "allowed_roles[0]");
	refused("{\"location_prefixes\": {\"x\": \"\"}}",
	    "location_prefixes.x");
	refused("{\"job_update_interval\": 0.01}", "job_update_interval");
	refused("{\"job_update_interval\": \"3\"}", "job_update_interval");
	refused("{\"automations\": {\"send_assigned_tasks\": {}}}",
	    "needs \"from\"");
	refused("{\"automations\": {\"statuses_on_delivery\": "
	    "{\"shot\": \"x\"}}}", "unknown key \"shot\"");
	refused("{\"automations\": {\"statuses_on_delivery\": "
	    "{\"version\": 3}}}", "statuses_on_delivery.version");
	refused("{\"allowed_roles\": [],\n \"allowed_roles\": []}", "line 2");
	refused("[]", "not a JSON object");
	refused("{\"publish_asset_type\": \"\"}", "publish_asset_type");
	ASSERT_INT_EQ(load("{\"publish_asset_type\": \"Render\"}", &c,
	    &cause), 0);
	ASSERT_STR_EQ(c.publish_asset_type, "Render");
	ffconf_clear(&c);
	unlink(path);
	return (TEST_DONE());
}
