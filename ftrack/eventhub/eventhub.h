/*
 * A client of ftrack's event hub: socket.io 0.9 over a WebSocket, as the
 * official JavaScript and Python clients speak it (see
 * shared/reference/ftrack-protocol.md, section 2).
 *
 * The caller drives it: eventhub_poll() waits for traffic, answers and
 * sends heartbeats, dispatches received events to the subscribers whose
 * expressions match, and reconnects with capped exponential backoff after
 * a lost connection, subscribing everything again. Events are jansson
 * objects with the keys ftrack puts on the wire: id, topic, data, source,
 * target, inReplyToEvent, sent.
 *
 * Credentials go in the handshake's ftrack-user and ftrack-api-key
 * headers (as the Python client sends them), never in a URL, a cause or a
 * notice. One hub is used by one thread; the program calls
 * curl_global_init() before making any. Library tier: functions return 0
 * or a negative FERRY_ERR_* code with a cause, and never log; what a
 * program may want to log arrives through on_notice.
 *
 * libeventhub's public API: a program outside ftrack/eventhub/ includes
 * only this header; ws, sio and subexpr are its private layers.
 */
#ifndef FERRY_EVENTHUB_H
#define FERRY_EVENTHUB_H

#include <stddef.h>

#include <jansson.h>

#define EVENTHUB_ID_SIZE	37	/* a UUID and its NUL */

struct eventhub;

/*
 * Called with a received event that matches a subscription (or, for
 * on_reply, a reply to a published event). The event is borrowed: take a
 * reference to keep it. The callback may publish, reply, subscribe,
 * unsubscribe and close (the goodbye is said when eventhub_poll returns);
 * it may not free the hub.
 */
typedef void	(*eventhub_cb)(struct eventhub *hub, const json_t *event,
		    void *arg);

enum eventhub_notice {
	EVENTHUB_CONNECTED,	/* detail: the server and session */
	EVENTHUB_DISCONNECTED,	/* detail: why, and when it tries again */
	EVENTHUB_IGNORED	/* detail: a packet or event it could not use */
};
typedef void	(*eventhub_notice_cb)(struct eventhub *hub,
		    enum eventhub_notice what, const char *detail, void *arg);

struct eventhub_options {
	const char	*server_url;	/* https://studio.ftrackapp.com */
	const char	*api_user;
	const char	*api_key;	/* copied, and wiped when freed */
	const char	*application_id; /* NULL: "ferry" */
	const char	*ca_file;	/* NULL: the system's CAs */
	long		 timeout_ms;	/* connect, handshake, a send; 10 s */
	long		 heartbeat_ms;	/* our own heartbeats; 10 s, or less
					 * if the server's timeout needs */
	long		 dead_after_ms;	/* silence meaning a dead link; 45 s */
	long		 backoff_min_ms; /* first reconnect delay; 1 s */
	long		 backoff_max_ms; /* the cap on the delay; 30 s */
	long		 reply_wait_ms;	/* how long on_reply stays; 60 s */
	size_t		 max_message;	/* largest message taken; 16 MiB */
	eventhub_notice_cb on_notice;	/* NULL: none */
	void		*notice_arg;
};

/* Checks and copies the options; nothing is connected yet. */
int	 eventhub_new(const struct eventhub_options *o, struct eventhub **out,
	     char **cause);
/*
 * Connects now (handshake, WebSocket, subscriptions), for a clear error at
 * start-up: FERRY_ERR_AUTH when the server refuses the user and key,
 * FERRY_ERR_IO or FERRY_ERR_TIMEOUT when it cannot be reached,
 * FERRY_ERR_PROTO when it does not speak the protocol. After a failure
 * eventhub_poll keeps trying, with backoff.
 */
int	 eventhub_connect(struct eventhub *h, char **cause);
/*
 * Subscribes cb to events matching subscription (see subexpr-int.h), under a
 * new subscriber id (copied to subscriber_id unless NULL). The server is
 * told with an ftrack.meta.subscribe event now if connected, and again
 * after every reconnection. FERRY_ERR_PARSE for a bad expression.
 */
int	 eventhub_subscribe(struct eventhub *h, const char *subscription,
	     eventhub_cb cb, void *arg, char *subscriber_id, char **cause);
/* Drops a subscription and tells the server (ftrack.meta.unsubscribe). */
int	 eventhub_unsubscribe(struct eventhub *h, const char *subscriber_id,
	     char **cause);
/*
 * Publishes event (an object with at least a string "topic"; borrowed).
 * The hub fills what is missing: id (a new UUID, copied to event_id
 * unless NULL), source (id, applicationId and user.username under any
 * source keys given), target (""), inReplyToEvent and sent (null). With
 * on_reply, replies to it are passed to on_reply for reply_wait_ms. While
 * disconnected, events wait in a bounded queue (FERRY_ERR_TOOBIG when
 * full) and go out after the next connection.
 */
int	 eventhub_publish(struct eventhub *h, const json_t *event,
	     eventhub_cb on_reply, void *arg, char *event_id, char **cause);
/*
 * Publishes an ftrack.meta.reply to event carrying data (borrowed; NULL
 * for null): target "id=<its source.id>", inReplyToEvent its id. Called
 * from a subscriber's callback, the reply's source.id is that subscriber's
 * id, as in ftrack's clients. FERRY_ERR_INVAL if event has no id or no
 * source.id.
 */
int	 eventhub_reply(struct eventhub *h, const json_t *event,
	     const json_t *data, char **cause);
/*
 * Runs the hub for up to timeout_ms and returns the number of callbacks
 * made, early once some were made and nothing more is waiting. No
 * connection is not an error here: it connects when an attempt is due
 * (the first one at once), and on_notice tells. Negative only after
 * eventhub_close: FERRY_ERR_STATE.
 */
int	 eventhub_poll(struct eventhub *h, int timeout_ms, char **cause);
int	 eventhub_connected(const struct eventhub *h);
/* The hub's id: source.id of what it publishes, its reply subscriber. */
const char *eventhub_id(const struct eventhub *h);
/*
 * Says goodbye (socket.io disconnect, WebSocket close 1000, waiting up to
 * timeout_ms for the server's close). The hub then refuses to poll.
 */
void	 eventhub_close(struct eventhub *h, int timeout_ms);
void	 eventhub_free(struct eventhub *h);

#endif
