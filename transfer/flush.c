/*
 * A small pool of threads that fsync descriptors handed to them; see
 * flush.h. fsync(2) of different files from different threads lets ext4
 * and XFS put them into one journal commit.
 */
#define _GNU_SOURCE
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flush.h"

struct flush_job {
	int	 fd;
	int	*result;	/* NULL: a syncfs or a kick, result ignored */
	int	 kick;		/* flusher_kick's: write back off, len */
	off_t	 off, len;
};

struct flusher {
	pthread_mutex_t	 mu;
	pthread_cond_t	 more;		/* a job was queued, or stop */
	pthread_cond_t	 less;		/* a job was taken or finished */
	struct flush_job q[FLUSH_QUEUE];
	size_t		 head, count;
	size_t		 busy;		/* jobs taken, not finished */
	int		 stop;
	int		 kicking;	/* a kick queued or running */
	pthread_t	 th[FLUSH_THREADS];
	int		 nth;
};

static void
flush_one(const struct flush_job *j)
{
	if (j->kick)
		flush_start(j->fd, j->off, j->len);
	else if (j->result != NULL)
		*j->result = fsync(j->fd) == -1 ? errno : 0;
	else
		(void)flush_fs(j->fd);
	close(j->fd);
}

static void *
flusher_main(void *arg)
{
	struct flusher	*fl = arg;
	struct flush_job j;

	pthread_mutex_lock(&fl->mu);
	for (;;) {
		while (fl->count == 0 && !fl->stop)
			pthread_cond_wait(&fl->more, &fl->mu);
		if (fl->count == 0)
			break;
		j = fl->q[fl->head];
		fl->head = (fl->head + 1) % FLUSH_QUEUE;
		fl->count--;
		fl->busy++;
		pthread_mutex_unlock(&fl->mu);
		flush_one(&j);
		pthread_mutex_lock(&fl->mu);
		if (j.kick)
			fl->kicking = 0;
		fl->busy--;
		pthread_cond_broadcast(&fl->less);
	}
	pthread_mutex_unlock(&fl->mu);
	return (NULL);
}

struct flusher *
flusher_new(void)
{
	struct flusher	*fl;

	if ((fl = calloc(1, sizeof *fl)) == NULL)
		return (NULL);
	pthread_mutex_init(&fl->mu, NULL);
	pthread_cond_init(&fl->more, NULL);
	pthread_cond_init(&fl->less, NULL);
	return (fl);
}

/* Threads start as work comes, so a file or two costs one or two. */
static void
flusher_grow(struct flusher *fl)
{
	if (fl->nth < FLUSH_THREADS && fl->busy + fl->count >= (size_t)fl->nth &&
	    pthread_create(&fl->th[fl->nth], NULL, flusher_main, fl) == 0)
		fl->nth++;
}

/* Queues j. Holds fl->mu; there is room. */
static void
flusher_queue(struct flusher *fl, const struct flush_job *j)
{
	fl->q[(fl->head + fl->count) % FLUSH_QUEUE] = *j;
	fl->count++;
	pthread_cond_signal(&fl->more);
}

void
flusher_add(struct flusher *fl, int fd, int *result)
{
	struct flush_job	j = { fd, result, 0, 0, 0 };

	pthread_mutex_lock(&fl->mu);
	flusher_grow(fl);
	if (fl->nth == 0) {
		pthread_mutex_unlock(&fl->mu);
		/* An early syncfs is not worth waiting for here. */
		if (result != NULL)
			flush_one(&j);
		else
			close(fd);
		return;
	}
	while (fl->count == FLUSH_QUEUE)
		pthread_cond_wait(&fl->less, &fl->mu);
	flusher_queue(fl, &j);
	pthread_mutex_unlock(&fl->mu);
}

