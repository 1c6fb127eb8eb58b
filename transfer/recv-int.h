/*
 * The receiving side's private parts (recv.c, recv-commit.c): the state of
 * one transfer's streams, and putting a batch's files and directories in
 * place once they are on disk.
 */
#ifndef FERRY_RECV_INT_H
#define FERRY_RECV_INT_H

#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "beat-int.h"
#include "buf.h"
#include "conn-int.h"
#include "delta-int.h"
#include "flush.h"
#include "hash-int.h"
#include "inplace.h"
#include "msg-int.h"
#include "progress-int.h"
#include "transfer.h"
#include "tree.h"

/* Files smaller than this are not resumed: they start afresh. */
#define RECV_RESUME_MIN	(1024 * 1024)

/* Directory attributes, applied once every stream is done with them. */
struct recv_dir {
	char		*rel;
	uint32_t	 mode;
	struct timespec	 mtime;
};

/* State shared by the streams of one transfer. */
struct recv_shared {
	pthread_mutex_t		 mu;
	int			 rootfd;
	const struct transfer_opts *o;
	struct progress		 pr;
	struct transfer_stats	 st;
	struct recv_dir		*dirs;
	size_t			 ndirs;
	struct buf		 failures;
	struct stripe_in	*stripes;	/* striped files (stripe-recv.c) */
	pthread_cond_t		 cv;		/* a chunk settled, a stream
						   ended */
	int			 live;		/* streams still running */
	int			 streams;	/* the transfer's */
	int			 nstripes;	/* striped files with open fds */
	struct recv_claim	**claims;	/* names under way (recv-
						   claim.c); under mu */
};

/* One entry of the current batch and what was planned for it. */
struct recv_item {
	struct msg_entry	 e;
	uint8_t			 action;
	uint64_t		 offset;
	const char		*basis;	/* e.path or e.basis; NULL: none */
	/* After its data: what to answer, once the batch is on disk. */
	int			 begun;
	int			 verified;	/* waits for its rename */
	int			 flush_err;	/* set by the flusher */
	int			 by_fs;		/* made durable by the batch's
						   syncfs (flush.h) */
	struct stat		 part_sb;	/* the partial file opened */
	int			 tmp;		/* written unnamed (O_TMPFILE);
						   tmp_fd is held open */
	int			 tmp_fd;	/* linked at the commit */
	struct stripe_in	*sp;		/* planned STRIPE */
	uint8_t			 sent_action;
	uint64_t		 sent_offset;
	uint8_t			 ack_status;
	char			*ack_reason;
	int			 claimed;	/* e.path, until answered */
};

/* The file whose data is arriving. */
struct recv_file {
	struct recv_item	*it;
	int			 dirfd;
	const char		*base;
	char			 part[TREE_TMP_MAX];
	char			 meta[TREE_TMP_MAX];
	int			 fd;
	int			 dfd;		/* fd's O_DIRECT twin, or -1 */
	int			 basis_fd;
	struct delta		*patch;
	struct inplace		*ip;		/* or a patch of a clone */
	struct hash		*h;
	uint64_t		 written;
	uint64_t		 kicked;	/* writeback started up to */
	int			 failed;	/* drain the rest, then ACK */
	int			 keep;		/* failed, but keep the partial
						   file for the next try */
	struct recv_job		*job;		/* its bytes kept for a writer
						   thread (recv-write.c) */
	char			*why;
};

struct recv_stream {
	struct recv_shared	*sh;
	struct conn		 c;
	struct recv_item	*items;
	size_t			 nitems;
	size_t			 find_next;	/* where to look for the next
						   FILE_BEGIN's item */
	char			*cache_dir;	/* parent of the last path */
	int			 cache_fd;	/* and its directory */
	int			 cache_parts;	/* partials there? -1: not read */
	uint64_t		*cache_names;	/* its names' hashes, sorted */
	size_t			 cache_nnames;
	size_t			 cache_names_cap;
	int			 cache_names_all; /* all of them: a name not
						   among them was not there */
	int64_t			 cache_scanned;	/* when (clock_ms) */
	int			 cache_own;	/* on sync_fd's file system, of
						   the transfer's own? -1: not
						   asked */
	uint64_t		 cache_gen;	/* cache_fd's: one more each
						   time it changes */
	int			 sync_fd;	/* a directory there, or -1 */
	dev_t			 sync_dev;
	int			 fs_pending;	/* files wait for its syncfs */
	size_t			 fs_kick;	/* since the last early one */
	size_t			 ntmp;		/* unnamed files held open */
	size_t			 tmp_max;	/* the process's budget (recv-
						   commit.c); 0: none, -1: not
						   asked yet */
	int			 tmp_seen;	/* one was made: the file
						   system takes them */
	struct recv_writer	*wr;		/* writer threads (recv-
						   write.c), or NULL */
	struct flusher		*fl;		/* flushes finished files */
	uint64_t		 features;	/* agreed in HELLO */
	struct beat_out		 beat;		/* keep-alives while hashing
						   before a PLAN */
	struct buf		 map;		/* a STRIPE plan's chunk map */
	struct recv_held	*held;		/* PIPELINE: the batch before,
						   its ACKs not sent yet */
	int			 started;
	int			 result;
	char			*cause;
};

