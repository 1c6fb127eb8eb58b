/*
 * The ftrack REST client against a scripted HTTP server on a loopback
 * socket in this process: headers and body on the wire, one kept-alive
 * connection, retries with backoff on 503 and on a refused connection,
 * giving up with a clear error, no retry on 4xx or ftrack's error object,
 * timeouts, proxies from the environment, paging and batched queries, and
 * the API key kept out of every message.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "rest.h"
#include "test.h"

#define KEY	"0000aaaa-11bb-22cc-33dd-444444eeeeee"
#define MAX_CONNS 16

/* One scripted answer; hang: read the request and never answer. */
struct reply {
	int		 status;
	const char	*body;
	const char	*ctype;
	int		 hang;
};

static struct server {
	int			 lfd;
	int			 port;
	pthread_t		 acceptor;
	pthread_t		 conns[MAX_CONNS];
	int			 nconns;
	pthread_mutex_t		 mu;
	const struct reply	*script;
	size_t			 nscript;
	int			 requests;
	struct buf		 heads;		/* request heads */
	struct buf		 bodies;	/* every body, one a line */
} srv;

/* Reads one request on fd into head and body; returns 0, or -1 at EOF. */
static int
read_request(int fd, struct buf *head, struct buf *body)
{
	char	 chunk[4096], *end, *cl;
	size_t	 want = 0, hlen;
	ssize_t	 n;

	buf_init(head, 0);
	buf_init(body, 0);
	while ((end = strstr(buf_str(head), "\r\n\r\n")) == NULL) {
		if ((n = read(fd, chunk, sizeof chunk)) <= 0)
			return (-1);
		buf_add(head, chunk, (size_t)n);
	}
	hlen = (size_t)(end - head->data) + 4;
	buf_add(body, head->data + hlen, head->len - hlen);
	head->data[hlen] = '\0';
	head->len = hlen;
	for (cl = head->data; (cl = strchr(cl, '\n')) != NULL; cl++) {
		if (strncasecmp(cl + 1, "content-length:", 15) == 0)
			want = strtoul(cl + 16, NULL, 10);
	}
	while (body->len < want) {
		if ((n = read(fd, chunk, sizeof chunk)) <= 0)
			return (-1);
		buf_add(body, chunk, (size_t)n);
	}
	return (0);
}

static void
answer(int fd, const struct reply *r)
{
	struct buf	out;
	ssize_t		n;

	buf_init(&out, 0);
	buf_printf(&out, "HTTP/1.1 %d Scripted\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\n\r\n%s", r->status, r->ctype != NULL ?
	    r->ctype : "application/json", strlen(r->body), r->body);
	n = write(fd, out.data, out.len);
	(void)n;
	buf_free(&out);
}

static const struct reply exhausted = { 500, "script exhausted", NULL, 0 };

/* Serves one connection until the client closes it. */
static void *
serve(void *arg)
{
	int			 fd = (int)(intptr_t)arg;
	struct buf		 head, body;
	const struct reply	*r;

	while (read_request(fd, &head, &body) == 0) {
		pthread_mutex_lock(&srv.mu);
		buf_addstr(&srv.heads, buf_str(&head));
		buf_addstr(&srv.bodies, buf_str(&body));
		buf_addch(&srv.bodies, '\n');
		r = (size_t)srv.requests < srv.nscript ?
		    &srv.script[srv.requests] : &exhausted;
		srv.requests++;
		pthread_mutex_unlock(&srv.mu);
		if (!r->hang)
			answer(fd, r);
		buf_free(&head);
		buf_free(&body);
	}
	buf_free(&head);
	buf_free(&body);
	close(fd);
	return (NULL);
}

static void *
accept_loop(void *arg)
{
	int	fd;

	(void)arg;
	while ((fd = accept(srv.lfd, NULL, NULL)) != -1) {
		pthread_mutex_lock(&srv.mu);
		if (srv.nconns < MAX_CONNS &&
		    pthread_create(&srv.conns[srv.nconns], NULL, serve,
		    (void *)(intptr_t)fd) == 0)
			srv.nconns++;
		else
			close(fd);
		pthread_mutex_unlock(&srv.mu);
	}
	return (NULL);
}

