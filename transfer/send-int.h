/*
 * The sending side's private parts (send.c, stripe-send.c): the state of
 * one transfer's streams.
 */
#ifndef FERRY_SEND_INT_H
#define FERRY_SEND_INT_H

#include <pthread.h>
#include <stdint.h>

#include "beat-int.h"
#include "buf.h"
#include "conn-int.h"
#include "delta-int.h"
#include "blockmap-int.h"
#include "msg-int.h"
#include "progress-int.h"
#include "stripe-int.h"
#include "transfer.h"

#define SEND_READ_SIZE	(256 * 1024)
#define SEND_SMALL	(256 * 1024)	/* see send_assign */

struct send_shared {
	pthread_mutex_t		 mu;
	int			 rootfd;	/* the list's root */
	const struct transfer_list *l;
	const struct transfer_opts *o;
	struct progress		 pr;
	struct transfer_stats	 st;
	struct buf		 failures;
	double			 bw_next;	/* when the next byte may go */
	struct stripe_sched	 stripes;	/* chunks of striped files */
};

/* One entry this stream offers, and what became of it. */
struct send_item {
	uint32_t		 id;	/* index in the list */
	int			 attempts;
	int			 force_whole;
	int			 changed;	/* it changed while being read */
	int			 want_rsync;	/* blocks found too little */
	int			 rescan;	/* asked for that this try */
	/* The version on offer: from the list, refreshed after a change. */
	uint64_t		 size;
	int64_t			 mtime_sec;
	uint32_t		 mtime_nsec;
	uint32_t		 mode;
	struct msg_plan		 plan;
	struct delta_sig	*sig;		/* a librsync signature, or */
	struct blockmap		*bmap;		/* a block map */
	struct stripe_out	*so;		/* when striped (6.7) */
	struct buf		 map;		/* the receiver's chunk map */
	int			 striped;	/* offered with MSG_ENTRY_STRIPE */
	int			 spread;	/* its chunks went on several
						   streams */
	int			 awaiting;	/* its data went: one ACK due */
	int			 planned;	/* its PLAN came, this batch */
};

struct send_stream {
	struct send_shared	*sh;
	struct conn		 c;
	struct send_item	*items;	/* this stream's share, in order */
	size_t			 nitems;
	size_t			*queue;	/* ring of indices into items */
	size_t			 qcap;
	size_t			 qhead;
	size_t			 nqueue;
	size_t			*batch;
	size_t			 nbatch;
	size_t			*held;		/* PIPELINE: the batch sent */
	size_t			 nheld;		/* before, its ACKs to come */
	size_t			 find_next;	/* send_find's hint */
	uint8_t			*chunk;
	int			 index;		/* which stream */
	uint64_t		 features;	/* agreed in HELLO */
	struct beat_out		 beat;		/* keep-alives while hashing
						   a prefix to resume */
	int			 started;
	int			 result;
	char			*cause;
};


/*
 * The item of list (n indices into s->items) that has this id, or NULL;
 * searches on from the last one found (send-stream.c).
 */
struct send_item *send_find(struct send_stream *s, const size_t *list,
	    size_t n, uint32_t id);
/*
 * Reads the receiver's PLANs for the batch, and the SIGNATURE frames
 * after a DELTA or STRIPE plan (send-plan.c).
 */
int	send_read_plans(struct send_stream *s, char **cause);
/* Whether the caller asked the transfer to stop. */
int	send_aborted(const struct send_stream *s, char **cause);
/* Keeps all streams together under the bandwidth limit, if there is one. */
void	send_throttle(struct send_stream *s, size_t n);
int	send_begin(struct send_stream *s, uint32_t id, uint8_t action,
	    uint64_t offset, char **cause);
int	send_end(struct send_stream *s, uint32_t id, uint8_t status,
	    uint64_t size, struct hash *h, const char *reason, char **cause);
/* Opens tf's source beneath the list's root. */
int	send_open(struct send_shared *sh, const struct transfer_file *tf,
	    int flags, int *fd, struct stat *sb, char **why);

/* Striping (stripe-send.c). */
void	stripe_sched_init(struct stripe_sched *ss, int use);
void	stripe_sched_destroy(struct stripe_sched *ss);
/* A striped item's fate is settled: no stream need wait for it. */
void	stripe_settled(struct send_shared *sh, struct send_item *it);
/* A stream ends; failed: the others stop waiting for its chunks. */
void	stripe_stream_gone(struct send_shared *sh, int failed,
	    int can_stripe);
/* Sends the planned striped file it: FILE_BEGIN, chunks, FILE_END. */
int	stripe_send_file(struct send_stream *s, struct send_item *it,
	    char **cause);
/* Takes and sends chunks of any striped file while there are some. */
int	stripe_help(struct send_stream *s, char **cause);
/*
 * For a stream with nothing of its own left: sends batches of chunks as
 * they come, until no striped file is left unsettled.
 */
int	stripe_idle(struct send_stream *s, char **cause);

#endif
