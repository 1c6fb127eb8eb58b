/*
 * A planned job (more files than a send holds in memory, hub-jobplan.c)
 * is stored in batches of JOBSTORE_BATCH tasks, each its own transaction
 * with d->mu let go between them: a million files took d->mu for 22 s in
 * one transaction, and for those 22 s `ferry jobs`, other sends and every
 * transfer's report waited.
 *
 * Until its last batch is in, the job is marked here. The dispatcher
 * runs its stored tasks meanwhile (woken at each batch: the agents work
 * while the rest is stored), but the job does not end: its state stays
 * running whatever its stored tasks say (store_set_storing), and is
 * decided when the last batch is in (store_job_opened). Cancel, pause,
 * resume and retry refuse it. If storing fails halfway, the job's
 * transfers are stopped, as a cancel stops them, and once none runs
 * what was stored goes, in batches too: the send fails, and says how
 * many files were stored and delivered (those stay where they arrived;
 * a send again skips them). Removed only once its transfers ended, as
 * a job's and its tasks' ids may be taken again (SQLite's rowids) and a
 * late report must not reach another job's rows.
 *
 * A cancel is the exception among the job operations (jobstore_cancel):
 * a mistaken send of a whole project is stored while it is listed, and
 * nobody could stop it until its listing ended. Its transfers stop at
 * once, the dispatcher starts nothing more of it, and the storing stops
 * after the batch in hand; the job is then closed with what was stored
 * and cancelled as any job is, so that it stays, cancelled, with the
 * files it delivered done. Its send answers that it was cancelled.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "conf.h"
#include "err.h"
#include "ferryd.h"
#include "log.h"
#include "saved.h"
#include "store.h"

/*
 * A pause between batches, for others to take d->mu (0.25 s a million).
 * test-store-hold (a path, tests only): while that file is there, each
 * batch after the first waits (at most JOBSTORE_HOLD_MAX polls of 10 ms),
 * so that a test sees a job half stored run, and says when it goes on.
 * A fixed pause did that before, and was either long (46 s a test) or
 * too short on a loaded machine (a batch not delivered within it).
 */
#define JOBSTORE_GAP_US	2000
#define JOBSTORE_HOLD_MAX	6000
/* Jobs being stored at once (each a send of > 16,384 files, or of one
 * path and > JOBSTORE_BATCH). */
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
	int			 ended;		/* next said there is no more */
	size_t			 left;		/* what it has, SIZE_MAX: unknown */
};

static int
jobstore_next(void *arg, const struct store_task **t, char **cause)
{
	struct jobstore_src	*src = arg;
	int			 r = src->r;

	if (src->first == NULL && r == 1) {
		if ((r = src->next(src->arg, t, cause)) == 0)
			src->ended = 1;
		return (r);
	}
	if (r == 0)
		src->ended = 1;
	/* The first read's row, or its end (then again at each call). */
	*t = src->first;
	src->first = NULL;
	return (r);
}

/*
 * The jobs being stored now (0: a free slot), and whether each is being
 * removed (1: its storing failed, the dispatcher starts nothing more of
 * it; 2: a full store could not remove it, and jobstore_tick tries
 * again), under d->mu.
 */
static int64_t	jobstore_ids[JOBSTORE_MAX];
static int	jobstore_gone[JOBSTORE_MAX];
/* Who cancelled each while it was stored (jobstore_cancel), or NULL. */
static char	*jobstore_cancel_by[JOBSTORE_MAX];

static int64_t *jobstore_slot(int64_t);

/* Job id's place while it is stored, or NULL (0 is no job's). */
static int64_t *
jobstore_find(int64_t id)
{
	return (id != 0 ? jobstore_slot(id) : NULL);
}

int
jobstore_busy(struct ferryd *d, int64_t id)
{
	(void)d;
	return (jobstore_find(id) != NULL);
}

int
jobstore_removing(struct ferryd *d, int64_t id)
{
	int64_t	*slot = jobstore_find(id);

	(void)d;
	return (slot != NULL && (jobstore_gone[slot - jobstore_ids] != 0 ||
	    jobstore_cancel_by[slot - jobstore_ids] != NULL));
}

/* Who cancelled job id while it was stored, or NULL. Holds d->mu. */
static const char *
jobstore_cancelled(int64_t id)
{
	int64_t	*slot = jobstore_find(id);

	return (slot != NULL ? jobstore_cancel_by[slot - jobstore_ids] :
	    NULL);
}

