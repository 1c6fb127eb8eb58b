/*
 * libFuzzer target for rest_merge() (ftrack/rest/rest-merge-int.h): any JSON
 * merges without failing, leaves its input unchanged, and gives a graph
 * without cycles. When the input is shallow enough for the merge to
 * reach everything, every entity in the output carries every value of
 * its identity that holds no entity (a reference is always filled in).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rest-merge-int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs this shallow, with this few identities, are merged whole. */
#define FUZZ_SHALLOW	8
#define FUZZ_FEW	16

static int
fuzz_identity(const json_t *o, char *key, size_t size)
{
	const json_t	*t = json_object_get(o, "__entity_type__");
	const json_t	*id = json_object_get(o, "id");

	if (!json_is_string(t) || !json_is_string(id) ||
	    json_string_length(t) == 0 || json_string_length(id) == 0 ||
	    strlen(json_string_value(t)) != json_string_length(t) ||
	    strlen(json_string_value(id)) != json_string_length(id) ||
	    json_string_length(t) > REST_MERGE_KEY_MAX ||
	    json_string_length(id) > REST_MERGE_KEY_MAX)
		return (-1);
	snprintf(key, size, "%zu:%s:%s", json_string_length(t),
	    json_string_value(t), json_string_value(id));
	return (0);
}

static int
fuzz_has_entity(json_t *j)
{
	char		 key[2 * REST_MERGE_KEY_MAX + 32];
	const char	*k;
	json_t		*v;
	size_t		 i;

	if (json_is_object(j) && fuzz_identity(j, key, sizeof key) == 0)
		return (1);
	if (json_is_object(j)) {
		json_object_foreach(j, k, v)
			if (fuzz_has_entity(v))
				return (1);
	}
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (fuzz_has_entity(v))
				return (1);
	}
	return (0);
}

/*
 * The input's depth; and, per identity, its keys, true for those whose
 * values hold no entity in any occurrence ({identity: {key: bool}}).
 */
static int
fuzz_scan(json_t *j, json_t *plain, int depth)
{
	char		 key[2 * REST_MERGE_KEY_MAX + 32];
	const char	*k;
	json_t		*v, *keys;
	size_t		 i;
	int		 d, max = depth;

	if (json_is_object(j) && fuzz_identity(j, key, sizeof key) == 0) {
		if ((keys = json_object_get(plain, key)) == NULL) {
			keys = json_object();
			json_object_set_new(plain, key, keys);
		}
		/* A key counts when no occurrence's value holds an entity. */
		json_object_foreach(j, k, v)
			if (json_object_get(keys, k) == NULL ||
			    fuzz_has_entity(v))
				json_object_set_new(keys, k,
				    json_boolean(!fuzz_has_entity(v)));
	}
	if (json_is_object(j)) {
		json_object_foreach(j, k, v)
			if ((d = fuzz_scan(v, plain, depth + 1)) > max)
				max = d;
	}
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if ((d = fuzz_scan(v, plain, depth + 1)) > max)
				max = d;
	}
	return (max);
}

/*
 * Walks the output once per object (it is shared): aborts on a cycle
 * (an object met again while inside itself) and, when plain is given, on
 * an entity that lacks one of its identity's plain keys.
 */
static void
fuzz_walk(json_t *j, json_t *state, json_t *plain)
{
	char		 ptr[32], key[2 * REST_MERGE_KEY_MAX + 32];
	const char	*k;
	json_t		*v, *mark, *keys;
	size_t		 i;

	if (!json_is_object(j) && !json_is_array(j))
		return;
	snprintf(ptr, sizeof ptr, "%p", (void *)j);
	if ((mark = json_object_get(state, ptr)) != NULL) {
		if (json_is_false(mark))
			abort();	/* inside itself */
		return;
	}
	json_object_set_new(state, ptr, json_false());
	if (plain != NULL && json_is_object(j) &&
	    fuzz_identity(j, key, sizeof key) == 0) {
		keys = json_object_get(plain, key);
		json_object_foreach(keys, k, v)
			if (json_is_true(v) && json_object_get(j, k) == NULL)
				abort();	/* a reference not filled in */
	}
	if (json_is_object(j)) {
		json_object_foreach(j, k, v)
			fuzz_walk(v, state, plain);
	} else {
		json_array_foreach(j, i, v)
			fuzz_walk(v, state, plain);
	}
	json_object_set_new(state, ptr, json_true());
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t	*in, *copy, *out = NULL, *plain, *state;
	char	*cause = NULL;
	int	 depth;

	if (size > 8192)
		return (0);
	in = json_loadb((const char *)data, size, JSON_DECODE_ANY |
	    JSON_ALLOW_NUL, NULL);
	if (in == NULL)
		return (0);
	copy = json_deep_copy(in);
	if (rest_merge(in, &out, &cause) != 0)
		abort();
	if (!json_equal(in, copy))
		abort();
	plain = json_object();
	state = json_object();
	depth = fuzz_scan(in, plain, 0);
	fuzz_walk(out, state, depth <= FUZZ_SHALLOW &&
	    json_object_size(plain) <= FUZZ_FEW ? plain : NULL);
	json_decref(state);
	json_decref(plain);
	json_decref(out);
	json_decref(copy);
	json_decref(in);
	free(cause);
	return (0);
}
