/*
 * The directories a receiver writes into (recv-int.h), below recv.c and
 * recv-commit.c, which both open them: the last one stays open, and an
 * entry refused on the way is reported as a suspect. A file's failure is
 * marked here too: recv.c and stripe-recv.c both mark it.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "recv-int.h"

/* Tells the caller about an entry that broke the rules (transfer.h). */
void
recv_suspect(struct recv_stream *s, const char *rel, const char *why)
{
	const struct transfer_opts	*o = s->sh->o;

	if (o->suspect != NULL)
		o->suspect(rel, why != NULL ? why : "refused", o->suspect_arg);
}

/*
 * Like tree_open_parent, but keeps the last directory open: entries of one
 * directory come together, and walking the path for each costs a system
 * call per component. The fd is borrowed: do not close it.
 */
int
recv_parent(struct recv_stream *s, const char *rel, int create, int *dirfd,
    const char **base, char **cause)
{
	const char	*slash = strrchr(rel, '/');
	size_t		 n = slash != NULL ? (size_t)(slash - rel) : 0;
	char		*dir;
	int		 fd, r;

	*base = slash != NULL ? slash + 1 : rel;
	if (s->cache_fd != -1 && strlen(s->cache_dir) == n &&
	    strncmp(s->cache_dir, rel, n) == 0) {
		*dirfd = s->cache_fd;
		return (0);
	}
	if ((r = tree_open_parent(s->sh->rootfd, rel, create, &fd, base,
	    cause)) != 0) {
		if (r == FERRY_ERR_DENIED)
			recv_suspect(s, rel, *cause);
		return (r);
	}
	if ((dir = strndup(rel, n)) == NULL) {
		close(fd);
		return (FERRY_ERR_NOMEM);
	}
	if (s->cache_fd != -1)
		close(s->cache_fd);
	free(s->cache_dir);
	s->cache_dir = dir;
	s->cache_fd = fd;
	s->cache_parts = -1;
	s->cache_own = -1;
	s->cache_gen++;	/* recv-write.c's copy of it is stale */
	*dirfd = fd;
	return (0);
}

/* Marks the file failed; its remaining data will be read and dropped. */
void
recv_file_fail(struct recv_file *rf, const char *fmt, ...)
{
	va_list	ap;

	if (rf->failed)
		return;
	rf->failed = 1;
	free(rf->why);
	va_start(ap, fmt);
	if (vasprintf(&rf->why, fmt, ap) == -1)
		rf->why = NULL;
	va_end(ap);
}
