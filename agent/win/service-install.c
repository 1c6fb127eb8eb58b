/*
 * `ferryd service install|uninstall`'s work (service-int.h): the service
 * control manager's record of ferryd, its recovery and shutdown settings,
 * its Event Log source, and its state directory handed to its account.
 * Install undoes what it did when a later step fails, so that a failed
 * install leaves no half-made service behind.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "compat.h"
#include "err.h"
#include "service-int.h"
#include "utf16.h"

/* Restart 5 s, 30 s, then 2 min after each failure; forgive after 1 day. */
static SC_ACTION	install_actions[] = {
	{ SC_ACTION_RESTART, 5000 },
	{ SC_ACTION_RESTART, 30000 },
	{ SC_ACTION_RESTART, 120000 },
};
#define INSTALL_RESET_SECONDS	86400
/* How long Windows' shutdown waits for ferryd to stop its transfers. */
#define INSTALL_PRESHUTDOWN_MS	60000

int
service_install_cmdline(const char *exe, const struct service_conf *conf,
    char **out, char **cause)
{
	size_t	 n;
	char	*s;

	/*
	 * The command line is parsed by the C runtime: a '"' would end the
	 * argument, and a backslash before the closing '"' would escape it.
	 */
	if (strchr(exe, '"') != NULL || strchr(conf->state, '"') != NULL)
		return (err_set(cause, FERRY_ERR_BADNAME, "a '\"' in %s",
		    strchr(exe, '"') != NULL ? exe : conf->state));
	n = strlen(conf->state);
	if (n == 0 || conf->state[n - 1] == '\\' || conf->state[n - 1] == '/')
		return (err_set(cause, FERRY_ERR_BADNAME, "state directory "
		    "\"%s\": give it without a trailing separator, and not a "
		    "drive's root", conf->state));
	/* A SID string is S, digits and dashes: nothing to quote. */
	if (conf->api_sid != NULL && (strncmp(conf->api_sid, "S-", 2) != 0 ||
	    strspn(conf->api_sid + 2, "0123456789-") !=
	    strlen(conf->api_sid + 2)))
		return (err_set(cause, FERRY_ERR_BADNAME, "\"%s\" is not a SID",
		    conf->api_sid));
	n = strlen(exe) + strlen(conf->state) + 80 +
	    (conf->api_sid != NULL ? strlen(conf->api_sid) : 0);
	if ((s = malloc(n)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	snprintf(s, n, "\"%s\" service run --state \"%s\"%s%s%s", exe,
	    conf->state, conf->log_file ? " --log-file" : "",
	    conf->api_sid != NULL ? " --api-user " : "",
	    conf->api_sid != NULL ? conf->api_sid : "");
	*out = s;
	return (0);
}

/*
 * What an IT person expects of a well-behaved service: said what it is,
 * restarted on failure (also when it exits with an error, not only when
 * it crashes), given time to stop at shutdown, started once the network
 * is up, and given a SID of its own, which the state directory's DACL
 * names (a virtual account's token has it as its user anyway; the SID
 * type also puts it in the token of an account such as LocalService).
 * Every Windows since 7 takes all of these; a system that says
 * ERROR_INVALID_LEVEL to one marked optional (wine 8 takes none of the
 * three) gets the service without it, and the caller is told which in
 * *missing.
 */
static int
install_settings(SC_HANDLE svc, char *missing, size_t mlen, char **cause)
{
	SERVICE_DESCRIPTIONW			desc;
	SERVICE_FAILURE_ACTIONSW		fa;
	SERVICE_FAILURE_ACTIONS_FLAG		faf;
	SERVICE_PRESHUTDOWN_INFO		pre;
	SERVICE_DELAYED_AUTO_START_INFO		delayed;
	SERVICE_SID_INFO			sid;
	const struct {
		DWORD		 level;
		void		*info;
		const char	*what;
		int		 optional;
	} set[] = {
		{ SERVICE_CONFIG_DESCRIPTION, &desc, "its description", 0 },
		{ SERVICE_CONFIG_FAILURE_ACTIONS, &fa, "restart on failure",
		    0 },
		{ SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &faf, "restart after "
		    "an error exit", 1 },
		{ SERVICE_CONFIG_PRESHUTDOWN_INFO, &pre, "the pre-shutdown "
		    "timeout", 0 },
		{ SERVICE_CONFIG_DELAYED_AUTO_START_INFO, &delayed, "delayed "
		    "automatic start", 1 },
		{ SERVICE_CONFIG_SERVICE_SID_INFO, &sid, "its service SID", 1 },
	};
	size_t					i, o = 0;
	DWORD					e;

	desc.lpDescription = L"ferry agent: receives and sends files for "
	    L"the studio's hub under its storage roots";
	memset(&fa, 0, sizeof fa);
	fa.dwResetPeriod = INSTALL_RESET_SECONDS;
	fa.cActions = sizeof install_actions / sizeof install_actions[0];
	fa.lpsaActions = install_actions;
	faf.fFailureActionsOnNonCrashFailures = TRUE;
	pre.dwPreshutdownTimeout = INSTALL_PRESHUTDOWN_MS;
	delayed.fDelayedAutostart = TRUE;
	sid.dwServiceSidType = SERVICE_SID_TYPE_UNRESTRICTED;
	missing[0] = '\0';
	for (i = 0; i < sizeof set / sizeof set[0]; i++) {
		if (ChangeServiceConfig2W(svc, set[i].level, set[i].info))
			continue;
		e = GetLastError();
		if (set[i].optional && e == ERROR_INVALID_LEVEL && o < mlen) {
			o += (size_t)snprintf(missing + o, mlen - o, "%s%s",
			    o > 0 ? ", " : "", set[i].what);
			continue;
		}
		return (err_set(cause, FERRY_ERR_IO, "service %s: setting %s: "
		    "%s", WIN_SERVICE_NAME, set[i].what, service_strerror(e)));
	}
	return (0);
}

/* The path of this ferryd.exe, which the service manager will start. */
static int
install_exe(char **exe, char **cause)
{
	wchar_t	 w[MAX_PATH + 1];
	DWORD	 n;
	char	*s;

	n = GetModuleFileNameW(NULL, w, MAX_PATH + 1);
	if (n == 0 || n > MAX_PATH)
		return (err_set(cause, FERRY_ERR_IO, "the path of ferryd.exe: "
		    "%s", n == 0 ? service_strerror(GetLastError()) :
		    "longer than MAX_PATH"));
	if ((s = utf16_to_utf8((const uint16_t *)w, n)) == NULL)
		return (err_set(cause, FERRY_ERR_BADNAME, "the path of "
		    "ferryd.exe is not valid UTF-16"));
	*exe = s;
	return (0);
}

static int
install_create(SC_HANDLE scm, const char *cmd, const char *account,
    SC_HANDLE *out, char **cause)
{
	uint16_t	*wcmd = NULL, *wacct = NULL;
	SC_HANDLE	 svc;
	DWORD		 e;
	int		 r = 0;

	if ((wcmd = service_wide(cmd, "the command line", cause)) == NULL ||
	    (wacct = service_wide(account, "the account", cause)) == NULL) {
		r = FERRY_ERR_BADNAME;
		goto out;
	}
	/* No password: virtual and managed accounts have none to give. */
	svc = CreateServiceW(scm, L"" WIN_SERVICE_NAME, L"ferry agent",
	    SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START,
	    SERVICE_ERROR_NORMAL, (const wchar_t *)wcmd, NULL, NULL, NULL,
	    (const wchar_t *)wacct, NULL);
	if (svc == NULL) {
		e = GetLastError();
		if (e == ERROR_SERVICE_EXISTS)
			r = err_set(cause, FERRY_ERR_EXIST, "service %s is "
			    "already installed: run 'ferryd service uninstall' "
			    "first", WIN_SERVICE_NAME);
		else
			r = err_set(cause, FERRY_ERR_IO, "creating service %s: "
			    "%s%s", WIN_SERVICE_NAME, service_strerror(e), e ==
			    ERROR_ACCESS_DENIED ? " (run it as an administrator)"
			    : "");
		goto out;
	}
	*out = svc;
out:
	free(wcmd);
	free(wacct);
	return (r);
}

/*
 * The folders --grant named. Checked before anything is made, since an
 * entry added before a later failure stays (harmless: the account goes
 * with the service, and Windows then shows a SID that resolves to no
 * one), and the state directory's hand-over comes last of all.
 */
static int
install_grant_check(const struct service_conf *conf, char **cause)
{
	uint16_t	*w;
	DWORD		 a;
	int		 i;

	for (i = 0; i < conf->ngrant; i++) {
		if ((w = service_wide(conf->grant[i], "--grant", cause)) ==
		    NULL)
			return (FERRY_ERR_BADNAME);
		a = GetFileAttributesW((const wchar_t *)w);
		free(w);
		if (a == INVALID_FILE_ATTRIBUTES ||
		    !(a & FILE_ATTRIBUTE_DIRECTORY))
			return (err_set(cause, FERRY_ERR_NOTFOUND, "--grant "
			    "%s: not a folder", conf->grant[i]));
	}
	return (0);
}

static int
install_grant(const struct service_conf *conf, const char *sid,
    char **cause)
{
	int	i, r;

	for (i = 0; i < conf->ngrant; i++) {
		if ((r = service_sid_grant(conf->grant[i], sid, cause)) != 0)
			return (r);
	}
	return (0);
}

int
service_install(const struct service_conf *conf, char *missing, size_t mlen,
    char **cause)
{
	SC_HANDLE	 scm = NULL, svc = NULL;
	char		*exe = NULL, *cmd = NULL, *sid = NULL;
	int		 r;

	if ((r = install_exe(&exe, cause)) != 0 ||
	    (r = service_install_cmdline(exe, conf, &cmd, cause)) != 0 ||
	    (r = service_sid_account(conf->account, &sid, cause)) != 0 ||
	    (r = install_grant_check(conf, cause)) != 0)
		goto out;
	if (compat_mkdir_private(conf->state) == -1) {
		r = err_set(cause, FERRY_ERR_IO, "creating %s: %s",
		    conf->state, strerror(errno));
		goto out;
	}
	if ((scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CREATE_SERVICE)) ==
	    NULL) {
		r = err_set(cause, FERRY_ERR_DENIED, "opening the service "
		    "control manager: %s (run it as an administrator)",
		    service_strerror(GetLastError()));
		goto out;
	}
	if ((r = install_create(scm, cmd, conf->account, &svc, cause)) != 0)
		goto out;
	if ((r = install_settings(svc, missing, mlen, cause)) != 0 ||
	    (r = eventlog_register(WIN_SERVICE_NAME, exe, cause)) != 0 ||
	    (r = install_grant(conf, sid, cause)) != 0 ||
	    (r = service_sid_handover(conf->state, sid, cause)) != 0) {
		/* Undone in reverse; the cause stays the first failure's. */
		eventlog_unregister(WIN_SERVICE_NAME, NULL);
		DeleteService(svc);
	}
out:
	if (svc != NULL)
		CloseServiceHandle(svc);
	if (scm != NULL)
		CloseServiceHandle(scm);
	free(exe);
	free(cmd);
	free(sid);
	return (r);
}

/* Asks a running service to stop and waits up to 90 s for it. */
static int
uninstall_stop(SC_HANDLE svc, char **cause)
{
	SERVICE_STATUS	st;
	int		i;

	if (!QueryServiceStatus(svc, &st))
		return (err_set(cause, FERRY_ERR_IO, "service %s: its status: "
		    "%s", WIN_SERVICE_NAME, service_strerror(GetLastError())));
	if (st.dwCurrentState == SERVICE_STOPPED)
		return (0);
	if (st.dwCurrentState != SERVICE_STOP_PENDING &&
	    !ControlService(svc, SERVICE_CONTROL_STOP, &st) &&
	    GetLastError() != ERROR_SERVICE_NOT_ACTIVE)
		return (err_set(cause, FERRY_ERR_IO, "stopping service %s: %s",
		    WIN_SERVICE_NAME, service_strerror(GetLastError())));
	for (i = 0; i < 900; i++) {
		if (!QueryServiceStatus(svc, &st) ||
		    st.dwCurrentState == SERVICE_STOPPED)
			return (0);
		Sleep(100);
	}
	return (err_set(cause, FERRY_ERR_TIMEOUT, "service %s did not stop "
	    "within 90 s; its record is left in place", WIN_SERVICE_NAME));
}

int
service_uninstall(char **cause)
{
	SC_HANDLE	 scm, svc = NULL;
	DWORD		 e;
	int		 r = 0;

	if ((scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT)) == NULL)
		return (err_set(cause, FERRY_ERR_DENIED, "opening the service "
		    "control manager: %s", service_strerror(GetLastError())));
	svc = OpenServiceW(scm, L"" WIN_SERVICE_NAME, SERVICE_STOP |
	    SERVICE_QUERY_STATUS | DELETE);
	if (svc == NULL) {
		e = GetLastError();
		r = err_set(cause, e == ERROR_SERVICE_DOES_NOT_EXIST ?
		    FERRY_ERR_NOTFOUND : FERRY_ERR_DENIED, "service %s: %s",
		    WIN_SERVICE_NAME, service_strerror(e));
		goto out;
	}
	if ((r = uninstall_stop(svc, cause)) != 0)
		goto out;
	if (!DeleteService(svc) && GetLastError() !=
	    ERROR_SERVICE_MARKED_FOR_DELETE) {
		r = err_set(cause, FERRY_ERR_IO, "deleting service %s: %s",
		    WIN_SERVICE_NAME, service_strerror(GetLastError()));
		goto out;
	}
	r = eventlog_unregister(WIN_SERVICE_NAME, cause);
out:
	if (svc != NULL)
		CloseServiceHandle(svc);
	CloseServiceHandle(scm);
	return (r);
}
