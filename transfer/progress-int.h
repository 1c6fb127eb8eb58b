/*
 * Progress shared by the streams of one transfer: totals, a recent rate
 * and an ETA, reported through the caller's callback at most every
 * PROGRESS_INTERVAL_MS and at the end of each file. Thread-safe.
 */
#ifndef FERRY_PROGRESS_H
#define FERRY_PROGRESS_H

#include <pthread.h>
#include <stdint.h>

#include "human.h"
#include "transfer.h"

#define PROGRESS_INTERVAL_MS	200

struct progress {
	pthread_mutex_t		 mu;
	transfer_progress_fn	 fn;
	void			*arg;
	struct transfer_progress p;
	double			 start;		/* seconds, monotonic */
	double			 last_call;
	struct human_meter	 meter;		/* the rate, smoothed */
};

void	progress_init(struct progress *pr, transfer_progress_fn fn,
	    void *arg);
void	progress_destroy(struct progress *pr);
/* Seconds on a monotonic clock. */
double	progress_now(void);
/* Adds to the totals (the receiver learns them batch by batch). */
void	progress_add_total(struct progress *pr, uint64_t files,
	    uint64_t bytes);
/*
 * Records bytes more of file (at file_done of file_total), and a finished
 * file when file_finished; calls the callback if it is time.
 */
void	progress_update(struct progress *pr, const char *file,
	    uint64_t file_done, uint64_t file_total, uint64_t bytes,
	    int file_finished);
/*
 * Records bytes more of a basis read by the receiver to make a signature:
 * work, though no file byte (a 6 GB basis takes a minute to hash); calls
 * the callback if it is time.
 */
void	progress_basis(struct progress *pr, uint64_t bytes);
/*
 * The same for bytes of its own files an end hashed before it could
 * answer (a partial file to resume, its copy for the skip check).
 */
void	progress_held(struct progress *pr, uint64_t bytes);

#endif
