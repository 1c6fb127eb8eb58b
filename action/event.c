/*
 * One event being handled (struct ff_event): the handlers of events.c's
 * topic table reply through it, note what the handling came to, and queue
 * the events they derive. It calls nothing of the listener above it.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "eventhub.h"
#include "ferry-ftrack.h"
#include "log.h"

void
event_note(struct ff_event *ev, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(ev->outcome, sizeof ev->outcome, fmt, ap);
	va_end(ap);
}

json_t *
event_result(int success, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return (json_pack("{s:b, s:s}", "success", success, "message", msg));
}

void
event_reply(struct ff *ff, struct ff_event *ev, json_t *data)
{
	const char	*msg;
	char		*cause = NULL;

	if (data == NULL)
		return;
	if ((msg = json_string_value(json_object_get(data, "message"))) != NULL)
		event_note(ev, "%s%s", json_is_false(json_object_get(data,
		    "success")) ? "refused: " : "", msg);
	else
		event_note(ev, "replied");
	if (eventhub_reply(ff->hub, ev->json, data, &cause) != 0) {
		log_warnx("event %s: cannot reply: %s", ev->id, cause);
		free(cause);
	}
	json_decref(data);
}

void
event_derive(struct ff_event *ev, json_t *event)
{
	if (event != NULL && ev->derived == NULL &&
	    (ev->derived = json_array()) == NULL) {
		json_decref(event);
		event = NULL;
	}
	/* Stolen, even when it fails. */
	if (event == NULL || json_array_append_new(ev->derived, event) != 0)
		log_warnx("event %s: out of memory for a derived event",
		    ev->id);
}
