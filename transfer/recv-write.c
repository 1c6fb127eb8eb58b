/*
 * Small new files written beside the stream (recv-int.h). With batches
 * committed in a thread of their own (recv-pipe.c), the receiving thread
 * became the critical path of many small files: 74 % of the receiver's
 * samples, about 25 us a file, doing one after another the unnamed
 * file's inode (ext4's inode allocation), its write, its mode and time,
 * then the next record's decryption and hash (S7, docs/benchmarks.md).
 * Here the stream thread only decrypts, hashes and keeps a small file's
 * bytes; once FILE_END has checked them, a writer thread creates the
 * unnamed file, writes it and gives it its mode and time while the stream
 * reads the next file.
 *
 * Only files that the batch's syncfs makes durable and that are linked at
 * its commit (O_TMPFILE, recv-commit.c) go this way: none has a name
 * before the commit, and the batch's end waits for every write here
 * before it hands the batch to the commit (its syncfs, then the links),
 * so nothing appears under its final name before its bytes are durable,
 * as before. A file that fails its checks is never created at all.
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
#ifdef __linux__
#include <sched.h>
#include <sys/xattr.h>
#endif

#include "err.h"
#include "recv-int.h"

/*
 * Writer threads a stream. Creating, writing and finishing a 4 KiB file
 * costs the kernel about as much as reading, decrypting and hashing it
 * costs the stream (perf, 20,000 files: the stream 0.26 CPU-s, the two
 * writers 0.16 each; the stream alone did both in 0.47): two, so that
 * the writers are not the next serial path where the receiver has the
 * cores. One measured the same on the 2-core bench machine.
 */
#define RECV_WRITERS		2
/*
 * The writers are woken once this many files wait (or at the batch's
 * end, or when the stream waits for room), not for each: a stream that
 * waits on the network hands on a file at a time, and a wake-up per file
 * is a futex call and a context switch on both sides.
 */
#define RECV_WRITE_WAKE		16
/* The largest file kept in memory, and the bytes a stream keeps at most. */
#define RECV_WRITE_MAX		(256 * 1024)
#define RECV_WRITE_QUEUE	(8 * 1024 * 1024)

/*
 * The directory a file goes into: the stream's cached one may be closed
 * (it moves on to another) before a writer has used it, so the writers
 * get a copy of it, counted, under the writer's mutex.
 */
struct recv_wdir {
	int	fd;
	int	refs;
	/*
	 * Whether the directory has a default ACL (or that could not be
	 * told): it replaces the umask, and a file made here is given its
	 * mode afterwards.
	 */
	int	acl;
};

struct recv_job {
	struct recv_job		*next;
	struct recv_item	*it;
	struct recv_wdir	*dir;
	uint32_t		 mode;
	size_t			 len;
	size_t			 cap;	/* the entry's size */
	size_t			 size;	/* data's */
	unsigned char		 data[];
};

struct recv_writer {
	pthread_mutex_t		 mu;
	pthread_cond_t		 more;	/* a job was queued, or stop */
	pthread_cond_t		 less;	/* a job was done */
	struct recv_job		*head;
	struct recv_job		**tail;
	size_t			 pending;	/* queued or being written */
	size_t			 queued;	/* queued */
	int			 want;		/* the stream waits for: */
#define RECV_WANT_ROOM	1	/* a file written */
#define RECV_WANT_ALL	2	/* all written */
	size_t			 bytes;		/* their data */
	int			 stop;
	int			 nthreads;
	pthread_t		 th[RECV_WRITERS];
	uint64_t		 chmods;	/* files given their mode after */
	struct recv_wdir	*dir;		/* the stream's cached one */
	uint64_t		 dir_gen;	/* its cache_gen */
	/*
	 * Jobs written, kept for the stream's next files: memory freed in a
	 * writer thread and allocated again in the stream thread costs the
	 * allocator more than the write (fresh pages, arenas trimmed).
	 */
	struct recv_job		*spare;
	size_t			 nspare;
	uint64_t		 written;	/* files, for the stats */
};

