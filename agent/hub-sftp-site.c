/*
 * SFTP sites on the hub (hub-sftp.h, docs/sftp.md): adding and listing
 * them, and what planning a job to or from one needs. The hub is the
 * SFTP client; the store keeps the paths of the key, known_hosts and
 * passphrase files, and the hub reads them only when it connects.
 *
 * Paths: an SFTP site the share map names has its roots there, each at
 * or below the target's root; one it does not name sees the target's
 * root as the root of every share, so that a package lands below it as
 * it lies below the share on-prem, with no renaming.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "ferryd.h"
#include "hub-names.h"
#include "hub-sftp.h"
#include "log.h"
#include "secretfile.h"
#include "share-map.h"
#include "store.h"
#include "tree.h"

#define HUB_SFTP_TIMEOUT_MS	15000
/*
 * Files one pull may list: the server is the vendor's, and each name
 * costs the hub memory before the job is stored.
 */
#define HUB_SFTP_LIST_MAX	200000

int
hub_sftp_site_get(struct ferryd *d, const char *site,
    struct hub_sftp_site **out, char **cause)
{
	struct hub_sftp_site	*s;
	int			 r;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return (FERRY_ERR_NOMEM);
	r = store_sftp_get(d->store, site, &s->conf, NULL);
	if (r == FERRY_ERR_NOTFOUND) {
		free(s);
		return (0);
	}
	if (r == 0)
		r = sftp_target_parse(s->conf.target, &s->target, cause);
	if (r != 0) {
		hub_sftp_site_free(s);
		return (r);
	}
	*out = s;
	return (1);
}

void
hub_sftp_site_free(struct hub_sftp_site *s)
{
	if (s == NULL)
		return;
	store_sftp_clear(&s->conf);
	sftp_target_clear(&s->target);
	free(s);
}

int
hub_sftp_connect(const struct hub_sftp_site *s, const char *root,
    const struct sftp_opts *extra, struct sftp **out, char **cause)
{
	struct sftp_target	t = s->target;
	struct sftp_opts	o;
	struct buf		pass;
	int			r = 0;

	memset(&o, 0, sizeof o);
	if (extra != NULL)
		o = *extra;
	if (root != NULL)
		t.root = (char *)(uintptr_t)root;
	o.target = &t;
	o.key_file = s->conf.key_file;
	o.known_hosts = s->conf.known_hosts;
	if (o.timeout_ms == 0)
		o.timeout_ms = HUB_SFTP_TIMEOUT_MS;
	buf_init(&pass, 0);
	/* The first line of a file only the hub's user may read. */
	if (s->conf.passphrase_file != NULL) {
		r = secretfile_read(s->conf.passphrase_file, "passphrase file",
		    077, 0, &pass, cause);
		if (r == 0 && pass.data != NULL)
			pass.data[strcspn(pass.data, "\r\n")] = '\0';
		o.passphrase = pass.data != NULL ? pass.data : "";
	}
	if (r == 0)
		r = sftp_connect(&o, out, cause);
	secretfile_wipe(&pass);
	return (r);
}

int
hub_sftp_below(const struct hub_sftp_site *s, const char *p,
    const char **rel, char **cause)
{
	const char	*root = s->target.root;
	size_t		 n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	/* A relative name is below the root, if it climbs nowhere. */
	if (*p != '/' && *root == '/' && *p != '\0' &&
	    tree_check_relpath(p, NULL) == 0) {
		*rel = p;
		return (0);
	}
	if (strcmp(root, "/") == 0 && *p == '/') {
		*rel = p + 1;
		return (0);
	}
	if (strncmp(p, root, n) == 0 && (p[n] == '\0' || p[n] == '/')) {
		*rel = p[n] == '/' ? p + n + 1 : p + n;
		if (**rel == '\0' || tree_check_relpath(*rel, NULL) == 0)
			return (0);
	}
	return (err_set(cause, FERRY_ERR_DENIED, "%s: outside the root %s of "
	    "SFTP site %s: ferry touches nothing else on that server", p,
	    root, s->conf.site));
}

int
sftp_plan_open(struct ferryd *d, const char *from, const char *to,
    struct share_map *m, struct hub_sftp_site **out, char **cause)
{
	struct hub_sftp_site	*s = NULL, *t = NULL;
	int			 r;

