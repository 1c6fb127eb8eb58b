#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "beneath.h"
#include "err.h"
#include "tree.h"

int
tree_is_ferry_name(const char *name, size_t n)
{
	static const char	*suffix[] = { TREE_PART, TREE_META, TREE_LINK };
	size_t			 i, k;

	if (n == 0 || name[0] != '.')
		return (0);
	for (i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		k = strlen(suffix[i]);
		if (n > k && memcmp(name + n - k, suffix[i], k) == 0)
			return (1);
	}
	return (0);
}

void
tree_tmp_name(const char *base, const char *suffix, char out[TREE_TMP_MAX])
{
	size_t	n = strlen(base), keep;

	if (1 + n + strlen(suffix) < TREE_TMP_MAX) {
		out[0] = '.';
		memcpy(out + 1, base, n);
		memcpy(out + 1 + n, suffix, strlen(suffix) + 1);
		return;
	}
	/* ".", a prefix of base, "~", 16 hex digits, the suffix: 255 bytes. */
	keep = TREE_TMP_MAX - 1 - 1 - 1 - 16 - strlen(suffix);
	snprintf(out, TREE_TMP_MAX, ".%.*s~%016llx%s", (int)keep, base,
	    (unsigned long long)XXH3_64bits(base, n), suffix);
}

int
tree_check_relpath(const char *rel, char **cause)
{
	const char	*p, *comp = rel;
	size_t		 n;

	if (*rel == '\0')
		return (err_set(cause, FERRY_ERR_BADNAME, "empty name"));
	if (*rel == '/')
		return (err_set(cause, FERRY_ERR_BADNAME,
		    "\"%s\": absolute name", rel));
	if (strlen(rel) > TREE_MAX_PATH)
		return (err_set(cause, FERRY_ERR_BADNAME,
		    "name longer than %d bytes", TREE_MAX_PATH));
	for (p = rel;; p++) {
		if (*p != '/' && *p != '\0') {
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return (err_set(cause, FERRY_ERR_BADNAME,
				    "\"%s\": control character in name", rel));
			continue;
		}
		n = (size_t)(p - comp);
		if (n == 0 || (n == 1 && comp[0] == '.'))
			return (err_set(cause, FERRY_ERR_BADNAME,
			    "\"%s\": empty or \".\" component", rel));
		if (n == 2 && comp[0] == '.' && comp[1] == '.')
			return (err_set(cause, FERRY_ERR_BADNAME,
			    "\"%s\": \"..\" would escape the destination",
			    rel));
		if (n > 255)
			return (err_set(cause, FERRY_ERR_BADNAME,
			    "\"%s\": a component is longer than 255 bytes",
			    rel));
		if (tree_is_ferry_name(comp, n))
			return (err_set(cause, FERRY_ERR_DENIED,
			    "%.*s: a ferry partial file or sidecar: never "
			    "sent", (int)(p - rel), rel));
		if (*p == '\0')
			return (0);
		comp = p + 1;
	}
}

/* Opens directory name below dirfd, made with mode if missing. */
static int
tree_open_dir(int dirfd, const char *name, mode_t mode)
{
	int	fd;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		if (mkdirat(dirfd, name, mode) == -1 && errno != EEXIST)
			return (-1);
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	}
	return (fd);
}

/*
 * Makes the missing directories of dir, one component at a time from the
 * root, none followed if it is a symlink. Returns the last one's fd, or -1
 * with errno.
 */
static int
tree_make_dirs(int rootfd, const char *dir, mode_t mode)
{
	char		 comp[256];
	const char	*p = dir;
	size_t		 n;
	int		 fd, next, saved;

	if ((fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return (-1);
	while (*p != '\0') {
		n = strcspn(p, "/");
		if (n == 0 || n >= sizeof comp) {
			close(fd);
			errno = EINVAL;
			return (-1);
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		next = tree_open_dir(fd, comp, mode);
		saved = errno;
		close(fd);
		if ((fd = next) == -1) {
			errno = saved;
			return (-1);
		}
		p += n;
		p += *p == '/';
	}
	return (fd);
}

int
tree_open_parent(int rootfd, const char *rel, int create, int *dirfd,
    const char **base, char **cause)
{
	return (tree_open_parent_mode(rootfd, rel, create ? 0755 : 0, dirfd,
	    base, cause));
}

int
tree_open_parent_mode(int rootfd, const char *rel, mode_t mode, int *dirfd,
    const char **base, char **cause)
{
	const char	*slash = strrchr(rel, '/');
	char		 dir[TREE_MAX_PATH + 1];
	size_t		 n = slash != NULL ? (size_t)(slash - rel) : 0;
	int		 fd;

	if (n > TREE_MAX_PATH)
		return (err_set(cause, FERRY_ERR_BADNAME, "\"%s\": name too "
		    "long", rel));
	memcpy(dir, rel, n);
	dir[n] = '\0';
	/* Usually there already: one call for the whole path. */
	fd = beneath_openat(rootfd, dir, O_RDONLY | O_DIRECTORY, 0);
	if (fd == -1 && errno == ENOENT && mode != 0)
		fd = tree_make_dirs(rootfd, dir, mode);
	if (fd == -1)
		return (beneath_error(rootfd, dir, errno, cause));
	*dirfd = fd;
	*base = slash != NULL ? slash + 1 : rel;
	return (0);
}

int
tree_link_inside(const char *rel, const char *target)
{
	const char	*p;
	long		 depth = 0;
	size_t		 n;
	int		 named = 0;

	if (*target == '\0' || *target == '/')
		return (0);
	/* The link's own directory depth is where resolution starts. */
	for (p = rel; *p != '\0'; p++)
		depth += (*p == '/');
	for (p = target; *p != '\0';) {
		n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (named || --depth < 0)
				return (0);
		} else if (n == 0 || (n == 1 && p[0] == '.'))
			return (0);
		else
			named = 1;
		p += n;
		if (*p == '/')
			p++;
	}
	return (1);
}
