/*
 * The hub's runs and transfer ids, unique across its lives.
 *
 * Each time a hub starts (or acts again after it was fenced) it begins a
 * run, whose number every welcome carries: an agent that sees another
 * run stops what the last one had it do, but for the transfers the new
 * run takes over (hub-adopt.c), and reports those in its hello, which
 * the hub reads only from agents of another run. A transfer's id is its
 * run's number plus a count, and agents and claims name transfers by it.
 * So a run must differ from every earlier run, and its ids must be above
 * every id an earlier run handed out: else agents keep running the last
 * run's transfers as if nothing happened, unreported, and a report of an
 * old transfer could be taken for a new one of the same id.
 *
 * The wall clock alone does not give that: a hub killed and started
 * again within a second started the same run (tests/agent/run-restart.sh;
 * tests/security/adopt-flood.sh saw it about once in five), and a clock
 * stepped back gave ids already handed out. The store keeps, in its meta
 * table, a bound below which ids may have been handed out ("ids-below");
 * a run takes a block of ids above it and above the clock, writing the
 * new bound before it hands out the first, and takes another block when
 * one is used up. One write per HUB_IDS_BLOCK transfers; on PostgreSQL
 * the store is shared, so the hubs of one store never overlap either:
 * not because of the lease (an active hub and a standby, issue 17, would
 * both reserve should the lease ever be wrong) but because the store
 * moves the bound atomically (store_ids_reserve: a compare and swap;
 * tests/unit/test-store-ids.c reserves from two processes at once).
 *
 * Callers hold d->mu.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "clock.h"
#include "err.h"
#include "ferryd.h"
#include "log.h"
#include "store.h"

/*
 * Ids taken at a time. A run's ids are its number plus a count, and the
 * clock's part is seconds times 1000, so a block of a million is about
 * 17 minutes of the clock: the number of a run started soon after a busy
 * one is ahead of the clock by up to that, which nothing reads as a time.
 */
#define HUB_IDS_BLOCK	1000000
#define HUB_IDS_KEY	"ids-below"
/*
 * The highest bound taken from the store: the clock's part is about 2^51
 * now, so anything near 2^63 is damage, and a block above it would
 * overflow int64 (tests/security/ids-garbage.sh).
 */
#define HUB_IDS_MAX	(INT64_MAX / 2)

static int64_t	hub_ids_next_id;	/* the last id handed out */
static int64_t	hub_ids_limit;		/* ids below it are this run's */

/* Reserves ids from at least from up to hub_ids_limit: the first, or -1. */
static int64_t
hub_ids_reserve(struct ferryd *d, int64_t from, char **cause)
{
	int64_t	got;

	if (store_ids_reserve(d->store, HUB_IDS_KEY, from, HUB_IDS_BLOCK,
	    HUB_IDS_MAX, &got, cause) != 0)
		return (-1);
	hub_ids_limit = got + HUB_IDS_BLOCK;
	return (got);
}

int
hub_ids_new_run(struct ferryd *d, char **cause)
{
	int64_t	from = clock_now() * 1000, run;

	/* Above this process's own earlier runs, whatever the store says. */
	if (from <= hub_ids_next_id)
		from = hub_ids_next_id + 1;
	if ((run = hub_ids_reserve(d, from, cause)) < 0)
		return (-1);
	d->hub_run = run;
	hub_ids_next_id = run;
	return (0);
}

int64_t
hub_ids_next(struct ferryd *d)
{
	char	*cause = NULL;
	int64_t	 from;

	if (hub_ids_next_id + 1 >= hub_ids_limit) {
		if ((from = hub_ids_reserve(d, hub_ids_next_id + 1,
		    &cause)) < 0) {
			log_warnx("no transfer ids for now: %s", cause ?
			    cause : "the store");
			free(cause);
			return (-1);
		}
		/* Another hub of the store may have taken the ids between. */
		if (from - 1 > hub_ids_next_id)
			hub_ids_next_id = from - 1;
	}
	return (++hub_ids_next_id);
}

void
hub_ids_seen(int64_t id)
{
	if (id > hub_ids_next_id)
		hub_ids_next_id = id;
}
