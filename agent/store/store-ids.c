/*
 * Blocks of ids reserved in the meta table (agent/hub-ids.c: the hub's
 * runs and transfer ids). The key holds a bound below which ids may have
 * been handed out; a reservation takes the ids from the larger of the
 * bound and the caller's wish, and moves the bound a block above them.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "db.h"
#include "err.h"
#include "store.h"
#include "store-int.h"

/* The key's bound: 0 if unset; an error naming the key if not 0..max. */
static int
store_ids_parse(const char *key, const char *v, int64_t max, int64_t *below,
    char **cause)
{
	char	*end;

	errno = 0;
	*below = strtoll(v, &end, 10);
	if (*v == '\0' || *end != '\0' || *below < 0 || errno != 0 ||
	    *below > max)
		return (err_set(cause, FERRY_ERR_PARSE, "the store's %s is not "
		    "a number from 0 to %" PRId64 ": %s", key, max, v));
	return (0);
}

/*
 * Moves the bound from old (NULL: unset) to new, if nobody moved it
 * since it was read: 1 if moved, 0 if another did first, or an error.
 */
static int
store_ids_swap(struct store *st, const char *key, const char *old,
    const char *new, char **cause)
{
	static const char	 ins[] = "INSERT INTO meta (key, value)"
	    " VALUES (?, ?) ON CONFLICT (key) DO NOTHING";
	static const char	 upd[] = "UPDATE meta SET value = ?"
	    " WHERE key = ? AND value = ?";
	struct db_stmt		*s;
	int			 r;

	if (old == NULL)
		r = db_q(st->db, ins, &s, cause, "tt", key, new);
	else
		r = db_q(st->db, upd, &s, cause, "ttt", new, key, old);
	if (r != 0 || (r = db_exec(st->db, s, cause)) != 0)
		return (r);	/* FERRY_ERR_*, all below 0 */
	return (db_changes(st->db) == 1);
}

/*
 * Read, then compare and swap, again while another process moved the
 * bound between: the read and the write are two statements, and two
 * hubs on one store (or two processes on one SQLite file) that both
 * read the bound and both wrote it a block higher got the same block
 * (tests/unit/test-store-ids.c: every one of 600, two processes on
 * SQLite; 133 on PostgreSQL). The swap needs no transaction's
 * isolation: an UPDATE whose WHERE names the old value changes nothing
 * if another committed first (PostgreSQL, read committed, checks the
 * row again after waiting for the other's lock), and an insert of an
 * unset key does nothing if another inserted it first.
 *
 * Each miss is another's success, but one process can lose many in a
 * row while others reserve in a tight loop: with a bound of 100 tries,
 * test-store-ids on PostgreSQL under load had a process give up (561 of
 * 600 blocks). So a miss backs off a random 0 to 2^k ms (at most 16), and
 * only STORE_IDS_WAIT_MS of misses in a row give up. Short: the hub asks
 * under its lock (hub_ids_next, in dispatch_job), and two hubs, not many
 * processes, share a store.
 */
#define STORE_IDS_WAIT_MS	2000

/* After the tries-th miss in a row: a random pause, longer each time. */
static void
store_ids_pause(int tries)
{
	struct timespec	ts;
	uint32_t	x, cap = tries < 4 ? 1U << (tries + 1) : 16;

	x = (uint32_t)clock_ms() ^ (uint32_t)(uintptr_t)&ts ^
	    (uint32_t)tries * 2654435761U;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(x % (cap * 1000U)) * 1000L;
	nanosleep(&ts, NULL);
}

int
store_ids_reserve(struct store *st, const char *key, int64_t from,
    int64_t block, int64_t max, int64_t *got, char **cause)
{
	char	*v, buf[32];
	int64_t	 below, first, since = clock_ms();
	int	 r, tries;

	for (tries = 0; tries == 0 || clock_ms() - since < STORE_IDS_WAIT_MS;
	    tries++) {
		if (tries > 0)
			store_ids_pause(tries);
		below = 0;
		r = store_meta_get(st, key, &v, cause);
		if (r != 0 && r != FERRY_ERR_NOTFOUND)
			return (r);
		if (v != NULL &&
		    (r = store_ids_parse(key, v, max, &below, cause)) != 0) {
			free(v);
			return (r);
		}
		first = below > from ? below : from;
		snprintf(buf, sizeof buf, "%" PRId64, first + block);
		r = store_ids_swap(st, key, v, buf, cause);
		free(v);
		if (r < 0)
			return (r);
		if (r == 1) {
			*got = first;
			return (0);
		}
	}
	return (err_set(cause, FERRY_ERR_TIMEOUT, "the store's %s was moved "
	    "by others %d times in %d s while this hub read it", key, tries,
	    STORE_IDS_WAIT_MS / 1000));
}