	*out = NULL;
	pthread_mutex_lock(&d->mu);
	if ((r = hub_sftp_site_get(d, from, &s, cause)) >= 0)
		r = hub_sftp_site_get(d, to, &t, cause);
	pthread_mutex_unlock(&d->mu);
	if (r < 0 || (s == NULL && t == NULL)) {
		hub_sftp_site_free(s);
		return (r < 0 ? r : 0);
	}
	/* The hub is the client: the other end is its own site. */
	if (strcmp(s != NULL ? to : from, d->conf.site) != 0) {
		r = err_set(cause, FERRY_ERR_STATE, "%s is an SFTP site, "
		    "served by the hub: send between it and the hub's site %s (for "
		    "another site, send to %s first)", s != NULL ? from : to,
		    d->conf.site, d->conf.site);
		hub_sftp_site_free(s);
		hub_sftp_site_free(t);
		return (r);
	}
	*out = s != NULL ? s : t;
	(*out)->mapped = share_map_site_known(m, (*out)->conf.site);
	return (0);
}

/* The first share with a POSIX root at the site: where a pull lands. */
struct sftp_plan_share {
	char	*share;
	char	*root;
};

static int
sftp_plan_share_cb(void *arg, const char *share, const char *root)
{
	struct sftp_plan_share	*ps = arg;

	ps->share = strdup(share);
	ps->root = strdup(root);
	return (1);
}

/* A path on an unmapped SFTP site (a pull) as the hub's site sees it. */
static int
sftp_plan_pull_path(const struct hub_sftp_site *s, const struct share_map *m,
    const char *to, const char *path, struct share_map_result *res,
    char **cause)
{
	struct sftp_plan_share	 ps = { NULL, NULL };
	const char		*rel;
	int			 r;

	if ((r = hub_sftp_below(s, path, &rel, cause)) != 0)
		return (r);
	share_map_site_roots(m, to, SHARE_OS_LINUX, sftp_plan_share_cb, &ps);
	if (ps.share == NULL || ps.root == NULL) {
		free(ps.share);
		free(ps.root);
		return (err_set(cause, FERRY_ERR_NOTFOUND, "%s has no Linux "
		    "root in the share map for files from %s to land in", to,
		    s->conf.site));
	}
	memset(res, 0, sizeof *res);
	res->share = ps.share;
	res->relative = strdup(rel);
	if (asprintf(&res->path, "%s%s%s", ps.root, strcmp(ps.root, "/") ?
	    "/" : "", rel) == -1)
		res->path = NULL;
	res->os = SHARE_OS_LINUX;
	free(ps.root);
	if (res->relative == NULL || res->path == NULL) {
		share_map_result_clear(res);
		return (FERRY_ERR_NOMEM);
	}
	return (0);
}

int
sftp_plan_translate(const struct hub_sftp_site *s, const struct share_map *m,
    const char *from, const char *to, const char *path,
    struct share_map_result *res, char **cause)
{
	const char	*rel;
	char		*p;
	int		 r, pull = strcmp(from, s->conf.site) == 0;

	if (pull && !s->mapped)
		return (sftp_plan_pull_path(s, m, to, path, res, cause));
	if (pull && (r = hub_sftp_below(s, path, &rel, cause)) != 0)
		return (r);
	/* Mapped: as for any site; else the share as the source sees it. */
	r = share_map_translate(m, from, s->mapped || pull ? to : from,
	    SHARE_OS_LINUX, path, strlen(path), res, cause);
	if (r != 0 || pull)
		return (r);
	if (!s->mapped) {
		if (asprintf(&p, "%s%s%s", s->target.root, *res->relative ?
		    "/" : "", res->relative) == -1)
			p = NULL;
		free(res->path);
		res->path = p;
		if (p == NULL) {
			share_map_result_clear(res);
			return (FERRY_ERR_NOMEM);
		}
	}
	if ((r = hub_sftp_below(s, res->path, &rel, cause)) != 0)
		share_map_result_clear(res);
	return (r);
}

/* Listing the server for a pull. */
struct sftp_plan_walk {
	const struct hub_sftp_site	*s;
	int				(*add)(const char *, int64_t, void *);
	void				*arg;
	const char			*root;
	char				*refused;
	size_t				 n;
};

static int
sftp_plan_walk_cb(const char *rel, uint64_t size, int refused, void *arg)
{
	struct sftp_plan_walk	*w = arg;
	char			*p;
	int			 r;

	if (refused) {
		if (w->refused == NULL)
			w->refused = strdup(rel);
		return (0);
	}
	if (++w->n > HUB_SFTP_LIST_MAX)
		return (FERRY_ERR_TOOBIG);
	if (asprintf(&p, "%s%s%s", w->root, strcmp(w->root, "/") ? "/" : "",
	    rel) == -1)
		return (FERRY_ERR_NOMEM);
	r = w->add(p, (int64_t)size, w->arg);
	free(p);
	return (r);
}

