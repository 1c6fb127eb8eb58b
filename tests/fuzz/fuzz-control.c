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
#include <string.h>

#include <jansson.h>

#include "proto-check.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * What a passed message promises the code that acts on it: an answer's
 * "re" is a question id; a transfer message's "id" a transfer number; a
 * listening agent's "port" a number. Fields a message does not declare
 * are never read, whatever they hold.
 */
static void
fuzz_promises(const json_t *m)
{
	const char	*op = json_string_value(json_object_get(m, "op"));
	const json_t	*v;

	if (json_object_get(m, "op") != NULL && op == NULL)
		abort();
	if (op == NULL && (!json_is_string(v = json_object_get(m, "re")) ||
	    strlen(json_string_value(v)) != 32))
		abort();
	if (op != NULL && strncmp(op, "transfer.", 9) == 0 &&
	    (!json_is_integer(v = json_object_get(m, "id")) ||
	    json_integer_value(v) < 0))
		abort();
	if (op != NULL && strcmp(op, "transfer.listening") == 0 &&
	    !json_is_integer(json_object_get(m, "port")))
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
