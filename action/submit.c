/*
 * One send, from a launch or an automation: the places, the files beneath
 * the selection (resolve.h), the hub's send (docs/api.md), and the spool's
 * record of the ferry job it made, kept in the same transaction as the
 * delivery that follows it.
 *
 * Exactly once in effect: an event whose ferry job is recorded is not
 * sent again. The one window left is between the hub's answer and that
 * record; the time a send starts is stored first, so that after a crash
 * in the window the job the hub made then, for the same user and places,
 * is taken over instead of a second one being made.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "err.h"
#include "ferry-ftrack.h"
#include "log.h"
#include "resolve.h"
#include "rest.h"
#include "spool.h"

/* Seconds of clock skew allowed when taking over a job after a crash. */
#define SUBMIT_ADOPT_SLACK	2
/* Jobs of the hub looked through for one to take over. */
#define SUBMIT_ADOPT_LIMIT	200

struct submit {
	struct ff		*ff;
	const struct launch_req	*req;
	json_t			*locs;	/* {name: {id, label}} */
	const char		*src_id;
	const char		*dst_id;
	struct resolve_result	 res;
	int64_t			 job;
	int64_t			 files;
};

/* Both places must be ftrack Locations that map to ferry. */
static int
submit_places(struct submit *s, char **cause)
{
	const struct launch_req	*req = s->req;
	int			 r;

	if ((r = form_locations(s->ff, &s->locs, cause)) != 0)
		return (r);
	s->src_id = json_string_value(json_object_get(json_object_get(s->locs,
	    req->source), "id"));
	s->dst_id = json_string_value(json_object_get(json_object_get(s->locs,
	    req->dest), "id"));
	if (s->src_id == NULL || s->dst_id == NULL)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "%s is not a ferry "
		    "place: no ftrack Location of that name is a site or an "
		    "enrolled user of the hub", s->src_id == NULL ?
		    req->source : req->dest));
	return (0);
}

static int
submit_resolve(struct submit *s, char **cause)
{
	struct resolve_opts	 o;
	int			 r;

	if (json_array_size(s->req->selection) == 0)
		return (0);
	memset(&o, 0, sizeof o);
	o.source_location_id = s->src_id;
	o.dest_location_id = s->dst_id;
	o.source_prefix = ffconf_prefix(&s->ff->conf, s->req->source);
	o.latest_only = s->req->latest_only;
	r = resolve_selection(s->ff->rest, s->req->selection, &o, &s->res,
	    cause);
	/* Additional files alone are something to send. */
	if (r == FERRY_ERR_NOTFOUND && json_array_size(s->req->extra) > 0 &&
	    cause != NULL && *cause != NULL &&
	    strncmp(*cause, "nothing to send", 15) == 0) {
		free(*cause);
		*cause = NULL;
		return (0);
	}
	return (r);
}

/* How the hub names a job made for this user (its "by"). */
static void
submit_by(const struct submit *s, char *by, size_t len)
{
	snprintf(by, len, "%.200s (via uid %u)", s->req->for_user,
	    (unsigned)getuid());
}

static json_t *
submit_request(const struct submit *s)
{
	const struct launch_req	*req = s->req;
	json_t			*paths, *basis;
	size_t			 i;

	paths = json_array();
	basis = json_object();
	for (i = 0; i < s->res.n; i++) {
		json_array_append_new(paths, json_string(s->res.v[i].path));
		if (s->res.v[i].basis != NULL)
			json_object_set_new(basis, s->res.v[i].path,
			    json_string(s->res.v[i].basis));
	}
	json_array_extend(paths, req->extra);
	return (json_pack("{s:s, s:s, s:s, s:o, s:o, s:i, s:s*, s:s}", "op",
	    "send", "from", req->source, "to", req->dest, "paths", paths,
	    "basis", basis, "priority", req->priority, "note", req->note,
	    "for", req->for_user));
}

/* Whether the hub's job j is one made for this send since `since`. */
static int
submit_same(const struct submit *s, const json_t *j, int64_t since)
{
	const char	*by = json_string_value(json_object_get(j, "by"));
	const char	*from = json_string_value(json_object_get(j, "from"));
	const char	*to = json_string_value(json_object_get(j, "to"));
	char		 want[256];

	submit_by(s, want, sizeof want);
	return (by != NULL && from != NULL && to != NULL &&
	    strcmp(by, want) == 0 && strcmp(from, s->req->source) == 0 &&
	    strcmp(to, s->req->dest) == 0 && json_integer_value(
	    json_object_get(j, "created")) >= since - SUBMIT_ADOPT_SLACK);
}

/*
 * After a crash between the hub's answer and our record: the job the hub
 * made for this user and these places since then, if no event has it.
 */