int
sftp_plan_list(const struct hub_sftp_site *s, const json_t *paths,
    int (*add)(const char *, int64_t, void *), void *arg, char **cause)
{
	struct sftp_plan_walk	 w = { s, add, arg, s->target.root, NULL, 0 };
	struct sftp		*c = NULL;
	const json_t		*p;
	const char		*rel;
	size_t			 i;
	int			 r = 0;

	/* What may be asked at all, before connecting. */
	json_array_foreach(paths, i, p) {
		if ((r = hub_sftp_below(s, json_string_value(p), &rel,
		    cause)) != 0)
			return (r);
	}
	if ((r = hub_sftp_connect(s, NULL, NULL, &c, cause)) != 0)
		return (r);
	json_array_foreach(paths, i, p) {
		hub_sftp_below(s, json_string_value(p), &rel, NULL);
		if ((r = sftp_list(c, rel, sftp_plan_walk_cb, &w, cause)) != 0)
			break;
	}
	sftp_free(c);
	if (r == FERRY_ERR_TOOBIG && w.n > HUB_SFTP_LIST_MAX)
		r = err_set(cause, r, "SFTP site %s lists more than %d files "
		    "below the paths given: pull fewer at a time",
		    s->conf.site, HUB_SFTP_LIST_MAX);
	else if (r == 0 && w.refused != NULL)
		r = err_set(cause, FERRY_ERR_DENIED, "%s on SFTP site %s is a "
		    "symlink or a special file: ferry moves regular files only",
		    w.refused, s->conf.site);
	free(w.refused);
	return (r);
}

/*
 * The files an SFTP site names, checked as the hub will use them: the
 * key and the passphrase readable by the hub's user alone (as ssh asks),
 * known_hosts there. What they hold is not kept.
 */
static int
sftp_site_files(const struct store_sftp *s, char **cause)
{
	struct buf	b;
	int		fd, r;

	if (*s->key_file != '/' || *s->known_hosts != '/' ||
	    (s->passphrase_file != NULL && *s->passphrase_file != '/'))
		return (err_set(cause, FERRY_ERR_INVAL, "the key, known_hosts "
		    "and passphrase files must be absolute paths"));
	buf_init(&b, 0);
	r = secretfile_read(s->key_file, "key file", 077, 0, &b, cause);
	secretfile_wipe(&b);
	if (r == 0 && s->passphrase_file != NULL) {
		r = secretfile_read(s->passphrase_file, "passphrase file", 077,
		    0, &b, cause);
		secretfile_wipe(&b);
	}
	if (r == 0 && (fd = open(s->known_hosts, O_RDONLY | O_CLOEXEC)) == -1)
		r = err_set(cause, FERRY_ERR_NOTFOUND, "known_hosts file %s: "
		    "%s", s->known_hosts, strerror(errno));
	else if (r == 0)
		close(fd);
	return (r);
}

/* The audit record of a new SFTP site: paths, never what they hold. */
static void
sftp_site_audit(struct ferryd *d, const json_t *req, uid_t uid,
    const struct store_sftp *s)
{
	char	who[300];

	caller_uid(req, uid, who, sizeof who);
	audit_note(d, who, "site.add", json_pack("{s:s, s:s, s:s, s:s, "
	    "s:s, s:s?}", "site", s->site, "kind", "sftp", "target",
	    s->target, "key_file", s->key_file, "known_hosts",
	    s->known_hosts, "passphrase_file", s->passphrase_file));
}

