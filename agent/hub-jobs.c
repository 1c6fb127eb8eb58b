/*
 * Jobs on the hub: the local API's share, site and ACL requests, and
 * send, which makes a job of a request's paths (checked against the
 * ACLs and the share map, a task per file). hub-jobs-query.c answers
 * the requests about jobs made; hub-dispatch.c runs them.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "buf.h"
#include "clock.h"
#include "expand.h"
#include "frames.h"
#include "hub-jobplan.h"
#include "hub-liststat.h"
#include "hub-names.h"
#include "hub-sftp.h"
#include "partial.h"
#include "saved.h"
#include "conf.h"
#include "err.h"
#include "ferryd.h"
#include "hub-compare.h"
#include "hub-jobs-int.h"
#include "identity.h"
#include "link.h"
#include "log.h"
#include "sequence.h"
#include "share-map.h"
#include "store.h"
#include "transfer.h"
#include "tree.h"


/* An error answer: what went wrong, in the daemon's words. */
json_t *
jobs_error(const char *msg)
{
	return (json_pack("{s:s, s:b}", "error", msg, "done", 1));
}

json_t *
jobs_share_import(struct ferryd *d, const char *op, const json_t *req,
    uid_t uid)
{
	struct share_map	*m = NULL;
	const char		*text;
	char			*cause = NULL, who[300];
	int64_t			 version = 0;
	json_t			*rep;
	int			 r;

	if ((text = json_string_value(json_object_get(req, "map"))) == NULL)
		return (jobs_error("share.import needs the map's text"));
	/* Check it fully before it replaces the map in use. */
	r = share_map_load_text(text, strlen(text), "the imported map", &m,
	    &cause);
	share_map_free(m);
	if (r == 0) {
		caller_uid(req, uid, who, sizeof who);
		pthread_mutex_lock(&d->mu);
		r = store_share_set(d->store, text, who, clock_now(),
		    &version, &cause);
		pthread_mutex_unlock(&d->mu);
	}
	rep = r != 0 ? jobs_error(cause ? cause : err_str(r)) :
	    json_pack("{s:I, s:b}", "version", (json_int_t)version, "done", 1);
	free(cause);
	return (rep);
}

/* share.get: the share map in use, as imported (ferry doctor reads it). */
json_t *
jobs_share_get(struct ferryd *d, const char *op, const json_t *req,
    uid_t uid)
{
	char	*json = NULL, *cause = NULL;
	int64_t	 version = 0;
	json_t	*rep;
	int	 r;

	pthread_mutex_lock(&d->mu);
	r = store_share_get(d->store, &json, &version, &cause);
	pthread_mutex_unlock(&d->mu);
	rep = r != 0 ? jobs_error(cause ? cause : err_str(r)) :
	    json_pack("{s:s?, s:I, s:b}", "map", json, "version",
	    (json_int_t)version, "done", 1);
	free(json);
	free(cause);
	return (rep);
}

/*
 * site.set: a site's bandwidth cap (0: none), public address, transfer
 * window and its time zone (hub-window.c), for a site the hub knows.
 */
