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

static int
job_task_cmp(const void *a, const void *b)
{
	return (strcmp(json_string_value(json_object_get(*(json_t *const *)a,
	    "dst")), json_string_value(json_object_get(*(json_t *const *)b,
	    "dst"))));
}

/* One line per file, sorted by destination path, with its bytes. */
static void
job_tasks(const json_t *tasks)
{
	json_t		**v, *t;
	size_t		  i, n = json_array_size(tasks);
	char		  b1[HUMAN_LEN], b2[HUMAN_LEN], size[80];
	json_int_t	  done, all;

	if (n == 0 || (v = calloc(n, sizeof *v)) == NULL)
		return;
	json_array_foreach(tasks, i, t)
		v[i] = t;
	qsort(v, n, sizeof *v, job_task_cmp);
	for (i = 0; i < n; i++) {
		t = v[i];
		done = json_integer_value(json_object_get(t, "done_bytes"));
		all = json_integer_value(json_object_get(t, "size"));
		if (done == all)
			human_bytes((double)all, size, sizeof size);
		else
			snprintf(size, sizeof size, "%s/%s", human_bytes(
			    (double)done, b1, sizeof b1), human_bytes(
			    (double)all, b2, sizeof b2));
		printf("  %-9s %17s  %s%s%s\n", json_string_value(
		    json_object_get(t, "state")), size, json_string_value(
		    json_object_get(t, "dst")), json_is_string(json_object_get(
		    t, "error")) ? ": " : "", json_is_string(json_object_get(t,
		    "error")) ? json_string_value(json_object_get(t, "error")) :
		    "");
	}
	free(v);
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
	char		*end;
	json_t		*req, *rep = NULL;
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
	req = json_pack("{s:s, s:I}", "op", "job", "id", id);
	r = cli_request(&cmd_job_entry, state, req, &rep);
	json_decref(req);
	if (r != 0)
		return (r);
	if (json)
		cli_json_print(rep);
	else {
		job_head(rep);
		job_tasks(json_object_get(rep, "tasks"));
	}
	r = strcmp(json_string_value(json_object_get(rep, "state")), "done") ==
	    0 || !wait ? CLI_EXIT_OK : CLI_EXIT_FAILED;
	json_decref(rep);
	return (r);
}
