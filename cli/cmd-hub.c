/*
 * ferry hub remove FINGERPRINT [--state DIR]: on the active hub, takes a
 * hub (stopped first) out of the store's set of hubs; agents forget its
 * key within seconds (docs/operations.md, "Hubs with keys of their
 * own"). `ferry status` lists the hubs and their keys.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

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
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*state = NULL;
	json_t		*req, *rep = NULL;
	int		 ch, r;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 'S')
			return (cli_usage(&cmd_hub_entry));
		state = optarg;
	}
	if (argc - optind != 2 || strcmp(argv[optind], "remove") != 0) {
		cli_error(&cmd_hub_entry, "the one subcommand is: remove "
		    "FINGERPRINT ('ferry status' lists the hubs' keys)");
		return (cli_usage(&cmd_hub_entry));
	}
	req = json_pack("{s:s, s:s}", "op", "hub.remove", "fingerprint",
	    argv[optind + 1]);
	r = cli_request(&cmd_hub_entry, state, req, &rep);
	json_decref(req);
	if (r == 0)
		printf("hub %s removed; the agents forget its key when the "
		    "active hub tells them\n", json_string_value(
		    json_object_get(rep, "removed")));
	json_decref(rep);
	return (r);
}
