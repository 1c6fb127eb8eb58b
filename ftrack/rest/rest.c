#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "rest-int.h"
#include "rest-merge-int.h"

/* Exceptions that mean "who you are was refused", not "what you asked". */
static const char *rest_auth_exceptions[] = {
	"InvalidCredentialsError",
	"FTAuthenticationError",
	"PermissionError",
};

/* How much of ftrack's message and of a query goes into a cause. */
#define REST_CONTENT_MAX	400
#define REST_EXPR_MAX		160

int
rest_global_init(char **cause)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return (err_set(cause, FERRY_ERR_INTERNAL, "libcurl failed to "
		    "initialise"));
	return (0);
}

void
rest_global_cleanup(void)
{
	curl_global_cleanup();
}

void
rest_opts_init(struct rest_opts *o)
{
	memset(o, 0, sizeof *o);
	o->connect_timeout_ms = REST_CONNECT_TIMEOUT_MS;
	o->timeout_ms = REST_TIMEOUT_MS;
	o->retries = REST_RETRIES;
	o->backoff_ms = REST_BACKOFF_MS;
	o->backoff_max_ms = REST_BACKOFF_MAX_MS;
	o->page_size = REST_PAGE_SIZE;
}

/* Whether s holds a control character (a header could be split by it). */
static int
rest_has_control(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return (1);
	}
	return (0);
}

static int
rest_check_opts(const struct rest_opts *o, char **cause)
{
	if (o->url == NULL || *o->url == '\0')
		return (err_set(cause, FERRY_ERR_INVAL, "no ftrack server "
		    "URL"));
	if ((strncasecmp(o->url, "https://", 8) != 0 &&
	    strncasecmp(o->url, "http://", 7) != 0) ||
	    rest_has_control(o->url) || strchr(o->url, ' ') != NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "ftrack server URL "
		    "\"%.200s\" is not an http:// or https:// URL", o->url));
	if (o->user == NULL || *o->user == '\0')
		return (err_set(cause, FERRY_ERR_INVAL, "no ftrack API user"));
	if (rest_has_control(o->user))
		return (err_set(cause, FERRY_ERR_INVAL, "the ftrack API user "
		    "has a control character"));
	if (o->api_key == NULL || *o->api_key == '\0')
		return (err_set(cause, FERRY_ERR_INVAL, "no ftrack API key"));
	if (rest_has_control(o->api_key))
		return (err_set(cause, FERRY_ERR_INVAL, "the ftrack API key "
		    "has a control character (a stray line break?)"));
	if (o->connect_timeout_ms <= 0 || o->timeout_ms <= 0 ||
	    o->retries < 0 || o->backoff_ms < 0 || o->page_size < 0)
		return (err_set(cause, FERRY_ERR_INVAL, "bad REST timeouts, "
		    "retries or page size"));
	return (0);
}

static int
rest_copy_strings(struct rest *r, const struct rest_opts *o)
{
	size_t	n;
	char	uuid[REST_UUID_LEN];

	if ((r->url = strdup(o->url)) == NULL ||
	    (r->user = strdup(o->user)) == NULL ||
	    (r->api_key = strdup(o->api_key)) == NULL ||
	    (o->ca_file != NULL && (r->ca_file = strdup(o->ca_file)) == NULL))
		return (FERRY_ERR_NOMEM);
	/* ftrack's Python client drops the slash; "//api" would be wrong. */
	for (n = strlen(r->url); n > 0 && r->url[n - 1] == '/'; n--)
		r->url[n - 1] = '\0';
	if (asprintf(&r->endpoint, "%s/api", r->url) == -1) {
		r->endpoint = NULL;
		return (FERRY_ERR_NOMEM);
	}
	if (rest_uuid(uuid) != 0)
		return (FERRY_ERR_CRYPTO);
	snprintf(r->client_token, sizeof r->client_token, "ferry--%s", uuid);
	return (0);
}

