/*
 * Putting received files in place (recv-int.h): a batch's verified files
 * are renamed once the flusher has them on disk, and each directory is
 * flushed once after its renames; directories get their modes and times
 * last, deepest first.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "held-int.h"
#include "recv-int.h"
#include "session-int.h"

/* Whether two relative paths have the same parent directory. */
static int
recv_same_parent(const char *a, const char *b)
{
	const char	*sa = strrchr(a, '/'), *sb = strrchr(b, '/');
	size_t		 na = sa ? (size_t)(sa - a) : 0;
	size_t		 nb = sb ? (size_t)(sb - b) : 0;

	return (na == nb && strncmp(a, b, na) == 0);
}

void
recv_flush_plan(struct recv_stream *s, int dirfd, struct recv_item *it)
{
	struct stat	sb;
	int		mode = s->sh->o->flush;

	it->by_fs = 0;
	if (s->cache_own == -1) {
		s->cache_own = 0;
		if (mode == TRANSFER_FLUSH_FILES || fstat(dirfd, &sb) == -1 ||
		    !flush_fs_own(s->sh->rootfd, dirfd,
		    mode == TRANSFER_FLUSH_FS))
			return;
		/*
		 * One file system per stream: the first one's directory,
		 * opened before any file there was written, stays open for
		 * the syncfs calls.
		 */
		if (s->sync_fd == -1 && (s->sync_fd = fcntl(dirfd,
		    F_DUPFD_CLOEXEC, 0)) != -1)
			s->sync_dev = sb.st_dev;
		s->cache_own = s->sync_fd != -1 && s->sync_dev == sb.st_dev;
	}
	it->by_fs = s->cache_own;
}

/*
 * Every RECV_FS_KICK files, a syncfs in the flusher's thread writes the
 * batch's files back while the next ones arrive: the batch's own syncfs
 * then has less to write while the sender waits for the ACKs. Through a
 * descriptor of its own: a syncfs reports a write-back error once per
 * open file, and the batch's must see every one.
 */
#define RECV_FS_KICK	256

static void
recv_fs_kick(struct recv_stream *s)
{
	int	fd;

	s->fs_kick = 0;
	if ((fd = openat(s->sync_fd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) != -1)
		flusher_add_fs(s->fl, fd);
}

/*
 * Unnamed files held open until their batch's commit, by every stream of
 * every transfer in this process: each is a descriptor, and a daemon runs
 * many transfers at once.
 */
#ifdef O_TMPFILE
#include <sys/resource.h>

static atomic_size_t	recv_tmp_held;

static void
recv_tmp_count(size_t add, size_t sub)
{
	if (add > 0)
		atomic_fetch_add(&recv_tmp_held, add);
	if (sub > 0)
		atomic_fetch_sub(&recv_tmp_held, sub);
}

/*
 * How many unnamed files the process may hold open: a quarter of the
 * descriptors it may open (the rest for sockets, directories, the files
 * being written, the store).
 */
static size_t
recv_tmp_budget(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < 1024)
		return (0);
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur / 4 > SIZE_MAX / 2)
		return (SIZE_MAX / 2);
	return ((size_t)(rl.rlim_cur / 4));
}
#else
static void
recv_tmp_count(size_t add, size_t sub)
{
	(void)add;
	(void)sub;
}
#endif

/* Whether it may be written unnamed, within the process's budget. */
static int
recv_tmp_may(struct recv_stream *s, struct recv_item *it,
    const struct msg_begin *b)
{
#ifdef O_TMPFILE
	if (!it->by_fs || b->offset != 0 || b->action != MSG_PLAN_WHOLE ||
	    it->e.size >= RECV_RESUME_MIN)
		return (0);
	if (s->tmp_max == (size_t)-1)
		s->tmp_max = recv_tmp_budget();
	/* Past it, partial names as before: no batch fails for want of fds. */
	return (s->ntmp < SESSION_BATCH_FILES &&
	    atomic_load(&recv_tmp_held) < s->tmp_max);
#else
	(void)s;
	(void)it;
	(void)b;
	return (0);
#endif
}

int
recv_tmp_reserve(struct recv_stream *s, struct recv_item *it,
    const struct msg_begin *b)
{
	/* Only once this stream has made one: the file system takes them. */
	if (!s->tmp_seen || !recv_tmp_may(s, it, b))
		return (0);
	it->tmp = 1;
	it->tmp_fd = -1;	/* until a writer thread sets it */
	s->ntmp++;
	recv_tmp_count(1, 0);
	return (1);
}

