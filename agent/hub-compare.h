/*
 * hub-compare.c: while the hub lists a send's files, the receiving agent
 * is asked which of them it holds already (node-compare.c), as its
 * receiver's quick check would find them: those are stored done, and
 * only the rest is transferred (docs/agent.md, "A send that finds its
 * files there"). The questions go while the listing goes on, a few
 * pages ahead. Public to the hub's files; not for agents.
 */
#ifndef FERRY_HUB_COMPARE_H
#define FERRY_HUB_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "ferryd.h"
#include "share-map.h"
#include "store.h"

/*
 * Names in one question the hub asks (the agent takes up to COMPARE_MAX):
 * small enough that the last answer, which the hub waits for before the
 * job is stored (and before each spill of its plan), comes soon after
 * the listing ends; big enough that a million files are 1,000 messages.
 * 4,096 made a no-op of 20,000 files 6 % slower (docs/benchmarks.md).
 */
#define COMPARE_PAGE	1024
/* Questions asked and not answered yet, at most, for one send. */
#define COMPARE_AHEAD	8

struct compare_q {
	char		 id[ASK_ID_LEN + 1];
	size_t		*idx;		/* the tasks asked about, in order */
	size_t		 n;
};

struct compare {
	struct ferryd		*d;
	const char		*from, *to;	/* borrowed */
	char			*link;	/* the agent asked, by name */
	const struct share_map	*m;		/* borrowed */
	struct share_map_cache	*tc;
	char			 platform[16];	/* the receiver's, "" */
	int			 on;	/* 0: nothing is asked (any more) */
	size_t			 sent;	/* tasks before this were asked */
	struct compare_q	 q[COMPARE_AHEAD];
	size_t			 nq;	/* waiting, oldest first */
	size_t			 asked, found;
	int64_t			 waited;	/* ms, for all answers */
};

/*
 * Whether a send from -> to asks at all: the hub lists the source itself
 * (from is its own site), no basis is named, an agent of to that answers
 * compares is linked now, nothing of other jobs is still to come to to
 * (store_dest_busy) and compare-first is not 0 (c->on). Caller holds
 * d->mu.
 */
void	compare_begin(struct compare *c, struct ferryd *d, const char *from,
	    const char *to, const struct share_map *m, int basis);
/*
 * The send's listing has t[0..n): asks about what is not asked yet once
 * a page's worth (COMPARE_PAGE) is there, or all of it with flush, and
 * with flush waits for every answer. An answer marks STORE_DONE the tasks
 * the receiver holds (queued ones without a basis, whose mtime the
 * listing noted). Never fails: on any doubt (no answer in time, an
 * answer that does not fit its question) nothing more is marked and
 * c->on goes to 0. The tasks move (a spill) only after a flush. Takes
 * d->mu, which the caller does not hold.
 */
void	compare_note(struct compare *c, struct store_task *t, size_t n,
	    int flush);
/* After a flush, before t's tasks are given up: the next ones from 0. */
void	compare_restart(struct compare *c);
/* Closes what is still asked. Takes d->mu. */
void	compare_end(struct compare *c);

#endif
