/*
 * Active and standby hubs on one PostgreSQL store (issue 17, docs/
 * operations.md): the hub that holds the store's lease (store_lease, a
 * session advisory lock on a connection of its own) is the active one;
 * another waits for it before it opens its control port, and takes over
 * within a second or two of the active one's death, since the server
 * drops a dead session's lock at once. On SQLite there is one hub and
 * the lease is always held.
 *
 * Once active, a thread renews the lease every second. A hub that finds
 * another holding it (after its own connection to the database was
 * lost, and someone took the lease meanwhile) stops at once, as kill -9
 * would: two active hubs would dispatch the same tasks twice, and the
 * store was written for a kill -9 at any point (design.md). While the
 * database is down, nobody can take the lease, and the hub waits.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

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

static void *
lease_main(void *arg)
{
	struct ferryd	*d = arg;
	int		 active, was_down = 0;

	while (!d->stop) {
		sleep(LEASE_EVERY_S);
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
		if (was_down || active == 2)
			log_info("the store's lease is still this hub's");
		was_down = 0;
	}
	return (NULL);
}

int
lease_wait(struct ferryd *d, const char *target, const char *pwfile,
    volatile int *give_up)
{
	pthread_t	 t;
	char		*cause = NULL;
	int		 r, active = 0, said = 0;

	if ((r = store_open_lease(target, pwfile, &d->lease, &cause)) != 0) {
		log_error("%s", cause ? cause : err_str(r));
		free(cause);
		return (r);
	}
	for (;;) {
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
	if (pthread_create(&t, NULL, lease_main, d) != 0)
		return (FERRY_ERR_NOMEM);
	pthread_detach(t);
	return (0);
}
