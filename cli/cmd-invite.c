/*
 * ferry invite --site SITE | --user EMAIL --clearance employee|restricted
 *     [--expires HOURS] [--state DIR]
 * Asks the hub for a one-time enrolment code; the code is printed alone on
 * the last line, so that scripts can take it with `tail -n1`.
 */
#include "config.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"

static int	cmd_invite_exec(int, char **);

const struct cmd_entry cmd_invite_entry = {
	.name = "invite",
	.usage = "--site SITE | --user EMAIL --clearance employee|restricted "
	    "[--expires HOURS] [--state DIR]",
	.summary = "make a one-time code for a new agent (on the hub)",
	.exec = cmd_invite_exec,
};

/*
 * Where new agents reach this hub: its listen address, or this host's
 * name with the port when it listens on every address.
 */
static char *
invite_hub_address(const char *state)
{
	char	*listen = cli_conf_get(state, "listen"), *port, *out;
	char	 host[256];

	if (listen == NULL)
		return (strdup("HUB[:PORT]"));
	port = strrchr(listen, ':');
	if (strncmp(listen, "0.0.0.0", 7) == 0 || strncmp(listen, "[::]", 4) ==
	    0 || strncmp(listen, "*", 1) == 0) {
		if (gethostname(host, sizeof host) != 0)
			snprintf(host, sizeof host, "HUB");
		host[sizeof host - 1] = '\0';
		if (asprintf(&out, "%s%s", host, port ? port : "") == -1)
			out = NULL;
		free(listen);
		return (out);
	}
	return (listen);
}

static int
cmd_invite_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "site", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		{ "clearance", required_argument, NULL, 'c' },
		{ "expires", required_argument, NULL, 'e' },
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*site = NULL, *user = NULL, *clear = NULL;
	const char	*state = NULL;
	char		*end;
	double		 hours = 72;
	char		*hub;
	json_t		*req, *rep = NULL;
	int		 ch, r;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': site = optarg; break;
		case 'u': user = optarg; break;
		case 'c': clear = optarg; break;
		case 'S': state = optarg; break;
		case 'e':
			hours = strtod(optarg, &end);
			if (*end != '\0' || hours <= 0) {
				cli_error(&cmd_invite_entry, "--expires: %s is "
				    "not a positive number of hours", optarg);
				return (CLI_EXIT_USAGE);
			}
			/* The hub's bound, and no overflow in seconds. */
			if (hours > 8784) {
				cli_error(&cmd_invite_entry, "--expires: %s "
				    "hours: an invite is valid for at most "
				    "8784 hours (366 days)", optarg);
				return (CLI_EXIT_USAGE);
			}
			break;
		default:
			return (cli_usage(&cmd_invite_entry));
		}
	}
	if ((site == NULL) == (user == NULL) || (user != NULL &&
	    clear == NULL) || optind != argc) {
		cli_error(&cmd_invite_entry, "give --site SITE, or --user "
		    "EMAIL with --clearance employee|restricted");
		return (cli_usage(&cmd_invite_entry));
	}
	req = json_pack("{s:s, s:s?, s:s?, s:s?, s:I}", "op", "invite",
	    "site", site, "user", user, "clearance", clear, "ttl",
	    (json_int_t)(hours * 3600));
	r = cli_request(&cmd_invite_entry, state, req, &rep);
	json_decref(req);
	if (r != 0)
		return (r);
	hub = invite_hub_address(state);
	printf("invite %jd for %s %s, valid for %.0f hours; on the new "
	    "machine run:\n  ferryd enroll %s %s --state /var/lib/ferry\n"
	    "The code (it works once):\n%s\n",
	    (intmax_t)json_integer_value(json_object_get(rep, "invite")),
	    site ? "site" : "user", site ? site : user, hours, hub,
	    json_string_value(json_object_get(rep, "code")),
	    json_string_value(json_object_get(rep, "code")));
	free(hub);
	json_decref(rep);
	return (CLI_EXIT_OK);
}
