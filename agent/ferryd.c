/* ferryd: main() finds the subcommand in a table. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "ferryd.h"
#include "log.h"
#include "tls.h"

static const struct ferryd_cmd *ferryd_cmds[] = {
	&ferryd_cmd_init,
	&ferryd_cmd_enroll,
	&ferryd_cmd_run,
	&ferryd_cmd_fingerprint,
	NULL
};

static void
ferryd_help(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: ferryd COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; ferryd_cmds[i] != NULL; i++)
		fprintf(f, "  %-11s %s\n", ferryd_cmds[i]->name,
		    ferryd_cmds[i]->summary);
	for (i = 0; ferryd_platform_cmds[i] != NULL; i++)
		fprintf(f, "  %-11s %s\n", ferryd_platform_cmds[i]->name,
		    ferryd_platform_cmds[i]->summary);
}

int
main(int argc, char **argv)
{
	size_t	i;

	signal(SIGPIPE, SIG_IGN);
	if (tls_library_init() != 0) {
		fprintf(stderr, "%s: OpenSSL did not start\n", argv[0]);
		return (FERRYD_EXIT_FAILED);
	}
	log_init("ferryd", LOG_LEVEL_INFO, 0);
	ferryd_platform_init();
	/* Windows: a name outside the ANSI code page must survive. */
	if (compat_args_utf8(&argc, &argv) != 0) {
		fprintf(stderr, "ferryd: the command line is not valid "
		    "Unicode: %s\n", strerror(errno));
		return (FERRYD_EXIT_USAGE);
	}
	if (argc < 2 || strcmp(argv[1], "help") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		ferryd_help(argc < 2 ? stderr : stdout);
		return (argc < 2 ? FERRYD_EXIT_USAGE : FERRYD_EXIT_OK);
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("ferryd %s\n", PACKAGE_VERSION);
		return (FERRYD_EXIT_OK);
	}
	for (i = 0; ferryd_cmds[i] != NULL; i++) {
		if (strcmp(ferryd_cmds[i]->name, argv[1]) == 0)
			return (ferryd_cmds[i]->exec(argc - 1, argv + 1));
	}
	for (i = 0; ferryd_platform_cmds[i] != NULL; i++) {
		if (strcmp(ferryd_platform_cmds[i]->name, argv[1]) == 0)
			return (ferryd_platform_cmds[i]->exec(argc - 1,
			    argv + 1));
	}
	fprintf(stderr, "ferryd: unknown command \"%s\" (try 'ferryd help')\n",
	    argv[1]);
	return (FERRYD_EXIT_USAGE);
}
