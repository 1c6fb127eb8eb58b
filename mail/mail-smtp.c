/*
 * Sending one message through libcurl's SMTP: STARTTLS required (curl
 * gives up rather than go on in clear), plain, or implicit TLS (smtps).
 * libcurl dot-stuffs the message and ends it with CRLF.CRLF.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "err.h"
#include "mail-int.h"
#include "secretfile.h"

/* What the read callback hands libcurl. */
struct mail_upload {
	const char	*data;
	size_t		 len;
	size_t		 off;
};

static size_t
mail_smtp_read(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct mail_upload	*u = arg;
	size_t			 n = size * nmemb;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(ptr, u->data + u->off, n);
	u->off += n;
	return (n);
}

int
mail_global_init(char **cause)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return (err_set(cause, FERRY_ERR_INTERNAL, "libcurl failed to "
		    "initialise"));
	return (0);
}

int
mail_smtp_port(const struct mail_config *c)
{
	if (c->port != 0)
		return (c->port);
	return (c->security == MAIL_SMTPS ? 465 : 587);
}

/*
 * Reads the password file; the password is the first line. The cause
 * names the file, never what it holds.
 */
int
mail_smtp_password(const char *path, char **pwp, char **cause)
{
	struct buf	 b;
	char		*pw;
	int		 e;

	e = secretfile_read(path, "SMTP password file", 077, 0, &b, cause);
	if (e != 0)
		return (e);
	b.len = strcspn(buf_str(&b), "\r\n");
	if (b.len == 0) {
		secretfile_wipe(&b);
		return (err_set(cause, FERRY_ERR_INVAL, "SMTP password file %s "
		    "is empty", path));
	}
	if ((pw = strndup(b.data, b.len)) == NULL)
		e = err_set(cause, FERRY_ERR_NOMEM, "out of memory");
	secretfile_wipe(&b);
	if (e == 0)
		*pwp = pw;
	return (e);
}

/* Sets everything but the message and its addresses. */
static int
mail_smtp_setup(CURL *h, const struct mail_config *c, const char *pw,
    char **cause)
{
	char	url[1024];
	int	ok = 1;

	if ((size_t)snprintf(url, sizeof url, "%s://%s:%d/ferry",
	    c->security == MAIL_SMTPS ? "smtps" : "smtp", c->server,
	    mail_smtp_port(c)) >= sizeof url)
		return (err_set(cause, FERRY_ERR_TOOBIG, "smtp-server too "
		    "long"));
	ok &= curl_easy_setopt(h, CURLOPT_URL, url) == CURLE_OK;
#if LIBCURL_VERSION_NUM >= 0x075500
	ok &= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps") ==
	    CURLE_OK;
#else
	ok &= curl_easy_setopt(h, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS)) == CURLE_OK;
#endif
	ok &= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_USE_SSL, c->security == MAIL_PLAIN ?
	    (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms > 0 ?
	    c->timeout_ms : 60000L) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms >
	    0 ? c->timeout_ms : 60000L) == CURLE_OK;
	if (c->ca_file != NULL)
		ok &= curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file) ==
		    CURLE_OK;
	if (c->user != NULL)
		ok &= curl_easy_setopt(h, CURLOPT_USERNAME, c->user) ==
		    CURLE_OK;
	if (pw != NULL)
		ok &= curl_easy_setopt(h, CURLOPT_PASSWORD, pw) == CURLE_OK;
	return (ok ? 0 : err_set(cause, FERRY_ERR_INTERNAL, "libcurl "
	    "refused an SMTP option"));
}

/* A 5xx answer to the message is final; anything else may pass. */
static int
mail_smtp_fail(CURL *h, CURLcode rc, const char *errbuf, const char *to,
    char **cause)
{
	long	code = 0;
	int	e = FERRY_ERR_UNREACHABLE;

	/*
	 * A refused login is the hub's configuration, not the message: it
	 * may pass when an admin mends it, so it is not final.
	 */
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_LOGIN_DENIED)
		e = FERRY_ERR_AUTH;
	else if (code >= 500 && code < 600)
		e = FERRY_ERR_DENIED;
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		e = FERRY_ERR_TIMEOUT;
	else if (rc == CURLE_USE_SSL_FAILED || rc == CURLE_SSL_CONNECT_ERROR ||
	    rc == CURLE_PEER_FAILED_VERIFICATION)
		e = FERRY_ERR_TLS;
	if (code != 0)
		return (err_set(cause, e, "mail to %s: %s (the server "
		    "answered %ld)", to, *errbuf != '\0' ? errbuf :
		    curl_easy_strerror(rc), code));
	return (err_set(cause, e, "mail to %s: %s", to, *errbuf != '\0' ?
	    errbuf : curl_easy_strerror(rc)));
}

int
mail_send(const struct mail_config *c, const char *to, const char *msg,
    char **cause)
{
	struct mail_upload	 u = { msg, strlen(msg), 0 };
	struct curl_slist	*rcpt = NULL;
	char			 errbuf[CURL_ERROR_SIZE] = "";
	char			*pw = NULL, *name = NULL, *from = NULL;
	CURL			*h = NULL;
	CURLcode		 rc;
	int			 e;

	if (c->server == NULL || c->from == NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "mail needs "
		    "smtp-server and mail-from"));
	if ((e = mail_addr_parse(c->from, &name, &from, cause)) != 0)
		return (e);
	if (c->password_file != NULL &&
	    (e = mail_smtp_password(c->password_file, &pw, cause)) != 0)
		goto out;
	if ((h = curl_easy_init()) == NULL ||
	    (rcpt = curl_slist_append(NULL, to)) == NULL) {
		e = err_set(cause, FERRY_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((e = mail_smtp_setup(h, c, pw, cause)) != 0)
		goto out;
	if (curl_easy_setopt(h, CURLOPT_MAIL_FROM, from) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_READFUNCTION, mail_smtp_read) !=
	    CURLE_OK || curl_easy_setopt(h, CURLOPT_READDATA, &u) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK) {
		e = err_set(cause, FERRY_ERR_INTERNAL, "libcurl refused an "
		    "SMTP option");
		goto out;
	}
	if ((rc = curl_easy_perform(h)) != CURLE_OK)
		e = mail_smtp_fail(h, rc, errbuf, to, cause);
out:
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(h);
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	free(name);
	free(from);
	return (e);
}
