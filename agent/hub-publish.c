/*
 * `ferry publish PATH... [--task ID] [--note TEXT]` on a person's machine:
 * their finished work, back to the studio (the hub's site). Their ferryd
 * relays the request (hub-relay.c says who asks); each PATH, as that
 * machine sees it, is translated with that machine's roots (hub-roots.c)
 * into a share path. If the person may write the matching on-prem path,
 * it goes there; otherwise into their home folder (hub-home.c), mirrored
 * below it, and they are told so in one line, and the audit trail keeps
 * it ("publish.redirected").
 *
 * A publish is a job like any other. Its meta holds {"publish": {"task",
 * "note", "by", "paths"}} ("task" only when given; "paths": each PATH's
 * destination, for ferry-ftrack to register), and since a redirected
 * file's destination is not the translation of its source, the
 * dispatcher asks publish_split (hub-publish-split.c) where each task
 * goes.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "expand.h"
#include "ferryd.h"
#include "hub-home.h"
#include "hub-jobplan.h"
#include "hub-names.h"
#include "log.h"
#include "share-map.h"
#include "store.h"
#include "transfer.h"
#include "tree.h"

#define PUBLISH_NOTE_MAX	4096
#define PUBLISH_TASK_MAX	128

/* One publish being put together. */
struct publish {
	struct ferryd		*d;
	struct share_map	*m;
	const char		*ep;		/* the person (or site) */
	const char		*to;		/* the hub's site */
	const char		*by;		/* "_by", for the audit */
	int			 restricted;
	long			 files;		/* listed, however often */
	long			 max_files;	/* max-job-files */
	char			*home;		/* SHARE:PATH; NULL */
	char			*home_root;	/* its share's root, hq */
	struct store_task	*t;
	size_t			 n, cap;	/* tasks in t, its room */
	json_t			*lines;		/* a PATH sent home */
	json_t			*dests;		/* where each PATH went */
	char			*cause;
};

static json_t *
publish_error(const char *msg)
{
	return (json_pack("{s:s, s:b}", "error", msg, "done", 1));
}

/* An optional member: absent and null are the same. */
static const json_t *
publish_opt(const json_t *req, const char *key)
{
	const json_t	*v = json_object_get(req, key);

	return (json_is_null(v) ? NULL : v);
}

/* Whether the person may write share:rel. Caller holds d->mu. */
static int
publish_may_write(struct publish *p, const char *share, const char *rel)
{
	char	*path = NULL;
	int	 ok = 0;

	if (!p->restricted)
		return (1);
	if (asprintf(&path, "%s:%s", share, rel) == -1)
		return (0);
	if (store_acl_check(p->d->store, p->ep, path, STORE_ACCESS_WRITE,
	    &ok, NULL) != 0)
		ok = 0;
	free(path);
	return (ok);
}

/*
 * The home folder's name for share:rel, mirrored below it: the same
 * relative path for the home folder's own share, SHARE/rel for another.
 */
static char *
publish_home_rel(struct publish *p, const char *share, const char *rel)
{
	const char	*hrel = strchr(p->home, ':') + 1;
	size_t		 hn = (size_t)(hrel - p->home - 1);
	char		*out = NULL;
	int		 same;

	same = strlen(share) == hn && strncmp(share, p->home, hn) == 0;
	if (asprintf(&out, "%s%s%s%s%s", hrel, same ? "" : "/", same ? "" :
	    share, *rel ? "/" : "", rel) == -1)
		return (NULL);
	return (out);
}

/* Adds one task: the file at src (as the person's machine sees it). */
static int
publish_task(struct publish *p, const char *src, int64_t size,
    const char *dst)
{
	struct store_task	*v;

	if ((v = store_task_slot(&p->t, p->n, &p->cap)) == NULL)
		return (FERRY_ERR_NOMEM);
	v->src_path = strdup(src);
	v->dst_path = strdup(dst);
	v->size = size;
	p->n++;
	return (v->src_path == NULL || v->dst_path == NULL ?
	    FERRY_ERR_NOMEM : 0);
}

