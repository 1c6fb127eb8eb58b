/* ferry: the command-line tool. main() finds the subcommand in a table. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "compat.h"
#include "log.h"
#include "statedir.h"

static const struct cmd_entry *cmd_table[] = {
	&cmd_acl_entry,
	&cmd_audit_entry,
	&cmd_cancel_entry,
	&cmd_doctor_entry,
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
	&cmd_sites_entry,
	&cmd_status_entry,
	&cmd_publish_entry,
	&cmd_root_entry,
	&cmd_mail_entry,
	&cmd_hub_entry,
	NULL
};

static void
print_help(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: ferry COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; cmd_table[i] != NULL; i++)
		fprintf(f, "  %-8s %s\n", cmd_table[i]->name,
		    cmd_table[i]->summary);
	fprintf(f, "\n'ferry COMMAND --help' shows a command's arguments.\n"
	    "ferry talks to the local ferryd through its state directory:\n"
	    "--state DIR, else $FERRY_STATE, else %s.\n", STATEDIR_DEFAULT);
}

static void
print_cmd_help(const struct cmd_entry *cmd)
{
	printf("usage: ferry %s %s\n%s\n", cmd->name, cmd->usage,
	    cmd->summary);
}

/* 1 if an argument before "--" asks for help. */
static int
wants_help(int argc, char **argv)
{
	int	i;

	for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return (1);
	}
	return (0);
}

static void
print_known(void)
{
	size_t	i;

	fprintf(stderr, " (known: ");
	for (i = 0; cmd_table[i] != NULL; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", cmd_table[i]->name);
	fprintf(stderr, ")\n");
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
	char			 prefix[64];

	log_init("ferry", LOG_LEVEL_WARN, 0);
	/* Windows: a name outside the ANSI code page must survive. */
	if (compat_args_utf8(&argc, &argv) != 0) {
		fprintf(stderr, "ferry: the command line is not valid "
		    "Unicode: %s\n", strerror(errno));
		return (CLI_EXIT_USAGE);
	}
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
			fprintf(stderr, "ferry: help: unknown command \"%s\"",
			    argv[2]);
			print_known();
			return (CLI_EXIT_USAGE);
		}
		print_cmd_help(cmd);
		return (CLI_EXIT_OK);
	}
	if ((cmd = cmd_find(argv[1])) == NULL) {
		fprintf(stderr, "ferry: unknown command \"%s\"", argv[1]);
		print_known();
		return (CLI_EXIT_USAGE);
	}
	if (wants_help(argc, argv)) {
		print_cmd_help(cmd);
		return (CLI_EXIT_OK);
	}
	/* getopt names argv[0] in its complaints: "ferry: send: ...". */
	snprintf(prefix, sizeof prefix, "ferry: %s", cmd->name);
	argv[1] = prefix;
	return (cmd->exec(argc - 1, argv + 1));
}
