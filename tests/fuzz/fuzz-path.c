/*
 * libFuzzer target for the path parser and sequence parser: any bytes must
 * give a parsed path or an error with a cause, never a crash or a leak, and
 * a parsed path must never keep an empty or "." component.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "sequence.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct path	 p;
	struct sequence	 seq;
	char		*cause = NULL, *s;
	size_t		 i;

	if (path_parse((const char *)data, size, &p, &cause) == 0) {
		for (i = 0; i < p.ncomp; i++) {
			if (p.comp[i][0] == '\0' || strcmp(p.comp[i], ".") == 0)
				abort();
			path_check_windows_name(p.comp[i], &cause);
		}
		path_clear(&p);
	} else if (cause == NULL)
		abort();
	free(cause);
	cause = NULL;

	if ((s = strndup((const char *)data, size)) == NULL)
		return (0);
	if (sequence_parse(s, &seq, &cause) == 1)
		sequence_clear(&seq);
	free(cause);
	free(s);
	return (0);
}
