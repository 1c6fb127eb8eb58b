/*
 * "invite" on the hub: a one-time code for a site's agent or a person,
 * valid for a time (ferry invite).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "ferryd.h"
#include "log.h"
#include "store.h"

json_t *
invite_api(struct ferryd *d, const char *op, const json_t *req, uid_t uid)
{
	const char		*site, *user, *clear;
	char			 code[STORE_CODE_LEN + 1], *cause = NULL;
	char			 by[300];
	enum store_clearance	 cl = STORE_CLEARANCE_NONE;
	json_t			*rep;
	json_int_t		 ttl;
	int64_t			 id;
	int			 r;

	site = json_string_value(json_object_get(req, "site"));
	user = json_string_value(json_object_get(req, "user"));
	clear = json_string_value(json_object_get(req, "clearance"));
	ttl = json_integer_value(json_object_get(req, "ttl"));
	if ((site == NULL) == (user == NULL) || (user != NULL &&
	    (clear == NULL || store_clearance_parse(clear, &cl) != 0)))
		return (json_pack("{s:s, s:b}", "error", "invite needs --site "
		    "SITE, or --user EMAIL with --clearance employee|"
		    "restricted", "done", 1));
	/* now + ttl must not overflow into the past. */
	if (ttl > FERRYD_INVITE_TTL_MAX)
		return (json_pack("{s:s, s:b}", "error", "an invite is valid "
		    "for at most 8784 hours (366 days)", "done", 1));
	pthread_mutex_lock(&d->mu);
	r = store_invite_code(code, sizeof code, &cause);
	if (r == 0)
		r = store_invite_create(d->store, user ? STORE_ROLE_USER :
		    STORE_ROLE_SITE, user ? user : site, cl, code,
		    clock_now(), ttl > 0 ? ttl : FERRYD_INVITE_TTL, &id,
		    &cause);
	pthread_mutex_unlock(&d->mu);
	if (r != 0)
		rep = json_pack("{s:s, s:b}", "error", cause ? cause :
		    err_str(r), "done", 1);
	else {
		log_info("invite %jd for %s made by %s", (intmax_t)id,
		    user ? user : site, caller_uid(req, uid, by, sizeof by));
		rep = json_pack("{s:s, s:I, s:I, s:b}", "code", code,
		    "invite", (json_int_t)id, "expires", (json_int_t)(
		    clock_now() + (ttl > 0 ? ttl : FERRYD_INVITE_TTL)),
		    "done", 1);
	}
	explicit_bzero(code, sizeof code);
	free(cause);
	return (rep);
}
