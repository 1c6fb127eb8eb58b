/*
 * agent/win/: ferryd's Windows-only parts (docs/windows-service.md).
 * Part of the ferryd program, built only by the mingw-w64 build. This header is the whole public API; the other headers
 * here (service-int.h) are for these files and their tests.
 *
 * What ferryd's main does with it, on Windows only (ferryd's table of
 * subcommands gets one more line, "service", whose exec is
 * win_service_cmd; and before it runs, main tells this code how to run
 * and stop the daemon):
 *
 *	win_service_daemon(run_exec, run_stop);
 *	... { "service", WIN_SERVICE_USAGE, WIN_SERVICE_SUMMARY,
 *	      win_service_cmd } ...
 *
 * run_exec is `ferryd run`'s exec: it is called with argv such as
 * { "run", "--state", DIR, NULL } on the service's own thread and must
 * return when run_stop has been called (it returns its exit status).
 * run_stop does what SIGTERM does on Linux (set the flag the main loop
 * watches); the service control manager's thread calls it, so it must
 * only set flags. `ferryd run` tells when it is ready through sdnotify
 * (READY=1), which reaches the service manager here (compat_notify_hook).
 */
#ifndef FERRY_WIN_SERVICE_H
#define FERRY_WIN_SERVICE_H

#include "log.h"

#define WIN_SERVICE_USAGE \
	"install [--state-dir DIR] [--user ACCOUNT] [--log-file] " \
	"[--grant FOLDER]... [--api-user ACCOUNT] | " \
	"uninstall | run [--state DIR] [--log-file] [--api-user SID]"
#define WIN_SERVICE_SUMMARY \
	"install, remove or run ferryd as a Windows service"

/* The service's name, its Event Log source's, and its virtual account's. */
#define WIN_SERVICE_NAME	"ferryd"
#define WIN_SERVICE_ACCOUNT	"NT SERVICE\\ferryd"

void	win_service_daemon(int (*run)(int argc, char **argv),
	    void (*stop)(void));
/* `ferryd service ...`: argv[0] is "service". Returns the exit status. */
int	win_service_cmd(int argc, char **argv);

/*
 * The Event Log as common/log's sink (log_set_sink): `ferryd service run`
 * sets it unless --log-file. open registers the source (0, or -1 with a
 * cause the caller frees); the sink reports each message as event 1
 * (error), 2 (warning), 3 (information) or 4 (debug) with the message as
 * its one insertion string.
 */
int	win_eventlog_open(const char *source, char **cause);
void	win_eventlog_sink(enum log_level level, const char *msg);
void	win_eventlog_close(void);

#endif
