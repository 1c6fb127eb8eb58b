/*
 * The hub's "compare" (docs/agent.md, "A send that finds its files
 * there"): before it stores a send, the hub asks the receiving agent
 * which of a page of files it holds already, as a receiver's quick check
 * would find them (size and mtime, transfer_same_file). Those are
 * recorded done without a transfer; the rest are sent as always. The
 * agent only looks: it writes, creates and removes nothing, follows no
 * symlink and names nothing outside the root the hub gave it.
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "beneath.h"
#include "compat.h"
#include "err.h"
#include "ferryd.h"
#include "transfer.h"
#include "tree.h"

/* The parent directory of the last name, kept while names share it. */
struct compare_dir {
	int	 rootfd;
	int	 fd;		/* -1: none open, or not openable */
	char	*name;		/* relative to the root; NULL: none yet */
};

static int
compare_dir_fd(struct compare_dir *cd, const char *rel, size_t dlen)
{
	if (cd->name != NULL && strlen(cd->name) == dlen &&
	    strncmp(cd->name, rel, dlen) == 0)
		return (cd->fd);
	if (cd->fd != -1 && cd->fd != cd->rootfd)
		close(cd->fd);
	free(cd->name);
	cd->fd = -1;
	if ((cd->name = strndup(rel, dlen)) == NULL)
		return (-1);
	if (dlen == 0)
		cd->fd = cd->rootfd;
	else
		cd->fd = beneath_openat(cd->rootfd, cd->name, O_PATH |
		    O_DIRECTORY, 0);
	return (cd->fd);
}

/* '1' for each name the agent holds as described, '0' otherwise. */
static int
compare_page(const json_t *msg, char *same, size_t n, char **cause)
{
	const json_t		*names = json_object_get(msg, "names");
	const json_t		*sizes = json_object_get(msg, "sizes");
	const json_t		*secs = json_object_get(msg, "mtimes");
	const json_t		*nsecs = json_object_get(msg, "nsecs");
	const char		*root = json_string_value(json_object_get(msg,
				    "root"));
	const char		*rel, *slash;
	struct compare_dir	 cd;
	json_int_t		 ns;
	size_t			 i;
	int			 dfd, r = 0;

	memset(same, '0', n);
	/*
	 * Absolute: '/' first (also on Windows under wine, as the tests
	 * give a transfer.start's root), or a drive or UNC on Windows.
	 */
	if (root == NULL || (*root != '/' && !compat_path_absolute(root)))
		return (err_set(cause, FERRY_ERR_PROTO, "compare: the root is "
		    "not an absolute path"));
	/* A root not there yet holds nothing: all '0', no error. */
	if ((cd.rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return (0);
	cd.fd = -1;
	cd.name = NULL;
	for (i = 0; r == 0 && i < n; i++) {
		rel = json_string_value(json_array_get(names, i));
		ns = json_integer_value(json_array_get(nsecs, i));
		if (rel == NULL || (r = tree_check_relpath(rel, cause)) != 0) {
			if (r == 0)
				r = err_set(cause, FERRY_ERR_PROTO, "compare: "
				    "name %zu is not a string", i + 1);
			break;
		}
		if (ns < 0 || ns > 999999999) {
			r = err_set(cause, FERRY_ERR_PROTO, "compare: %s: "
			    "nanoseconds out of range", rel);
			break;
		}
		slash = strrchr(rel, '/');
		dfd = compare_dir_fd(&cd, rel, slash != NULL ?
		    (size_t)(slash - rel) : 0);
		if (dfd != -1 && transfer_same_file(dfd, slash != NULL ?
		    slash + 1 : rel, (uint64_t)json_integer_value(
		    json_array_get(sizes, i)), json_integer_value(
		    json_array_get(secs, i)), (uint32_t)ns))
			same[i] = '1';
	}
	if (cd.fd != -1 && cd.fd != cd.rootfd)
		close(cd.fd);
	free(cd.name);
	close(cd.rootfd);
	return (r);
}

json_t *
node_compare(struct ferryd *d, const json_t *msg)
{
	size_t	 n = json_array_size(json_object_get(msg, "names"));
	char	*same, *cause = NULL;
	json_t	*rep;
	int	 r = 0;

	(void)d;
	if (n > COMPARE_MAX || json_array_size(json_object_get(msg,
	    "sizes")) != n || json_array_size(json_object_get(msg,
	    "mtimes")) != n || json_array_size(json_object_get(msg,
	    "nsecs")) != n)
		r = err_set(&cause, FERRY_ERR_PROTO, "compare: names, sizes, "
		    "mtimes and nsecs must be as long as each other, and at "
		    "most %d", COMPARE_MAX);
	if ((same = malloc(n + 1)) == NULL) {
		free(cause);
		return (NULL);
	}
	same[n] = '\0';
	if (r == 0)
		r = compare_page(msg, same, n, &cause);
	rep = json_pack("{s:O?, s:s?, s:s?}", "re", json_object_get(msg,
	    "req"), "same", r == 0 ? same : NULL, "error", r != 0 ?
	    (cause != NULL ? cause : err_str(r)) : NULL);
	free(same);
	free(cause);
	return (rep);
}