json_t *
jobs_site_set(struct ferryd *d, const char *op, const json_t *req,
    uid_t uid)
{
	const char	*site = json_string_value(json_object_get(req, "site"));
	const json_t	*bwv = json_object_get(req, "bwlimit");
	const char	*addr = json_string_value(json_object_get(req,
			    "address"));
	const json_t	*winv = json_object_get(req, "window");
	const json_t	*tzv = json_object_get(req, "tz");
	const json_t	*relay = json_object_get(req, "relay");
	const json_t	*sv = json_object_get(req, "streams");
	json_int_t	 bw = json_integer_value(bwv);
	struct hub_link	*l;
	char		*cause = NULL, key[300], who[256];
	json_t		*rep;
	int		 r = 0;

	if (site == NULL || (bwv != NULL && (!json_is_integer(bwv) ||
	    bw < 0)) || (bwv == NULL && addr == NULL && winv == NULL &&
	    tzv == NULL && relay == NULL && sv == NULL) || (addr != NULL &&
	    (strlen(addr) > 127 || strcspn(addr, " \t\r\n/") !=
	    strlen(addr))) || (winv != NULL && !json_is_string(winv)) ||
	    (tzv != NULL && !json_is_string(tzv)) || (relay != NULL &&
	    !json_is_boolean(relay)) || (sv != NULL && (!json_is_integer(sv) ||
	    json_integer_value(sv) < 0 || json_integer_value(sv) >
	    STORE_STREAMS_MAX)))
		return (jobs_error("site.set needs a site, and a bwlimit, "
		    "an address (a host, no port), a window, a tz, relay "
		    "(true or false) or streams (1 to 16; 0: the hub's "
		    "choice)"));
	/* The public address an admin vouches for (links.c). */
	snprintf(key, sizeof key, "address:%s", site);
	if (names_site(d, site, &cause) != 0) {
		rep = jobs_error(cause);
		free(cause);
		return (rep);
	}
	pthread_mutex_lock(&d->mu);
	store_site_add(d->store, site, clock_now(), NULL);
	if (bwv != NULL)
		r = store_site_set_bwlimit(d->store, site, bw, &cause);
	if (r == 0 && addr != NULL)
		r = store_meta_set(d->store, key, addr, &cause);
	if (r == 0 && relay != NULL)
		r = store_relay_site_set(d->store, site, json_is_true(relay),
		    &cause);
	if (r == 0 && relay != NULL)
		audit_note(d, caller_name(req, uid, who, sizeof who),
		    "site.relay", json_pack("{s:s, s:b}", "site", site, "relay",
		    json_is_true(relay)));
	if (r == 0 && sv != NULL)
		r = store_streams_site_set(d->store, site,
		    (int)json_integer_value(sv), &cause);
	if (r == 0 && sv != NULL)
		audit_note(d, caller_name(req, uid, who, sizeof who),
		    "site.streams", json_pack("{s:s, s:I}", "site", site,
		    "streams", json_integer_value(sv)));
	if (r == 0 && (winv != NULL || tzv != NULL))
		r = hub_window_set(d, site, req, caller_name(req, uid, who,
		    sizeof who), &cause);
	else if (r == 0 && bwv != NULL)
		hub_window_tick(d);	/* running transfers take the cap */
	/* Linked agents of the site are reached there from now on. */
	for (l = d->hub_links; r == 0 && addr != NULL && l != NULL;
	    l = l->next) {
		if (l->site == NULL || strcmp(l->site, site) != 0)
			continue;
		free(l->pub);
		l->pub = *addr != '\0' ? strdup(addr) : NULL;
	}
	pthread_mutex_unlock(&d->mu);
	rep = r != 0 ? jobs_error(cause ? cause : err_str(r)) :
	    json_pack("{s:b}", "done", 1);
	free(cause);
	return (rep);
}

static int
jobs_site_cb(void *arg, const struct store_site *s)
{
	return (json_array_append_new(json_object_get(arg, "sites"),
	    json_string(s->name)));
}

static int
jobs_user_cb(void *arg, const char *email, enum store_clearance cl)
{
	return (json_array_append_new(json_object_get(arg, "users"),
	    json_pack("{s:s, s:s}", "email", email, "clearance",
	    store_clearance_name(cl))));
}

/*
 * endpoints: every site and user a job can start or end at, with the
 * hub's own site and which of them have an agent connected now.
 */
json_t *
jobs_endpoints(struct ferryd *d, const char *op, const json_t *req,
    uid_t uid)
{
	struct hub_link	*l;
	json_t		*rep;
	char		*cause = NULL;
	int		 r;

	rep = json_pack("{s:s, s:[], s:[], s:[], s:b}", "hub_site",
	    d->conf.site, "sites", "users", "connected", "done", 1);
	if (rep == NULL)
		return (NULL);
	pthread_mutex_lock(&d->mu);
	r = store_site_list(d->store, jobs_site_cb, rep, &cause);
	if (r == 0)
		r = store_user_list(d->store, jobs_user_cb, rep, &cause);
	for (l = d->hub_links; l != NULL; l = l->next)
		json_array_append_new(json_object_get(rep, "connected"),
		    json_string(l->site ? l->site : l->user));
	pthread_mutex_unlock(&d->mu);
	if (r != 0) {
		json_decref(rep);
		rep = jobs_error(cause ? cause : err_str(r));
	}
	free(cause);
	return (rep);
}