/* Asks the person's agent for the files below path (root its share's). */
static int
publish_list(struct publish *p, const char *path, const char *root,
    json_t **files)
{
	json_t		*rep = NULL;
	const char	*err;
	int		 r;

	pthread_mutex_lock(&p->d->mu);
	if (hub_link_for(p->d, p->ep, 0) == NULL)
		r = err_set(&p->cause, FERRY_ERR_UNREACHABLE, "no agent of %s "
		    "is connected to the hub", p->ep);
	else
		r = hub_ask(p->d, p->ep, json_pack("{s:s, s:[s], s:[s]}",
		    "op", "list", "paths", path, "roots", root),
		    FERRYD_TIMEOUT_MS / 1000, &rep, &p->cause);
	pthread_mutex_unlock(&p->d->mu);
	if (r != 0)
		return (r);
	if ((err = json_string_value(json_object_get(rep, "error"))) != NULL)
		r = err_set(&p->cause, json_is_true(json_object_get(rep,
		    "denied")) ? FERRY_ERR_DENIED : FERRY_ERR_NOTFOUND,
		    "at %s: %s", p->ep, err);
	else
		*files = json_incref(json_object_get(rep, "files"));
	json_decref(rep);
	return (r);
}

/*
 * Where one listed file goes on-prem (*onprem, allocated, as share:rel)
 * and whether the person may write there. Caller holds d->mu.
 */
static int
publish_onprem(struct publish *p, const char *file, char **share,
    char **rel, char **dst, int *ok)
{
	struct share_map_result	 res;
	char			*why;
	int			 r;

	if ((r = share_map_translate(p->m, p->ep, p->to, SHARE_OS_LINUX, file,
	    strlen(file), &res, &p->cause)) != 0) {
		why = p->cause;
		p->cause = NULL;
		err_set(&p->cause, r, "%s: %s", file, why);
		free(why);
		return (r);
	}
	if ((r = tree_check_relpath(res.relative, &p->cause)) == 0) {
		*ok = publish_may_write(p, res.share, res.relative);
		*share = res.share;
		*rel = res.relative;
		*dst = res.path;
		res.share = res.relative = res.path = NULL; /* transferred */
	}
	share_map_result_clear(&res);
	return (r);
}

/* A publish refused or redirected goes into the audit trail. */
static void
publish_audit(struct publish *p, const char *what, json_t *detail)
{
	char	*text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;

	pthread_mutex_lock(&p->d->mu);
	store_audit_add(p->d->store, clock_now(), p->by, what, text, NULL);
	pthread_mutex_unlock(&p->d->mu);
	free(text);
	json_decref(detail);
}

/*
 * Where PATH as a whole went: on-prem, or (with the line that says so)
 * into the home folder, which the person must be able to write.
 */
static int
publish_dest(struct publish *p, const char *path, int onprem,
    const char *denied, const char *share, const char *rel, const char *dst)
{
	const char	*hrel;
	char		*mirror = NULL, *hdst = NULL, *hshare = NULL;
	int		 r = 0, ok;

	if (onprem)
		return (json_array_append_new(p->dests, json_pack("{s:s, s:s, "
		    "s:s, s:s, s:b}", "src", path, "dst", dst, "share", share,
		    "relative", rel, "home", 0)) == 0 ? 0 : FERRY_ERR_NOMEM);
	hrel = strchr(p->home, ':') + 1;
	hshare = strndup(p->home, (size_t)(hrel - p->home - 1));
	if (hshare == NULL || (mirror = publish_home_rel(p, share, rel)) ==
	    NULL || asprintf(&hdst, "%s/%s", p->home_root, mirror) == -1) {
		free(hshare);
		free(mirror);
		return (FERRY_ERR_NOMEM);
	}
	pthread_mutex_lock(&p->d->mu);
	ok = publish_may_write(p, hshare, mirror);
	pthread_mutex_unlock(&p->d->mu);
	if (!ok) {
		r = err_set(&p->cause, FERRY_ERR_DENIED, "%s: %s may write "
		    "neither %s:%s nor its home folder %s: ask the studio for "
		    "access", path, p->ep, share, rel, p->home);
		publish_audit(p, "publish.refused", json_pack("{s:s, s:s, "
		    "s:s}", "path", path, "denied", denied, "why", p->cause));
	} else {
		json_array_append_new(p->lines, json_sprintf("%s: you may not "
		    "write %s:%s, so it goes to your home folder %s:%s "
		    "instead", path, share, rel, hshare, mirror));
		json_array_append_new(p->dests, json_pack("{s:s, s:s, s:s, "
		    "s:s, s:b, s:s}", "src", path, "dst", hdst, "share", hshare,
		    "relative", mirror, "home", 1, "denied", denied));
		publish_audit(p, "publish.redirected", json_pack("{s:s, s:s, "
		    "s:s}", "path", path, "denied", denied, "into",
		    hdst));
	}
	free(hshare);
	free(mirror);
	free(hdst);
	return (r);
}

