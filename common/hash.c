/* common/hash.h: FNV-1a, small and good enough for probed tables. */
#include "config.h"

#include "hash.h"

uint64_t
hash_str(const char *s)
{
	uint64_t	h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h);
}
