/*
 * The store's names for its enums (states, roles, clearances, access),
 * as stored and as the API spells them.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "db.h"
#include "err.h"
#include "store.h"
#include "store-int.h"

static const char *store_state_names[STORE_STATE_COUNT] = {
	"queued", "running", "done", "failed", "cancelled", "paused"
};
static const char *store_role_names[] = { "site", "user" };
static const char *store_clearance_names[] = {
	"none", "employee", "restricted"
};
static const char *store_access_names[] = { "read", "write" };

static int
store_name_find(const char **names, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && i < n; i++) {
		if (strcmp(names[i], name) == 0)
			return ((int)i);
	}
	return (-1);
}

const char *
store_state_name(enum store_state s)
{
	if (s < 0 || s >= STORE_STATE_COUNT)
		return ("any");
	return (store_state_names[s]);
}

int
store_state_parse(const char *name, enum store_state *s)
{
	int	i;

	i = store_name_find(store_state_names, STORE_STATE_COUNT, name);
	if (i < 0)
		return (FERRY_ERR_INVAL);
	*s = (enum store_state)i;
	return (0);
}

enum store_state
store_state_from(const char *name)
{
	enum store_state	s = STORE_ANY;

	if (name != NULL)
		store_state_parse(name, &s);
	return (s);
}

const char *
store_role_name(enum store_role r)
{
	if ((size_t)r >= STORE_NAMES(store_role_names))
		return ("unknown");
	return (store_role_names[r]);
}

int
store_role_parse(const char *name, enum store_role *r)
{
	int	i;

	i = store_name_find(store_role_names, STORE_NAMES(store_role_names),
	    name);
	if (i < 0)
		return (FERRY_ERR_INVAL);
	*r = (enum store_role)i;
	return (0);
}

const char *
store_clearance_name(enum store_clearance c)
{
	if ((size_t)c >= STORE_NAMES(store_clearance_names))
		return ("unknown");
	return (store_clearance_names[c]);
}

int
store_clearance_parse(const char *name, enum store_clearance *c)
{
	int	i;

	i = store_name_find(store_clearance_names,
	    STORE_NAMES(store_clearance_names), name);
	if (i < 0)
		return (FERRY_ERR_INVAL);
	*c = (enum store_clearance)i;
	return (0);
}

const char *
store_access_name(enum store_access a)
{
	if ((size_t)a >= STORE_NAMES(store_access_names))
		return ("unknown");
	return (store_access_names[a]);
}

int
store_access_parse(const char *name, enum store_access *a)
{
	int	i;

	i = store_name_find(store_access_names,
	    STORE_NAMES(store_access_names), name);
	if (i < 0)
		return (FERRY_ERR_INVAL);
	*a = (enum store_access)i;
	return (0);
}

/* A clearance as stored: NULL for none. */
const char *
store_clearance_col(enum store_clearance c)
{
	return (c == STORE_CLEARANCE_NONE ? NULL : store_clearance_name(c));
}

enum store_clearance
store_clearance_from(const char *name)
{
	enum store_clearance	c = STORE_CLEARANCE_NONE;

	if (name != NULL)
		store_clearance_parse(name, &c);
	return (c);
}

/* Copies src into *dst; 0 or FERRY_ERR_NOMEM. NULL stays NULL. */
int
store_dup(const char *src, char **dst)
{
	*dst = NULL;
	if (src != NULL && (*dst = strdup(src)) == NULL)
		return (FERRY_ERR_NOMEM);
	return (0);
}

int
store_nomem(char **cause)
{
	return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
}

int
store_batch_begin(struct store *st, char **cause)
{
	return (db_begin(st->db, cause));
}

int
store_batch_begin_light(struct store *st, char **cause)
{
	return (db_begin_light(st->db, cause));
}

int
store_batch_end(struct store *st, int r, char **cause)
{
	return (db_end(st->db, r, cause));
}
