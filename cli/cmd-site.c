/*
 * ferry site set SITE [--bwlimit RATE] [--address ADDR|none] [--state DIR]:
 * cap what the hub sends to a site, in bytes per second (suffixes K, M,
 * G: powers of 1024; 0 lifts the cap), or in bits per second ("200Mbit"),
 * and say where its agents can be reached (docs/security.md: an agent's
 * own claim is not enough).
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

static int	cmd_site_exec(int, char **);

const struct cmd_entry cmd_site_entry = {
	.name = "site",
	.usage = "set SITE [--bwlimit RATE] [--address ADDR|none] "
	    "[--state DIR]",
	.summary = "set a site's bandwidth cap or public address",
	.exec = cmd_site_exec,
};

static int
cmd_site_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "bwlimit", required_argument, NULL, 'b' },
		{ "address", required_argument, NULL, 'a' },
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*state = NULL, *addr = NULL;
	uint64_t	 rate = 0;
	char		*cause = NULL, r1[HUMAN_LEN];
	json_t		*req, *rep = NULL;
	int		 ch, r, have = 0;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			if (human_parse_rate(optarg, &rate, &cause) != 0) {
				cli_error(&cmd_site_entry, "--bwlimit: %s",
				    cause);
				free(cause);
				return (CLI_EXIT_USAGE);
			}
			have = 1;
			break;
		case 'a': addr = optarg; break;
		case 'S': state = optarg; break;
		default: return (cli_usage(&cmd_site_entry));
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "set") != 0 ||
	    (!have && addr == NULL)) {
		cli_error(&cmd_site_entry, "expected: set SITE --bwlimit RATE "
		    "and/or --address ADDR|none");
		return (cli_usage(&cmd_site_entry));
	}
	req = json_pack("{s:s, s:s}", "op", "site.set", "site",
	    argv[optind + 1]);
	if (have)
		json_object_set_new(req, "bwlimit", json_integer(
		    (json_int_t)rate));
	if (addr != NULL)
		json_object_set_new(req, "address", json_string(
		    strcmp(addr, "none") == 0 ? "" : addr));
	r = cli_request(&cmd_site_entry, state, req, &rep);
	json_decref(req);
	if (r == 0 && have)
		printf("site %s: bandwidth cap %s\n", argv[optind + 1],
		    rate == 0 ? "none" : human_rate((double)rate, r1,
		    sizeof r1));
	if (r == 0 && addr != NULL)
		printf("site %s: agents reached at %s\n", argv[optind + 1],
		    strcmp(addr, "none") == 0 ? "the address they connect "
		    "from, if they claim it" : addr);
	json_decref(rep);
	return (r);
}
