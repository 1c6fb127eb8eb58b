/*
 * ferry cancel|pause|resume|retry ID [--state DIR]: act on a job. The
 * four share this file: they differ only in the request's name.
 */
#include "config.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static int	cmd_jobctl_exec(int, char **);

#define JOBCTL(n, what) {						\
	.name = n,							\
	.usage = "ID [--state DIR]",					\
	.summary = what,						\
	.exec = cmd_jobctl_exec,					\
}
const struct cmd_entry cmd_cancel_entry = JOBCTL("cancel",
    "cancel a job's unfinished files");
const struct cmd_entry cmd_pause_entry = JOBCTL("pause",
    "pause a job");
const struct cmd_entry cmd_resume_entry = JOBCTL("resume",
    "resume a paused job");
const struct cmd_entry cmd_retry_entry = JOBCTL("retry",
    "retry a job's failed files, their attempts reset");

/* argv[0] is "ferry: NAME" (ferry.c). */
static const struct cmd_entry *
jobctl_entry(const char *arg0)
{
	static const struct cmd_entry *all[] = { &cmd_cancel_entry,
	    &cmd_pause_entry, &cmd_resume_entry, &cmd_retry_entry };
	const char	*name = strrchr(arg0, ' ') ? strrchr(arg0, ' ') + 1 :
			    arg0;
	size_t		 i;

	for (i = 0; i < 3; i++) {
		if (strcmp(all[i]->name, name) == 0)
			return (all[i]);
	}
	return (all[3]);
}

static int
cmd_jobctl_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cmd_entry	*cmd = jobctl_entry(argv[0]);
	const char		*state = NULL;
	char			*end;
	json_t			*req, *rep = NULL;
	json_int_t		 id;
	int			 ch, r;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 'S')
			return (cli_usage(cmd));
		state = optarg;
	}
	if (argc - optind != 1 || (id = strtoll(argv[optind], &end, 10)) <= 0 ||
	    *end != '\0') {
		cli_error(cmd, "a job id is needed");
		return (cli_usage(cmd));
	}
	req = json_pack("{s:s, s:I}", "op", cmd->name, "id", id);
	r = cli_request(cmd, state, req, &rep);
	json_decref(req);
	/* A job cancelled while it is stored ends once its storing stops. */
	if (r == 0 && json_is_true(json_object_get(rep, "cancelling")))
		printf("job %jd: cancelling (it was being stored: it stops "
		    "after the batch in hand, and its send says so)\n",
		    (intmax_t)id);
	else if (r == 0)
		printf("job %jd: %s\n", (intmax_t)id, json_string_value(
		    json_object_get(rep, "state")));
	json_decref(rep);
	return (r);
}