/* A port nothing listens on: bound, then closed. */
static int
listen_port(int *portp, int keep)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    (keep && listen(fd, 16) == -1) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		TEST_SKIP("cannot listen on loopback");
	*portp = ntohs(sin.sin_port);
	if (!keep) {
		close(fd);
		return (-1);
	}
	return (fd);
}

static void
server_start(const struct reply *script, size_t n)
{
	memset(&srv, 0, sizeof srv);
	pthread_mutex_init(&srv.mu, NULL);
	srv.script = script;
	srv.nscript = n;
	srv.lfd = listen_port(&srv.port, 1);
	pthread_create(&srv.acceptor, NULL, accept_loop, NULL);
}

/* Call after rest_free(): every connection is closed by then. */
static void
server_stop(void)
{
	int	i;

	shutdown(srv.lfd, SHUT_RDWR);
	close(srv.lfd);
	pthread_join(srv.acceptor, NULL);
	for (i = 0; i < srv.nconns; i++)
		pthread_join(srv.conns[i], NULL);
	buf_free(&srv.heads);
	buf_free(&srv.bodies);
	pthread_mutex_destroy(&srv.mu);
}

static struct rest *
session(const char *url, long timeout_ms, int retries, long backoff_ms)
{
	struct rest_opts	 o;
	struct rest		*r = NULL;
	char			 u[128], *cause = NULL;

	if (url == NULL) {
		snprintf(u, sizeof u, "http://127.0.0.1:%d/", srv.port);
		url = u;
	}
	rest_opts_init(&o);
	o.url = url;
	o.user = "alice";
	o.api_key = KEY;
	o.timeout_ms = timeout_ms;
	o.retries = retries;
	o.backoff_ms = backoff_ms;
	o.page_size = 0;
	if (rest_new(&o, &r, &cause) != 0)
		TEST_FAIL("rest_new: %s", cause);
	free(cause);
	return (r);
}

/* Runs a server-info call; returns the code and keeps the cause. */
static int
info(struct rest *r, char **cause)
{
	json_t	*i = NULL;
	int	 e;

	free(*cause);
	*cause = NULL;
	e = rest_server_info(r, &i, cause);
	json_decref(i);
	test_checks++;
	if (*cause != NULL && strstr(*cause, KEY) != NULL)
		TEST_FAIL("the key is in a cause: %s", *cause);
	return (e);
}

static long
ms_since(const struct timeval *t0)
{
	struct timeval	t1;

	gettimeofday(&t1, NULL);
	return ((t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_usec - t0->tv_usec) / 1000);
}

#define OK_INFO	{ 200, "[{\"version\": \"4.13.0\"}]", NULL, 0 }

static void
test_wire(void)
{
	static const struct reply script[] = { OK_INFO, OK_INFO, OK_INFO,
	    OK_INFO, OK_INFO };
	struct rest		*r;
	struct rest_stats	 st;
	json_t			*i = NULL;
	char			*cause = NULL, url[64];
	int			 n;

	server_start(script, 5);
	r = session(NULL, 5000, 0, 10);
	ASSERT_INT_EQ(rest_server_info(r, &i, &cause), 0);
	ASSERT_STR_EQ(json_string_value(json_object_get(i, "version")),
	    "4.13.0");
	json_decref(i);
	/* The URL's trailing slash is not doubled. */
	ASSERT_STR_CONTAINS(buf_str(&srv.heads), "POST /api HTTP/1.1\r\n");
	ASSERT_STR_CONTAINS(buf_str(&srv.heads), "\r\nftrack-user: alice\r\n");
	ASSERT_STR_CONTAINS(buf_str(&srv.heads), "\r\nftrack-api-key: " KEY
	    "\r\n");
	ASSERT_STR_CONTAINS(buf_str(&srv.heads), "\r\nContent-Type: "
	    "application/json\r\n");
	ASSERT_STR_CONTAINS(buf_str(&srv.heads), "\r\nAccept: "
	    "application/json\r\n");
	ASSERT_STR_CONTAINS(buf_str(&srv.heads), "\r\nftrack-Clienttoken: "
	    "ferry--");
	ASSERT_STR_CONTAINS(buf_str(&srv.heads), rest_client_token(r));
	/* Whole answers, not de-duplicated ones. */
	ASSERT_STR_CONTAINS(buf_str(&srv.heads), "\r\nftrack-api-options: "
	    "strict:1;denormalize:1\r\n");
	ASSERT_STR_EQ(buf_str(&srv.bodies),
	    "[{\"action\":\"query_server_information\"}]\n");
	snprintf(url, sizeof url, "http://127.0.0.1:%d", srv.port);
	ASSERT_STR_EQ(rest_url(r), url);
	/* Four more calls go over the same connection. */
	for (n = 0; n < 4; n++)
		ASSERT_INT_EQ(info(r, &cause), 0);
	rest_get_stats(r, &st);
	ASSERT_INT_EQ(st.calls, 5);
	ASSERT_INT_EQ(st.requests, 5);
	ASSERT_INT_EQ(st.retries, 0);
	ASSERT_INT_EQ(st.connects, 1);
	ASSERT_INT_EQ(srv.nconns, 1);
	rest_free(r);
	server_stop();
	free(cause);
}

