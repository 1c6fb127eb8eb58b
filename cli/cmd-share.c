/*
 * ferry share import FILE [--state DIR]
 * Loads a share map (docs/share-map.md) into the hub, which checks it and
 * keeps the versions it replaces.
 */
#include "config.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "cli.h"

static int	cmd_share_exec(int, char **);

const struct cmd_entry cmd_share_entry = {
	.name = "share",
	.usage = "import FILE [--state DIR]",
	.summary = "load the share map into the hub",
	.exec = cmd_share_exec,
};

static int
cmd_share_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*state = NULL;
	struct buf	 text;
	char		 chunk[8192];
	FILE		*f;
	size_t		 n;
	json_t		*req, *rep = NULL;
	int		 ch, r;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 'S')
			return (cli_usage(&cmd_share_entry));
		state = optarg;
	}
	if (argc - optind != 2 || strcmp(argv[optind], "import") != 0)
		return (cli_usage(&cmd_share_entry));
	if ((f = fopen(argv[optind + 1], "r")) == NULL) {
		cli_error(&cmd_share_entry, "%s: cannot open it",
		    argv[optind + 1]);
		return (CLI_EXIT_USAGE);
	}
	buf_init(&text, 16 << 20);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&text, chunk, n);
	fclose(f);
	req = json_pack("{s:s, s:s}", "op", "share.import", "map",
	    buf_str(&text));
	buf_free(&text);
	r = cli_request(&cmd_share_entry, state, req, &rep);
	json_decref(req);
	if (r == 0)
		printf("share map version %jd in use\n", (intmax_t)
		    json_integer_value(json_object_get(rep, "version")));
	json_decref(rep);
	return (r);
}
