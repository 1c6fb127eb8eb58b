/* Internal to the event-hub client: the hub, and its files' helpers. */
#ifndef FERRY_EVENTHUB_INT_H
#define FERRY_EVENTHUB_INT_H

#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "eventhub.h"
#include "subexpr-int.h"

struct ws_conn;

#define EVENTHUB_QUEUE_MAX	1000	/* events held while disconnected */
#define EVENTHUB_REPLY_TOPIC	"ftrack.meta.reply"
#define EVENTHUB_HEARTBEAT	"2::"	/* socket.io heartbeat */
#define EVENTHUB_GOODBYE	"0::"	/* socket.io disconnect */

struct eventhub_sub {
	char			 id[EVENTHUB_ID_SIZE];
	char			*text;		/* the subscription, as given */
	struct subexpr		*expr;
	json_t			*metadata;	/* what targets match */
	eventhub_cb		 cb;
	void			*arg;
	int			 removed;	/* unsubscribed mid-dispatch */
	struct eventhub_sub	*next;
};

/* A published event whose replies go to a callback, for a while. */
struct eventhub_wait {
	char			 event_id[EVENTHUB_ID_SIZE];
	eventhub_cb		 cb;
	void			*arg;
	int64_t			 until;
	struct eventhub_wait	*next;
};

/* A packet that waits for the connection. */
struct eventhub_queued {
	char			*packet;
	struct eventhub_queued	*next;
};

struct eventhub {
	struct eventhub_options	 o;	/* strings below are owned copies */
	char			 id[EVENTHUB_ID_SIZE];
	struct ws_conn		*ws;	/* NULL while disconnected */
	int			 closed;
	int			 close_timeout_ms;
	long			 heartbeat_ms;	/* in force for this session */
	int64_t			 last_heartbeat;
	int			 attempts;	/* failures in a row */
	int64_t			 next_attempt;
	struct eventhub_sub	*subs;
	struct eventhub_wait	*waits;
	struct eventhub_queued	*queue, **queue_tail;
	int			 queued;
	int			 dispatching;	/* callbacks under way */
	const char		*replying_as;	/* subscriber being called */
};

/* eventhub.c: the connection's life. */
void	 eventhub_notice(struct eventhub *h, enum eventhub_notice what,
	     const char *fmt, ...) __attribute__((format(FERRY_PRINTF_FORMAT, 3, 4)));
/* Plans the next connection attempt; returns its delay in ms. */
long	 eventhub_schedule(struct eventhub *h);
/* Forgets the connection (why goes to on_notice) and plans the next. */
void	 eventhub_drop(struct eventhub *h, const char *why);
/* Sends a packet now; a failure drops the connection. */
int	 eventhub_send(struct eventhub *h, const char *packet);
/* A new session: subscribe everything again, then flush the queue. */
int	 eventhub_start(struct eventhub *h, char **cause);
/* Frees the subscriptions marked removed (never during a dispatch). */
void	 eventhub_sweep(struct eventhub *h);

/* eventhub-dispatch.c: what arrives. */
/* Handles one socket.io packet; returns the callbacks it made. */
int	 eventhub_handle(struct eventhub *h, const char *text, size_t len);
/* Forgets the reply callbacks whose time is up. */
void	 eventhub_expire_waits(struct eventhub *h, int64_t now);

/* eventhub-session.c: handshake GET and WebSocket upgrade. */
int	 eventhub_session_open(struct eventhub *h, struct ws_conn **ws,
	     long *heartbeat_timeout_s, char **cause);

/* eventhub-event.c: ids and envelopes. */
int	 eventhub_uuid(char id[EVENTHUB_ID_SIZE]);
/*
 * Sets *out to a copy of event completed as eventhub_publish describes,
 * with source.id source_id, and copies its id to id. FERRY_ERR_INVAL if
 * event is not an object with a string topic, or has a bad id, source or
 * target.
 */
int	 eventhub_event_prepare(const struct eventhub *h, const json_t *event,
	     const char *source_id, char id[EVENTHUB_ID_SIZE], json_t **out,
	     char **cause);
/* Sets *out to the reply to event carrying data (NULL: null). */
int	 eventhub_event_reply(const json_t *event, const json_t *data,
	     json_t **out, char **cause);
/* The ftrack.meta.subscribe (or unsubscribe, when text is NULL) event. */
json_t	*eventhub_event_subscription(const struct eventhub *h,
	     const char *subscriber_id, const char *text);
/* The 5::: packet carrying event as ftrack.event (a new string). */
char	*eventhub_event_packet(const json_t *event, char **cause);

#endif
