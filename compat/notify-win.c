/*
 * compat_notify() on Windows: nothing. The service control manager is told
 * a service's state through SetServiceStatus by the service's own main
 * (ferryd service), not through a socket named in the environment.
 */
#include "config.h"

#include "compat.h"

int
compat_notify(const char *name, const char *msg)
{
	(void)name;
	(void)msg;
	return (0);
}
