/*
 * An agent's hubs (issue 17, docs/operations.md "Active and standby
 * hubs"). The agent pins every hub of its hub's store: the key it
 * enrolled with (ferryd.conf's hub-fingerprint) and the keys in
 * STATE/hubs.json, the list the active hub last sent over the control
 * link. Only a hub whose key is pinned is talked to at all, so only a
 * pinned hub can add a key; the list it sends must name the sender
 * itself, is bounded (hublist_check), and replaces the learned list
 * whole, so a hub removed from the store is forgotten when the active
 * hub (the only one that answers agents) says so. The enrolment's pin in
 * ferryd.conf counts only until a first list came: from then on the
 * list is the pinned set (hubs.json lost: the enrolment's pin again).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "ferryd.h"
#include "hublist.h"
#include "identity.h"
#include "log.h"

#define HUBS_FILE	"hubs.json"

/* Every address to try, in order, without repeats. Caller holds d->mu. */
static json_t *
node_hubs_addrs(struct ferryd *d)
{
	json_t		*a = json_array(), *h;
	const char	*p, *end, *s;
	size_t		 i, k;
	char		*one;

	if (a == NULL)
		return (NULL);
	json_array_append_new(a, json_string(d->conf.hub));
	for (p = d->conf.hub_standby; p != NULL && *p != '\0'; p = end) {
		p += strspn(p, ", ");
		end = p + strcspn(p, ", ");
		if (end > p && (one = strndup(p, (size_t)(end - p))) != NULL) {
			json_array_append_new(a, json_string(one));
			free(one);	/* json_string copied it */
		}
	}
	json_array_foreach(d->hubs, i, h)
		json_array_append(a, json_object_get(h, "address"));
	/* Drop repeats (the enrolment's hub is on the list too). */
	for (i = 0; i < json_array_size(a); i++) {
		s = json_string_value(json_array_get(a, i));
		for (k = i + 1; k < json_array_size(a); ) {
			if (s != NULL && json_string_value(json_array_get(a,
			    k)) != NULL && strcmp(s, json_string_value(
			    json_array_get(a, k))) == 0)
				json_array_remove(a, k);
			else
				k++;
		}
	}
	return (a);
}

int
node_hubs_naddrs(struct ferryd *d)
{
	json_t	*a;
	int	 n;

	pthread_mutex_lock(&d->mu);
	a = node_hubs_addrs(d);
	n = a != NULL && json_array_size(a) > 0 ? (int)json_array_size(a) : 1;
	pthread_mutex_unlock(&d->mu);
	json_decref(a);
	return (n);
}

char *
node_hubs_addr(struct ferryd *d, int i)
{
	json_t	*a;
	char	*out = NULL;

	pthread_mutex_lock(&d->mu);
	a = node_hubs_addrs(d);
	if (a != NULL && json_array_size(a) > 0)
		out = strdup(json_string_value(json_array_get(a,
		    (size_t)i % json_array_size(a))));
	pthread_mutex_unlock(&d->mu);
	json_decref(a);
	return (out);
}

int
node_hubs_pinned(struct ferryd *d, const uint8_t *fp)
{
	uint8_t		 pin[IDENTITY_FP_LEN];
	json_t		*h;
	size_t		 i;
	int		 r = -1;

	pthread_mutex_lock(&d->mu);
	/* The enrolment's pin until a hub's list replaces it. */
	if (json_array_size(d->hubs) == 0 && d->conf.hub_fp != NULL &&
	    identity_fp_parse(d->conf.hub_fp, pin, NULL) == 0 &&
	    memcmp(pin, fp, IDENTITY_FP_LEN) == 0)
		r = 0;
	json_array_foreach(d->hubs, i, h) {
		if (r != 0 && identity_fp_parse(json_string_value(
		    json_object_get(h, "fingerprint")), pin, NULL) == 0 &&
		    memcmp(pin, fp, IDENTITY_FP_LEN) == 0)
			r = 0;
	}
	pthread_mutex_unlock(&d->mu);
	return (r);
}

/* STATE/hubs.json, whole or not at all. */
static int
node_hubs_save(const char *state, const json_t *list, const char *from,
    char **cause)
{
	char	*text;
	json_t	*doc;
	int	 r;

	doc = json_pack("{s:O, s:s}", "hubs", list, "from", from);
	text = doc != NULL ? json_dumps(doc, JSON_INDENT(2)) : NULL;
	json_decref(doc);
	if (text == NULL)
		return (FERRY_ERR_NOMEM);
	r = conf_write_file(state, HUBS_FILE, text, strlen(text), cause);
	free(text);
	return (r);
}

