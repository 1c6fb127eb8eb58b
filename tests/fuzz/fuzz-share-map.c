/*
 * libFuzzer target for the share-map loader: the input is map JSON; a map
 * that loads is then used to translate a few fixed paths.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "share-map.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	*paths[] = { "/storage/a/b", "S:\\a\\..\\b",
	    "\\\\fileserver\\storage\\x", "/", "/a/../../b" };
	struct share_map	*m;
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
	for (i = 0; i < sizeof paths / sizeof *paths; i++) {
		for (os = SHARE_OS_DEFAULT; os < SHARE_OS_COUNT; os++) {
			if (share_map_translate(m, NULL, "la", os, paths[i],
			    strlen(paths[i]), &res, &cause) == 0)
				share_map_result_clear(&res);
			free(cause);
			cause = NULL;
		}
	}
	share_map_free(m);
	return (0);
}
