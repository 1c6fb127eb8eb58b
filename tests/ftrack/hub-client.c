/*
 * The event-hub client against the ftrack double, over real sockets (run
 * by tests/ftrack/eventhub.sh, which starts the double and sets
 * FTRACK_SERVER, FTRACK_API_USER and FTRACK_API_KEY). Two C clients and
 * the double's web-UI emulation publish, subscribe and reply; the double's
 * test hooks shorten heartbeats and drop every socket; a wrong key and an
 * unreachable server give clear errors. No cause or notice may show a key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "eventhub.h"
#include "test.h"

#define WRONG_KEY	"wrong-key-1234"

static const char	*url, *user, *key;

/* What one hub's callbacks and notices saw. */
struct rec {
	int	 connected;
	int	 disconnected;
	char	 last_drop[512];
	json_t	*events;	/* received by the main subscriber */
	json_t	*replies;	/* replies to what this hub published */
	int	 others;	/* calls of the other subscribers */
	int	 closed;	/* calls of the one that closes */
	int	 ignored;
	char	 first_drop[512];
};

static void
check_text(const char *text)
{
	test_checks++;
	if (text != NULL && (strstr(text, key) != NULL ||
	    strstr(text, WRONG_KEY) != NULL))
		TEST_FAIL("an API key was shown: %s", text);
}

static void
on_notice(struct eventhub *h, enum eventhub_notice what, const char *detail,
    void *arg)
{
	struct rec	*r = arg;

	check_text(detail);
	fprintf(stderr, "hub-client: notice %d: %s\n", what, detail);
	if (what == EVENTHUB_CONNECTED)
		r->connected++;
	else if (what == EVENTHUB_DISCONNECTED) {
		if (r->disconnected++ == 0)
			snprintf(r->first_drop, sizeof r->first_drop, "%s",
			    detail);
		snprintf(r->last_drop, sizeof r->last_drop, "%s", detail);
	} else
		r->ignored++;
}

static void
rec_init(struct rec *r)
{
	memset(r, 0, sizeof *r);
	r->events = json_array();
	r->replies = json_array();
}

static void
rec_clear(struct rec *r)
{
	json_decref(r->events);
	json_decref(r->replies);
}

static struct eventhub *
hub_open(const char *as, const char *api_key, long dead_after_ms,
    struct rec *r)
{
	struct eventhub_options	 o;
	struct eventhub		*h = NULL;
	char			*cause = NULL;

	memset(&o, 0, sizeof o);
	o.server_url = url;
	o.api_user = as;
	o.api_key = api_key;
	o.application_id = "ferry-hub-test";
	o.timeout_ms = 5000;
	o.dead_after_ms = dead_after_ms;
	o.backoff_min_ms = 100;
	o.backoff_max_ms = 800;
	o.on_notice = on_notice;
	o.notice_arg = r;
	if (eventhub_new(&o, &h, &cause) != 0)
		TEST_FAIL("eventhub_new: %s", cause);
	free(cause);
	return (h);
}

static void
hub_connect(struct eventhub *h)
{
	char	*cause = NULL;

	if (eventhub_connect(h, &cause) != 0)
		TEST_FAIL("eventhub_connect: %s", cause);
	check_text(cause);
	free(cause);
}

/* Polls the hubs (NULL-terminated) for up to ms, or until *flag >= want. */
static void
poll_hubs(struct eventhub **hubs, int ms, const int *flag, int want)
{
	int64_t	end = clock_ms() + ms;
	int	i;

	while (clock_ms() < end && (flag == NULL || *flag < want)) {
		for (i = 0; hubs[i] != NULL; i++)
			eventhub_poll(hubs[i], 20, NULL);
	}
}

/* Polls for up to 10 s until the array holds n items. */
static void
poll_for(struct eventhub **hubs, const json_t *array, size_t n)
{
	int64_t	end = clock_ms() + 10000;

	while (clock_ms() < end && json_array_size(array) < n)
		poll_hubs(hubs, 20, NULL, 0);
}

