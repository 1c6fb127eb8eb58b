/*
 * What the event hub sends: socket.io packets, and the events in them
 * passed to the subscribers whose expressions (and the event's target)
 * select them, or to whoever waits for a reply.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "clock.h"
#include "eventhub-int.h"
#include "sio-int.h"
#include "subexpr-int.h"

/* Passes a reply to whoever published the event it answers. */
static int
eventhub_dispatch_reply(struct eventhub *h, const json_t *event)
{
	struct eventhub_wait	*w;
	const char		*in;
	int64_t			 now = clock_ms();
	int			 n = 0;

	in = json_string_value(json_object_get(event, "inReplyToEvent"));
	for (w = h->waits; in != NULL && w != NULL; w = w->next) {
		if (w->until > now && strcmp(w->event_id, in) == 0) {
			w->cb(h, event, w->arg);
			n++;
		}
	}
	return (n);
}

/* Calls every subscriber that the event and its target both select. */
static int
eventhub_dispatch(struct eventhub *h, const json_t *event)
{
	struct eventhub_sub	*s, *last;
	struct subexpr		*target = NULL;
	const char		*text, *topic;
	char			*cause = NULL;
	int			 n = 0;

	topic = json_string_value(json_object_get(event, "topic"));
	if (strcmp(topic, EVENTHUB_REPLY_TOPIC) == 0)
		n += eventhub_dispatch_reply(h, event);
	text = json_string_value(json_object_get(event, "target"));
	if (text != NULL && text[0] != '\0' &&
	    subexpr_parse(text, &target, &cause) != 0) {
		eventhub_notice(h, EVENTHUB_IGNORED, "%s event with a bad "
		    "target: %s", topic, cause);
		free(cause);
		return (n);
	}
	/* Subscriptions made by the callbacks wait for the next event. */
	for (last = h->subs; last != NULL && last->next != NULL;
	    last = last->next)
		;
	h->dispatching++;
	for (s = h->subs; s != NULL; s = s == last ? NULL : s->next) {
		if (s->removed || !subexpr_match(s->expr, event) ||
		    (target != NULL && !subexpr_match(target, s->metadata)))
			continue;
		h->replying_as = s->id;
		s->cb(h, event, s->arg);
		h->replying_as = NULL;
		n++;
	}
	if (--h->dispatching == 0)
		eventhub_sweep(h);
	subexpr_free(target);
	return (n);
}

static int
eventhub_handle_event(struct eventhub *h, const struct sio_packet *p)
{
	json_t		*msg, *event;
	const char	*name;
	char		*cause = NULL;
	int		 n;

	if (sio_event_decode(p->data, p->data_len, &msg, &cause) != 0) {
		eventhub_notice(h, EVENTHUB_IGNORED, "%s", cause);
		free(cause);
		return (0);
	}
	name = json_string_value(json_object_get(msg, "name"));
	event = json_array_get(json_object_get(msg, "args"), 0);
	if (strcmp(name, "ftrack.event") != 0)
		eventhub_notice(h, EVENTHUB_IGNORED, "a socket.io event named "
		    "\"%.64s\", not ftrack.event", name);
	else if (!json_is_object(event) ||
	    !json_is_string(json_object_get(event, "topic")))
		eventhub_notice(h, EVENTHUB_IGNORED, "an ftrack.event whose "
		    "first argument is not an event with a topic");
	else {
		n = eventhub_dispatch(h, event);
		json_decref(msg);
		return (n);
	}
	json_decref(msg);
	return (0);
}

/* Handles one socket.io packet; returns the callbacks it made. */
int
eventhub_handle(struct eventhub *h, const char *text, size_t len)
{
	struct sio_packet	 p;
	char			*cause = NULL, why[256];

	if (sio_packet_parse(text, len, &p, &cause) != 0) {
		eventhub_notice(h, EVENTHUB_IGNORED, "%s", cause);
		free(cause);
		return (0);
	}
	switch (p.type) {
	case SIO_HEARTBEAT:
		if (eventhub_send(h, EVENTHUB_HEARTBEAT) == 0)
			h->last_heartbeat = clock_ms();
		return (0);
	case SIO_DISCONNECT:
		eventhub_drop(h, "the event hub sent a socket.io disconnect");
		return (0);
	case SIO_ERROR:
		sio_error_describe(&p, why, sizeof why);
		eventhub_drop(h, why);
		return (0);
	case SIO_EVENT:
		return (eventhub_handle_event(h, &p));
	default:
		return (0);	/* connect, ack, noop, messages: ignored */
	}
}

void
eventhub_expire_waits(struct eventhub *h, int64_t now)
{
	struct eventhub_wait	**p, *w;

	for (p = &h->waits; (w = *p) != NULL;) {
		if (w->until <= now) {
			*p = w->next;
			free(w);
		} else
			p = &w->next;
	}
}
