/*
 * ferry hub remove FINGERPRINT [--state DIR]: on the active hub, takes a
 * hub (stopped first) out of the store's set of hubs; agents forget its
 * key within seconds (docs/operations.md, "Hubs with keys of their
 * own"). `ferry status` lists the hubs and their keys.
 */
#include "config.h"

#include <stdio.h>

#include <jansson.h>

#include "cli.h"

static int	cmd_hub_exec(int, char **);

const struct cmd_entry cmd_hub_entry = {
	.name = "hub",
	.usage = "remove FINGERPRINT [--state DIR]",
	.summary = "take a stopped hub out of the store's hubs",
	.exec = cmd_hub_exec,
};

static int
cmd_hub_exec(int argc, char **argv)
{
	json_t	*rep;
	int	 r;

	r = cli_sub_request(&cmd_hub_entry, argc, argv, "remove", "hub.remove",
	    "fingerprint", "remove FINGERPRINT ('ferry status' lists the "
	    "hubs' keys)", &rep);
	if (r == 0)
		printf("hub %s removed; the agents forget its key when the "
		    "active hub tells them\n", json_string_value(
		    json_object_get(rep, "removed")));
	json_decref(rep);
	return (r);
}