/* acl.set and acl.delete: what a restricted user may read or write. */
json_t *
jobs_acl(struct ferryd *d, const char *op, const json_t *req,
    uid_t uid)
{
	const char		*who, *prefix, *access;
	enum store_access	 a = STORE_ACCESS_READ;
	char			*cause = NULL, by[300];
	json_t			*rep;
	int			 r;

	who = json_string_value(json_object_get(req, "principal"));
	prefix = json_string_value(json_object_get(req, "prefix"));
	access = json_string_value(json_object_get(req, "access"));
	if (who == NULL || prefix == NULL || (strcmp(op, "acl.set") == 0 &&
	    (access == NULL || store_access_parse(access, &a) != 0)))
		return (jobs_error("acl needs a principal, a SHARE:PATH prefix "
		    "and, to set, read or write"));
	if (strcmp(op, "acl.set") == 0 && (names_principal(d, who,
	    &cause) != 0 || names_share(d, prefix, &cause) != 0)) {
		rep = jobs_error(cause ? cause : "unknown name");
		free(cause);
		return (rep);
	}
	pthread_mutex_lock(&d->mu);
	if (strcmp(op, "acl.set") == 0)
		r = store_acl_set(d->store, who, prefix, a, &cause);
	else
		r = store_acl_delete(d->store, who, prefix, &cause);
	pthread_mutex_unlock(&d->mu);
	if (r == 0)
		log_info("%s %s %s %s, by %s", op, who, prefix, access ?
		    access : "", caller_uid(req, uid, by, sizeof by));
	rep = r != 0 ? jobs_error(cause ? cause : err_str(r)) :
	    json_pack("{s:b}", "done", 1);
	free(cause);
	return (rep);
}


/*
 * Files in one send: JOBS_MAX_FILES (hub-jobplan.h). Seconds an agent
 * may take to list one send: each page is waited
 * for JOBS_PAGE_WAIT, and without a total an agent that answers
 * "more" forever would hold the asking thread forever; ten million
 * files at a few thousand a second list in about an hour.
 */
#define JOBS_MAX_LIST_TIME	3600L

/*
 * Seconds the hub waits for one page of a listing. A page is 4,096
 * files, each opened and stat'ed below the share's held folder; a busy
 * agent (or one under a sanitizer) took over 15 s for one, so the page
 * wait is not the control exchange's. An agent that stops answering is
 * still let go after this, and max-list-time bounds the whole.
 */
#define JOBS_PAGE_WAIT		60

/*
 * Whether endpoint (a site or a user) may read (the source) or write (the
 * destination) res. Sites and employees may do both; a restricted user
 * only what an ACL grants. Caller holds d->mu.
 */
static int
jobs_allowed(struct jobs_build *b, const char *endpoint,
    const struct share_map_result *res, enum store_access access)
{
	enum store_clearance	 cl;
	char			*path = NULL;
	int			 ok = 0, *known = NULL;

	/*
	 * The endpoints' clearances are read once per job, not once per
	 * file: three queries a file were a tenth of a 20,000-file job.
	 */
	if (endpoint == b->from)
		known = &b->restricted[0];
	else if (endpoint == b->to)
		known = &b->restricted[1];
	if (known == NULL || (*known != 0 && *known != 1)) {
		ok = store_user_get(b->d->store, endpoint, &cl, NULL) == 0 &&
		    cl == STORE_CLEARANCE_RESTRICTED;
		/* An SFTP site is a vendor's: only what an ACL grants. */
		if (b->sftp != NULL && strcmp(endpoint, b->sftp->conf.site) ==
		    0)
			ok = 1;
		if (known != NULL)
			*known = ok;
	} else
		ok = *known;
	if (!ok)
		return (1);
	ok = 0;
	if (asprintf(&path, "%s:%s", res->share, res->relative) == -1)
		return (0);
	if (store_acl_check(b->d->store, endpoint, path, access, &ok,
	    NULL) != 0)
		ok = 0;
	free(path);
	return (ok);
}

/*
 * Each end's platform now, which chooses among its roots (a Windows
 * agent's drive root): its linked agent's, not known if none is linked
 * (the dispatcher translates again with the agent it starts the transfer
 * with). Caller holds d->mu.
 */
static void
jobs_platforms(struct jobs_build *b)
{
	const char	*f = hub_endpoint_platform(b->d, b->from);
	const char	*t = hub_endpoint_platform(b->d, b->to);

	snprintf(b->from_platform, sizeof b->from_platform, "%s", f ? f : "");
	snprintf(b->to_platform, sizeof b->to_platform, "%s", t ? t : "");
}

/* Translates path from the source to site; a failure names path. */
static int
jobs_translate(struct jobs_build *b, const char *path, const char *site,
    struct share_map_result *res)
{
	const char	*platform;
	char		*why;
	int		 r;

