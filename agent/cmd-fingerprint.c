/*
 * ferryd fingerprint [--state DIR]
 * Prints this machine's key fingerprint (as `ferry status` shows it),
 * without the daemon: to read it out to the hub's admin, or to compare it
 * with what the hub pinned.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "err.h"
#include "ferryd.h"
#include "identity.h"
#include "statedir.h"

static int	cmd_fingerprint_exec(int, char **);

const struct ferryd_cmd ferryd_cmd_fingerprint = {
	.name = "fingerprint",
	.usage = "[--state DIR]",
	.summary = "print this machine's key fingerprint",
	.exec = cmd_fingerprint_exec,
};

static int
cmd_fingerprint_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	struct identity	*id;
	const char	*state = NULL;
	char		 fp[IDENTITY_FP_STRLEN + 1], *cause = NULL;
	int		 ch, r;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 'S') {
			ferryd_usage_error(&ferryd_cmd_fingerprint, "unknown "
			    "option");
			return (FERRYD_EXIT_USAGE);
		}
		state = optarg;
	}
	if (optind != argc) {
		ferryd_usage_error(&ferryd_cmd_fingerprint, "unexpected "
		    "argument %s", argv[optind]);
		return (FERRYD_EXIT_USAGE);
	}
	state = statedir_choose(state);
	/* Read only: a missing key is reported, never made. */
	if ((r = identity_load_dir(state, &id, &cause)) != 0) {
		fprintf(stderr, "ferryd: fingerprint: %s (is %s this machine's "
		    "state directory? ferryd init or ferryd enroll makes the "
		    "key)\n", cause ? cause : err_str(r), state);
		free(cause);
		return (FERRYD_EXIT_FAILED);
	}
	identity_fp_format(identity_fp(id), fp);
	identity_free(id);
	printf("%s\n", fp);
	return (FERRYD_EXIT_OK);
}
