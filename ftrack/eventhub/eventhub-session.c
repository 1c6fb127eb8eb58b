/*
 * One event-hub session: the socket.io 0.9 handshake (GET /socket.io/1/,
 * answered "<sid>:<heartbeat timeout>:<close timeout>:<transports>"), then
 * the WebSocket at /socket.io/1/websocket/<sid>. Every reconnection makes
 * a new session.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "err.h"
#include "eventhub-int.h"
#include "ws-int.h"

#define EVENTHUB_HANDSHAKE_MAX	4096	/* the answer is one short line */

static size_t
eventhub_collect(char *data, size_t size, size_t n, void *arg)
{
	struct buf	*b = arg;

	if (buf_add(b, data, size * n) != 0)
		return (0);	/* too long: libcurl stops */
	return (size * n);
}

/* Wipes and frees a header list that holds the API key. */
static void
eventhub_free_headers(struct curl_slist *list)
{
	struct curl_slist	*l;

	for (l = list; l != NULL; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

static struct curl_slist *
eventhub_auth_headers(const struct eventhub *h)
{
	struct curl_slist	*list = NULL, *l;
	struct buf		 b;

	buf_init(&b, 0);
	if (buf_printf(&b, "ftrack-user: %s", h->o.api_user) != 0 ||
	    (l = curl_slist_append(list, b.data)) == NULL)
		goto fail;
	list = l;
	buf_reset(&b);
	if (buf_printf(&b, "ftrack-api-key: %s", h->o.api_key) != 0 ||
	    (l = curl_slist_append(list, b.data)) == NULL)
		goto fail;
	list = l;
	explicit_bzero(b.data, b.len);
	buf_free(&b);
	return (list);
fail:
	if (b.data != NULL)
		explicit_bzero(b.data, b.len);
	buf_free(&b);
	eventhub_free_headers(list);
	return (NULL);
}

/* GET /socket.io/1/ with the credentials; the answer goes to body. */
static int
eventhub_get_handshake(const struct eventhub *h, const char *url,
    struct buf *body, char **cause)
{
	struct curl_slist	*headers;
	CURL			*curl;
	CURLcode		 rc;
	long			 status = 0;
	char			 errbuf[CURL_ERROR_SIZE] = "";

	if ((headers = eventhub_auth_headers(h)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "handshake headers"));
	if ((curl = curl_easy_init()) == NULL) {
		eventhub_free_headers(headers);
		return (err_set(cause, FERRY_ERR_NOMEM, "curl_easy_init"));
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, eventhub_collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, h->o.timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "ferry/" PACKAGE_VERSION);
	/* As the WebSocket's connection (ws-connect.c): HTTP/1.1 only. */
	curl_easy_setopt(curl, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_1_1);
	if (h->o.ca_file != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, h->o.ca_file);
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(curl);
	eventhub_free_headers(headers);
	if (rc != CURLE_OK)
		return (err_set(cause, rc == CURLE_OPERATION_TIMEDOUT ?
		    FERRY_ERR_TIMEOUT : FERRY_ERR_IO, "cannot reach the event "
		    "hub at %s: %s", url, errbuf[0] != '\0' ? errbuf :
		    curl_easy_strerror(rc)));
	if (status == 401 || status == 403)
		return (err_set(cause, FERRY_ERR_AUTH, "the event hub at %s "
		    "refused API user \"%s\" and its key (HTTP %ld): check "
		    "both", h->o.server_url, h->o.api_user, status));
	if (status != 200)
		return (err_set(cause, FERRY_ERR_PROTO, "the event hub "
		    "handshake at %s answered HTTP %ld", url, status));
	return (0);
}

/* Whether the comma-separated transports offer "websocket". */
static int
eventhub_offers_websocket(const char *s)
{
	size_t	n;

	while (*s != '\0') {
		n = strcspn(s, ",");
		if (n == 9 && strncmp(s, "websocket", 9) == 0)
			return (1);
		s += n;
		if (*s == ',')
			s++;
	}
	return (0);
}

/* Splits "<sid>:<heartbeat>:<close>:<transports>". */
static int
eventhub_parse_handshake(char *text, char **sid, long *heartbeat_s,
    char **cause)
{
	char	*field[4], *end;
	size_t	 i;

	text[strcspn(text, "\r\n")] = '\0';
	for (i = 0; i < 4; i++) {
		field[i] = strsep(&text, ":");
		if (field[i] == NULL)
			return (err_set(cause, FERRY_ERR_PROTO, "the event hub "
			    "handshake answer has %zu fields, not 4", i));
	}
	if (field[0][0] == '\0' || strspn(field[0], "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(field[0]) ||
	    strlen(field[0]) > 128)
		return (err_set(cause, FERRY_ERR_PROTO, "the event hub "
		    "handshake gave a malformed session id"));
	*heartbeat_s = 0;
	if (field[1][0] != '\0') {
		*heartbeat_s = strtol(field[1], &end, 10);
		if (*end != '\0' || *heartbeat_s < 0 || *heartbeat_s > 86400)
			return (err_set(cause, FERRY_ERR_PROTO, "the event hub "
			    "handshake gave a bad heartbeat timeout"));
	}
	if (!eventhub_offers_websocket(field[3]))
		return (err_set(cause, FERRY_ERR_PROTO, "the event hub does "
		    "not offer the websocket transport"));
	*sid = field[0];
	return (0);
}

int
eventhub_session_open(struct eventhub *h, struct ws_conn **ws,
    long *heartbeat_timeout_s, char **cause)
{
	struct ws_options	 wo;
	struct buf		 url, body;
	char			*sid = NULL;
	int			 r;

	buf_init(&url, 0);
	buf_init(&body, EVENTHUB_HANDSHAKE_MAX);
	if ((r = buf_printf(&url, "%s/socket.io/1/", h->o.server_url)) != 0) {
		r = err_set(cause, r, "handshake URL");
		goto out;
	}
	if ((r = eventhub_get_handshake(h, url.data, &body, cause)) != 0)
		goto out;
	if (body.len == 0) {
		r = err_set(cause, FERRY_ERR_PROTO,
		    "the event hub handshake answer is empty");
		goto out;
	}
	if ((r = eventhub_parse_handshake(body.data, &sid, heartbeat_timeout_s,
	    cause)) != 0)
		goto out;
	buf_reset(&url);
	if ((r = buf_printf(&url, "%s/socket.io/1/websocket/%s",
	    h->o.server_url, sid)) != 0) {
		r = err_set(cause, r, "WebSocket URL");
		goto out;
	}
	memset(&wo, 0, sizeof wo);
	wo.url = url.data;
	wo.connect_timeout_ms = h->o.timeout_ms;
	wo.max_message = h->o.max_message;
	wo.ca_file = h->o.ca_file;
	r = ws_connect(&wo, ws, cause);
out:
	buf_free(&url);
	buf_free(&body);
	return (r);
}
