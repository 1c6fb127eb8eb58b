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

/* What `site set` asks; NULL / -1: not given. */
struct site_set {
	const char	*addr, *win, *tz, *relay;
	long		 streams;
	uint64_t	 rate;
	int		 have_rate;
};

static int
site_set_given(const struct site_set *ss)
{
	return (ss->have_rate || ss->addr != NULL || ss->win != NULL ||
	    ss->tz != NULL || ss->relay != NULL || ss->streams >= 0);
}

/* One `site set` option's value into *ss; CLI_EXIT_USAGE when bad. */
static int
site_set_opt(int ch, const char *arg, struct site_set *ss)
{
	char	*cause = NULL;

	switch (ch) {
	case 'b':
		if (human_parse_rate(arg, &ss->rate, &cause) != 0) {
			cli_error(&cmd_site_entry, "--bwlimit: %s", cause);
			free(cause);
			return (CLI_EXIT_USAGE);
		}
		ss->have_rate = 1;
		return (0);
	case 'r':
		if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0) {
			cli_error(&cmd_site_entry, "--relay: on or off, not %s",
			    arg);
			return (CLI_EXIT_USAGE);
		}
		ss->relay = arg;
		return (0);
	case 'n':
		/* "auto" (0) gives the choice back to the hub. */
		if (strcmp(arg, "auto") == 0)
			ss->streams = 0;
		else if (human_parse_long(arg, 1, 16, &ss->streams) != 0) {
			cli_error(&cmd_site_entry, "--streams: %s is not a "
			    "number from 1 to 16, or auto", arg);
			return (CLI_EXIT_USAGE);
		}
		return (0);
	case 'a': ss->addr = arg; return (0);
	case 'w': ss->win = arg; return (0);
	case 'z': ss->tz = arg; return (0);
	default: return (CLI_EXIT_USAGE);
	}
}

/* The site.set request of what was given. */
static json_t *
site_set_request(const char *site, const struct site_set *ss)
{
	json_t	*req;

	req = json_pack("{s:s, s:s}", "op", "site.set", "site", site);
	if (ss->have_rate)
		json_object_set_new(req, "bwlimit", json_integer(
		    (json_int_t)ss->rate));
	if (ss->addr != NULL)
		json_object_set_new(req, "address", json_string(
		    strcmp(ss->addr, "none") == 0 ? "" : ss->addr));
	/* "none" clears the window; "hub" (or "") means the hub's zone. */
	if (ss->win != NULL)
		json_object_set_new(req, "window", json_string(
		    strcmp(ss->win, "none") == 0 ? "" : ss->win));
	if (ss->tz != NULL)
		json_object_set_new(req, "tz", json_string(
		    strcmp(ss->tz, "hub") == 0 ? "" : ss->tz));
	if (ss->relay != NULL)
		json_object_set_new(req, "relay", json_boolean(strcmp(
		    ss->relay, "on") == 0));
	if (ss->streams >= 0)
		json_object_set_new(req, "streams", json_integer(ss->streams));
	return (req);
}

/* One line per setting the hub took. */
static void
site_set_print(const char *site, const struct site_set *ss)
{
	char	 r1[HUMAN_LEN];

	if (ss->have_rate)
		printf("site %s: bandwidth cap %s\n", site, ss->rate == 0 ?
		    "none" : human_rate((double)ss->rate, r1, sizeof r1));
	if (ss->addr != NULL)
		printf("site %s: agents reached at %s\n", site,
		    strcmp(ss->addr, "none") == 0 ? "the address they "
		    "connect from, if they claim it" : ss->addr);
	if (ss->relay != NULL)
		printf("site %s: relay through the hub %s\n", site,
		    strcmp(ss->relay, "on") == 0 ? "on, when neither agent "
		    "can be reached" : "off");
	if (ss->streams == 0)
		printf("site %s: streams chosen by the hub\n", site);
	else if (ss->streams > 0)
		printf("site %s: %ld streams per transfer\n", site,
		    ss->streams);
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
	struct site_set		 ss = { NULL, NULL, NULL, NULL, -1, 0, 0 };
	const char		*state = NULL, *site;
	json_t			*req, *rep = NULL;
	int			 ch, r;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'S': state = optarg; break;
		case 's': so.sftp = optarg; break;
		case 'k': so.key = optarg; break;
		case 'K': so.known = optarg; break;
		case 'p': so.pass = optarg; break;
		case 'v': so.via = optarg; break;
		case '?': return (cli_usage(&cmd_site_entry));
		default:
			if (site_set_opt(ch, optarg, &ss) != 0)
				return (CLI_EXIT_USAGE);
		}
	}
	if ((r = cmd_site_sftp(argc - optind, argv + optind, state, &so,
	    site_set_given(&ss))) != -1)
		return (r);
	if (argc - optind != 2 || strcmp(argv[optind], "set") != 0 ||
	    !site_set_given(&ss)) {
		cli_error(&cmd_site_entry, "expected: set SITE and one or more "
		    "of --bwlimit RATE, --address ADDR|none, --window "
		    "RULES|none, --tz ZONE|hub, --relay on|off, --streams "
		    "1-16|auto");
		return (cli_usage(&cmd_site_entry));
	}
	site = argv[optind + 1];
	req = site_set_request(site, &ss);
	r = cli_request(&cmd_site_entry, state, req, &rep);
	json_decref(req);
	if (r == 0)
		site_set_print(site, &ss);
	json_decref(rep);
	if (r == 0 && (ss.win != NULL || ss.tz != NULL))
		r = site_show(state, site);
	return (r);
}
