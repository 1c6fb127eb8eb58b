/*
 * Events in: the subscriptions, the filter that drops what ferry-ftrack
 * caused itself, the spool (every event acted on is stored before it is
 * handled and marked done after), the dispatch by topic, and the replay
 * of what a crash left unfinished.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "clock.h"
#include "err.h"
#include "eventhub.h"
#include "ferry-ftrack.h"
#include "log.h"
#include "rest.h"
#include "spool.h"

/* An event that made us crash this often is set aside, not retried. */
#define EVENTS_MAX_ATTEMPTS	3

#define EVENTS_DISCOVER	"ftrack.action.discover"
#define EVENTS_LAUNCH	"ftrack.action.launch"
#define EVENTS_UPDATE	"ftrack.update"

/* The outcome of the event being handled, for the spool's record. */
static char	events_outcome[256];

static const char *
events_topic(const json_t *event)
{
	const char	*topic = json_string_value(json_object_get(event,
			    "topic"));

	return (topic != NULL ? topic : "");
}

/* What our own REST session or hub client caused comes back: skip it. */
static int
events_own(struct ff *ff, const json_t *event)
{
	const char	*src = json_string_value(json_object_get(
			    json_object_get(event, "source"), "id"));
	const char	*token = json_string_value(json_object_get(
			    json_object_get(event, "data"), "clientToken"));

	if (src != NULL && strcmp(src, eventhub_id(ff->hub)) == 0)
		return (1);
	return (token != NULL && strcmp(token,
	    rest_client_token(ff->rest)) == 0);
}

static void
events_dispatch(struct ff *ff, const json_t *event)
{
	const char	*topic = events_topic(event);

	snprintf(events_outcome, sizeof events_outcome, "no reply");
	if (strcmp(topic, EVENTS_DISCOVER) == 0)
		discover_handle(ff, event);
	else if (strcmp(topic, EVENTS_LAUNCH) == 0)
		launch_handle(ff, event);
	else if (strcmp(topic, EVENTS_UPDATE) == 0)
		automate_handle(ff, event);
	else if (strcmp(topic, AUTOMATE_ASSIGNED) == 0)
		automate_assigned(ff, event);
}

void
events_note(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(events_outcome, sizeof events_outcome, fmt, ap);
	va_end(ap);
}

/* Spools the event, handles it, and marks it done. */
void
events_take(struct ff *ff, const json_t *event)
{
	enum spool_seen	 seen;
	const char	*id = json_string_value(json_object_get(event, "id"));
	char		*cause = NULL;
	int		 attempts = 0;

	if (spool_event_add(ff->spool, event, clock_now(), &seen,
	    &cause) != 0) {
		log_error("event %s (%s) not handled: %s", id ? id : "without "
		    "an id", events_topic(event), cause);
		free(cause);
		return;
	}
	if (seen == SPOOL_DONE) {
		log_debug("event %s was handled already", id);
		return;
	}
	spool_event_attempts(ff->spool, id, &attempts, NULL);
	if (attempts > EVENTS_MAX_ATTEMPTS) {
		log_error("event %s (%s): set aside after %d attempts to "
		    "handle it", id, events_topic(event), attempts - 1);
		snprintf(events_outcome, sizeof events_outcome, "set aside "
		    "after %d attempts", attempts - 1);
	} else {
		log_debug("event %s: %s from %s", id, events_topic(event),
		    person_event_username(event) ? person_event_username(event)
		    : "?");
		ff_stall(ff, "spooled", id);
		events_dispatch(ff, event);
	}
	if (spool_event_done(ff->spool, id, events_outcome, clock_now(),
	    &cause) != 0) {
		log_error("event %s: %s", id, cause);
		free(cause);
	}
}

static void
events_on_event(struct eventhub *hub, const json_t *event, void *arg)
{
	struct ff	*ff = arg;

	(void)hub;
	if (events_own(ff, event))
		return;
	if (strcmp(events_topic(event), EVENTS_UPDATE) == 0 &&
	    !automate_wanted(ff, event))
		return;
	events_take(ff, event);
}

int
events_subscribe(struct ff *ff, char **cause)
{
	int	r;

	if ((r = eventhub_subscribe(ff->hub, "topic=" EVENTS_DISCOVER,
	    events_on_event, ff, NULL, cause)) != 0 ||
	    (r = eventhub_subscribe(ff->hub, "topic=" EVENTS_LAUNCH " and "
	    "data.actionIdentifier=" FF_ACTION_ID, events_on_event, ff, NULL,
	    cause)) != 0)
		return (r);
	if (ff->conf.assign_from == NULL)
		return (0);
	return (eventhub_subscribe(ff->hub, "topic=" EVENTS_UPDATE,
	    events_on_event, ff, NULL, cause));
}

void
events_replay(struct ff *ff)
{
	json_t	*pending = NULL, *event;
	char	*cause = NULL;
	size_t	 i;

	if (spool_event_pending(ff->spool, &pending, &cause) != 0) {
		log_error("cannot read the spool: %s", cause);
		free(cause);
		return;
	}
	json_array_foreach(pending, i, event) {
		log_info("event %s (%s) was not finished: handling it again",
		    json_string_value(json_object_get(event, "id")),
		    events_topic(event));
		events_take(ff, event);
	}
	json_decref(pending);
}

json_t *
events_result(int success, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return (json_pack("{s:b, s:s}", "success", success, "message", msg));
}

void
events_reply(struct ff *ff, const json_t *event, json_t *data)
{
	const char	*msg;
	char		*cause = NULL;

	if (data == NULL)
		return;
	if ((msg = json_string_value(json_object_get(data, "message"))) != NULL)
		snprintf(events_outcome, sizeof events_outcome, "%s%s",
		    json_is_false(json_object_get(data, "success")) ?
		    "refused: " : "", msg);
	else
		snprintf(events_outcome, sizeof events_outcome, "replied");
	if (eventhub_reply(ff->hub, event, data, &cause) != 0) {
		log_warnx("event %s: cannot reply: %s", json_string_value(
		    json_object_get(event, "id")), cause);
		free(cause);
	}
	json_decref(data);
}
