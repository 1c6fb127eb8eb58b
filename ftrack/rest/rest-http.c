#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "rest-int.h"

/* Network failures worth another attempt; the rest will not get better. */
static const CURLcode rest_http_transient[] = {
	CURLE_COULDNT_RESOLVE_PROXY,
	CURLE_COULDNT_RESOLVE_HOST,
	CURLE_COULDNT_CONNECT,
	CURLE_OPERATION_TIMEDOUT,
	CURLE_SEND_ERROR,
	CURLE_RECV_ERROR,
	CURLE_GOT_NOTHING,
	CURLE_PARTIAL_FILE,
	CURLE_HTTP2,
	CURLE_HTTP2_STREAM,
};

static int
rest_http_is_transient(CURLcode cc)
{
	size_t	i;

	for (i = 0; i < sizeof rest_http_transient /
	    sizeof rest_http_transient[0]; i++) {
		if (rest_http_transient[i] == cc)
			return (1);
	}
	return (0);
}

static size_t
rest_http_write(char *data, size_t size, size_t n, void *arg)
{
	struct buf	*b = arg;

	/* Returning less than given makes libcurl fail the transfer. */
	if (size != 1 || buf_add(b, data, n) != 0)
		return (0);
	return (n);
}

static int
rest_http_header(struct rest *r, const char *name, const char *value)
{
	struct curl_slist	*l;
	struct buf		 b;
	int			 e;

	buf_init(&b, 0);
	e = buf_printf(&b, "%s: %s", name, value);
	l = e == 0 ? curl_slist_append(r->headers, buf_str(&b)) : NULL;
	explicit_bzero(b.data, b.cap);
	buf_free(&b);
	if (l == NULL)
		return (FERRY_ERR_NOMEM);
	r->headers = l;
	return (0);
}

static int
rest_http_headers(struct rest *r)
{
	int	e = 0;

	e |= rest_http_header(r, "Accept", "application/json");
	e |= rest_http_header(r, "Content-Type", "application/json");
	e |= rest_http_header(r, "ftrack-user", r->user);
	e |= rest_http_header(r, "ftrack-api-key", r->api_key);
	e |= rest_http_header(r, "ftrack-Clienttoken", r->client_token);
	/*
	 * Whole answers, not de-duplicated ones (ftrack's JavaScript client
	 * asks the same way); rest_merge() still merges, for servers that
	 * ignore this.
	 */
	e |= rest_http_header(r, "ftrack-api-options", REST_API_OPTIONS);
	/* Without this, libcurl waits for "100 Continue" on big batches. */
	if (e == 0 && (r->headers = curl_slist_append(r->headers,
	    "Expect:")) == NULL)
		e = FERRY_ERR_NOMEM;
	return (e == 0 ? 0 : FERRY_ERR_NOMEM);
}

int
rest_http_setup(struct rest *r, char **cause)
{
	CURL		*c = r->curl;
	CURLcode	 cc = CURLE_OK;

	if (rest_http_headers(r) != 0)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	/* Proxies are left to libcurl, which reads the environment. */
	cc |= curl_easy_setopt(c, CURLOPT_URL, r->endpoint);
	cc |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->headers);
	cc |= curl_easy_setopt(c, CURLOPT_POST, 1L);
	cc |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cc |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->errbuf);
	cc |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, rest_http_write);
	cc |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    r->opts.connect_timeout_ms);
	cc |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, r->opts.timeout_ms);
	cc |= curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	cc |= curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	cc |= curl_easy_setopt(c, CURLOPT_USERAGENT, "ferry/" PACKAGE_VERSION);
	if (r->ca_file != NULL)
		cc |= curl_easy_setopt(c, CURLOPT_CAINFO, r->ca_file);
#if LIBCURL_VERSION_NUM >= 0x075500
	cc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	cc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (cc != CURLE_OK)
		return (err_set(cause, FERRY_ERR_INTERNAL, "libcurl refused an "
		    "option (is it older than 7.74?)"));
	return (0);
}

