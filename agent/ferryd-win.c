/*
 * ferryd's platform hooks on Windows (ferryd.h): `ferryd service`
 * (agent/win/, docs/windows-service.md), and before any subcommand runs,
 * the hooks through which the service manager's `service run` starts
 * `ferryd run` and stops it as SIGTERM would. ferryd-posix.c is the
 * POSIX twin; keeping the difference in this pair keeps ferryd.c free of
 * #ifdef.
 */
#include "config.h"

#include <stddef.h>

#include "ferryd.h"
#include "service.h"

static const struct ferryd_cmd ferryd_cmd_service = {
	.name = "service",
	.usage = WIN_SERVICE_USAGE,
	.summary = WIN_SERVICE_SUMMARY,
	.exec = win_service_cmd,
};

const struct ferryd_cmd *const ferryd_platform_cmds[] = {
	&ferryd_cmd_service,
	NULL
};

void
ferryd_platform_init(void)
{
	win_service_daemon(ferryd_run_exec, ferryd_run_stop);
}
