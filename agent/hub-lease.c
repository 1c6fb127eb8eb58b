/*
 * Active and standby hubs on one PostgreSQL store (issue 17, docs/
 * operations.md): the hub that holds the store's lease (store_lease, a
 * session advisory lock on a connection of its own) is the active one;
 * another waits for it before it opens its control port, and takes over
 * within a second or two of the active one's death, since the server
 * drops a dead session's lock at once, or DB_LEASE_SILENT_MS after it
 * last heard from a hub whose machine dropped off the network. On SQLite
 * there is one hub and the lease is always held.
 *
 * Fencing: once active, a thread checks the lease every second, and
 * each check that succeeds lets this hub act for DB_LEASE_FENCE_MS from
 * when it was sent (d->lease_until, and the store's own fence). Past
 * that, by the clock and whatever this thread is stuck in, the hub is
 * fenced: it dispatches nothing, its store runs and commits nothing, it
 * drops its agents' links and refuses new ones and its local API's
 * requests, saying why, so that agents that still reach it go to the
 * other hub. It stops before the server can free the lease (db.h), so
 * two hubs never act at once. If the lease comes back to this hub (the
 * database was restarted, and nobody took over), it acts again as a
 * new run: tasks left running are queued again, and agents, welcomed
 * with the new run, drop what the old one had them do. A hub that finds
 * another holding the lease stops at once, as kill -9 would (the store
 * was written for a kill -9 at any point, design.md).
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "db.h"
#include "err.h"
#include "ferryd.h"
#include "log.h"
#include "store.h"

#define LEASE_EVERY_S	1

static int
lease_check(struct ferryd *d, int *active)
{
	char	*cause = NULL;
	int	 r;

	if ((r = store_lease(d->lease, active, &cause)) != 0) {
		*active = -1;
		log_warnx("the store's lease: %s", cause ? cause : err_str(r));
	}
	free(cause);
	return (r);
}

/* The lease was confirmed by a check sent at sent_ms: act until then. */
static void
lease_renewed(struct ferryd *d, int64_t sent_ms)
{
	int64_t	until = sent_ms + DB_LEASE_FENCE_MS;

	/* The store first: it must never outlast the hub's own fence. */
	store_fence_at(d->store, until);
	atomic_store(&d->lease_until, until);
}

/*
 * The lease is this hub's again after it was fenced: the transfers of
 * the fenced run end (their links were dropped), tasks they left
 * running are queued again, and a new run makes agents drop the old
 * one's work before they take the new one's.
 */
static void
lease_regained(struct ferryd *d, int64_t sent_ms)
{
	size_t	 n = 0;
	int	 i;
	char	*cause = NULL;
	int64_t	 run;

	pthread_mutex_lock(&d->mu);
	for (i = 0; i < 300 && d->xfers != NULL; i++) {
		pthread_mutex_unlock(&d->mu);
		usleep(100000);
		pthread_mutex_lock(&d->mu);
	}
	store_fence_at(d->store, sent_ms + DB_LEASE_FENCE_MS);
	store_recover(d->store, clock_now(), &n, NULL);
	/* Not taken over by this run: its agents stop what they ran. */
	store_claims_forget(d->store, NULL);
	if (hub_ids_new_run(d, &cause) != 0) {
		/*
		 * Still a run of its own: ids go on from this process's
		 * last, which no other run of the store handed out.
		 */
		log_warnx("a new run from the store's ids: %s", cause);
		free(cause);
		if ((run = hub_ids_next(d)) < 0)
			run = d->hub_run + 1;
		d->hub_run = run;
	}
	atomic_store(&d->lease_until, sent_ms + DB_LEASE_FENCE_MS);
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->mu);
	log_info("active again: the store's lease is this hub's; a new run, "
	    "%zu task(s) queued again", n);
}

/*
 * The fence came by the clock, maybe while this thread waited on the
 * network: the log says when it really was, for whoever compares it
 * with the other hub's takeover (tests/pg/partition.sh).
 */
static void
lease_said_fenced(struct ferryd *d)
{
	struct timespec	ts;
	struct tm	tm;
	char		day[24];
	int64_t		ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 -
	    (clock_ms() - atomic_load(&d->lease_until));
	d->fenced_at = ms / 1000;
	ts.tv_sec = (time_t)(ms / 1000);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
	log_error("fenced since %s.%03dZ: the store's lease could not be "
	    "confirmed for %d s; this hub dispatches nothing, dropped its "
	    "agents' links and takes no work until it can (another hub "
	    "may take over)", day, (int)(ms % 1000), DB_LEASE_FENCE_MS / 1000);
}

static void *
lease_main(void *arg)
{
	struct ferryd	*d = arg;
	int64_t		 sent;
	int		 active, was_down = 0, fenced = 0;

	while (!d->stop) {
		sleep(LEASE_EVERY_S);
		if (!fenced && !lease_fresh(d)) {
			fenced = 1;
			lease_said_fenced(d);
		}
		sent = clock_ms();
		if (lease_check(d, &active) != 0) {
			was_down = 1;
			continue;
		}
		if (!active) {
			log_error("another hub holds the store's lease now: "
			    "stopping, so that only one hub acts (restarted, "
			    "this hub waits as the standby)");
			_exit(FERRYD_EXIT_FAILED);
		}
		if (fenced || !lease_fresh(d)) {
			/* Held again, on a new connection (active == 2). */
			lease_regained(d, sent);
			fenced = 0;
		} else {
			lease_renewed(d, sent);
			if (was_down || active == 2)
				log_info("the store's lease is still this "
				    "hub's");
		}
		was_down = 0;
	}
	return (NULL);
}

int
lease_wait(struct ferryd *d, const char *target, const char *pwfile,
    volatile int *give_up)
{
	char		*cause = NULL;
	int64_t		 sent;
	int		 r, active = 0, said = 0;

	if ((r = store_open_lease(target, pwfile, &d->lease, &cause)) != 0) {
		log_error("%s", cause ? cause : err_str(r));
		free(cause);
		return (r);
	}
	for (;;) {
		sent = clock_ms();
		if (lease_check(d, &active) == 0 && active)
			break;
		if (!said && active == 0)
			log_info("standby: another hub is active on %s; this one "
			    "takes over when that one stops", target);
		said |= active == 0;
		/* A standby asked to stop holds nothing to save. */
		if (give_up != NULL && *give_up) {
			log_info("stopping (standby)");
			_exit(FERRYD_EXIT_OK);
		}
		/* A second, saying so and answering `ferry status`. */
		hubs_standby_wait(d);
	}
	if (said)
		log_info("active: this hub holds the store's lease now");
	d->active = 1;
	/* Held from before it was asked: until the store is open, that. */
	atomic_store(&d->lease_until, sent + DB_LEASE_FENCE_MS);
	return (0);
}

int
lease_start(struct ferryd *d)
{
	pthread_t	t;

	int64_t		sent;
	int		active;

	if (d->lease == NULL)
		return (0);
	/* Opening the store took its time: confirm the lease again. */
	sent = clock_ms();
	if (lease_check(d, &active) == 0 && active)
		lease_renewed(d, sent);
	else
		store_fence_at(d->store, atomic_load(&d->lease_until));
	if (pthread_create(&t, NULL, lease_main, d) != 0)
		return (FERRY_ERR_NOMEM);
	pthread_detach(t);
	return (0);
}
