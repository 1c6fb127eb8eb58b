/*
 * ferry send --from SITE --to SITE [--priority 0-1000] [--note TEXT]
 *     [--basis NEW=OLD]... [--skip-missing] [--no-relay] [--streams 1-16]
 *     [--wait] [--json] [--state DIR] PATH...
 * Creates a job that sends the files at PATH (as the source site sees
 * them; directories and image sequences included) to another site. The
 * job id is printed once, alone on the last line. --no-relay: if neither
 * agent can be reached, refuse the job rather than relay it through the
 * hub. --streams: the job's transfers open that many connections and
 * stripe a large file across all of them (without it: the site's
 * default, or the hub's choice from the job's files).
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

static int	cmd_send_exec(int, char **);

const struct cmd_entry cmd_send_entry = {
	.name = "send",
	.usage = "--from SITE --to SITE [--priority 0-1000] [--note TEXT] "
	    "[--basis NEW=OLD]... [--skip-missing] [--no-relay] "
	    "[--streams 1-16] [--wait] "
	    "[--json] "
	    "[--state DIR] PATH...",
	.summary = "send files to another site as a job",
	.exec = cmd_send_exec,
};

/* The last line of a wait: how the job ended, and what it moved. */
static void
wait_summary(const json_t *rep, double secs)
{
	char	b[HUMAN_LEN], t[HUMAN_LEN], w[HUMAN_LEN];

	fprintf(stderr, "job %jd %s: %jd/%jd files, %s in %s",
	    (intmax_t)json_integer_value(json_object_get(rep, "id")),
	    json_string_value(json_object_get(rep, "state")),
	    (intmax_t)json_integer_value(json_object_get(rep, "done_files")),
	    (intmax_t)json_integer_value(json_object_get(rep, "files")),
	    human_bytes((double)json_integer_value(json_object_get(rep,
	    "done_bytes")), b, sizeof b), human_duration(secs, t, sizeof t));
	if (json_object_get(rep, "wire_bytes") != NULL)
		fprintf(stderr, ", %s on the wire", human_bytes((double)
		    json_integer_value(json_object_get(rep, "wire_bytes")), w,
		    sizeof w));
	if (json_is_string(json_object_get(rep, "last_error")))
		fprintf(stderr, "; %s", json_string_value(json_object_get(rep,
		    "last_error")));
	fputc('\n', stderr);
}

/*
 * How long the hub may hold each look (ms): a terminal's bar is drawn
 * every look, so at least twice a second; a log gets a line a second.
 */
#define WAIT_TTY_MS	500
#define WAIT_LOG_MS	1000

/*
 * Follows job id until it ends, with a progress line on stderr unless
 * quiet; returns its final state's exit status.
 */
int
cli_wait_job(const struct cmd_entry *cmd, const char *state, long long id,
    int quiet)
{
	struct human_meter	 m;
	json_t			*req, *rep = NULL;
	char			 st[32] = "";
	double			 t0 = cli_now(), now, shown = -1;
	int			 r, pause_ms = 20, tty = isatty(fileno(stderr));

	memset(&m, 0, sizeof m);
	/*
	 * The totals only: a job may have 100,000 files. "wait_ms": the
	 * hub holds the look until the job ends (or leaves queued), or
	 * that long, so --wait returns as the job ends, not a pause later.
	 */
	req = json_pack("{s:s, s:I, s:b, s:i}", "op", "job", "id",
	    (json_int_t)id, "tasks", 0, "wait_ms", !quiet && tty ?
	    WAIT_TTY_MS : WAIT_LOG_MS);
	for (;;) {
		json_decref(rep);
		if ((r = cli_request(cmd, state, req, &rep)) != 0)
			break;
		snprintf(st, sizeof st, "%s", json_string_value(
		    json_object_get(rep, "state")));
		now = cli_now();
		human_meter_add(&m, now, (uint64_t)json_integer_value(
		    json_object_get(rep, "done_bytes")));
		if (strcmp(st, "queued") != 0 && strcmp(st, "running") != 0)
			break;
		/* A log gets a line a second; a terminal, every look. */
		if (!quiet && (tty || shown < 0 || now - shown >= 1)) {
			cli_bar(stderr, rep, &m, now, tty);
			shown = now;
		}
		/* The hub held the look ("waited_ms"): it paces us. */
		if (json_object_get(rep, "waited_ms") != NULL)
			continue;
		/*
		 * A hub that answers at once (an older one; a standby's
		 * or an agent's relay): look often for the first seconds
		 * (a look costs the hub well under a millisecond), then
		 * less and less often.
		 */
		usleep(pause_ms * 1000);
		if (now - t0 >= 2)
			pause_ms = pause_ms * 2 > 500 ? 500 : pause_ms * 2;
	}
	if (!quiet && tty)
		fputs("\r\033[K", stderr);
	if (!quiet && r == 0)
		wait_summary(rep, cli_now() - t0);
	json_decref(req);
	json_decref(rep);
	if (r != 0)
		return (r);
	return (strcmp(st, "done") == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED);
}

