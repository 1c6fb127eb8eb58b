/*
 * A receiver's watch on a sender it does not trust (ferryd.h). The
 * streams' idle timeout (FERRYD_STREAM_IDLE_MS) cuts a sender that goes
 * quiet, and the hub's stall-timeout one that stops saying it is at
 * work; a sender that writes a byte of a frame a second, and says it is
 * at work, passed both, holding the receiver's slot for as long as it
 * liked (slow-sender.sh). What counts here is what the receiver itself
 * took in: file bytes handled (written, or found already there), and
 * files handled; and the bytes of bases it read to make a delta's
 * signature, its own work at its own pace, during which the sender waits
 * and sends nothing (a 6 GB basis takes a minute on a NAS); and for the
 * same reason the bytes of its own partial files and copies it hashed
 * before a PLAN (a resume, the skip check's content hash). Never what a
 * peer's keep-alive says it hashed (docs/protocol.md 6.3): that is the
 * sender's word, and this watch is for a sender that is not trusted.
 * Its receivers: a site agent (node-xfer.c) and the hub receiving for its
 * own site (hub-dispatch.c, slow-sender-hub.sh), each from a person's
 * machine.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "err.h"
#include "ferryd.h"
#include "transfer.h"

struct xfer_slow {
	uint64_t		 min_rate;
	int			 window_s;
	const int		*fds;
	int			 n;
	_Atomic uint64_t	 got;		/* file bytes handled */
	uint64_t		 in_window;	/* when cut */
	int			 cut;
	int			 stop;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	pthread_t		 t;
};

uint64_t
xfer_slow_rate(const struct conf *c)
{
	/* "0" turns the watch off; conf_int takes only numbers above 0. */
	long	v;

	if (c->recv_min_rate != NULL && strcmp(c->recv_min_rate, "0") == 0)
		return (0);
	v = conf_int(c->recv_min_rate, XFER_SLOW_RATE);
	/* A window's worth must not overflow; 1 GiB/s is past any link's. */
	return (v > (1L << 30) ? (uint64_t)1 << 30 : (uint64_t)v);
}

int
xfer_slow_window(const struct conf *c)
{
	return ((int)conf_int(c->recv_rate_window, XFER_SLOW_WINDOW_S));
}

/*
 * A file handled counts this many bytes more: many small files over a
 * long round trip move few bytes a second, and each is real work done.
 */
#define XFER_SLOW_FILE_BYTES	4096

void
xfer_slow_progress(const struct transfer_progress *p, void *arg)
{
	struct xfer_slow	*w = arg;

	atomic_store(&w->got, p->bytes_done + p->files_done *
	    XFER_SLOW_FILE_BYTES + p->basis_read + p->held_read);
}

/* Wakes once a second; a window at a time, from the transfer's start. */
static void *
xfer_slow_main(void *arg)
{
	struct xfer_slow	*w = arg;
	struct timespec		 ts;
	time_t			 start = time(NULL);
	uint64_t		 from = 0, now;
	int			 i;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&w->cv, &w->mu, &ts);
		if (w->stop || time(NULL) - start < w->window_s)
			continue;
		now = atomic_load(&w->got);
		if (now - from >= w->min_rate * (uint64_t)w->window_s) {
			start = time(NULL);
			from = now;
			continue;
		}
		/* The stream threads' reads fail; the transfer ends. */
		w->cut = 1;
		w->in_window = now - from;
		for (i = 0; i < w->n; i++)
			shutdown(w->fds[i], SHUT_RDWR);
		break;
	}
	pthread_mutex_unlock(&w->mu);
	return (NULL);
}

int
xfer_slow_start(struct xfer_slow **wp, uint64_t min_rate, int window_s,
    const int *fds, int n)
{
	struct xfer_slow	*w;

	*wp = NULL;
	if (min_rate == 0)
		return (0);
	if ((w = calloc(1, sizeof *w)) == NULL)
		return (FERRY_ERR_NOMEM);
	w->min_rate = min_rate;
	w->window_s = window_s;
	w->fds = fds;
	w->n = n;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->t, NULL, xfer_slow_main, w) != 0) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return (FERRY_ERR_INTERNAL);
	}
	*wp = w;
	return (0);
}

int
xfer_slow_stop(struct xfer_slow *w, char **why)
{
	int	cut;

	if (w == NULL)
		return (0);
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->t, NULL);
	cut = w->cut;
	if (cut && why != NULL && asprintf(why, "%" PRIu64 " bytes of files "
	    "came from the sender in the last %d s, less than recv-min-rate "
	    "%" PRIu64 " bytes/s: cut, so that a sender that is not trusted "
	    "does not hold this receiver's transfer slot", w->in_window,
	    w->window_s, w->min_rate) == -1)
		*why = NULL;
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	return (cut);
}

int
xfer_slow_receive(const struct conf *c, int watch, struct tls_conn **conns,
    const int *fds, int n, const char *root, struct transfer_opts *o,
    struct transfer_stats *st, char **cause)
{
	struct xfer_slow	*slow = NULL;
	char			*why = NULL;
	int			 r;

	if (watch && (r = xfer_slow_start(&slow, xfer_slow_rate(c),
	    xfer_slow_window(c), fds, n)) != 0)
		return (err_set(cause, r, "cannot watch the sender's rate "
		    "(recv-min-rate)"));
	if (slow != NULL) {
		o->progress = xfer_slow_progress;
		o->progress_arg = slow;
	}
	r = transfer_receive(conns, n, root, o, st, cause);
	if (xfer_slow_stop(slow, &why)) {
		free(*cause);
		*cause = why;
		r = FERRY_ERR_TIMEOUT;
	}
	return (r);
}