static size_t
collect(char *data, size_t size, size_t n, void *arg)
{
	return (buf_add(arg, data, size * n) == 0 ? size * n : 0);
}

static CURL *
hook_request(const char *method, const char *path, const char *body,
    struct buf *out)
{
	char	 u[512];
	CURL	*c = curl_easy_init();

	snprintf(u, sizeof u, "%s/_double/%s", url, path);
	curl_easy_setopt(c, CURLOPT_URL, u);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL)
		curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
	return (c);
}

static json_t *
hook_parse(struct buf *out, const char *path)
{
	json_error_t	 jerr;
	json_t		*j;

	if ((j = json_loads(buf_str(out), 0, &jerr)) == NULL)
		TEST_FAIL("hook %s: not JSON: %s", path, buf_str(out));
	buf_free(out);
	return (j);
}

/* A double's test hook, answered before anything else happens. */
static json_t *
hook(const char *method, const char *path, const char *body)
{
	struct buf	 out;
	CURL		*c;

	buf_init(&out, 0);
	c = hook_request(method, path, body, &out);
	if (curl_easy_perform(c) != CURLE_OK)
		TEST_FAIL("hook %s failed", path);
	curl_easy_cleanup(c);
	return (hook_parse(&out, path));
}

/* A hook that waits for our replies: the hubs are polled meanwhile. */
static json_t *
hook_polling(const char *path, const char *body, struct eventhub **hubs)
{
	struct buf	 out;
	CURLM		*m = curl_multi_init();
	CURL		*c;
	int		 running = 1, i;

	buf_init(&out, 0);
	c = hook_request("POST", path, body, &out);
	curl_multi_add_handle(m, c);
	while (running) {
		curl_multi_perform(m, &running);
		for (i = 0; hubs[i] != NULL; i++)
			eventhub_poll(hubs[i], 10, NULL);
		curl_multi_wait(m, NULL, 0, 10, NULL);
	}
	curl_multi_remove_handle(m, c);
	curl_easy_cleanup(c);
	curl_multi_cleanup(m);
	return (hook_parse(&out, path));
}

/* The string at a dotted path, or NULL. */
static const char *
jstr(const json_t *j, const char *path)
{
	char	 key_[128], *dot;
	char	 copy[256];
	char	*p = copy;

	snprintf(copy, sizeof copy, "%s", path);
	while ((dot = strchr(p, '.')) != NULL) {
		snprintf(key_, sizeof key_, "%.*s", (int)(dot - p), p);
		j = json_object_get(j, key_);
		p = dot + 1;
	}
	return (json_string_value(json_object_get(j, p)));
}

/* Whether the double lists subscriber id, and on which connection. */
static int
subscribed(const char *id, char *connection, size_t size)
{
	json_t	*subs = hook("GET", "subscriptions", NULL), *s;
	size_t	 i;
	int	 found = 0;

	json_array_foreach(subs, i, s) {
		if (jstr(s, "subscriber.id") != NULL &&
		    strcmp(jstr(s, "subscriber.id"), id) == 0) {
			found = 1;
			if (connection != NULL)
				snprintf(connection, size, "%s",
				    jstr(s, "connection"));
		}
	}
	json_decref(subs);
	return (found);
}

/* Polls until the double lists (or no longer lists) subscriber id. */
static int
wait_subscribed(struct eventhub **hubs, const char *id, int want)
{
	int	i;

	for (i = 0; i < 100; i++) {
		if (subscribed(id, NULL, 0) == want)
			return (1);
		poll_hubs(hubs, 50, NULL, 0);
	}
	TEST_FAIL("subscriber %s %s", id, want ? "never appeared" :
	    "never went away");
	return (0);
}

/* The main subscriber: keeps the event, replies with its seq. */
static void
on_ping(struct eventhub *h, const json_t *event, void *arg)
{
	struct rec	*r = arg;
	json_t		*data;
	char		*cause = NULL;

	json_array_append(r->events, (json_t *)event);
	data = json_pack("{s:s?, s:b}", "pong", jstr(event, "data.seq"),
	    "ok", 1);
	if (eventhub_reply(h, event, data, &cause) != 0)
		TEST_FAIL("eventhub_reply: %s", cause);
	free(cause);
	json_decref(data);
}