	if (b->sftp != NULL && (strcmp(site, b->sftp->conf.site) == 0 ||
	    strcmp(b->from, b->sftp->conf.site) == 0))
		r = sftp_plan_translate(b->sftp, b->m, b->from, site, path,
		    res, &b->cause);
	else {
		platform = site == b->to ? b->to_platform : b->from_platform;
		if (b->tc == NULL)
			b->tc = share_map_cache_new();	/* NULL: in full */
		r = share_map_translate_for_cached(b->m, b->tc, b->from, site,
		    *platform ? platform : NULL, path, strlen(path), res,
		    &b->cause);
	}
	if (r != 0) {
		why = b->cause;
		b->cause = NULL;
		err_set(&b->cause, r, "%s: %s", path, why);
		free(why);
	}
	return (r);
}

/*
 * Whether the sender may have the basis hint for path used: the receiver
 * answers it with the basis's block map, and a crafted delta can copy its
 * blocks, so a restricted sender must be allowed to read it. ferry's own
 * hidden files are never a basis. Caller holds d->mu.
 */
static int
jobs_basis_allowed(struct jobs_build *b, const char *path, const char *basis)
{
	struct share_map_result	 res;
	int			 r;

	if ((r = jobs_translate(b, basis, b->to, &res)) != 0)
		return (r);
	if ((r = tree_check_relpath(res.relative, &b->cause)) != 0)
		;
	else if (!jobs_allowed(b, b->from, &res, STORE_ACCESS_READ))
		r = err_set(&b->cause, FERRY_ERR_DENIED, "%s: %s may not read "
		    "%s:%s (the basis)", path, b->from, res.share,
		    res.relative);
	share_map_result_clear(&res);
	return (r);
}

/* Adds the file at path (as the source sees it) as one task. */
static int
jobs_add_file(struct jobs_build *b, const char *path, int64_t size,
    const struct stat *sb)
{
	struct share_map_result	 res;
	struct store_task	*v;
	const char		*basis = NULL;
	int			 r, unlocked;

	/* Counted before anything is kept: a cap on the plan's disk too. */
	if (++b->files > b->max_files) {
		b->list_limit = "max-job-files";
		return (err_set(&b->cause, FERRY_ERR_TOOBIG, "%s: more than %ld "
		    "files in one send (max-job-files in the hub's "
		    "ferryd.conf)", b->from, b->max_files));
	}
	if ((r = jobs_translate(b, path, b->to, &res)) != 0)
		return (r);
	if (b->basis != NULL)
		basis = json_string_value(json_object_get(b->basis, path));
	/*
	 * A restricted receiver gets only what it may read; a restricted
	 * sender (a vendor publishing back) writes only where it may. What
	 * an agent listed is checked as if the hub had: never one of
	 * ferry's own files.
	 */
	/*
	 * Once both ends are known to be unrestricted (the first file asks)
	 * and no basis is named, no check reads the store: d->mu is not
	 * taken for each file (a lock and an unlock a file, against every
	 * transfer's reports, in a send of 20,000).
	 */
	unlocked = basis == NULL && b->restricted[0] == 0 &&
	    b->restricted[1] == 0;
	if (!unlocked)
		pthread_mutex_lock(&b->d->mu);
	if ((r = tree_check_relpath(res.relative, &b->cause)) != 0)
		;
	else if (!jobs_allowed(b, b->to, &res, STORE_ACCESS_READ))
		r = err_set(&b->cause, FERRY_ERR_DENIED, "%s: %s may not "
		    "read %s:%s", path, b->to, res.share, res.relative);
	else if (!jobs_allowed(b, b->from, &res, STORE_ACCESS_WRITE))
		r = err_set(&b->cause, FERRY_ERR_DENIED, "%s: %s may not "
		    "write %s:%s", path, b->from, res.share, res.relative);
	else if (basis != NULL)
		r = jobs_basis_allowed(b, path, basis);
	if (!unlocked)
		pthread_mutex_unlock(&b->d->mu);
	if (r != 0) {
		share_map_result_clear(&res);
		return (r);
	}
	if ((v = store_task_slot(&b->t, b->n, &b->cap)) == NULL) {
		share_map_result_clear(&res);
		return (FERRY_ERR_NOMEM);
	}
	v->src_path = strdup(path);
	v->dst_path = res.path;
	v->size = size;
	/* For the compare (hub-compare.h): the listing's own look. */
	if (sb != NULL) {
		v->mtime_sec = sb->st_mtim.tv_sec;
		v->mtime_nsec = (uint32_t)sb->st_mtim.tv_nsec;
		v->has_mtime = 1;
	}
	/* A basis hint: an earlier version, as the source names it. */
	if (basis != NULL)
		v->basis = strdup(basis);
	res.path = NULL;	/* transferred */
	share_map_result_clear(&res);
	b->n++;
	if (v->src_path == NULL)
		return (FERRY_ERR_NOMEM);
	/* A page's worth asked about; all answered before a spill. */
	compare_note(&b->cmp, b->t, b->n, b->n >= JOBPLAN_SPILL);
	if (b->n < JOBPLAN_SPILL)
		return (0);
	/* A big job's files so far go to disk (hub-jobplan.c). */
	compare_restart(&b->cmp);
	return (jobplan_spill(&b->plan, b->t, &b->n, &b->cause));
}

