/*
 * The share map: root shares and where each is mounted per platform and per
 * site, and translation of a path as one machine sees it into the path
 * another site or platform sees for the same file. See docs/share-map.md.
 *
 * Library tier: functions return 0 or a negative FERRY_ERR_* code and, when
 * a cause pointer is given, a newly allocated message the caller frees.
 */
#ifndef FERRY_SHARE_MAP_H
#define FERRY_SHARE_MAP_H

#include <stddef.h>

enum share_os {
	SHARE_OS_LINUX,
	SHARE_OS_MAC,
	SHARE_OS_WINDOWS,
	SHARE_OS_UNC,
	SHARE_OS_COUNT,
	SHARE_OS_DEFAULT = -1	/* the target site's only or first root */
};

/* "linux", "mac", "windows", "unc". */
const char	*share_os_name(enum share_os os);
/* Returns 0 and sets *os, or FERRY_ERR_INVAL for an unknown name. */
int		 share_os_parse(const char *name, enum share_os *os);

struct share_map;

/*
 * Loads a share map from a JSON file, or from len bytes of text (name is
 * used in messages). On error the cause names the file, and the line and
 * column or the JSON member (shares.storage.sites.la.linux) at fault.
 */
int	 share_map_load_file(const char *file, struct share_map **out,
	     char **cause);
int	 share_map_load_text(const char *text, size_t len, const char *name,
	     struct share_map **out, char **cause);
void	 share_map_free(struct share_map *m);

/*
 * 1 if the map names site: in its top-level "sites" (sites that see the
 * shares' defaults) or in a share's "sites". Typos are caught with it.
 */
int	 share_map_site_known(const struct share_map *m, const char *site);
/* 1 if the map has a share of that name. */
int	 share_map_share_known(const struct share_map *m, const char *name);
/* Appends the shares' names, ", "-separated. */
struct buf;
int	 share_map_shares_text(const struct share_map *m, struct buf *b);
/* Appends the names the map knows, ", "-separated, each once. */
struct buf;
int	 share_map_sites_text(const struct share_map *m, struct buf *b);

/*
 * Calls cb with each share's name and its root as site sees it on os
 * (a drive or UNC root written as Windows writes it: S:\\, \\\\fs\\x),
 * for checking them on disk or showing them; a share without such a root
 * for site is left out. cb returning non-zero stops the walk and is
 * returned.
 */
int	 share_map_site_roots(const struct share_map *m, const char *site,
	     enum share_os os, int (*cb)(void *, const char *, const char *),
	     void *arg);

/* A translated path. All strings are owned by the result. */
struct share_map_result {
	char		*share;		/* name of the share it is under */
	char		*relative;	/* '/'-separated path inside it; "" */
	char		*path;		/* the path as the target sees it */
	enum share_os	 os;		/* the platform of path */
};
void	 share_map_result_clear(struct share_map_result *res);

/*
 * Translates the len bytes at path, as from_site sees them (NULL: match
 * every root of every site), into the path to_site sees on to_os.
 * Longest matching root wins. Fails with FERRY_ERR_NOSHARE,
 * FERRY_ERR_TRAVERSAL (".." climbing out of the share), FERRY_ERR_BADNAME
 * (control characters, or a name the target platform cannot hold) or
 * FERRY_ERR_NOTFOUND (the target site has no root for that platform).
 */
int	 share_map_translate(const struct share_map *m, const char *from_site,
	     const char *to_site, enum share_os to_os, const char *path,
	     size_t len, struct share_map_result *res, char **cause);

/*
 * An agent's platform, from its hello: "linux", "windows" or "macos"
 * (compat_platform() on that machine). 1 if name is one of them.
 */
int	 share_platform_known(const char *name);
/* The same name as a constant of this library's table, or NULL. */
const char *share_platform_name(const char *name);
/*
 * The i-th kind of root a machine of platform takes (the order of
 * share_map_translate_for; NULL: not known), SHARE_OS_DEFAULT past the
 * last.
 */
enum share_os	 share_platform_os(const char *platform, size_t i);
/*
 * share_map_translate for a machine of platform (NULL: not known): the
 * target's roots of the kinds that machine opens, in its order (windows:
 * drive, UNC, POSIX; macos: mac, POSIX; linux: POSIX; not known: POSIX,
 * drive, UNC, mac); the next kind only where to_site has no root of one.
 * An unknown platform string is taken as not known: the caller checks
 * what an agent says with share_platform_known.
 */
int	 share_map_translate_for(const struct share_map *m,
	     const char *from_site, const char *to_site, const char *platform,
	     const char *path, size_t len, struct share_map_result *res,
	     char **cause);

/*
 * A cache of translations for one map, for translating many files of the
 * same directories (a send's every file, at submit and again at
 * dispatch): a directory is translated once, and each of its files costs
 * a check of its own name and a string join. The results, errors and
 * causes are exactly share_map_translate's: whatever the cache cannot
 * vouch for (a failed directory, a name that is ".", "..", too long, has
 * control characters or that Windows cannot hold, a share root just one
 * name below the directory) is translated in full. A cache serves one
 * map at a time: it starts over when given another, but a map freed and
 * another loaded at its address is not told apart, so the caller frees
 * the cache (or calls share_map_cache_reset) when it lets its map go.
 */
struct share_map_cache;
struct share_map_cache *share_map_cache_new(void);
void	 share_map_cache_reset(struct share_map_cache *c);
void	 share_map_cache_free(struct share_map_cache *c);
/* How many translations c answered with a join (for tests). */
size_t	 share_map_cache_hits(const struct share_map_cache *c);
/* share_map_translate and _for through c (NULL: no cache). */
int	 share_map_translate_cached(const struct share_map *m,
	     struct share_map_cache *c, const char *from_site,
	     const char *to_site, enum share_os to_os, const char *path,
	     size_t len, struct share_map_result *res, char **cause);
int	 share_map_translate_for_cached(const struct share_map *m,
	     struct share_map_cache *c, const char *from_site,
	     const char *to_site, const char *platform, const char *path,
	     size_t len, struct share_map_result *res, char **cause);

/*
 * Splits path (a translation's, or a path an agent listed) into its share
 * root and the part below it, rel as the share map found it ('/'-
 * separated): 0 and *root (the caller frees it), or FERRY_ERR_NOSHARE
 * when path does not end in rel. In a drive or UNC path '\\' separates
 * names as '/' does (C:\\ferry\\storage\\show\\a.exr with show/a.exr);
 * in a POSIX path it is part of a name.
 */
int	 share_map_path_root(const char *path, const char *rel, char **root,
	     char **cause);

#endif
