#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "err.h"
#include "rest.h"

int
rest_uuid(char out[REST_UUID_LEN])
{
	unsigned char	b[16];

	if (RAND_bytes(b, sizeof b) != 1)
		return (FERRY_ERR_CRYPTO);
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	snprintf(out, REST_UUID_LEN, "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
	    b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	    b[15]);
	return (0);
}

/* {"action": action}, or NULL. */
static json_t *
rest_op_new(const char *action)
{
	json_t	*op;

	if ((op = json_object()) == NULL)
		return (NULL);
	if (json_object_set_new(op, "action", json_string(action)) != 0) {
		json_decref(op);
		return (NULL);
	}
	return (op);
}

/* Adds key: value (taken over) to op; on failure frees op, returns NULL. */
static json_t *
rest_op_set(json_t *op, const char *key, json_t *value)
{
	if (op == NULL || value == NULL ||
	    json_object_set_new(op, key, value) != 0) {
		json_decref(op);
		json_decref(value);
		return (NULL);
	}
	return (op);
}

/* A copy of data that says its type, as both ftrack clients send it. */
static json_t *
rest_op_entity(const char *type, const json_t *data)
{
	json_t	*d;

	if (data != NULL && !json_is_object(data))
		return (NULL);
	d = data != NULL ? json_copy((json_t *)(uintptr_t)data) :
	    json_object();
	if (d == NULL || json_object_set_new(d, "__entity_type__",
	    json_string(type)) != 0) {
		json_decref(d);
		return (NULL);
	}
	return (d);
}

json_t *
rest_op_server_info(void)
{
	return (rest_op_new("query_server_information"));
}

json_t *
rest_op_query(const char *expr)
{
	return (rest_op_set(rest_op_new("query"), "expression",
	    json_string(expr)));
}

json_t *
rest_op_create_keyed(const char *type, const json_t *data)
{
	json_t	*op;

	op = rest_op_set(rest_op_new("create"), "entity_type",
	    json_string(type));
	return (rest_op_set(op, "entity_data", rest_op_entity(type, data)));
}

json_t *
rest_op_create(const char *type, const json_t *data)
{
	json_t	*op, *d;
	char	 id[REST_UUID_LEN];

	if ((op = rest_op_create_keyed(type, data)) == NULL)
		return (NULL);
	d = json_object_get(op, "entity_data");
	if (json_object_get(d, "id") != NULL)
		return (op);
	if (rest_uuid(id) != 0 ||
	    json_object_set_new(d, "id", json_string(id)) != 0) {
		json_decref(op);
		return (NULL);
	}
	return (op);
}

json_t *
rest_op_update(const char *type, const char *id, const json_t *data)
{
	json_t	*op;

	op = rest_op_set(rest_op_new("update"), "entity_type",
	    json_string(type));
	op = rest_op_set(op, "entity_key", json_pack("[s]", id));
	return (rest_op_set(op, "entity_data", rest_op_entity(type, data)));
}

json_t *
rest_op_delete(const char *type, const char *id)
{
	json_t	*op;

	op = rest_op_set(rest_op_new("delete"), "entity_type",
	    json_string(type));
	return (rest_op_set(op, "entity_key", json_pack("[s]", id)));
}