int
jobstore_cancel(struct ferryd *d, int64_t id, const char *who,
    char **cause)
{
	int64_t	*slot = jobstore_slot(id);
	size_t	 k;

	if (id == 0 || slot == NULL)
		return (err_set(cause, FERRY_ERR_STATE, "job %jd is not being "
		    "stored", (intmax_t)id));
	k = (size_t)(slot - jobstore_ids);
	if (jobstore_gone[k] != 0)
		return (err_set(cause, FERRY_ERR_STATE, "job %jd is being "
		    "removed already: its storing failed", (intmax_t)id));
	/* A second cancel changes nothing: the first one's name stays. */
	if (jobstore_cancel_by[k] != NULL)
		return (0);
	if ((jobstore_cancel_by[k] = strdup(who)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	dispatch_stop(d, id);
	log_info("job %jd: cancelled by %s while it is being stored: it "
	    "stops after the batch in hand", (intmax_t)id, who);
	return (0);
}

/* The store's question (store_set_storing), under d->mu. */
static int
jobstore_storing(void *arg, int64_t id)
{
	return (jobstore_busy(arg, id));
}

/* The hold ends at a cancel too (store-cancel.sh). */
static void
jobstore_pause(struct ferryd *d, int64_t id, size_t stored)
{
	const char	*hold = d->conf.test_store_hold;
	int		 i, stop = 0;

	usleep(JOBSTORE_GAP_US);
	for (i = 0; hold != NULL && stored > 0 && i < JOBSTORE_HOLD_MAX &&
	    !stop && access(hold, F_OK) == 0; i++) {
		usleep(10000);
		pthread_mutex_lock(&d->mu);
		stop = jobstore_cancelled(id) != NULL;
		pthread_mutex_unlock(&d->mu);
	}
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

/*
 * Removes what was stored of job id, a batch at a time: 0 once it is
 * gone, else the store's error (in *cause if not NULL). Holds d->mu.
 */
static int
jobstore_unstore(struct ferryd *d, int64_t id, char **cause)
{
	int	more = 1, r = 0;

	while (more) {
		if ((r = store_job_unstore(d->store, id, JOBSTORE_BATCH, &more,
		    cause)) != 0)
			break;
		pthread_mutex_unlock(&d->mu);
		usleep(JOBSTORE_GAP_US);
		pthread_mutex_lock(&d->mu);
	}
	return (r);
}

/* Places free now. Holds d->mu. */
static size_t
jobstore_free(void)
{
	size_t	i, n = 0;

	for (i = 0; i < JOBSTORE_MAX; i++)
		n += jobstore_ids[i] == 0;
	return (n);
}

/*
 * Its row, marked; with half, only while more than half the places are
 * free (else 1, nothing made). Holds d->mu.
 */
static int
jobstore_open(struct ferryd *d, const struct store_job *job, int64_t now,
    int (*settle)(struct ferryd *, int64_t, void *, char **), void *sarg,
    int half, int64_t *id, char **cause)
{
	int64_t	*slot;
	int	 r;

	/* A send stored while listed holds its place for its whole listing. */
	if (half && jobstore_free() <= JOBSTORE_MAX / 2)
		return (1);
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
	 * jobstore_recover removes. Its settings (no relay, streams) too,
	 * before any of its tasks is there to run.
	 */
	if ((r = store_batch_begin_light(d->store, cause)) != 0)
		return (r);
	if ((r = store_job_open(d->store, job, now, id, cause)) == 0) {
		*slot = *id;
		jobstore_gone[slot - jobstore_ids] = 0;
		if ((r = jobstore_save(d, cause)) == 0 && settle != NULL)
			r = settle(d, *id, sarg, cause);
		if (r != 0)
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
 * Its audit record, its state (its stored tasks may all be done) and its
 * mark's end in one transaction: whole, or (after a kill) removed at the
 * next start. Holds d->mu.
 */
static int
jobstore_close(struct ferryd *d, const struct store_job *job, int64_t id,
    size_t n, int64_t now, char **cause)
{
	int64_t	*slot = jobstore_slot(id);
	int	 r;

	if ((r = store_batch_begin(d->store, cause)) != 0)
		return (r);
	r = store_job_opened(d->store, job, id, n, now, cause);
	if (r == 0 && slot != NULL) {
		*slot = 0;
		r = jobstore_save(d, cause);
		*slot = id;	/* until the caller lets it go */
	}
	return (store_batch_end(d->store, r, cause));
}

/*
 * Job id's transfers stopped (dispatch_stop, a cancel's), and waited
 * for until none runs: each records what it delivered as it ends, and a
 * removed job's ids may be given again. Holds d->mu, let go meanwhile.
 */
static void
jobstore_stop_xfers(struct ferryd *d, int64_t id)
{
	dispatch_stop(d, id);
	while (dispatch_running(d, id)) {
		pthread_mutex_unlock(&d->mu);
		usleep(10000);
		pthread_mutex_lock(&d->mu);
	}
}

/*
 * Storing job id failed (r, *cause) with n of its files stored: its
 * transfers stopped (dispatch_stop, a cancel's), then, once none runs,
 * what was stored goes. *cause says so, and how many of its files were
 * delivered. A store that cannot remove it (a full disk) keeps the job
 * marked, run and changed by nobody, for jobstore_tick (or, killed,
 * jobstore_recover at the next start): 1 then, else 0. Holds d->mu.
 */
static int
jobstore_fail(struct ferryd *d, int64_t id, size_t n, int r, char **cause)
{
	struct store_job	 j;
	int64_t			 done = 0, *slot = jobstore_slot(id);
	char			*why = NULL, *ucause = NULL;
	int			 ur;

	if (slot != NULL)
		jobstore_gone[slot - jobstore_ids] = 1;
	jobstore_stop_xfers(d, id);
	if (store_job_get(d->store, id, &j, NULL) == 0) {
		done = j.count[STORE_DONE];
		store_job_clear(&j);
	}
	if ((ur = jobstore_unstore(d, id, &ucause)) != 0 && slot != NULL)
		jobstore_gone[slot - jobstore_ids] = 2;
	/* Its id may be given again (SQLite's rowids): nothing of it stays. */
	if (ur == 0)
		saved_job_forget(id);
	if (cause != NULL) {
		why = *cause;
		*cause = NULL;
	}
	if (ur == 0)
		err_set(cause, r, "storing job %jd stopped after %zu of its "
		    "files: %s; the job is removed, %jd of its files had been "
		    "delivered and stay (send again: they are skipped)",
		    (intmax_t)id, n, why != NULL ? why : err_str(r),
		    (intmax_t)done);
	else
		err_set(cause, r, "storing job %jd stopped after %zu of its "
		    "files: %s; %jd of its files had been delivered and stay "
		    "(send again: they are skipped); the rest runs no more, "
		    "and goes once the store takes writes again, or when the "
		    "hub starts again (removing it: %s)",
		    (intmax_t)id, n, why != NULL ? why : err_str(r),
		    (intmax_t)done, ucause != NULL ? ucause : err_str(ur));
	log_warnx("job %jd: %s", (intmax_t)id, cause != NULL && *cause !=
	    NULL ? *cause : "storing stopped");
	free(why);
	free(ucause);
	return (ur != 0);
}

/* An array's tasks, for store_job_append. */
struct jobstore_array {
	const struct store_task	*t;
	size_t			 n, at;
};

static int
jobstore_array_next(void *arg, const struct store_task **t, char **cause)
{
	struct jobstore_array	*a = arg;

	(void)cause;
	if (a->at == a->n)
		return (0);
	*t = &a->t[a->at++];
	return (1);
}

/*
 * Stores next's tasks in batches, each its own transaction, d->mu taken
 * for each and let go between them, until next says there are no more:
 * src->first (src->r) is what a first read gave, if one was made.
 */
static int
jobstore_feed(struct ferryd *d, struct jobstore_run *run,
    struct jobstore_src *src, char **cause)
{
	size_t	k;
	int	r = 0;

	while (r == 0 && !src->ended) {
		/*
		 * Others take the store between two batches. A mutex is not
		 * fair: unlocked and locked again at once, it stayed with this
		 * thread for several batches (`ferry jobs` waited up to 3.3 s
		 * at a load of 30), so the others get a moment to take it.
		 */
		jobstore_pause(d, run->id, run->n);
		pthread_mutex_lock(&d->mu);
		k = 0;
		if ((r = store_batch_begin_light(d->store, cause)) == 0)
			r = store_batch_end(d->store, store_job_append(d->store,
			    run->job, run->id, jobstore_next, src,
			    JOBSTORE_BATCH, run->n, run->now, &k, cause), cause);
		if (r == 0)
			run->n += k;
		/* Its stored tasks may start while the rest is stored. */
		if (r == 0 && k > 0)
			pthread_cond_signal(&d->wake);
		/*
		 * Cancelled: no more after the batch in hand, which is in
		 * (queued, it is cancelled with the rest: jobstore_stop).
		 */
		if (r == 0 && jobstore_cancelled(run->id) != NULL)
			r = err_set(cause, FERRY_ERR_CANCELLED, "cancelled");
		pthread_mutex_unlock(&d->mu);
		/* Short of a whole batch, or all it has: there is no more. */
		if (k < JOBSTORE_BATCH || (src->left != SIZE_MAX &&
		    (src->left -= k) == 0))
			src->ended = 1;
	}
	return (r);
}

int
jobstore_begin(struct ferryd *d, struct jobstore_run *run,
    const struct store_job *job,
    int (*settle)(struct ferryd *, int64_t, void *, char **), void *sarg,
    int half, char **cause)
{
	int	r;

	run->job = job;
	run->id = 0;
	run->n = 0;
	run->now = clock_now();
	pthread_mutex_lock(&d->mu);
	r = jobstore_open(d, job, run->now, settle, sarg, half, &run->id,
	    cause);
	if (r != 0)
		run->id = 0;
	pthread_mutex_unlock(&d->mu);
	return (r);
}

int
jobstore_add(struct ferryd *d, struct jobstore_run *run,
    const struct store_task *t, size_t n, char **cause)
{
	struct jobstore_array	a = { t, n, 0 };
	struct jobstore_src	src = { jobstore_array_next, &a, NULL, 1, 0, n };

	return (n == 0 ? 0 : jobstore_feed(d, run, &src, cause));
}

/*
 * Job run->id, cancelled while it was stored (by who), cut short at the
 * run->n tasks stored: 0 and *cause saying so for its send, or an error
 * (then the caller removes it, as a failed store). Its place is let go
 * here. Holds d->mu.
 */
static int
jobstore_stop(struct ferryd *d, const struct jobstore_run *run, char *who,
    char **cause)
{
	const struct store_job	*job = run->job;
	struct store_job	 j;
	int64_t			 done = 0, *slot = jobstore_slot(run->id);
	char			*why = NULL;
	size_t			 n = 0;
	int			 r;

	if (run->n == 0)
		return (FERRY_ERR_STATE);
	/*
	 * Its stopped transfers' deliveries recorded first: cancelled
	 * before, a file that arrived in the meantime stayed cancelled,
	 * and was not counted.
	 */
	jobstore_stop_xfers(d, run->id);
	/*
	 * Cancelled, closed and no longer marked in one transaction: a hub
	 * killed before it removes the job at its start, after it finds
	 * it cancelled, never a job that runs on after its cancel.
	 */
	if ((r = store_batch_begin(d->store, &why)) == 0) {
		r = store_job_cut(d->store, job, run->id, run->n, who,
		    clock_now(), &n, &why);
		if (r == 0) {
			*slot = 0;
			r = jobstore_save(d, &why);
		}
		if ((r = store_batch_end(d->store, r, &why)) != 0)
			*slot = run->id;
	}
	if (r != 0) {
		log_warnx("job %jd: its cancel not stored: %s", (intmax_t)
		    run->id, why != NULL ? why : err_str(r));
		free(why);
		return (r);
	}
	jobstore_cancel_by[slot - jobstore_ids] = NULL;
	discard_job(d, run->id, job->to_site != NULL ? job->to_site :
	    job->to_user);
	api_wake_jobs();
	if (store_job_get(d->store, run->id, &j, NULL) == 0) {
		done = j.count[STORE_DONE];
		store_job_clear(&j);
	}
	/*
	 * At least: files a stopped transfer's receiver put in place as it
	 * stopped, their word not yet at the sender, are there uncounted,
	 * as after any cancel.
	 */
	err_set(cause, FERRY_ERR_CANCELLED, "job %jd was cancelled by %s "
	    "while it was being stored, after %zu of its files: at least "
	    "%jd of them are done (delivered, or found there already) and "
	    "stay, %zu cancelled; the job is kept, cancelled",
	    (intmax_t)run->id, who, run->n, (intmax_t)done, n);
	log_info("%s", *cause != NULL ? *cause : "a job cancelled");
	free(why);
	free(who);
	return (0);
}

int
jobstore_end(struct ferryd *d, struct jobstore_run *run, int r, char **cause)
{
	int64_t	*slot;
	char	*who;
	int	 kept = 0;

	pthread_mutex_lock(&d->mu);
	/*
	 * Cancelled (before its last batch or after it): closed and
	 * cancelled, or (nothing stored, a close that failed) removed.
	 */
	if ((slot = jobstore_find(run->id)) != NULL &&
	    (who = jobstore_cancel_by[slot - jobstore_ids]) != NULL) {
		if (jobstore_stop(d, run, who, cause) == 0) {
			pthread_mutex_unlock(&d->mu);
			return (FERRY_ERR_CANCELLED);
		}
		jobstore_cancel_by[slot - jobstore_ids] = NULL;
		if (r == 0)
			r = err_set(cause, FERRY_ERR_CANCELLED, "cancelled by "
			    "%s", who);
		free(who);
	}
	if (r == 0 && run->id != 0)
		r = jobstore_close(d, run->job, run->id, run->n, run->now,
		    cause);
	if (r != 0 && run->id != 0)
		kept = jobstore_fail(d, run->id, run->n, r, cause);
	if (!kept && (slot = jobstore_find(run->id)) != NULL) {
		*slot = 0;
		jobstore_save(d, NULL);
	}
	pthread_mutex_unlock(&d->mu);
	return (r);
}

int
jobstore_stream(struct ferryd *d, const struct store_job *job,
    int (*next)(void *, const struct store_task **, char **), void *arg,
    int (*settle)(struct ferryd *, int64_t, void *, char **), void *sarg,
    int64_t *id, size_t *files, char **cause)
{
	struct jobstore_src	src = { next, arg, NULL, 0, 0, SIZE_MAX };
	struct jobstore_run	run;
	int			r;

	if ((src.r = next(arg, &src.first, cause)) < 0)
		return (src.r);
	if ((r = jobstore_begin(d, &run, job, settle, sarg, 0, cause)) == 0)
		r = jobstore_feed(d, &run, &src, cause);
	if ((r = jobstore_end(d, &run, r, cause)) == 0) {
		*id = run.id;
		*files = run.n;
	}
	return (r);
}

void
jobstore_recover(struct ferryd *d)
{
	char		*list = NULL, *p, *end;
	long long	 id;
	int64_t		*slot;

	store_set_storing(d->store, jobstore_storing, d);
	if (store_meta_get(d->store, JOBSTORE_META, &list, NULL) != 0)
		return;
	/*
	 * Some of its files may have been delivered (its stored tasks ran):
	 * they stay where they arrived; a send again skips them. Nothing of
	 * it runs now (the dispatcher starts after this).
	 */
	for (p = list; *p != '\0'; p = end) {
		id = strtoll(p, &end, 10);
		if (end == p || id <= 0)
			break;
		log_warnx("job %lld was being stored when the hub stopped: "
		    "what was stored of it goes (its send had no answer; files "
		    "it delivered stay)", id);
		/*
		 * Not removed (a full disk): it stays marked, run by nobody,
		 * listed for the next start, and jobstore_tick tries again.
		 */
		if (jobstore_unstore(d, (int64_t)id, NULL) != 0 &&
		    (slot = jobstore_slot(0)) != NULL) {
			*slot = (int64_t)id;
			jobstore_gone[slot - jobstore_ids] = 2;
		}
	}
	free(list);
	jobstore_save(d, NULL);
}

void
jobstore_tick(struct ferryd *d)
{
	size_t	i;
	int	more;

	for (i = 0; i < JOBSTORE_MAX; i++) {
		/* A batch a tick: d->mu is not let go here. */
		if (jobstore_ids[i] == 0 || jobstore_gone[i] != 2 ||
		    store_job_unstore(d->store, jobstore_ids[i],
		    JOBSTORE_BATCH, &more, NULL) != 0 || more)
			continue;
		log_info("job %jd: what was stored of it is removed now",
		    (intmax_t)jobstore_ids[i]);
		saved_job_forget(jobstore_ids[i]);
		jobstore_ids[i] = 0;
		jobstore_gone[i] = 0;
		jobstore_save(d, NULL);
	}
}
