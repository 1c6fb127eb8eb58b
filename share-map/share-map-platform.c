/*
 * Translation for a machine of a given platform (share-map.h): an agent
 * says in its hello whether it is a Linux, Windows or macOS machine, and
 * the hub takes, of the roots the map gives its site, those of that
 * kind. The platform only chooses among the roots of one site: whatever
 * an agent claims, it gets one of its own site's roots, never another
 * site's, and the share and the path inside it (what ACLs are checked
 * on) do not depend on it.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "share-map.h"

/*
 * The roots a platform's machine can open, best first. A Windows agent
 * takes its drive root, else the UNC one, else a POSIX one (which it
 * opens on the current drive: wine's Z: drive is the whole Linux tree,
 * and tests/win/agent.sh gives its agent such a root). A Mac takes its
 * own, else a POSIX one. Unknown (no agent linked to say): any, the
 * Linux one first, as before platforms were reported.
 */
static const struct {
	const char	*name;
	enum share_os	 os[SHARE_OS_COUNT + 1];
} share_platforms[] = {
	{ "linux", { SHARE_OS_LINUX, SHARE_OS_DEFAULT } },
	{ "windows", { SHARE_OS_WINDOWS, SHARE_OS_UNC, SHARE_OS_LINUX,
	    SHARE_OS_DEFAULT } },
	{ "macos", { SHARE_OS_MAC, SHARE_OS_LINUX, SHARE_OS_DEFAULT } },
	{ NULL, { SHARE_OS_LINUX, SHARE_OS_WINDOWS, SHARE_OS_UNC,
	    SHARE_OS_MAC, SHARE_OS_DEFAULT } },
};

const char *
share_platform_name(const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && share_platforms[i].name != NULL; i++) {
		if (strcmp(share_platforms[i].name, name) == 0)
			return (share_platforms[i].name);
	}
	return (NULL);
}

int
share_platform_known(const char *name)
{
	return (share_platform_name(name) != NULL);
}

/* The roots platform's machine takes, in order; unknown's for NULL. */
static const enum share_os *
share_platform_oses(const char *platform)
{
	size_t	i;

	for (i = 0; share_platforms[i].name != NULL; i++) {
		if (platform != NULL &&
		    strcmp(share_platforms[i].name, platform) == 0)
			break;
	}
	return (share_platforms[i].os);
}

enum share_os
share_platform_os(const char *platform, size_t i)
{
	const enum share_os	*os = share_platform_oses(platform);
	size_t			 k;

	for (k = 0; k < i && os[k] != SHARE_OS_DEFAULT; k++)
		;
	return (os[k]);
}

int
share_map_translate_for(const struct share_map *m, const char *from_site,
    const char *to_site, const char *platform, const char *path, size_t len,
    struct share_map_result *res, char **cause)
{
	return (share_map_translate_for_cached(m, NULL, from_site, to_site,
	    platform, path, len, res, cause));
}

int
share_map_translate_for_cached(const struct share_map *m,
    struct share_map_cache *c, const char *from_site, const char *to_site,
    const char *platform, const char *path, size_t len,
    struct share_map_result *res, char **cause)
{
	const enum share_os	*os = share_platform_oses(platform);
	char			*first = NULL, *why;
	size_t			 i;
	int			 r = FERRY_ERR_NOTFOUND;

	/*
	 * Only a missing root of that kind moves on to the next kind: a
	 * name Windows cannot hold, a ".." out of the share, a path under
	 * no share are the path's faults, whichever root it would get.
	 */
	for (i = 0; os[i] != SHARE_OS_DEFAULT && r == FERRY_ERR_NOTFOUND;
	    i++) {
		why = NULL;
		r = share_map_translate_cached(m, c, from_site, to_site, os[i],
		    path, len, res, cause != NULL ? &why : NULL);
		if (r == FERRY_ERR_NOTFOUND && first == NULL) {
			first = why;	/* the best kind's is the one to say */
			why = NULL;
		}
		if (r != 0 && r != FERRY_ERR_NOTFOUND && cause != NULL) {
			free(*cause);
			*cause = why;	/* transferred */
			why = NULL;
		}
		free(why);
	}
	if (r == FERRY_ERR_NOTFOUND && cause != NULL) {
		free(*cause);
		*cause = first;		/* transferred */
		first = NULL;
	}
	free(first);
	return (r);
}

/* Whether path is a drive or UNC path, whose separators are '\\' too. */
static int
share_path_windows(const char *path)
{
	return ((isalpha((unsigned char)path[0]) && path[1] == ':') ||
	    (path[0] == '\\' && path[1] == '\\'));
}

/*
 * Whether path's last nr bytes are rel ('/'-separated, as the share map
 * gives it); in a Windows path, whose names the map split at either
 * separator, '\\' stands for '/' too. In a POSIX path '\\' is part of a
 * name.
 */
static int
share_path_ends_with(const char *path, size_t np, const char *rel,
    size_t nr)
{
	const char	*p = path + np - nr;
	size_t		 i;

	if (!share_path_windows(path))
		return (strcmp(p, rel) == 0);
	for (i = 0; i < nr; i++) {
		if (p[i] != rel[i] && !(rel[i] == '/' && p[i] == '\\'))
			return (0);
	}
	return (1);
}

int
share_map_path_root(const char *path, const char *rel, char **root,
    char **cause)
{
	size_t	np = strlen(path), nr = strlen(rel);
	char	sep;

	if (nr == 0) {
		*root = strdup(path);
		return (*root == NULL ? FERRY_ERR_NOMEM : 0);
	}
	sep = np > nr ? path[np - nr - 1] : '\0';
	if (np <= nr + 1 || !share_path_ends_with(path, np, rel, nr) ||
	    (sep != '/' && !(sep == '\\' && share_path_windows(path))))
		return (err_set(cause, FERRY_ERR_NOSHARE, "%s: cannot tell its "
		    "share root from %s", path, rel));
	if ((*root = strndup(path, np - nr - 1)) == NULL)
		return (FERRY_ERR_NOMEM);
	return (0);
}
