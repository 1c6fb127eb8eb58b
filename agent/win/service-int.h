/*
 * agent/win/'s own header (service.h is the public one): what its files
 * call in each other, and what tests/win/service-host.c drives. Every
 * function returns 0 or a FERRY_ERR_* code with a cause the caller frees
 * (err_set); none prints or logs: cmd-service.c, the command, does that.
 * Strings are UTF-8; the conversion to UTF-16 happens at each W call.
 */
#ifndef FERRY_WIN_SERVICE_INT_H
#define FERRY_WIN_SERVICE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "service.h"

struct service_conf {
	const char	*state;		/* the state directory, absolute */
	const char	*account;	/* what the service logs on as */
	int		 log_file;	/* the log file, not the Event Log */
	char		**grant;	/* folders the account may modify */
	int		 ngrant;
	const char	*api_sid;	/* a desktop user's, for the local API */
};

/* service-sid.c: the account's SID and the state directory's owner. */
/*
 * The SID of a virtual service account, "NT SERVICE\name": S-1-5-80 and
 * the SHA-1 of the upper-cased UTF-16LE name as five little-endian words,
 * which Windows computes too (sc showsid), so that it is known before the
 * service exists and under wine, which has no such accounts.
 */
int	service_sid_virtual(const char *name, char **sid, char **cause);
/* account's SID as a string (S-1-...): virtual ones computed, others
 * looked up (LookupAccountNameW). */
int	service_sid_account(const char *account, char **sid, char **cause);
/*
 * Gives the state directory, and all below it, to sid: owner sid, and a
 * protected DACL granting sid, SYSTEM and Administrators full control
 * (what compat_dir_check_private and compat_open_secret accept), so that
 * the service, which is not the administrator who ran `ferryd enroll`,
 * may use the files enroll made and nobody else may read its keys.
 */
int	service_sid_handover(const char *dir, const char *sid, char **cause);
/*
 * Lets sid read, write, create and delete below path (an inherited entry
 * added to its DACL; the entries it had stay): the storage roots, which
 * the desktop user owns and the service must write into.
 */
int	service_sid_grant(const char *path, const char *sid, char **cause);

/*
 * service-install.c: the service control manager's records. install
 * writes into missing (mlen bytes) the optional settings this system
 * refused as unknown, "" if none (service-install.c says which).
 */
int	service_install(const struct service_conf *conf, char *missing,
	    size_t mlen, char **cause);
int	service_uninstall(char **cause);
/* The command line the service manager starts: exe and its arguments. */
int	service_install_cmdline(const char *exe, const struct service_conf *,
	    char **out, char **cause);

/* service-run.c: under the service control manager. */
/*
 * Connects to the service manager and runs the daemon (run_argv, with the
 * hooks win_service_daemon set) as service WIN_SERVICE_NAME; returns when
 * it has stopped: 0, or an error with its cause (also when this process
 * was not started by the service manager).
 */
int	service_run(int run_argc, char **run_argv, char **cause);
/* How the daemon's run and stop are reached (win_service_daemon). */
extern int	(*service_run_fn)(int, char **);
extern void	(*service_stop_fn)(void);

/* eventlog.c: the Event Log source's registry key. */
int	eventlog_register(const char *source, const char *exe, char **cause);
int	eventlog_unregister(const char *source, char **cause);

/* Each message's event ID (messages.mc says the same: a test checks). */
#define EVENTLOG_ID_ERROR	1
#define EVENTLOG_ID_WARNING	2
#define EVENTLOG_ID_INFO	3
#define EVENTLOG_ID_DEBUG	4

/* service-sid.c: UTF-16 of s, or NULL with a cause. Frees with free(). */
uint16_t *service_wide(const char *s, const char *what, char **cause);
/* The text of a Windows error (FormatMessage), in a static buffer. */
const char *service_strerror(unsigned long code);

#endif