int
flusher_kick(struct flusher *fl, int fd, off_t off, off_t len)
{
	struct flush_job	j = { -1, NULL, 1, off, len };

	/* No flusher (no memory for one): started here, as before it. */
	if (fl == NULL) {
		flush_start(fd, off, len);
		return (1);
	}
	pthread_mutex_lock(&fl->mu);
	if (fl->kicking || fl->count == FLUSH_QUEUE) {
		pthread_mutex_unlock(&fl->mu);
		return (0);
	}
	flusher_grow(fl);
	if (fl->nth == 0 || (j.fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		pthread_mutex_unlock(&fl->mu);
		flush_start(fd, off, len);
		return (1);
	}
	fl->kicking = 1;
	flusher_queue(fl, &j);
	pthread_mutex_unlock(&fl->mu);
	return (1);
}

void
flusher_add_fs(struct flusher *fl, int fd)
{
	flusher_add(fl, fd, NULL);
}

void
flusher_wait(struct flusher *fl)
{
	pthread_mutex_lock(&fl->mu);
	while (fl->count > 0 || fl->busy > 0)
		pthread_cond_wait(&fl->less, &fl->mu);
	pthread_mutex_unlock(&fl->mu);
}

void
flusher_free(struct flusher *fl)
{
	int	i;

	if (fl == NULL)
		return;
	pthread_mutex_lock(&fl->mu);
	fl->stop = 1;
	pthread_cond_broadcast(&fl->more);
	pthread_mutex_unlock(&fl->mu);
	for (i = 0; i < fl->nth; i++)
		pthread_join(fl->th[i], NULL);
	pthread_cond_destroy(&fl->more);
	pthread_cond_destroy(&fl->less);
	pthread_mutex_destroy(&fl->mu);
	free(fl);
}

void
flush_start(int fd, off_t off, off_t len)
{
#ifdef SYNC_FILE_RANGE_WRITE
	sync_file_range(fd, off, len, SYNC_FILE_RANGE_WRITE);
#else
	(void)fd;
	(void)off;
	(void)len;
#endif
}

int
flush_fs_own(int rootfd, int dirfd, int any)
{
#ifdef HAVE_SYNCFS
	struct stat	root, dir, up;

	if (any)
		return (1);
	if (fstat(rootfd, &root) == -1 || fstat(dirfd, &dir) == -1)
		return (0);
	/* Mounted below the root. */
	if (dir.st_dev != root.st_dev)
		return (1);
	/* The root is the mount point ("/", its own parent, is not). */
	if (fstatat(rootfd, "..", &up, 0) == -1)
		return (0);
	return (up.st_dev != root.st_dev);
#else
	(void)rootfd;
	(void)dirfd;
	(void)any;
	return (0);
#endif
}

int
flush_fs(int fd)
{
#ifdef HAVE_SYNCFS
	return (syncfs(fd) == -1 ? errno : 0);
#else
	(void)fd;
	return (ENOSYS);
#endif
}

int
direct_open(int fd)
{
	struct stat	a, b;
	char		path[64];
	int		dfd;

	/*
	 * Through /proc, not by name: the name may be another file by now
	 * (someone who can write in the directory renamed one onto it).
	 * Without /proc there is no twin; writes go through fd.
	 */
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	if ((dfd = open(path, O_WRONLY | O_DIRECT | O_CLOEXEC)) == -1)
		return (-1);
	if (fstat(fd, &a) == -1 || fstat(dfd, &b) == -1 ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		close(dfd);
		return (-1);
	}
	return (dfd);
}

ssize_t
direct_pwrite(int dfd, int fd, const void *p, size_t n, off_t off,
    int *cached)
{
	ssize_t	r;

	if (dfd != -1 && ((uintptr_t)p | n | (uintmax_t)off) %
	    DIRECT_ALIGN == 0) {
		do
			r = pwrite(dfd, p, n, off);
		while (r == -1 && errno == EINTR);
		/* Some file systems take the flag and refuse the write. */
		if (r != -1 || errno != EINVAL)
			return (r);
	}
	if (cached != NULL)
		*cached = 1;
	do
		r = pwrite(fd, p, n, off);
	while (r == -1 && errno == EINTR);
	return (r);
}
