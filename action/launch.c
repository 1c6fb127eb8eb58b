/*
 * ftrack.action.launch: without values, the form; with the form's values,
 * one ferry job for everything beneath the selection, submitted to the
 * hub for the launching user, then followed as an ftrack Job. A launch
 * that is refused is answered {success: false} with the reason.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "ferry-ftrack.h"
#include "log.h"

/* A boolean form value, as the web UI may encode it; dflt when absent. */
static int
launch_bool(const json_t *v, int dflt)
{
	const char	*s = json_string_value(v);

	if (json_is_boolean(v))
		return (json_is_true(v));
	if (json_is_integer(v))
		return (json_integer_value(v) != 0);
	if (s != NULL)
		return (strcmp(s, "true") == 0 || strcmp(s, "1") == 0);
	return (dflt);
}

/* The priority: a number from 0 to 1000, or a string of one. */
static int
launch_priority(const json_t *v, int *priop, char **cause)
{
	const char	*s = json_string_value(v);
	char		*end;
	double		 d;

	if (v == NULL || (s != NULL && *s == '\0')) {
		*priop = FF_PRIORITY;
		return (0);
	}
	if (s != NULL)
		d = strtod(s, &end);
	else
		d = json_number_value(v);
	if ((s == NULL && !json_is_number(v)) || (s != NULL && *end != '\0') ||
	    d < 0 || d > 1000 || d != (int)d)
		return (err_set(cause, FERRY_ERR_INVAL, "the priority must be "
		    "a whole number from 0 to 1000"));
	*priop = (int)d;
	return (0);
}

/* The additional files: one path a line, blanks around them dropped. */
static int
launch_extra(const json_t *v, json_t **extrap, char **cause)
{
	const char	*s = json_string_value(v), *end;
	json_t		*extra = json_array();
	size_t		 n;

	if (v != NULL && s == NULL) {
		json_decref(extra);
		return (err_set(cause, FERRY_ERR_INVAL, "additional_files must "
		    "be text, one path a line"));
	}
	while (s != NULL && *s != '\0') {
		while (*s != '\0' && isspace((unsigned char)*s))
			s++;
		n = strcspn(s, "\r\n");
		end = s + n;
		while (end > s && isspace((unsigned char)end[-1]))
			end--;
		if (end > s)
			json_array_append_new(extra, json_stringn(s,
			    (size_t)(end - s)));
		s += n;
	}
	*extrap = extra;
	return (0);
}

/* A place named in the form's values. */
static int
launch_place(const json_t *values, const char *key, const char *what,
    const char **placep, char **cause)
{
	const char	*s = json_string_value(json_object_get(values, key));

	if (s == NULL || *s == '\0')
		return (err_set(cause, FERRY_ERR_INVAL, "choose %s (values.%s "
		    "is missing)", what, key));
	*placep = s;
	return (0);
}

static int
launch_parse(const json_t *values, const struct selection_info *si,
    struct launch_req *req, char **cause)
{
	json_t	*note = json_object_get(values, "note");
	int	 r;

	if (!json_is_object(values))
		return (err_set(cause, FERRY_ERR_INVAL, "data.values is not an "
		    "object"));
	if ((r = launch_place(values, "source", "where the files come from",
	    &req->source, cause)) != 0 ||
	    (r = launch_place(values, "destination", "where the files go",
	    &req->dest, cause)) != 0 ||
	    (r = launch_priority(json_object_get(values, "priority"),
	    &req->priority, cause)) != 0)
		return (r);
	if (strcmp(req->source, req->dest) == 0)
		return (err_set(cause, FERRY_ERR_INVAL, "the source and the "
		    "destination are the same place (%s)", req->source));
	if (note != NULL && !json_is_string(note))
		return (err_set(cause, FERRY_ERR_INVAL, "the note must be "
		    "text"));
	req->note = json_string_value(note);
	req->latest_only = launch_bool(json_object_get(values,
	    "latest_only"), si->above_versions);
	return (launch_extra(json_object_get(values, "additional_files"),
	    &req->extra, cause));
}

/* The form's values: a send, answered with what was submitted. */
static json_t *
launch_values(struct ff *ff, const json_t *event,
    const struct selection_info *si, const struct person *who)
{
	struct launch_req	 req;
	const json_t		*data = json_object_get(event, "data");
	json_t			*reply;
	char			*cause = NULL, *message = NULL;

	memset(&req, 0, sizeof req);
	req.event_id = json_string_value(json_object_get(event, "id"));
	req.selection = json_object_get(data, "selection");
	req.for_user = who->username;
	req.job_user = who;
	if (launch_parse(json_object_get(data, "values"), si, &req,
	    &cause) == 0 && submit_run(ff, &req, &message, &cause) == 0) {
		log_info("event %s: %s, for %s", req.event_id, message,
		    who->username);
		reply = event_result(1, "%s", message);
	} else {
		log_info("event %s: refused %s: %s", req.event_id,
		    who->username, cause);
		reply = event_result(0, "%s", cause ? cause : "failed");
	}
	json_decref(req.extra);
	free(message);
	free(cause);
	return (reply);
}

/* Who launched, if they may send; otherwise *replyp says why not. */
static int
launch_who(struct ff *ff, const json_t *event, struct person *who,
    json_t **replyp)
{
	const char	*username = person_event_username(event);
	char		*cause = NULL;

	if (username == NULL) {
		*replyp = event_result(0, "the event names no user "
		    "(source.user.username)");
		return (-1);
	}
	if (person_lookup(ff, username, who, &cause) != 0) {
		*replyp = event_result(0, "%s", cause);
		free(cause);
		return (-1);
	}
	if (!person_allowed(ff, who)) {
		cause = json_dumps(ff->conf.allowed_roles, JSON_COMPACT);
		*replyp = event_result(0, "%s is not allowed to send with "
		    "ferry: that needs one of the ftrack roles %s", username,
		    cause != NULL ? cause : "configured");
		free(cause);
		person_clear(who);
		return (-1);
	}
	return (0);
}

void
launch_handle(struct ff *ff, struct ff_event *ev)
{
	struct selection_info	 si;
	struct person		 who;
	const json_t		*event = ev->json;
	const json_t		*data = json_object_get(event, "data");
	json_t			*reply = NULL;
	char			*cause = NULL;

	memset(&who, 0, sizeof who);
	if (selection_check(ff, json_object_get(data, "selection"), &si,
	    &cause) != 0)
		reply = event_result(0, "bad event: %s", cause);
	else if (!si.supported)
		reply = event_result(0, "ferry Send sends versions, "
		    "components, projects and what is in them (tasks, shots, "
		    "episodes, folders...); the selection holds something "
		    "else");
	else if (launch_who(ff, event, &who, &reply) != 0)
		;
	else if (json_object_get(data, "values") == NULL) {
		if ((reply = form_build(ff, &si, &cause)) == NULL)
			reply = event_result(0, "%s", cause);
	} else
		reply = launch_values(ff, event, &si, &who);
	event_reply(ff, ev, reply);
	person_clear(&who);
	free(cause);
}