/* Jobs kept for reuse at most; each holds RECV_WRITE_SPARE bytes or more. */
#define RECV_WRITE_NSPARE	256
#define RECV_WRITE_SPARE	(8 * 1024)

/* Drops a reference to d; the caller holds the writer's mutex. */
static void
recv_wdir_put(struct recv_wdir *d)
{
	if (d != NULL && --d->refs == 0) {
		close(d->fd);
		free(d);
	}
}

/*
 * Creates, writes and finishes the job's file, mask being what creating
 * a file takes from its mode in this thread (-1: not known). Only the
 * item's fields that the stream thread leaves alone until recv_write_wait
 * are set. Returns 1 when the file was given its mode after its creation.
 */
static int
recv_write_one(struct recv_job *j, const struct recv_wdir *d, int mask)
{
	struct recv_item	*it = j->it;
	struct timespec		 ts[2];
	const char		*what = "creating the unnamed file";
	size_t			 off;
	ssize_t			 n = 0;
	int			 fd, e, moded;

	/*
	 * Made with its mode when the umask leaves that whole: an fchmod
	 * less a file. Unnamed until its commit, so nobody can open it in
	 * between with the wider mode.
	 */
	moded = !d->acl && mask >= 0 && (j->mode & (uint32_t)mask) == 0;
#ifdef O_TMPFILE
	fd = openat(d->fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC,
	    moded ? (mode_t)j->mode : 0600);
#else
	/* Not reached: without it recv_tmp_reserve keeps no file aside. */
	fd = -1;
	errno = EOPNOTSUPP;
#endif
	if (fd == -1)
		goto fail;
	what = "writing";
	for (off = 0; off < j->len; off += (size_t)n) {
		if ((n = pwrite(fd, j->data + off, j->len - off,
		    (off_t)off)) == -1)
			goto fail;
		if (n == 0) {
			errno = EIO;
			goto fail;
		}
	}
	what = "finishing";
	ts[0].tv_sec = ts[1].tv_sec = it->e.mtime_sec;
	ts[0].tv_nsec = ts[1].tv_nsec = it->e.mtime_nsec;
	if ((!moded && fchmod(fd, j->mode) == -1) || futimens(fd, ts) == -1)
		goto fail;
	/* The batch's syncfs makes it durable, its commit links it. */
	it->tmp_fd = fd;
	it->flush_err = 0;
	it->verified = 1;
	return (!moded);
fail:
	e = errno;
	if (fd != -1)
		close(fd);	/* unnamed: gone with it */
	err_set(&it->ack_reason, FERRY_ERR_IO, "%s: %s", what, strerror(e));
	return (0);
}

/*
 * The process's umask, without changing it (umask(2) can only set it,
 * and another thread may be creating files meanwhile): Linux shows it
 * in /proc/self/status since 4.7. -1 elsewhere.
 */
static int
recv_umask(void)
{
	char		 line[128];
	FILE		*f;
	unsigned int	 v;
	int		 m = -1;

	if ((f = fopen("/proc/self/status", "re")) == NULL)
		return (-1);
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "Umask: %o", &v) == 1 && v <= 0777) {
			m = (int)v;
			break;
		}
	fclose(f);
	return (m);
}

/*
 * The umask a writer thread creates files with: one of its own, 0, where
 * the thread can have one (Linux: unshare(CLONE_FS) gives the thread its
 * own umask, working directory and root, copied, and touches nobody
 * else's), so that every file is made with its mode and needs no fchmod:
 * an inode change (a journal update on ext4) less a file, 2 % of a
 * receiving agent's time in S7 under ferryd's default umask 027, which
 * takes bits from nearly every file's mode (docs/benchmarks.md). Else
 * the process's (-1 if it could not be read).
 */
static int
recv_write_umask(void)
{
#if defined(__linux__) && defined(CLONE_FS)
	if (unshare(CLONE_FS) == 0) {
		umask(0);
		return (0);
	}
#endif
	return (recv_umask());
}