static void
on_other(struct eventhub *h, const json_t *event, void *arg)
{
	((struct rec *)arg)->others++;
}

static void
on_bye(struct eventhub *h, const json_t *event, void *arg)
{
	((struct rec *)arg)->closed++;
	eventhub_close(h, 2000);
	/* Still connected: the goodbye waits for the poll to return. */
	ASSERT_TRUE(eventhub_connected(h));
}

static void
on_reply(struct eventhub *h, const json_t *event, void *arg)
{
	json_array_append(((struct rec *)arg)->replies, (json_t *)event);
}

static void
subscribe(struct eventhub *h, const char *expr, eventhub_cb cb,
    struct rec *r, char *id)
{
	char	*cause = NULL;

	if (eventhub_subscribe(h, expr, cb, r, id, &cause) != 0)
		TEST_FAIL("subscribe %s: %s", expr, cause);
	free(cause);
}

/* Publishes {topic, data: {seq}, target?} from h; returns the id. */
static void
publish(struct eventhub *h, const char *topic, const char *seq,
    const char *target, struct rec *replies, char *id)
{
	json_t	*e;
	char	*cause = NULL;

	e = json_pack("{s:s, s:{s:s}}", "topic", topic, "data", "seq", seq);
	if (target != NULL)
		json_object_set_new(e, "target", json_string(target));
	if (eventhub_publish(h, e, replies != NULL ? on_reply : NULL, replies,
	    id, &cause) != 0)
		TEST_FAIL("publish %s: %s", topic, cause);
	free(cause);
	json_decref(e);
}

