#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "tree.h"

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
		if (*p == '\0')
			return (0);
		comp = p + 1;
	}
}

/* Opens (and with create, makes) directory name below dirfd. */
static int
tree_open_dir(int dirfd, const char *name, int create)
{
	int	fd;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && create) {
		if (mkdirat(dirfd, name, 0755) == -1 && errno != EEXIST)
			return (-1);
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	}
	return (fd);
}

int
tree_open_parent(int rootfd, const char *rel, int create, int *dirfd,
    const char **base, char **cause)
{
	char		 comp[256];
	const char	*p = rel, *slash;
	int		 fd, next;
	size_t		 n;

	if ((fd = dup(rootfd)) == -1)
		return (err_set(cause, FERRY_ERR_IO, "dup: %s",
		    strerror(errno)));
	while ((slash = strchr(p, '/')) != NULL) {
		n = (size_t)(slash - p);
		if (n == 0 || n >= sizeof comp) {
			close(fd);
			return (err_set(cause, FERRY_ERR_BADNAME,
			    "\"%s\": bad component", rel));
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		if ((next = tree_open_dir(fd, comp, create)) == -1) {
			int saved = errno;

			close(fd);
			return (err_set(cause, FERRY_ERR_IO, "%.*s: %s",
			    (int)(slash - rel), rel, saved == ELOOP ||
			    saved == ENOTDIR ? "not a directory (a symlink "
			    "or a file is in the way)" : strerror(saved)));
		}
		close(fd);
		fd = next;
		p = slash + 1;
	}
	*dirfd = fd;
	*base = p;
	return (0);
}

int
tree_link_inside(const char *rel, const char *target)
{
	const char	*p;
	long		 depth = 0;
	size_t		 n;

	if (*target == '\0' || *target == '/')
		return (0);
	/* The link's own directory depth is where resolution starts. */
	for (p = rel; *p != '\0'; p++)
		depth += (*p == '/');
	for (p = target; *p != '\0';) {
		n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return (0);
		} else if (n > 0 && !(n == 1 && p[0] == '.'))
			depth++;
		p += n;
		if (*p == '/')
			p++;
	}
	return (1);
}
