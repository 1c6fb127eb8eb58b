#include "config.h"

#include <string.h>
#include <time.h>

#include "human.h"
#include "progress-int.h"

double
progress_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

void
progress_init(struct progress *pr, transfer_progress_fn fn, void *arg)
{
	memset(pr, 0, sizeof *pr);
	pthread_mutex_init(&pr->mu, NULL);
	pr->fn = fn;
	pr->arg = arg;
	pr->start = progress_now();
	pr->p.eta = -1;
	human_meter_add(&pr->meter, pr->start, 0);
}

void
progress_destroy(struct progress *pr)
{
	pthread_mutex_destroy(&pr->mu);
}

void
progress_add_total(struct progress *pr, uint64_t files, uint64_t bytes)
{
	pthread_mutex_lock(&pr->mu);
	pr->p.files_total += files;
	pr->p.bytes_total += bytes;
	pthread_mutex_unlock(&pr->mu);
}

void
progress_update(struct progress *pr, const char *file, uint64_t file_done,
    uint64_t file_total, uint64_t bytes, int file_finished)
{
	struct transfer_progress	*p = &pr->p;
	double				 now;

	pthread_mutex_lock(&pr->mu);
	p->bytes_done += bytes;
	p->files_done += file_finished ? 1 : 0;
	now = progress_now();
	/* A moving average: a pause does not halve it at each tick. */
	human_meter_add(&pr->meter, now, p->bytes_done);
	p->rate = pr->meter.rate;
	p->stalled = human_meter_stalled(&pr->meter, now);
	p->eta = human_meter_eta(&pr->meter, now, p->bytes_total >=
	    p->bytes_done ? p->bytes_total - p->bytes_done : 0);
	if (pr->fn != NULL && (file_finished ||
	    (now - pr->last_call) * 1000 >= PROGRESS_INTERVAL_MS)) {
		p->file = file;
		p->file_done = file_done;
		p->file_total = file_total;
		pr->last_call = now;
		pr->fn(p, pr->arg);
		p->file = NULL;
	}
	pthread_mutex_unlock(&pr->mu);
}

/*
 * Bytes an end read for its own work (a basis for a signature, a file it
 * hashes before an answer) into *counter: not in the rate nor the ETA,
 * which are about the files' bytes. Takes pr->mu.
 */
static void
progress_own(struct progress *pr, uint64_t *counter, uint64_t bytes)
{
	double	now;

	pthread_mutex_lock(&pr->mu);
	*counter += bytes;
	now = progress_now();
	if (pr->fn != NULL &&
	    (now - pr->last_call) * 1000 >= PROGRESS_INTERVAL_MS) {
		pr->last_call = now;
		pr->fn(&pr->p, pr->arg);
	}
	pthread_mutex_unlock(&pr->mu);
}

void
progress_basis(struct progress *pr, uint64_t bytes)
{
	progress_own(pr, &pr->p.basis_read, bytes);
}

void
progress_held(struct progress *pr, uint64_t bytes)
{
	progress_own(pr, &pr->p.held_read, bytes);
}
