/*
 * A planned job (more files than a send holds in memory, hub-jobplan.c)
 * is stored in batches of JOBSTORE_BATCH tasks, each its own transaction
 * with d->mu let go between them: a million files took d->mu for 22 s in
 * one transaction, and for those 22 s `ferry jobs`, other sends and every
 * transfer's report waited.
 *
 * Until its last batch is in, the job is marked here: the dispatcher
 * does not start it (it would run, and could end, a job half stored) and
 * cancel, pause, resume and retry refuse it. If storing fails halfway,
 * what was stored goes again, in batches too; nothing of it runs.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "ferryd.h"
#include "log.h"
#include "store.h"

/* Tasks a transaction: about 0.2 s of d->mu at 22 µs a task. */
#define JOBSTORE_BATCH	8192
/* A pause between batches, for others to take d->mu (0.25 s a million). */
#define JOBSTORE_GAP_US	2000
/* Jobs being stored at once (each is a send of > 16,384 files). */
#define JOBSTORE_MAX	16

/*
 * The planned tasks, the first read before d->mu is taken: that read
 * sorts the whole plan (8 s for a million files at a load of 20), and
 * was the longest wait `ferry jobs` had while a job was stored.
 */
struct jobstore_src {
	int			(*next)(void *, const struct store_task **,
				    char **);
	void			*arg;
	const struct store_task	*first;
	int			 r;		/* the first read's */
};

static int
jobstore_next(void *arg, const struct store_task **t, char **cause)
{
	struct jobstore_src	*src = arg;
	int			 r = src->r;

	if (src->first == NULL && r == 1)
		return (src->next(src->arg, t, cause));
	/* The first read's row, or its end (then again at each call). */
	*t = src->first;
	src->first = NULL;
	return (r);
}

/* The jobs being stored now (0: a free slot), under d->mu. */
static int64_t	jobstore_ids[JOBSTORE_MAX];

int
jobstore_busy(struct ferryd *d, int64_t id)
{
	size_t	i;

	(void)d;
	for (i = 0; id != 0 && i < JOBSTORE_MAX; i++)
		if (jobstore_ids[i] == id)
			return (1);
	return (0);
}

static int64_t *
jobstore_slot(int64_t id)
{
	size_t	i;

	for (i = 0; i < JOBSTORE_MAX; i++)
		if (jobstore_ids[i] == id)
			return (&jobstore_ids[i]);
	return (NULL);
}

/*
 * The jobs being stored, in the store too (meta "jobs-storing": their
 * ids), so that a hub killed halfway removes what it had stored of them
 * when it starts again, rather than run half a job. Holds d->mu.
 */
#define JOBSTORE_META	"jobs-storing"

static int
jobstore_save(struct ferryd *d, char **cause)
{
	char	list[JOBSTORE_MAX * 21 + 1];
	size_t	i, at = 0;

	list[0] = '\0';
	for (i = 0; i < JOBSTORE_MAX; i++)
		if (jobstore_ids[i] != 0)
			at += (size_t)snprintf(list + at, sizeof list - at,
			    "%s%jd", at > 0 ? " " : "",
			    (intmax_t)jobstore_ids[i]);
	return (store_meta_set(d->store, JOBSTORE_META, list, cause));
}

/* Removes what was stored of job id, a batch at a time. Holds d->mu. */
static void
jobstore_unstore(struct ferryd *d, int64_t id)
{
	int	more = 1;

	while (more) {
		if (store_job_unstore(d->store, id, JOBSTORE_BATCH, &more,
		    NULL) != 0)
			break;
		pthread_mutex_unlock(&d->mu);
		usleep(JOBSTORE_GAP_US);
		pthread_mutex_lock(&d->mu);
	}
}

