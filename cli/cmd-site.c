/*
 * ferry site set SITE [--bwlimit RATE] [--address ADDR|none]
 *     [--window RULES|none] [--tz ZONE|hub] [--relay on|off]
 *     [--streams 1-16|auto] [--state DIR]:
 * cap what the hub sends to a site, in bytes per second (suffixes K, M,
 * G: powers of 1024; 0 lifts the cap), or in bits per second ("200Mbit"),
 * say where its agents can be reached (docs/security.md: an agent's
 * own claim is not enough), give it a transfer window (caps by day
 * and time, read in the site's zone; docs/agent.md), and say whether the
 * hub may relay a transfer between the site's agents and another that
 * neither can reach, and how many streams its transfers open (a job's
 * own --streams wins; auto: the hub's choice). The hub checks the window and the zone: its errors
 * name the rule, column and token.
 *
 * ferry site add NAME --sftp USER@HOST[:PORT]:ROOT --key FILE
 * --known-hosts FILE [--passphrase-file FILE] [--via AGENT] and ferry site
 * check NAME: an agentless site on an SFTP server (docs/sftp.md), in
 * site-sftp.c.
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
	    "[--window RULES|none] [--tz ZONE|hub] [--relay on|off] "
	    "[--streams 1-16|auto] [--state DIR]\n"
	    "       ferry site add NAME --sftp USER@HOST[:PORT]:ROOT "
	    "--key FILE --known-hosts FILE\n"
	    "           [--passphrase-file FILE] [--via AGENT] [--state DIR]\n"
	    "       ferry site check NAME [--state DIR]",
	.summary = "set a site's cap, window, address or relay; add an SFTP "
	    "site",
	.exec = cmd_site_exec,
};

/* The site's line of `ferry sites`: what its window gives now. */
static int
site_show(const char *state, const char *site)
{
	json_t	*req, *rep = NULL, *s;
	size_t	 i;
	int	 r;

	req = json_pack("{s:s}", "op", "sites");
	r = cli_request(&cmd_site_entry, state, req, &rep);
	json_decref(req);
	json_array_foreach(json_object_get(rep, "sites"), i, s) {
		if (strcmp(json_string_value(json_object_get(s, "name")),
		    site) == 0)
			cli_site_print(s);
	}
	json_decref(rep);
	return (r);
}

/*
 * `site add` and `site check` (site-sftp.c), or -1 for `site set`. The
 * SFTP options belong to `add` alone; setting: a `set` option was given.
 */
static int
cmd_site_sftp(int argc, char **argv, const char *state,
    const struct site_sftp *so, int setting)
{
	int	sftp = so->sftp != NULL || so->key != NULL ||
		    so->known != NULL || so->pass != NULL || so->via != NULL;

	if (argc == 2 && strcmp(argv[0], "add") == 0 && !setting)
		return (site_sftp_add(&cmd_site_entry, state, argv[1], so));
	if (argc == 2 && strcmp(argv[0], "check") == 0 && !setting && !sftp)
		return (site_sftp_check(&cmd_site_entry, state, argv[1]));
	if (sftp) {
		cli_error(&cmd_site_entry, "--sftp, --key, --known-hosts, "
		    "--passphrase-file and --via are for 'site add'");
		return (cli_usage(&cmd_site_entry));
	}
	return (-1);
}

static int
cmd_site_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "bwlimit", required_argument, NULL, 'b' },
		{ "address", required_argument, NULL, 'a' },
		{ "relay", required_argument, NULL, 'r' },
		{ "streams", required_argument, NULL, 'n' },
		{ "state", required_argument, NULL, 'S' },
		{ "window", required_argument, NULL, 'w' },
		{ "tz", required_argument, NULL, 'z' },
		{ "timezone", required_argument, NULL, 'z' },
		{ "sftp", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "known-hosts", required_argument, NULL, 'K' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "via", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct site_sftp	 so = { NULL, NULL, NULL, NULL, NULL };
	const char	*state = NULL, *addr = NULL, *win = NULL, *tz = NULL;
	const char	*relay = NULL;
	long		 streams = -1;
	uint64_t	 rate = 0;
	char		*cause = NULL, r1[HUMAN_LEN];
	json_t		*req, *rep = NULL;
	int		 ch, r, have = 0, setting;

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
		case 'n':
			/* "auto" (0) gives the choice back to the hub. */
			if (strcmp(optarg, "auto") == 0)
				streams = 0;
			else if (human_parse_long(optarg, 1, 16, &streams) !=
			    0) {
				cli_error(&cmd_site_entry, "--streams: %s is "
				    "not a number from 1 to 16, or auto",
				    optarg);
				return (CLI_EXIT_USAGE);
			}
			break;
		case 'S': state = optarg; break;
		case 'w': win = optarg; break;
		case 'z': tz = optarg; break;
		case 's': so.sftp = optarg; break;
		case 'k': so.key = optarg; break;
		case 'K': so.known = optarg; break;
		case 'p': so.pass = optarg; break;
		case 'v': so.via = optarg; break;
		default: return (cli_usage(&cmd_site_entry));
		}
	}
	setting = have || addr != NULL || win != NULL || tz != NULL ||
	    relay != NULL || streams >= 0;
	if ((r = cmd_site_sftp(argc - optind, argv + optind, state, &so,
	    setting)) != -1)
		return (r);
	if (argc - optind != 2 || strcmp(argv[optind], "set") != 0 ||
	    (!have && addr == NULL && win == NULL && tz == NULL &&
	    relay == NULL && streams < 0)) {
		cli_error(&cmd_site_entry, "expected: set SITE and one or more "
		    "of --bwlimit RATE, --address ADDR|none, --window "
		    "RULES|none, --tz ZONE|hub, --relay on|off, --streams "
		    "1-16|auto");
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
	/* "none" clears the window; "hub" (or "") means the hub's zone. */
	if (win != NULL)
		json_object_set_new(req, "window", json_string(
		    strcmp(win, "none") == 0 ? "" : win));
	if (tz != NULL)
		json_object_set_new(req, "tz", json_string(
		    strcmp(tz, "hub") == 0 ? "" : tz));
	if (relay != NULL)
		json_object_set_new(req, "relay", json_boolean(strcmp(relay,
		    "on") == 0));
	if (streams >= 0)
		json_object_set_new(req, "streams", json_integer(streams));
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
	if (r == 0 && streams == 0)
		printf("site %s: streams chosen by the hub\n",
		    argv[optind + 1]);
	else if (r == 0 && streams > 0)
		printf("site %s: %ld streams per transfer\n",
		    argv[optind + 1], streams);
	json_decref(rep);
	if (r == 0 && (win != NULL || tz != NULL))
		r = site_show(state, argv[optind + 1]);
	return (r);
}
