/*
 * ferry job ID [--json] [--wait] [--state DIR]: one job, its files and
 * their states; with --wait, follow it until it ends (the exit status
 * says how).
 */
#include "config.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static int	cmd_job_exec(int, char **);

const struct cmd_entry cmd_job_entry = {
	.name = "job",
	.usage = "ID [--json] [--wait|--watch] [--state DIR]",
	.summary = "show one job and its files",
	.exec = cmd_job_exec,
};

static int
cmd_job_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "wait", no_argument, NULL, 'w' },
		{ "watch", no_argument, NULL, 'w' },
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*state = NULL;
	char		*text, *end;
	json_t		*req, *rep = NULL, *t;
	json_int_t	 id;
	size_t		 i;
	int		 ch, json = 0, wait = 0, r;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 'w': wait = 1; break;
		case 'S': state = optarg; break;
		default: return (cli_usage(&cmd_job_entry));
		}
	}
	if (argc - optind != 1 || (id = strtoll(argv[optind], &end, 10)) <= 0 ||
	    *end != '\0') {
		cli_error(&cmd_job_entry, "a job id is needed");
		return (cli_usage(&cmd_job_entry));
	}
	if (wait && (r = cli_wait_job(&cmd_job_entry, state, id, json)) ==
	    CLI_EXIT_USAGE)
		return (r);
	req = json_pack("{s:s, s:I}", "op", "job", "id", id);
	r = cli_request(&cmd_job_entry, state, req, &rep);
	json_decref(req);
	if (r != 0)
		return (r);
	if (json) {
		text = json_dumps(rep, JSON_COMPACT);
		printf("%s\n", text ? text : "{}");
		free(text);
	} else {
		printf("job %jd: %s, %s -> %s, %jd/%jd files\n", (intmax_t)id,
		    json_string_value(json_object_get(rep, "state")),
		    json_string_value(json_object_get(rep, "from")),
		    json_string_value(json_object_get(rep, "to")),
		    (intmax_t)json_integer_value(json_object_get(rep,
		    "done_files")), (intmax_t)json_integer_value(
		    json_object_get(rep, "files")));
		json_array_foreach(json_object_get(rep, "tasks"), i, t)
			printf("  %-9s %s -> %s%s%s\n", json_string_value(
			    json_object_get(t, "state")), json_string_value(
			    json_object_get(t, "src")), json_string_value(
			    json_object_get(t, "dst")),
			    json_is_string(json_object_get(t, "error")) ? ": " :
			    "", json_is_string(json_object_get(t, "error")) ?
			    json_string_value(json_object_get(t, "error")) :
			    "");
	}
	r = strcmp(json_string_value(json_object_get(rep, "state")), "done") ==
	    0 || !wait ? CLI_EXIT_OK : CLI_EXIT_FAILED;
	json_decref(rep);
	return (r);
}
