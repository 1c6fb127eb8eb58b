/*
 * A stand-in for ferryd.exe around agent/win/ (tests/win/service.sh):
 * `service ...` is ferryd's own subcommand with a stub daemon behind it,
 * which records what happens to it in STATE\host.trace, says READY=1
 * through the real sdnotify, and stops when the service manager asks.
 * Also the pure pieces: the virtual account's SID, the command line, and
 * one message through the Event Log sink.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "err.h"
#include "log.h"
#include "sdnotify.h"
#include "service-int.h"

static volatile LONG	host_stop;

static void
host_trace(const char *state, const char *what)
{
	char	path[1024];
	FILE	*f;

	snprintf(path, sizeof path, "%s\\host.trace", state);
	if ((f = fopen(path, "a")) != NULL) {
		fprintf(f, "%s (pid %lu)\n", what,
		    (unsigned long)GetCurrentProcessId());
		fclose(f);
	}
}

static void
host_on_stop(void)
{
	InterlockedExchange(&host_stop, 1);
}

/* ferryd run's stand-in: argv is { "run", "--state", DIR, ... }. */
static int
host_run(int argc, char **argv)
{
	char	path[1024], line[256];
	int	i;

	if (argc < 3 || strcmp(argv[0], "run") != 0 ||
	    strcmp(argv[1], "--state") != 0)
		return (2);
	snprintf(line, sizeof line, "run argc=%d%s", argc, argc > 3 ?
	    " " : "");
	for (i = 3; i < argc; i++)
		strncat(line, argv[i], sizeof line - strlen(line) - 1);
	host_trace(argv[2], line);
	/* A failure after start, once: the recovery actions restart it. */
	snprintf(path, sizeof path, "%s\\fail-once", argv[2]);
	if (DeleteFileA(path)) {
		host_trace(argv[2], "failing with status 3");
		return (3);
	}
	sdnotify_ready(NULL);
	log_info("stand-in daemon ready");
	host_trace(argv[2], "ready");
	while (!InterlockedCompareExchange(&host_stop, 0, 0))
		Sleep(50);
	sdnotify_stopping(NULL);
	host_trace(argv[2], "stopped cleanly");
	return (0);
}

int
main(int argc, char **argv)
{
	struct service_conf	 conf;
	char			*out = NULL, *cause = NULL;
	int			 r;

	log_init("service-host", LOG_LEVEL_DEBUG, 0);
	if (argc == 3 && strcmp(argv[1], "sid") == 0)
		r = service_sid_account(argv[2], &out, &cause);
	else if ((argc == 4 || argc == 5) && strcmp(argv[1], "cmdline") == 0) {
		memset(&conf, 0, sizeof conf);
		conf.state = argv[3];
		conf.api_sid = argc == 5 ? argv[4] : NULL;
		r = service_install_cmdline(argv[2], &conf, &out, &cause);
	} else if (argc == 3 && strcmp(argv[1], "eventlog") == 0) {
		if (win_eventlog_open(WIN_SERVICE_NAME, &cause) != 0)
			r = FERRY_ERR_IO;
		else {
			log_set_sink(win_eventlog_sink);
			log_warnx("%s", argv[2]);
			log_set_sink(NULL);
			win_eventlog_close();
			return (0);
		}
	} else {
		win_service_daemon(host_run, host_on_stop);
		return (win_service_cmd(argc - 1, argv + 1));
	}
	if (r != 0) {
		fprintf(stderr, "%s\n", cause != NULL ? cause : err_str(r));
		free(cause);
		return (1);
	}
	printf("%s\n", out);
	free(out);
	return (0);
}