static int
jobs_add_local(const char *path, const struct stat *sb, void *arg)
{
	struct jobs_build	*b = arg;
	int			 r;

	/* The dispatcher may take this stat for its own (hub-liststat.h). */
	if ((r = jobs_add_file(b, path, sb->st_size, sb)) == 0)
		liststat_note(b->ls, b->root, path, sb);
	/* A whole batch of a send stored while listed: stored now. */
	if (r == 0 && b->st != NULL && b->n >= JOBSTORE_BATCH)
		r = jobstream_batch(b);
	return (r);
}

/* A file an SFTP site listed, by its path on the server. */
static int
jobs_add_sftp(const char *path, int64_t size, void *arg)
{
	return (jobs_add_file(arg, path, size, NULL));
}

/*
 * Where path lies at the source: its share root and the part below it,
 * as the share map says, never as the text's symlinks or ".." would.
 */
static int
jobs_split(struct jobs_build *b, const char *path, char **root, char **rel)
{
	struct share_map_result	 res;
	int			 r;

	if ((r = jobs_translate(b, path, b->from, &res)) != 0)
		return (r);
	if ((r = expand_root(res.path, res.relative, root, &b->cause)) == 0) {
		*rel = res.relative;
		res.relative = NULL;	/* transferred */
	}
	share_map_result_clear(&res);
	return (r);
}

/*
 * The source is the hub: each path expanded below its share root, its
 * sequences checked for missing frames first.
 */
static int
jobs_add_paths(struct jobs_build *b, const json_t *paths)
{
	const json_t	*p;
	char		*root = NULL, *rel = NULL, *path;
	size_t		 i;
	int		 r = 0;

	json_array_foreach(paths, i, p) {
		if ((r = frames_check(json_string_value(p), b->skip_missing,
		    &path, &b->cause)) != 0)
			break;
		if (b->ls == NULL)
			b->ls = liststat_new();	/* before the first stat */
		if ((r = jobs_split(b, path, &root, &rel)) == 0) {
			b->root = root;
			r = expand_path(root, rel, jobs_add_local, b,
			    &b->cause);
			b->root = NULL;
		}
		free(path);
		free(root);
		free(rel);
		root = rel = NULL;
		if (r != 0)
			break;
	}
	return (r);
}

/*
 * Whether path, as an agent listed it, is what the hub asked about: the
 * path asked itself, a file below it, or, for a sequence, a file in its
 * directory (which frames, the agent's expansion decides). Below by
 * clean components: the share map applies "..", so text would not do
 * (list-climb.sh).
 */
static int
jobs_listed_asked(const json_t *asked, const char *path)
{
	struct sequence	 seq;
	const json_t	*a;
	const char	*s, *slash, *below;
	char		*cause = NULL;
	size_t		 i, n;
	int		 r;

	json_array_foreach(asked, i, a) {
		s = json_string_value(a);
		/* By components, not text: "asked/../x" is not below it. */
		if ((below = transfer_src_rel(s, path)) != NULL)
			return (*below == '\0' || tree_check_relpath(below,
			    NULL) == 0);
		if ((r = sequence_parse(s, &seq, &cause)) > 0)
			sequence_clear(&seq);
		free(cause);
		cause = NULL;
		if (r <= 0 || (slash = strrchr(s, '/')) == NULL)
			continue;
		n = (size_t)(slash - s) + 1;
		if (strncmp(s, path, n) == 0 && strchr(path + n, '/') == NULL &&
		    tree_check_relpath(path + n, NULL) == 0)
			return (1);
	}
	return (0);
}

