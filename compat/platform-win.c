/*
 * The platform this program runs on, and its command line, on Windows
 * (compat.h).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <wchar.h>

#include <windows.h>
#include <shellapi.h>

#include "compat.h"
#include "utf16.h"

const char *
compat_platform(void)
{
	return ("windows");
}

/*
 * main's argv is the command line in the ANSI code page: a name outside
 * it (a Japanese file name on a French desktop) arrives as '?' and names
 * another file, or none. The wide command line is what the user typed:
 * CommandLineToArgvW splits it by the C runtime's own rules (quotes,
 * backslashes), and each argument becomes UTF-8. The new vector lives as
 * long as the program, as main's own does.
 */
int
compat_args_utf8(int *argc, char ***argv)
{
	LPWSTR	*w;
	char	**v;
	int	 n, i;

	if ((w = CommandLineToArgvW(GetCommandLineW(), &n)) == NULL) {
		errno = ENOMEM;
		return (-1);
	}
	if (n < 1 || (v = calloc((size_t)n + 1, sizeof *v)) == NULL) {
		LocalFree(w);
		errno = n < 1 ? EINVAL : ENOMEM;
		return (-1);
	}
	for (i = 0; i < n; i++) {
		if ((v[i] = utf16_to_utf8((const uint16_t *)w[i],
		    wcslen(w[i]))) == NULL) {
			while (i-- > 0)
				free(v[i]);
			free(v);
			LocalFree(w);
			return (-1);	/* errno: EILSEQ, ENOMEM */
		}
	}
	LocalFree(w);
	*argc = n;
	*argv = v;	/* transferred: the program's */
	return (0);
}
