/*
 * What a path given to `ferry send` names: the file itself, every regular
 * file below a directory, or every frame of an image sequence. The hub
 * expands paths of its own site; an agent expands paths of its own when
 * the hub asks it to list them.
 *
 * A path is expanded below its share root (as that site sees it), never
 * through a symlink: each component is opened from the root (beneath.h),
 * so what is listed is what the ACLs were checked against. ferry's own
 * partial files and sidecars are never listed.
 */
#ifndef FERRY_EXPAND_H
#define FERRY_EXPAND_H

#include <sys/stat.h>

typedef int (*expand_fn)(const char *path, const struct stat *sb,
    void *arg);

/*
 * Calls add for every regular file that rel (below root; "" for root
 * itself) names, with its path (root/rel...), in directory order. Stops
 * at the first nonzero return of add and returns it. A symlink on the
 * way or below a directory, or one of ferry's hidden files named as rel,
 * is FERRY_ERR_DENIED; anything else that is neither a file nor a
 * directory FERRY_ERR_BADNAME; both with a cause naming it.
 */
int	expand_path(const char *root, const char *rel, expand_fn add,
	    void *arg, char **cause);

/*
 * Splits path into its share root and the part below it, given the part
 * below (rel, as the share map found it): 0 and *root (the caller frees
 * it), or FERRY_ERR_NOSHARE when path does not end in rel.
 */
int	expand_root(const char *path, const char *rel, char **root,
	    char **cause);

#endif