static void
test_retry(void)
{
	static const struct reply script[] = {
		{ 503, "<html>busy</html>", "text/html", 0 },
		{ 503, "<html>busy</html>", "text/html", 0 },
		OK_INFO,
	};
	struct rest		*r;
	struct rest_stats	 st;
	struct timeval		 t0;
	char			*cause = NULL;

	server_start(script, 3);
	r = session(NULL, 5000, 4, 100);
	gettimeofday(&t0, NULL);
	ASSERT_INT_EQ(info(r, &cause), 0);
	/* Waits of 100 then 200 ms: the backoff doubles. */
	ASSERT_TRUE(ms_since(&t0) >= 300);
	rest_get_stats(r, &st);
	ASSERT_INT_EQ(st.requests, 3);
	ASSERT_INT_EQ(st.retries, 2);
	ASSERT_INT_EQ(srv.requests, 3);
	rest_free(r);
	server_stop();
	free(cause);
}

static void
test_give_up(void)
{
	static const struct reply script[] = {
		{ 503, "upstream\r\nunavailable", "text/plain", 0 },
		{ 503, "upstream\r\nunavailable", "text/plain", 0 },
		{ 503, "upstream\r\nunavailable", "text/plain", 0 },
		OK_INFO,
	};
	struct rest	*r;
	char		*cause = NULL;

	server_start(script, 4);
	r = session(NULL, 5000, 2, 10);
	ASSERT_INT_EQ(info(r, &cause), FERRY_ERR_PROTO);
	ASSERT_STR_CONTAINS(cause, "answered HTTP 503 (\"upstream  "
	    "unavailable\"); gave up after 3 attempts");
	ASSERT_STR_CONTAINS(cause, "http://127.0.0.1:");
	ASSERT_INT_EQ(srv.requests, 3);
	rest_free(r);
	server_stop();
	free(cause);
}

