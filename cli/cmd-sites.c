/*
 * ferry sites [SITE] [--json] [--state DIR]: the sites the hub knows,
 * with each one's bandwidth cap, transfer window, time zone and the cap
 * that holds now (docs/agent.md, "Transfer windows"), and for an SFTP
 * site its server (docs/sftp.md).
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
	.usage = "[SITE] [--json] [--state DIR]",
	.summary = "show sites: bandwidth caps and transfer windows",
	.exec = cmd_sites_exec,
};

static const char *
sites_rate(const json_t *v, char *buf, size_t n)
{
	json_int_t	rate = json_integer_value(v);

	if (rate <= 0)
		return ("none");
	return (human_rate((double)rate, buf, n));
}

void
cli_site_print(const json_t *s)
{
	const char	*win = json_string_value(json_object_get(s, "window"));
	const char	*err = json_string_value(json_object_get(s,
			    "window_error"));
	json_int_t	 rule = json_integer_value(json_object_get(s, "rule"));
	char		 a[HUMAN_LEN], b[HUMAN_LEN], why[64];

	if (win == NULL)
		snprintf(why, sizeof why, "no window");
	else if (err != NULL)
		snprintf(why, sizeof why, "the window is broken");
	else if (rule < 0)
		snprintf(why, sizeof why, "no rule holds");
	else
		snprintf(why, sizeof why, "rule %jd", (intmax_t)rule + 1);
	printf("%s: cap %s, window %s%s%s, time zone %s; now %s (%s)\n",
	    json_string_value(json_object_get(s, "name")),
	    sites_rate(json_object_get(s, "bwlimit"), a, sizeof a),
	    win ? "\"" : "", win ? win : "none", win ? "\"" : "",
	    json_string_value(json_object_get(s, "tz_effective")),
	    sites_rate(json_object_get(s, "cap"), b, sizeof b), why);
	if (err != NULL)
		printf("  window ignored: %s\n", err);
	/* Only when set: otherwise the hub chooses per job (docs/agent.md). */
	if (json_integer_value(json_object_get(s, "streams")) > 0)
		printf("  %jd streams per transfer\n", (intmax_t)
		    json_integer_value(json_object_get(s, "streams")));
	/* An agentless site: where the hub reaches it (docs/sftp.md). */
	if (json_is_string(json_object_get(s, "target")))
		printf("  sftp %s, key %s, reached by the hub\n",
		    json_string_value(json_object_get(s, "target")),
		    json_string_value(json_object_get(s, "key_file")));
}

static int
cmd_sites_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*state = NULL, *only;
	json_t		*req, *rep = NULL, *s;
	size_t		 i;
	int		 ch, json = 0, r, found = 0;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 'S': state = optarg; break;
		default: return (cli_usage(&cmd_sites_entry));
		}
	}
	if (argc - optind > 1)
		return (cli_usage(&cmd_sites_entry));
	only = argc - optind == 1 ? argv[optind] : NULL;
	req = json_pack("{s:s}", "op", "sites");
	r = cli_request(&cmd_sites_entry, state, req, &rep);
	json_decref(req);
	if (r != 0)
		return (r);
	if (json && only == NULL) {
		cli_json_print(rep);
		json_decref(rep);
		return (CLI_EXIT_OK);
	}
	json_array_foreach(json_object_get(rep, "sites"), i, s) {
		if (only != NULL && strcmp(only, json_string_value(
		    json_object_get(s, "name"))) != 0)
			continue;
		found = 1;
		if (json)
			cli_json_print(s);
		else
			cli_site_print(s);
	}
	json_decref(rep);
	if (only != NULL && !found) {
		cli_error(&cmd_sites_entry, "no site %s", only);
		return (CLI_EXIT_FAILED);
	}
	return (CLI_EXIT_OK);
}
