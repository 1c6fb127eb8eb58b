/*
 * ferry jobs [--json] [--watch] [--limit N | --all] [--state DIR]: the
 * jobs, newest first (the 50 newest unless told), with their progress:
 * who sent what, when, and how it went.
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
#include "human.h"

static int	cmd_jobs_exec(int, char **);

const struct cmd_entry cmd_jobs_entry = {
	.name = "jobs",
	.usage = "[--json] [--watch] [--limit N | --all] [--state DIR]",
	.summary = "list the jobs and how they went",
	.exec = cmd_jobs_exec,
};

#define JOBS_COLS	8

/* One job as the table's cells; each cell is at most 63 bytes. */
static void
jobs_cells(const json_t *j, char cell[JOBS_COLS][64])
{
	char	 b1[HUMAN_LEN], b2[HUMAN_LEN], who[64];
	time_t	 t = (time_t)json_integer_value(json_object_get(j, "created"));

	snprintf(cell[0], 64, "%jd", (intmax_t)json_integer_value(
	    json_object_get(j, "id")));
	snprintf(cell[1], 64, "%s", json_string_value(json_object_get(j,
	    "state")));
	snprintf(cell[2], 64, "%s", json_string_value(json_object_get(j,
	    "from")));
	snprintf(cell[3], 64, "%s", json_string_value(json_object_get(j,
	    "to")));
	snprintf(cell[4], 64, "%jd/%jd", (intmax_t)json_integer_value(
	    json_object_get(j, "done_files")), (intmax_t)json_integer_value(
	    json_object_get(j, "files")));
	snprintf(cell[5], 64, "%s/%s", human_bytes((double)json_integer_value(
	    json_object_get(j, "done_bytes")), b1, sizeof b1), human_bytes(
	    (double)json_integer_value(json_object_get(j, "bytes")), b2,
	    sizeof b2));
	strftime(cell[6], 64, "%Y-%m-%d %H:%M", localtime(&t));
	snprintf(cell[7], 64, "%s", cli_who(json_string_value(
	    json_object_get(j, "by")), who, sizeof who));
}

/*
 * The jobs as a table whose columns are as wide as their widest cell;
 * a failing job's first error goes on the line below it.
 */
static void
jobs_table(const json_t *jobs)
{
	static const char	*head[JOBS_COLS] = { "ID", "STATE", "FROM",
	    "TO", "FILES", "BYTES", "CREATED", "BY" };
	char			 cell[JOBS_COLS][64];
	int			 w[JOBS_COLS], c;
	const json_t		*j;
	size_t			 i;

	for (c = 0; c < JOBS_COLS; c++)
		w[c] = (int)strlen(head[c]);
	json_array_foreach(jobs, i, j) {
		jobs_cells(j, cell);
		for (c = 0; c < JOBS_COLS; c++) {
			if ((int)strlen(cell[c]) > w[c])
				w[c] = (int)strlen(cell[c]);
		}
	}
	/* Numbers to the right, words to the left; the last one unpadded. */
	printf("%*s  %-*s  %-*s  %-*s  %*s  %*s  %-*s  %s\n", w[0], head[0],
	    w[1], head[1], w[2], head[2], w[3], head[3], w[4], head[4], w[5],
	    head[5], w[6], head[6], head[7]);
	json_array_foreach(jobs, i, j) {
		jobs_cells(j, cell);
		printf("%*s  %-*s  %-*s  %-*s  %*s  %*s  %-*s  %s\n", w[0],
		    cell[0], w[1], cell[1], w[2], cell[2], w[3], cell[3], w[4],
		    cell[4], w[5], cell[5], w[6], cell[6], cell[7]);
		if (json_is_string(json_object_get(j, "last_error")))
			printf("%*s  %s\n", w[0], "", json_string_value(
			    json_object_get(j, "last_error")));
	}
}

/* A meter per watched job; jobs beyond the table share the last one. */
#define JOBS_METERS	64
struct jobs_meter {
	json_int_t		id;
	struct human_meter	m;
};

static struct human_meter *
jobs_meter(struct jobs_meter *tab, json_int_t id)
{
	size_t	i;

	for (i = 0; i < JOBS_METERS - 1 && tab[i].id != 0; i++) {
		if (tab[i].id == id)
			return (&tab[i].m);
	}
	if (tab[i].id != id) {
		memset(&tab[i], 0, sizeof tab[i]);
		tab[i].id = id;
	}
	return (&tab[i].m);
}