/* Events, replies and expressions between two C clients. */
static void
test_publish_and_reply(void)
{
	struct rec	 ra, rb;
	struct eventhub	*a, *b, *hubs[3];
	char		 sub1[EVENTHUB_ID_SIZE], sub3[EVENTHUB_ID_SIZE];
	char		 ev1[EVENTHUB_ID_SIZE], ev4[EVENTHUB_ID_SIZE];
	char		 ev5[EVENTHUB_ID_SIZE], target[64];
	const json_t	*e, *rep;

	rec_init(&ra);
	rec_init(&rb);
	a = hub_open(user, key, 0, &ra);
	b = hub_open("jdoe@studio.example", key, 0, &rb);
	hubs[0] = a;
	hubs[1] = b;
	hubs[2] = NULL;
	subscribe(a, "topic=ferry.test.ping", on_ping, &ra, sub1);
	subscribe(a, "topic=ferry.test.ping and data.seq=2", on_other, &ra,
	    NULL);
	subscribe(a, "topic=ferry.test.*", on_other, &ra, sub3);
	/* Published before any connection: it waits, then goes. */
	publish(b, "ferry.test.ping", "0", NULL, NULL, NULL);
	hub_connect(a);
	/* Only a is polled: polling b would connect it, and send seq 0. */
	hubs[1] = NULL;
	wait_subscribed(hubs, sub3, 1);
	hubs[1] = b;
	ASSERT_TRUE(!eventhub_connected(b));
	hub_connect(b);
	ASSERT_TRUE(eventhub_connected(a) && eventhub_connected(b));

	poll_hubs(hubs, 10000, &ra.others, 1);
	ASSERT_INT_EQ(json_array_size(ra.events), 1);
	ASSERT_STR_EQ(jstr(json_array_get(ra.events, 0), "data.seq"), "0");

	publish(b, "ferry.test.ping", "1", NULL, &rb, ev1);
	poll_for(hubs, rb.replies, 1);
	ASSERT_INT_EQ(json_array_size(rb.replies), 1);
	e = json_array_get(ra.events, 1);
	ASSERT_STR_EQ(jstr(e, "id"), ev1);
	ASSERT_STR_EQ(jstr(e, "topic"), "ferry.test.ping");
	ASSERT_STR_EQ(jstr(e, "source.id"), eventhub_id(b));
	ASSERT_STR_EQ(jstr(e, "source.applicationId"), "ferry-hub-test");
	ASSERT_STR_EQ(jstr(e, "source.user.username"), "jdoe@studio.example");
	ASSERT_STR_EQ(jstr(e, "target"), "");
	ASSERT_TRUE(json_is_null(json_object_get(e, "inReplyToEvent")));
	ASSERT_TRUE(json_is_null(json_object_get(e, "sent")));
	rep = json_array_get(rb.replies, 0);
	ASSERT_STR_EQ(jstr(rep, "topic"), "ftrack.meta.reply");
	ASSERT_STR_EQ(jstr(rep, "inReplyToEvent"), ev1);
	ASSERT_STR_EQ(jstr(rep, "data.pong"), "1");
	snprintf(target, sizeof target, "id=%s", eventhub_id(b));
	ASSERT_STR_EQ(jstr(rep, "target"), target);
	/* The reply comes from the subscriber that answered. */
	ASSERT_STR_EQ(jstr(rep, "source.id"), sub1);
	ASSERT_STR_EQ(jstr(rep, "source.user.username"), user);
	/* Seq 0 and 1 matched "ferry.test.*" but not "data.seq=2". */
	ASSERT_INT_EQ(ra.others, 2);

	/* A target nobody has is delivered to nobody; one naming sub1 goes
	 * to sub1 alone, not to sub3 on the same connection. */
	publish(b, "ferry.test.ping", "3", "id=nobody", NULL, NULL);
	snprintf(target, sizeof target, "id=%s", sub1);
	publish(b, "ferry.test.ping", "4", target, NULL, ev4);
	poll_for(hubs, ra.events, 3);
	ASSERT_INT_EQ(json_array_size(ra.events), 3);
	ASSERT_STR_EQ(jstr(json_array_get(ra.events, 2), "id"), ev4);
	ASSERT_INT_EQ(ra.others, 2);

	/* Unsubscribed: the server forgets it, and seq 5 reaches sub1 only
	 * besides the "data.seq=2" one, which does not match. */
	ASSERT_INT_EQ(eventhub_unsubscribe(a, sub3, NULL), 0);
	ASSERT_INT_EQ(eventhub_unsubscribe(a, sub3, NULL), FERRY_ERR_NOTFOUND);
	wait_subscribed(hubs, sub3, 0);
	publish(b, "ferry.test.ping", "5", NULL, &rb, ev5);
	poll_for(hubs, rb.replies, 2);
	ASSERT_INT_EQ(json_array_size(rb.replies), 2);
	ASSERT_STR_EQ(jstr(json_array_get(rb.replies, 1), "inReplyToEvent"),
	    ev5);
	ASSERT_INT_EQ(ra.others, 2);
	ASSERT_INT_EQ(ra.disconnected + rb.disconnected, 0);

	/* A clean close, asked for by a callback: said when the poll
	 * returns, and the double forgets the connection's subscribers. */
	subscribe(a, "topic=ferry.test.bye", on_bye, &ra, sub3);
	wait_subscribed(hubs, sub3, 1);
	publish(b, "ferry.test.bye", "6", NULL, NULL, NULL);
	poll_hubs(hubs, 10000, &ra.closed, 1);
	ASSERT_INT_EQ(ra.closed, 1);
	ASSERT_TRUE(!eventhub_connected(a));
	ASSERT_INT_EQ(eventhub_poll(a, 0, NULL), FERRY_ERR_STATE);
	hubs[0] = b;
	hubs[1] = NULL;
	wait_subscribed(hubs, sub1, 0);
	eventhub_free(a);
	eventhub_free(b);
	rec_clear(&ra);
	rec_clear(&rb);
}

static void
set_heartbeat(int interval_ms, int timeout_ms)
{
	char	 body[128];
	json_t	*j;

	snprintf(body, sizeof body, "{\"interval_ms\": %d, \"timeout_ms\": "
	    "%d}", interval_ms, timeout_ms);
	j = hook("POST", "heartbeat", body);
	ASSERT_INT_EQ(json_integer_value(json_object_get(j, "interval_ms")),
	    interval_ms);
	json_decref(j);
}