static void *
recv_write_main(void *arg)
{
	struct recv_writer	*w = arg;
	struct recv_job		*j;
	int			 um = recv_write_umask(), late;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->head == NULL && !w->stop)
			pthread_cond_wait(&w->more, &w->mu);
		if ((j = w->head) == NULL)
			break;
		if ((w->head = j->next) == NULL)
			w->tail = &w->head;
		w->queued--;
		pthread_mutex_unlock(&w->mu);
		late = recv_write_one(j, j->dir, um);
		pthread_mutex_lock(&w->mu);
		w->written += j->it->verified;
		w->chmods += (uint64_t)late;
		recv_wdir_put(j->dir);
		w->pending--;
		w->bytes -= j->size;
		if (j->size == RECV_WRITE_SPARE &&
		    w->nspare < RECV_WRITE_NSPARE) {
			j->next = w->spare;
			w->spare = j;
			w->nspare++;
		} else
			free(j);
		/* Woken only when it waits, and then for what it waits. */
		if (w->want == RECV_WANT_ROOM || (w->want == RECV_WANT_ALL &&
		    w->pending == 0))
			pthread_cond_broadcast(&w->less);
	}
	pthread_mutex_unlock(&w->mu);
	return (NULL);
}

/*
 * Whether dirfd has a default ACL, which replaces the umask for what is
 * created in it (then the file is given its mode afterwards, as before);
 * 1 as well when that cannot be told.
 */
static int
recv_dir_acl(int dirfd)
{
#ifdef __linux__
	if (fgetxattr(dirfd, "system.posix_acl_default", NULL, 0) == -1 &&
	    (errno == ENODATA || errno == ENOTSUP))
		return (0);
#else
	(void)dirfd;
#endif
	return (1);
}

/* The stream's writer, its threads started; NULL if none could be. */
static struct recv_writer *
recv_writer_get(struct recv_stream *s)
{
	struct recv_writer	*w;
	int			 i;

	if (s->wr != NULL)
		return (s->wr->nthreads > 0 ? s->wr : NULL);
	if ((w = calloc(1, sizeof *w)) == NULL)
		return (NULL);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->more, NULL);
	pthread_cond_init(&w->less, NULL);
	w->tail = &w->head;
	s->wr = w;	/* asked once: without threads, written as before */
	for (i = 0; i < RECV_WRITERS; i++) {
		if (pthread_create(&w->th[i], NULL, recv_write_main, w) != 0)
			break;
		w->nthreads++;
	}
	return (w->nthreads > 0 ? w : NULL);
}

int
recv_write_defer(struct recv_stream *s, struct recv_file *rf,
    const struct msg_begin *b)
{
	struct recv_writer	*w;
	struct recv_wdir	*d = NULL;
	struct recv_job		*j;
	uint64_t		 size = rf->it->e.size;
	int			 fd;

	if (size > RECV_WRITE_MAX || rf->dirfd != s->cache_fd ||
	    (w = recv_writer_get(s)) == NULL)
		return (0);
	/* A copy of the directory for the writers, once per directory. */
	if (w->dir == NULL || w->dir_gen != s->cache_gen) {
		if ((fd = fcntl(rf->dirfd, F_DUPFD_CLOEXEC, 0)) == -1)
			return (0);
		if ((d = malloc(sizeof *d)) == NULL) {
			close(fd);
			return (0);
		}
		d->fd = fd;
		d->refs = 1;	/* the stream's */
		d->acl = recv_dir_acl(fd);
	}
	pthread_mutex_lock(&w->mu);
	if (size <= RECV_WRITE_SPARE && (j = w->spare) != NULL) {
		w->spare = j->next;
		w->nspare--;
	} else
		j = NULL;
	pthread_mutex_unlock(&w->mu);
	if (j == NULL && (j = malloc(sizeof *j + (size <= RECV_WRITE_SPARE ?
	    RECV_WRITE_SPARE : (size_t)size))) != NULL)
		j->size = size <= RECV_WRITE_SPARE ? RECV_WRITE_SPARE :
		    (size_t)size;
	if (j == NULL || !recv_tmp_reserve(s, rf->it, b)) {
		free(j);
		if (d != NULL) {
			close(d->fd);
			free(d);
		}
		return (0);
	}
	pthread_mutex_lock(&w->mu);
	if (d != NULL) {
		recv_wdir_put(w->dir);
		w->dir = d;
		w->dir_gen = s->cache_gen;
	}
	w->dir->refs++;	/* the job's, dropped once it is written */
	pthread_mutex_unlock(&w->mu);
	j->next = NULL;
	j->it = rf->it;
	j->dir = w->dir;
	j->len = 0;
	j->cap = (size_t)size;
	rf->job = j;
	return (1);
}

