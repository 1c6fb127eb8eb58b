/*
 * ferry mail test ADDRESS [--state DIR]: on the hub, queues a test
 * message to ADDRESS through the same outbox and SMTP server as every
 * notification (docs/mail.md), to check the configuration; `ferry
 * status` then shows whether it was sent, or why not yet.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static int	cmd_mail_exec(int, char **);

const struct cmd_entry cmd_mail_entry = {
	.name = "mail",
	.usage = "test ADDRESS [--state DIR]",
	.summary = "send a test e-mail through the hub's mail settings",
	.exec = cmd_mail_exec,
};

static int
cmd_mail_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*state = NULL;
	json_t		*req, *rep = NULL;
	int		 ch, r;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 'S')
			return (cli_usage(&cmd_mail_entry));
		state = optarg;
	}
	if (argc - optind != 2 || strcmp(argv[optind], "test") != 0) {
		cli_error(&cmd_mail_entry, "the one subcommand is: test "
		    "ADDRESS");
		return (cli_usage(&cmd_mail_entry));
	}
	req = json_pack("{s:s, s:s}", "op", "mail.test", "to",
	    argv[optind + 1]);
	r = cli_request(&cmd_mail_entry, state, req, &rep);
	json_decref(req);
	if (r == 0)
		printf("test message to %s queued: 'ferry status' shows when "
		    "it is sent\n", argv[optind + 1]);
	json_decref(rep);
	return (r);
}
