/*
 * ferry site set SITE --bwlimit RATE [--state DIR]: cap what the hub sends
 * to a site, in bytes per second (suffixes K, M, G: powers of 1024; 0
 * lifts the cap).
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
	.usage = "set SITE --bwlimit RATE [--state DIR]",
	.summary = "set a site's bandwidth cap",
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
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*state = NULL;
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
		case 'S': state = optarg; break;
		default: return (cli_usage(&cmd_site_entry));
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "set") != 0 ||
	    rate < 0) {
		cli_error(&cmd_site_entry, "expected: set SITE --bwlimit RATE");
		return (cli_usage(&cmd_site_entry));
	}
	req = json_pack("{s:s, s:s, s:I}", "op", "site.set", "site",
	    argv[optind + 1], "bwlimit", (json_int_t)rate);
	r = cli_request(&cmd_site_entry, state, req, &rep);
	json_decref(req);
	if (r == 0)
		printf("site %s: bandwidth cap %lld bytes/s%s\n",
		    argv[optind + 1], rate, rate == 0 ? " (none)" : "");
	json_decref(rep);
	return (r);
}
