/* Event-hub envelopes: ids, what publish fills in, replies, subscriptions. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "buf.h"
#include "err.h"
#include "eventhub-int.h"
#include "sio-int.h"

int
eventhub_uuid(char id[EVENTHUB_ID_SIZE])
{
	unsigned char	b[16];

	if (RAND_bytes(b, sizeof b) != 1)
		return (FERRY_ERR_CRYPTO);
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4: random */
	b[8] = (b[8] & 0x3f) | 0x80;	/* the RFC 4122 variant */
	snprintf(id, EVENTHUB_ID_SIZE, "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
	    b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	    b[15]);
	return (0);
}

/* Sets key to value (a new reference) unless the object has it. */
static int
eventhub_default(json_t *obj, const char *key, json_t *value)
{
	if (json_object_get(obj, key) != NULL) {
		json_decref(value);
		return (0);
	}
	return (json_object_set_new(obj, key, value) == 0 ? 0 :
	    FERRY_ERR_NOMEM);
}

/* Fills source.id, applicationId and user.username where missing. */
static int
eventhub_source(const struct eventhub *h, json_t *e, const char *source_id,
    char **cause)
{
	json_t	*src, *user;

	if ((src = json_object_get(e, "source")) == NULL) {
		if (json_object_set_new(e, "source", json_object()) != 0)
			return (err_set(cause, FERRY_ERR_NOMEM, "json_object"));
		src = json_object_get(e, "source");
	}
	if (!json_is_object(src))
		return (err_set(cause, FERRY_ERR_INVAL,
		    "event \"source\" is not an object"));
	if (eventhub_default(src, "id", json_string(source_id)) != 0 ||
	    eventhub_default(src, "applicationId",
	    json_string(h->o.application_id)) != 0 ||
	    eventhub_default(src, "user", json_object()) != 0)
		return (err_set(cause, FERRY_ERR_NOMEM, "event source"));
	user = json_object_get(src, "user");
	if (!json_is_object(user))
		return (err_set(cause, FERRY_ERR_INVAL,
		    "event \"source.user\" is not an object"));
	if (eventhub_default(user, "username", json_string(h->o.api_user)) != 0)
		return (err_set(cause, FERRY_ERR_NOMEM, "event source"));
	return (0);
}

/* Takes the event's own id, or gives it a new one. */
static int
eventhub_event_id(json_t *e, char id[EVENTHUB_ID_SIZE], char **cause)
{
	json_t	*v = json_object_get(e, "id");

	if (v == NULL) {
		if (eventhub_uuid(id) != 0)
			return (err_set(cause, FERRY_ERR_CRYPTO,
			    "cannot draw a random event id"));
		return (json_object_set_new(e, "id", json_string(id)) == 0 ?
		    0 : err_set(cause, FERRY_ERR_NOMEM, "json_string"));
	}
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) >= EVENTHUB_ID_SIZE)
		return (err_set(cause, FERRY_ERR_INVAL, "event \"id\" must be "
		    "a string of 1 to %d characters", EVENTHUB_ID_SIZE - 1));
	memcpy(id, json_string_value(v), json_string_length(v) + 1);
	return (0);
}

int
eventhub_event_prepare(const struct eventhub *h, const json_t *event,
    const char *source_id, char id[EVENTHUB_ID_SIZE], json_t **out,
    char **cause)
{
	json_t	*e;
	int	 r;

	if (!json_is_object(event) ||
	    !json_is_string(json_object_get(event, "topic")) ||
	    json_string_length(json_object_get(event, "topic")) == 0)
		return (err_set(cause, FERRY_ERR_INVAL,
		    "an event needs a non-empty string \"topic\""));
	if ((e = json_deep_copy(event)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "json_deep_copy"));
	if ((r = eventhub_event_id(e, id, cause)) != 0 ||
	    (r = eventhub_source(h, e, source_id, cause)) != 0)
		goto fail;
	if (eventhub_default(e, "data", json_object()) != 0 ||
	    eventhub_default(e, "target", json_string("")) != 0 ||
	    eventhub_default(e, "inReplyToEvent", json_null()) != 0 ||
	    eventhub_default(e, "sent", json_null()) != 0) {
		r = err_set(cause, FERRY_ERR_NOMEM, "event envelope");
		goto fail;
	}
	if (!json_is_string(json_object_get(e, "target"))) {
		r = err_set(cause, FERRY_ERR_INVAL,
		    "event \"target\" is not a string");
		goto fail;
	}
	*out = e;
	return (0);
fail:
	json_decref(e);
	return (r);
}

/* "id=<id>", quoted when the id has characters a bare value may not. */
static json_t *
eventhub_target_id(const char *id)
{
	struct buf	 b;
	json_t		*t = NULL;
	size_t		 i;
	int		 bare = id[0] != '\0', r;

	for (i = 0; id[i] != '\0'; i++) {
		if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_,./*@+",
		    id[i]) == NULL)
			bare = 0;
	}
	buf_init(&b, 0);
	r = buf_addstr(&b, bare ? "id=" : "id=\"");
	for (i = 0; r == 0 && id[i] != '\0'; i++) {
		if (!bare && (id[i] == '"' || id[i] == '\\'))
			r = buf_addch(&b, '\\');
		if (r == 0)
			r = buf_addch(&b, id[i]);
	}
	if (r == 0 && !bare)
		r = buf_addch(&b, '"');
	if (r == 0)
		t = json_string(buf_str(&b));
	buf_free(&b);
	return (t);
}

int
eventhub_event_reply(const json_t *event, const json_t *data, json_t **out,
    char **cause)
{
	json_t		*e;
	const char	*id, *sid;

	id = json_string_value(json_object_get(event, "id"));
	sid = json_string_value(json_object_get(json_object_get(event,
	    "source"), "id"));
	if (id == NULL || sid == NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "cannot reply to an "
		    "event without a string \"id\" and \"source.id\""));
	e = json_object();
	if (e == NULL ||
	    json_object_set_new(e, "topic",
	    json_string(EVENTHUB_REPLY_TOPIC)) != 0 ||
	    json_object_set_new(e, "data", data != NULL ?
	    json_deep_copy(data) : json_null()) != 0 ||
	    json_object_set_new(e, "target", eventhub_target_id(sid)) != 0 ||
	    json_object_set_new(e, "inReplyToEvent", json_string(id)) != 0) {
		json_decref(e);
		return (err_set(cause, FERRY_ERR_NOMEM, "reply event"));
	}
	*out = e;
	return (0);
}

json_t *
eventhub_event_subscription(const struct eventhub *h,
    const char *subscriber_id, const char *text)
{
	if (text == NULL)
		return (json_pack("{s:s, s:{s:{s:s}}}", "topic",
		    "ftrack.meta.unsubscribe", "data", "subscriber", "id",
		    subscriber_id));
	return (json_pack("{s:s, s:{s:{s:s, s:s}, s:s}}", "topic",
	    "ftrack.meta.subscribe", "data", "subscriber", "id", subscriber_id,
	    "applicationId", h->o.application_id, "subscription", text));
}

char *
eventhub_event_packet(const json_t *event, char **cause)
{
	struct buf	 b;
	json_t		*args;
	int		 r;

	if ((args = json_pack("[O]", event)) == NULL) {
		err_set(cause, FERRY_ERR_NOMEM, "json_pack");
		return (NULL);
	}
	buf_init(&b, 0);
	r = sio_event_format(&b, "ftrack.event", args, cause);
	json_decref(args);
	if (r != 0) {
		buf_free(&b);
		return (NULL);
	}
	return (buf_detach(&b));
}