int
recv_tmp_open(struct recv_stream *s, int dirfd, struct recv_item *it,
    const struct msg_begin *b)
{
#ifdef O_TMPFILE
	int	fd;

	if (!recv_tmp_may(s, it, b))
		return (-1);
	if ((fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC,
	    0600)) == -1) {
		/* Not on this file system (or kernel): names, as before. */
		if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)
			s->tmp_max = 0;
		return (-1);
	}
	s->tmp_seen = 1;
	it->tmp = 1;
	it->tmp_fd = -1;	/* until recv_flush_file holds it */
	return (fd);
#else
	(void)s;
	(void)dirfd;
	(void)it;
	(void)b;
	return (-1);
#endif
}

void
recv_tmp_drop(struct recv_stream *s)
{
	size_t	i;

	for (i = 0; i < s->nitems; i++) {
		if (s->items[i].tmp && s->items[i].tmp_fd != -1)
			close(s->items[i].tmp_fd);
		s->items[i].tmp = 0;
	}
	recv_tmp_count(0, s->ntmp);
	s->ntmp = 0;
}

void
recv_fs_written(struct recv_stream *s)
{
	s->fs_pending = 1;
	if (++s->fs_kick >= RECV_FS_KICK && s->fl != NULL)
		recv_fs_kick(s);
}

void
recv_flush_file(struct recv_stream *s, int fd, struct recv_item *it)
{
	if (it->by_fs) {
		/* recv_commit's syncfs makes it durable with the batch. */
		if (it->tmp) {
			/* Unnamed: its descriptor is all there is of it. */
			it->tmp_fd = fd;
			s->ntmp++;
			recv_tmp_count(1, 0);
		} else
			close(fd);
		it->flush_err = 0;
		recv_fs_written(s);
	} else if (s->fl != NULL)
		flusher_add(s->fl, fd, &it->flush_err);
	else {
		it->flush_err = fsync(fd) == -1 ? errno : 0;
		close(fd);
	}
}

/*
 * One syncfs for the batch's files that wait for it; on an error none of
 * them is known to be durable, so all are dropped (and offered again).
 */
static void
recv_sync_batch(struct recv_stream *s)
{
	size_t	i;
	int	e;

	e = flush_fs(s->sync_fd);
	pthread_mutex_lock(&s->sh->mu);
	s->sh->st.fs_syncs++;
	pthread_mutex_unlock(&s->sh->mu);
	for (i = 0; e != 0 && i < s->nitems; i++) {
		if (s->items[i].verified && s->items[i].by_fs)
			s->items[i].flush_err = e;
	}
	s->fs_pending = 0;
}

#ifdef O_TMPFILE
/* Links the unnamed file fd as dirfd/name. */
static int
recv_tmp_link(int fd, int dirfd, const char *name)
{
	char	path[64];

	if (linkat(fd, "", dirfd, name, AT_EMPTY_PATH) == 0)
		return (0);
	/* Older kernels let only CAP_DAC_READ_SEARCH link by descriptor. */
	if (errno != ENOENT && errno != EPERM && errno != EINVAL)
		return (-1);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	return (linkat(AT_FDCWD, path, dirfd, name, AT_SYMLINK_FOLLOW));
}
#endif

/*
 * Puts an unnamed file under base: linked there where the name is free
 * (a new file: one directory insert), else linked under its partial name
 * and renamed over what is there, as a named partial file would be.
 * Returns 0, -1 with errno, or 1 when the partial name was another file
 * by the time of the rename.
 */
static int
recv_tmp_place(int fd, int dirfd, const char *base, const char *part)
{
#ifdef O_TMPFILE
	struct stat	sb;
	int		e;

	if (recv_tmp_link(fd, dirfd, base) == 0)
		return (0);
	if (errno != EEXIST)
		return (-1);
	if (recv_tmp_link(fd, dirfd, part) == -1 && (errno != EEXIST ||
	    unlinkat(dirfd, part, 0) == -1 ||
	    recv_tmp_link(fd, dirfd, part) == -1))
		return (-1);
	/* Renamed by name: it must still be this file. */
	if (fstat(fd, &sb) == -1)
		return (-1);
	if (!held_same(dirfd, part, &sb)) {
		unlinkat(dirfd, part, 0);	/* as a named one's would be */
		return (1);
	}
	if (renameat(dirfd, part, dirfd, base) == -1) {
		e = errno;
		unlinkat(dirfd, part, 0);
		errno = e;
		return (-1);
	}
	return (0);
#else
	(void)fd;
	(void)dirfd;
	(void)base;
	(void)part;
	errno = ENOSYS;
	return (-1);
#endif
}

/*
 * Puts the batch's verified files in place once the flusher (or one
 * syncfs) has them all on disk, and flushes each directory once after its
 * renames (or the file system once more), so that they survive a crash
 * too. A file that could not be flushed is dropped.
 */
