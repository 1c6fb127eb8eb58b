/*
 * hub-jobs-int.h: a send's job being put together (hub-jobs.c), and a
 * big send of one path stored while the hub lists it (hub-jobstream.c).
 * Private to those two files.
 */
#ifndef FERRY_HUB_JOBS_INT_H
#define FERRY_HUB_JOBS_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ferryd.h"
#include "hub-compare.h"
#include "hub-jobplan.h"
#include "store.h"

struct hub_sftp_site;
struct liststat;
struct share_map;
struct share_map_cache;

/* A job being put together from the paths of a send request. */
struct jobs_build {
	struct ferryd		*d;
	struct share_map	*m;
	const char		*from;
	const char		*to;
	const json_t		*basis;	/* source path -> its basis; NULL */
	struct store_task	*t;
	size_t			 n, cap;	/* tasks in t, its room */
	char			*cause;
	int			 skip_missing;	/* frames not on disk */
	/* Whether from and to are restricted: 0 no, 1 yes, else unknown. */
	int			 restricted[2];
	struct hub_sftp_site	*sftp;	/* an end that is an SFTP site */
	struct jobplan		 plan;	/* t[] spilled to disk, if big */
	int64_t			 files;	/* added so far, spilled or not */
	long			 max_files;	/* max-job-files */
	/* An agent's listing (jobs_add_remote): what was asked, since when. */
	const json_t		*asked;
	int64_t			 list_start;
	long			 list_max;	/* max-list-time, seconds */
	const char		*list_limit;	/* the limit it broke, if any */
	/* Whose roots each end's paths are in ("": not known, none linked). */
	char			 from_platform[16];
	char			 to_platform[16];
	/* Each directory translated once (share-map.h); NULL: none. */
	struct share_map_cache	*tc;
	/* The hub lists: each file's stat, for the dispatcher to reuse. */
	struct liststat		*ls;
	const char		*root;		/* the share root listed */
	/* What the receiver holds already, asked while listing. */
	struct compare		 cmp;
	/* Stored while it is listed (hub-jobstream.c); NULL: once listed. */
	struct jobs_stream	*st;
};

/*
 * A job's no-relay mark and streams, stored with it (in its first
 * transaction, before any task is there to run), and the listing's stats
 * handed to the dispatcher once its id is known. jobs_settle is
 * jobstore_begin's settle; holds d->mu.
 */
struct jobs_settings {
	int		 no_relay;
	const json_t	*streams;
	struct liststat	*ls;	/* the listing's stats, for this job alone */
};
int	jobs_settle(struct ferryd *d, int64_t id, void *arg, char **cause);

/*
 * The job's row of a send (req) by who, as the store takes it; its
 * strings are borrowed from req, b and meta. Takes d->mu.
 */
void	jobs_job_fill(struct jobs_build *b, const json_t *req, const char *who,
	    char *meta, struct store_job *job);

/*
 * A send of one path that the hub lists itself is stored while it is
 * listed, a batch at a time (JOBSTORE_BATCH), so that its first files
 * move while the rest is listed: the job is made when its first batch
 * is full (after the relay check that a send's end would make), and a
 * send smaller than a batch is made at the end as any other. A failure
 * after that (a symlink found, max-job-files, a store that fails) stops
 * its transfers and removes the job, as a big send's failed storing
 * does: the files delivered meanwhile stay. One path: its files are
 * each listed once, and need no plan to find a file named twice.
 */
struct jobs_stream {
	const json_t		*req;
	const char		*who;
	char			*meta;		/* borrowed */
	struct store_job	 job;
	struct jobs_settings	 js;
	struct jobstore_run	 run;
	int			 opened;	/* run.id is the job's */
	size_t			 found;		/* stored done (compare) */
};

/* b's listing has a whole batch: stores it, the job made first. */
int	jobstream_batch(struct jobs_build *b);
/*
 * The listing ended with r: the rest stored and the job closed, or
 * (r != 0, or a failure now) the job removed. Only once opened.
 */
int	jobstream_end(struct jobs_build *b, int r);

#endif