/*
 * Every file below one PATH: on-prem if the person may write each one
 * there, else all of them into the home folder.
 */
static int
publish_files(struct publish *p, const char *path, const char *asked,
    const json_t *files, const char *top_share, const char *top_rel,
    const char *top_dst)
{
	const json_t	*f;
	const char	*src, *below;
	char		*share, *rel, *dst, *hrel, *hdst, *denied = NULL;
	size_t		 i, first = p->n;
	int		 ok, all = 1, r = 0;

	pthread_mutex_lock(&p->d->mu);
	json_array_foreach(files, i, f) {
		src = json_string_value(json_object_get(f, "path"));
		share = rel = dst = NULL;
		if (src == NULL)
			r = err_set(&p->cause, FERRY_ERR_PROTO, "%s listed a "
			    "file without a path", p->ep);
		/* Counted as a send's, before anything is kept. */
		if (r == 0 && ++p->files > p->max_files) {
			r = err_set(&p->cause, FERRY_ERR_TOOBIG, "%s: more than "
			    "%ld files in one publish (max-job-files in the "
			    "hub's ferryd.conf)", p->ep, p->max_files);
			audit_note_limited(p->d, p->ep, "list.limit", json_pack(
			    "{s:s, s:s?}", "limit", "max-job-files", "error",
			    p->cause));
		}
		/*
		 * Only what was asked, by clean components (the share map
		 * applies ".."): the agent's list is the vendor's.
		 */
		if (r == 0 && ((below = transfer_src_rel(asked, src)) == NULL ||
		    (*below != '\0' && tree_check_relpath(below, NULL) != 0))) {
			r = err_set(&p->cause, FERRY_ERR_PROTO, "%s listed %s, "
			    "not below %s", p->ep, src, asked);
			audit_note_limited(p->d, p->ep, "list.limit", json_pack(
			    "{s:s, s:s?}", "limit", "outside", "error",
			    p->cause));
		}
		if (r == 0)
			r = publish_onprem(p, src, &share, &rel, &dst, &ok);
		if (r == 0 && !ok && all) {
			all = 0;
			if (asprintf(&denied, "%s:%s", share, rel) == -1)
				denied = NULL;
		}
		hrel = hdst = NULL;
		/* Both, until it is known which: the home one is kept apart. */
		if (r == 0 && p->home != NULL && (hrel = publish_home_rel(p,
		    share, rel)) != NULL && asprintf(&hdst, "%s/%s",
		    p->home_root, hrel) == -1)
			hdst = NULL;
		if (r == 0)
			r = publish_task(p, src, json_integer_value(
			    json_object_get(f, "size")), dst);
		if (r == 0 && hdst != NULL) {
			free(p->t[p->n - 1].basis);
			p->t[p->n - 1].basis = hdst;	/* until settled */
			hdst = NULL;
		}
		free(share);
		free(rel);
		free(dst);
		free(hrel);
		free(hdst);
		if (r != 0)
			break;
	}
	pthread_mutex_unlock(&p->d->mu);
	if (r == 0 && !all && p->home == NULL) {
		r = err_set(&p->cause, FERRY_ERR_DENIED, "%s: %s may not write "
		    "%s, and has no home folder to publish into instead: ask "
		    "the studio for access", path, p->ep, denied);
		publish_audit(p, "publish.refused", json_pack("{s:s, s:s, "
		    "s:s}", "path", path, "denied", denied, "why", p->cause));
	}
	/* The home folder's names become the destinations, if it is that. */
	for (i = first; i < p->n; i++) {
		if (r == 0 && !all && p->t[i].basis == NULL)
			r = FERRY_ERR_NOMEM;
		if (r == 0 && !all) {
			free(p->t[i].dst_path);
			p->t[i].dst_path = p->t[i].basis;
		} else
			free(p->t[i].basis);
		p->t[i].basis = NULL;
	}
	if (r == 0)
		r = publish_dest(p, path, all, denied, top_share, top_rel,
		    top_dst);
	free(denied);
	return (r);
}