/*
 * Heartbeats every 200 ms and a 1 s timeout on the server, a 1.5 s
 * dead-link limit here: the connection stays up for 3 s. Then the server
 * stops beating: the client notices and reconnects.
 */
static void
test_heartbeats(void)
{
	struct rec	 r;
	struct eventhub	*h, *hubs[2];

	rec_init(&r);
	set_heartbeat(200, 1000);
	h = hub_open(user, key, 1500, &r);
	hubs[0] = h;
	hubs[1] = NULL;
	hub_connect(h);
	poll_hubs(hubs, 3000, NULL, 0);
	ASSERT_INT_EQ(r.connected, 1);
	ASSERT_INT_EQ(r.disconnected, 0);
	ASSERT_TRUE(eventhub_connected(h));
	set_heartbeat(60000, 60000);
	poll_hubs(hubs, 6000, &r.connected, 2);
	ASSERT_INT_EQ(r.disconnected, 1);
	ASSERT_STR_CONTAINS(r.last_drop, "nothing from the event hub for");
	ASSERT_INT_EQ(r.connected, 2);
	set_heartbeat(5000, 60000);
	eventhub_free(h);
	rec_clear(&r);
}

/*
 * The double drops every socket (mode: terminate, close or disconnect):
 * both clients reconnect and subscribe again; events from the web UI and
 * from the other client still arrive, and replies still find their way.
 */
static void
test_drop(const char *mode, const char *why)
{
	struct rec	 ra, rb;
	struct eventhub	*a, *b, *hubs[3];
	char		 sub[EVENTHUB_ID_SIZE], before[128], after[128];
	char		 body[256];
	json_t		*j;

	rec_init(&ra);
	rec_init(&rb);
	a = hub_open(user, key, 0, &ra);
	b = hub_open("jdoe@studio.example", key, 0, &rb);
	hubs[0] = a;
	hubs[1] = b;
	hubs[2] = NULL;
	subscribe(a, "topic=ferry.test.ping", on_ping, &ra, sub);
	hub_connect(a);
	hub_connect(b);
	wait_subscribed(hubs, sub, 1);
	subscribed(sub, before, sizeof before);

	snprintf(body, sizeof body, "{\"mode\": \"%s\"}", mode);
	j = hook("POST", "drop-sockets", body);
	ASSERT_INT_EQ(json_integer_value(json_object_get(j, "dropped")), 2);
	json_decref(j);
	poll_hubs(hubs, 10000, &ra.connected, 2);
	poll_hubs(hubs, 10000, &rb.connected, 2);
	ASSERT_INT_EQ(ra.disconnected, 1);
	ASSERT_STR_CONTAINS(ra.last_drop, why);
	ASSERT_INT_EQ(ra.connected, 2);
	ASSERT_INT_EQ(rb.connected, 2);
	wait_subscribed(hubs, sub, 1);
	subscribed(sub, after, sizeof after);
	test_checks++;
	if (strcmp(before, after) == 0)
		TEST_FAIL("still on connection %s after the drop", before);

	/* The web UI (inside the double) publishes and gets our reply. */
	j = hook_polling("publish", "{\"event\": {\"topic\": "
	    "\"ferry.test.ping\", \"data\": {\"seq\": \"ui\"}}, \"user\": "
	    "\"ana@studio.example\", \"wait_ms\": 10000}", hubs);
	ASSERT_INT_EQ(json_integer_value(json_object_get(j, "delivered_to")),
	    1);
	ASSERT_INT_EQ(json_array_size(json_object_get(j, "replies")), 1);
	ASSERT_STR_EQ(jstr(json_array_get(json_object_get(j, "replies"), 0),
	    "data.pong"), "ui");
	ASSERT_STR_EQ(jstr(json_array_get(json_object_get(j, "replies"), 0),
	    "inReplyToEvent"), jstr(json_object_get(j, "event"), "id"));
	json_decref(j);
	ASSERT_STR_EQ(jstr(json_array_get(ra.events, 0),
	    "source.user.username"), "ana@studio.example");
	/* The other client's reply subscription came back too. */
	publish(b, "ferry.test.ping", "after", NULL, &rb, NULL);
	poll_for(hubs, rb.replies, 1);
	ASSERT_INT_EQ(json_array_size(rb.replies), 1);
	ASSERT_STR_EQ(jstr(json_array_get(rb.replies, 0), "data.pong"),
	    "after");
	eventhub_close(a, 2000);
	eventhub_close(b, 2000);
	eventhub_free(a);
	eventhub_free(b);
	rec_clear(&ra);
	rec_clear(&rb);
}

