/*
 * Opening a WebSocket: libcurl makes the connection (TCP, TLS, a proxy
 * CONNECT, the connect timeout) and stops there; the HTTP/1.1 upgrade is
 * then written and read over it by hand.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "ws-conn-int.h"
#include "ws-handshake-int.h"
#include "ws-int.h"

/* Where to connect, and what to put in the upgrade request. */
struct ws_target {
	char	*connect_url;	/* scheme://host:port/ for libcurl */
	char	*host;		/* the Host header */
	char	*path;		/* request target: path and query */
};

static void
ws_target_clear(struct ws_target *t)
{
	free(t->connect_url);
	free(t->host);
	/* The query may carry credentials. */
	if (t->path != NULL)
		explicit_bzero(t->path, strlen(t->path));
	free(t->path);
	memset(t, 0, sizeof *t);
}

/* Builds the three strings from the URL's parts. */
static int
ws_target_build(struct ws_target *t, int tls, const char *host,
    const char *port, const char *path, const char *query)
{
	struct buf	b;
	int		r;

	buf_init(&b, 0);
	if ((r = buf_printf(&b, "%s://%s:%s/", tls ? "https" : "http", host,
	    port != NULL ? port : tls ? "443" : "80")) != 0)
		goto out;
	t->connect_url = buf_detach(&b);
	if ((r = buf_printf(&b, "%s%s%s", host, port != NULL ? ":" : "",
	    port != NULL ? port : "")) != 0)
		goto out;
	t->host = buf_detach(&b);
	if ((r = buf_printf(&b, "%s%s%s", path[0] == '/' ? "" : "/", path,
	    query != NULL ? "?" : "")) != 0 ||
	    (query != NULL && (r = buf_addstr(&b, query)) != 0))
		goto out;
	t->path = buf_detach(&b);
	if (t->connect_url == NULL || t->host == NULL || t->path == NULL)
		r = FERRY_ERR_NOMEM;
out:
	buf_free(&b);
	return (r);
}

/* The URL is never quoted in a cause: its query may hold a secret. */
static int
ws_target_parse(const char *url, struct ws_target *t, char **cause)
{
	CURLU		*u;
	CURLUcode	 rc;
	char		*scheme = NULL, *host = NULL, *port = NULL;
	char		*path = NULL, *query = NULL;
	int		 r, tls;

	memset(t, 0, sizeof *t);
	if ((u = curl_url()) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "curl_url"));
	if ((rc = curl_url_set(u, CURLUPART_URL, url,
	    CURLU_NON_SUPPORT_SCHEME)) != CURLUE_OK ||
	    (rc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0)) != CURLUE_OK ||
	    (rc = curl_url_get(u, CURLUPART_HOST, &host, 0)) != CURLUE_OK ||
	    (rc = curl_url_get(u, CURLUPART_PATH, &path, 0)) != CURLUE_OK) {
		r = err_set(cause, FERRY_ERR_INVAL, "bad WebSocket URL: %s",
		    curl_url_strerror(rc));
		goto out;
	}
	(void)curl_url_get(u, CURLUPART_PORT, &port, 0);
	(void)curl_url_get(u, CURLUPART_QUERY, &query, 0);
	tls = strcasecmp(scheme, "wss") == 0 ||
	    strcasecmp(scheme, "https") == 0;
	if (!tls && strcasecmp(scheme, "ws") != 0 &&
	    strcasecmp(scheme, "http") != 0) {
		r = err_set(cause, FERRY_ERR_INVAL, "WebSocket URL scheme "
		    "\"%s\" is not ws, wss, http or https", scheme);
		goto out;
	}
	if ((r = ws_target_build(t, tls, host, port, path, query)) != 0) {
		ws_target_clear(t);
		r = err_set(cause, r, "cannot build the WebSocket target");
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	if (query != NULL)
		explicit_bzero(query, strlen(query));
	curl_free(query);
	curl_url_cleanup(u);
	return (r);
}

