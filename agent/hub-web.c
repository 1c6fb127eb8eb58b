/*
 * The hub's status page and metrics (docs/operations.md), served by
 * libmicrohttpd from its own thread: GET / (a page that polls), GET
 * /api/status.json (what the page shows) and GET /metrics (Prometheus).
 * Read-only: it asks the same operations as the local API (status,
 * endpoints, jobs), which take d->mu themselves.
 *
 * It listens on 127.0.0.1 unless told otherwise; anywhere else only with
 * TLS and a token (web-cert, web-key, web-token-file), because the page
 * names every site, person and path the hub moves. With a token, every
 * request must carry it: "Authorization: Bearer TOKEN" (Prometheus), or
 * the cookie set when a browser opens /?token=TOKEN once.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "ferryd.h"
#include "log.h"

#define WEB_PORT		45180
#define WEB_COOKIE		"ferry_token"
#define WEB_MAX_CONNS		64
#define WEB_MAX_PER_IP		16
#define WEB_TIMEOUT_S		10
#define WEB_JOBS		500	/* the newest jobs the page shows */
#define WEB_METRICS_MS		5000	/* /metrics reads the store this rarely */

/* The page itself, agent/web/status.html made into bytes at build time. */
extern const char hub_web_page[];
extern const size_t hub_web_page_len;

struct hub_web {
	struct MHD_Daemon	*mhd;
	struct ferryd		*d;
	char			*token;		/* NULL: none asked */
	int			 tls;
	char			*cert, *key;	/* PEM, MHD needs them kept */
	char			*metrics;	/* the last /metrics text */
	size_t			 metrics_len;
	int64_t			 metrics_ms;	/* when it was made */
};

static struct hub_web	*web;

/* A small file's content (a token, a PEM), or NULL with a cause. */
static char *
web_read(const char *path, int secret, char **cause)
{
	struct buf	 b;
	struct stat	 sb;
	FILE		*f;
	char		 chunk[4096];
	size_t		 n;

	if ((f = fopen(path, "re")) == NULL) {
		err_set(cause, FERRY_ERR_IO, "%s: cannot open: %s", path,
		    strerror(errno));
		return (NULL);
	}
	if (secret && fstat(fileno(f), &sb) == 0 && (sb.st_mode & 077) != 0) {
		fclose(f);
		err_set(cause, FERRY_ERR_DENIED, "%s: readable by others: chmod "
		    "600 it", path);
		return (NULL);
	}
	buf_init(&b, 1 << 20);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return (buf_detach(&b));
}

/*
 * libmicrohttpd's messages, through our logger and at most WEB_LOG_BURST
 * a minute: it has one for each connection it turns away, and anyone who
 * reaches the port can make thousands a second.
 */
#define WEB_LOG_BURST	5
static void
web_log(void *cls, const char *fmt, va_list ap)
{
	static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
	static int64_t		 minute;
	static unsigned		 n, dropped;
	char			 msg[512];
	int64_t			 now = clock_now() / 60;
	unsigned		 was = 0;

	(void)cls;
	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	pthread_mutex_lock(&mu);
	if (now != minute) {
		was = dropped;
		minute = now;
		n = dropped = 0;
	}
	if (n < WEB_LOG_BURST)
		n++;
	else {
		dropped++;
		msg[0] = '\0';
	}
	pthread_mutex_unlock(&mu);
	if (was > 0)
		log_warnx("status page: %u more messages not logged", was);
	if (msg[0] != '\0')
		log_warnx("status page: %s", msg);
}

static int
web_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in	*in = (const void *)ss;
	const struct sockaddr_in6	*in6 = (const void *)ss;

	if (ss->ss_family == AF_INET)
		return ((ntohl(in->sin_addr.s_addr) >> 24) == 127);
	return (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr));
}

static int
web_addr(const char *spec, struct sockaddr_storage *ss, int *portp,
    char **cause)
{
	struct sockaddr_in	*in = (void *)ss;
	struct sockaddr_in6	*in6 = (void *)ss;
	char			*host = NULL;
	int			 port, r;

	if ((r = conf_split_addr(spec, WEB_PORT, &host, &port, cause)) != 0)
		return (r);
	*portp = port;
	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
	} else
		r = err_set(cause, FERRY_ERR_INVAL, "web %s: not an IP address "
		    "(the status page listens on an address, not a name)",
		    spec);
	free(host);
	return (r);
}

