/*
 * ferry mail test ADDRESS [--state DIR]: on the hub, queues a test
 * message to ADDRESS through the same outbox and SMTP server as every
 * notification (docs/mail.md), to check the configuration; `ferry
 * status` then shows whether it was sent, or why not yet.
 */
#include "config.h"

#include <stdio.h>

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
	json_t	*rep;
	int	 r;

	r = cli_sub_request(&cmd_mail_entry, argc, argv, "test", "mail.test",
	    "to", "test ADDRESS", &rep);
	if (r == 0)
		printf("test message to %s queued: 'ferry status' shows when "
		    "it is sent\n", argv[argc - 1]);
	json_decref(rep);
	return (r);
}
