/*
 * ferry site set SITE [--bwlimit RATE] [--address ADDR|none]
 *     [--relay on|off] [--state DIR]:
 * cap what the hub sends to a site, in bytes per second (suffixes K, M,
 * G: powers of 1024; 0 lifts the cap), or in bits per second ("200Mbit"),
 * and say where its agents can be reached (docs/security.md: an agent's
 * own claim is not enough), and whether the hub may relay a transfer
 * between the site's agents and another that neither can reach.
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
	    "[--relay on|off] [--state DIR]",
	.summary = "set a site's bandwidth cap, public address or relay",
	.exec = cmd_site_exec,
};

static int
cmd_site_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "bwlimit", required_argument, NULL, 'b' },
		{ "address", required_argument, NULL, 'a' },
		{ "relay", required_argument, NULL, 'r' },
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*state = NULL, *addr = NULL, *relay = NULL;
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
		case 'r':
			if (strcmp(optarg, "on") != 0 &&
			    strcmp(optarg, "off") != 0) {
				cli_error(&cmd_site_entry, "--relay: on or off, "
				    "not %s", optarg);
				return (CLI_EXIT_USAGE);
			}
			relay = optarg;
			break;
		case 'S': state = optarg; break;
		default: return (cli_usage(&cmd_site_entry));
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "set") != 0 ||
	    (!have && addr == NULL && relay == NULL)) {
		cli_error(&cmd_site_entry, "expected: set SITE --bwlimit RATE, "
		    "--address ADDR|none and/or --relay on|off");
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
	if (relay != NULL)
		json_object_set_new(req, "relay", json_boolean(strcmp(relay,
		    "on") == 0));
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
	if (r == 0 && relay != NULL)
		printf("site %s: relay through the hub %s\n", argv[optind + 1],
		    strcmp(relay, "on") == 0 ? "on, when neither agent can "
		    "be reached" : "off");
	json_decref(rep);
	return (r);
}