/* One PATH the person named: listed by their agent, then placed. */
static int
publish_path(struct publish *p, const char *path)
{
	struct share_map_result	 own;
	json_t			*files = NULL;
	char			*root = NULL, *why, *share = NULL;
	char			*rel = NULL, *dst = NULL, *full = NULL;
	char			 platform[16] = "";
	int			 r, ok;

	/* As that machine writes it: a Windows one below its drive root. */
	pthread_mutex_lock(&p->d->mu);
	if (hub_endpoint_platform(p->d, p->ep) != NULL)
		snprintf(platform, sizeof platform, "%s",
		    hub_endpoint_platform(p->d, p->ep));
	pthread_mutex_unlock(&p->d->mu);
	r = share_map_translate_for(p->m, p->ep, p->ep, *platform ? platform :
	    NULL, path, strlen(path), &own, &p->cause);
	if (r != 0) {
		why = p->cause;
		p->cause = NULL;
		err_set(&p->cause, r, "%s: %s ('ferry root set SHARE PATH' "
		    "says where a share lies on this machine)", path, why);
		free(why);
		return (r);
	}
	if ((r = expand_root(own.path, own.relative, &root, &p->cause)) == 0 &&
	    asprintf(&full, "%s%s%s", root, *own.relative ? "/" : "",
	    own.relative) == -1)
		r = FERRY_ERR_NOMEM;
	if (r == 0)
		r = publish_list(p, full, root, &files);
	pthread_mutex_lock(&p->d->mu);
	if (r == 0)
		r = publish_onprem(p, own.path, &share, &rel, &dst, &ok);
	pthread_mutex_unlock(&p->d->mu);
	if (r == 0)
		r = publish_files(p, path, full, files, share, rel, dst);
	share_map_result_clear(&own);
	json_decref(files);
	free(root);
	free(full);
	free(share);
	free(rel);
	free(dst);
	return (r);
}

/* The meta every publish job carries: who, for which task, and where. */
static char *
publish_meta(struct publish *p, const json_t *task, const json_t *note)
{
	json_t	*pub, *meta;
	char	*text;

	pub = json_pack("{s:s, s:O}", "by", p->ep, "paths", p->dests);
	if (pub != NULL && task != NULL)
		json_object_set(pub, "task", (json_t *)(uintptr_t)task);
	if (pub != NULL && note != NULL)
		json_object_set(pub, "note", (json_t *)(uintptr_t)note);
	meta = json_pack("{s:o}", "publish", pub);
	text = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
	json_decref(meta);
	return (text);
}

/*
 * Whether path is absolute on the machine that sent it: POSIX, or a
 * Windows agent's drive (C:\\, C:/) or UNC path; the share map parses it.
 */
static int
publish_absolute(const char *path)
{
	if (path[0] == '/')
		return (1);
	if (((path[0] >= 'A' && path[0] <= 'Z') || (path[0] >= 'a' &&
	    path[0] <= 'z')) && path[1] == ':' && (path[2] == '\\' ||
	    path[2] == '/'))
		return (1);
	return (path[0] == '\\' && path[1] == '\\');
}

