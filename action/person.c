/*
 * ftrack users, looked up by username or id: who launched an action (the
 * web UI names them in the event's source), their security roles, and
 * whom an ftrack Job is for.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "err.h"
#include "ferry-ftrack.h"
#include "ftq.h"
#include "rest.h"

static int
person_fill(const json_t *row, struct person *p)
{
	json_t	*usr, *role;
	size_t	 i;

	memset(p, 0, sizeof *p);
	p->id = strdup(json_string_value(json_object_get(row, "id")));
	p->username = strdup(json_string_value(json_object_get(row,
	    "username")));
	if (json_is_string(json_object_get(row, "email")))
		p->email = strdup(json_string_value(json_object_get(row,
		    "email")));
	p->roles = json_array();
	json_array_foreach(json_object_get(row, "user_security_roles"), i,
	    usr) {
		role = json_object_get(json_object_get(usr, "security_role"),
		    "name");
		if (json_is_string(role))
			json_array_append(p->roles, role);
	}
	if (p->id == NULL || p->username == NULL) {
		person_clear(p);
		return (FERRY_ERR_NOMEM);
	}
	return (0);
}

/* Runs a query for one User and fills p; `what` names them in errors. */
static int
person_query(struct ff *ff, const char *expr, const char *what,
    struct person *p, char **cause)
{
	json_t		*rows = NULL, *row;
	int		 r;

	if ((r = rest_query(ff->rest, expr, &rows, cause)) != 0)
		return (r);
	row = json_array_get(rows, 0);
	if (row == NULL || !json_is_string(json_object_get(row, "id")) ||
	    !json_is_string(json_object_get(row, "username")))
		r = err_set(cause, FERRY_ERR_NOTFOUND, "ftrack has no user "
		    "%s", what);
	else if (json_is_false(json_object_get(row, "is_active")))
		r = err_set(cause, FERRY_ERR_DENIED, "the ftrack user %s is "
		    "not active", what);
	else
		r = person_fill(row, p);
	json_decref(rows);
	return (r);
}

#define PERSON_SELECT "select id, username, email, is_active, " \
	"user_security_roles.security_role.name from User where "

int
person_lookup(struct ff *ff, const char *username, struct person *p,
    char **cause)
{
	char	*expr = NULL;
	int	 r;

	if ((r = ftq_format(&expr, cause, PERSON_SELECT "username is %q",
	    username)) != 0)
		return (r);
	r = person_query(ff, expr, username, p, cause);
	free(expr);
	return (r);
}

int
person_lookup_id(struct ff *ff, const char *id, struct person *p,
    char **cause)
{
	char	*expr = NULL;
	int	 r;

	if ((r = ftq_format(&expr, cause, PERSON_SELECT "id is %q", id)) != 0)
		return (r);
	r = person_query(ff, expr, id, p, cause);
	free(expr);
	return (r);
}

int
person_allowed(const struct ff *ff, const struct person *p)
{
	json_t	*want, *have;
	size_t	 i, j;

	if (ff->conf.allowed_roles == NULL)
		return (1);
	json_array_foreach(ff->conf.allowed_roles, i, want) {
		json_array_foreach(p->roles, j, have) {
			if (strcasecmp(json_string_value(want),
			    json_string_value(have)) == 0)
				return (1);
		}
	}
	return (0);
}

void
person_clear(struct person *p)
{
	free(p->id);
	free(p->username);
	free(p->email);
	json_decref(p->roles);
	memset(p, 0, sizeof *p);
}

const char *
person_event_username(const json_t *event)
{
	return (json_string_value(json_object_get(json_object_get(
	    json_object_get(event, "source"), "user"), "username")));
}
