/*
 * The assignment automation (docs/ftrack.md; off unless configured): when
 * a task is assigned to someone who has a ferry location (an ftrack
 * Location named after their e-mail, enrolled at the hub), send them the
 * latest versions beneath it from the configured location. ftrack says
 * so with an ftrack.update event that adds an Appointment; each one
 * becomes an event of its own, spooled under "<update id>/<appointment
 * id>", so that it is sent once even when the update held several.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ferry-ftrack.h"
#include "log.h"

/* An added Appointment of type assignment; its changes, or NULL. */
static const json_t *
automate_assignment(const json_t *entity)
{
	const json_t	*changes = json_object_get(entity, "changes");
	const char	*type = json_string_value(json_object_get(entity,
			    "entity_type"));
	const char	*action = json_string_value(json_object_get(entity,
			    "action"));
	const char	*kind = json_string_value(json_object_get(
			    json_object_get(changes, "type"), "new"));

	if (type == NULL || strcmp(type, "Appointment") != 0 ||
	    action == NULL || strcmp(action, "add") != 0 ||
	    (kind != NULL && strcmp(kind, "assignment") != 0))
		return (NULL);
	if (!json_is_string(json_object_get(json_object_get(changes,
	    "context_id"), "new")) || !json_is_string(json_object_get(
	    json_object_get(changes, "resource_id"), "new")))
		return (NULL);
	return (changes);
}

int
automate_enabled(const struct ff *ff)
{
	return (ff->conf.assign_from != NULL);
}

int
automate_wanted(const struct ff *ff, const json_t *event)
{
	const json_t	*e;
	size_t		 i;

	if (!automate_enabled(ff))
		return (0);
	json_array_foreach(json_object_get(json_object_get(event, "data"),
	    "entities"), i, e) {
		if (automate_assignment(e) != NULL)
			return (1);
	}
	return (0);
}

void
automate_handle(struct ff *ff, struct ff_event *ev)
{
	const json_t	*e, *changes, *event = ev->json;
	char		 key[256];
	size_t		 i, n = 0;

	(void)ff;
	json_array_foreach(json_object_get(json_object_get(event, "data"),
	    "entities"), i, e) {
		if ((changes = automate_assignment(e)) == NULL)
			continue;
		snprintf(key, sizeof key, "%.100s/%.100s", ev->id,
		    json_string_value(json_object_get(e, "entityId")) ?
		    json_string_value(json_object_get(e, "entityId")) : "?");
		event_derive(ev, json_pack("{s:s, s:s, s:{s:O, s:O}, s:O?}",
		    "id", key, "topic", AUTOMATE_ASSIGNED, "data", "task_id",
		    json_object_get(json_object_get(changes, "context_id"),
		    "new"), "user_id", json_object_get(json_object_get(changes,
		    "resource_id"), "new"), "source", json_object_get(event,
		    "source")));
		n++;
	}
	event_note(ev, "%zu assignment%s", n, n == 1 ? "" : "s");
}

/* Whether the assignee has a ferry place; *placep is its name. */
static int
automate_place(struct ff *ff, const struct person *p, const char **placep,
    json_t **locsp)
{
	char	*cause = NULL;
	json_t	*locs = NULL;

	if (form_locations(ff, &locs, &cause) != 0) {
		log_warnx("assignment: %s", cause);
		free(cause);
		return (0);
	}
	*locsp = locs;
	if (p->email != NULL && json_object_get(locs, p->email) != NULL)
		*placep = p->email;
	else if (json_object_get(locs, p->username) != NULL)
		*placep = p->username;
	else
		return (0);
	return (1);
}

void
automate_assigned(struct ff *ff, struct ff_event *ev)
{
	struct launch_req	 req;
	struct person		 who;
	const json_t		*event = ev->json;
	const json_t		*data = json_object_get(event, "data");
	const char		*task, *place = NULL;
	json_t			*sel, *locs = NULL;
	char			*cause = NULL, *message = NULL;

	task = json_string_value(json_object_get(data, "task_id"));
	if (person_lookup_id(ff, json_string_value(json_object_get(data,
	    "user_id")), &who, &cause) != 0) {
		event_note(ev, "assignment: %s", cause);
		free(cause);
		return;
	}
	if (!automate_place(ff, &who, &place, &locs)) {
		event_note(ev, "%s has no ferry location: nothing sent",
		    who.username);
		log_info("task %s assigned to %s, who has no ferry location",
		    task, who.username);
		json_decref(locs);
		person_clear(&who);
		return;
	}
	memset(&req, 0, sizeof req);
	sel = json_pack("[{s:s, s:s}]", "entityId", task, "entityType", "task");
	req.event_id = json_string_value(json_object_get(event, "id"));
	req.selection = sel;
	req.source = ff->conf.assign_from;
	req.dest = place;
	req.latest_only = 1;
	req.priority = FF_PRIORITY;
	req.note = "sent on assignment";
	req.extra = json_array();
	req.for_user = person_event_username(event) != NULL ?
	    person_event_username(event) : who.username;
	req.job_user = &who;
	if (submit_run(ff, &req, &message, &cause) == 0) {
		log_info("task %s assigned to %s: %s", task, who.username,
		    message);
		event_note(ev, "%s", message);
	} else {
		log_info("task %s assigned to %s: not sent: %s", task,
		    who.username, cause);
		event_note(ev, "not sent: %s", cause);
	}
	free(message);
	free(cause);
	json_decref(req.extra);
	json_decref(sel);
	json_decref(locs);
	person_clear(&who);
}
