/*
 * Flushing many files at once. A receiver that flushed each small file
 * before taking the next paid one journal commit per file; handing the
 * descriptors to a few threads that fsync them concurrently lets the file
 * system commit them together, while the receiver goes on writing.
 *
 * Not thread-safe for its caller: one flusher per stream. The caller
 * learns each file's result through the int it passed, valid after
 * flusher_wait().
 */
#ifndef FERRY_FLUSH_H
#define FERRY_FLUSH_H

#include <sys/types.h>

/* Threads per flusher, and descriptors it holds at most. */
#define FLUSH_THREADS	32
#define FLUSH_QUEUE	256

struct flusher;

/* NULL when out of memory. Threads start with the first file. */
struct flusher	*flusher_new(void);
/*
 * Takes fd (closed once flushed) and will store 0 or an errno in *result.
 * Blocks while FLUSH_QUEUE files wait. Without threads (none could be
 * started) it flushes fd itself.
 */
void		 flusher_add(struct flusher *fl, int fd, int *result);
/*
 * Runs syncfs(fd) in one of the threads and then closes fd, its result
 * ignored: the file system writes back what it holds while the caller
 * goes on, so that the caller's own flush_fs() at the end of a batch has
 * less left to write. Without threads it does nothing but close fd.
 */
void		 flusher_add_fs(struct flusher *fl, int fd);
/*
 * flush_start(fd, off, len) in one of the threads, so that the caller
 * does not spend the file system's work of starting the writeback (on
 * XFS, thousands of scattered copy-on-write blocks of a delta patched in
 * place: a third of the receiver's time in S2X, docs/benchmarks.md). One
 * kick at a time: 0 (nothing done) while the last one still runs, so the
 * caller asks again later for the longer range; 1 when taken. Without
 * threads, or with fl NULL, it starts the writeback itself.
 */
int		 flusher_kick(struct flusher *fl, int fd, off_t off, off_t len);
/* Returns once every file added so far is flushed and closed. */
void		 flusher_wait(struct flusher *fl);
/* Waits, then stops the threads. NULL is fine. */
void		 flusher_free(struct flusher *fl);
/*
 * Starts writing back bytes [off, off + len) of fd without waiting, so
 * that the final flush has less left to do. Harmless where unsupported.
 */
void		 flush_start(int fd, off_t off, off_t len);

/*
 * Batched durability. Where a transfer's files land on a file system that
 * holds nothing but what is below the transfer's root (the root is its
 * mount point, or it is mounted below the root), one syncfs(2) per batch
 * makes all of the batch's files durable in one journal commit, where
 * even concurrent fsyncs share a commit only among those in flight
 * (32): S7, 20,000 files of 4 KiB, docs/benchmarks.md. On a file system
 * shared with the rest of the machine (/), syncfs would wait for
 * everybody's writes, so there each file is flushed on its own.
 */
/*
 * 1 when one flush_fs() may stand for the flushes of files in directory
 * dirfd, below the transfer's root rootfd (see above), or with any set,
 * wherever syncfs(2) exists; 0 when not, or where it does not.
 */
int		 flush_fs_own(int rootfd, int dirfd, int any);
/*
 * syncfs(2) of the file system fd is on: 0, or an errno, among them a
 * write-back error on that file system since fd was opened or last
 * flushed (Linux 5.8 and later report those). ENOSYS where none.
 */
int		 flush_fs(int fd);

/*
 * Writing received data around the page cache. A buffered write costs
 * the receiver a copy of every byte into the cache, two thirds of its CPU
 * for a large file (perf, docs/benchmarks.md), and the bytes must reach
 * the disk before the rename anyway. O_DIRECT skips that copy for the
 * aligned parts; the rest goes through the cache as before.
 */
#define DIRECT_ALIGN	4096
/*
 * A second descriptor of the file fd is open on, with O_DIRECT (the same
 * file, whatever its name is now), or -1.
 */
int		 direct_open(int fd);
/*
 * Writes n bytes from p at off: through dfd when p, n and off are all
 * aligned to DIRECT_ALIGN (and dfd is not -1), else through fd. Returns
 * what pwrite returns. When cached is not NULL, sets *cached to 1 if the
 * bytes went through the page cache (they then need a writeback, which
 * O_DIRECT bytes do not), and leaves it alone otherwise.
 */
ssize_t		 direct_pwrite(int dfd, int fd, const void *p, size_t n,
		     off_t off, int *cached);

#endif /* FERRY_FLUSH_H */
