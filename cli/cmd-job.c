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
#include "human.h"

static int	cmd_job_exec(int, char **);

const struct cmd_entry cmd_job_entry = {
	.name = "job",
	.usage = "ID [--json] [--wait|--watch] [--state DIR]",
	.summary = "show one job and its files",
	.exec = cmd_job_exec,
};

/*
 * Tasks a page: the hub answers at most this many at once, and neither
 * it nor this program holds more than one page (a job may have a million
 * files).
 */
#define JOB_PAGE	2000

static void	job_head(const json_t *);

/* One line per file, with its bytes (pages come in destination order). */
static void
job_task_line(const json_t *t)
{
	char		 b1[HUMAN_LEN], b2[HUMAN_LEN], size[80];
	json_int_t	 done, all;
	const char	*err = json_string_value(json_object_get(t, "error"));

	done = json_integer_value(json_object_get(t, "done_bytes"));
	all = json_integer_value(json_object_get(t, "size"));
	if (done == all)
		human_bytes((double)all, size, sizeof size);
	else
		snprintf(size, sizeof size, "%s/%s", human_bytes((double)done,
		    b1, sizeof b1), human_bytes((double)all, b2, sizeof b2));
	printf("  %-9s %17s  %s%s%s\n", json_string_value(json_object_get(t,
	    "state")), size, json_string_value(json_object_get(t, "dst")),
	    err != NULL ? ": " : "", err != NULL ? err : "");
}

/*
 * --json, a page at a time: the same document as one answer would give
 * (the first page's totals, "tasks", then "done" as cli_json_print says
 * it), written as the pages come.
 */
static int
job_json_head(const json_t *rep)
{
	json_t		*head = json_deep_copy(rep);
	const char	*st = json_string_value(json_object_get(rep, "state"));
	char		*text;
	size_t		 n;

	if (head == NULL)
		return (-1);
	json_object_del(head, "tasks");
	json_object_del(head, "next");
	json_object_del(head, "done");
	text = json_dumps(head, JSON_COMPACT);
	json_decref(head);
	if (text == NULL || (n = strlen(text)) < 2) {
		free(text);
		return (-1);
	}
	text[n - 1] = '\0';	/* the closing brace: more keys follow */
	printf("%s%s\"tasks\":[", text, n > 2 ? "," : "");
	free(text);
	return (st != NULL && strcmp(st, "done") == 0);
}

static void
job_json_task(const json_t *t, int first)
{
	char	*text = json_dumps(t, JSON_COMPACT | JSON_ENCODE_ANY);

	printf("%s%s", first ? "" : ",", text != NULL ? text : "{}");
	free(text);
}

/*
 * Asks for the job a page at a time and prints each page as it comes:
 * the totals from the first. 0, or the failed request's exit status.
 */
static int
job_show(const char *state, json_int_t id, int json, char *st, size_t stlen)
{
	json_t		*req, *rep = NULL, *t, *next;
	size_t		 i, n = 0, pages = 0;
	int		 r, done = 0;

	req = json_pack("{s:s, s:I, s:I, s:i}", "op", "job", "id", id, "after",
	    (json_int_t)0, "limit", JOB_PAGE);
	for (;;) {
		if ((r = cli_request(&cmd_job_entry, state, req, &rep)) != 0)
			break;
		if (pages++ == 0) {
			t = json_object_get(rep, "state");
			snprintf(st, stlen, "%s", json_is_string(t) ?
			    json_string_value(t) : "");
			if (json)
				done = job_json_head(rep) == 1;
			else
				job_head(rep);
		}
		json_array_foreach(json_object_get(rep, "tasks"), i, t) {
			if (json)
				job_json_task(t, n == 0);
			else
				job_task_line(t);
			n++;
		}
		next = json_object_get(rep, "next");
		if (!json_is_integer(next)) {
			json_decref(rep);
			break;
		}
		json_object_set(req, "after", next);
		json_decref(rep);
		rep = NULL;
	}
	json_decref(req);
	/* A page refused half way leaves the document open: r says so. */
	if (json && r == 0)
		printf("],\"done\":%s}\n", done ? "true" : "false");
	fflush(stdout);
	return (r);
}

/* The job's totals, and what the deltas saved when the hub knows it. */
static void
job_head(const json_t *rep)
{
	char		b1[HUMAN_LEN], b2[HUMAN_LEN], w[HUMAN_LEN];
	json_int_t	wire = json_integer_value(json_object_get(rep,
			    "wire_bytes"));
	json_int_t	done = json_integer_value(json_object_get(rep,
			    "done_bytes")), sent;

	printf("job %jd: %s, %s -> %s, %jd/%jd files, %s/%s\n",
	    (intmax_t)json_integer_value(json_object_get(rep, "id")),
	    json_string_value(json_object_get(rep, "state")),
	    json_string_value(json_object_get(rep, "from")),
	    json_string_value(json_object_get(rep, "to")),
	    (intmax_t)json_integer_value(json_object_get(rep, "done_files")),
	    (intmax_t)json_integer_value(json_object_get(rep, "files")),
	    human_bytes((double)done, b1, sizeof b1), human_bytes((double)
	    json_integer_value(json_object_get(rep, "bytes")), b2, sizeof b2));
	/* What the agents reported moving, against what crossed the wire. */
	sent = json_integer_value(json_object_get(rep, "sent_bytes"));
	if (json_object_get(rep, "wire_bytes") != NULL && sent > 0)
		printf("on the wire: %s for %s delivered (%.0f%% saved by "
		    "deltas and unchanged files)\n", human_bytes((double)wire,
		    w, sizeof w), human_bytes((double)sent, b2, sizeof b2),
		    wire < sent ? 100.0 * (double)(sent - wire) / (double)sent :
		    0.0);
	if (json_integer_value(json_object_get(rep, "relayed_bytes")) > 0)
		printf("through the hub's relay: %s (neither agent could be "
		    "reached)\n", human_bytes((double)json_integer_value(
		    json_object_get(rep, "relayed_bytes")), w, sizeof w));
	if (json_is_string(json_object_get(rep, "last_error")))
		printf("error: %s\n", json_string_value(json_object_get(rep,
		    "last_error")));
}

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
	char		*end, st[32];
	json_int_t	 id;
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
	if ((r = job_show(state, id, json, st, sizeof st)) != 0)
		return (r);
	return (strcmp(st, "done") == 0 || !wait ? CLI_EXIT_OK :
	    CLI_EXIT_FAILED);
}
