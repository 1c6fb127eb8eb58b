/*
 * A send's files on disk once they are too many to hold (hub-jobplan.c):
 * spill the listed tasks a batch at a time, then store the job from
 * jobplan_next, which gives them by destination, one per destination.
 */
#ifndef FERRY_HUB_JOBPLAN_H
#define FERRY_HUB_JOBPLAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store.h"

/* Files listed in memory before they go to disk. */
#define JOBPLAN_SPILL	16384
/* Files in one page of an agent's listing ("list" with "page"). */
#define JOBPLAN_PAGE	4096
/*
 * Files in one send or publish, by default (max-job-files): a whole
 * show's frames fit, a listing meant to fill the hub's disk with the
 * job's plan, or its memory with a publish's, does not.
 */
#define JOBS_MAX_FILES	10000000L

struct jobplan_run;

/* All zero: nothing spilled yet. */
struct jobplan {
	int			 fd, open;	/* the runs' file */
	char			 dir[1024];	/* where it is, for errors */
	off_t			 size;
	struct jobplan_run	*run;		/* sorted runs, in order */
	size_t			 nrun;
	size_t			*heap;		/* runs by next record */
	size_t			 nheap;
	int			 merging, given;
	size_t			 ndone;	/* given marked done (hub-compare.h) */
	char			*last;	/* the last destination given */
	struct store_task	 cur;
};

/*
 * Adds the *n tasks of t in the order named, and frees their strings
 * (*n becomes 0; t itself stays for more): 0, or FERRY_ERR_IO.
 */
int	jobplan_spill(struct jobplan *p, struct store_task *t, size_t *n,
	    char **cause);
/* store_job_create_stream's next: arg is the plan. */
int	jobplan_next(void *arg, const struct store_task **t, char **cause);
void	jobplan_close(struct jobplan *p);

#endif
