/*
 * Transfer windows on the hub (docs/agent.md, "Transfer windows"): a
 * site's window and zone set by `ferry site set`, the cap they give now,
 * and that cap passed to the transfers running to the site when it
 * changes, at a window's edge or when an admin changes the window or the
 * site's bandwidth cap, without stopping them: the hub's own sends read
 * it from jobs_xfer.bwlimit before each frame, a sending agent is told
 * with transfer.rate. The grammar and the zones are common/window.c and
 * common/tz.c.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "clock.h"
#include "err.h"
#include "ferryd.h"
#include "human.h"
#include "hub-dispatch.h"
#include "hub-sftp.h"
#include "log.h"
#include "store.h"
#include "tz.h"
#include "window.h"

/* The windows' clock: moved by test-clock-file, for tests only. */
static int64_t
hub_window_now(struct ferryd *d)
{
	return (clock_now_shifted(d->conf.test_clock));
}

/*
 * Each site's window and zone, parsed once and kept while their texts
 * stay the same: the dispatcher asks for every running transfer's cap
 * each second. A window that no longer parses, or a zone that went away
 * from the hub, is logged once. Under d->mu.
 */
struct hub_window_site {
	char			*site;
	char			*text;		/* the window, as stored */
	char			*zone;		/* its zone; NULL: the hub's */
	struct window		*w;
	struct tz		*z;
	char			*error;		/* why w or z is missing */
	struct hub_window_site	*next;
};
static struct hub_window_site	*hub_window_sites_seen;

static int
hub_window_same(const char *a, const char *b)
{
	return (a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0);
}

static void
hub_window_site_clear(struct hub_window_site *e)
{
	free(e->text);
	free(e->zone);
	window_free(e->w);
	tz_free(e->z);
	free(e->error);
	e->text = e->zone = e->error = NULL;
	e->w = NULL;
	e->z = NULL;
}

/* Site s's parsed window, (re)made when its texts changed; or NULL. */
static struct hub_window_site *
hub_window_site(const struct store_site *s)
{
	struct hub_window_site	*e;
	char			*cause = NULL;

	for (e = hub_window_sites_seen; e != NULL; e = e->next)
		if (strcmp(e->site, s->name) == 0)
			break;
	if (e == NULL) {
		if ((e = calloc(1, sizeof *e)) == NULL ||
		    (e->site = strdup(s->name)) == NULL) {
			free(e);
			return (NULL);
		}
		e->next = hub_window_sites_seen;
		hub_window_sites_seen = e;
	} else if (e->w != NULL || e->error != NULL) {
		if (hub_window_same(e->text, s->window) &&
		    hub_window_same(e->zone, s->tz))
			return (e);
	}
	hub_window_site_clear(e);
	if ((s->window != NULL && (e->text = strdup(s->window)) == NULL) ||
	    (s->tz != NULL && (e->zone = strdup(s->tz)) == NULL))
		return (NULL);
	if (s->window != NULL && (window_parse(s->window, &e->w,
	    &cause) != 0 || tz_load(s->tz, &e->z, &cause) != 0)) {
		log_warnx("site %s: window ignored: %s", s->name, cause);
		e->error = cause;	/* transferred */
		window_free(e->w);
		e->w = NULL;
	}
	return (e);
}

/*
 * The cap for transfers to site s now (bytes/s; 0: none), and which rule
 * gave it (-1: none, the site's cap); *error says why its window is
 * ignored, if it is.
 */
static uint64_t
hub_window_eval(struct ferryd *d, const struct store_site *s, int *rule,
    const char **error)
{
	struct hub_window_site	*e;
	uint64_t		 cap = (uint64_t)s->bwlimit;

	*rule = -1;
	*error = NULL;
	if (s->window == NULL || (e = hub_window_site(s)) == NULL)
		return (cap);
	if (e->w == NULL) {
		*error = e->error;
		return (cap);
	}
	return (window_cap(e->w, e->z, hub_window_now(d), cap, rule));
}

uint64_t
hub_window_cap(struct ferryd *d, const char *site)
{
	struct store_site	 s;
	uint64_t		 cap = 0;
	const char		*error;
	int			 rule;

	if (site == NULL || store_site_get(d->store, site, &s, NULL) != 0)
		return (0);
	cap = hub_window_eval(d, &s, &rule, &error);
	store_site_clear(&s);
	return (cap);
}

/* Tells the sender of x its new cap: itself, or its agent. */
static void
hub_window_apply(struct ferryd *d, struct jobs_xfer *x, uint64_t cap)
{
	char	a[HUMAN_LEN], b[HUMAN_LEN];
	uint64_t old = atomic_load(&x->bwlimit);

	log_info("transfer %jd to site %s: cap %s -> %s", (intmax_t)x->id,
	    x->site, old == 0 ? "none" : human_rate((double)old, a, sizeof a),
	    cap == 0 ? "none" : human_rate((double)cap, b, sizeof b));
	atomic_store(&x->bwlimit, cap);
	if (x->send.link != NULL)
		hub_tell(d, x->send.link, json_pack("{s:s, s:I, s:I}", "op",
		    "transfer.rate", "id", (json_int_t)x->id, "bwlimit",
		    (json_int_t)cap));
}

