/*
 * ferry sites [--json] [--state DIR]: the sites the hub knows, each with
 * its kind (hub, agent, sftp) and, for an SFTP site, its server and the
 * paths of its key and known_hosts files (never what they hold).
 */
#include "config.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "human.h"

static int	cmd_sites_exec(int, char **);

const struct cmd_entry cmd_sites_entry = {
	.name = "sites",
	.usage = "[--json] [--state DIR]",
	.summary = "list the sites, their kind and where they are",
	.exec = cmd_sites_exec,
};

static void
cmd_sites_print(const json_t *sites)
{
	const json_t	*s;
	const char	*kind, *where;
	char		 cap[HUMAN_LEN];
	json_int_t	 bw;
	size_t		 i;

	printf("%-20s %-6s %s\n", "SITE", "KIND", "WHERE");
	json_array_foreach(sites, i, s) {
		kind = json_string_value(json_object_get(s, "kind"));
		where = json_string_value(json_object_get(s, "target"));
		bw = json_integer_value(json_object_get(s, "bwlimit"));
		printf("%-20s %-6s %s", json_string_value(json_object_get(s,
		    "name")), kind ? kind : "?", where != NULL ? where :
		    json_is_true(json_object_get(s, "connected")) ?
		    "connected" : "not connected");
		if (where != NULL)
			printf(" (key %s)", json_string_value(
			    json_object_get(s, "key_file")));
		if (bw > 0)
			printf(", cap %s", human_rate((double)bw, cap,
			    sizeof cap));
		printf("\n");
	}
}

static int
cmd_sites_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*state = NULL;
	json_t		*req, *rep = NULL;
	int		 ch, r, json = 0;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 'S': state = optarg; break;
		default: return (cli_usage(&cmd_sites_entry));
		}
	}
	if (optind != argc)
		return (cli_usage(&cmd_sites_entry));
	req = json_pack("{s:s}", "op", "sites");
	r = cli_request(&cmd_sites_entry, state, req, &rep);
	json_decref(req);
	if (r == 0 && json)
		cli_json_print(json_object_get(rep, "sites"));
	else if (r == 0)
		cmd_sites_print(json_object_get(rep, "sites"));
	json_decref(rep);
	return (r);
}