/*
 * Whether the request names this machine: a 127/8 address, [::1] or
 * localhost, with any port. Without a token that is the page's only
 * guard against DNS rebinding: a web page the admin visits points its own
 * name at 127.0.0.1, and the browser then lets its script read our
 * answers, as same-origin; its requests still carry its own name as Host.
 */
static int
web_host_local(struct MHD_Connection *c)
{
	const char	*h, *port;
	char		 host[64];
	struct in_addr	 a;
	size_t		 n;

	h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_HOST);
	if (h == NULL)		/* HTTP/1.0; no browser leaves it out */
		return (1);
	if (strncmp(h, "[::1]", 5) == 0)
		port = h + 5;
	else {
		if ((n = strcspn(h, ":")) >= sizeof host)
			return (0);
		memcpy(host, h, n);
		host[n] = '\0';
		port = h + n;
		if (strcasecmp(host, "localhost") != 0 && (inet_pton(AF_INET,
		    host, &a) != 1 || (ntohl(a.s_addr) >> 24) != 127))
			return (0);
	}
	return (*port == '\0' || (*port == ':' && strspn(port + 1,
	    "0123456789") == strlen(port + 1)));
}

/* Whether the request carries the token (always, when none is asked). */
static int
web_authorised(struct MHD_Connection *c, const char **given)
{
	const char	*h, *t = NULL;
	size_t		 n = web->token ? strlen(web->token) : 0;

	*given = NULL;
	if (web->token == NULL)
		return (1);
	h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	if (h != NULL && strncmp(h, "Bearer ", 7) == 0)
		t = h + 7;
	if (t == NULL)
		t = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, WEB_COOKIE);
	if (t == NULL) {
		t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
		    "token");
		*given = t;
	}
	return (t != NULL && strlen(t) == n && CRYPTO_memcmp(t, web->token,
	    n) == 0);
}

