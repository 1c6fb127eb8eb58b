/*
 * libFuzzer target for the share-map loader: the input is map JSON; a map
 * that loads is then used to translate a few fixed paths, in full and
 * through a share_map_cache warmed by a file of the same directory: the
 * two must agree exactly (abort otherwise).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "share-map.h"

static int
fuzz_same(const char *a, const char *b)
{
	return (strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0);
}

/* path through c, after a sibling, is what it is in full. */
static void
fuzz_cached(const struct share_map *m, struct share_map_cache *c,
    const char *path, enum share_os os)
{
	struct share_map_result	 a, k;
	char			 sib[256], *ca = NULL, *ck = NULL;
	const char		*slash = strrchr(path, '\\');
	int			 ra, rk;

	if (slash == NULL || strrchr(path, '/') > slash)
		slash = strrchr(path, '/');
	if (slash != NULL && (size_t)(slash - path) + 8 < sizeof sib) {
		memcpy(sib, path, (size_t)(slash - path) + 1);
		strcpy(sib + (slash - path) + 1, "sib.exr");
		if (share_map_translate_cached(m, c, NULL, "la", os, sib,
		    strlen(sib), &k, NULL) == 0)
			share_map_result_clear(&k);
	}
	ra = share_map_translate(m, NULL, "la", os, path, strlen(path), &a,
	    &ca);
	rk = share_map_translate_cached(m, c, NULL, "la", os, path,
	    strlen(path), &k, &ck);
	if (ra != rk || !fuzz_same(ca, ck) || (ra == 0 &&
	    (strcmp(a.path, k.path) != 0 || strcmp(a.share, k.share) != 0 ||
	    strcmp(a.relative, k.relative) != 0 || a.os != k.os)))
		abort();
	if (ra == 0)
		share_map_result_clear(&a);
	if (rk == 0)
		share_map_result_clear(&k);
	free(ca);
	free(ck);
}

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	*paths[] = { "/storage/a/b", "S:\\a\\..\\b",
	    "\\\\fileserver\\storage\\x", "/", "/a/../../b",
	    "/storage/a/CON", "S:\\a\\b\\x.", "/storage/b/x" };
	struct share_map	*m;
	struct share_map_cache	*c;
	struct share_map_result	 res;
	char			*cause = NULL;
	size_t			 i;
	int			 os;

	if (share_map_load_text((const char *)data, size, "fuzz", &m,
	    &cause) != 0) {
		if (cause == NULL)
			abort();
		free(cause);
		return (0);
	}
	c = share_map_cache_new();
	for (i = 0; i < sizeof paths / sizeof *paths; i++) {
		for (os = SHARE_OS_DEFAULT; os < SHARE_OS_COUNT; os++) {
			if (share_map_translate(m, NULL, "la", os, paths[i],
			    strlen(paths[i]), &res, &cause) == 0)
				share_map_result_clear(&res);
			free(cause);
			cause = NULL;
			if (c != NULL)
				fuzz_cached(m, c, paths[i], (enum share_os)os);
		}
	}
	share_map_cache_free(c);
	share_map_free(m);
	return (0);
}
