/*
 * mail-check: drives mail/'s outbox from a shell test (tests/mail/outbox.sh).
 * The clock is given (--now), so that backoff is tested without sleeping.
 *
 *   mail-check add DB CONF KIND KEY TO [NAME=VALUE...]   queue a notice
 *   mail-check step DB CONF [--all] [--crash]           send what is due
 *   mail-check list DB                                  one line a message
 *   mail-check check CONF                               the configuration
 *
 * Every command takes --now SECONDS (default 1000) and --retry-base
 * SECONDS (default 10). CONF holds ferryd.conf's mail lines. --crash
 * sends one message and exits 3 before recording it, as kill -9 would.
 * Exit status: 0 done, 1 an error (printed), 2 usage, 4 already queued.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "mail-int.h"

static int64_t	now = 1000;
static int	retry_base = 10, all, crash;

static void
usage(void)
{
	fprintf(stderr, "usage: mail-check add|step|list|check ...\n");
	exit(2);
}

static void
die(const char *what, char *cause, int e)
{
	fprintf(stderr, "mail-check: %s: %s\n", what, cause != NULL ? cause :
	    err_str(e));
	free(cause);
	exit(e == FERRY_ERR_EXIST ? 4 : 1);
}

/* Reads "keyword value" lines into c. */
static void
load_conf(const char *path, struct mail_config *c)
{
	char	 line[1024], *v, *cause = NULL;
	FILE	*f;
	int	 e;

	memset(c, 0, sizeof *c);
	if ((f = fopen(path, "r")) == NULL)
		die(path, NULL, FERRY_ERR_IO);
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (*line == '\0' || *line == '#' ||
		    (v = strchr(line, ' ')) == NULL)
			continue;
		*v++ = '\0';
		if ((e = mail_config_set(c, line, v, &cause)) != 0)
			die(line, cause, e);
	}
	fclose(f);
}

static struct mail_outbox *
open_outbox(const char *path)
{
	struct mail_outbox	*ob;
	struct mail_policy	 p = { retry_base, 8 * retry_base, 5, 0 };
	char			*cause = NULL;
	int			 e;

	if ((e = mail_outbox_open(path, now, &ob, &cause)) != 0)
		die(path, cause, e);
	mail_outbox_set_policy(ob, &p);
	return (ob);
}

static void
set_var(struct mail_vars *v, char *arg)
{
	const char	*names[] = { "job", "files", "place", "who", "reason",
	    "count" };
	const char	**slots[] = { &v->job, &v->files, &v->place, &v->who,
	    &v->reason, &v->count };
	char		*eq = strchr(arg, '=');
	size_t		 i;

	if (eq == NULL)
		usage();
	*eq = '\0';
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(arg, names[i]) == 0) {
			*slots[i] = eq + 1;
			return;
		}
	}
	usage();
}

static int
cmd_add(int argc, char **argv)
{
	struct mail_config	 c;
	struct mail_templates	*t;
	struct mail_outbox	*ob;
	struct mail_notice	 n;
	char			*cause = NULL;
	int			 i, e;

	if (argc < 6)
		usage();
	load_conf(argv[2], &c);
	memset(&n, 0, sizeof n);
	if ((i = mail_kind_parse(argv[3])) == -1)
		usage();
	n.kind = i;
	n.key = argv[4];
	n.to = argv[5];
	for (i = 6; i < argc; i++)
		set_var(&n.vars, argv[i]);
	if ((e = mail_templates_load(c.templates, &t, &cause)) != 0)
		die("templates", cause, e);
	ob = open_outbox(argv[1]);
	if ((e = mail_outbox_add(ob, t, c.from, &n, now, &cause)) != 0)
		die("add", cause, e);
	mail_outbox_close(ob);
	mail_templates_free(t);
	mail_config_clear(&c);
	return (0);
}

static void
print_step(const struct mail_step *st, void *arg)
{
	(void)arg;
	printf("%s %s %s attempts=%d next=%jd error=%s\n", st->key, st->to,
	    mail_state_name(st->state), st->attempts, (intmax_t)st->next_try,
	    st->error != NULL ? st->error : "-");
}

/* Sends one message and dies before the outbox hears how it went. */
static int
step_crash(struct mail_outbox *ob, const struct mail_config *c)
{
	struct mail_claim	 cl;
	char			*cause = NULL;
	int			 e;

	if ((e = mail_outbox_claim(ob, now, &cl, &cause)) != 0)
		die("claim", cause, e);
	if ((e = mail_send(c, cl.rcpt, cl.message, &cause)) != 0)
		die("send", cause, e);
	printf("sent %s, dying before it is recorded\n", cl.rcpt);
	fflush(stdout);
	_exit(3);
}

static int
cmd_step(int argc, char **argv)
{
	struct mail_config	 c;
	struct mail_outbox	*ob;
	struct mail_step	 st;
	char			*cause = NULL;
	int			 e;

	if (argc != 3)
		usage();
	load_conf(argv[2], &c);
	ob = open_outbox(argv[1]);
	if (crash)
		return (step_crash(ob, &c));
	do {
		if ((e = mail_outbox_step(ob, &c, now, &st, &cause)) < 0)
			die("step", cause, e);
		if (e == 1) {
			print_step(&st, NULL);
			mail_step_clear(&st);
		}
	} while (e == 1 && all);
	if (e == 0)
		printf("nothing due\n");
	mail_outbox_close(ob);
	mail_config_clear(&c);
	return (0);
}

static int
cmd_list(int argc, char **argv)
{
	struct mail_outbox	*ob;
	char			*cause = NULL;
	int			 e;

	if (argc != 2)
		usage();
	ob = open_outbox(argv[1]);
	if ((e = mail_outbox_list(ob, print_step, NULL, &cause)) != 0)
		die("list", cause, e);
	mail_outbox_close(ob);
	return (0);
}

static int
cmd_check(int argc, char **argv)
{
	struct mail_config	 c;
	struct mail_templates	*t;
	char			*cause = NULL;
	int			 e;

	if (argc != 2)
		usage();
	load_conf(argv[1], &c);
	if ((e = mail_config_check(&c, &cause)) != 0)
		die("configuration", cause, e);
	if ((e = mail_templates_load(c.templates, &t, &cause)) != 0)
		die("templates", cause, e);
	printf("ok\n");
	mail_templates_free(t);
	mail_config_clear(&c);
	return (0);
}

int
main(int argc, char **argv)
{
	char	*args[16];
	int	 i, n = 0;

	/* Options anywhere; the rest are the command's words. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--now") == 0 && i + 1 < argc)
			now = strtoll(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--retry-base") == 0 && i + 1 < argc)
			retry_base = atoi(argv[++i]);
		else if (strcmp(argv[i], "--all") == 0)
			all = 1;
		else if (strcmp(argv[i], "--crash") == 0)
			crash = 1;
		else if (n < 16)
			args[n++] = argv[i];
		else
			usage();
	}
	if (n < 1)
		usage();
	if (mail_global_init(NULL) != 0)
		return (1);
	if (strcmp(args[0], "add") == 0)
		return (cmd_add(n, args));
	if (strcmp(args[0], "step") == 0)
		return (cmd_step(n, args));
	if (strcmp(args[0], "list") == 0)
		return (cmd_list(n, args));
	if (strcmp(args[0], "check") == 0)
		return (cmd_check(n, args));
	usage();
	return (2);
}
