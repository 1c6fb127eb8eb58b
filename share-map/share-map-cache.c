/*
 * Translating the files of a directory at the cost of a join
 * (share-map.h, share_map_cache).
 *
 * Why a file's translation is its directory's and its name: the roots
 * that match dir/name are those that match dir, unless a root is dir
 * plus one name (share_map_root_below: then every file of that directory
 * is translated in full). The same roots in the same order give the same
 * pick; ".." is resolved in dir alone, since the name is never "..";
 * the target root does not depend on the path; the names below the root
 * are dir's, checked once, and the name, checked each time. What
 * path_parse refuses in the name (control characters, a name too long,
 * too many names, a path too long) sends the file to the full path, so
 * that each error and its cause are the full path's own.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "share-map-int.h"
#include "winpath.h"

/* One directory's translation for one (from, to, to_os). */
struct share_cache_slot {
	const struct share_map	*m;
	char			*from;		/* NULL: every site */
	char			*to;
	char			*dir;		/* its text, separator included */
	size_t			 dirlen;
	int			 ok;		/* 0: translate its files in full */
	size_t			 ncomp;		/* dir's names, after parsing */
	int			 check_names;	/* a Windows end: check each */
	int			 bare;		/* path is a bare root ("/") */
	struct share_map_result	 res;		/* dir's translation */
	size_t			 sharelen, rellen, pathlen;
};

/* One slot per kind of root asked for: _for asks for a few in turn. */
struct share_map_cache {
	struct share_cache_slot	 slot[SHARE_OS_COUNT + 1];
	size_t			 hits;
};

struct share_map_cache *
share_map_cache_new(void)
{
	return (calloc(1, sizeof (struct share_map_cache)));
}

static void
share_cache_slot_clear(struct share_cache_slot *s)
{
	free(s->from);
	free(s->to);
	free(s->dir);
	share_map_result_clear(&s->res);
	memset(s, 0, sizeof *s);
}

void
share_map_cache_reset(struct share_map_cache *c)
{
	size_t	i;

	for (i = 0; c != NULL && i < SHARE_OS_COUNT + 1; i++)
		share_cache_slot_clear(&c->slot[i]);
}

size_t
share_map_cache_hits(const struct share_map_cache *c)
{
	return (c != NULL ? c->hits : 0);
}

void
share_map_cache_free(struct share_map_cache *c)
{
	share_map_cache_reset(c);
	free(c);
}

static int
share_cache_str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

/*
 * The kind of path path_parse would find, or -1 where it would refuse the
 * start of it (the full path says why).
 */
static int
share_cache_kind(const char *s, size_t len)
{
	if (len >= 2 && (s[0] == '/' || s[0] == '\\') &&
	    (s[1] == '/' || s[1] == '\\'))
		return (PATH_UNC);
	if (len >= 1 && s[0] == '/')
		return (PATH_POSIX);
	if (len >= 3 && isalpha((unsigned char)s[0]) && s[1] == ':')
		return (PATH_DRIVE);
	return (-1);
}

/* Whether path_split would take name, alone, as a name as it is. */
static int
share_cache_name_plain(const char *name, size_t n)
{
	size_t		i;
	unsigned char	c;

	if (n == 0 || n > PATH_MAX_NAME || (n == 1 && name[0] == '.') ||
	    (n == 2 && name[0] == '.' && name[1] == '.'))
		return (0);
	for (i = 0; i < n; i++) {
		c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f)
			return (0);
	}
	return (1);
}