void
recv_commit(struct recv_stream *s)
{
	struct recv_item	*it;
	const char		*base;
	char			 part[TREE_TMP_MAX], meta[TREE_TMP_MAX];
	char			*why = NULL;
	size_t			 i, j, links = 0;
	int			 dirfd, r, renamed_fs = 0;

	if (s->fl != NULL)
		flusher_wait(s->fl);
	if (s->fs_pending)
		recv_sync_batch(s);
	for (i = 0; i < s->nitems; i++) {
		it = &s->items[i];
		if (!it->verified)
			continue;
		it->verified = 0;
		if (recv_parent(s, it->e.path, 0, &dirfd, &base, &why) != 0) {
			it->ack_reason = why;	/* transferred */
			why = NULL;
			continue;
		}
		tree_tmp_name(base, TREE_PART, part);
		tree_tmp_name(base, TREE_META, meta);
		if (it->tmp) {
			/* Dropped by its close unless it was linked. */
			if (it->flush_err != 0)
				err_set(&it->ack_reason, FERRY_ERR_IO,
				    "flushing: %s", strerror(it->flush_err));
			else if ((r = recv_tmp_place(it->tmp_fd, dirfd, base,
			    part)) == -1)
				err_set(&it->ack_reason, FERRY_ERR_IO,
				    "linking into place: %s", strerror(errno));
			else if (r == 1)
				err_set(&it->ack_reason, FERRY_ERR_IO, "%s: the "
				    "partial file was replaced before its rename",
				    part);
			else {
				it->ack_status = MSG_ACK_DONE;
				links++;
			}
			close(it->tmp_fd);
			it->tmp = 0;
			s->ntmp--;
			recv_tmp_count(0, 1);
		} else if (it->flush_err != 0) {
			err_set(&it->ack_reason, FERRY_ERR_IO, "flushing: %s",
			    strerror(it->flush_err));
			unlinkat(dirfd, part, 0);
		} else if (!held_same(dirfd, part, &it->part_sb)) {
			/* Renamed by name: it must be the file checked. */
			err_set(&it->ack_reason, FERRY_ERR_IO, "%s: the partial "
			    "file was replaced before its rename", part);
			unlinkat(dirfd, part, 0);
		} else if (renameat(dirfd, part, dirfd, base) == -1) {
			err_set(&it->ack_reason, FERRY_ERR_IO, "renaming into "
			    "place: %s", strerror(errno));
			unlinkat(dirfd, part, 0);
		} else
			it->ack_status = MSG_ACK_DONE;
		if (it->e.size >= RECV_RESUME_MIN)
			unlinkat(dirfd, meta, 0);
		if (it->by_fs) {
			renamed_fs |= it->ack_status == MSG_ACK_DONE;
			continue;
		}
		for (j = i + 1; j < s->nitems && !s->items[j].verified; j++)
			;
		if (j == s->nitems ||
		    !recv_same_parent(it->e.path, s->items[j].e.path))
			fsync(dirfd);
	}
	/* The renames, in however many directories, in one commit. */
	if (renamed_fs)
		flush_fs(s->sync_fd);
	if (links > 0) {
		pthread_mutex_lock(&s->sh->mu);
		s->sh->st.tmp_links += links;
		pthread_mutex_unlock(&s->sh->mu);
	}
}

static int
recv_dir_depth_cmp(const void *a, const void *b)
{
	const struct recv_dir	*x = a, *y = b;
	size_t			 dx = 0, dy = 0;
	const char		*p;

	for (p = x->rel; *p; p++)
		dx += *p == '/';
	for (p = y->rel; *p; p++)
		dy += *p == '/';
	return (dx < dy ? 1 : dx > dy ? -1 : 0);
}

/* Applies directory modes and times, deepest first, once all is in. */
void
recv_apply_dirs(struct recv_shared *sh)
{
	struct timespec	 ts[2];
	const char	*base;
	size_t		 i;
	int		 dirfd;

	if (sh->ndirs > 0)
		qsort(sh->dirs, sh->ndirs, sizeof *sh->dirs,
		    recv_dir_depth_cmp);
	for (i = 0; i < sh->ndirs; i++) {
		if (tree_open_parent(sh->rootfd, sh->dirs[i].rel, 0, &dirfd,
		    &base, NULL) == 0) {
			ts[0] = ts[1] = sh->dirs[i].mtime;
			fchmodat(dirfd, base, sh->dirs[i].mode, 0);
			utimensat(dirfd, base, ts, AT_SYMLINK_NOFOLLOW);
			close(dirfd);
		}
		free(sh->dirs[i].rel);
	}
	free(sh->dirs);
}


void
recv_committed(struct recv_shared *sh, const char *rel)
{
	if (sh->o->committed != NULL)
		sh->o->committed(rel, sh->o->committed_arg);
}