static void
test_no_retry(void)
{
	static const struct reply script[] = {
		{ 404, "<html>no such page</html>", "text/html", 0 },
		{ 500, "{\"exception\": \"ServerError\", \"content\": "
		    "\"Duplicate entry\", \"error_code\": null}", NULL, 0 },
		{ 301, "", "text/html", 0 },
		{ 401, "", "text/plain", 0 },
		OK_INFO,
	};
	struct rest	*r;
	char		*cause = NULL;

	server_start(script, 5);
	r = session(NULL, 5000, 3, 10);
	ASSERT_INT_EQ(info(r, &cause), FERRY_ERR_PROTO);
	ASSERT_STR_CONTAINS(cause, "something that is not JSON (HTTP 404, "
	    "text/html)");
	ASSERT_STR_CONTAINS(cause, "query_server_information");
	ASSERT_INT_EQ(srv.requests, 1);
	/* A 5xx that carries ftrack's error is ftrack's answer: final. */
	ASSERT_INT_EQ(info(r, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "ServerError: Duplicate entry");
	ASSERT_STR_EQ(rest_last_exception(r), "ServerError");
	ASSERT_INT_EQ(srv.requests, 2);
	ASSERT_INT_EQ(info(r, &cause), FERRY_ERR_PROTO);
	ASSERT_STR_CONTAINS(cause, "HTTP 301 (a redirect)");
	ASSERT_INT_EQ(info(r, &cause), FERRY_ERR_AUTH);
	ASSERT_STR_CONTAINS(cause, "HTTP 401");
	ASSERT_STR_CONTAINS(cause, "\"alice\"");
	ASSERT_INT_EQ(srv.requests, 4);
	ASSERT_STR_EQ(rest_last_exception(r), "");
	rest_free(r);
	server_stop();
	free(cause);
}

static void
test_ftrack_errors(void)
{
	static const struct reply script[] = {
		{ 200, "{\"exception\": \"InvalidCredentialsError\", "
		    "\"content\": \"The supplied API key is not valid.\", "
		    "\"error_code\": null}", NULL, 0 },
		{ 200, "{\"exception\": \"ValidationError\", \"content\": "
		    "\"Invalid value for status: nope\"}", NULL, 0 },
		{ 200, "{\"exception\": \"ServerError\", \"content\": \"bad "
		    "key " KEY " here\"}", NULL, 0 },
		{ 200, "[{}, {}]", NULL, 0 },
		{ 200, "{\"version\": 1}", NULL, 0 },
	};
	struct rest	*r;
	json_t		*ops, *res = NULL, *data;
	char		*cause = NULL;

	server_start(script, 5);
	r = session(NULL, 5000, 3, 10);
	ASSERT_INT_EQ(info(r, &cause), FERRY_ERR_AUTH);
	ASSERT_STR_CONTAINS(cause, "refused the API user \"alice\" or its API "
	    "key (InvalidCredentialsError: The supplied API key is not "
	    "valid.)");
	data = json_pack("{s:s}", "status", "running");
	ops = json_pack("[o,o]", rest_op_create("Job", data),
	    rest_op_update("Job", "j1", data));
	ASSERT_INT_EQ(rest_call(r, ops, &res, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "refused a batch of 2 operations (create "
	    "Job, update Job): ValidationError: Invalid value for status: "
	    "nope");
	ASSERT_STR_EQ(rest_last_exception(r), "ValidationError");
	/* A server that echoes the key does not get it into a message. */
	ASSERT_INT_EQ(info(r, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "bad key [API key] here");
	/* One result for two operations, or an object: not ftrack. */
	ASSERT_INT_EQ(info(r, &cause), FERRY_ERR_PROTO);
	ASSERT_STR_CONTAINS(cause, "sent 2 results for a batch of 1 "
	    "operations");
	ASSERT_INT_EQ(info(r, &cause), FERRY_ERR_PROTO);
	ASSERT_STR_CONTAINS(cause, "neither a list of results nor an error");
	ASSERT_INT_EQ(srv.requests, 5);
	json_decref(ops);
	json_decref(data);
	rest_free(r);
	server_stop();
	free(cause);
}

static void
test_timeout(void)
{
	static const struct reply script[] = {
		{ 0, "", NULL, 1 }, { 0, "", NULL, 1 }, OK_INFO,
	};
	struct rest	*r;
	struct timeval	 t0;
	char		*cause = NULL;

	server_start(script, 3);
	r = session(NULL, 300, 1, 10);
	gettimeofday(&t0, NULL);
	ASSERT_INT_EQ(info(r, &cause), FERRY_ERR_TIMEOUT);
	ASSERT_TRUE(ms_since(&t0) >= 600);
	ASSERT_STR_CONTAINS(cause, "no answer from ftrack at http://127.0.0.1");
	ASSERT_STR_CONTAINS(cause, "gave up after 2 attempts");
	ASSERT_INT_EQ(srv.requests, 2);
	rest_free(r);
	server_stop();
	free(cause);
}

static void
test_refused(void)
{
	struct rest		*r;
	struct rest_stats	 st;
	char			 url[64], *cause = NULL;
	int			 port;

	listen_port(&port, 0);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
	r = session(url, 2000, 2, 10);
	ASSERT_INT_EQ(info(r, &cause), FERRY_ERR_IO);
	ASSERT_STR_CONTAINS(cause, "cannot reach ftrack at http://127.0.0.1:");
	ASSERT_STR_CONTAINS(cause, "gave up after 3 attempts");
	rest_get_stats(r, &st);
	ASSERT_INT_EQ(st.requests, 3);
	ASSERT_INT_EQ(st.retries, 2);
	rest_free(r);
	free(cause);
}

static void
test_proxy(void)
{
	static const struct reply script[] = { OK_INFO };
	struct rest	*r;
	char		 proxy[64], *cause = NULL;

	server_start(script, 1);
	snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", srv.port);
	setenv("http_proxy", proxy, 1);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	r = session("http://ftrack.invalid", 5000, 0, 10);
	ASSERT_INT_EQ(info(r, &cause), 0);
	ASSERT_STR_CONTAINS(buf_str(&srv.heads), "POST http://ftrack.invalid/"
	    "api HTTP/1.1\r\n");
	unsetenv("http_proxy");
	rest_free(r);
	server_stop();
	free(cause);
}

static void
test_paging(void)
{
	static const struct reply script[] = {
		{ 200, "[{\"action\": \"query\", \"data\": [{\"id\": \"a\"}, "
		    "{\"id\": \"b\"}], \"metadata\": {\"next\": {\"offset\": "
		    "2}}}]", NULL, 0 },
		{ 200, "[{\"action\": \"query\", \"data\": [{\"id\": \"c\"}, "
		    "{\"id\": \"d\"}], \"metadata\": {\"next\": {\"offset\": "
		    "4}}}]", NULL, 0 },
		{ 200, "[{\"action\": \"query\", \"data\": [{\"id\": \"e\"}], "
		    "\"metadata\": {\"next\": {\"offset\": null}}}]", NULL, 0 },
		/* A server whose offset does not move on. */
		{ 200, "[{\"action\": \"query\", \"data\": [{\"id\": \"a\"}], "
		    "\"metadata\": {\"next\": {\"offset\": 0}}}]", NULL, 0 },
	};
	struct rest_opts	 o;
	struct rest		*r;
	json_t			*rows = NULL;
	char			 url[64], *cause = NULL;

	server_start(script, 4);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", srv.port);
	rest_opts_init(&o);
	o.url = url;
	o.user = "alice";
	o.api_key = KEY;
	o.page_size = 2;
	ASSERT_INT_EQ(rest_new(&o, &r, &cause), 0);
	ASSERT_INT_EQ(rest_query_all(r, "select id from Shot", &rows, &cause),
	    0);
	ASSERT_INT_EQ(json_array_size(rows), 5);
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(rows,
	    4), "id")), "e");
	ASSERT_STR_EQ(buf_str(&srv.bodies),
	    "[{\"action\":\"query\",\"expression\":\"select id from Shot "
	    "offset 0 limit 2\"}]\n"
	    "[{\"action\":\"query\",\"expression\":\"select id from Shot "
	    "offset 2 limit 2\"}]\n"
	    "[{\"action\":\"query\",\"expression\":\"select id from Shot "
	    "offset 4 limit 2\"}]\n");
	json_decref(rows);
	rows = NULL;
	ASSERT_INT_EQ(rest_query_all(r, "select id from Shot", &rows, &cause),
	    FERRY_ERR_PROTO);
	ASSERT_STR_CONTAINS(cause, "does not move forward");
	ASSERT_TRUE(rows == NULL);
	rest_free(r);
	server_stop();
	free(cause);
}