/* Checks what was asked, and finds the person's home folder. */
static int
publish_setup(struct publish *p, const json_t *req)
{
	const json_t		*paths = json_object_get(req, "paths");
	const json_t		*task = publish_opt(req, "task");
	const json_t		*note = publish_opt(req, "note");
	const json_t		*v;
	enum store_clearance	 cl = STORE_CLEARANCE_NONE;
	const char		*hrel;
	char			*hshare;
	size_t			 i;
	int			 r;

	if (p->ep == NULL)
		return (err_set(&p->cause, FERRY_ERR_INVAL, "ferry publish "
		    "runs on a vendor's or an employee's machine, through its "
		    "ferryd: on the hub, use 'ferry send'"));
	if (strcmp(p->ep, p->to) == 0)
		return (err_set(&p->cause, FERRY_ERR_INVAL, "%s is the hub's "
		    "own site: use 'ferry send'", p->ep));
	if (json_array_size(paths) == 0)
		return (err_set(&p->cause, FERRY_ERR_INVAL, "publish needs "
		    "paths"));
	json_array_foreach(paths, i, v) {
		if (!json_is_string(v) || !publish_absolute(
		    json_string_value(v)))
			return (err_set(&p->cause, FERRY_ERR_INVAL, "publish "
			    "needs absolute paths (/..., C:\\..., "
			    "\\\\host\\share\\...)"));
	}
	if ((task != NULL && (!json_is_string(task) ||
	    json_string_length(task) == 0 || json_string_length(task) >
	    PUBLISH_TASK_MAX || strspn(json_string_value(task),
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
	    != json_string_length(task))) || (note != NULL &&
	    (!json_is_string(note) || json_string_length(note) >
	    PUBLISH_NOTE_MAX)))
		return (err_set(&p->cause, FERRY_ERR_INVAL, "--task takes an "
		    "ftrack id (letters, digits, '-'), --note at most %d "
		    "bytes", PUBLISH_NOTE_MAX));
	p->max_files = conf_int(p->d->conf.max_job_files, JOBS_MAX_FILES);
	pthread_mutex_lock(&p->d->mu);
	r = names_share_map(p->d, &p->m, &p->cause);
	if (r == 0 && store_user_get(p->d->store, p->ep, &cl, NULL) == 0)
		p->restricted = cl == STORE_CLEARANCE_RESTRICTED;
	if (r == 0 && home_get(p->d, p->ep, &p->home) == 0) {
		hrel = strchr(p->home, ':') + 1;
		if ((hshare = strndup(p->home, (size_t)(hrel - p->home -
		    1))) == NULL || home_share_root(p->d, hshare,
		    &p->home_root, NULL) != 0) {
			free(p->home);
			p->home = NULL;
		}
		free(hshare);
	}
	pthread_mutex_unlock(&p->d->mu);
	return (r);
}

static void
publish_clear(struct publish *p)
{
	size_t	i;

	for (i = 0; i < p->n; i++) {
		free(p->t[i].src_path);
		free(p->t[i].dst_path);
		free(p->t[i].basis);
	}
	free(p->t);
	share_map_free(p->m);
	free(p->home);
	free(p->home_root);
	json_decref(p->lines);
	json_decref(p->dests);
	free(p->cause);
}

/* Stores the job: from the person's machine to the hub's site. */
static int
publish_store(struct publish *p, const json_t *req, int64_t *id)
{
	struct store_job	 job;
	char			*meta;
	int			 r;

	if ((meta = publish_meta(p, publish_opt(req, "task"),
	    publish_opt(req, "note"))) == NULL)
		return (FERRY_ERR_NOMEM);
	memset(&job, 0, sizeof job);
	job.submitter = (char *)(uintptr_t)p->by;
	job.from_site = (char *)(uintptr_t)p->ep;
	/* A person's agent's: max-agent-jobs (hub-relay.c). */
	job.agent_jobs_max = json_integer_value(json_object_get(req,
	    "_jobs_max"));
	job.to_site = (char *)(uintptr_t)p->to;
	job.note = (char *)(uintptr_t)json_string_value(json_object_get(req,
	    "note"));
	job.meta = meta;
	pthread_mutex_lock(&p->d->mu);
	/* The person's machine is a source site, named by their e-mail. */
	store_site_add(p->d->store, p->ep, clock_now(), NULL);
	r = store_job_create(p->d->store, &job, p->t, p->n, clock_now(), id,
	    &p->cause);
	pthread_mutex_unlock(&p->d->mu);
	free(meta);
	return (r);
}

json_t *
publish_api(struct ferryd *d, const char *op, const json_t *req, uid_t uid)
{
	struct publish	 p;
	const json_t	*v;
	json_t		*rep;
	int64_t		 id = 0;
	size_t		 i;
	int		 r;

	memset(&p, 0, sizeof p);
	p.d = d;
	p.ep = json_string_value(json_object_get(req, "_endpoint"));
	p.by = json_string_value(json_object_get(req, "_by"));
	p.to = d->conf.site;
	p.lines = json_array();
	p.dests = json_array();
	r = publish_setup(&p, req);
	json_array_foreach(json_object_get(req, "paths"), i, v) {
		if (r == 0)
			r = publish_path(&p, json_string_value(v));
	}
	if (r == 0)
		jobs_tasks_dedupe(p.t, &p.n);
	if (r == 0 && p.n == 0)
		r = err_set(&p.cause, FERRY_ERR_NOTFOUND, "nothing to publish: "
		    "no file under the paths given");
	if (r == 0)
		r = publish_store(&p, req, &id);
	if (r != 0) {
		rep = publish_error(p.cause ? p.cause : err_str(r));
		log_warnx("publish refused, by %s: %s", p.by ? p.by : "?",
		    p.cause ? p.cause : err_str(r));
	} else {
		rep = json_pack("{s:I, s:I, s:s, s:O, s:O, s:b}", "id",
		    (json_int_t)id, "files", (json_int_t)p.n, "to", p.to,
		    "lines", p.lines, "destinations", p.dests, "done", 1);
		log_info("job %jd: publish of %zu files from %s to %s, by %s",
		    (intmax_t)id, p.n, p.ep, p.to, p.by);
		dispatch_wake(d);
	}
	publish_clear(&p);
	return (rep);
}