void
hub_window_tick(struct ferryd *d)
{
	struct jobs_xfer	*x;
	uint64_t		 cap;

	for (x = d->xfers; x != NULL; x = x->next) {
		if (x->site == NULL)
			continue;
		cap = hub_window_cap(d, x->site);
		if (cap != atomic_load(&x->bwlimit))
			hub_window_apply(d, x, cap);
	}
}

/* The audit row of a change: {"site", "window"?, "tz"?} ("": cleared). */
static int
hub_window_audit(struct ferryd *d, const char *site, const char *win,
    const char *zone, const char *who, char **cause)
{
	json_t	*detail;
	char	*text = NULL;
	int	 r;

	detail = json_pack("{s:s}", "site", site);
	if (detail != NULL && win != NULL)
		json_object_set_new(detail, "window", json_string(win));
	if (detail != NULL && zone != NULL)
		json_object_set_new(detail, "tz", json_string(zone));
	if (detail == NULL || (text = json_dumps(detail, JSON_COMPACT |
	    JSON_SORT_KEYS)) == NULL)
		r = err_set(cause, FERRY_ERR_NOMEM, "out of memory");
	else
		r = store_audit_add(d->store, clock_now(), who, win != NULL ?
		    "site.window" : "site.tz", text, cause);
	json_decref(detail);
	free(text);
	return (r);
}

/*
 * site.set's "window" ("" clears it) and "tz" ("" for the hub's own
 * zone): each checked before it is stored. The caller holds d->mu.
 */
int
hub_window_set(struct ferryd *d, const char *site, const json_t *req,
    const char *who, char **cause)
{
	const char	*win = json_string_value(json_object_get(req, "window"));
	const char	*zone = json_string_value(json_object_get(req, "tz"));
	struct window	*w = NULL;
	struct tz	*z = NULL;
	char		*why = NULL;
	int		 r = 0;

	if (zone != NULL && *zone != '\0' && (r = tz_load(zone, &z,
	    cause)) != 0)
		return (r);
	tz_free(z);
	if (win != NULL && *win != '\0' && (r = window_parse(win, &w,
	    &why)) != 0) {
		err_set(cause, r, "window \"%s\": %s", win, why);
		free(why);
		return (r);
	}
	window_free(w);
	/* The change and its audit row land together or not at all. */
	if ((r = store_batch_begin(d->store, cause)) != 0)
		return (r);
	if (zone != NULL)
		r = store_site_set_tz(d->store, site, *zone ? zone : NULL,
		    cause);
	if (r == 0 && win != NULL)
		r = store_site_set_window(d->store, site, *win ? win : NULL,
		    cause);
	if (r == 0)
		r = hub_window_audit(d, site, win, zone, who, cause);
	r = store_batch_end(d->store, r, r == 0 ? cause : NULL);
	if (r == 0) {
		log_info("site %s: window %s, time zone %s, by %s", site,
		    win ? (*win ? win : "none") : "unchanged", zone ? (*zone ?
		    zone : "the hub's") : "unchanged", who);
		/* Running transfers take the new cap now, not at a tick. */
		hub_window_tick(d);
	}
	return (r);
}

static int
hub_window_site_cb(void *arg, const struct store_site *s)
{
	struct ferryd	*d = ((void **)arg)[0];
	json_t		*a = ((void **)arg)[1], *o;
	struct tz	*z = NULL;
	const char	*error;
	char		 zone[200];
	int		 rule;
	uint64_t	 cap = hub_window_eval(d, s, &rule, &error);

	/* The zone the window is read in: the site's, or the hub's own. */
	snprintf(zone, sizeof zone, "%s", s->tz ? s->tz : "?");
	if (tz_load(s->tz, &z, NULL) == 0)
		snprintf(zone, sizeof zone, "%s%s", tz_name(z), s->tz ? "" :
		    " (the hub's)");
	tz_free(z);
	o = json_pack("{s:s, s:I, s:s?, s:s?, s:s, s:I, s:i, s:s?}", "name",
	    s->name, "bwlimit", (json_int_t)s->bwlimit, "window", s->window,
	    "tz", s->tz, "tz_effective", zone, "cap", (json_int_t)cap, "rule",
	    rule, "window_error", error);
	/* Its transfers' streams: 0, the hub chooses (hub-streams.c). */
	json_object_set_new(o, "streams", json_integer(
	    store_streams_site_get(d->store, s->name)));
	/* Its kind, and an SFTP site's server (hub-sftp-site.c). */
	sftp_site_describe(d, s->name, o);
	json_array_append_new(a, o);
	return (0);
}

/* sites: every site with its cap, window, zone and the cap now. */
json_t *
hub_window_sites(struct ferryd *d, const char *op, const json_t *req,
    uid_t uid)
{
	json_t	*a = json_array(), *rep;
	void	*arg[2] = { d, a };
	char	*cause = NULL;
	int	 r;

	(void)op;
	(void)req;
	(void)uid;
	if (a == NULL)
		return (NULL);
	pthread_mutex_lock(&d->mu);
	r = store_site_list(d->store, hub_window_site_cb, arg, &cause);
	pthread_mutex_unlock(&d->mu);
	if (r != 0) {
		json_decref(a);
		rep = json_pack("{s:s, s:b}", "error", cause ? cause :
		    err_str(r), "done", 1);
	} else
		rep = json_pack("{s:o, s:s, s:I, s:b}", "sites", a, "hub_site",
		    d->conf.site, "now", (json_int_t)hub_window_now(d),
		    "done", 1);
	free(cause);
	return (rep);
}
