/*
 * The hub's audit trail as ferryd writes it and the local API reads it
 * (`ferry audit`). Security events (a refused answer, a connection over
 * a limit, a refused enrolment) are recorded with who caused them; those
 * an attacker can repeat at will are recorded at most once (or a few
 * times) a minute per cause and address or agent, so that a flood cannot
 * fill the disk.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "ferryd.h"
#include "log.h"
#include "store.h"

#define AUDIT_LIST_MAX		10000	/* records in one answer */
#define AUDIT_QUIET_SLOTS	64

void
audit_note(struct ferryd *d, const char *who, const char *what,
    json_t *detail)
{
	char	*text = NULL, *cause = NULL;

	if (detail != NULL)
		text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
	if (d->store != NULL && store_audit_add(d->store, clock_now(), who,
	    what, text, &cause) != 0)
		log_warnx("audit %s %s: %s", who, what, cause);
	log_info("audit: %s %s%s%s", who, what, text ? " " : "",
	    text ? text : "");
	json_decref(detail);
	free(text);
	free(cause);
}

int
hub_rate_take(struct hub_rate *slots, size_t nslots, const char *key,
    int max, int64_t now)
{
	struct hub_rate	*all = &slots[0], *s = NULL;
	char		 cut[HUB_RATE_KEY];
	size_t		 i;

	/* As stored: a long key cut, so that it finds its slot again. */
	snprintf(cut, sizeof cut, "%s", key);
	for (i = 1; i < nslots; i++) {
		if (slots[i].n > 0 && strcmp(slots[i].key, cut) == 0) {
			s = &slots[i];
			break;
		}
	}
	if (s == NULL) {
		/* A free slot, or the oldest whose window is over. */
		for (i = 1; i < nslots; i++) {
			if (now - slots[i].at < HUB_RATE_WINDOW_S &&
			    slots[i].n > 0)
				continue;
			if (s == NULL || slots[i].at < s->at)
				s = &slots[i];
		}
		if (s == NULL) {
			/* Every slot counts still: the shared budget. */
			s = all;
			max *= (int)(nslots - 1);
		} else {
			snprintf(s->key, sizeof s->key, "%s", cut);
			s->n = 0;
		}
	}
	if (s->n == 0 || now - s->at >= HUB_RATE_WINDOW_S) {
		s->at = now;
		s->n = 0;
	}
	if (s->n >= max)
		return (1);
	s->n++;
	return (0);
}

/*
 * Whether what from who was recorded max times in the last minute (the
 * minute from the first of them). max is part of the key, so that
 * audit_note_some's budget and audit_note_limited's are apart.
 */
static int
audit_quiet(struct ferryd *d, const char *who, const char *what, int max)
{
	static struct hub_rate	 slots[AUDIT_QUIET_SLOTS];
	char			 key[HUB_RATE_KEY];

	(void)d;
	snprintf(key, sizeof key, "%s %s %d", who, what, max);
	return (hub_rate_take(slots, AUDIT_QUIET_SLOTS, key, max,
	    clock_now()));
}

void
audit_note_limited(struct ferryd *d, const char *who, const char *what,
    json_t *detail)
{
	audit_note_some(d, who, what, 1, detail);
}

int
audit_due(struct ferryd *d, const char *who, const char *what, int max)
{
	return (!audit_quiet(d, who, what, max));
}

void
audit_note_some(struct ferryd *d, const char *who, const char *what,
    int max, json_t *detail)
{
	if (audit_quiet(d, who, what, max))
		json_decref(detail);
	else
		audit_note(d, who, what, detail);
}

static int
audit_list_cb(void *arg, const struct store_audit *a)
{
	json_t	*rec, *detail = NULL;

	if (a->detail != NULL)
		detail = json_loads(a->detail, 0, NULL);
	rec = json_pack("{s:I, s:I, s:s, s:s, s:o?}", "id", (json_int_t)a->id,
	    "time", (json_int_t)a->time, "who", a->who ? a->who : "", "what",
	    a->what ? a->what : "", "detail", detail);
	if (json_array_size(arg) >= AUDIT_LIST_MAX)
		json_array_remove(arg, 0);
	return (json_array_append_new(arg, rec));
}

json_t *
audit_api(struct ferryd *d, const char *op, const json_t *req, uid_t uid)
{
	json_int_t	 limit = json_integer_value(json_object_get(req,
			    "limit"));
	json_t		*list = json_array(), *rep;
	char		*cause = NULL;
	int		 r;

	pthread_mutex_lock(&d->mu);
	r = store_audit_list(d->store, 0, 0, audit_list_cb, list, &cause);
	pthread_mutex_unlock(&d->mu);
	/* The newest limit records, oldest first. */
	while (r == 0 && limit > 0 && json_array_size(list) > (size_t)limit)
		json_array_remove(list, 0);
	if (r != 0)
		rep = json_pack("{s:s, s:b}", "error", cause ? cause :
		    err_str(r), "done", 1);
	else
		rep = json_pack("{s:O, s:b}", "audit", list, "done", 1);
	json_decref(list);
	free(cause);
	return (rep);
}
