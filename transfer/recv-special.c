/*
 * The entries of a batch that are not regular files (recv-int.h):
 * directories, made at once and given their mode and time at the end,
 * and symlinks, made only when their target stays inside the tree; and
 * the mode any entry is given. Below recv.c, which plans with them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "recv-int.h"
#include "tree.h"

/* The mode to give an entry; a setuid, setgid or sticky bit is noted. */
uint32_t
recv_mode(struct recv_stream *s, const struct msg_entry *e)
{
	/* A sender sets no setuid, setgid, sticky or o+w bit, never owners. */
	uint32_t	mode = tree_recv_mode(e->mode, s->sh->o->recv_umask);
	char		why[96];

	if (e->mode & 07000) {
		snprintf(why, sizeof why, "mode %04o: setuid, setgid and "
		    "sticky bits dropped (%04o)", (unsigned)e->mode,
		    (unsigned)mode);
		recv_suspect(s, e->path, why);
	}
	return (mode);
}

/* Makes a directory entry and remembers its attributes for the end. */
int
recv_plan_dir(struct recv_stream *s, struct recv_item *it, char **why)
{
	struct recv_shared	*sh = s->sh;
	struct recv_dir		*v;
	const char		*base;
	int			 dirfd, fd;

	if (recv_parent(s, it->e.path, 1, &dirfd, &base, why) != 0)
		return (MSG_PLAN_REFUSE);
	if (mkdirat(dirfd, base, RECV_DIR_MODE(s)) == -1 && errno != EEXIST) {
		err_set(why, FERRY_ERR_IO, "%s", strerror(errno));
		return (MSG_PLAN_REFUSE);
	}
	fd = openat(dirfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd == -1) {
		err_set(why, FERRY_ERR_IO, "not a directory: %s",
		    strerror(errno));
		return (MSG_PLAN_REFUSE);
	}
	close(fd);
	pthread_mutex_lock(&sh->mu);
	v = realloc(sh->dirs, (sh->ndirs + 1) * sizeof *v);
	if (v != NULL && (v[sh->ndirs].rel = strdup(it->e.path)) != NULL) {
		v[sh->ndirs].mode = recv_mode(s, &it->e);
		v[sh->ndirs].mtime.tv_sec = it->e.mtime_sec;
		v[sh->ndirs].mtime.tv_nsec = it->e.mtime_nsec;
		sh->ndirs++;
	}
	if (v != NULL)
		sh->dirs = v;
	pthread_mutex_unlock(&sh->mu);
	return (MSG_PLAN_DONE);
}

/* Makes a symlink entry, if its target stays inside the tree. */
int
recv_plan_link(struct recv_stream *s, struct recv_item *it, char **why)
{
	char		 tmp[TREE_TMP_MAX];
	const char	*base;
	struct timespec	 ts[2];
	int		 dirfd, ok;

	if (!tree_link_inside(it->e.path, it->e.link)) {
		err_set(why, FERRY_ERR_BADNAME, "symlink target \"%s\" leaves "
		    "the destination", it->e.link);
		recv_suspect(s, it->e.path, *why);
		return (MSG_PLAN_REFUSE);
	}
	if (recv_parent(s, it->e.path, 1, &dirfd, &base, why) != 0)
		return (MSG_PLAN_REFUSE);
	tree_tmp_name(base, TREE_LINK, tmp);
	unlinkat(dirfd, tmp, 0);
	ts[0].tv_sec = ts[1].tv_sec = it->e.mtime_sec;
	ts[0].tv_nsec = ts[1].tv_nsec = it->e.mtime_nsec;
	ok = symlinkat(it->e.link, dirfd, tmp) == 0 &&
	    (utimensat(dirfd, tmp, ts, AT_SYMLINK_NOFOLLOW), 1) &&
	    renameat(dirfd, tmp, dirfd, base) == 0;
	if (!ok) {
		err_set(why, FERRY_ERR_IO, "symlink: %s", strerror(errno));
		unlinkat(dirfd, tmp, 0);
	}
	return (ok ? MSG_PLAN_DONE : MSG_PLAN_REFUSE);
}
