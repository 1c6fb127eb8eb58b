/*
 * ferry site set SITE --bwlimit RATE [--state DIR]: cap what the hub sends
 * to a site, in bytes per second (suffixes K, M, G: powers of 1024; 0
 * lifts the cap), or in bits per second ("200Mbit").
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
	.usage = "set SITE --bwlimit RATE [--state DIR]",
	.summary = "set a site's bandwidth cap",
	.exec = cmd_site_exec,
};

static int
cmd_site_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "bwlimit", required_argument, NULL, 'b' },
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*state = NULL;
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
		case 'S': state = optarg; break;
		default: return (cli_usage(&cmd_site_entry));
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "set") != 0 ||
	    !have) {
		cli_error(&cmd_site_entry, "expected: set SITE --bwlimit RATE");
		return (cli_usage(&cmd_site_entry));
	}
	req = json_pack("{s:s, s:s, s:I}", "op", "site.set", "site",
	    argv[optind + 1], "bwlimit", (json_int_t)rate);
	r = cli_request(&cmd_site_entry, state, req, &rep);
	json_decref(req);
	if (r == 0)
		printf("site %s: bandwidth cap %s\n", argv[optind + 1],
		    rate == 0 ? "none" : human_rate((double)rate, r1,
		    sizeof r1));
	json_decref(rep);
	return (r);
}
