/*
 * ferryd under the service control manager (service-int.h): the
 * dispatcher, the service's main, and its control handler. The daemon
 * itself is `ferryd run`, reached through the hooks win_service_daemon
 * set; it says when it is ready through sdnotify, whose messages come
 * here (compat_notify_hook) and become SetServiceStatus calls, the
 * Windows twin of what systemd hears from a Type=notify unit.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "compat.h"
#include "err.h"
#include "service-int.h"

int	(*service_run_fn)(int, char **);
void	(*service_stop_fn)(void);

/* How long the service manager is told to wait before it doubts us. */
#define RUN_START_HINT_MS	60000
#define RUN_STOP_HINT_MS	60000

static SERVICE_STATUS_HANDLE	 run_handle;
static SERVICE_STATUS		 run_status;
static SRWLOCK			 run_lock = SRWLOCK_INIT;
static int			 run_argc;
static char			**run_argv;
static int			 run_result;

void
win_service_daemon(int (*run)(int, char **), void (*stop)(void))
{
	service_run_fn = run;
	service_stop_fn = stop;
}

/*
 * Reports state; the handler's thread and the service's both report, so
 * under a lock. A pending state's checkpoint grows with each report, so
 * that the service manager sees progress; once stopping, no later report
 * goes back to running.
 */
static void
run_report(DWORD state, DWORD exitcode, DWORD specific)
{
	AcquireSRWLockExclusive(&run_lock);
	if (run_status.dwCurrentState == SERVICE_STOP_PENDING &&
	    (state == SERVICE_RUNNING || state == SERVICE_START_PENDING)) {
		ReleaseSRWLockExclusive(&run_lock);
		return;
	}
	run_status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
	run_status.dwCurrentState = state;
	run_status.dwControlsAccepted = state == SERVICE_RUNNING ?
	    SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_PRESHUTDOWN : 0;
	/* A start may be stopped too: ferryd run watches its flag early. */
	if (state == SERVICE_START_PENDING)
		run_status.dwControlsAccepted = SERVICE_ACCEPT_STOP;
	run_status.dwWin32ExitCode = exitcode;
	run_status.dwServiceSpecificExitCode = specific;
	if (state == SERVICE_RUNNING || state == SERVICE_STOPPED)
		run_status.dwCheckPoint = 0;
	else
		run_status.dwCheckPoint++;
	run_status.dwWaitHint = state == SERVICE_START_PENDING ?
	    RUN_START_HINT_MS : state == SERVICE_STOP_PENDING ?
	    RUN_STOP_HINT_MS : 0;
	if (run_handle != NULL)
		SetServiceStatus(run_handle, &run_status);
	ReleaseSRWLockExclusive(&run_lock);
}

/* sdnotify's messages (compat_notify), from ferryd run's thread. */
static void
run_on_notify(const char *msg)
{
	if (strcmp(msg, "READY=1") == 0)
		run_report(SERVICE_RUNNING, NO_ERROR, 0);
	else if (strcmp(msg, "STOPPING=1") == 0)
		run_report(SERVICE_STOP_PENDING, NO_ERROR, 0);
}

/* On the dispatcher's (the process's main) thread: only flags are set. */
static DWORD WINAPI
run_handler(DWORD ctl, DWORD type, void *data, void *ctx)
{
	(void)type;
	(void)data;
	(void)ctx;
	switch (ctl) {
	case SERVICE_CONTROL_STOP:
	case SERVICE_CONTROL_PRESHUTDOWN:
		run_report(SERVICE_STOP_PENDING, NO_ERROR, 0);
		if (service_stop_fn != NULL)
			service_stop_fn();
		return (NO_ERROR);
	case SERVICE_CONTROL_INTERROGATE:
		return (NO_ERROR);
	default:
		return (ERROR_CALL_NOT_IMPLEMENTED);
	}
}

/*
 * The service's main, on a thread the dispatcher made: the daemon runs
 * here, and its exit status becomes the service's, so that an error exit
 * counts as a failure and the recovery actions restart it.
 */
static void WINAPI
run_main(DWORD argc, wchar_t **argv)
{
	(void)argc;
	(void)argv;
	run_handle = RegisterServiceCtrlHandlerExW(L"" WIN_SERVICE_NAME,
	    run_handler, NULL);
	if (run_handle == NULL) {
		run_result = FERRY_ERR_IO;
		return;
	}
	run_report(SERVICE_START_PENDING, NO_ERROR, 0);
	run_result = service_run_fn(run_argc, run_argv);
	if (run_result == 0)
		run_report(SERVICE_STOPPED, NO_ERROR, 0);
	else
		run_report(SERVICE_STOPPED, ERROR_SERVICE_SPECIFIC_ERROR,
		    (DWORD)run_result);
}

int
service_run(int argc, char **argv, char **cause)
{
	SERVICE_TABLE_ENTRYW	table[] = {
		{ (wchar_t *)L"" WIN_SERVICE_NAME, run_main },
		{ NULL, NULL }
	};
	DWORD			e;

	if (service_run_fn == NULL || service_stop_fn == NULL)
		return (err_set(cause, FERRY_ERR_INTERNAL, "no daemon to run "
		    "(win_service_daemon was not called)"));
	run_argc = argc;
	run_argv = argv;
	/*
	 * sdnotify sends only when NOTIFY_SOCKET is set; on Windows its
	 * value names no socket, it only says a manager listens.
	 */
	_putenv("NOTIFY_SOCKET=windows-service-manager");
	compat_notify_hook(run_on_notify);
	if (!StartServiceCtrlDispatcherW(table)) {
		e = GetLastError();
		compat_notify_hook(NULL);
		return (err_set(cause, FERRY_ERR_STATE, "%s%s",
		    service_strerror(e), e ==
		    ERROR_FAILED_SERVICE_CONTROLLER_CONNECT ? " ('ferryd "
		    "service run' is what the service manager starts; in a "
		    "console use 'ferryd run', or start the service with "
		    "'sc start " WIN_SERVICE_NAME "')" : ""));
	}
	compat_notify_hook(NULL);
	if (run_result != 0)
		return (err_set(cause, FERRY_ERR_INTERNAL, "the daemon exited "
		    "with status %d", run_result));
	return (0);
}
