/*
 * ferry site set SITE [--bwlimit RATE] [--address ADDR|none] [--state DIR]:
 * cap what the hub sends to a site, in bytes per second (suffixes K, M,
 * G: powers of 1024; 0 lifts the cap), and say where its agents can be
 * reached (docs/security.md: an agent's own claim is not enough).
 */
#include "config.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static int	cmd_site_exec(int, char **);

const struct cmd_entry cmd_site_entry = {
	.name = "site",
	.usage = "set SITE [--bwlimit RATE] [--address ADDR|none] "
	    "[--state DIR]",
	.summary = "set a site's bandwidth cap or public address",
	.exec = cmd_site_exec,
};

/* "200M" -> bytes per second; -1 if it is not a rate. */
static long long
site_rate(const char *s)
{
	char		*end;
	long long	 v = strtoll(s, &end, 10);

	if (v < 0 || end == s)
		return (-1);
	switch (*end) {
	case 'K': case 'k': v <<= 10; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'G': case 'g': v <<= 30; end++; break;
	}
	return (*end == '\0' ? v : -1);
}

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
	long long	 rate = -1;
	json_t		*req, *rep = NULL;
	int		 ch, r;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			if ((rate = site_rate(optarg)) < 0) {
				cli_error(&cmd_site_entry, "--bwlimit: %s is "
				    "not a rate such as 200M", optarg);
				return (CLI_EXIT_USAGE);
			}
			break;
		case 'a': addr = optarg; break;
		case 'S': state = optarg; break;
		default: return (cli_usage(&cmd_site_entry));
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "set") != 0 ||
	    (rate < 0 && addr == NULL)) {
		cli_error(&cmd_site_entry, "expected: set SITE --bwlimit RATE "
		    "and/or --address ADDR|none");
		return (cli_usage(&cmd_site_entry));
	}
	req = json_pack("{s:s, s:s}", "op", "site.set", "site",
	    argv[optind + 1]);
	if (rate >= 0)
		json_object_set_new(req, "bwlimit", json_integer(rate));
	if (addr != NULL)
		json_object_set_new(req, "address", json_string(
		    strcmp(addr, "none") == 0 ? "" : addr));
	r = cli_request(&cmd_site_entry, state, req, &rep);
	json_decref(req);
	if (r == 0 && rate >= 0)
		printf("site %s: bandwidth cap %lld bytes/s%s\n",
		    argv[optind + 1], rate, rate == 0 ? " (none)" : "");
	if (r == 0 && addr != NULL)
		printf("site %s: agents reached at %s\n", argv[optind + 1],
		    strcmp(addr, "none") == 0 ? "the address they connect "
		    "from, if they claim it" : addr);
	json_decref(rep);
	return (r);
}
