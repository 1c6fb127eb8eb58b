/*
 * compat_notify() on Windows: no socket. The service control manager is
 * told a service's state through SetServiceStatus by the service's own
 * code (agent/win/service-run.c), which hooks itself in here: sdnotify's
 * "READY=1" is when a start-pending service becomes running.
 */
#include "config.h"

#include "compat.h"

static void	(*notify_fn)(const char *);

void
compat_notify_hook(void (*fn)(const char *msg))
{
	notify_fn = fn;
}

int
compat_notify(const char *name, const char *msg)
{
	(void)name;
	if (notify_fn != NULL)
		notify_fn(msg);
	return (0);
}