static int
ws_open_socket(struct ws_conn *c, const struct ws_options *o,
    const struct ws_target *t, long timeout_ms, char **cause)
{
	CURLcode	rc;

	if ((c->curl = curl_easy_init()) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "curl_easy_init"));
	curl_easy_setopt(c->curl, CURLOPT_URL, t->connect_url);
	curl_easy_setopt(c->curl, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	/* Through an HTTP proxy, only a CONNECT tunnel carries a WebSocket. */
	curl_easy_setopt(c->curl, CURLOPT_HTTPPROXYTUNNEL, 1L);
	/*
	 * A WebSocket is an HTTP/1.1 upgrade. A TLS front end that offers h2
	 * by ALPN (nginx, cloud load balancers) would otherwise get libcurl
	 * to speak HTTP/2 on this socket, and the upgrade written by hand
	 * below would be nonsense to it (libcurl 7.88 then crashed in
	 * curl_easy_recv). Offer http/1.1 alone.
	 */
	curl_easy_setopt(c->curl, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_1_1);
	if (o->ca_file != NULL)
		curl_easy_setopt(c->curl, CURLOPT_CAINFO, o->ca_file);
	if ((rc = curl_easy_perform(c->curl)) != CURLE_OK)
		return (err_set(cause, rc == CURLE_OPERATION_TIMEDOUT ?
		    FERRY_ERR_TIMEOUT : FERRY_ERR_IO,
		    "cannot connect to %s: %s", t->host,
		    c->errbuf[0] != '\0' ? c->errbuf : curl_easy_strerror(rc)));
	if ((rc = curl_easy_getinfo(c->curl, CURLINFO_ACTIVESOCKET,
	    &c->fd)) != CURLE_OK || c->fd == CURL_SOCKET_BAD)
		return (err_set(cause, FERRY_ERR_IO, "no socket from libcurl "
		    "for %s", t->host));
	return (0);
}

/* Reads the answer's head; whatever follows it goes to the parser. */
static int
ws_read_answer(struct ws_conn *c, const struct ws_target *t,
    const char *key, int64_t deadline, char **cause)
{
	char		chunk[4096];
	struct buf	head;
	size_t		got, hlen = 0;
	int		r;

	buf_init(&head, WS_HEAD_MAX + sizeof chunk);
	while (hlen == 0) {
		r = ws_read_some(c, chunk, sizeof chunk, &got, deadline, NULL);
		if (r == 0 || r < 0) {
			r = err_set(cause, r == 0 ? FERRY_ERR_TIMEOUT : r,
			    "%s did not answer the WebSocket upgrade%s",
			    t->host, r == 0 ? " in time" : "");
			goto out;
		}
		if ((r = buf_add(&head, chunk, got)) != 0 ||
		    ((hlen = ws_handshake_head_len(head.data, head.len)) == 0 &&
		    head.len > WS_HEAD_MAX)) {
			r = err_set(cause, FERRY_ERR_PROTO, "the answer to the "
			    "WebSocket upgrade has a head of more than %d "
			    "bytes", WS_HEAD_MAX);
			goto out;
		}
	}
	if ((r = ws_handshake_check(head.data, hlen, key, cause)) != 0)
		goto out;
	if (head.len > hlen)
		r = ws_parser_feed(&c->parser, head.data + hlen,
		    head.len - hlen, cause);
out:
	buf_free(&head);
	return (r);
}

static int
ws_upgrade(struct ws_conn *c, const struct ws_options *o,
    const struct ws_target *t, int64_t deadline, char **cause)
{
	struct buf	req;
	char		key[WS_KEY_SIZE];
	int		r;

	buf_init(&req, 0);
	if ((r = ws_handshake_key(key, cause)) != 0 ||
	    (r = ws_handshake_request(&req, t->host, t->path, key, o->headers,
	    cause)) != 0)
		goto out;
	if ((r = ws_write_all(c, req.data, req.len, deadline, cause)) != 0)
		goto out;
	r = ws_read_answer(c, t, key, deadline, cause);
out:
	/* The request may hold credentials (headers, query). */
	if (req.data != NULL)
		explicit_bzero(req.data, req.len);
	buf_free(&req);
	return (r);
}

int
ws_connect(const struct ws_options *o, struct ws_conn **out, char **cause)
{
	struct ws_conn		*c;
	struct ws_target	 t;
	long			 timeout_ms;
	int			 r;

	timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms :
	    WS_DEFAULT_TIMEOUT_MS;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "calloc"));
	ws_parser_init(&c->parser, WS_FROM_SERVER, o->max_message > 0 ?
	    o->max_message : WS_DEFAULT_MAX_MESSAGE);
	buf_init(&c->out, 0);
	if ((r = ws_target_parse(o->url, &t, cause)) != 0) {
		ws_free(c);
		return (r);
	}
	if ((r = ws_open_socket(c, o, &t, timeout_ms, cause)) == 0)
		r = ws_upgrade(c, o, &t, clock_ms() + timeout_ms, cause);
	ws_target_clear(&t);
	if (r != 0) {
		ws_free(c);
		return (r);
	}
	c->last_rx = clock_ms();
	*out = c;
	return (0);
}