/*
 * Three queries in one request; only the one with a next page is asked
 * again, and the rows come back in the order of the queries.
 */
static void
test_many(void)
{
	static const struct reply script[] = {
		{ 200, "[{\"action\": \"query\", \"data\": [{\"id\": \"q0\"}]},"
		    "{\"action\": \"query\", \"data\": [{\"id\": \"q1a\"}], "
		    "\"metadata\": {\"next\": {\"offset\": 1}}},"
		    "{\"action\": \"query\", \"data\": [{\"id\": \"q2\"}], "
		    "\"metadata\": {\"next\": {\"offset\": null}}}]", NULL, 0 },
		{ 200, "[{\"action\": \"query\", \"data\": [{\"id\": "
		    "\"q1b\"}], \"metadata\": {\"next\": {\"offset\": null}}}]",
		    NULL, 0 },
	};
	static const char *order[] = { "q0", "q1a", "q1b", "q2" };
	struct rest	*r;
	json_t		*exprs, *rows = NULL, *empty = json_array();
	char		*cause = NULL;
	size_t		 i;

	server_start(script, 2);
	r = session(NULL, 5000, 0, 10);
	exprs = json_pack("[s,s,s]", "Q0", "Q1", "Q2");
	ASSERT_INT_EQ(rest_query_many(r, exprs, &rows, &cause), 0);
	ASSERT_INT_EQ(json_array_size(rows), 4);
	for (i = 0; i < 4; i++)
		ASSERT_STR_EQ(json_string_value(json_object_get(
		    json_array_get(rows, i), "id")), order[i]);
	ASSERT_INT_EQ(srv.requests, 2);
	ASSERT_STR_CONTAINS(buf_str(&srv.bodies), "\n[{\"action\":\"query\","
	    "\"expression\":\"Q1 offset 1\"}]\n");
	json_decref(rows);
	/* Nothing to ask: no request at all. */
	ASSERT_INT_EQ(rest_query_many(r, empty, &rows, &cause), 0);
	ASSERT_INT_EQ(json_array_size(rows), 0);
	ASSERT_INT_EQ(srv.requests, 2);
	json_decref(rows);
	json_decref(exprs);
	json_decref(empty);
	rest_free(r);
	server_stop();
	free(cause);
}

