/*
 * ftrack.action.discover: offers "ferry Send" when everything selected
 * can be sent (versions, components, every TypedContext, projects) and
 * the user has an allowed role; otherwise stays
 * silent, as ftrack's actions do, so the menu shows nothing of ferry.
 */
#include "config.h"

#include <stdlib.h>

#include <jansson.h>

#include "ferry-ftrack.h"
#include "log.h"

/* Whether the event's user may send, when roles are configured. */
static int
discover_user_ok(struct ff *ff, const json_t *event)
{
	struct person	 p;
	const char	*username = person_event_username(event);
	char		*cause = NULL;
	int		 ok;

	if (ff->conf.allowed_roles == NULL)
		return (1);
	if (username == NULL)
		return (0);
	if (person_lookup(ff, username, &p, &cause) != 0) {
		log_debug("discover: %s", cause);
		free(cause);
		return (0);
	}
	ok = person_allowed(ff, &p);
	person_clear(&p);
	return (ok);
}

void
discover_handle(struct ff *ff, struct ff_event *ev)
{
	struct selection_info	 si;
	json_t			*selection;
	char			*cause = NULL;

	selection = json_object_get(json_object_get(ev->json, "data"),
	    "selection");
	if (selection_check(ff, selection, &si, &cause) != 0) {
		log_debug("discover: %s", cause);
		free(cause);
		return;
	}
	if (!si.supported || !discover_user_ok(ff, ev->json))
		return;
	event_reply(ff, ev, json_pack("{s:[{s:s, s:s, s:s}]}",
	    "items", "label", FF_ACTION_LABEL, "actionIdentifier",
	    FF_ACTION_ID, "description", "Send the files of the selection "
	    "to a site, a person or a vendor, with ferry"));
}