int
node_hubs_enrolled(const char *state, const json_t *list,
    const uint8_t *from, char **cause)
{
	char	 fps[IDENTITY_FP_STRLEN + 1];
	json_t	*clean = NULL;
	int	 r;

	if ((r = hublist_check(list, from, &clean, cause)) != 0)
		return (r);
	identity_fp_format(from, fps);
	r = node_hubs_save(state, clean, fps, cause);
	json_decref(clean);
	return (r);
}

int
node_hubs_take(struct ferryd *d, const json_t *list, const uint8_t *from,
    char **cause)
{
	char	 fps[IDENTITY_FP_STRLEN + 1];
	json_t	*clean = NULL;
	int	 r, same;

	if ((r = hublist_check(list, from, &clean, cause)) != 0)
		return (r);
	identity_fp_format(from, fps);
	pthread_mutex_lock(&d->mu);
	same = json_equal(clean, d->hubs);
	pthread_mutex_unlock(&d->mu);
	if (same) {
		json_decref(clean);
		return (0);
	}
	/* On disk first: a restart pins what this run pins. */
	if ((r = node_hubs_save(d->state, clean, fps, cause)) != 0) {
		json_decref(clean);
		return (r);
	}
	log_info("the hub (key %s) lists %zu hub(s) of its store; all are "
	    "pinned now", fps, json_array_size(clean));
	pthread_mutex_lock(&d->mu);
	json_decref(d->hubs);
	d->hubs = clean;
	pthread_mutex_unlock(&d->mu);
	return (0);
}

int
node_hubs_load(struct ferryd *d, char **cause)
{
	char		 path[4096];
	uint8_t		 from[IDENTITY_FP_LEN];
	json_error_t	 je;
	json_t		*doc, *clean = NULL;
	char		*why = NULL;
	int		 r;

	snprintf(path, sizeof path, "%s/%s", d->state, HUBS_FILE);
	if ((doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL) {
		if (access(path, F_OK) == -1 && errno == ENOENT)
			return (0);
		return (err_set(cause, FERRY_ERR_PARSE, "%s:%d: %s", path,
		    je.line, je.text));
	}
	/* Checked as when it came: a file edited by hand is no exception. */
	if (json_string_value(json_object_get(doc, "from")) == NULL)
		r = err_set(&why, FERRY_ERR_PARSE, "no \"from\"");
	else if ((r = identity_fp_parse(json_string_value(json_object_get(doc,
	    "from")), from, &why)) != 0 || (r = hublist_check(
	    json_object_get(doc, "hubs"), from, &clean, &why)) != 0)
		r = err_set(cause, r, "%s: %s", path, why);
	else {
		pthread_mutex_lock(&d->mu);
		json_decref(d->hubs);
		d->hubs = clean;
		pthread_mutex_unlock(&d->mu);
	}
	free(why);
	json_decref(doc);
	return (r);
}

json_t *
node_hubs_status(struct ferryd *d)
{
	json_t		*out = json_array(), *h;
	const char	*fp;
	size_t		 i;
	int		 enrolled = 0;

	if (out == NULL)
		return (NULL);
	json_array_foreach(d->hubs, i, h) {
		fp = json_string_value(json_object_get(h, "fingerprint"));
		enrolled |= d->conf.hub_fp != NULL &&
		    strcasecmp(fp, d->conf.hub_fp) == 0;
		json_array_append_new(out, json_pack("{s:s, s:O, s:b}",
		    "fingerprint", fp, "address", json_object_get(h,
		    "address"), "linked", d->uplinked &&
		    strcmp(fp, d->uplink_fp) == 0));
	}
	if (!enrolled && d->conf.hub_fp != NULL && json_array_size(d->hubs) ==
	    0)
		json_array_append_new(out, json_pack("{s:s, s:s, s:b}",
		    "fingerprint", d->conf.hub_fp, "address", d->conf.hub,
		    "linked", d->uplinked && strcasecmp(d->conf.hub_fp,
		    d->uplink_fp) == 0));
	return (out);
}
