/*
 * ftrack.action.launch without values: the form (§3.4 of the ftrack
 * notes). Its places are the ftrack Locations that map to ferry: those
 * named after a site the hub knows, or after an enrolled user's e-mail.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "ferry-ftrack.h"
#include "ftq.h"
#include "rest.h"

/* The names of every site and user of the hub; *hub_sitep its own. */
static int
form_endpoints(struct ff *ff, json_t **namesp, char **hub_sitep,
    char **cause)
{
	json_t	*req, *rep = NULL, *v, *names;
	size_t	 i;
	int	 r;

	req = json_pack("{s:s}", "op", "endpoints");
	r = ferryapi_call(ff->hub_state, req, &rep, cause);
	json_decref(req);
	if (r != 0)
		return (r);
	names = json_array();
	json_array_foreach(json_object_get(rep, "sites"), i, v) {
		if (json_is_string(v))
			json_array_append(names, v);
	}
	json_array_foreach(json_object_get(rep, "users"), i, v) {
		if (json_is_string(json_object_get(v, "email")))
			json_array_append(names, json_object_get(v, "email"));
	}
	v = json_object_get(rep, "hub_site");
	*hub_sitep = strdup(json_is_string(v) ? json_string_value(v) : "");
	json_decref(rep);
	*namesp = names;
	return (0);
}

int
form_locations(struct ff *ff, json_t **locsp, char **cause)
{
	json_t	*names = NULL, *rows = NULL, *row, *locs;
	char	*expr = NULL, *hub_site = NULL;
	size_t	 i;
	int	 r;

	if ((r = form_endpoints(ff, &names, &hub_site, cause)) != 0)
		return (r);
	locs = json_object();
	if (json_array_size(names) > 0 &&
	    (r = ftq_format(&expr, cause, "select id, name, label from "
	    "Location where name in (%L)", names)) == 0)
		r = rest_query_all(ff->rest, expr, &rows, cause);
	json_array_foreach(rows, i, row) {
		json_object_set_new(locs, json_string_value(json_object_get(row,
		    "name")), json_pack("{s:O, s:O?, s:b}", "id",
		    json_object_get(row, "id"), "label", json_object_get(row,
		    "label"), "hub", strcmp(json_string_value(json_object_get(
		    row, "name")), hub_site) == 0));
	}
	free(expr);
	free(hub_site);
	json_decref(names);
	json_decref(rows);
	if (r != 0) {
		json_decref(locs);
		return (r);
	}
	*locsp = locs;
	return (0);
}

/*
 * An enumerator of the locations. Its default: the hub's own site for the
 * source, the first other place for the destination.
 */
static json_t *
form_places(const json_t *locs, const char *name, const char *label,
    int want_hub)
{
	json_t		*data = json_array(), *loc;
	const char	*loc_name, *loc_label, *pick = NULL, *any = NULL;
	char		 text[512];

	json_object_foreach((json_t *)locs, loc_name, loc) {
		loc_label = json_string_value(json_object_get(loc, "label"));
		if (loc_label != NULL && strcmp(loc_label, loc_name) != 0)
			snprintf(text, sizeof text, "%s (%s)", loc_label,
			    loc_name);
		else
			snprintf(text, sizeof text, "%s", loc_name);
		json_array_append_new(data, json_pack("{s:s, s:s}", "label",
		    text, "value", loc_name));
		if (any == NULL)
			any = loc_name;
		if (pick == NULL && json_is_true(json_object_get(loc, "hub")) ==
		    want_hub)
			pick = loc_name;
	}
	return (json_pack("{s:s, s:s, s:s, s:o, s:s?}", "type", "enumerator",
	    "name", name, "label", label, "data", data, "value",
	    pick != NULL ? pick : any));
}

json_t *
form_build(struct ff *ff, const struct selection_info *si, char **cause)
{
	json_t	*locs = NULL, *items;
	char	 intro[256];
	int	 r;

	if ((r = form_locations(ff, &locs, cause)) != 0)
		return (NULL);
	if (json_object_size(locs) < 2) {
		json_decref(locs);
		err_set(cause, FERRY_ERR_NOTFOUND, "no two ftrack Locations "
		    "are named after ferry sites or enrolled users: name a "
		    "Location after each site (hq, la...) and each person's "
		    "e-mail");
		return (NULL);
	}
	snprintf(intro, sizeof intro, "Send the files of the %zu selected "
	    "item%s with ferry.", si->count, si->count == 1 ? "" : "s");
	items = json_pack("[{s:s, s:s}, o, o, {s:s, s:s, s:s, s:s}, "
	    "{s:s, s:s, s:s, s:i}, {s:s, s:s, s:s, s:s}]",
	    "type", "label", "value", intro,
	    form_places(locs, "source", "From", 1),
	    form_places(locs, "destination", "To", 0),
	    "type", "textarea", "name", "additional_files", "label",
	    "Additional files (one path per line, as the source sees them)",
	    "value", "",
	    "type", "number", "name", "priority", "label", "Priority "
	    "(0-1000)", "value", FF_PRIORITY,
	    "type", "text", "name", "note", "label", "Note", "value", "");
	if (si->above_versions)
		json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:b}",
		    "type", "boolean", "name", "latest_only", "label",
		    "Latest versions only", "value", 1));
	json_decref(locs);
	return (json_pack("{s:s, s:s, s:s, s:o}", "type", "form", "title",
	    FF_ACTION_LABEL, "submit_button_label", "Send", "items", items));
}
