/*
 * The event hub's loop, driven by the caller: reads and handles packets,
 * keeps the heartbeat and dead-link timers, reconnects when due, and says
 * goodbye.
 */
#include "config.h"

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "eventhub-int.h"
#include "ws-int.h"

/*
 * Keeps the timers of a live connection: drops a silent one, sends a
 * heartbeat when due. Returns how long until the next timer.
 */
static int64_t
eventhub_timers(struct eventhub *h)
{
	int64_t	idle = ws_idle_ms(h->ws), now = clock_ms(), next;
	char	why[128];

	if (idle >= h->o.dead_after_ms) {
		snprintf(why, sizeof why, "nothing from the event hub for %"
		    PRId64 " ms", idle);
		eventhub_drop(h, why);
		return (0);
	}
	if (now - h->last_heartbeat >= h->heartbeat_ms &&
	    eventhub_send(h, EVENTHUB_HEARTBEAT) == 0)
		h->last_heartbeat = now;
	if (h->ws == NULL)
		return (0);
	next = h->last_heartbeat + h->heartbeat_ms - now;
	if (h->o.dead_after_ms - idle < next)
		next = h->o.dead_after_ms - idle;
	return (next > 0 ? next : 0);
}

/* A connection attempt when one is due. */
static void
eventhub_retry(struct eventhub *h)
{
	char	*cause = NULL;
	long	 delay;

	if (eventhub_start(h, &cause) != 0) {
		if (h->ws == NULL && h->next_attempt <= clock_ms()) {
			delay = eventhub_schedule(h);
			eventhub_notice(h, EVENTHUB_DISCONNECTED,
			    "%s; retrying in %ld ms", cause != NULL ? cause :
			    "cannot connect", delay);
		}
		free(cause);
	}
}

/* Reads one message (waiting up to wait ms); returns callbacks made. */
static int
eventhub_read(struct eventhub *h, int64_t wait, int *timed_out)
{
	struct ws_msg	 m;
	char		*cause = NULL;
	int		 r;

	*timed_out = 0;
	r = ws_recv(h->ws, (int)wait, &m, &cause);
	if (r < 0) {
		eventhub_drop(h, cause != NULL ? cause : err_str(r));
		free(cause);
		return (0);
	}
	if (r == 0) {
		*timed_out = 1;
		return (0);
	}
	if (m.opcode != WS_OP_TEXT) {
		eventhub_notice(h, EVENTHUB_IGNORED, "a binary message of %zu "
		    "bytes", m.len);
		return (0);
	}
	return (eventhub_handle(h, (const char *)m.data, m.len));
}

/* The goodbye: a socket.io disconnect, then the WebSocket close. */
static void
eventhub_goodbye(struct eventhub *h)
{
	if (h->ws == NULL)
		return;
	(void)ws_send(h->ws, WS_OP_TEXT, EVENTHUB_GOODBYE,
	    strlen(EVENTHUB_GOODBYE), h->close_timeout_ms, NULL);
	(void)ws_close(h->ws, WS_CLOSE_NORMAL, "client closing",
	    h->close_timeout_ms, NULL);
	ws_free(h->ws);
	h->ws = NULL;
}

int
eventhub_poll(struct eventhub *h, int timeout_ms, char **cause)
{
	int64_t	deadline, now, wait, next;
	int	n = 0, timed_out;

	if (h->closed)
		return (err_set(cause, FERRY_ERR_STATE,
		    "the event hub client is closed"));
	deadline = clock_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	for (;;) {
		now = clock_ms();
		eventhub_expire_waits(h, now);
		if (h->ws == NULL && now >= h->next_attempt)
			eventhub_retry(h);
		next = h->ws != NULL ? eventhub_timers(h) : 0;
		now = clock_ms();
		/* Once callbacks were made, only drain what is waiting. */
		wait = n > 0 || deadline <= now ? 0 : deadline - now;
		if (h->ws != NULL) {
			n += eventhub_read(h, wait < next ? wait : next,
			    &timed_out);
			if (h->closed ||
			    (timed_out && (n > 0 || clock_ms() >= deadline)))
				break;
			continue;
		}
		if (wait == 0)
			break;
		if (h->next_attempt - now < wait)
			wait = h->next_attempt - now;
		(void)poll(NULL, 0, wait > 0 ? (int)wait : 0);
	}
	if (h->closed)
		eventhub_goodbye(h);
	return (n);
}

void
eventhub_close(struct eventhub *h, int timeout_ms)
{
	h->closed = 1;
	h->close_timeout_ms = timeout_ms;
	/* From a callback, eventhub_poll says goodbye when it returns. */
	if (h->dispatching == 0)
		eventhub_goodbye(h);
}