/* A page of what the source agent listed. */
static int
jobs_add_listed(void *arg, const json_t *rep)
{
	struct jobs_build	*b = arg;
	const json_t		*f, *files = json_object_get(rep, "files");
	const char		*err, *path;
	size_t			 i;
	int			 r = 0;

	if ((err = json_string_value(json_object_get(rep, "error"))) != NULL)
		return (err_set(&b->cause, json_is_true(json_object_get(rep,
		    "denied")) ? FERRY_ERR_DENIED : FERRY_ERR_NOTFOUND,
		    "at %s: %s", b->from, err));
	/* An agent lists no more than asked, nor for longer than allowed. */
	if (json_array_size(files) > JOBPLAN_PAGE) {
		b->list_limit = "page";
		return (err_set(&b->cause, FERRY_ERR_PROTO, "%s listed %zu "
		    "files in one page, more than the %d asked", b->from,
		    json_array_size(files), JOBPLAN_PAGE));
	}
	if (clock_now() - b->list_start > b->list_max) {
		b->list_limit = "max-list-time";
		return (err_set(&b->cause, FERRY_ERR_TOOBIG, "%s: still "
		    "listing after %ld s (max-list-time in the hub's "
		    "ferryd.conf)", b->from, b->list_max));
	}
	json_array_foreach(files, i, f) {
		path = json_string_value(json_object_get(f, "path"));
		if (r == 0 && path == NULL)
			r = err_set(&b->cause, FERRY_ERR_PROTO, "%s listed a "
			    "file without a path", b->from);
		if (r == 0 && !jobs_listed_asked(b->asked, path)) {
			b->list_limit = "outside";
			r = err_set(&b->cause, FERRY_ERR_PROTO, "%s listed %s, "
			    "not below %s", b->from, path, json_string_value(
			    json_array_get(b->asked, 0)));
		}
		if (r == 0)
			r = jobs_add_file(b, path, json_integer_value(
			    json_object_get(f, "size")), NULL);
	}
	return (r);
}

/*
 * The source is an agent: it lists the paths itself, over its control
 * link, since only it can see them, each below the share root the hub
 * names.
 */
static int
jobs_add_remote(struct jobs_build *b, const json_t *paths)
{
	json_t		*list, *roots, *p;
	char		*root, *rel;
	size_t		 i;
	int		 r = 0;

	/* Whether anyone is there to ask, before what to ask. */
	pthread_mutex_lock(&b->d->mu);
	if (hub_link_for(b->d, b->from, 0) == NULL)
		r = err_set(&b->cause, FERRY_ERR_UNREACHABLE, "no agent of %s "
		    "is connected to the hub", b->from);
	pthread_mutex_unlock(&b->d->mu);
	if (r != 0)
		return (r);
	list = json_array();
	roots = json_array();
	json_array_foreach(paths, i, p) {
		if ((r = jobs_split(b, json_string_value(p), &root, &rel)) != 0)
			break;
		json_array_append_new(roots, json_string(root));
		json_array_append_new(list, json_sprintf("%s%s%s", root,
		    *rel ? "/" : "", rel));
		free(root);
		free(rel);
	}
	/* In pages (hub-jobplan.c): a million files are not one message. */
	b->asked = list;
	b->list_start = clock_now();
	b->list_max = conf_int(b->d->conf.max_list_time, JOBS_MAX_LIST_TIME);
	pthread_mutex_lock(&b->d->mu);
	if (r == 0)
		r = hub_ask_pages(b->d, b->from, json_pack("{s:s, s:O, s:o, "
		    "s:b, s:i}", "op", "list", "paths", list, "roots", roots,
		    "skip_missing", b->skip_missing, "page", JOBPLAN_PAGE),
		    JOBS_PAGE_WAIT, jobs_add_listed, b, &b->cause);
	else
		json_decref(roots);
	/* A listing past a limit is an agent's doing: for the audit trail. */
	if (r != 0 && b->list_limit != NULL)
		audit_note_limited(b->d, b->from, "list.limit", json_pack(
		    "{s:s, s:s?}", "limit", b->list_limit, "error", b->cause));
	pthread_mutex_unlock(&b->d->mu);
	b->asked = NULL;
	json_decref(list);
	return (r);
}

static void
jobs_build_clear(struct jobs_build *b)
{
	size_t	i;

	compare_end(&b->cmp);
	for (i = 0; i < b->n; i++) {
		free(b->t[i].src_path);
		free(b->t[i].dst_path);
		free(b->t[i].basis);
	}
	free(b->t);
	jobplan_close(&b->plan);
	share_map_cache_free(b->tc);
	liststat_free(b->ls);
	share_map_free(b->m);
	hub_sftp_site_free(b->sftp);
	free(b->cause);
}

