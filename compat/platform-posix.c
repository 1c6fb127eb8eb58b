/*
 * The platform this program runs on, and its command line, on POSIX
 * systems (compat.h).
 */
#include "config.h"

#include <string.h>
#include <sys/utsname.h>

#include "compat.h"

/*
 * What the hub needs is which kind of path this machine writes: macOS
 * has roots of its own in the share map ("mac"), every other POSIX
 * system the "linux" ones.
 */
const char *
compat_platform(void)
{
	struct utsname	u;

	if (uname(&u) == 0 && strcmp(u.sysname, "Darwin") == 0)
		return ("macos");
	return ("linux");
}

/* argv is the bytes the shell passed: UTF-8 wherever ferry runs. */
int
compat_args_utf8(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return (0);
}
