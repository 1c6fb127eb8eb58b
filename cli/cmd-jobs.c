/*
 * ferry jobs [--json] [--limit N] [--state DIR]: the jobs, newest first,
 * with their progress: who sent what, when, and how it went.
 */
#include "config.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"

static int	cmd_jobs_exec(int, char **);

const struct cmd_entry cmd_jobs_entry = {
	.name = "jobs",
	.usage = "[--json] [--watch] [--limit N] [--state DIR]",
	.summary = "list the jobs and how they went",
	.exec = cmd_jobs_exec,
};

/*
 * Redraws the active jobs' bars every second (on a terminal; otherwise a
 * line per job and update) until none is queued or running.
 */
static int
jobs_watch(const char *state, json_t *req)
{
	json_t		*rep = NULL, *j, *prev = json_object(), *p;
	const char	*st;
	char		 key[32];
	double		 rate, bytes;
	size_t		 i, active;
	int		 r, tty = isatty(STDOUT_FILENO);

	do {
		if ((r = cli_request(&cmd_jobs_entry, state, req, &rep)) != 0) {
			json_decref(prev);
			return (r);
		}
		if (tty)
			printf("\033[H\033[J");
		active = 0;
		json_array_foreach(json_object_get(rep, "jobs"), i, j) {
			st = json_string_value(json_object_get(j, "state"));
			if (strcmp(st, "running") != 0 &&
			    strcmp(st, "queued") != 0)
				continue;
			active++;
			/* The rate since the last redraw, a second ago. */
			snprintf(key, sizeof key, "%jd", (intmax_t)
			    json_integer_value(json_object_get(j, "id")));
			bytes = (double)json_integer_value(json_object_get(j,
			    "done_bytes"));
			p = json_object_get(prev, key);
			rate = p != NULL ? bytes - json_real_value(p) : 0;
			json_object_set_new(prev, key, json_real(bytes));
			cli_bar(stdout, j, rate > 0 ? rate : 0, 0);
		}
		if (active == 0)
			printf("no job running\n");
		fflush(stdout);
		json_decref(rep);
		rep = NULL;
		if (active > 0)
			sleep(1);
	} while (active > 0);
	json_decref(prev);
	return (CLI_EXIT_OK);
}

static int
cmd_jobs_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "watch", no_argument, NULL, 'w' },
		{ "limit", required_argument, NULL, 'l' },
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*state = NULL;
	char		*text, when[32];
	json_t		*req, *rep = NULL, *j;
	time_t		 t;
	size_t		 i;
	int		 ch, json = 0, watch = 0, limit = 50, r;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 'w': watch = 1; break;
		case 'l': limit = atoi(optarg); break;
		case 'S': state = optarg; break;
		default: return (cli_usage(&cmd_jobs_entry));
		}
	}
	req = json_pack("{s:s, s:i}", "op", "jobs", "limit", limit);
	if (watch) {
		r = jobs_watch(state, req);
		json_decref(req);
		return (r);
	}
	r = cli_request(&cmd_jobs_entry, state, req, &rep);
	json_decref(req);
	if (r != 0)
		return (r);
	if (json) {
		text = json_dumps(json_object_get(rep, "jobs"), JSON_COMPACT);
		printf("%s\n", text ? text : "[]");
		free(text);
	} else {
		printf("%6s %-9s %-8s %-8s %11s %15s  %-16s %s\n", "ID",
		    "STATE", "FROM", "TO", "FILES", "BYTES", "CREATED", "BY");
		json_array_foreach(json_object_get(rep, "jobs"), i, j) {
			t = (time_t)json_integer_value(json_object_get(j,
			    "created"));
			strftime(when, sizeof when, "%Y-%m-%d %H:%M",
			    localtime(&t));
			printf("%6jd %-9s %-8s %-8s %5jd/%-5jd %7jd/%-7jd  "
			    "%-16s %s\n", (intmax_t)json_integer_value(
			    json_object_get(j, "id")), json_string_value(
			    json_object_get(j, "state")), json_string_value(
			    json_object_get(j, "from")), json_string_value(
			    json_object_get(j, "to")), (intmax_t)
			    json_integer_value(json_object_get(j,
			    "done_files")), (intmax_t)json_integer_value(
			    json_object_get(j, "files")), (intmax_t)
			    json_integer_value(json_object_get(j,
			    "done_bytes")), (intmax_t)json_integer_value(
			    json_object_get(j, "bytes")), when,
			    json_string_value(json_object_get(j, "by")));
		}
	}
	json_decref(rep);
	return (CLI_EXIT_OK);
}