/*
 * A send refused for what it asked (a grant, a symlink, ferry's own
 * files): the audit trail says who tried what. Relayed from a person's
 * agent (req has _agent, which no local client may set),
 * AUDIT_AGENT_REFUSALS a minute per person: an agent may ask again and
 * again, each refusal quick (refused-flood.sh); a person's few mistakes
 * are each kept.
 */
static void
jobs_audit_refusal(struct ferryd *d, const char *who,
    const struct jobs_build *b, const json_t *req)
{
	json_t	*detail;
	char	*text;

	detail = json_pack("{s:s, s:s, s:s}", "from", b->from, "to", b->to,
	    "why", b->cause != NULL ? b->cause : "refused");
	if (json_object_get(req, "_agent") != NULL) {
		pthread_mutex_lock(&d->mu);
		audit_note_some(d, who, "send.refused",
		    AUDIT_AGENT_REFUSALS, detail);
		pthread_mutex_unlock(&d->mu);
		return;
	}
	text = detail != NULL ? json_dumps(detail, JSON_COMPACT) : NULL;
	pthread_mutex_lock(&d->mu);
	store_audit_add(d->store, clock_now(), who, "send.refused", text,
	    NULL);
	pthread_mutex_unlock(&d->mu);
	log_warnx("send refused, by %s: %s", who, b->cause != NULL ? b->cause :
	    "refused");
	free(text);
	json_decref(detail);
}

