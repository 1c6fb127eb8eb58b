/*
 * ferry audit [--json] [--limit N] [--state DIR]: the hub's audit trail,
 * the newest N records (default 50), oldest first: who did what, and
 * what the hub refused (docs/security.md lists the records).
 */
#include "config.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"

static int	cmd_audit_exec(int, char **);

const struct cmd_entry cmd_audit_entry = {
	.name = "audit",
	.usage = "[--json] [--limit N] [--state DIR]",
	.summary = "show the hub's audit trail",
	.exec = cmd_audit_exec,
};

static void
audit_print(const json_t *a)
{
	char	 when[32], *detail = NULL;
	time_t	 t = (time_t)json_integer_value(json_object_get(a, "time"));

	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&t));
	if (json_object_get(a, "detail") != NULL)
		detail = json_dumps(json_object_get(a, "detail"),
		    JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	printf("%s  %-24s %-22s %s\n", when, json_string_value(
	    json_object_get(a, "who")), json_string_value(json_object_get(a,
	    "what")), detail ? detail : "");
	free(detail);
}

static int
cmd_audit_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "limit", required_argument, NULL, 'l' },
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*state = NULL;
	char		*text, *end;
	json_t		*req, *rep = NULL, *a;
	size_t		 i;
	long		 limit = 50;
	int		 ch, json = 0, r;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 'l':
			limit = strtol(optarg, &end, 10);
			if (*end != '\0' || end == optarg || limit < 0) {
				cli_error(&cmd_audit_entry, "--limit: not a "
				    "count: %s", optarg);
				return (CLI_EXIT_USAGE);
			}
			break;
		case 'S': state = optarg; break;
		default: return (cli_usage(&cmd_audit_entry));
		}
	}
	if (argc != optind)
		return (cli_usage(&cmd_audit_entry));
	req = json_pack("{s:s, s:I}", "op", "audit", "limit",
	    (json_int_t)limit);
	r = cli_request(&cmd_audit_entry, state, req, &rep);
	json_decref(req);
	if (r != 0)
		return (r);
	if (json) {
		text = json_dumps(json_object_get(rep, "audit"), JSON_COMPACT);
		printf("%s\n", text ? text : "[]");
		free(text);
	} else {
		json_array_foreach(json_object_get(rep, "audit"), i, a)
			audit_print(a);
	}
	json_decref(rep);
	return (CLI_EXIT_OK);
}
