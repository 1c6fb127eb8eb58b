/*
 * Safe access to files below a destination root. The receiver never
 * trusts a name from the sender: names are checked (relative, no "..",
 * no "." or empty components, no control characters, none of ferry's own
 * hidden files), and every directory on the way is opened beneath the
 * root without following a symlink (beneath.h), so neither ".." nor a
 * symlink planted in the tree can lead a write outside it.
 */
#ifndef FERRY_TREE_H
#define FERRY_TREE_H

#include <stddef.h>
#include <sys/types.h>

#define TREE_MAX_PATH	4096

/*
 * Checks a relative path from the wire. Returns 0 or FERRY_ERR_BADNAME with
 * a cause naming the rule it breaks. A component that is one of ferry's
 * own hidden files (tree_is_ferry_name) is FERRY_ERR_DENIED: they are
 * never sent, received or used as a basis.
 */
int	tree_check_relpath(const char *rel, char **cause);

/*
 * Whether the n bytes at name are one of ferry's own hidden files beside a
 * final name: a partial file, its sidecar, or a symlink being made.
 */
int	tree_is_ferry_name(const char *name, size_t n);

/*
 * Opens the directory holding rel below rootfd (see beneath.h: no symlink
 * on the way) and sets *dirfd (the caller closes it) and *base (the last
 * component, pointing into rel). With create, missing directories are
 * made (mode 0755; the sender's modes are applied at the end). A symlink
 * on the way is FERRY_ERR_DENIED, a file in the way FERRY_ERR_IO.
 */
int	tree_open_parent(int rootfd, const char *rel, int create, int *dirfd,
	    const char **base, char **cause);
/*
 * The same, the missing directories made with mode (less the umask) where
 * it is not 0; 0 makes none. A receiver's receive-umask narrows it.
 */
int	tree_open_parent_mode(int rootfd, const char *rel, mode_t mode,
	    int *dirfd, const char **base, char **cause);

/*
 * What every receiver (an agent's, the hub's SFTP pull) gives what
 * arrives: a sender's mode less setuid, setgid, sticky and others' write
 * (0775 is the most it keeps), less the receive-umask (0-077, whose
 * owner's bits are never taken); and a directory it makes on the way,
 * 0755 less the same (then the process's umask).
 */
#define TREE_RECV_MASK		0775u
static inline mode_t
tree_recv_mode(unsigned mode, unsigned recv_umask)
{
	return ((mode_t)(mode & TREE_RECV_MASK & ~(recv_umask & 077u)));
}

static inline mode_t
tree_recv_dir_mode(unsigned recv_umask)
{
	return ((mode_t)(0755u & ~(recv_umask & 077u)));
}

/*
 * Whether a symlink at rel with target stays inside the tree: the target
 * is relative, climbs with leading ".." components only, no higher than
 * rel's directory lies below the root, and then names plain components.
 * A ".." after a name could climb out of a directory reached through
 * another symlink, so it is refused whatever the depth says.
 */
int	tree_link_inside(const char *rel, const char *target);

/*
 * The hidden names beside final name base: the partial file, its sidecar,
 * and a symlink being made. They fit in NAME_MAX whatever base's length:
 * a long base is shortened and a hash of it added.
 */
#define TREE_PART	".ferry-part"
#define TREE_META	".ferry-meta"
#define TREE_LINK	".ferry-link"
#define TREE_TMP_MAX	256
void	tree_tmp_name(const char *base, const char *suffix,
	    char out[TREE_TMP_MAX]);

#endif
