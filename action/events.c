/*
 * Events in: the topic table (what is subscribed, who handles it), the
 * filter that drops what ferry-ftrack caused itself, the spool (every
 * event acted on is stored before it is handled and marked done after),
 * the queue of events derived while handling one (handled after it, not
 * from inside its handler), and the replay of what a crash left
 * unfinished. Handlers answer through their struct ff_event (event.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "clock.h"
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

/* What ferry-ftrack listens to, and who handles each topic. */
static const struct events_topic {
	const char	*topic;
	/* The subscription; NULL: events ferry-ftrack derives itself. */
	const char	*subscription;
	/* Whether it is subscribed with this configuration; NULL: always. */
	int		(*enabled)(const struct ff *);
	/* Whether an event is worth spooling; NULL: every one. */
	int		(*wanted)(const struct ff *, const json_t *);
	void		(*handle)(struct ff *, struct ff_event *);
} events_topics[] = {
	{ EVENTS_DISCOVER, "topic=" EVENTS_DISCOVER, NULL, NULL,
	  discover_handle },
	{ EVENTS_LAUNCH, "topic=" EVENTS_LAUNCH " and data.actionIdentifier="
	  FF_ACTION_ID, NULL, NULL, launch_handle },
	{ EVENTS_UPDATE, "topic=" EVENTS_UPDATE, automate_enabled,
	  automate_wanted, automate_handle },
	{ AUTOMATE_ASSIGNED, NULL, NULL, NULL, automate_assigned }
};
#define EVENTS_NTOPICS	(sizeof events_topics / sizeof events_topics[0])

static const char *
events_topic(const json_t *event)
{
	const char	*topic = json_string_value(json_object_get(event,
			    "topic"));

	return (topic != NULL ? topic : "");
}

static const struct events_topic *
events_find(const json_t *event)
{
	const char	*topic = events_topic(event);
	size_t		 i;

	for (i = 0; i < EVENTS_NTOPICS; i++) {
		if (strcmp(events_topics[i].topic, topic) == 0)
			return (&events_topics[i]);
	}
	return (NULL);
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
events_done(struct ff *ff, const char *id, const char *outcome)
{
	char	*cause = NULL;

	if (spool_event_done(ff->spool, id, outcome, clock_now(),
	    &cause) != 0) {
		log_error("event %s: %s", id, cause);
		free(cause);
	}
}

/*
 * Spools an event; whether to handle it now. A duplicate is not handled,
 * and one that made us crash too often is set aside (marked done).
 */
static int
events_admit(struct ff *ff, const json_t *event)
{
	enum spool_seen	 seen;
	const char	*id = json_string_value(json_object_get(event, "id"));
	char		*cause = NULL, outcome[64];
	int		 attempts = 0;

	if (spool_event_add(ff->spool, event, clock_now(), &seen,
	    &cause) != 0) {
		log_error("event %s (%s) not handled: %s", id ? id : "without "
		    "an id", events_topic(event), cause);
		free(cause);
		return (0);
	}
	if (seen == SPOOL_DONE) {
		log_debug("event %s was handled already", id);
		return (0);
	}
	spool_event_attempts(ff->spool, id, &attempts, NULL);
	if (attempts <= EVENTS_MAX_ATTEMPTS)
		return (1);
	log_error("event %s (%s): set aside after %d attempts to handle it",
	    id, events_topic(event), attempts - 1);
	snprintf(outcome, sizeof outcome, "set aside after %d attempts",
	    attempts - 1);
	events_done(ff, id, outcome);
	return (0);
}

/*
 * Handles a spooled event and marks it done. What it derived is spooled
 * first, so that a crash cannot lose it, and queued to be handled next.
 */
static void
events_handle(struct ff *ff, const json_t *event, json_t *queue)
{
	const struct events_topic *t = events_find(event);
	struct ff_event		 ev;
	json_t			*d;
	size_t			 i;

	memset(&ev, 0, sizeof ev);
	ev.json = event;
	ev.id = json_string_value(json_object_get(event, "id"));
	snprintf(ev.outcome, sizeof ev.outcome, "no reply");
	log_debug("event %s: %s from %s", ev.id, events_topic(event),
	    person_event_username(event) ? person_event_username(event) :
	    "?");
	stall_after(ff, "spooled", ev.id);
	if (t != NULL)
		t->handle(ff, &ev);
	json_array_foreach(ev.derived, i, d) {
		if (events_admit(ff, d))
			json_array_append(queue, d);
	}
	events_done(ff, ev.id, ev.outcome);
	json_decref(ev.derived);
}

/*
 * Spools an event, handles it (unless handled already) and marks it done;
 * then the events it derived, in turn, each the same way.
 */
static void
events_take(struct ff *ff, const json_t *event)
{
	json_t	*queue, *next;

	if (!events_admit(ff, event))
		return;
	if ((queue = json_array()) == NULL) {
		log_error("event %s: out of memory", json_string_value(
		    json_object_get(event, "id")));
		return;
	}
	events_handle(ff, event, queue);
	while (json_array_size(queue) > 0) {
		next = json_incref(json_array_get(queue, 0));
		json_array_remove(queue, 0);
		events_handle(ff, next, queue);
		json_decref(next);
	}
	json_decref(queue);
}

static void
events_on_event(struct eventhub *hub, const json_t *event, void *arg)
{
	const struct events_topic *t = events_find(event);
	struct ff		*ff = arg;

	(void)hub;
	if (events_own(ff, event))
		return;
	/*
	 * Its hub stopped being the active one since it last asked (a
	 * handler held the loop): the ferry-ftrack beside the new active
	 * hub answers, not this one, not spooled (docs/ftrack.md).
	 */
	if (!ferryapi_beside_active(ff)) {
		log_info("event %s: not answered: the hub beside this "
		    "ferry-ftrack is not the active one now",
		    events_topic(event));
		return;
	}
	if (t != NULL && t->wanted != NULL && !t->wanted(ff, event))
		return;
	events_take(ff, event);
}

int
events_subscribe(struct ff *ff, char **cause)
{
	const struct events_topic *t;
	size_t			 i;
	int			 r;

	for (i = 0; i < EVENTS_NTOPICS; i++) {
		t = &events_topics[i];
		if (t->subscription == NULL ||
		    (t->enabled != NULL && !t->enabled(ff)))
			continue;
		if ((r = eventhub_subscribe(ff->hub, t->subscription,
		    events_on_event, ff, NULL, cause)) != 0)
			return (r);
	}
	return (0);
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