/* n query results, each with one row {"id": "rFIRST+i"}. */
static char *
results(int first, int n)
{
	struct buf	b;
	int		i;

	buf_init(&b, 0);
	buf_addch(&b, '[');
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s{\"action\": \"query\", \"data\": [{\"id\": "
		    "\"r%d\"}]}", i > 0 ? ", " : "", first + i);
	buf_addch(&b, ']');
	return (buf_detach(&b));
}

/* 120 queries go as REST_BATCH_MAX a request: 50, 50 and 20. */
static void
test_many_batches(void)
{
	struct reply	 script[3];
	struct rest	*r;
	json_t		*exprs = json_array(), *rows = NULL;
	char		*bodies[3], *cause = NULL, id[16];
	int		 i;

	bodies[0] = results(0, REST_BATCH_MAX);
	bodies[1] = results(REST_BATCH_MAX, REST_BATCH_MAX);
	bodies[2] = results(2 * REST_BATCH_MAX, 120 - 2 * REST_BATCH_MAX);
	for (i = 0; i < 3; i++) {
		script[i].status = 200;
		script[i].body = bodies[i];
		script[i].ctype = NULL;
		script[i].hang = 0;
	}
	for (i = 0; i < 120; i++)
		json_array_append_new(exprs, json_string("select id from X"));
	server_start(script, 3);
	r = session(NULL, 5000, 0, 10);
	ASSERT_INT_EQ(rest_query_many(r, exprs, &rows, &cause), 0);
	ASSERT_INT_EQ(srv.requests, 3);
	ASSERT_INT_EQ(json_array_size(rows), 120);
	for (i = 0; i < 120; i += 17) {
		snprintf(id, sizeof id, "r%d", i);
		ASSERT_STR_EQ(json_string_value(json_object_get(
		    json_array_get(rows, (size_t)i), "id")), id);
	}
	json_decref(rows);
	json_decref(exprs);
	rest_free(r);
	server_stop();
	for (i = 0; i < 3; i++)
		free(bodies[i]);
	free(cause);
}

