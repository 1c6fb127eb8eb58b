/* ferry: the command-line tool. main() finds the subcommand in a table. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "err.h"
#include "jsonline.h"
#include "log.h"
#include "statedir.h"

static const struct cmd_entry *cmd_table[] = {
	&cmd_acl_entry,
	&cmd_audit_entry,
	&cmd_cancel_entry,
	&cmd_invite_entry,
	&cmd_job_entry,
	&cmd_jobs_entry,
	&cmd_map_entry,
	&cmd_pause_entry,
	&cmd_resume_entry,
	&cmd_retry_entry,
	&cmd_send_entry,
	&cmd_share_entry,
	&cmd_site_entry,
	&cmd_status_entry,
	NULL
};

void
cli_error(const struct cmd_entry *cmd, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "ferry: %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_usage(const struct cmd_entry *cmd)
{
	fprintf(stderr, "usage: ferry %s %s\n", cmd->name, cmd->usage);
	return (CLI_EXIT_USAGE);
}

int
cli_request(const struct cmd_entry *cmd, const char *state,
    const json_t *req, json_t **rep)
{
	struct jsonline_conn	*c = NULL;
	char			 path[4096], *cause = NULL;
	const char		*err;
	int			 r;

	*rep = NULL;
	snprintf(path, sizeof path, "%s/%s", statedir_choose(state),
	    JSONLINE_SOCKET_NAME);
	if ((r = jsonline_connect(path, &c, &cause)) == 0 &&
	    (r = jsonline_request(c, req, &cause)) == 0) {
		/* Progress lines may come first; the last says "done". */
		do {
			json_decref(*rep);
			*rep = NULL;
		} while ((r = jsonline_recv(c, rep, &cause)) == 0 &&
		    !jsonline_done(*rep) &&
		    json_object_get(*rep, "error") == NULL);
	}
	jsonline_free(c);
	if (r == 0 && (err = json_string_value(json_object_get(*rep,
	    "error"))) != NULL) {
		cli_error(cmd, "%s", err);
		json_decref(*rep);
		*rep = NULL;
		return (CLI_EXIT_FAILED);
	}
	if (r != 0) {
		cli_error(cmd, "%s", cause ? cause : err_str(r));
		free(cause);
		json_decref(*rep);
		*rep = NULL;
		return (CLI_EXIT_FAILED);
	}
	return (CLI_EXIT_OK);
}

static void
print_help(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: ferry COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; cmd_table[i] != NULL; i++)
		fprintf(f, "  %-8s %s\n", cmd_table[i]->name,
		    cmd_table[i]->summary);
	fprintf(f, "\n'ferry help COMMAND' shows a command's arguments.\n");
}

static const struct cmd_entry *
cmd_find(const char *name)
{
	size_t	i;

	for (i = 0; cmd_table[i] != NULL; i++) {
		if (strcmp(cmd_table[i]->name, name) == 0)
			return (cmd_table[i]);
	}
	return (NULL);
}

int
main(int argc, char **argv)
{
	const struct cmd_entry	*cmd;

	log_init("ferry", LOG_LEVEL_WARN, 0);
	if (argc < 2) {
		print_help(stderr);
		return (CLI_EXIT_USAGE);
	}
	if (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		printf("ferry %s\n", PACKAGE_VERSION);
		return (CLI_EXIT_OK);
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		if (argc == 2) {
			print_help(stdout);
			return (CLI_EXIT_OK);
		}
		if ((cmd = cmd_find(argv[2])) == NULL) {
			fprintf(stderr, "ferry: help: unknown command \"%s\"\n",
			    argv[2]);
			return (CLI_EXIT_USAGE);
		}
		printf("usage: ferry %s %s\n%s\n", cmd->name, cmd->usage,
		    cmd->summary);
		return (CLI_EXIT_OK);
	}
	if ((cmd = cmd_find(argv[1])) == NULL) {
		fprintf(stderr, "ferry: unknown command \"%s\" "
		    "(try 'ferry help')\n", argv[1]);
		return (CLI_EXIT_USAGE);
	}
	return (cmd->exec(argc - 1, argv + 1));
}
