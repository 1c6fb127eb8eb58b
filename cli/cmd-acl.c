/*
 * ferry acl set PRINCIPAL SHARE:PATH read|write [--state DIR]
 * ferry acl delete PRINCIPAL SHARE:PATH [--state DIR]
 * ferry acl [list [PRINCIPAL]] [--json] [--state DIR]
 * What a restricted user (a vendor) may receive (read) or publish back
 * (write), below a path of a share ("SHARE:" for all of it). Sites and
 * employees need none.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static int	cmd_acl_exec(int, char **);

const struct cmd_entry cmd_acl_entry = {
	.name = "acl",
	.usage = "set PRINCIPAL SHARE:PATH read|write | delete PRINCIPAL "
	    "SHARE:PATH | list [PRINCIPAL] [--json] [--state DIR]",
	.summary = "grant or withdraw a restricted user's access",
	.exec = cmd_acl_exec,
};

/* Every grant (or one person's), a line each; home folders say so. */
static int
acl_list(const char *state, const char *who, int json)
{
	json_t	*req, *rep = NULL, *a;
	size_t	 i;
	int	 r;

	req = json_pack("{s:s, s:s?}", "op", "acl.list", "principal", who);
	r = cli_request(&cmd_acl_entry, state, req, &rep);
	json_decref(req);
	if (r == 0 && json)
		cli_json_print(rep);
	else if (r == 0) {
		json_array_foreach(json_object_get(rep, "acls"), i, a)
			printf("%s %s %s%s\n", json_string_value(
			    json_object_get(a, "principal")),
			    json_string_value(json_object_get(a, "access")),
			    json_string_value(json_object_get(a, "prefix")),
			    json_is_true(json_object_get(a, "home")) ?
			    " (home folder)" : "");
	}
	json_decref(rep);
	return (r);
}

static int
cmd_acl_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*state = NULL, *verb;
	json_t		*req, *rep = NULL;
	int		 ch, n, r, json = 0;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'S': state = optarg; break;
		case 'j': json = 1; break;
		default: return (cli_usage(&cmd_acl_entry));
		}
	}
	n = argc - optind;
	verb = n > 0 ? argv[optind] : "list";
	if (strcmp(verb, "list") == 0 && n <= 2)
		return (acl_list(state, n == 2 ? argv[optind + 1] : NULL,
		    json));
	if (!((strcmp(verb, "set") == 0 && n == 4 &&
	    (strcmp(argv[optind + 3], "read") == 0 ||
	    strcmp(argv[optind + 3], "write") == 0)) ||
	    (strcmp(verb, "delete") == 0 && n == 3))) {
		cli_error(&cmd_acl_entry, "expected: set PRINCIPAL SHARE:PATH "
		    "read|write, or delete PRINCIPAL SHARE:PATH");
		return (cli_usage(&cmd_acl_entry));
	}
	if (strchr(argv[optind + 2], ':') == NULL ||
	    argv[optind + 2][0] == ':') {
		cli_error(&cmd_acl_entry, "%s: expected SHARE:PATH, such as "
		    "projects:show/sh010", argv[optind + 2]);
		return (CLI_EXIT_USAGE);
	}
	req = json_pack("{s:s, s:s, s:s, s:s?}", "op", strcmp(verb, "set") ==
	    0 ? "acl.set" : "acl.delete", "principal", argv[optind + 1],
	    "prefix", argv[optind + 2], "access", n == 4 ? argv[optind + 3] :
	    NULL);
	r = cli_request(&cmd_acl_entry, state, req, &rep);
	json_decref(req);
	if (r == 0 && n == 4)
		printf("%s may %s %s\n", argv[optind + 1], argv[optind + 3],
		    argv[optind + 2]);
	else if (r == 0)
		printf("%s: access to %s withdrawn\n", argv[optind + 1],
		    argv[optind + 2]);
	json_decref(rep);
	return (r);
}
