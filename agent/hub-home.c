/*
 * Home folders on the hub's site: a person enrolled gets a folder of
 * their own below a share, `storage:vendors/EMAIL` by default for a
 * restricted user (ferryd.conf's home-folder) and `storage:people/EMAIL`
 * for an employee (employee-home-folder), with an ACL that lets them
 * read and write there. A publish they may not make where they asked
 * goes there instead (hub-publish.c).
 *
 * The folder is made at enrolment and checked again at each hello, so
 * that a share map imported after the enrolment still gives one. The
 * ACL is granted once: the meta row home:EMAIL says it was, so that an
 * admin who withdraws it later is not overruled at the next hello.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "beneath.h"
#include "buf.h"
#include "clock.h"
#include "err.h"
#include "ferryd.h"
#include "hub-home.h"
#include "hub-names.h"
#include "log.h"
#include "share-map.h"
#include "store.h"
#include "tree.h"

#define HOME_DEFAULT		"storage:vendors/{email}"
#define HOME_DEFAULT_EMP	"storage:people/{email}"

/*
 * The home folder's SHARE:PATH for a person, from the pattern for their
 * clearance; FERRY_ERR_NOTFOUND when it is "none". An e-mail that is not
 * one plain name (a '/', a leading dot, a control character) gets none.
 */
int
home_prefix(struct ferryd *d, const char *email, enum store_clearance cl,
    char **prefix, char **cause)
{
	const char	*pat, *at, *p;
	struct buf	 b;
	int		 r;

	pat = cl == STORE_CLEARANCE_RESTRICTED ? d->conf.home_folder :
	    d->conf.home_folder_emp;
	if (pat == NULL)
		pat = cl == STORE_CLEARANCE_RESTRICTED ? HOME_DEFAULT :
		    HOME_DEFAULT_EMP;
	if (strcmp(pat, "none") == 0)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "no home folders "
		    "for %s people (ferryd.conf says none)",
		    store_clearance_name(cl)));
	for (p = email; *p != '\0'; p++) {
		if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20 ||
		    *p == 0x7f)
			break;
	}
	if (*p != '\0' || *email == '.' || *email == '\0')
		return (err_set(cause, FERRY_ERR_BADNAME, "%s: not a name a "
		    "home folder can have", email));
	if ((at = strchr(pat, ':')) == NULL || at == pat)
		return (err_set(cause, FERRY_ERR_PARSE, "%s: home-folder %s is "
		    "not SHARE:PATH", CONF_NAME, pat));
	buf_init(&b, 0);
	for (p = pat; *p != '\0'; p++) {
		if (strncmp(p, "{email}", 7) == 0) {
			buf_addstr(&b, email);
			p += 6;
		} else
			buf_add(&b, p, 1);
	}
	r = tree_check_relpath(strchr(buf_str(&b), ':') + 1, cause);
	if (r == 0 && (*prefix = strdup(buf_str(&b))) == NULL)
		r = FERRY_ERR_NOMEM;
	buf_free(&b);
	return (r);
}

struct home_root {
	const char	*share;
	char		*root;
};

static int
home_root_cb(void *arg, const char *share, const char *root)
{
	struct home_root	*h = arg;

	if (strcmp(share, h->share) != 0)
		return (0);
	h->root = strdup(root);
	return (1);
}

/*
 * The hub site's root of share (allocated), where home folders are made.
 * Caller holds d->mu.
 */
int
home_share_root(struct ferryd *d, const char *share, char **root,
    char **cause)
{
	struct share_map	*m = NULL;
	struct home_root	 h = { share, NULL };
	int			 r;

	if ((r = names_share_map(d, &m, cause)) != 0)
		return (r);
	share_map_site_roots(m, d->conf.site, SHARE_OS_LINUX, home_root_cb,
	    &h);
	share_map_free(m);
	if (h.root == NULL)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "share %s has no "
		    "linux root at %s, the hub's site", share, d->conf.site));
	*root = h.root;
	return (0);
}

