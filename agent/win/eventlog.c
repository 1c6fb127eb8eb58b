/*
 * The Event Log as common/log's sink (service.h), and its source's
 * registration (service-int.h). Each message is one event with one
 * insertion string; messages.mc, compiled into ferryd.exe, says "%1" for
 * each event ID, so Event Viewer shows the message as it is. Without the
 * registration (ferryd.exe moved, or the source never installed) Windows
 * still keeps the string, and Event Viewer shows it after its "The
 * description for Event ID 3 from source ferryd cannot be found" preface.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "err.h"
#include "service-int.h"
#include "utf16.h"

#define EVENTLOG_KEY \
	"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\"

static HANDLE	eventlog_h;

int
win_eventlog_open(const char *source, char **cause)
{
	uint16_t	*w;
	HANDLE		 h;

	if ((w = service_wide(source, "the Event Log source", cause)) == NULL)
		return (-1);
	h = RegisterEventSourceW(NULL, (const wchar_t *)w);
	free(w);
	if (h == NULL) {
		err_set(cause, FERRY_ERR_IO, "Event Log source %s: %s", source,
		    service_strerror(GetLastError()));
		return (-1);
	}
	if (eventlog_h != NULL)
		DeregisterEventSource(eventlog_h);
	eventlog_h = h;
	return (0);
}

void
win_eventlog_close(void)
{
	if (eventlog_h != NULL)
		DeregisterEventSource(eventlog_h);
	eventlog_h = NULL;
}

void
win_eventlog_sink(enum log_level level, const char *msg)
{
	static const struct {
		WORD	type;
		DWORD	id;
	} ev[] = {
		[LOG_LEVEL_ERROR] = { EVENTLOG_ERROR_TYPE, EVENTLOG_ID_ERROR },
		[LOG_LEVEL_WARN] = { EVENTLOG_WARNING_TYPE,
		    EVENTLOG_ID_WARNING },
		[LOG_LEVEL_INFO] = { EVENTLOG_INFORMATION_TYPE,
		    EVENTLOG_ID_INFO },
		[LOG_LEVEL_DEBUG] = { EVENTLOG_INFORMATION_TYPE,
		    EVENTLOG_ID_DEBUG },
	};
	const wchar_t	*strs[1];
	uint16_t	*w;

	if (eventlog_h == NULL || (unsigned)level > LOG_LEVEL_DEBUG)
		return;
	/* log.c has replaced control characters; UTF-8 may still fail. */
	if ((w = utf16_from_utf8(msg, strlen(msg), NULL)) == NULL)
		w = utf16_from_utf8("(a message that is not UTF-8)", 29, NULL);
	if (w == NULL)
		return;
	strs[0] = (const wchar_t *)w;
	ReportEventW(eventlog_h, ev[level].type, 0, ev[level].id, NULL, 1, 0,
	    strs, NULL);
	free(w);
}

int
eventlog_register(const char *source, const char *exe, char **cause)
{
	char		 key[256];
	uint16_t	*wkey = NULL, *wexe = NULL;
	DWORD		 types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE |
			    EVENTLOG_INFORMATION_TYPE;
	HKEY		 k;
	LSTATUS		 e;
	int		 r = 0;

	snprintf(key, sizeof key, "%s%s", EVENTLOG_KEY, source);
	if ((wkey = service_wide(key, "the source", cause)) == NULL ||
	    (wexe = service_wide(exe, "ferryd.exe's path", cause)) == NULL) {
		r = FERRY_ERR_BADNAME;
		goto out;
	}
	e = RegCreateKeyExW(HKEY_LOCAL_MACHINE, (wchar_t *)wkey, 0, NULL, 0,
	    KEY_SET_VALUE, NULL, &k, NULL);
	if (e == ERROR_SUCCESS) {
		e = RegSetValueExW(k, L"EventMessageFile", 0, REG_EXPAND_SZ,
		    (const BYTE *)wexe, (DWORD)((wcslen((wchar_t *)wexe) + 1) *
		    sizeof(wchar_t)));
		if (e == ERROR_SUCCESS)
			e = RegSetValueExW(k, L"TypesSupported", 0, REG_DWORD,
			    (const BYTE *)&types, sizeof types);
		RegCloseKey(k);
	}
	if (e != ERROR_SUCCESS)
		r = err_set(cause, FERRY_ERR_IO, "registering Event Log source "
		    "%s (HKLM\\SYSTEM\\...\\EventLog\\Application): %s", source,
		    service_strerror((unsigned long)e));
out:
	free(wkey);
	free(wexe);
	return (r);
}

int
eventlog_unregister(const char *source, char **cause)
{
	char		 key[256];
	uint16_t	*wkey;
	LSTATUS		 e;

	snprintf(key, sizeof key, "%s%s", EVENTLOG_KEY, source);
	if ((wkey = service_wide(key, "the source", cause)) == NULL)
		return (FERRY_ERR_BADNAME);
	e = RegDeleteKeyW(HKEY_LOCAL_MACHINE, (wchar_t *)wkey);
	free(wkey);
	if (e != ERROR_SUCCESS && e != ERROR_FILE_NOT_FOUND)
		return (err_set(cause, FERRY_ERR_IO, "removing Event Log "
		    "source %s: %s", source, service_strerror((unsigned long)e)));
	return (0);
}
