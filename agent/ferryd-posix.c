/*
 * ferryd's platform hooks on POSIX (ferryd.h): none. systemd runs
 * `ferryd run` itself (contrib/systemd/), so there is no service
 * subcommand; ferryd-win.c is the Windows twin.
 */
#include "config.h"

#include <stddef.h>

#include "ferryd.h"

const struct ferryd_cmd *const ferryd_platform_cmds[] = { NULL };

void
ferryd_platform_init(void)
{
}
