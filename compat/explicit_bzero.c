/*
 * explicit_bzero(3), for C libraries without it (mingw-w64's): zeroes
 * through a volatile pointer so that the compiler cannot drop the stores
 * as dead, which it may do to a memset of a buffer about to be freed.
 */
#include "config.h"

#include <stddef.h>

void
explicit_bzero(void *p, size_t n)
{
	volatile unsigned char	*v = p;

	while (n-- > 0)
		*v++ = 0;
}
