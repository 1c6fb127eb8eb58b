/*
 * The event-hub client: its options, the connection's life (connect,
 * backoff, drop, queue), subscriptions, publishing and replies. What
 * arrives is handled in eventhub-dispatch.c, the loop in eventhub-poll.c.
 */
#include "config.h"

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
#include "ws-int.h"

void
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

long
eventhub_schedule(struct eventhub *h)
{
	long	delay = eventhub_backoff(h);

	h->attempts++;
	h->next_attempt = clock_ms() + delay;
	return (delay);
}

/* Forgets the connection and plans the next one. */
void
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
int
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
int
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
void
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