/* Makes rel (and the folders above it) below root, no symlink followed. */
static int
home_mkdir(const char *root, const char *rel, int *made, char **cause)
{
	const char	*base;
	struct stat	 sb;
	int		 rootfd, dirfd = -1, r;

	*made = 0;
	if ((rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", root,
		    strerror(errno)));
	r = tree_open_parent(rootfd, rel, 1, &dirfd, &base, cause);
	if (r == 0 && mkdirat(dirfd, base, 0777) == 0)
		*made = 1;
	else if (r == 0 && errno != EEXIST)
		r = err_set(cause, FERRY_ERR_IO, "%s/%s: %s", root, rel,
		    strerror(errno));
	if (r == 0 && (fstatat(dirfd, base, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISDIR(sb.st_mode)))
		r = err_set(cause, FERRY_ERR_DENIED, "%s/%s: not a folder (a "
		    "symlink or a file is in the way)", root, rel);
	if (dirfd != -1)
		close(dirfd);
	close(rootfd);
	return (r);
}

int
home_get(struct ferryd *d, const char *email, char **prefix)
{
	char	key[400];

	snprintf(key, sizeof key, "home:%s", email);
	return (store_meta_get(d->store, key, prefix, NULL));
}

/* Records the home folder and its grant, once. Caller holds d->mu. */
static int
home_grant(struct ferryd *d, const char *email, const char *prefix,
    const char *path, char **cause)
{
	char	 key[400], *had = NULL, *text;
	json_t	*detail;
	int	 r;

	snprintf(key, sizeof key, "home:%s", email);
	if (store_meta_get(d->store, key, &had, NULL) == 0 &&
	    strcmp(had, prefix) == 0) {
		free(had);
		return (0);
	}
	free(had);
	if ((r = store_batch_begin(d->store, cause)) != 0)
		return (r);
	r = store_acl_set(d->store, email, prefix, STORE_ACCESS_WRITE,
	    cause);
	if (r == 0)
		r = store_meta_set(d->store, key, prefix, cause);
	detail = json_pack("{s:s, s:s, s:s}", "prefix", prefix, "path", path,
	    "access", "write");
	text = detail != NULL ? json_dumps(detail, JSON_COMPACT) : NULL;
	if (r == 0)
		r = store_audit_add(d->store, clock_now(), email,
		    "home.created", text, cause);
	free(text);
	json_decref(detail);
	return (store_batch_end(d->store, r, cause));
}

void
home_ensure(struct ferryd *d, const char *email)
{
	enum store_clearance	 cl;
	char			*prefix = NULL, *root = NULL, *cause = NULL;
	char			*share = NULL, *path = NULL;
	const char		*rel;
	int			 r, made = 0;

	pthread_mutex_lock(&d->mu);
	r = store_user_get(d->store, email, &cl, &cause);
	if (r == 0)
		r = home_prefix(d, email, cl, &prefix, &cause);
	if (r == 0) {
		rel = strchr(prefix, ':') + 1;
		share = strndup(prefix, (size_t)(rel - prefix - 1));
		r = share == NULL ? FERRY_ERR_NOMEM :
		    home_share_root(d, share, &root, &cause);
	}
	pthread_mutex_unlock(&d->mu);
	if (r == 0)
		r = home_mkdir(root, rel, &made, &cause);
	if (r == 0 && asprintf(&path, "%s/%s", root, rel) == -1)
		r = FERRY_ERR_NOMEM;
	pthread_mutex_lock(&d->mu);
	if (r == 0)
		r = home_grant(d, email, prefix, path, &cause);
	if (r != 0 && r != FERRY_ERR_NOTFOUND)
		audit_note_limited(d, email, "home.failed", json_pack("{s:s}",
		    "why", cause ? cause : err_str(r)));
	pthread_mutex_unlock(&d->mu);
	if (r == 0 && made)
		log_info("%s: home folder %s made (%s)", email, prefix, path);
	else if (r != 0)
		log_warnx("%s: no home folder yet: %s", email, cause ? cause :
		    err_str(r));
	free(prefix);
	free(root);
	free(share);
	free(path);
	free(cause);
}

static int
home_acl_cb(void *arg, const char *who, const char *prefix,
    enum store_access a)
{
	return (json_array_append_new(arg, json_pack("{s:s, s:s, s:s}",
	    "principal", who, "prefix", prefix, "access",
	    store_access_name(a))));
}

/* acl.list: every grant, or one person's, with their home folders. */
json_t *
jobs_acl_list(struct ferryd *d, const char *op, const json_t *req,
    uid_t uid)
{
	const char	*who = json_string_value(json_object_get(req,
			    "principal"));
	json_t		*list = json_array(), *rep, *a;
	char		*cause = NULL, *home;
	size_t		 i;
	int		 r;

	pthread_mutex_lock(&d->mu);
	r = store_acl_list(d->store, who, home_acl_cb, list, &cause);
	json_array_foreach(list, i, a) {
		if (home_get(d, json_string_value(json_object_get(a,
		    "principal")), &home) != 0)
			continue;
		json_object_set_new(a, "home", json_boolean(strcmp(home,
		    json_string_value(json_object_get(a, "prefix"))) == 0));
		free(home);
	}
	pthread_mutex_unlock(&d->mu);
	rep = r != 0 ? json_pack("{s:s, s:b}", "error", cause ? cause :
	    err_str(r), "done", 1) : json_pack("{s:O, s:b}", "acls", list,
	    "done", 1);
	json_decref(list);
	free(cause);
	return (rep);
}