/* Fills slot s with the translation of directory dir, or marks it not ok. */
static int
share_cache_fill(struct share_cache_slot *s, const struct share_map *m,
    const char *from, const char *to, enum share_os to_os, const char *dir,
    size_t dirlen, enum path_kind kind)
{
	struct path	 d;
	const char	*p;
	char		 sep;

	share_cache_slot_clear(s);
	if ((from != NULL && (s->from = strdup(from)) == NULL) ||
	    (to != NULL && (s->to = strdup(to)) == NULL) ||
	    (s->dir = malloc(dirlen + 1)) == NULL) {
		share_cache_slot_clear(s);
		return (FERRY_ERR_NOMEM);
	}
	s->m = m;
	memcpy(s->dir, dir, dirlen);
	s->dir[dirlen] = '\0';
	s->dirlen = dirlen;
	if (path_parse(dir, dirlen, &d, NULL) != 0)
		return (0);	/* its files in full: they say why */
	s->ncomp = d.ncomp;
	if (d.kind != kind || share_map_root_below(m, &d) ||
	    share_map_translate(m, from, to, to_os, dir, dirlen, &s->res,
	    NULL) != 0) {
		path_clear(&d);
		share_map_result_clear(&s->res);
		return (0);
	}
	path_clear(&d);
	s->check_names = kind != PATH_POSIX || s->res.os == SHARE_OS_WINDOWS ||
	    s->res.os == SHARE_OS_UNC;
	s->sharelen = strlen(s->res.share);
	s->rellen = strlen(s->res.relative);
	s->pathlen = strlen(s->res.path);
	/* Only a bare root ("/", "S:\") ends in its separator. */
	sep = s->res.os >= SHARE_OS_WINDOWS ? '\\' : '/';
	p = s->res.path;
	s->bare = s->pathlen > 0 && p[s->pathlen - 1] == sep;
	s->ok = 1;
	return (0);
}

/* dir's translation and name: 0, or 1 where only the full path will do. */
static int
share_cache_join(const struct share_cache_slot *s, const char *name,
    size_t n, struct share_map_result *res)
{
	char	*cause = NULL;
	char	 sep = s->res.os >= SHARE_OS_WINDOWS ? '\\' : '/';
	size_t	 k;

	/* path_check_windows_name's rules, on the name's bytes. */
	if (s->check_names && winpath_check_name(name, n, &cause) != 0) {
		free(cause);
		return (1);
	}
	memset(res, 0, sizeof *res);
	res->os = s->res.os;
	res->share = malloc(s->sharelen + 1);
	res->relative = malloc(s->rellen + 1 + n + 1);
	res->path = malloc(s->pathlen + 1 + n + 1);
	if (res->share == NULL || res->relative == NULL || res->path == NULL) {
		share_map_result_clear(res);
		return (FERRY_ERR_NOMEM);
	}
	memcpy(res->share, s->res.share, s->sharelen + 1);
	memcpy(res->relative, s->res.relative, k = s->rellen);
	if (k > 0)
		res->relative[k++] = '/';
	memcpy(res->relative + k, name, n);
	res->relative[k + n] = '\0';
	memcpy(res->path, s->res.path, k = s->pathlen);
	if (!s->bare)
		res->path[k++] = sep;
	memcpy(res->path + k, name, n);
	res->path[k + n] = '\0';
	return (0);
}

int
share_map_translate_cached(const struct share_map *m,
    struct share_map_cache *c, const char *from_site, const char *to_site,
    enum share_os to_os, const char *path, size_t len,
    struct share_map_result *res, char **cause)
{
	struct share_cache_slot	*s;
	size_t			 i, dirlen;
	int			 kind, r;

	kind = c != NULL && len <= PATH_MAX_BYTES ?
	    share_cache_kind(path, len) : -1;
	if (kind == -1 || (int)to_os < SHARE_OS_DEFAULT ||
	    (int)to_os >= SHARE_OS_COUNT)
		return (share_map_translate(m, from_site, to_site, to_os, path,
		    len, res, cause));
	for (i = len; i > 0; i--) {
		if (path[i - 1] == '/' || (kind != PATH_POSIX &&
		    path[i - 1] == '\\'))
			break;
	}
	dirlen = i;
	s = &c->slot[to_os + 1];
	if (dirlen == 0 || !share_cache_name_plain(path + dirlen,
	    len - dirlen))
		return (share_map_translate(m, from_site, to_site, to_os, path,
		    len, res, cause));
	if (s->dir == NULL || s->m != m || s->dirlen != dirlen ||
	    memcmp(s->dir, path, dirlen) != 0 ||
	    !share_cache_str_eq(s->from, from_site) ||
	    !share_cache_str_eq(s->to, to_site)) {
		if ((r = share_cache_fill(s, m, from_site, to_site, to_os, path,
		    dirlen, (enum path_kind)kind)) != 0)
			return (r);
	}
	/* path_split refuses the name past PATH_MAX_COMPS. */
	if (!s->ok || s->ncomp + 1 > PATH_MAX_COMPS ||
	    (r = share_cache_join(s, path + dirlen, len - dirlen, res)) == 1)
		return (share_map_translate(m, from_site, to_site, to_os, path,
		    len, res, cause));
	c->hits += r == 0;
	return (r);
}
