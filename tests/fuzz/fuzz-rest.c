/*
 * libFuzzer target for the ftrack REST client's handling of answers
 * (ftrack/rest/): what a hostile or broken server sends back to a query,
 * a paged query, a batch of queries, a create and a delete, taken by the
 * real rest.c, rest-query.c and rest-merge.c. This file stands in for
 * rest-http.c: rest_http_post() hands out the answers the input holds
 * instead of asking a server. It also quotes the input's first answer
 * as an ftq string (ftrack/rest/ftq.h), the other way JSON and text
 * from outside reach a query.
 *
 * Input: one byte picking the call and the page size, then answers split
 * at NUL bytes; an answer's first byte picks its HTTP status and content
 * type, the rest is its body. When the answers run out, the "server" has
 * gone (FERRY_ERR_UNREACHABLE, as rest_http_post says after its retries).
 *
 * Promises checked: a call returns 0 with a result of the promised shape
 * (a data array for a query, an object for a create) or an error with a
 * cause; a paged query asks no more pages than there were answers (an
 * offset that does not move forward is refused, not followed for ever);
 * a quoted string starts and ends with '"' and holds no raw control
 * character.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "ftq.h"
#include "rest-int.h"
#include "rest.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The answers left in the current input. */
static const uint8_t	*fuzz_next;
static size_t		 fuzz_left;
static unsigned		 fuzz_posts;

int
rest_http_setup(struct rest *r, char **cause)
{
	(void)r;
	(void)cause;
	return (0);
}

void
rest_http_free(struct rest *r)
{
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

int
rest_http_post(struct rest *r, const char *body, struct rest_answer *a,
    char **cause)
{
	static const long	 status[] = { 200, 200, 200, 200, 500, 401,
				    403, 302, 404, 400, 503, 204 };
	const uint8_t		*end;
	size_t			 len;

	(void)body;
	memset(a, 0, sizeof *a);
	fuzz_posts++;
	if (fuzz_left == 0)
		return (err_set(cause, FERRY_ERR_UNREACHABLE, "%s: the fuzzed "
		    "server has no more answers", rest_url(r)));
	end = memchr(fuzz_next, '\0', fuzz_left);
	len = end != NULL ? (size_t)(end - fuzz_next) : fuzz_left;
	a->status = status[fuzz_next[0] % (sizeof status / sizeof status[0])];
	if (fuzz_next[0] & 0x80)
		a->content_type = strdup("application/json");
	buf_init(&a->body, REST_MAX_RESPONSE);
	if (len > 1 && buf_add(&a->body, fuzz_next + 1, len - 1) != 0)
		abort();
	fuzz_next += len;
	fuzz_left -= len;
	if (fuzz_left > 0) {	/* the NUL */
		fuzz_next++;
		fuzz_left--;
	}
	return (0);
}

/* Quotes the first answer's bytes as ftq would put them in a query. */
static void
fuzz_quote(const uint8_t *data, size_t size)
{
	const uint8_t	*end = memchr(data, '\0', size);
	struct buf	 b;
	char		*cause = NULL;
	size_t		 i;

	buf_init(&b, 0);
	if (end != NULL)
		size = (size_t)(end - data);
	if (ftq_quote(&b, (const char *)data, size, &cause) == 0) {
		if (b.len < 2 || buf_str(&b)[0] != '"' ||
		    buf_str(&b)[b.len - 1] != '"')
			abort();
		for (i = 0; i < b.len; i++)
			if ((unsigned char)buf_str(&b)[i] < 0x20 ||
			    buf_str(&b)[i] == 0x7f)
				abort();
	} else if (cause == NULL)
		abort();
	free(cause);
	buf_free(&b);
}

static void
fuzz_result(int e, json_t *got, char *cause, int want_array)
{
	if (e != 0) {
		if (cause == NULL || *cause == '\0' || got != NULL)
			abort();
	} else if (want_array ? !json_is_array(got) : !json_is_object(got))
		abort();
	json_decref(got);
	free(cause);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rest	*r;
	struct rest_opts	 o;
	json_t			*got = NULL, *exprs, *d;
	char			*cause = NULL;
	unsigned		 answers = 0;
	size_t			 i;
	int			 e, how;

	if (r == NULL) {
		rest_opts_init(&o);
		o.url = "https://studio.ftrackapp.invalid";
		o.user = "ferry";
		o.api_key = "not-a-key";
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
		    rest_new(&o, &r, NULL) != 0)
			abort();
	}
	if (size < 1)
		return (0);
	how = data[0];
	fuzz_next = data + 1;
	fuzz_left = size - 1;
	fuzz_posts = 0;
	fuzz_quote(fuzz_next, fuzz_left);
	for (i = 0; i < fuzz_left; i++)
		answers += fuzz_next[i] == '\0';
	answers++;
	/* Pages of 0 (the server's), 2 and 500 rows. */
	r->opts.page_size = (how >> 4) % 3 == 0 ? 0 :
	    (how >> 4) % 3 == 1 ? 2 : REST_PAGE_SIZE;

	switch (how % 6) {
	case 0:
		e = rest_query(r, "select id, name from Project", &got,
		    &cause);
		fuzz_result(e, e == 0 ? got : NULL, cause, 1);
		break;
	case 1:
		e = rest_query_all(r, "select id, name from Task where "
		    "project.name is \"x\"", &got, &cause);
		fuzz_result(e, e == 0 ? got : NULL, cause, 1);
		break;
	case 2:
		exprs = json_pack("[sss]", "select id from Task",
		    "select id from AssetVersion", "select id from Component");
		e = rest_query_many(r, exprs, &got, &cause);
		json_decref(exprs);
		fuzz_result(e, e == 0 ? got : NULL, cause, 1);
		break;
	case 3:
		d = json_pack("{ss}", "name", "ferry");
		e = rest_create(r, "Note", d, &got, &cause);
		json_decref(d);
		fuzz_result(e, e == 0 ? got : NULL, cause, 0);
		break;
	case 4:
		e = rest_delete(r, "Note", "0b0f8a6e-1d2c-4a3b-9f00-5f1e2d3c4b5a",
		    &cause);
		if (e != 0 && (cause == NULL || *cause == '\0'))
			abort();
		free(cause);
		break;
	default:
		e = rest_server_info(r, &got, &cause);
		fuzz_result(e, e == 0 ? got : NULL, cause, 0);
		break;
	}
	/* Each answer is asked for once; one more ask finds none left. */
	if (fuzz_posts > answers + 1)
		abort();
	return (0);
}