/* Its row, marked. Holds d->mu. */
static int
jobstore_open(struct ferryd *d, const struct store_job *job, int64_t now,
    int64_t *id, char **cause)
{
	int64_t	*slot;
	int	 r;

	if ((slot = jobstore_slot(0)) == NULL)
		return (err_set(cause, FERRY_ERR_TOOBIG, "the hub is storing "
		    "%d big jobs already: send this one again when one of them "
		    "is stored", JOBSTORE_MAX));
	/*
	 * The job's row and its mark in one transaction. Light, as the
	 * batches of tasks (store_job_append's, joined here): nothing of
	 * the job is acknowledged before jobstore_close's durable commit,
	 * whose flush covers these (the store's log is flushed in order),
	 * and a power cut before it leaves either nothing or what
	 * jobstore_recover removes.
	 */
	if ((r = store_batch_begin_light(d->store, cause)) != 0)
		return (r);
	if ((r = store_job_open(d->store, job, now, id, cause)) == 0) {
		*slot = *id;
		if ((r = jobstore_save(d, cause)) != 0)
			*slot = 0;
	}
	if ((r = store_batch_end(d->store, r, cause)) != 0) {
		*slot = 0;
		return (r);
	}
	log_info("job %jd: storing its files, %d a transaction",
	    (intmax_t)*id, JOBSTORE_BATCH);
	return (0);
}

/*
 * Its settings, its audit record and its mark's end in one transaction:
 * whole, or (after a kill) removed at the next start. Holds d->mu.
 */
static int
jobstore_close(struct ferryd *d, const struct store_job *job, int64_t id,
    size_t n, int64_t now, int (*settle)(struct ferryd *, int64_t, void *,
    char **), void *sarg, char **cause)
{
	int64_t	*slot = jobstore_slot(id);
	int	 r;

	if ((r = store_batch_begin(d->store, cause)) != 0)
		return (r);
	if (settle != NULL)
		r = settle(d, id, sarg, cause);
	if (r == 0)
		r = store_job_opened(d->store, job, id, n, now, cause);
	if (r == 0 && slot != NULL) {
		*slot = 0;
		r = jobstore_save(d, cause);
		*slot = id;	/* until the caller lets it go */
	}
	return (store_batch_end(d->store, r, cause));
}

int
jobstore_stream(struct ferryd *d, const struct store_job *job,
    int (*next)(void *, const struct store_task **, char **), void *arg,
    int (*settle)(struct ferryd *, int64_t, void *, char **), void *sarg,
    int64_t *id, size_t *files, char **cause)
{
	struct jobstore_src	 src;
	int64_t			 now = clock_now(), new_id = 0, *slot;
	size_t			 n = 0, k = JOBSTORE_BATCH;
	int			 r;

	src.next = next;
	src.arg = arg;
	src.first = NULL;
	if ((src.r = next(arg, &src.first, cause)) < 0)
		return (src.r);
	pthread_mutex_lock(&d->mu);
	r = jobstore_open(d, job, now, &new_id, cause);
	while (r == 0 && k == JOBSTORE_BATCH) {
		/*
		 * Others take the store between two batches. A mutex is not
		 * fair: unlocked and locked again at once, it stayed with this
		 * thread for several batches (`ferry jobs` waited up to 3.3 s
		 * at a load of 30), so the others get a moment to take it.
		 */
		pthread_mutex_unlock(&d->mu);
		usleep(JOBSTORE_GAP_US);
		pthread_mutex_lock(&d->mu);
		if ((r = store_batch_begin_light(d->store, cause)) == 0)
			r = store_batch_end(d->store, store_job_append(d->store,
			    job, new_id, jobstore_next, &src, JOBSTORE_BATCH,
			    n, now, &k, cause), cause);
		if (r == 0)
			n += k;
	}
	if (r == 0)
		r = jobstore_close(d, job, new_id, n, now, settle, sarg, cause);
	if (r != 0 && new_id != 0)
		jobstore_unstore(d, new_id);
	if (new_id != 0 && (slot = jobstore_slot(new_id)) != NULL) {
		*slot = 0;
		jobstore_save(d, NULL);
	}
	pthread_mutex_unlock(&d->mu);
	if (r == 0) {
		*id = new_id;
		*files = n;
	}
	return (r);
}

void
jobstore_recover(struct ferryd *d)
{
	char		*list = NULL, *p, *end;
	long long	 id;

	if (store_meta_get(d->store, JOBSTORE_META, &list, NULL) != 0)
		return;
	for (p = list; *p != '\0'; p = end) {
		id = strtoll(p, &end, 10);
		if (end == p || id <= 0)
			break;
		log_warnx("job %lld was being stored when the hub stopped: "
		    "what was stored of it goes (its send had no answer)", id);
		jobstore_unstore(d, (int64_t)id);
	}
	free(list);
	jobstore_save(d, NULL);
}
