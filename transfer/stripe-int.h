/*
 * Striping one large file across a transfer's streams (docs/protocol.md,
 * 6.7): the receiver cuts the file into chunks and says which it holds;
 * every stream of the sender takes the next chunk not yet sent as soon as
 * it is free (so a slow stream holds at most the chunk it is on), and the
 * receiver writes each chunk with pwrite at the place it computed itself,
 * checks it against its own xxh3-128, and records it in the sidecar so
 * that a later try sends only the chunks it lacks. The file's FILE_END
 * carries the xxh3-128 of all chunk hashes in order.
 */
#ifndef FERRY_STRIPE_INT_H
#define FERRY_STRIPE_INT_H

#include <pthread.h>
#include <stdint.h>

#include "hash-int.h"

/* Smaller files travel whole on one stream: not worth the chunks. */
#define STRIPE_MIN		(32ULL << 20)
/* The chunk size: at most STRIPE_CHUNK, larger only to stay under
   STRIPE_CHUNKS_MAX (stripe_chunk_size). */
#define STRIPE_CHUNK		(4U << 20)
#define STRIPE_CHUNK_MAX	(1U << 30)
#define STRIPE_CHUNKS_MAX	65536U
/*
 * Streams used for chunks: enough windows to cover the bandwidth-delay
 * product of a path of STRIPE_RATE bytes/s at the round trip TCP
 * measured, each window being what one socket may have in flight. 2.5
 * Gbit/s rather than the 1 Gbit/s a studio's line may have: fresh
 * connections start slow, and n of them leave slow start n times sooner
 * (at 150 ms, 16 streams moved 128 MiB in 2.4 s, 8 in 2.7-3.1, 5 in
 * 3.0-3.1, one in 5.2).
 */
#define STRIPE_RATE		(312.5e6)

struct stripe_out;

/* The sender's shared schedule of chunks (send_shared.stripes). */
struct stripe_sched {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct stripe_out	*list;	/* files with chunks to hand out */
	int			 open;	/* striped entries not settled yet */
	int			 broken;	/* a stream failed */
	int			 use;	/* streams 0..use-1 take chunks; 0:
					   each file's own stream alone */
	int			 offer;	/* offer large files striped */
};

/*
 * What a kill loses is the chunks in flight, one a stream at most (a
 * chunk not finished is sent again whole): the chunk size keeps that many
 * within half of 1 MiB + 0.1 % of the file (the lab's re-send budget,
 * docs/lab.md), and at least STRIPE_CHUNK_MIN. A later try takes up the
 * chunks whatever size they had (stripe-held.c).
 */
#define STRIPE_CHUNK_MIN	(64U << 10)
#define STRIPE_BUDGET(size)	((1ULL << 20) + (size) / 1000)
/* The chunk size for a file of size bytes sent over streams streams. */
uint32_t	stripe_chunk_size(uint64_t size, int streams);
/* How many chunks. */
uint32_t	stripe_chunks(uint64_t size, uint32_t csize);
/* How many streams to stripe over, from the round trip of conns' sockets. */
struct tls_conn;
int		stripe_streams(struct tls_conn **conns, int n);

/* What an earlier try left of a file (stripe-held.c). */
struct msg_entry;
struct stripe_held {
	int		  kind;		/* 1: a prefix; 2: chunks; 0: nothing */
	uint64_t	  prefix;	/* 1: its length */
	uint32_t	  csize;	/* 2: the earlier try's chunk size */
	uint32_t	  nchunks;
	uint32_t	  ndone;
	uint8_t		 *done;		/* per chunk: its bytes checked */
	uint8_t		(*hashes)[HASH_LEN];
};
int		stripe_held_read(int dirfd, const char *meta, int fd,
		    const struct msg_entry *e, struct stripe_held *h);
uint32_t	stripe_held_len(uint64_t size, uint32_t csize, uint32_t i);
int		stripe_held_covers(const struct stripe_held *h, uint64_t off,
		    uint64_t len);
uint64_t	stripe_held_prefix(const struct stripe_held *h, uint64_t size);
void		stripe_held_free(struct stripe_held *h);
void		stripe_held_to_prefix(int dirfd, const char *base,
		    const struct msg_entry *e);

#endif
