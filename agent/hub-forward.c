/*
 * The active hub's side of a standby's forwarded request (hub-forward-
 * out.c is the standby's; docs/operations.md "The local API on either
 * hub"). A control connection whose first message is "forward" comes
 * from a peer whose key the TLS handshake proved; it is served only if
 * that key is one of the store's hubs (an agent's key, or any other, is
 * refused and audited as forward.refused), and then as the active hub
 * serves a local client (api_ops_forwarded: the same table, the same
 * checks), naming the caller as the standby said and the hub it came
 * through.
 *
 * What a peer can make this spend: FORWARD_IN_MAX forwards at once in
 * all (a thread each, besides the one the connection has), a request of
 * at most the local API's 1 MiB, read within FORWARD_READ_MS, and a
 * reply written with FORWARD_WRITE_MS of patience for each part.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "ferryd.h"
#include "identity.h"
#include "jsonline.h"
#include "log.h"
#include "proto.h"
#include "store.h"
#include "tls.h"

#define FORWARD_IN_MAX		8	/* forwards served at once */
#define FORWARD_READ_MS		10000	/* the request, once taken */
#define FORWARD_WRITE_MS	15000	/* each part of the reply */
#define FORWARD_WAIT_S		5	/* "still at it", while it works */
#define FORWARD_PART		(256 * 1024)	/* escaped, at most twice */
#define FORWARD_USER_MAX	64

/* The request, answered on a thread of its own while the link waits. */
struct forward_work {
	struct ferryd	*d;
	json_t		*req;
	json_t		*rep;
	uid_t		 uid;
	const char	*caller;
	int		 done;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
};

/* The row of the store's hubs with key fp: its address, or NULL. */
struct forward_find {
	const char	*fp;
	char		*address;
};

static int
forward_find_cb(void *arg, const struct store_hub *h)
{
	struct forward_find	*f = arg;

	if (f->address == NULL && strcmp(h->fp, f->fp) == 0)
		f->address = strdup(h->address);
	return (0);
}

/*
 * Whether the peer may forward: one of the store's hubs, and a free
 * slot (taken: the caller gives it back). *address is its row's.
 */
static int
forward_admit(struct ferryd *d, const char *fp, char **address,
    char **cause)
{
	struct forward_find	f = { fp, NULL };
	int			r;

	pthread_mutex_lock(&d->mu);
	r = store_hub_list(d->store, forward_find_cb, &f, cause);
	if (r == 0 && f.address == NULL)
		r = err_set(cause, FERRY_ERR_AUTH, "key %s is none of the "
		    "store's hubs: only a hub forwards requests", fp);
	else if (r == 0 && d->forwards_in >= FORWARD_IN_MAX)
		r = err_set(cause, FERRY_ERR_TOOBIG, "%d forwarded requests "
		    "are being served already: try again shortly",
		    FORWARD_IN_MAX);
	if (r == 0)
		d->forwards_in++;
	pthread_mutex_unlock(&d->mu);
	if (r == 0)
		*address = f.address;
	else
		free(f.address);
	return (r);
}

/*
 * Who asked, as the standby says: its local client's user name (letters,
 * digits, "._-", FORWARD_USER_MAX at most; anything else is left out) and
 * uid, and the hub it came through, which the key proved.
 */
static void
forward_caller(const json_t *first, const char *hub, char *buf, size_t n)
{
	const char	*user = json_string_value(json_object_get(first,
			    "user"));
	json_int_t	 uid = json_integer_value(json_object_get(first,
			    "uid"));
	size_t		 i;

	for (i = 0; user != NULL && user[i] != '\0'; i++) {
		if (i >= FORWARD_USER_MAX || !(user[i] == '.' ||
		    user[i] == '_' || user[i] == '-' || (user[i] >= 'a' &&
		    user[i] <= 'z') || (user[i] >= 'A' && user[i] <= 'Z') ||
		    (user[i] >= '0' && user[i] <= '9')))
			user = NULL;
		if (user == NULL)
			break;
	}
	if (user != NULL && *user != '\0')
		snprintf(buf, n, "%s (uid %jd) on hub %s", user,
		    (intmax_t)uid, hub);
	else
		snprintf(buf, n, "uid %jd on hub %s", (intmax_t)uid, hub);
}

static void *
forward_work_main(void *arg)
{
	struct forward_work	*w = arg;
	json_t			*rep;

	rep = api_ops_forwarded(w->d, w->req, w->uid, w->caller);
	pthread_mutex_lock(&w->mu);
	w->rep = rep;
	w->done = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return (NULL);
}

/*
 * Runs the request and waits for it, telling the standby every
 * FORWARD_WAIT_S that it still works (a send lists its files first); a
 * standby gone meanwhile changes nothing: the request ends as it would.
 */