int
rest_new(const struct rest_opts *o, struct rest **rp, char **cause)
{
	struct rest	*r;
	int		 e;

	if ((e = rest_check_opts(o, cause)) != 0)
		return (e);
	if ((r = calloc(1, sizeof *r)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	r->opts = *o;
	r->opts.url = r->opts.user = r->opts.api_key = r->opts.ca_file = NULL;
	if ((e = rest_copy_strings(r, o)) != 0) {
		rest_free(r);
		return (err_set(cause, e, "cannot set up the ftrack session: "
		    "%s", err_str(e)));
	}
	if ((r->curl = curl_easy_init()) == NULL) {
		rest_free(r);
		return (err_set(cause, FERRY_ERR_NOMEM, "libcurl could not "
		    "make a handle"));
	}
	if ((e = rest_http_setup(r, cause)) != 0) {
		rest_free(r);
		return (e);
	}
	*rp = r;
	return (0);
}

void
rest_free(struct rest *r)
{
	if (r == NULL)
		return;
	rest_http_free(r);
	if (r->api_key != NULL)
		explicit_bzero(r->api_key, strlen(r->api_key));
	free(r->api_key);
	free(r->user);
	free(r->ca_file);
	free(r->url);
	free(r->endpoint);
	free(r);
}

const char *
rest_last_exception(const struct rest *r)
{
	return (r->last_exception);
}

const char *
rest_client_token(const struct rest *r)
{
	return (r->client_token);
}

const char *
rest_url(const struct rest *r)
{
	return (r->url);
}

void
rest_get_stats(const struct rest *r, struct rest_stats *s)
{
	*s = r->stats;
}

/* "create Job", or "query "select ..."" for one operation. */
static void
rest_describe_op(struct buf *b, json_t *op)
{
	const char	*action, *type, *expr;

	action = json_string_value(json_object_get(op, "action"));
	type = json_string_value(json_object_get(op, "entity_type"));
	expr = json_string_value(json_object_get(op, "expression"));
	buf_addstr(b, action != NULL ? action : "(no action)");
	if (type != NULL)
		buf_printf(b, " %.64s", type);
	if (expr != NULL)
		buf_printf(b, " \"%.*s%s\"", REST_EXPR_MAX, expr,
		    strlen(expr) > REST_EXPR_MAX ? "..." : "");
}

/* Names what was asked, for a cause: the operation, or the batch. */
static void
rest_describe(struct buf *b, json_t *ops)
{
	size_t	i, n = json_array_size(ops);

	if (n == 1) {
		rest_describe_op(b, json_array_get(ops, 0));
		return;
	}
	buf_printf(b, "a batch of %zu operations (", n);
	for (i = 0; i < n && i < 4; i++) {
		if (i > 0)
			buf_addstr(b, ", ");
		rest_describe_op(b, json_array_get(ops, i));
	}
	buf_addstr(b, i < n ? ", ...)" : ")");
}

/* Replaces every copy of the API key in *cause, should a server echo it. */
static void
rest_scrub(const struct rest *r, char **cause)
{
	struct buf	 b;
	const char	*p, *hit;
	size_t		 klen = strlen(r->api_key);

	if (cause == NULL || *cause == NULL || strstr(*cause, r->api_key) ==
	    NULL)
		return;
	buf_init(&b, 0);
	for (p = *cause; (hit = strstr(p, r->api_key)) != NULL;
	    p = hit + klen) {
		buf_add(&b, p, (size_t)(hit - p));
		buf_addstr(&b, "[API key]");
	}
	buf_addstr(&b, p);
	explicit_bzero(*cause, strlen(*cause));
	free(*cause);
	*cause = buf_detach(&b);
}

static int
rest_is_auth_exception(const char *exception)
{
	size_t	i;

	for (i = 0; i < sizeof rest_auth_exceptions /
	    sizeof rest_auth_exceptions[0]; i++) {
		if (strcmp(exception, rest_auth_exceptions[i]) == 0)
			return (1);
	}
	return (0);
}

/* Turns ftrack's error object into a cause naming the operations. */
static int
rest_ftrack_error(struct rest *r, json_t *ops, json_t *err, char **cause)
{
	const char	*exception, *content;
	struct buf	 what;
	int		 e;

	exception = json_string_value(json_object_get(err, "exception"));
	content = json_string_value(json_object_get(err, "content"));
	if (content == NULL)
		content = "(no message)";
	snprintf(r->last_exception, sizeof r->last_exception, "%s",
	    exception);
	buf_init(&what, 0);
	rest_describe(&what, ops);
	if (strcmp(exception, "InvalidCredentialsError") == 0 ||
	    strcmp(exception, "FTAuthenticationError") == 0)
		e = err_set(cause, FERRY_ERR_AUTH, "ftrack at %s refused the "
		    "API user \"%.100s\" or its API key (%s: %.*s); check "
		    "both", r->url, r->user, exception, REST_CONTENT_MAX,
		    content);
	else
		e = err_set(cause, rest_is_auth_exception(exception) ?
		    FERRY_ERR_AUTH : FERRY_ERR_INVAL, "ftrack at %s refused "
		    "%s: %s: %.*s", r->url, buf_str(&what), exception,
		    REST_CONTENT_MAX, content);
	buf_free(&what);
	return (e);
}

/* An answer that is not ftrack's error object and not a result array. */
static int
rest_bad_answer(struct rest *r, json_t *ops, const struct rest_answer *a,
    const char *problem, char **cause)
{
	struct buf	what;
	int		e;

	buf_init(&what, 0);
	rest_describe(&what, ops);
	if (a->status == 401 || a->status == 403)
		e = err_set(cause, FERRY_ERR_AUTH, "ftrack at %s answered HTTP "
		    "%ld to %s: check the API user \"%.100s\" and its key",
		    r->url, a->status, buf_str(&what), r->user);
	else if (a->status >= 300 && a->status < 400)
		e = err_set(cause, FERRY_ERR_PROTO, "ftrack at %s answered "
		    "HTTP %ld (a redirect) to %s: check the server URL "
		    "(https?)", r->url, a->status, buf_str(&what));
	else
		e = err_set(cause, FERRY_ERR_PROTO, "ftrack at %s answered %s "
		    "with %s (HTTP %ld, %s): is it an ftrack server?", r->url,
		    buf_str(&what), problem, a->status,
		    a->content_type != NULL ? a->content_type :
		    "no content type");
	buf_free(&what);
	return (e);
}

/* Checks and takes the results from a successful answer. */
static int
rest_results(struct rest *r, json_t *ops, const struct rest_answer *a,
    json_t **resultsp, char **cause)
{
	json_t		*j;
	json_error_t	 jerr;
	int		 e = 0;

	j = json_loadb(buf_str(&a->body), a->body.len, 0, &jerr);
	if (json_is_object(j) && json_is_string(json_object_get(j,
	    "exception")))
		e = rest_ftrack_error(r, ops, j, cause);
	else if (j == NULL)
		e = rest_bad_answer(r, ops, a, "something that is not JSON",
		    cause);
	else if (a->status >= 300)
		e = rest_bad_answer(r, ops, a, "an error", cause);
	else if (!json_is_array(j))
		e = rest_bad_answer(r, ops, a, "JSON that is neither a list of "
		    "results nor an error", cause);
	else if (json_array_size(j) != json_array_size(ops))
		e = err_set(cause, FERRY_ERR_PROTO, "ftrack at %s sent %zu "
		    "results for a batch of %zu operations", r->url,
		    json_array_size(j), json_array_size(ops));
	/* A server that ignores ftrack-api-options sends references. */
	if (e == 0)
		e = rest_merge(j, resultsp, cause);
	json_decref(j);
	return (e);
}

int
rest_call(struct rest *r, json_t *ops, json_t **resultsp, char **cause)
{
	struct rest_answer	 a;
	char			*body;
	int			 e;

	r->stats.calls++;
	r->last_exception[0] = '\0';
	if (!json_is_array(ops) || json_array_size(ops) == 0)
		return (err_set(cause, FERRY_ERR_INVAL, "an ftrack call needs "
		    "a non-empty array of operations"));
	if ((body = json_dumps(ops, JSON_COMPACT)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "cannot encode the "
		    "operations"));
	e = rest_http_post(r, body, &a, cause);
	free(body);
	if (e == 0) {
		e = rest_results(r, ops, &a, resultsp, cause);
		rest_http_answer_free(&a);
	}
	if (e != 0)
		rest_scrub(r, cause);
	return (e);
}

/* Runs one operation (taken over) and stores its result. */
static int
rest_one(struct rest *r, json_t *op, json_t **resultp, char **cause)
{
	json_t	*ops, *results;
	int	 e;

	if (op == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	if ((ops = json_array()) == NULL) {
		json_decref(op);
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	}
	/* json_array_append_new() takes op even when it fails. */
	if (json_array_append_new(ops, op) != 0) {
		json_decref(ops);
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	}
	e = rest_call(r, ops, &results, cause);
	json_decref(ops);
	if (e != 0)
		return (e);
	*resultp = json_incref(json_array_get(results, 0));
	json_decref(results);
	return (0);
}

/* The "data" object of a create or update result. */
static int
rest_one_data(struct rest *r, json_t *op, json_t **datap, char **cause)
{
	json_t	*result, *data;
	int	 e;

	if ((e = rest_one(r, op, &result, cause)) != 0)
		return (e);
	data = json_object_get(result, "data");
	if (!json_is_object(data)) {
		json_decref(result);
		return (err_set(cause, FERRY_ERR_PROTO, "ftrack at %s sent a "
		    "result without its entity", r->url));
	}
	if (datap != NULL)
		*datap = json_incref(data);
	json_decref(result);
	return (0);
}

int
rest_server_info(struct rest *r, json_t **infop, char **cause)
{
	json_t	*info;
	int	 e;

	if ((e = rest_one(r, rest_op_server_info(), &info, cause)) != 0)
		return (e);
	if (!json_is_object(info)) {
		json_decref(info);
		return (err_set(cause, FERRY_ERR_PROTO, "ftrack at %s sent "
		    "server information that is not an object", r->url));
	}
	*infop = info;
	return (0);
}

int
rest_create(struct rest *r, const char *type, const json_t *data,
    json_t **createdp, char **cause)
{
	return (rest_one_data(r, rest_op_create(type, data), createdp,
	    cause));
}

int
rest_update(struct rest *r, const char *type, const char *id,
    const json_t *data, json_t **updatedp, char **cause)
{
	return (rest_one_data(r, rest_op_update(type, id, data), updatedp,
	    cause));
}

int
rest_delete(struct rest *r, const char *type, const char *id, char **cause)
{
	json_t	*result;
	int	 e;

	if ((e = rest_one(r, rest_op_delete(type, id), &result, cause)) != 0)
		return (e);
	json_decref(result);
	return (0);
}
