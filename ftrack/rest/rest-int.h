/* Private to the REST client's files (rest*.c). */
#ifndef FERRY_REST_INT_H
#define FERRY_REST_INT_H

#include <curl/curl.h>

#include "buf.h"
#include "rest.h"

struct rest {
	CURL			*curl;
	struct curl_slist	*headers;	/* has the key: wiped */
	char			*url;		/* no trailing slash */
	char			*endpoint;	/* url + "/api" */
	char			*user;
	char			*api_key;
	char			*ca_file;	/* NULL: the system's */
	char			 client_token[64];
	char			 last_exception[64];
	char			 errbuf[CURL_ERROR_SIZE];
	struct rest_opts	 opts;		/* numbers only */
	struct rest_stats	 stats;
};

/* An HTTP answer, after retries. */
struct rest_answer {
	long		 status;
	struct buf	 body;
	char		*content_type;
};

/*
 * rest-http.c: POSTs body to the endpoint, retrying network errors and
 * 5xx answers that are not ftrack's error object. Returns 0 with an
 * answer of any status that was not retried, or an error after the last
 * attempt (the cause does not yet name the operations).
 */
int	 rest_http_post(struct rest *r, const char *body,
	    struct rest_answer *a, char **cause);
void	 rest_http_answer_free(struct rest_answer *a);
/* Sets the handle's options and the headers (with the credentials). */
int	 rest_http_setup(struct rest *r, char **cause);
void	 rest_http_free(struct rest *r);

#endif