static json_t *
forward_run(struct forward_work *w, struct tls_conn *c)
{
	struct timespec	 ts;
	pthread_t	 t;
	json_t		*wait = json_pack("{s:s}", "op", "forward.wait");
	int		 gone = 0;

	if (pthread_create(&t, NULL, forward_work_main, w) != 0) {
		json_decref(wait);
		return (jobs_error("the hub cannot start a thread now"));
	}
	pthread_mutex_lock(&w->mu);
	while (!w->done) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += FORWARD_WAIT_S;
		if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) == 0 ||
		    w->done || gone)
			continue;
		pthread_mutex_unlock(&w->mu);
		gone = proto_send(c, wait, NULL) != 0;
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	pthread_join(t, NULL);
	json_decref(wait);
	return (w->rep);
}

/* The reply's JSON text in parts, then the end. */
static int
forward_reply(struct tls_conn *c, const json_t *rep, char **cause)
{
	char	*text, save;
	json_t	*msg;
	size_t	 len, off, n;
	int	 r = 0;

	if ((text = json_dumps(rep, JSON_COMPACT)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	len = strlen(text);
	tls_set_idle(c, FORWARD_WRITE_MS);
	for (off = 0; r == 0 && off < len; off += n) {
		n = len - off < FORWARD_PART ? len - off : FORWARD_PART;
		/* Never between the bytes of one UTF-8 character. */
		while (off + n < len && ((unsigned char)text[off + n] &
		    0xc0) == 0x80)
			n--;
		save = text[off + n];
		text[off + n] = '\0';
		msg = json_pack("{s:s, s:s}", "op", "forward.part", "text",
		    text + off);
		text[off + n] = save;
		r = msg != NULL ? proto_send(c, msg, cause) :
		    err_set(cause, FERRY_ERR_NOMEM, "out of memory");
		json_decref(msg);
	}
	free(text);
	if (r == 0 && (msg = json_pack("{s:s}", "op", "forward.end")) !=
	    NULL) {
		r = proto_send(c, msg, cause);
		json_decref(msg);
	}
	return (r);
}

/* Refused: the peer is told why, the audit trail and the log too. */
static void
forward_refuse(struct ferryd *d, struct tls_conn *c, const char *peer,
    const char *fp, const char *why)
{
	json_t	*msg = json_pack("{s:s}", "error", why);

	log_warnx("forwarded request from %s (key %s) refused: %s", peer, fp,
	    why);
	pthread_mutex_lock(&d->mu);
	audit_note_limited(d, peer, "forward.refused", json_pack("{s:s, "
	    "s:s}", "key", fp, "why", why));
	pthread_mutex_unlock(&d->mu);
	if (msg != NULL)
		proto_send(c, msg, NULL);
	json_decref(msg);
}

void
forward_serve(struct ferryd *d, struct tls_conn *c, const json_t *first,
    const char *peer)
{
	struct forward_work	 w;
	char			 fp[IDENTITY_FP_STRLEN + 1], caller[512];
	char			*address = NULL, *cause = NULL;
	json_t			*ok = NULL, *rep = NULL;
	const char		*op;
	int			 r;

	identity_fp_format(tls_peer_fp(c), fp);
	if ((r = forward_admit(d, fp, &address, &cause)) != 0) {
		forward_refuse(d, c, peer, fp, cause != NULL ? cause :
		    err_str(r));
		free(cause);
		return;
	}
	memset(&w, 0, sizeof w);
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	tls_set_idle(c, FORWARD_READ_MS);
	if ((ok = json_pack("{s:s}", "op", "forward.ok")) == NULL ||
	    (r = proto_send(c, ok, &cause)) != 0 ||
	    (r = proto_recv_max(c, JSONLINE_MAX_REQUEST, &w.req, &cause)) != 0)
		goto out;
	forward_caller(first, address, caller, sizeof caller);
	op = json_string_value(json_object_get(w.req, "op"));
	log_info("request %s from %s, forwarded by hub %s (key %s, from %s)",
	    op != NULL ? op : "(none)", caller, address, fp, peer);
	w.d = d;
	w.uid = (uid_t)json_integer_value(json_object_get(first, "uid"));
	w.caller = caller;
	if ((rep = forward_run(&w, c)) == NULL)
		rep = jobs_error("unknown request");
	r = forward_reply(c, rep, &cause);
out:
	if (r != 0)
		log_info("forwarded request from hub %s: %s", address,
		    cause != NULL ? cause : err_str(r));
	pthread_mutex_lock(&d->mu);
	d->forwards_in--;
	pthread_mutex_unlock(&d->mu);
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	json_decref(ok);
	json_decref(w.req);
	json_decref(rep);
	free(address);
	free(cause);
}
