/*
 * A session with ftrack's REST API (docs/ftrack-rest.md): batches of
 * operations POSTed to URL/api over one kept-alive libcurl handle, with
 * timeouts, retries with exponential backoff on network errors and 5xx
 * answers, and proxies from the usual environment variables (http_proxy,
 * HTTPS_PROXY, NO_PROXY...: libcurl reads them, nothing here turns that
 * off). Entities come back as plain JSON objects. A session is used by one
 * thread at a time.
 *
 * Errors: every function returns 0 or one of
 *   FERRY_ERR_AUTH     ftrack refused the user or API key
 *   FERRY_ERR_INVAL    ftrack refused an operation (its error object; the
 *                      name is in rest_last_exception()), or a bad argument
 *   FERRY_ERR_TIMEOUT  no answer in time, after the last retry
 *   FERRY_ERR_IO       the network failed, after the last retry
 *   FERRY_ERR_PROTO    an answer that is not ftrack's (HTML, an HTTP error
 *                      without ftrack's error object, a redirect...)
 *   FERRY_ERR_TOOBIG, FERRY_ERR_NOMEM
 * with a cause naming the server and the operation. The API key never
 * appears in a cause, even if the server echoes it.
 *
 * libftrackrest's public API (with ftq.h and credentials.h): a program
 * outside ftrack/rest/ includes only these three.
 */
#ifndef FERRY_REST_H
#define FERRY_REST_H

#include <jansson.h>

#define REST_CONNECT_TIMEOUT_MS	10000
#define REST_TIMEOUT_MS		120000
#define REST_RETRIES		4
#define REST_BACKOFF_MS		500
#define REST_BACKOFF_MAX_MS	8000
/* Rows per page when paging (as ftrack's Python client). */
#define REST_PAGE_SIZE		500
/* Operations per HTTP request when a helper batches them. */
#define REST_BATCH_MAX		50
/* The largest answer read (a page of big entities is a few MB). */
#define REST_MAX_RESPONSE	(256 * 1024 * 1024)
/* The ftrack-api-options header sent with every request. */
#define REST_API_OPTIONS	"strict:1;denormalize:1"
/* A uuid4 as text, with its NUL. */
#define REST_UUID_LEN		37

struct rest;

struct rest_opts {
	const char	*url;		/* https://x.ftrackapp.com */
	const char	*user;
	const char	*api_key;
	long		 connect_timeout_ms;
	long		 timeout_ms;	/* a whole request */
	int		 retries;	/* attempts after the first one */
	long		 backoff_ms;	/* the wait before a retry */
	long		 backoff_max_ms; /* the wait doubles up to this */
	int		 page_size;	/* rows a page; 0: the server's */
	const char	*ca_file;	/* NULL: the system's CAs */
};

/* What a session did, for tests and for logs. */
struct rest_stats {
	unsigned long	calls;		/* rest_call()s */
	unsigned long	requests;	/* HTTP requests, with retries */
	unsigned long	retries;
	unsigned long	connects;	/* connections libcurl opened */
};

/* Call once at program start (before threads) and once at the end. */
int	 rest_global_init(char **cause);
void	 rest_global_cleanup(void);

/* Fills o with the defaults above and no credentials. */
void	 rest_opts_init(struct rest_opts *o);

/*
 * Checks the options (an http or https URL, a user and a key without
 * control characters) and makes a session; nothing is sent yet. A trailing
 * slash on the URL is dropped.
 */
int	 rest_new(const struct rest_opts *o, struct rest **rp, char **cause);
/* Frees the session and wipes the key from memory; NULL is ignored. */
void	 rest_free(struct rest *r);

/*
 * Sends the operations (a JSON array, borrowed) in one request and stores
 * the array of their results, in the same order, in *resultsp. ftrack runs
 * a batch in one transaction: when one operation fails, none is applied.
 * Entities the server sent as references ({__entity_type__, id}) are
 * merged with their other occurrences in the batch (rest-merge-int.h): the
 * results may share objects, so do not change them in place.
 */
int	 rest_call(struct rest *r, json_t *ops, json_t **resultsp,
	    char **cause);

/* The "exception" of the last error object ftrack sent, or "". */
const char *rest_last_exception(const struct rest *r);
/*
 * The ftrack-Clienttoken header this session sends; ftrack copies it into
 * the ftrack.update events that this session's changes cause.
 */
const char *rest_client_token(const struct rest *r);
const char *rest_url(const struct rest *r);
void	 rest_get_stats(const struct rest *r, struct rest_stats *s);

/*
 * Operations, for batches: new JSON objects, or NULL when out of memory.
 * rest_op_create() copies data, adds "__entity_type__" and, unless data
 * has one, a new uuid4 "id" made here, so that a later operation of the
 * same batch can refer to it and a retried create cannot make a second
 * entity. rest_op_create_keyed() adds no id, for types whose primary key
 * is not "id" (JobComponent).
 */
json_t	*rest_op_server_info(void);
json_t	*rest_op_query(const char *expr);
json_t	*rest_op_create(const char *type, const json_t *data);
json_t	*rest_op_create_keyed(const char *type, const json_t *data);
json_t	*rest_op_update(const char *type, const char *id,
	    const json_t *data);
json_t	*rest_op_delete(const char *type, const char *id);
/* Writes a new random uuid4 into out; returns 0 or FERRY_ERR_CRYPTO. */
int	 rest_uuid(char out[REST_UUID_LEN]);

/* One-operation helpers; *createdp and the like are new references. */
int	 rest_server_info(struct rest *r, json_t **infop, char **cause);
int	 rest_create(struct rest *r, const char *type, const json_t *data,
	    json_t **createdp, char **cause);
int	 rest_update(struct rest *r, const char *type, const char *id,
	    const json_t *data, json_t **updatedp, char **cause);
int	 rest_delete(struct rest *r, const char *type, const char *id,
	    char **cause);

/*
 * Queries. Build expressions with ftq (ftq.h), never by pasting values.
 * rest_query() returns one page as the server sends it. rest_query_all()
 * and rest_query_many() follow metadata.next.offset until the last page,
 * so their expressions must not have their own offset or limit; with
 * page_size set, each page asks for "offset N limit page_size".
 * rest_query_many() runs a JSON array of expressions (as made by
 * ftq_format_chunks()) in as few requests as it can (REST_BATCH_MAX
 * queries each) and returns every row of every expression, in order.
 * *datap is a new JSON array of entity objects.
 */
int	 rest_query(struct rest *r, const char *expr, json_t **datap,
	    char **cause);
int	 rest_query_all(struct rest *r, const char *expr, json_t **datap,
	    char **cause);
int	 rest_query_many(struct rest *r, const json_t *exprs, json_t **datap,
	    char **cause);

#endif