static void
check_bad_opts(const char *url, const char *user, const char *key,
    const char *why)
{
	struct rest_opts	 o;
	struct rest		*r = NULL;
	char			*cause = NULL;

	rest_opts_init(&o);
	o.url = url;
	o.user = user;
	o.api_key = key;
	ASSERT_INT_EQ(rest_new(&o, &r, &cause), FERRY_ERR_INVAL);
	ASSERT_TRUE(r == NULL);
	ASSERT_STR_CONTAINS(cause, why);
	ASSERT_TRUE(cause == NULL || strstr(cause, "0000aaaa") == NULL);
	free(cause);
}

static void
test_options(void)
{
	check_bad_opts(NULL, "u", KEY, "no ftrack server URL");
	check_bad_opts("ftp://x", "u", KEY, "is not an http:// or https://");
	check_bad_opts("studio.ftrackapp.com", "u", KEY, "is not an http");
	check_bad_opts("https://x", "", KEY, "no ftrack API user");
	check_bad_opts("https://x", "u\r\nX-Evil: 1", KEY, "control");
	check_bad_opts("https://x", "u", "", "no ftrack API key");
	check_bad_opts("https://x", "u", "0000aaaa\r\nX-Evil: 1",
	    "API key has a control character");
}

static int
is_uuid4(const char *s)
{
	size_t	i;

	if (s == NULL || strlen(s) != 36 || s[14] != '4' ||
	    strchr("89ab", s[19]) == NULL)
		return (0);
	for (i = 0; i < 36; i++) {
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-' :
		    strchr("0123456789abcdef", s[i]) == NULL)
			return (0);
	}
	return (1);
}

static void
test_ops(void)
{
	json_t	*data, *op;
	char	 a[REST_UUID_LEN], b[REST_UUID_LEN];

	ASSERT_INT_EQ(rest_uuid(a), 0);
	ASSERT_INT_EQ(rest_uuid(b), 0);
	ASSERT_TRUE(is_uuid4(a) && is_uuid4(b) && strcmp(a, b) != 0);
	data = json_pack("{s:s}", "status", "running");
	op = rest_op_create("Job", data);
	ASSERT_STR_EQ(json_string_value(json_object_get(op, "action")),
	    "create");
	ASSERT_STR_EQ(json_string_value(json_object_get(op, "entity_type")),
	    "Job");
	ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(op,
	    "entity_data"), "__entity_type__")), "Job");
	ASSERT_TRUE(is_uuid4(json_string_value(json_object_get(
	    json_object_get(op, "entity_data"), "id"))));
	/* The caller's object is not changed. */
	ASSERT_INT_EQ(json_object_size(data), 1);
	json_decref(op);
	json_object_set_new(data, "id", json_string("given"));
	op = rest_op_create("Job", data);
	ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(op,
	    "entity_data"), "id")), "given");
	json_decref(op);
	json_object_del(data, "id");
	op = rest_op_create_keyed("JobComponent", data);
	ASSERT_TRUE(json_object_get(json_object_get(op, "entity_data"),
	    "id") == NULL);
	json_decref(op);
	op = rest_op_update("Job", "j1", data);
	ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(op,
	    "entity_key"), 0)), "j1");
	json_decref(op);
	op = rest_op_delete("Job", "j1");
	ASSERT_STR_EQ(json_string_value(json_object_get(op, "action")),
	    "delete");
	json_decref(op);
	json_decref(data);
	/* Entity data must be an object. */
	data = json_array();
	ASSERT_TRUE(rest_op_create("Job", data) == NULL);
	json_decref(data);
}

int
main(void)
{
	char	*cause = NULL;

	if (rest_global_init(&cause) != 0)
		TEST_FAIL("%s", cause);
	/* A proxy from the caller's environment must not catch loopback. */
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("ALL_PROXY");
	unsetenv("all_proxy");
	test_wire();
	test_retry();
	test_give_up();
	test_no_retry();
	test_ftrack_errors();
	test_timeout();
	test_refused();
	test_proxy();
	test_paging();
	test_many();
	test_many_batches();
	test_options();
	test_ops();
	rest_global_cleanup();
	return (TEST_DONE());
}
