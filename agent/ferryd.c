/* ferryd: main() finds the subcommand in a table. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "ferryd.h"
#include "identity.h"
#include "log.h"
#include "proto.h"
#include "tls.h"

static const struct ferryd_cmd *ferryd_cmds[] = {
	&ferryd_cmd_init,
	&ferryd_cmd_enroll,
	&ferryd_cmd_run,
	&ferryd_cmd_fingerprint,
	NULL
};

void
ferryd_usage_error(const struct ferryd_cmd *cmd, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "ferryd: %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: ferryd %s %s\n", cmd->name, cmd->usage);
}

void
ferryd_enqueue(struct ferryd *d, json_t **q, json_t *msg)
{
	pthread_mutex_lock(&d->mu);
	ferryd_queue(q, msg, q == &d->uplink_outq ? d->uplink_wake[1] : -1);
	pthread_mutex_unlock(&d->mu);
}

void
ferryd_queue(json_t **q, json_t *msg, int wakefd)
{
	if (*q == NULL)
		*q = json_array();
	json_array_append_new(*q, msg);
	ferryd_wake(wakefd);
}

int
ferryd_flush(struct ferryd *d, json_t **q, struct tls_conn *c, char **cause)
{
	json_t	*take, *m;
	size_t	 i;
	int	 r = 0;

	pthread_mutex_lock(&d->mu);
	take = *q;
	*q = NULL;
	pthread_mutex_unlock(&d->mu);
	json_array_foreach(take, i, m) {
		if ((r = proto_send(c, m, cause)) != 0)
			break;
	}
	json_decref(take);
	return (r);
}

static void
ferryd_help(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: ferryd COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; ferryd_cmds[i] != NULL; i++)
		fprintf(f, "  %-11s %s\n", ferryd_cmds[i]->name,
		    ferryd_cmds[i]->summary);
}

int
main(int argc, char **argv)
{
	size_t	i;

	signal(SIGPIPE, SIG_IGN);
	log_init("ferryd", LOG_LEVEL_INFO, 0);
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
	fprintf(stderr, "ferryd: unknown command \"%s\" (try 'ferryd help')\n",
	    argv[1]);
	return (FERRYD_EXIT_USAGE);
}

const char *
ferryd_source(const struct ferryd *d)
{
	return (d->conf.source_addr != NULL ? d->conf.source_addr :
	    d->conf.public_addr);
}

void
ferryd_streams_idle(struct tls_conn **conns, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		tls_set_idle(conns[i], FERRYD_STREAM_IDLE_MS);
}

int
ferryd_wake_open(int fds[2])
{
	return (pipe2(fds, O_NONBLOCK | O_CLOEXEC));
}

void
ferryd_wake(int fd)
{
	char	c = 1;

	if (fd != -1 && write(fd, &c, 1) == -1) {
		/* A full pipe already says "wake up". */
	}
}

void
ferryd_wake_drain(int fd)
{
	char	buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		;
}
