/*
 * ferryd service install [--state-dir DIR] [--user ACCOUNT] [--log-file]
 *     [--grant FOLDER]...
 * ferryd service uninstall
 * ferryd service run [--state DIR] [--log-file]
 *
 * The Windows service (service.h). install records ferryd with the
 * service control manager, to start at boot as ACCOUNT, by default the
 * virtual account NT SERVICE\ferryd: an account of its own with no
 * password and no rights beyond what is granted to it, never LocalSystem
 * unless asked for (the Linux ferryd refuses root the same way). run is
 * what the service manager starts: `ferryd run` under the dispatcher,
 * logging to the Event Log. --grant lets the account write into a folder
 * the desktop user owns (a storage root).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "err.h"
#include "log.h"
#include "service-int.h"

#define CMD_EXIT_OK	0
#define CMD_EXIT_FAILED	1
#define CMD_EXIT_USAGE	2

static int
cmd_service_usage(const char *why)
{
	fprintf(stderr, "ferryd service: %s\nusage: ferryd service %s\n", why,
	    WIN_SERVICE_USAGE);
	return (CMD_EXIT_USAGE);
}

static int
cmd_service_fail(const char *what, int r, char *cause)
{
	fprintf(stderr, "ferryd service %s: %s\n", what,
	    cause != NULL ? cause : err_str(r));
	free(cause);
	return (CMD_EXIT_FAILED);
}

/* Accounts that hold every right on the machine: allowed, not quietly. */
static int
cmd_service_mighty(const char *account)
{
	return (strcasecmp(account, "LocalSystem") == 0 ||
	    strcasecmp(account, ".\\LocalSystem") == 0 ||
	    strcasecmp(account, "NT AUTHORITY\\SYSTEM") == 0);
}

static int
cmd_service_install(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state-dir", required_argument, NULL, 'S' },
		{ "state", required_argument, NULL, 'S' },
		{ "user", required_argument, NULL, 'u' },
		{ "log-file", no_argument, NULL, 'l' },
		{ "grant", required_argument, NULL, 'g' },
		{ "api-user", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	struct service_conf	 conf;
	char			*grant[16];
	char			*cause = NULL, missing[256], *api_sid = NULL;
	const char		*api_user = NULL;
	int			 ch, r;

	memset(&conf, 0, sizeof conf);
	conf.state = compat_statedir_default();
	conf.account = WIN_SERVICE_ACCOUNT;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'S': conf.state = optarg; break;
		case 'u': conf.account = optarg; break;
		case 'l': conf.log_file = 1; break;
		case 'a': api_user = optarg; break;
		case 'g':
			if (conf.ngrant == 16)
				return (cmd_service_usage("at most 16 --grant"));
			grant[conf.ngrant++] = optarg;
			break;
		default: return (cmd_service_usage("bad option"));
		}
	}
	conf.grant = grant;
	if (optind != argc)
		return (cmd_service_usage("too many arguments"));
	/*
	 * The desktop user whose ferry.exe may use the service's local API:
	 * `ferryd run --api-user SID` adds that account to the socket's (or
	 * the loopback endpoint file's) DACL, the service's own account and
	 * SYSTEM having it already. A SID, so that a renamed account stays
	 * the one meant.
	 */
	if (api_user != NULL &&
	    (r = service_sid_account(api_user, &api_sid, &cause)) != 0)
		return (cmd_service_fail("install", r, cause));
	conf.api_sid = api_sid;
	if (cmd_service_mighty(conf.account))
		fprintf(stderr, "ferryd service install: warning: %s holds "
		    "every right on this machine; a flaw in ferryd or in what "
		    "a peer sends would be its\n", conf.account);
	r = service_install(&conf, missing, sizeof missing, &cause);
	free(api_sid);
	if (r != 0)
		return (cmd_service_fail("install", r, cause));
	if (missing[0] != '\0')
		fprintf(stderr, "ferryd service install: warning: this system "
		    "does not know these service settings, installed without "
		    "them: %s\n", missing);
	printf("installed service %s: runs as %s, state in %s, logs to %s\n",
	    WIN_SERVICE_NAME, conf.account, conf.state, conf.log_file ?
	    "a file" : "the Event Log (Application, source " WIN_SERVICE_NAME
	    ")");
	if (api_user != NULL)
		printf("%s may use its local API (ferry.exe)\n", api_user);
	printf("start it now with: sc start %s\n", WIN_SERVICE_NAME);
	return (CMD_EXIT_OK);
}

static int
cmd_service_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 'S' },
		{ "log-file", no_argument, NULL, 'l' },
		{ "api-user", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	char	*run_argv[7], *cause = NULL;
	int	 ch, n = 0, r, log_file = 0;
	char	*state = NULL, *api_sid = NULL;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'S': state = optarg; break;
		case 'l': log_file = 1; break;
		case 'a': api_sid = optarg; break;
		default: return (cmd_service_usage("bad option"));
		}
	}
	if (optind != argc)
		return (cmd_service_usage("too many arguments"));
	run_argv[n++] = (char *)"run";
	if (state != NULL) {
		run_argv[n++] = (char *)"--state";
		run_argv[n++] = state;
	}
	/* The file log is `ferryd run --syslog` (compat/syslog-win.c). */
	if (log_file)
		run_argv[n++] = (char *)"--syslog";
	if (api_sid != NULL) {
		run_argv[n++] = (char *)"--api-user";
		run_argv[n++] = api_sid;
	}
	run_argv[n] = NULL;
	/* No console to write to: without the Event Log, stderr is lost. */
	if (!log_file && win_eventlog_open(WIN_SERVICE_NAME, &cause) == 0)
		log_set_sink(win_eventlog_sink);
	else if (!log_file) {
		fprintf(stderr, "ferryd service run: %s\n", cause);
		free(cause);
		cause = NULL;
	}
	optind = 1;	/* ferryd run parses its own argv with getopt too */
	r = service_run(n, run_argv, &cause);
	/* Both to the Event Log and to stderr, a console's if there is one. */
	if (r != 0)
		log_error("service: %s", cause != NULL ? cause : err_str(r));
	if (r != 0 && !log_file) {
		log_set_sink(NULL);
		log_error("service: %s", cause != NULL ? cause : err_str(r));
	}
	log_set_sink(NULL);
	win_eventlog_close();
	free(cause);
	return (r == 0 ? CMD_EXIT_OK : CMD_EXIT_FAILED);
}

int
win_service_cmd(int argc, char **argv)
{
	char	*cause = NULL;
	int	 r;

	if (argc < 2)
		return (cmd_service_usage("install, uninstall or run?"));
	optind = 1;
	if (strcmp(argv[1], "install") == 0)
		return (cmd_service_install(argc - 1, argv + 1));
	if (strcmp(argv[1], "run") == 0)
		return (cmd_service_run(argc - 1, argv + 1));
	if (strcmp(argv[1], "uninstall") == 0) {
		if (argc != 2)
			return (cmd_service_usage("uninstall takes nothing"));
		if ((r = service_uninstall(&cause)) != 0)
			return (cmd_service_fail("uninstall", r, cause));
		printf("removed service %s; its state directory stays (delete "
		    "it to forget the enrolment)\n", WIN_SERVICE_NAME);
		return (CMD_EXIT_OK);
	}
	return (cmd_service_usage("unknown subcommand"));
}