static int
cmd_send_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "priority", required_argument, NULL, 'p' },
		{ "note", required_argument, NULL, 'n' },
		{ "basis", required_argument, NULL, 'b' },
		{ "wait", no_argument, NULL, 'w' },
		{ "skip-missing", no_argument, NULL, 'k' },
		{ "no-relay", no_argument, NULL, 'R' },
		{ "streams", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*from = NULL, *to = NULL, *note = NULL, *state = NULL;
	long		 prio = 500, streams = 0;
	json_t		*req, *paths, *rep = NULL, *basis = json_object();
	json_int_t	 id, files;
	char		*eq;
	int		 ch, i, wait = 0, json = 0, skip = 0, norelay = 0, r;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'n': note = optarg; break;
		case 'b':
			/* NEW=OLD: OLD, already at the destination, as basis. */
			if ((eq = strchr(optarg, '=')) == NULL || eq == optarg ||
			    eq[1] == '\0') {
				cli_error(&cmd_send_entry, "--basis: expected "
				    "NEW=OLD, got %s", optarg);
				json_decref(basis);
				return (CLI_EXIT_USAGE);
			}
			*eq = '\0';
			json_object_set_new(basis, optarg, json_string(eq + 1));
			break;
		case 'w': wait = 1; break;
		case 'k': skip = 1; break;
		case 'R': norelay = 1; break;
		case 'j': json = 1; break;
		case 'S': state = optarg; break;
		case 's':
			if (human_parse_long(optarg, 1, 16, &streams) != 0) {
				cli_error(&cmd_send_entry, "--streams: %s is "
				    "not a number from 1 to 16", optarg);
				json_decref(basis);
				return (CLI_EXIT_USAGE);
			}
			break;
		case 'p':
			if (human_parse_long(optarg, 0, 1000, &prio) != 0) {
				cli_error(&cmd_send_entry, "--priority: %s is "
				    "not a number from 0 to 1000", optarg);
				json_decref(basis);
				return (CLI_EXIT_USAGE);
			}
			break;
		default:
			json_decref(basis);
			return (cli_usage(&cmd_send_entry));
		}
	}
	if (from == NULL || to == NULL || optind == argc) {
		json_decref(basis);
		cli_error(&cmd_send_entry, "%s", from == NULL ? "--from SITE is "
		    "required" : to == NULL ? "--to SITE is required" :
		    "no PATH given");
		return (cli_usage(&cmd_send_entry));
	}
	paths = json_array();
	for (i = optind; i < argc; i++)
		json_array_append_new(paths, json_string(argv[i]));
	req = json_pack("{s:s, s:s, s:s, s:o, s:i, s:s?, s:o, s:b}", "op",
	    "send", "from", from, "to", to, "paths", paths, "priority",
	    (int)prio, "note", note, "basis", basis, "skip_missing", skip);
	/* Only when asked: a hub from before the relay needs no new key. */
	if (norelay)
		json_object_set_new(req, "no_relay", json_true());
	if (streams > 0)
		json_object_set_new(req, "streams", json_integer(streams));
	r = cli_request(&cmd_send_entry, state, req, &rep);
	json_decref(req);
	if (r != 0)
		return (r);
	id = json_integer_value(json_object_get(rep, "id"));
	if (json)
		cli_json_print(rep);
	else {
		/* The id once, alone on the last line, for scripts. */
		files = json_integer_value(json_object_get(rep, "files"));
		printf("%jd file%s from %s to %s, job:\n%jd\n", (intmax_t)files,
		    files == 1 ? "" : "s", from, to, (intmax_t)id);
	}
	json_decref(rep);
	fflush(stdout);	/* the id comes before the progress */
	return (wait ? cli_wait_job(&cmd_send_entry, state, id, json) :
	    CLI_EXIT_OK);
}
