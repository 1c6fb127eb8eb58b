/*
 * Safe access to files below a destination root. The receiver never
 * trusts a name from the sender: names are checked (relative, no "..",
 * no "." or empty components, no control characters), and every directory
 * on the way is opened with O_NOFOLLOW, so neither ".." nor a symlink
 * planted in the tree can lead a write outside it.
 */
#ifndef FERRY_TREE_H
#define FERRY_TREE_H

#define TREE_MAX_PATH	4096

/*
 * Checks a relative path from the wire. Returns 0 or FERRY_ERR_BADNAME with
 * a cause naming the rule it breaks.
 */
int	tree_check_relpath(const char *rel, char **cause);

/*
 * Opens the directory holding rel below rootfd and sets *dirfd (the caller
 * closes it) and *base (the last component, pointing into rel). With
 * create, missing directories are made (mode 0755; the sender's modes are
 * applied at the end). A component that is a symlink or not a directory is
 * an error.
 */
int	tree_open_parent(int rootfd, const char *rel, int create, int *dirfd,
	    const char **base, char **cause);

/*
 * Whether a symlink at rel with target stays inside the tree: the target is
 * relative and, resolved from rel's directory, never climbs above the root.
 */
int	tree_link_inside(const char *rel, const char *target);

/* The hidden names beside a final name: the partial file and its sidecar. */
#define TREE_PART_FMT	".%s.ferry-part"
#define TREE_META_FMT	".%s.ferry-meta"

#endif
