/*
 * How other threads wake the local API's loop (api.c): a pipe it polls.
 * A send's worker writes it when its answer is ready; the dispatcher and
 * the job operations write it when a job may have ended, so that a "job"
 * request held for "wait_ms" (docs/api.md) is answered then, not at its
 * deadline. A file of its own, calling nothing of the daemon's: the
 * dispatcher calls it and the loop calls the dispatcher's callers, and
 * calls between files go one way (HACKING.md).
 */
#include "config.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <unistd.h>

#include "ferryd.h"

static int		api_wake_fds[2] = { -1, -1 };
/* Bumped whenever a job may have changed; read by the loop. */
static atomic_uint	api_wake_gen;
/* "job" requests held by the loop: without any, a change writes nothing. */
static atomic_int	api_wake_held;
/*
 * Local "job" requests answered, and of those how many were held: status
 * shows them ("api"), so a test can tell that `ferry send --wait` asked
 * a few times, held, rather than every 20 ms.
 */
static atomic_ullong	api_wake_nlooks, api_wake_nheld;

int
api_wake_open(void)
{
	/* pipe2, not fcntl after pipe: the Windows build's pipe2 (compat)
	 * sets both flags at birth and has no F_SETFD. */
	if (api_wake_fds[0] == -1 &&
	    pipe2(api_wake_fds, O_NONBLOCK | O_CLOEXEC) == -1)
		api_wake_fds[0] = api_wake_fds[1] = -1;
	return (api_wake_fds[0]);
}

int
api_wake_fd(void)
{
	return (api_wake_fds[0]);
}

void
api_wake(void)
{
	if (api_wake_fds[1] != -1 && write(api_wake_fds[1], "", 1) == -1) {
		/* The pipe is full: the loop wakes already. */
	}
}

void
api_wake_drain(void)
{
	char	drain[64];

	while (api_wake_fds[0] != -1 &&
	    read(api_wake_fds[0], drain, sizeof drain) > 0)
		;
}

/*
 * A job may have left queued or running. Takes no lock (callers hold
 * d->mu) and costs an atomic add, plus a write(2) while a request waits.
 */
void
api_wake_jobs(void)
{
	atomic_fetch_add(&api_wake_gen, 1);
	if (atomic_load(&api_wake_held) > 0)
		api_wake();
}

unsigned
api_wake_jobs_gen(void)
{
	return (atomic_load(&api_wake_gen));
}

void
api_wake_held_add(int n)
{
	atomic_fetch_add(&api_wake_held, n);
}

void
api_wake_count(int held)
{
	atomic_fetch_add(&api_wake_nlooks, 1);
	if (held)
		atomic_fetch_add(&api_wake_nheld, 1);
}

json_t *
api_wake_counts(void)
{
	return (json_pack("{s:I, s:I}", "job_looks", (json_int_t)
	    atomic_load(&api_wake_nlooks), "job_held", (json_int_t)
	    atomic_load(&api_wake_nheld)));
}