void
rest_http_free(struct rest *r)
{
	struct curl_slist	*l;

	for (l = r->headers; l != NULL; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(r->headers);
	r->headers = NULL;
	if (r->curl != NULL)
		curl_easy_cleanup(r->curl);
	r->curl = NULL;
}

void
rest_http_answer_free(struct rest_answer *a)
{
	buf_free(&a->body);
	free(a->content_type);
	a->content_type = NULL;
}

/* Whether body is ftrack's error object, which is final whatever status. */
static int
rest_http_is_ftrack_error(const struct buf *body)
{
	json_t	*j;
	int	 yes;

	j = json_loadb(buf_str(body), body->len, 0, NULL);
	yes = json_is_object(j) && json_is_string(json_object_get(j,
	    "exception"));
	json_decref(j);
	return (yes);
}

static void
rest_http_sleep(const struct rest *r, int attempt)
{
	struct timespec	ts;
	long		ms = r->opts.backoff_ms;
	int		i;

	for (i = 0; i < attempt && ms < r->opts.backoff_max_ms; i++)
		ms *= 2;
	if (ms > r->opts.backoff_max_ms)
		ms = r->opts.backoff_max_ms;
	/* Up to a quarter more, so that restarted clients do not march. */
	if (ms > 4)
		ms += random() % (ms / 4);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* One attempt; the answer is kept in a whatever the outcome. */
static CURLcode
rest_http_once(struct rest *r, const char *body, struct rest_answer *a)
{
	CURLcode	 cc;
	long		 connects = 0;
	char		*ct = NULL;

	buf_free(&a->body);
	buf_init(&a->body, REST_MAX_RESPONSE);
	free(a->content_type);
	a->content_type = NULL;
	a->status = 0;
	r->errbuf[0] = '\0';
	curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, &a->body);
	curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(r->curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)strlen(body));
	cc = curl_easy_perform(r->curl);
	r->stats.requests++;
	if (curl_easy_getinfo(r->curl, CURLINFO_NUM_CONNECTS, &connects) ==
	    CURLE_OK && connects > 0)
		r->stats.connects += (unsigned long)connects;
	curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &a->status);
	if (curl_easy_getinfo(r->curl, CURLINFO_CONTENT_TYPE, &ct) ==
	    CURLE_OK && ct != NULL)
		a->content_type = strdup(ct);
	return (cc);
}

/* The start of a body, made printable, for a message. */
static void
rest_http_snippet(const struct buf *body, char *out, size_t size)
{
	size_t	i, n = body->len < size - 1 ? body->len : size - 1;

	for (i = 0; i < n; i++) {
		out[i] = body->data[i];
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = ' ';
	}
	out[n] = '\0';
}

static int
rest_http_give_up(struct rest *r, CURLcode cc, struct rest_answer *a,
    int attempts, char **cause)
{
	const char	*why = r->errbuf[0] != '\0' ? r->errbuf :
			    curl_easy_strerror(cc);
	char		 snippet[121];

	if (cc == CURLE_WRITE_ERROR)
		return (err_set(cause, FERRY_ERR_TOOBIG, "ftrack at %s sent an "
		    "answer larger than %d bytes", r->url, REST_MAX_RESPONSE));
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return (err_set(cause, FERRY_ERR_TIMEOUT, "no answer from "
		    "ftrack at %s in time (%s); gave up after %d attempt%s",
		    r->url, why, attempts, attempts == 1 ? "" : "s"));
	if (cc != CURLE_OK)
		return (err_set(cause, FERRY_ERR_IO, "cannot reach ftrack at "
		    "%s: %s; gave up after %d attempt%s", r->url, why,
		    attempts, attempts == 1 ? "" : "s"));
	rest_http_snippet(&a->body, snippet, sizeof snippet);
	return (err_set(cause, FERRY_ERR_PROTO, "ftrack at %s answered HTTP "
	    "%ld (\"%s\"); gave up after %d attempts", r->url, a->status,
	    snippet, attempts));
}

int
rest_http_post(struct rest *r, const char *body, struct rest_answer *a,
    char **cause)
{
	CURLcode	cc;
	int		attempt, retry, e;

	memset(a, 0, sizeof *a);
	for (attempt = 0;; attempt++) {
		if (attempt > 0) {
			rest_http_sleep(r, attempt - 1);
			r->stats.retries++;
		}
		cc = rest_http_once(r, body, a);
		if (cc == CURLE_OK)
			retry = a->status >= 500 &&
			    !rest_http_is_ftrack_error(&a->body);
		else
			retry = rest_http_is_transient(cc);
		if (!retry || attempt >= r->opts.retries)
			break;
	}
	if (cc == CURLE_OK && !retry)
		return (0);
	e = rest_http_give_up(r, cc, a, attempt + 1, cause);
	rest_http_answer_free(a);
	return (e);
}
