/*
 * The receiving side's private parts (recv.c, recv-commit.c): the state of
 * one transfer's streams, and putting a batch's files and directories in
 * place once they are on disk.
 */
#ifndef FERRY_RECV_INT_H
#define FERRY_RECV_INT_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

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
	uint8_t			 sent_action;
	uint64_t		 sent_offset;
	uint8_t			 ack_status;
	char			*ack_reason;
};

/* The file whose data is arriving. */
struct recv_file {
	struct recv_item	*it;
	int			 dirfd;
	const char		*base;
	char			 part[TREE_TMP_MAX];
	char			 meta[TREE_TMP_MAX];
	int			 fd;
	int			 basis_fd;
	struct delta		*patch;
	struct inplace		*ip;		/* or a patch of a clone */
	struct hash		*h;
	uint64_t		 written;
	uint64_t		 kicked;	/* writeback started up to */
	int			 failed;	/* drain the rest, then ACK */
	char			*why;
};

struct recv_stream {
	struct recv_shared	*sh;
	struct conn		 c;
	struct recv_item	*items;
	size_t			 nitems;
	char			*cache_dir;	/* parent of the last path */
	int			 cache_fd;	/* and its directory */
	int			 cache_parts;	/* partials there? -1: not read */
	struct flusher		*fl;		/* flushes finished files */
	int			 started;
	int			 result;
	char			*cause;
};

/*
 * Like tree_open_parent, but keeps the last directory open: entries of one
 * directory come together. The fd is borrowed: do not close it.
 */
int	recv_parent(struct recv_stream *s, const char *rel, int create,
	    int *dirfd, const char **base, char **cause);
/* Puts the batch's verified files in place (recv-commit.c). */
void	recv_commit(struct recv_stream *s);
/* Applies directory modes and times, deepest first (recv-commit.c). */
void	recv_apply_dirs(struct recv_shared *sh);

#endif
