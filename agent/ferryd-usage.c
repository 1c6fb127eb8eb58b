/* The usage error every ferryd subcommand (cmd-*.c) reports through. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "ferryd.h"

void
ferryd_usage_error(const struct ferryd_cmd *cmd, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "ferryd: %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: ferryd %s %s\n", cmd->name, cmd->usage);
}