uint8_t *
recv_write_room(struct recv_file *rf, size_t *len)
{
	struct recv_job	*j = rf->job;

	*len = j->cap - j->len;
	return (j->data + j->len);
}

void
recv_write_keep(struct recv_file *rf, const void *data, size_t len)
{
	struct recv_job	*j = rf->job;

	if (len > j->cap - j->len) {
		recv_file_fail(rf, "more data than the %ju bytes offered",
		    (uintmax_t)j->cap);
		return;
	}
	/* Read there already (recv_write_room), unless it did not fit. */
	if (data != j->data + j->len)
		memcpy(j->data + j->len, data, len);
	j->len += len;
	rf->written += len;
}

void
recv_write_submit(struct recv_stream *s, struct recv_file *rf,
    uint32_t mode)
{
	struct recv_writer	*w = s->wr;
	struct recv_job		*j = rf->job;

	rf->job = NULL;
	j->mode = mode;
	/* Counted now: recv_commit's syncfs will stand for it. */
	recv_fs_written(s);
	pthread_mutex_lock(&w->mu);
	/* Bounded: the stream waits rather than keep a batch in memory. */
	while (w->pending > 0 && w->bytes + j->size > RECV_WRITE_QUEUE) {
		pthread_cond_broadcast(&w->more);
		w->want = RECV_WANT_ROOM;
		pthread_cond_wait(&w->less, &w->mu);
	}
	w->want = 0;
	*w->tail = j;
	w->tail = &j->next;
	w->pending++;
	w->bytes += j->size;
	if (++w->queued >= RECV_WRITE_WAKE)
		pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->mu);
}

void
recv_write_drop(struct recv_stream *s, struct recv_file *rf)
{
	struct recv_job	*j = rf->job;

	if (j == NULL)
		return;
	rf->job = NULL;
	pthread_mutex_lock(&s->wr->mu);
	recv_wdir_put(j->dir);
	pthread_mutex_unlock(&s->wr->mu);
	free(j);
}

void
recv_write_wait(struct recv_stream *s)
{
	struct recv_writer	*w = s->wr;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	if (w->queued > 0)
		pthread_cond_broadcast(&w->more);	/* the last few */
	w->want = RECV_WANT_ALL;
	while (w->pending > 0)
		pthread_cond_wait(&w->less, &w->mu);
	w->want = 0;
	pthread_mutex_unlock(&w->mu);
}

void
recv_write_free(struct recv_stream *s)
{
	struct recv_writer	*w = s->wr;
	struct recv_job		*j;
	int			 i;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;	/* the threads empty the queue first */
	pthread_cond_broadcast(&w->more);
	pthread_mutex_unlock(&w->mu);
	for (i = 0; i < w->nthreads; i++)
		pthread_join(w->th[i], NULL);
	pthread_mutex_lock(&s->sh->mu);
	s->sh->st.tmp_aside += w->written;
	s->sh->st.tmp_chmods += w->chmods;
	pthread_mutex_unlock(&s->sh->mu);
	recv_wdir_put(w->dir);
	while ((j = w->spare) != NULL) {
		w->spare = j->next;
		free(j);
	}
	pthread_cond_destroy(&w->less);
	pthread_cond_destroy(&w->more);
	pthread_mutex_destroy(&w->mu);
	free(w);
	s->wr = NULL;
}
