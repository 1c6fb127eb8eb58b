/*
 * libFuzzer target for the control protocol's messages: any bytes the
 * JSON parser takes as a value go through the table (agent/proto/proto-check.c)
 * in every direction. The table must refuse, never misread or crash on,
 * any message; what it passes must have the types it promises.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "proto-check.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a passed message promises the code that acts on it. */
static void
fuzz_promises(const json_t *m)
{
	const json_t	*v;

	if ((v = json_object_get(m, "op")) != NULL && !json_is_string(v))
		abort();
	if ((v = json_object_get(m, "id")) != NULL &&
	    (!json_is_integer(v) || json_integer_value(v) < 0))
		abort();
	if ((v = json_object_get(m, "port")) != NULL && !json_is_integer(v))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum proto_dir dirs[] = { PROTO_FIRST, PROTO_TO_HUB,
	    PROTO_TO_AGENT };
	json_t	*m;
	char	*cause;
	size_t	 i;

	m = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_ANY, NULL);
	if (m == NULL)
		return (0);
	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		cause = NULL;
		if (proto_check(m, dirs[i], &cause) == 0)
			fuzz_promises(m);
		free(cause);
	}
	json_decref(m);
	return (0);
}
