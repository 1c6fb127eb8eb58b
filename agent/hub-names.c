/*
 * Names people type on the hub (hub-names.h): a site, a person, a share. A
 * typo is refused with the names the hub knows, and a person invited but
 * not enrolled is said to be so, instead of a job that waits forever.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "ferryd.h"
#include "hub-names.h"
#include "hub-roots.h"
#include "share-map.h"
#include "store.h"

/* Appends name to a list that ends with ": " or with a name before it. */
static int
names_add(struct buf *b, const char *name)
{
	return (buf_printf(b, "%s%s", b->len > 1 && b->data[b->len - 1] ==
	    ' ' ? "" : ", ", name));
}

/* An empty list says so. */
static void
names_none(struct buf *b)
{
	if (b->len > 1 && b->data[b->len - 1] == ' ')
		buf_printf(b, "none");
}

static int
names_site_cb(void *arg, const struct store_site *s)
{
	return (names_add(arg, s->name));
}

static int
names_user_cb(void *arg, const char *email, enum store_clearance cl)
{
	(void)cl;
	return (names_add(arg, email));
}

/* 1 if the map names site (the map may be missing). Caller holds d->mu. */
static int
names_in_map(struct ferryd *d, const char *site)
{
	struct share_map	*m;
	int			 known;

	if (names_share_map(d, &m, NULL) != 0)
		return (0);
	known = share_map_site_known(m, site);
	share_map_free(m);
	return (known);
}

#define NAMES_SITES	1
#define NAMES_PEOPLE	2

/* The refusal for an unknown name, with the known ones (which: flags). */
static int
names_unknown(struct ferryd *d, const char *what, const char *name,
    int which, char **cause)
{
	struct buf	known;
	int		r;

	buf_init(&known, 0);
	if (which & NAMES_SITES) {
		buf_printf(&known, "sites: ");
		store_site_list(d->store, names_site_cb, &known, NULL);
		names_none(&known);
	}
	if (which & NAMES_PEOPLE) {
		buf_printf(&known, "%speople: ", known.len ? "; " : "");
		store_user_list(d->store, names_user_cb, &known, NULL);
		names_none(&known);
	}
	r = err_set(cause, FERRY_ERR_NOTFOUND, "%s: no %s of that name "
	    "(known %s)", name, what, buf_str(&known));
	buf_free(&known);
	return (r);
}

/* 0 if an unused invite names name; else its refusal. */
static int
names_invited(struct ferryd *d, const char *name, int ok_if_invited,
    char **cause)
{
	int	pending = 0;

	if (store_invite_pending(d->store, name, clock_now(), &pending,
	    NULL) != 0 || !pending)
		return (FERRY_ERR_NOTFOUND);
	if (ok_if_invited)
		return (0);
	return (err_set(cause, FERRY_ERR_STATE, "%s is invited but has not "
	    "enrolled: run 'ferryd enroll' with the code on that machine",
	    name));
}

int
names_site(struct ferryd *d, const char *site, char **cause)
{
	struct store_site	s;
	int			r = 0;

	pthread_mutex_lock(&d->mu);
	if (store_site_get(d->store, site, &s, NULL) == 0)
		store_site_clear(&s);
	else if (!names_in_map(d, site) &&
	    names_invited(d, site, 1, NULL) != 0)
		r = names_unknown(d, "site", site, NAMES_SITES, cause);
	pthread_mutex_unlock(&d->mu);
	return (r);
}

int
names_endpoint(struct ferryd *d, const char *name, char **cause)
{
	struct store_site	 s;
	enum store_clearance	 cl;
	int			 r = 0;

	pthread_mutex_lock(&d->mu);
	if (store_site_get(d->store, name, &s, NULL) == 0)
		store_site_clear(&s);
	else if (store_user_get(d->store, name, &cl, NULL) == 0 ||
	    names_in_map(d, name))
		r = 0;
	else if ((r = names_invited(d, name, 0, cause)) == FERRY_ERR_NOTFOUND)
		r = names_unknown(d, "site or person", name, NAMES_SITES |
		    NAMES_PEOPLE, cause);
	pthread_mutex_unlock(&d->mu);
	return (r);
}

int
names_principal(struct ferryd *d, const char *who, char **cause)
{
	enum store_clearance	cl;
	int			r = 0;

	struct store_sftp	s;

	pthread_mutex_lock(&d->mu);
	/* An SFTP site is restricted as a vendor is (docs/sftp.md). */
	if (store_sftp_get(d->store, who, &s, NULL) == 0)
		store_sftp_clear(&s);
	else if (store_user_get(d->store, who, &cl, NULL) != 0 &&
	    names_invited(d, who, 1, NULL) != 0)
		r = names_unknown(d, "person", who, NAMES_PEOPLE, cause);
	pthread_mutex_unlock(&d->mu);
	return (r);
}

int
names_share(struct ferryd *d, const char *prefix, char **cause)
{
	struct share_map	*m = NULL;
	struct buf		 known;
	const char		*colon = strchr(prefix, ':');
	char			*name;
	int			 r;

	if (colon == NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "%s: expected "
		    "SHARE:PATH", prefix));
	if ((name = strndup(prefix, (size_t)(colon - prefix))) == NULL)
		return (FERRY_ERR_NOMEM);
	pthread_mutex_lock(&d->mu);
	r = names_share_map(d, &m, cause);
	pthread_mutex_unlock(&d->mu);
	if (r == 0 && !share_map_share_known(m, name)) {
		buf_init(&known, 0);
		share_map_shares_text(m, &known);
		r = err_set(cause, FERRY_ERR_NOTFOUND, "%s: no share %s in the "
		    "share map (shares: %s)", prefix, name, buf_str(&known));
		buf_free(&known);
	}
	share_map_free(m);
	free(name);
	return (r);
}

/* The current share map, from the store. Caller holds d->mu. */
int
names_share_map(struct ferryd *d, struct share_map **m, char **cause)
{
	char	*json = NULL;
	int64_t	 version;
	int	 r;

	*m = NULL;
	if ((r = store_share_get(d->store, &json, &version, cause)) != 0)
		return (r);
	if (json == NULL)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "no share map yet: "
		    "import one with 'ferry share import FILE'"));
	/* With the roots agents set for their own machines laid over it. */
	r = roots_share_map(d, json, m, cause);
	free(json);
	return (r);
}