static int
submit_adopt(struct submit *s, int64_t since, char **cause)
{
	json_t		*req, *rep = NULL, *j;
	int64_t		 id;
	size_t		 i;
	int		 known, r;

	req = json_pack("{s:s, s:i}", "op", "jobs", "limit",
	    SUBMIT_ADOPT_LIMIT);
	r = ferryapi_call(s->ff->hub_state, req, &rep, cause);
	json_decref(req);
	json_array_foreach(json_object_get(rep, "jobs"), i, j) {
		id = json_integer_value(json_object_get(j, "id"));
		if (r != 0 || !submit_same(s, j, since))
			continue;
		if ((r = spool_delivery_known(s->ff->spool, id, &known,
		    cause)) == 0 && !known && (s->job == 0 || id < s->job)) {
			s->job = id;
			s->files = json_integer_value(json_object_get(j,
			    "files"));
		}
	}
	json_decref(rep);
	if (r == 0 && s->job != 0)
		log_warnx("event %s: taking over ferry job %jd, made before a "
		    "crash", s->req->event_id, (intmax_t)s->job);
	return (r);
}

static int
submit_send(struct submit *s, char **cause)
{
	json_t	*req, *rep = NULL;
	char	*why = NULL;
	int	 r;

	req = submit_request(s);
	r = ferryapi_call(s->ff->hub_state, req, &rep, &why);
	json_decref(req);
	if (r == FERRY_ERR_DENIED)
		r = err_set(cause, r, "the ferry hub refused the job: %s", why);
	else if (r != 0)
		r = err_set(cause, r, "the ferry hub cannot be asked: %s", why);
	else {
		s->job = json_integer_value(json_object_get(rep, "id"));
		s->files = json_integer_value(json_object_get(rep, "files"));
		if (s->job <= 0)
			r = err_set(cause, FERRY_ERR_PROTO, "the ferry hub "
			    "answered a send without a job id");
	}
	free(why);
	json_decref(rep);
	return (r);
}

static int
submit_record(struct submit *s, char **cause)
{
	struct spool_delivery	 d;
	char			 uuid[REST_UUID_LEN];
	int			 r;

	if ((r = rest_uuid(uuid)) != 0)
		return (err_set(cause, r, "no random uuid for the ftrack Job"));
	memset(&d, 0, sizeof d);
	d.ferry_job = s->job;
	d.event_id = (char *)(uintptr_t)s->req->event_id;
	d.ftrack_job = uuid;
	d.user_id = s->req->job_user->id;
	d.username = s->req->job_user->username;
	d.source = (char *)(uintptr_t)s->req->source;
	d.dest = (char *)(uintptr_t)s->req->dest;
	d.dest_location_id = (char *)(uintptr_t)s->dst_id;
	if ((d.files = resolved_to_json(&s->res)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	r = spool_delivery_add(s->ff->spool, &d, clock_now(), cause);
	json_decref(d.files);
	return (r);
}

/* The steps of a send not made before: places, files, send, record. */
static int
submit_new(struct submit *s, char **cause)
{
	int64_t	 before = 0;
	int	 r;

	if ((r = submit_places(s, cause)) != 0 ||
	    (r = submit_resolve(s, cause)) != 0)
		return (r);
	if (s->res.n == 0 && json_array_size(s->req->extra) == 0)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "nothing to send"));
	if ((r = spool_event_submitting(s->ff->spool, s->req->event_id,
	    clock_now(), &before, cause)) != 0)
		return (r);
	if (before != 0 && (r = submit_adopt(s, before, cause)) != 0)
		return (r);
	if (s->job == 0) {
		if ((r = submit_send(s, cause)) != 0)
			return (r);
		stall_after(s->ff, "sent", s->req->event_id);
	}
	if ((r = submit_record(s, cause)) != 0)
		return (r);
	stall_after(s->ff, "submitted", s->req->event_id);
	return (0);
}

int
submit_run(struct ff *ff, const struct launch_req *req, char **messagep,
    char **cause)
{
	struct submit	 s;
	char		 msg[512];
	int64_t		 done = 0;
	int		 r;

	memset(&s, 0, sizeof s);
	s.ff = ff;
	s.req = req;
	if ((r = spool_event_job(ff->spool, req->event_id, &done, cause)) != 0)
		return (r);
	if (done != 0) {
		snprintf(msg, sizeof msg, "ferry job %jd was submitted for "
		    "this already; follow it in your ftrack Jobs",
		    (intmax_t)done);
		s.job = done;
	} else if ((r = submit_new(&s, cause)) == 0)
		snprintf(msg, sizeof msg, "ferry job %jd: %jd file%s from %s "
		    "to %s; follow it in your ftrack Jobs", (intmax_t)s.job,
		    (intmax_t)s.files, s.files == 1 ? "" : "s", req->source,
		    req->dest);
	resolve_result_clear(&s.res);
	json_decref(s.locs);
	if (r != 0)
		return (r);
	progress_start(ff, s.job);
	if ((*messagep = strdup(msg)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	return (0);
}