/* A wrong key, an unknown user, nobody listening: clear errors. */
static void
test_refused(void)
{
	struct eventhub_options	 o;
	struct rec		 r;
	struct eventhub		*h, *hubs[2];
	char			*cause = NULL;
	const char		*saved = url;

	rec_init(&r);
	h = hub_open(user, WRONG_KEY, 0, &r);
	ASSERT_INT_EQ(eventhub_connect(h, &cause), FERRY_ERR_AUTH);
	ASSERT_STR_CONTAINS(cause, "refused API user \"ferry\" and its key "
	    "(HTTP 401)");
	check_text(cause);
	free(cause);
	cause = NULL;
	/* It keeps trying with backoff, and says so. */
	hubs[0] = h;
	hubs[1] = NULL;
	poll_hubs(hubs, 1000, &r.disconnected, 2);
	ASSERT_TRUE(r.disconnected >= 2);
	ASSERT_STR_CONTAINS(r.last_drop, "refused API user");
	ASSERT_STR_CONTAINS(r.last_drop, "retrying in");
	ASSERT_TRUE(!eventhub_connected(h));
	eventhub_free(h);

	h = hub_open("nobody@studio.example", key, 0, &r);
	ASSERT_INT_EQ(eventhub_connect(h, &cause), FERRY_ERR_AUTH);
	ASSERT_STR_CONTAINS(cause, "\"nobody@studio.example\"");
	free(cause);
	cause = NULL;
	eventhub_free(h);

	url = "http://127.0.0.1:1";
	h = hub_open(user, key, 0, &r);
	ASSERT_INT_EQ(eventhub_connect(h, &cause), FERRY_ERR_IO);
	ASSERT_STR_CONTAINS(cause, "cannot reach the event hub at "
	    "http://127.0.0.1:1/socket.io/1/");
	check_text(cause);
	free(cause);
	cause = NULL;
	eventhub_free(h);
	url = saved;

	/* Bad options are named. */
	memset(&o, 0, sizeof o);
	o.server_url = "ftp://x";
	o.api_user = user;
	o.api_key = key;
	ASSERT_INT_EQ(eventhub_new(&o, &h, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "http:// or https://");
	free(cause);
	cause = NULL;
	o.server_url = url;
	o.api_key = "";
	ASSERT_INT_EQ(eventhub_new(&o, &h, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "API key is missing");
	free(cause);
	rec_clear(&r);
}

/*
 * Against the scripted socket.io server of eventhub.sh (no heartbeats,
 * a heartbeat timeout of 2 s): the client beats by itself, subscribes its
 * reply topic first, ignores what it cannot use, and reports the
 * server's error packet and a refused handshake.
 */
static void
test_scripted(void)
{
	struct rec	 r;
	struct eventhub	*h, *hubs[2];

	rec_init(&r);
	h = hub_open(user, key, 10000, &r);
	hubs[0] = h;
	hubs[1] = NULL;
	subscribe(h, "topic=ferry.test.*", on_other, &r, NULL);
	hub_connect(h);
	poll_hubs(hubs, 8000, &r.disconnected, 1);
	ASSERT_STR_CONTAINS(r.first_drop, "unauthorized (advice: reconnect); "
	    "reconnecting in");
	/* A packet that is not socket.io, a binary message, an event of
	 * another name, and an event whose target does not parse. */
	ASSERT_INT_EQ(r.ignored, 4);
	ASSERT_INT_EQ(r.others, 0);
	poll_hubs(hubs, 3000, &r.disconnected, 2);
	ASSERT_STR_CONTAINS(r.last_drop, "handshake at ");
	ASSERT_STR_CONTAINS(r.last_drop, "answered HTTP 500; retrying in");
	eventhub_free(h);
	rec_clear(&r);
}

/* The callback of the TLS scenario: keeps the event and replies. */
static void
on_tls(struct eventhub *h, const json_t *event, void *arg)
{
	struct rec	*r = arg;
	json_t		*data;

	json_array_append(r->events, (json_t *)event);
	data = json_pack("{s:i}", "size", (int)json_string_length(
	    json_object_get(json_object_get(event, "data"), "blob")));
	if (eventhub_reply(h, event, data, NULL) != 0)
		TEST_FAIL("eventhub_reply over TLS");
	json_decref(data);
}

/*
 * Against the TLS server of eventhub.sh (a certificate of its own, in
 * FTRACK_CA_FILE): refused without that CA, and with it an event of
 * 200 kB (many TLS records, a 64-bit WebSocket length) and a reply.
 */
static void
test_tls(void)
{
	struct eventhub_options	 o;
	struct rec		 r;
	struct eventhub		*h, *hubs[2];
	char			*cause = NULL;
	const json_t		*e;

	rec_init(&r);
	h = hub_open(user, key, 0, &r);
	ASSERT_INT_EQ(eventhub_connect(h, &cause), FERRY_ERR_IO);
	ASSERT_STR_CONTAINS(cause, "cannot reach the event hub at https://");
	ASSERT_STR_CONTAINS(cause, "certificate");
	free(cause);
	cause = NULL;
	eventhub_free(h);

	memset(&o, 0, sizeof o);
	o.server_url = url;
	o.api_user = user;
	o.api_key = key;
	o.ca_file = getenv("FTRACK_CA_FILE");
	o.on_notice = on_notice;
	o.notice_arg = &r;
	if (eventhub_new(&o, &h, &cause) != 0 ||
	    eventhub_subscribe(h, "topic=ferry.test.tls", on_tls, &r, NULL,
	    &cause) != 0 || eventhub_connect(h, &cause) != 0)
		TEST_FAIL("over TLS: %s", cause);
	free(cause);
	hubs[0] = h;
	hubs[1] = NULL;
	poll_for(hubs, r.events, 1);
	ASSERT_INT_EQ(json_array_size(r.events), 1);
	e = json_array_get(r.events, 0);
	ASSERT_STR_EQ(jstr(e, "id"), "tls-1");
	ASSERT_INT_EQ(json_string_length(json_object_get(json_object_get(e,
	    "data"), "blob")), 200000);
	/* Time for the reply to reach the server before the goodbye. */
	poll_hubs(hubs, 300, NULL, 0);
	eventhub_close(h, 2000);
	eventhub_free(h);
	rec_clear(&r);
}

int
main(int argc, char **argv)
{
	const char	*scenario = argc > 1 ? argv[1] : "double";

	url = getenv("FTRACK_SERVER");
	user = getenv("FTRACK_API_USER");
	key = getenv("FTRACK_API_KEY");
	if (url == NULL || user == NULL || key == NULL)
		TEST_SKIP("FTRACK_SERVER, FTRACK_API_USER and FTRACK_API_KEY "
		    "must be set (tests/ftrack/eventhub.sh sets them)");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(scenario, "scripted") == 0)
		test_scripted();
	else if (strcmp(scenario, "tls") == 0)
		test_tls();
	else if (strcmp(scenario, "proxy") == 0)
		test_publish_and_reply();
	else {
		test_publish_and_reply();
		test_heartbeats();
		test_drop("terminate", "without a WebSocket close (1006");
		test_drop("close", "closed the WebSocket (1001 going away: "
		    "dropped by the double)");
		test_drop("disconnect",
		    "the event hub sent a socket.io disconnect");
		test_refused();
	}
	curl_global_cleanup();
	return (TEST_DONE());
}