static enum MHD_Result
web_send(struct MHD_Connection *c, unsigned int status, const char *type,
    const void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response	*rep;
	enum MHD_Result		 r;

	rep = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
	    mode);
	if (rep == NULL)
		return (MHD_NO);
	MHD_add_response_header(rep, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(rep, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
	MHD_add_response_header(rep, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(rep, "X-Frame-Options", "DENY");
	/* The page's own script and style only; it fetches from here. */
	MHD_add_response_header(rep, "Content-Security-Policy",
	    "default-src 'none'; script-src 'unsafe-inline'; "
	    "style-src 'unsafe-inline'; connect-src 'self'");
	r = MHD_queue_response(c, status, rep);
	MHD_destroy_response(rep);
	return (r);
}

static enum MHD_Result
web_text(struct MHD_Connection *c, unsigned int status, const char *msg)
{
	return (web_send(c, status, "text/plain; charset=utf-8", msg,
	    strlen(msg), MHD_RESPMEM_MUST_COPY));
}

/* /?token=T: keeps the token in a cookie and drops it from the URL. */
static enum MHD_Result
web_login(struct MHD_Connection *c)
{
	struct MHD_Response	*rep;
	enum MHD_Result		 r;
	char			 cookie[512];

	snprintf(cookie, sizeof cookie, "%s=%s; Path=/; Max-Age=2592000; "
	    "HttpOnly; SameSite=Strict%s", WEB_COOKIE, web->token, web->tls ?
	    "; Secure" : "");
	rep = MHD_create_response_from_buffer(0, (void *)"",
	    MHD_RESPMEM_PERSISTENT);
	if (rep == NULL)
		return (MHD_NO);
	MHD_add_response_header(rep, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	MHD_add_response_header(rep, MHD_HTTP_HEADER_LOCATION, "/");
	MHD_add_response_header(rep, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
	r = MHD_queue_response(c, MHD_HTTP_SEE_OTHER, rep);
	MHD_destroy_response(rep);
	return (r);
}

/* One local-API operation's answer, as the admin would get it. */
static json_t *
web_op(const char *op, json_t *extra)
{
	json_t	*req = json_pack("{s:s}", "op", op), *rep;

	if (req != NULL && extra != NULL)
		json_object_update(req, extra);
	json_decref(extra);
	rep = req ? api_ops_local(web->d, req, getuid()) : NULL;
	json_decref(req);
	if (rep != NULL && json_object_get(rep, "error") != NULL) {
		log_warnx("status page: %s: %s", op, json_string_value(
		    json_object_get(rep, "error")));
		json_decref(rep);
		rep = NULL;
	}
	return (rep);
}

static enum MHD_Result
web_status(struct MHD_Connection *c)
{
	json_t	*ep = web_op("endpoints", NULL);
	json_t	*jobs = web_op("jobs", json_pack("{s:i}", "limit", WEB_JOBS));
	json_t	*st = web_op("status", NULL), *out = NULL;
	char	*text = NULL;

	if (ep != NULL && jobs != NULL && st != NULL) {
		out = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O}",
		    "time", json_object_get(jobs, "time"),
		    "hub_site", json_object_get(ep, "hub_site"),
		    "sites", json_object_get(ep, "sites"),
		    "users", json_object_get(ep, "users"),
		    "connected", json_object_get(ep, "connected"),
		    "agents", json_object_get(st, "agents"),
		    "jobs", json_object_get(jobs, "jobs"));
	}
	if (out != NULL)
		text = json_dumps(out, JSON_COMPACT);
	json_decref(ep);
	json_decref(jobs);
	json_decref(st);
	json_decref(out);
	if (text == NULL)
		return (web_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the hub could not read its store: see its log\n"));
	return (web_send(c, MHD_HTTP_OK, "application/json", text,
	    strlen(text), MHD_RESPMEM_MUST_FREE));
}

/*
 * The metrics read whole tables under d->mu (a scrape took 0.3 s with two
 * million tasks), and without a token anyone on the machine may ask: a
 * loop of scrapes held the hub. So the store is read at most once every
 * WEB_METRICS_MS, whoever asks; a scraper every 15 s sees no difference.
 * One MHD thread answers every request, so web->metrics needs no lock.
 */
static enum MHD_Result
web_metrics(struct MHD_Connection *c)
{
	struct buf	 b;
	char		*cause = NULL;
	int64_t		 now = clock_ms();

	if (web->metrics == NULL || now - web->metrics_ms >= WEB_METRICS_MS) {
		buf_init(&b, 16 << 20);
		if (metrics_text(web->d, &b, &cause) != 0) {
			log_warnx("metrics: %s", cause ? cause : "failed");
			free(cause);
			buf_free(&b);
			return (web_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "the hub could not read its store: see its log\n"));
		}
		free(web->metrics);
		web->metrics_len = strlen(buf_str(&b));
		web->metrics = buf_detach(&b);
		web->metrics_ms = clock_ms();
	}
	return (web_send(c, MHD_HTTP_OK,
	    "text/plain; version=0.0.4; charset=utf-8", web->metrics,
	    web->metrics_len, MHD_RESPMEM_MUST_COPY));
}

static enum MHD_Result
web_answer(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	const char	*given;

	(void)cls; (void)version; (void)upload_data; (void)con_cls;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return (web_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "the status page is read-only\n"));
	if (*upload_data_size != 0)
		return (MHD_NO);
	if (web->token == NULL && !web_host_local(c))
		return (web_text(c, 421, "without a token this status page "
		    "answers only to this machine's names (127.0.0.1, [::1], "
		    "localhost): set web-token-file to serve it under another\n"));
	if (!web_authorised(c, &given))
		return (web_text(c, MHD_HTTP_UNAUTHORIZED, given != NULL ?
		    "wrong token\n" : "this hub's status page needs its "
		    "token: open /?token=TOKEN once, or send "
		    "'Authorization: Bearer TOKEN'\n"));
	if (strcmp(url, "/") == 0 && given != NULL)
		return (web_login(c));
	if (strcmp(url, "/") == 0)
		return (web_send(c, MHD_HTTP_OK, "text/html; charset=utf-8",
		    hub_web_page, hub_web_page_len, MHD_RESPMEM_PERSISTENT));
	if (strcmp(url, "/api/status.json") == 0)
		return (web_status(c));
	if (strcmp(url, "/metrics") == 0)
		return (web_metrics(c));
	return (web_text(c, MHD_HTTP_NOT_FOUND, "no such page: try /, "
	    "/api/status.json or /metrics\n"));
}

static void
web_free(struct hub_web *w)
{
	if (w == NULL)
		return;
	if (w->mhd != NULL)
		MHD_stop_daemon(w->mhd);
	free(w->token);
	free(w->metrics);
	free(w->cert);
	free(w->key);
	free(w);
}

/* Reads the token and TLS files the configuration names. */
static int
web_secrets(struct hub_web *w, const struct conf *cf, char **cause)
{
	if (cf->web_token_file != NULL) {
		if ((w->token = web_read(cf->web_token_file, 1, cause)) == NULL)
			return (FERRY_ERR_IO);
		w->token[strcspn(w->token, "\r\n")] = '\0';
		if (strlen(w->token) < 16 || strspn(w->token,
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789-_.~") != strlen(w->token))
			return (err_set(cause, FERRY_ERR_INVAL, "%s: the token "
			    "must be 16 or more letters, digits, '-', '_', '.' "
			    "or '~' (openssl rand -hex 24 makes one)",
			    cf->web_token_file));
	}
	if ((cf->web_cert == NULL) != (cf->web_key == NULL))
		return (err_set(cause, FERRY_ERR_INVAL, "web-cert and web-key "
		    "go together"));
	if (cf->web_cert == NULL)
		return (0);
	w->tls = 1;
	if ((w->cert = web_read(cf->web_cert, 0, cause)) == NULL ||
	    (w->key = web_read(cf->web_key, 1, cause)) == NULL)
		return (FERRY_ERR_IO);
	return (0);
}

int
web_start(struct ferryd *d, char **cause)
{
	const struct conf	*cf = &d->conf;
	struct sockaddr_storage	 ss;
	const char		*spec = cf->web ? cf->web : "127.0.0.1";
	unsigned int		 flags = MHD_USE_INTERNAL_POLLING_THREAD |
				    MHD_USE_ERROR_LOG;
	char			 host[INET6_ADDRSTRLEN] = "";
	int			 r, port;

	if (cf->web != NULL && strcmp(cf->web, "off") == 0)
		return (0);
	if ((r = web_addr(spec, &ss, &port, cause)) != 0)
		return (r);
	if ((web = calloc(1, sizeof *web)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	web->d = d;
	if ((r = web_secrets(web, cf, cause)) != 0)
		goto fail;
	if (!web_loopback(&ss) && (!web->tls || web->token == NULL)) {
		r = err_set(cause, FERRY_ERR_INVAL, "web %s: the status page "
		    "listens beyond this machine only with TLS and a token "
		    "(web-cert, web-key, web-token-file)", spec);
		goto fail;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (web->tls)
		flags |= MHD_USE_TLS;
	web->mhd = MHD_start_daemon(flags, 0, NULL, NULL, web_answer, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, web_log, NULL,	/* first, as MHD asks */
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)WEB_MAX_CONNS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)WEB_MAX_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)WEB_TIMEOUT_S,
	    web->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, web->cert,
	    MHD_OPTION_HTTPS_MEM_KEY, web->key, MHD_OPTION_END);
	if (web->mhd == NULL) {
		r = err_set(cause, FERRY_ERR_IO, "web %s: cannot listen (is "
		    "the port taken? 'web off' in ferryd.conf turns the "
		    "status page off)", spec);
		goto fail;
	}
	inet_ntop(ss.ss_family, ss.ss_family == AF_INET ?
	    (void *)&((struct sockaddr_in *)&ss)->sin_addr :
	    (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
	log_info("status page on http%s://%s%s%s:%d/", web->tls ? "s" : "",
	    ss.ss_family == AF_INET6 ? "[" : "", host,
	    ss.ss_family == AF_INET6 ? "]" : "", port);
	return (0);
fail:
	web_free(web);
	web = NULL;
	/*
	 * Unasked, the default page is a convenience: it never stops a hub.
	 * Any web-* keyword asks for it: a hub set up with a token that ran
	 * on without its page would leave the port, and the token a browser
	 * sends to whatever answers there, to whoever took it.
	 */
	if (cf->web == NULL && cf->web_token_file == NULL &&
	    cf->web_cert == NULL && cf->web_key == NULL) {
		log_warnx("no status page: %s", cause && *cause ? *cause : "");
		free(*cause);
		*cause = NULL;
		return (0);
	}
	return (r);
}

void
web_stop(void)
{
	web_free(web);
	web = NULL;
}