json_t *
jobs_send(struct ferryd *d, const char *op, const json_t *req,
    uid_t uid)
{
	struct jobs_build	 b;
	struct jobs_stream	 st;
	struct store_job	 job;
	struct jobs_settings	 js;
	json_t			*paths, *p, *rep;
	const char		*who = json_string_value(json_object_get(req,
				    "_by"));
	char			 uidname[512], by[300], *meta = NULL;
	int64_t			 id = 0;
	size_t			 i, files = 0;	/* stored */
	size_t			 found = 0;	/* of them, stored done */
	const json_t		*sv = json_object_get(req, "streams");
	int			 r = 0, no_relay, streamed = 0;

	/* Its own streams (hub-streams.c); absent: the site's or the plan's. */
	if (sv != NULL && (!json_is_integer(sv) || json_integer_value(sv) < 1 ||
	    json_integer_value(sv) > STORE_STREAMS_MAX))
		return (jobs_error("send: streams must be a whole number from 1 "
		    "to 16"));
	memset(&b, 0, sizeof b);
	b.restricted[0] = b.restricted[1] = -1;
	b.d = d;
	b.max_files = conf_int(d->conf.max_job_files, JOBS_MAX_FILES);
	b.from = json_string_value(json_object_get(req, "from"));
	b.to = json_string_value(json_object_get(req, "to"));
	b.basis = json_object_get(req, "basis");
	b.skip_missing = json_is_true(json_object_get(req, "skip_missing"));
	no_relay = json_is_true(json_object_get(req, "no_relay"));
	paths = json_object_get(req, "paths");
	if (b.from == NULL || b.to == NULL || json_array_size(paths) == 0)
		return (jobs_error("send needs --from, --to and paths"));
	if (strcmp(b.from, b.to) == 0)
		return (jobs_error("--from and --to name the same place"));
	json_array_foreach(paths, i, p) {
		if (!json_is_string(p))
			return (jobs_error("paths must be strings"));
	}
	if (who == NULL && json_is_string(json_object_get(req, "for"))) {
		/* A local tool (ferry-ftrack) acting for one of its users. */
		snprintf(uidname, sizeof uidname, "%.200s (via %s)",
		    json_string_value(json_object_get(req, "for")),
		    caller_uid(req, uid, by, sizeof by));
		who = uidname;
	} else if (who == NULL)
		who = caller_name(req, uid, uidname, sizeof uidname);
	/* Before the paths are listed: meta is refused on its own. */
	if ((r = jobmeta_check(req, &meta, &b.cause)) == 0 &&
	    (r = names_endpoint(d, b.from, &b.cause)) == 0)
		r = names_endpoint(d, b.to, &b.cause);
	pthread_mutex_lock(&d->mu);
	if (r == 0)
		r = names_share_map(d, &b.m, &b.cause);
	jobs_platforms(&b);
	/* Whether the receiver is asked what it holds (hub-compare.h). */
	if (r == 0)
		compare_begin(&b.cmp, d, b.from, b.to, b.m,
		    json_object_size(b.basis) > 0);
	pthread_mutex_unlock(&d->mu);
	if (r == 0 && (r = sftp_plan_open(d, b.from, b.to, b.m, &b.sftp,
	    &b.cause)) == 0 && b.sftp != NULL) {
		b.cmp.on = 0;		/* an SFTP end has no agent to ask */
		b.basis = NULL;		/* no delta over SFTP */
		if (strcmp(b.from, b.sftp->conf.site) == 0)
			r = sftp_plan_list(b.sftp, paths, jobs_add_sftp, &b,
			    &b.cause);
		else
			r = jobs_add_paths(&b, paths);
	} else if (r == 0 && strcmp(b.from, d->conf.site) != 0)
		r = jobs_add_remote(&b, paths);
	else if (r == 0) {
		/* One path, no basis: stored while listed (hub-jobs-int.h). */
		if (json_array_size(paths) == 1 &&
		    json_object_size(b.basis) == 0) {
			memset(&st, 0, sizeof st);
			st.req = req;
			st.who = who;
			st.meta = meta;
			st.js.no_relay = no_relay;
			st.js.streams = sv;
			b.st = &st;
		}
		r = jobs_add_paths(&b, paths);
	}
	if (b.st != NULL && b.st->opened) {
		streamed = 1;
		r = jobstream_end(&b, r);
		id = st.run.id;
		files = st.run.n;
		found = st.found;
	}
	/* The last answers, before the tasks move. */
	if (r == 0 && !streamed)
		compare_note(&b.cmp, b.t, b.n, 1);
	if (r == 0 && b.plan.nrun > 0 && b.n > 0)
		r = jobplan_spill(&b.plan, b.t, &b.n, &b.cause);
	if (r == 0)
		jobs_tasks_dedupe(b.t, &b.n);
	if (r == 0 && !streamed && b.n == 0 && b.plan.nrun == 0)
		r = err_set(&b.cause, FERRY_ERR_NOTFOUND, "nothing to send: no "
		    "file under the paths given");
	/* A streamed one's was made before its job (jobstream_batch). */
	if (r == 0 && !streamed)
		r = dispatch_relay_check(d, b.from, b.to, !no_relay, who,
		    &b.cause);
	if (r == FERRY_ERR_DENIED)
		jobs_audit_refusal(d, who, &b, req);
	if (r == 0 && !streamed) {
		liststat_seal(b.ls);	/* its index, before d->mu is taken */
		jobs_job_fill(&b, req, who, meta, &job);
		/*
		 * The job and its no-relay mark in one transaction. The
		 * commit is where a full disk says so (SQLITE_FULL): its
		 * error is the answer, or the job would be taken and lost.
		 */
		js.no_relay = no_relay;
		js.streams = sv;
		/* Handed over once the job's id is known (jobs_settle). */
		js.ls = b.ls;
		b.ls = NULL;
		/* A planned job in batches, d->mu let go between them. */
		if (b.plan.nrun > 0) {
			r = jobstore_stream(d, &job, jobplan_next, &b.plan,
			    jobs_settle, &js, &id, &files, &b.cause);
			found = b.plan.ndone;
		} else {
			/* Counted as stored: a file named twice, once. */
			for (i = 0; i < b.n; i++)
				found += b.t[i].state == STORE_DONE;
			pthread_mutex_lock(&d->mu);
			if ((r = store_batch_begin(d->store, &b.cause)) == 0) {
				r = store_job_create(d->store, &job, b.t,
				    files = b.n, clock_now(), &id, &b.cause);
				if (r == 0)
					r = jobs_settle(d, id, &js, &b.cause);
				r = store_batch_end(d->store, r, &b.cause);
			}
			pthread_mutex_unlock(&d->mu);
		}
		liststat_free(js.ls);	/* NULL unless the job was not made */
	}
	rep = r != 0 ? jobs_error(b.cause ? b.cause : err_str(r)) :
	    json_pack("{s:I, s:I, s:b}", "id", (json_int_t)id, "files",
	    (json_int_t)files, "done", 1);
	if (r == 0)
		dispatch_wake(d);
	if (r == 0)
		log_info("job %jd: %zu files from %s to %s, by %s",
		    (intmax_t)id, files, b.from, b.to, who);
	if (r == 0 && found > 0)
		log_info("job %jd: %zu of its files found at %s already, "
		    "not sent", (intmax_t)id, found, b.to);
	jobs_build_clear(&b);
	free(meta);
	return (rep);
}
