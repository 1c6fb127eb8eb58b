/*
 * reallocarray(3), for C libraries without it (configure's
 * AC_REPLACE_FUNCS): realloc of n * size that fails rather than wraps.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

void *
reallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return (NULL);
	}
	return (realloc(p, n * size));
}