json_t *
sftp_site_add(struct ferryd *d, const char *op, const json_t *req, uid_t uid)
{
	struct store_sftp	s;
	struct sftp_target	t;
	char			*cause = NULL, by[300];
	json_t			*rep;
	int			 r;

	memset(&s, 0, sizeof s);
	memset(&t, 0, sizeof t);
	s.site = (char *)(uintptr_t)json_string_value(json_object_get(req,
	    "site"));
	s.target = (char *)(uintptr_t)json_string_value(json_object_get(req,
	    "sftp"));
	s.key_file = (char *)(uintptr_t)json_string_value(json_object_get(req,
	    "key"));
	s.known_hosts = (char *)(uintptr_t)json_string_value(
	    json_object_get(req, "known_hosts"));
	s.passphrase_file = (char *)(uintptr_t)json_string_value(
	    json_object_get(req, "passphrase_file"));
	s.via = (char *)(uintptr_t)json_string_value(json_object_get(req,
	    "via"));
	if (s.site == NULL || s.target == NULL || s.key_file == NULL ||
	    s.known_hosts == NULL || *s.site == '\0' ||
	    strcspn(s.site, " \t\r\n/:") != strlen(s.site))
		return (json_pack("{s:s, s:b}", "error", "site add needs a "
		    "name (no spaces, '/' or ':'), --sftp "
		    "USER@HOST[:PORT]:ROOT, --key FILE and --known-hosts FILE", "done", 1));
	r = sftp_target_parse(s.target, &t, &cause);
	sftp_target_clear(&t);
	/* Only the hub acts as the client for now (docs/sftp.md). */
	if (r == 0 && s.via != NULL && strcmp(s.via, d->conf.site) != 0 &&
	    (d->conf.name == NULL || strcmp(s.via, d->conf.name) != 0))
		r = err_set(&cause, FERRY_ERR_INVAL, "--via %s: only the hub "
		    "acts as the SFTP client yet; leave --via out", s.via);
	s.via = NULL;
	if (r == 0)
		r = sftp_site_files(&s, &cause);
	pthread_mutex_lock(&d->mu);
	if (r == 0 && (r = store_sftp_add(d->store, &s, clock_now(),
	    &cause)) == 0)
		sftp_site_audit(d, req, uid, &s);
	pthread_mutex_unlock(&d->mu);
	if (r == 0)
		log_info("site %s added: SFTP %s, by %s", s.site, s.target,
		    caller_uid(req, uid, by, sizeof by));
	rep = r != 0 ? json_pack("{s:s, s:b}", "error", cause ? cause :
	    err_str(r), "done", 1) : json_pack("{s:s, s:s, s:b}", "site",
	    s.site, "kind", "sftp", "done", 1);
	free(cause);
	return (rep);
}

/*
 * A site's entry in the "sites" answer (hub-window.c) gets its kind and,
 * for an SFTP site, its server and the paths of its files (never what
 * they hold). Caller holds d->mu.
 */
void
sftp_site_describe(struct ferryd *d, const char *name, json_t *o)
{
	struct store_sftp	 s;
	struct hub_link		*l;

	if (o == NULL)
		return;
	if (store_sftp_get(d->store, name, &s, NULL) != 0) {
		l = hub_link_for(d, name, 0);
		json_object_set_new(o, "kind", json_string(strcmp(name,
		    d->conf.site) == 0 ? "hub" : "agent"));
		json_object_set_new(o, "connected", json_boolean(l != NULL ||
		    strcmp(name, d->conf.site) == 0));
		return;
	}
	json_object_set_new(o, "kind", json_string("sftp"));
	json_object_set_new(o, "target", json_string(s.target));
	json_object_set_new(o, "key_file", json_string(s.key_file));
	json_object_set_new(o, "known_hosts", json_string(s.known_hosts));
	if (s.passphrase_file != NULL)
		json_object_set_new(o, "passphrase_file",
		    json_string(s.passphrase_file));
	json_object_set_new(o, "client", json_string(d->conf.site));
	store_sftp_clear(&s);
}

/*
 * site.check: connects to an SFTP site's server as a job would, so that
 * an admin sees the host key's fingerprint (to compare with the
 * vendor's) and how files will be verified, before any job.
 */
json_t *
sftp_site_check(struct ferryd *d, const char *op, const json_t *req,
    uid_t uid)
{
	const char		*name = json_string_value(json_object_get(req,
				    "site"));
	struct hub_sftp_site	*s = NULL;
	struct sftp		*c = NULL;
	char			*cause = NULL;
	json_t			*rep;
	int			 r;

	if (name == NULL)
		return (json_pack("{s:s, s:b}", "error", "site.check needs a "
		    "site", "done", 1));
	pthread_mutex_lock(&d->mu);
	r = hub_sftp_site_get(d, name, &s, &cause);
	pthread_mutex_unlock(&d->mu);
	if (r == 0)
		r = err_set(&cause, FERRY_ERR_NOTFOUND, "%s is not an SFTP "
		    "site ('ferry sites' lists them)", name);
	else if (r == 1)
		r = hub_sftp_connect(s, NULL, NULL, &c, &cause);
	rep = r != 0 ? json_pack("{s:s, s:b}", "error", cause ? cause :
	    err_str(r), "done", 1) : json_pack("{s:s, s:s, s:s, s:b, s:b}",
	    "site", name, "target", s->conf.target, "fingerprint",
	    sftp_fingerprint(c), "remote_hash", sftp_has_remote_hash(c),
	    "done", 1);
	sftp_free(c);
	hub_sftp_site_free(s);
	free(cause);
	return (rep);
}