/*
 * recv-special.c: the mode to give an entry (a setuid, setgid or sticky
 * bit is noted as a suspect); a directory entry made, its attributes kept
 * for the end; a symlink entry made if its target stays inside the tree.
 * The two return a MSG_PLAN_* action.
 */
uint32_t recv_mode(struct recv_stream *s, const struct msg_entry *e);
/*
 * A directory the receiver makes, on the way to a file or named by an
 * entry (which gets the sender's mode at the end): 0755 less its
 * receive-umask (and then the process's umask).
 */
#define RECV_DIR_MODE(s)	tree_recv_dir_mode((s)->sh->o->recv_umask)
int	recv_plan_dir(struct recv_stream *s, struct recv_item *it, char **why);
int	recv_plan_link(struct recv_stream *s, struct recv_item *it,
	    char **why);
/*
 * recv-sig.c: sends what the sender needs for a delta against basis rel,
 * in SIGNATURE frames as it is made, then an empty one: a block map, or a
 * librsync signature when the entry asks for one (the sender found too
 * little by blocks).
 */
int	recv_send_signature(struct recv_stream *s, const char *rel, int rsync,
	    char **cause);
/* recv-parent.c: tells the caller about an entry that broke the rules. */
void	recv_suspect(struct recv_stream *s, const char *rel, const char *why);
/*
 * recv-parent.c, of the directory recv_parent opened last, its names read
 * once: whether it may hold a partial file of an earlier try, and whether
 * name was surely not in it then (0: it was, or cannot be told).
 */
int	recv_dir_partials(struct recv_stream *s);
int	recv_dir_lacks(struct recv_stream *s, const char *name);
/*
 * recv-parent.c: like tree_open_parent, but keeps the last directory
 * open: entries of one directory come together. The fd is borrowed: do
 * not close it.
 */
int	recv_parent(struct recv_stream *s, const char *rel, int create,
	    int *dirfd, const char **base, char **cause);
/* Striping, the receiver's half (stripe-recv.c). */
struct stripe_in;
/*
 * Plans a file entry offered striped, whose destination dirfd/base has
 * no usable basis: sets up its partial file and chunk record, fills plan
 * (MSG_PLAN_STRIPE, the chunk size) and map (a bit per chunk held).
 * Returns 0 when it did, else the caller plans the file as usual.
 */
int	stripe_plan(struct recv_stream *s, struct recv_item *it, int dirfd,
	    const char *base, struct msg_plan *plan, struct buf *map);
/* Takes one chunk: the CHUNK frame f, its DATA and its FILE_END. */
int	stripe_chunk(struct recv_stream *s, const struct frame *f,
	    char **cause);
/* FILE_BEGIN of a striped file: rf writes into the chunk record's file. */
int	stripe_file_open(struct recv_stream *s, struct recv_file *rf);
/*
 * At the striped file's FILE_END: waits for all its chunks, then sets
 * rf's hash to the hash of the chunk hashes and rf->written to the size
 * (or fails rf), for recv_file_finish; no chunk is taken for it after.
 */
void	stripe_file_end(struct recv_stream *s, struct recv_file *rf,
	    const struct msg_end *end);
void	stripe_stream_done(struct recv_shared *sh);
/* 1 if the chunks of sp came on more than one stream. */
int	stripe_spread(const struct stripe_in *sp);
void	stripe_free_all(struct recv_shared *sh);
/* recv.c's, for stripe-recv.c. */
void	recv_file_fail(struct recv_file *, const char *, ...)
	    __attribute__((format(FERRY_PRINTF_FORMAT, 2, 3)));

/*
 * recv-commit.c: whether files in dirfd (the stream's cached directory)
 * are made durable by one syncfs per batch; sets it->by_fs. Asked before
 * the file is written, so that the syncfs's descriptor sees any write-
 * back error of it.
 */