/*
 * Redraws the active jobs' lines every second (on a terminal; otherwise a
 * line per job and update). With nothing running it waits for jobs, as
 * watch(1) would, until interrupted.
 */
static int
jobs_watch(const char *state, json_t *req)
{
	static struct jobs_meter tab[JOBS_METERS];
	struct human_meter	*m;
	json_t			*rep = NULL, *j;
	const char		*st;
	double			 now;
	size_t			 i, active;
	int			 r, tty = isatty(STDOUT_FILENO), idle = 0;

	for (;;) {
		if ((r = cli_request(&cmd_jobs_entry, state, req, &rep)) != 0)
			break;
		if (tty)
			printf("\033[H\033[J");
		active = 0;
		now = cli_now();
		json_array_foreach(json_object_get(rep, "jobs"), i, j) {
			st = json_string_value(json_object_get(j, "state"));
			if (strcmp(st, "running") != 0 &&
			    strcmp(st, "queued") != 0)
				continue;
			active++;
			m = jobs_meter(tab, json_integer_value(
			    json_object_get(j, "id")));
			human_meter_add(m, now, (uint64_t)json_integer_value(
			    json_object_get(j, "done_bytes")));
			cli_bar(stdout, j, m, now, 0);
		}
		/* Without a terminal, "waiting" once per idle spell. */
		if (active == 0 && (tty || !idle))
			printf("no job running; waiting for jobs "
			    "(Ctrl-C to stop)\n");
		idle = active == 0;
		fflush(stdout);
		json_decref(rep);
		rep = NULL;
		sleep(1);
	}
	return (r);
}

/* Jobs a page for --all: the hub holds one page at a time. */
#define JOBS_PAGE	1000

/*
 * The limit newest jobs (0: all of them, a page at a time, each older
 * than the last one of the page before) in *out.
 */
static int
jobs_fetch(const char *state, long limit, json_t **out)
{
	json_t	*req, *rep = NULL, *all = json_array(), *next;
	int	 r;

	req = json_pack("{s:s, s:i}", "op", "jobs", "limit", limit > 0 ?
	    (int)limit : JOBS_PAGE);
	for (;;) {
		if ((r = cli_request(&cmd_jobs_entry, state, req, &rep)) != 0)
			break;
		json_array_extend(all, json_object_get(rep, "jobs"));
		next = json_object_get(rep, "next");
		if (limit > 0 || !json_is_integer(next)) {
			json_decref(rep);
			break;
		}
		json_object_set(req, "before", next);
		json_decref(rep);
		rep = NULL;
	}
	json_decref(req);
	if (r != 0)
		json_decref(all);
	else
		*out = all;
	return (r);
}

static int
cmd_jobs_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "watch", no_argument, NULL, 'w' },
		{ "limit", required_argument, NULL, 'l' },
		{ "all", no_argument, NULL, 'a' },
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*state = NULL;
	char		*text;
	json_t		*req, *jobs = NULL;
	long		 limit = 50;
	int		 ch, json = 0, watch = 0, all = 0, r;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 'w': watch = 1; break;
		case 'a': all = 1; break;
		case 'l':
			if (human_parse_long(optarg, 1, 1000000, &limit) != 0) {
				cli_error(&cmd_jobs_entry, "--limit: %s is not "
				    "a number of jobs from 1 to 1000000",
				    optarg);
				return (CLI_EXIT_USAGE);
			}
			break;
		case 'S': state = optarg; break;
		default: return (cli_usage(&cmd_jobs_entry));
		}
	}
	if (optind != argc) {
		cli_error(&cmd_jobs_entry, "unexpected argument %s (for one "
		    "job: ferry job ID)", argv[optind]);
		return (CLI_EXIT_USAGE);
	}
	if (watch) {
		req = json_pack("{s:s, s:i}", "op", "jobs", "limit", (int)limit);
		r = jobs_watch(state, req);
		json_decref(req);
		return (r);
	}
	if ((r = jobs_fetch(state, all ? 0 : limit, &jobs)) != 0)
		return (r);
	if (json) {
		text = json_dumps(jobs, JSON_COMPACT);
		printf("%s\n", text ? text : "[]");
		free(text);
	} else
		jobs_table(jobs);
	json_decref(jobs);
	return (CLI_EXIT_OK);
}
