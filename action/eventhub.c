/*
 * The event-hub client: subscriptions, publishing, the poll loop that
 * reads packets and keeps heartbeats and timers, and reconnection.
 */
#include "config.h"

#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "clock.h"
#include "err.h"
#include "eventhub-int.h"
#include "sio.h"
#include "ws.h"

#define EVENTHUB_HEARTBEAT	"2::"
#define EVENTHUB_GOODBYE	"0::"

static void
eventhub_notice(struct eventhub *h, enum eventhub_notice what,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
eventhub_notice(struct eventhub *h, enum eventhub_notice what,
    const char *fmt, ...)
{
	va_list	ap;
	char	text[1024];

	if (h->o.on_notice == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	h->o.on_notice(h, what, text, h->o.notice_arg);
}

/* Checks what the options must hold and fills in the defaults. */
static int
eventhub_options_check(struct eventhub_options *o, char **cause)
{
	if (o->server_url == NULL || (strncasecmp(o->server_url, "http://",
	    7) != 0 && strncasecmp(o->server_url, "https://", 8) != 0))
		return (err_set(cause, FERRY_ERR_INVAL, "the ftrack server URL "
		    "must start with http:// or https://"));
	if (o->api_user == NULL || o->api_user[0] == '\0' ||
	    strpbrk(o->api_user, "\r\n") != NULL)
		return (err_set(cause, FERRY_ERR_INVAL,
		    "the ftrack API user is missing or holds a line break"));
	if (o->api_key == NULL || o->api_key[0] == '\0' ||
	    strpbrk(o->api_key, "\r\n") != NULL)
		return (err_set(cause, FERRY_ERR_INVAL,
		    "the ftrack API key is missing or holds a line break"));
#define EVENTHUB_DEFAULT(field, value) do {				\
	if (o->field <= 0)						\
		o->field = (value);					\
} while (0)
	EVENTHUB_DEFAULT(timeout_ms, WS_DEFAULT_TIMEOUT_MS);
	EVENTHUB_DEFAULT(heartbeat_ms, 10000);
	EVENTHUB_DEFAULT(dead_after_ms, 45000);
	EVENTHUB_DEFAULT(backoff_min_ms, 1000);
	EVENTHUB_DEFAULT(backoff_max_ms, 30000);
	EVENTHUB_DEFAULT(reply_wait_ms, 60000);
	EVENTHUB_DEFAULT(max_message, WS_DEFAULT_MAX_MESSAGE);
#undef EVENTHUB_DEFAULT
	if (o->backoff_max_ms < o->backoff_min_ms)
		o->backoff_max_ms = o->backoff_min_ms;
	if (o->application_id == NULL)
		o->application_id = "ferry";
	return (0);
}

static void
eventhub_options_free(struct eventhub_options *o)
{
	free((char *)o->server_url);
	free((char *)o->api_user);
	if (o->api_key != NULL)
		explicit_bzero((char *)o->api_key, strlen(o->api_key));
	free((char *)o->api_key);
	free((char *)o->application_id);
	free((char *)o->ca_file);
}

/* Owned copies of the strings; the server URL loses trailing slashes. */
static int
eventhub_options_copy(struct eventhub_options *o)
{
	char	*url;
	size_t	 n;

	o->server_url = url = strdup(o->server_url);
	o->api_user = strdup(o->api_user);
	o->api_key = strdup(o->api_key);
	o->application_id = strdup(o->application_id);
	if (o->ca_file != NULL && (o->ca_file = strdup(o->ca_file)) == NULL)
		return (FERRY_ERR_NOMEM);
	if (url == NULL || o->api_user == NULL || o->api_key == NULL ||
	    o->application_id == NULL)
		return (FERRY_ERR_NOMEM);
	for (n = strlen(url); n > 0 && url[n - 1] == '/'; n--)
		url[n - 1] = '\0';
	return (0);
}

int
eventhub_new(const struct eventhub_options *o, struct eventhub **out,
    char **cause)
{
	struct eventhub	*h;
	int		 r;

	if ((h = calloc(1, sizeof *h)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "calloc"));
	h->o = *o;
	h->queue_tail = &h->queue;
	if ((r = eventhub_options_check(&h->o, cause)) != 0) {
		free(h);
		return (r);
	}
	if ((r = eventhub_options_copy(&h->o)) != 0 ||
	    (r = eventhub_uuid(h->id)) != 0) {
		eventhub_free(h);
		return (err_set(cause, r, "cannot set up the event hub"));
	}
	*out = h;
	return (0);
}

int
eventhub_connected(const struct eventhub *h)
{
	return (h->ws != NULL);
}

const char *
eventhub_id(const struct eventhub *h)
{
	return (h->id);
}

/*
 * The next reconnection delay: backoff_min doubled per failure in a row,
 * capped at backoff_max, then drawn in its upper quarter so that many
 * clients do not all come back at once.
 */
static long
eventhub_backoff(const struct eventhub *h)
{
	unsigned char	 rnd[2] = { 0, 0 };
	long		 d = h->o.backoff_min_ms;
	int		 i;

	for (i = 0; i < h->attempts && d < h->o.backoff_max_ms; i++)
		d *= 2;
	if (d > h->o.backoff_max_ms)
		d = h->o.backoff_max_ms;
	(void)RAND_bytes(rnd, sizeof rnd);
	return (d - d / 4 + (d / 4) * (rnd[0] << 8 | rnd[1]) / 65535);
}

static long
eventhub_schedule(struct eventhub *h)
{
	long	delay = eventhub_backoff(h);

	h->attempts++;
	h->next_attempt = clock_ms() + delay;
	return (delay);
}

/* Forgets the connection and plans the next one. */
static void
eventhub_drop(struct eventhub *h, const char *why)
{
	long	delay;

	ws_free(h->ws);
	h->ws = NULL;
	delay = eventhub_schedule(h);
	eventhub_notice(h, EVENTHUB_DISCONNECTED, "%s; reconnecting in %ld ms",
	    why, delay);
}

/* Sends a packet now; a failure drops the connection. */
static int
eventhub_send(struct eventhub *h, const char *packet)
{
	char	*cause = NULL;
	int	 r;

	if ((r = ws_send(h->ws, WS_OP_TEXT, packet, strlen(packet),
	    (int)h->o.timeout_ms, &cause)) != 0) {
		eventhub_drop(h, cause != NULL ? cause : err_str(r));
		free(cause);
	}
	return (r);
}

/* Sends the packet (transferred) now, or keeps it for the connection. */
static int
eventhub_deliver(struct eventhub *h, char *packet, char **cause)
{
	struct eventhub_queued	*q;

	if (h->ws != NULL && eventhub_send(h, packet) == 0) {
		free(packet);
		return (0);
	}
	if (h->queued >= EVENTHUB_QUEUE_MAX) {
		free(packet);
		return (err_set(cause, FERRY_ERR_TOOBIG, "%d events already "
		    "wait for the event hub", EVENTHUB_QUEUE_MAX));
	}
	if ((q = calloc(1, sizeof *q)) == NULL) {
		free(packet);
		return (err_set(cause, FERRY_ERR_NOMEM, "calloc"));
	}
	q->packet = packet;
	*h->queue_tail = q;
	h->queue_tail = &q->next;
	h->queued++;
	return (0);
}

/* The packet that carries event, completed with source source_id. */
static int
eventhub_packet(struct eventhub *h, const json_t *event,
    const char *source_id, char id[EVENTHUB_ID_SIZE], char **packet,
    char **cause)
{
	json_t	*e;
	int	 r;

	if ((r = eventhub_event_prepare(h, event, source_id, id, &e,
	    cause)) != 0)
		return (r);
	*packet = eventhub_event_packet(e, cause);
	json_decref(e);
	return (*packet != NULL ? 0 : FERRY_ERR_INVAL);
}

/*
 * Tells the server of a (un)subscription. Only while connected, and never
 * queued: every new connection announces all subscriptions anyway.
 */
static int
eventhub_announce(struct eventhub *h, const char *subscriber_id,
    const char *text)
{
	json_t	*e;
	char	 id[EVENTHUB_ID_SIZE], *packet;
	int	 r;

	if (h->ws == NULL)
		return (0);
	if ((e = eventhub_event_subscription(h, subscriber_id, text)) == NULL)
		return (FERRY_ERR_NOMEM);
	r = eventhub_packet(h, e, h->id, id, &packet, NULL);
	json_decref(e);
	if (r == 0) {
		r = eventhub_send(h, packet);
		free(packet);
	}
	return (r);
}

/* Sends what waited for the connection, in order, while it lasts. */
static void
eventhub_flush(struct eventhub *h)
{
	struct eventhub_queued	*q;

	while (h->ws != NULL && (q = h->queue) != NULL) {
		if (eventhub_send(h, q->packet) != 0)
			return;
		if ((h->queue = q->next) == NULL)
			h->queue_tail = &h->queue;
		h->queued--;
		free(q->packet);
		free(q);
	}
}

/* A new session: subscribe everything again, then flush the queue. */
static int
eventhub_start(struct eventhub *h, char **cause)
{
	struct eventhub_sub	*s;
	long			 hb_s = 0;
	int			 r;

	if ((r = eventhub_session_open(h, &h->ws, &hb_s, cause)) != 0)
		return (r);
	h->heartbeat_ms = h->o.heartbeat_ms;
	/* Beat well inside the server's timeout. */
	if (hb_s > 0 && hb_s * 1000 / 2 < h->heartbeat_ms)
		h->heartbeat_ms = hb_s * 1000 / 2;
	h->last_heartbeat = clock_ms();
	r = eventhub_announce(h, h->id, "topic=" EVENTHUB_REPLY_TOPIC);
	for (s = h->subs; r == 0 && s != NULL; s = s->next) {
		if (!s->removed)
			r = eventhub_announce(h, s->id, s->text);
	}
	eventhub_flush(h);
	if (r != 0 || h->ws == NULL)
		return (err_set(cause, FERRY_ERR_CLOSED, "the event hub "
		    "connection failed while subscribing"));
	h->attempts = 0;
	eventhub_notice(h, EVENTHUB_CONNECTED, "connected to the event hub "
	    "at %s", h->o.server_url);
	return (0);
}

int
eventhub_connect(struct eventhub *h, char **cause)
{
	int	r;

	if (h->closed)
		return (err_set(cause, FERRY_ERR_STATE,
		    "the event hub client is closed"));
	if (h->ws != NULL)
		return (0);
	if ((r = eventhub_start(h, cause)) != 0 && h->ws == NULL &&
	    h->next_attempt <= clock_ms())
		(void)eventhub_schedule(h);
	return (r);
}

static void
eventhub_sub_free(struct eventhub_sub *s)
{
	subexpr_free(s->expr);
	free(s->text);
	json_decref(s->metadata);
	free(s);
}

int
eventhub_subscribe(struct eventhub *h, const char *subscription,
    eventhub_cb cb, void *arg, char *subscriber_id, char **cause)
{
	struct eventhub_sub	*s, **tail;
	int			 r;

	if (h->closed)
		return (err_set(cause, FERRY_ERR_STATE,
		    "the event hub client is closed"));
	if ((s = calloc(1, sizeof *s)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "calloc"));
	if ((r = subexpr_parse(subscription, &s->expr, cause)) != 0) {
		free(s);
		return (r);
	}
	s->cb = cb;
	s->arg = arg;
	if (eventhub_uuid(s->id) != 0 ||
	    (s->text = strdup(subscription)) == NULL ||
	    (s->metadata = json_pack("{s:s, s:s}", "id", s->id,
	    "applicationId", h->o.application_id)) == NULL) {
		eventhub_sub_free(s);
		return (err_set(cause, FERRY_ERR_NOMEM, "subscription"));
	}
	for (tail = &h->subs; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = s;
	if (subscriber_id != NULL)
		memcpy(subscriber_id, s->id, EVENTHUB_ID_SIZE);
	/* If this fails, the next connection subscribes it. */
	(void)eventhub_announce(h, s->id, s->text);
	return (0);
}

/* Frees the subscriptions marked removed (never during a dispatch). */
static void
eventhub_sweep(struct eventhub *h)
{
	struct eventhub_sub	**p, *s;

	for (p = &h->subs; (s = *p) != NULL;) {
		if (s->removed) {
			*p = s->next;
			eventhub_sub_free(s);
		} else
			p = &s->next;
	}
}

int
eventhub_unsubscribe(struct eventhub *h, const char *subscriber_id,
    char **cause)
{
	struct eventhub_sub	*s;

	for (s = h->subs; s != NULL; s = s->next) {
		if (!s->removed && strcmp(s->id, subscriber_id) == 0)
			break;
	}
	if (s == NULL)
		return (err_set(cause, FERRY_ERR_NOTFOUND,
		    "no subscriber \"%s\"", subscriber_id));
	s->removed = 1;
	(void)eventhub_announce(h, s->id, NULL);
	if (h->dispatching == 0)
		eventhub_sweep(h);
	return (0);
}

int
eventhub_publish(struct eventhub *h, const json_t *event,
    eventhub_cb on_reply, void *arg, char *event_id, char **cause)
{
	struct eventhub_wait	*w;
	char			 id[EVENTHUB_ID_SIZE], *packet;
	int			 r;

	if (h->closed)
		return (err_set(cause, FERRY_ERR_STATE,
		    "the event hub client is closed"));
	if ((r = eventhub_packet(h, event, h->id, id, &packet, cause)) != 0 ||
	    (r = eventhub_deliver(h, packet, cause)) != 0)
		return (r);
	if (event_id != NULL)
		memcpy(event_id, id, EVENTHUB_ID_SIZE);
	if (on_reply == NULL)
		return (0);
	/* Sent already: a reply can only arrive in a later poll. */
	if ((w = calloc(1, sizeof *w)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "calloc"));
	memcpy(w->event_id, id, sizeof id);
	w->cb = on_reply;
	w->arg = arg;
	w->until = clock_ms() + h->o.reply_wait_ms;
	w->next = h->waits;
	h->waits = w;
	return (0);
}

int
eventhub_reply(struct eventhub *h, const json_t *event, const json_t *data,
    char **cause)
{
	json_t	*e;
	char	 id[EVENTHUB_ID_SIZE], *packet;
	int	 r;

	if (h->closed)
		return (err_set(cause, FERRY_ERR_STATE,
		    "the event hub client is closed"));
	if ((r = eventhub_event_reply(event, data, &e, cause)) != 0)
		return (r);
	r = eventhub_packet(h, e, h->replying_as != NULL ? h->replying_as :
	    h->id, id, &packet, cause);
	json_decref(e);
	if (r != 0)
		return (r);
	return (eventhub_deliver(h, packet, cause));
}

/* Passes a reply to whoever published the event it answers. */
static int
eventhub_dispatch_reply(struct eventhub *h, const json_t *event)
{
	struct eventhub_wait	*w;
	const char		*in;
	int64_t			 now = clock_ms();
	int			 n = 0;

	in = json_string_value(json_object_get(event, "inReplyToEvent"));
	for (w = h->waits; in != NULL && w != NULL; w = w->next) {
		if (w->until > now && strcmp(w->event_id, in) == 0) {
			w->cb(h, event, w->arg);
			n++;
		}
	}
	return (n);
}

/* Calls every subscriber that the event and its target both select. */
static int
eventhub_dispatch(struct eventhub *h, const json_t *event)
{
	struct eventhub_sub	*s, *last;
	struct subexpr		*target = NULL;
	const char		*text, *topic;
	char			*cause = NULL;
	int			 n = 0;

	topic = json_string_value(json_object_get(event, "topic"));
	if (strcmp(topic, EVENTHUB_REPLY_TOPIC) == 0)
		n += eventhub_dispatch_reply(h, event);
	text = json_string_value(json_object_get(event, "target"));
	if (text != NULL && text[0] != '\0' &&
	    subexpr_parse(text, &target, &cause) != 0) {
		eventhub_notice(h, EVENTHUB_IGNORED, "%s event with a bad "
		    "target: %s", topic, cause);
		free(cause);
		return (n);
	}
	/* Subscriptions made by the callbacks wait for the next event. */
	for (last = h->subs; last != NULL && last->next != NULL;
	    last = last->next)
		;
	h->dispatching++;
	for (s = h->subs; s != NULL; s = s == last ? NULL : s->next) {
		if (s->removed || !subexpr_match(s->expr, event) ||
		    (target != NULL && !subexpr_match(target, s->metadata)))
			continue;
		h->replying_as = s->id;
		s->cb(h, event, s->arg);
		h->replying_as = NULL;
		n++;
	}
	if (--h->dispatching == 0)
		eventhub_sweep(h);
	subexpr_free(target);
	return (n);
}

static int
eventhub_handle_event(struct eventhub *h, const struct sio_packet *p)
{
	json_t		*msg, *event;
	const char	*name;
	char		*cause = NULL;
	int		 n;

	if (sio_event_decode(p->data, p->data_len, &msg, &cause) != 0) {
		eventhub_notice(h, EVENTHUB_IGNORED, "%s", cause);
		free(cause);
		return (0);
	}
	name = json_string_value(json_object_get(msg, "name"));
	event = json_array_get(json_object_get(msg, "args"), 0);
	if (strcmp(name, "ftrack.event") != 0)
		eventhub_notice(h, EVENTHUB_IGNORED, "a socket.io event named "
		    "\"%.64s\", not ftrack.event", name);
	else if (!json_is_object(event) ||
	    !json_is_string(json_object_get(event, "topic")))
		eventhub_notice(h, EVENTHUB_IGNORED, "an ftrack.event whose "
		    "first argument is not an event with a topic");
	else {
		n = eventhub_dispatch(h, event);
		json_decref(msg);
		return (n);
	}
	json_decref(msg);
	return (0);
}

/* Handles one socket.io packet; returns the callbacks it made. */
static int
eventhub_handle(struct eventhub *h, const char *text, size_t len)
{
	struct sio_packet	 p;
	char			*cause = NULL, why[256];

	if (sio_packet_parse(text, len, &p, &cause) != 0) {
		eventhub_notice(h, EVENTHUB_IGNORED, "%s", cause);
		free(cause);
		return (0);
	}
	switch (p.type) {
	case SIO_HEARTBEAT:
		if (eventhub_send(h, EVENTHUB_HEARTBEAT) == 0)
			h->last_heartbeat = clock_ms();
		return (0);
	case SIO_DISCONNECT:
		eventhub_drop(h, "the event hub sent a socket.io disconnect");
		return (0);
	case SIO_ERROR:
		sio_error_describe(&p, why, sizeof why);
		eventhub_drop(h, why);
		return (0);
	case SIO_EVENT:
		return (eventhub_handle_event(h, &p));
	default:
		return (0);	/* connect, ack, noop, messages: nothing to do */
	}
}

static void
eventhub_expire_waits(struct eventhub *h, int64_t now)
{
	struct eventhub_wait	**p, *w;

	for (p = &h->waits; (w = *p) != NULL;) {
		if (w->until <= now) {
			*p = w->next;
			free(w);
		} else
			p = &w->next;
	}
}

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
			eventhub_notice(h, EVENTHUB_DISCONNECTED, "%s; retrying "
			    "in %ld ms", cause != NULL ? cause : "cannot "
			    "connect", delay);
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

void
eventhub_free(struct eventhub *h)
{
	struct eventhub_sub	*s;
	struct eventhub_wait	*w;
	struct eventhub_queued	*q;

	if (h == NULL)
		return;
	ws_free(h->ws);
	while ((s = h->subs) != NULL) {
		h->subs = s->next;
		eventhub_sub_free(s);
	}
	while ((w = h->waits) != NULL) {
		h->waits = w->next;
		free(w);
	}
	while ((q = h->queue) != NULL) {
		h->queue = q->next;
		free(q->packet);
		free(q);
	}
	eventhub_options_free(&h->o);
	free(h);
}
