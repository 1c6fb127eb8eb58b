/*
 * ferry publish [--task FTRACK_TASK_ID] [--note TEXT] [--wait] [--json]
 *     [--state DIR] PATH...
 * On a vendor's or an employee's machine: sends finished work at PATH
 * (files, folders) back to the studio through the local ferryd, which
 * relays it to the hub. Each PATH goes to the matching on-prem path when
 * the person may write there, else into their home folder, which one
 * line says. The job id is printed alone on the last line.
 */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "compat.h"

static int	cmd_publish_exec(int, char **);

const struct cmd_entry cmd_publish_entry = {
	.name = "publish",
	.usage = "[--task FTRACK_TASK_ID] [--note TEXT] [--wait] [--json] "
	    "[--state DIR] PATH...",
	.summary = "send finished work back to the studio",
	.exec = cmd_publish_exec,
};

/*
 * PATH as ferryd on this machine must see it: absolute (on Windows
 * C:\\..., S:\\... or \\\\host\\share\\..., which the hub finds below
 * this machine's roots of that kind).
 */
static json_t *
publish_abs(const char *path)
{
	char	cwd[PATH_MAX];

	if (path[0] == '/' || compat_path_absolute(path) ||
	    getcwd(cwd, sizeof cwd) == NULL)
		return (json_string(path));
	return (json_sprintf("%s/%s", cwd, path));
}

static int
cmd_publish_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "task", required_argument, NULL, 't' },
		{ "note", required_argument, NULL, 'n' },
		{ "wait", no_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*state = NULL, *task = NULL, *note = NULL;
	json_t		*req, *rep = NULL, *paths, *line;
	json_int_t	 id, files;
	size_t		 i;
	int		 ch, wait = 0, json = 0, r;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 't': task = optarg; break;
		case 'n': note = optarg; break;
		case 'w': wait = 1; break;
		case 'j': json = 1; break;
		case 'S': state = optarg; break;
		default: return (cli_usage(&cmd_publish_entry));
		}
	}
	if (optind == argc) {
		cli_error(&cmd_publish_entry, "no PATH given");
		return (cli_usage(&cmd_publish_entry));
	}
	paths = json_array();
	for (; optind < argc; optind++)
		json_array_append_new(paths, publish_abs(argv[optind]));
	req = json_pack("{s:s, s:o, s:s?, s:s?}", "op", "publish", "paths",
	    paths, "task", task, "note", note);
	r = cli_request(&cmd_publish_entry, state, req, &rep);
	json_decref(req);
	if (r != 0)
		return (r);
	id = json_integer_value(json_object_get(rep, "id"));
	if (json)
		cli_json_print(rep);
	else {
		/* Where it did not go, and why: one line each. */
		json_array_foreach(json_object_get(rep, "lines"), i, line)
			printf("%s\n", json_string_value(line));
		files = json_integer_value(json_object_get(rep, "files"));
		printf("%jd file%s published to %s, job:\n%jd\n",
		    (intmax_t)files, files == 1 ? "" : "s",
		    json_string_value(json_object_get(rep, "to")),
		    (intmax_t)id);
	}
	json_decref(rep);
	fflush(stdout);
	return (wait ? cli_wait_job(&cmd_publish_entry, state, id, json) :
	    CLI_EXIT_OK);
}
