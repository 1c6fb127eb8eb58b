/*
 * libFuzzer target for the Windows path rules (common/winpath.h): any bytes
 * must give a parsed path or a refusal with a cause, never a crash or a
 * leak; what parses must hold only names that winpath_check_name() takes,
 * and a name's case key must be a fixed point (folding it again changes
 * nothing), or two aliases could get different keys.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "winpath.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_fold(const char *s, size_t n)
{
	char	*k = NULL, *k2 = NULL, *cause = NULL;

	if (winpath_fold(s, n, &k, &cause) != 0) {
		if (cause == NULL)
			abort();
		free(cause);
		return;
	}
	if (winpath_fold(k, strlen(k), &k2, NULL) != 0 || strcmp(k, k2) != 0 ||
	    strlen(k) != n)
		abort();
	free(k);
	free(k2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data;
	struct winpath	 wp;
	char		*cause = NULL;
	size_t		 i;

	if (winpath_parse(s, size, &wp, &cause) == 0) {
		for (i = 0; i < wp.ncomp; i++) {
			if (winpath_check_name(wp.comp[i], strlen(wp.comp[i]),
			    NULL) != 0)
				abort();
		}
		if (wp.kind == WINPATH_DRIVE && (wp.drive < 'A' ||
		    wp.drive > 'Z'))
			abort();
		winpath_clear(&wp);
	} else if (cause == NULL)
		abort();
	free(cause);
	cause = NULL;
	if (winpath_check_rel(s, size, &cause) != 0 && cause == NULL)
		abort();
	free(cause);
	cause = NULL;
	if (winpath_check_name(s, size, &cause) != 0 && cause == NULL)
		abort();
	free(cause);
	fuzz_fold(s, size);
	return (0);
}