void	recv_flush_plan(struct recv_stream *s, int dirfd,
	    struct recv_item *it);
/*
 * recv-commit.c: takes a finished file's fd (closed here) to be durable
 * before recv_commit renames it: flushed now by the stream's flusher, or
 * later by the batch's syncfs.
 */
void	recv_flush_file(struct recv_stream *s, int fd, struct recv_item *it);
/*
 * recv-commit.c: for a small new file that the batch's syncfs makes
 * durable, opens it without a name in dirfd (O_TMPFILE), to be linked
 * under its final name after that syncfs: no partial name to create and
 * rename, which on ext4 costs several scans of the directory. Returns -1
 * where that cannot be (the caller uses a partial name).
 */
int	recv_tmp_open(struct recv_stream *s, int dirfd, struct recv_item *it,
	    const struct msg_begin *b);
/* recv-commit.c: closes the unnamed files of a batch not committed. */
void	recv_tmp_drop(struct recv_stream *s);
/*
 * recv-commit.c: where recv_tmp_open would make the file unnamed, and
 * this stream has made one before, counts it against the budget and marks
 * it unnamed without opening it: a writer thread will (recv-write.c).
 * Returns 1 then, else 0.
 */
int	recv_tmp_reserve(struct recv_stream *s, struct recv_item *it,
	    const struct msg_begin *b);
/*
 * recv-commit.c: one more of the batch's files waits for its syncfs
 * (which may start an early one, see RECV_FS_KICK).
 */
void	recv_fs_written(struct recv_stream *s);
/*
 * recv-write.c: small new files created and written by writer threads
 * while the stream reads the next ones. recv_write_defer, at FILE_BEGIN:
 * 1 when rf's bytes are to be kept (rf->job) and handed on, 0 when the
 * stream writes them itself as before. recv_write_room is where the
 * next bytes go (the stream reads a DATA frame straight there), and
 * recv_write_keep takes them (copied, if they were read elsewhere; the
 * caller hashes them). recv_write_submit hands a checked file on with
 * its mode and time; recv_write_drop frees a failed one's bytes.
 * recv_write_wait returns once every file handed on is written (or has
 * failed: ack_reason), as a batch's end must before its syncfs;
 * recv_write_free waits, then stops the threads.
 */
int	recv_write_defer(struct recv_stream *s, struct recv_file *rf,
	    const struct msg_begin *b);
void	recv_write_keep(struct recv_file *rf, const void *data, size_t len);
/* recv-write.c: where rf's next bytes go, and how many fit there. */
uint8_t	*recv_write_room(struct recv_file *rf, size_t *len);
void	recv_write_submit(struct recv_stream *s, struct recv_file *rf,
	    uint32_t mode);
void	recv_write_drop(struct recv_stream *s, struct recv_file *rf);
void	recv_write_wait(struct recv_stream *s);
void	recv_write_free(struct recv_stream *s);
/*
 * recv-pipe.c: the end of a batch's data (an empty FILE_BEGIN). Without
 * PIPELINE, commits the batch and sends its ACKs. With it, sends the ACKs
 * of the batch held before (once its commit is over), then hands this one
 * to a commit of its own, in a thread while the next batch arrives, its
 * ACKs held until the next batch's data has come (docs/protocol.md 6.1).
 */
int	recv_batch_end(struct recv_stream *s, char **cause);
/*
 * recv-claim.c: takes rel for a file under way in the transfer, until
 * recv_unclaim: FERRY_ERR_EXIST if another file of it is (on any stream,
 * or in the batch held); recv_claims_free at the transfer's end.
 */
int	recv_claim(struct recv_shared *sh, const char *rel);
void	recv_unclaim(struct recv_shared *sh, const char *rel);
void	recv_claims_free(struct recv_shared *sh);
/* recv-pipe.c: whether a batch's ACKs are held, not sent yet. */
int	recv_pipe_held(const struct recv_stream *s);
/*
 * recv-pipe.c: at the stream's end: waits for the held batch's commit
 * (its files are in place, the caller told so) and frees it unanswered.
 */
void	recv_pipe_drop(struct recv_stream *s);
/* Puts the batch's verified files in place (recv-commit.c). */
void	recv_commit(struct recv_stream *s);
/* Applies directory modes and times, deepest first (recv-commit.c). */
void	recv_apply_dirs(struct recv_shared *sh);
/*
 * rel is in place (renamed, or found identical): told to the caller's
 * committed callback before the sender hears it (its PLAN or ACK).
 */
void	recv_committed(struct recv_shared *sh, const char *rel);

#endif
