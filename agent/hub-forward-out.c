/*
 * A standby hub's local API, passed on to the active hub (issue 17,
 * docs/operations.md "The local API on either hub"), so that `ferry` and
 * ferry-ftrack on either hub's machine work whichever hub is active.
 *
 * The standby knows every hub's key and address (the store's hubs,
 * which it reads each second while it waits: d->standby_hubs). It dials
 * the one whose row says active, on its control port, with TLS pinned to
 * that row's key and its own key as the client's (which the active hub
 * checks against the same table), and says "forward" with who asked
 * (the local client's uid and user name); then the request as it came;
 * the active hub answers "forward.wait" every few seconds while it
 * works, then the reply's JSON text in parts and "forward.end".
 *
 * What the active hub can make the standby spend is bounded: a reply of
 * at most FORWARD_REPLY_MAX bytes, FORWARD_OUT_MAX forwards at once
 * (each is a thread of api.c's), FORWARD_IDLE_MS of silence. Dialling a
 * hub that is gone costs FORWARD_DIAL_MS at most, and a hub whose row
 * is stale is not dialled at all.
 */
#include "config.h"

#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "err.h"
#include "ferryd.h"
#include "identity.h"
#include "jsonline.h"
#include "link.h"
#include "proto.h"
#include "tls.h"

#define FORWARD_OUT_MAX		8	/* forwards at once, from here */
#define FORWARD_DIAL_MS		3000	/* a hub's machine that is gone */
#define FORWARD_TLS_MS		5000	/* a hub that takes TCP, and no more */
#define FORWARD_IDLE_MS		30000	/* it says "wait" every 5 s */
#define FORWARD_FRAME_MAX	(1024 * 1024)
#define FORWARD_HELLO_MAX	16384
#define FORWARD_REPLY_MAX	JSONLINE_MAX_RESPONSE	/* as a local answer */

static _Atomic int	forward_out_n;

/* A row's last word, as a person reads it: "since 10:21:03Z". */
static void
forward_since(json_int_t seen, char *buf, size_t n)
{
	struct tm	tm;
	time_t		t = (time_t)seen;

	if (seen <= 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(buf, n, "never seen");
	else
		strftime(buf, n, "since %Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * The active hub's address and key, from the standby's last look at the
 * hubs; else FERRY_ERR_UNREACHABLE and each hub's state in *cause: "no
 * active hub: 10.0.0.11:45190 unreachable since ..., 10.0.0.12:45190
 * standby (this hub)".
 */
static int
forward_target(struct ferryd *d, char **addr, uint8_t *fp, char **cause)
{
	json_t		*hubs, *h;
	struct buf	 b;
	const char	*st, *a, *k;
	char		 since[64];
	size_t		 i, n = 0;
	int		 r = FERRY_ERR_UNREACHABLE;

	pthread_mutex_lock(&d->mu);
	hubs = json_incref(d->standby_hubs);
	pthread_mutex_unlock(&d->mu);
	buf_init(&b, 0);
	buf_addstr(&b, "no active hub:");
	json_array_foreach(hubs, i, h) {
		st = json_string_value(json_object_get(h, "state"));
		a = json_string_value(json_object_get(h, "address"));
		k = json_string_value(json_object_get(h, "fingerprint"));
		if (st == NULL || a == NULL || k == NULL)
			continue;
		if (strcmp(st, "active") == 0 && !json_is_true(
		    json_object_get(h, "self")) && identity_fp_parse(k, fp,
		    NULL) == 0) {
			r = (*addr = strdup(a)) != NULL ? 0 : FERRY_ERR_NOMEM;
			break;
		}
		buf_printf(&b, "%s %s %s", n++ > 0 ? "," : "", a, st);
		if (json_is_true(json_object_get(h, "self")))
			buf_addstr(&b, " (this hub)");
		else if (strcmp(st, "unreachable") == 0) {
			forward_since(json_integer_value(json_object_get(h,
			    "last_seen")), since, sizeof since);
			buf_printf(&b, " %s", since);
		}
	}
	if (n == 0)
		buf_addstr(&b, " this standby has not read the store's hubs");
	if (r == FERRY_ERR_UNREACHABLE && cause != NULL)
		*cause = buf_detach(&b);
	buf_free(&b);
	json_decref(hubs);
	return (r);
}

/* Dials the active hub and proves both keys. */
static int
forward_dial(struct ferryd *d, const char *addr, const uint8_t *fp,
    int *fdp, struct tls_conn **cp, char **cause)
{
	char	*host = NULL;
	int	 port, r;

	if ((r = conf_split_addr(addr, CONF_CONTROL_PORT, &host, &port,
	    cause)) != 0)
		return (r);
	r = link_dial_within(host, port, d->conf.source_addr,
	    FORWARD_DIAL_MS, fdp, cause);
	free(host);
	if (r != 0)
		return (r);
	link_nodelay(*fdp);
	link_keepalive(*fdp, 6000);
	if ((r = tls_connect(*fdp, d->id, fp, FORWARD_TLS_MS, cp,
	    cause)) != 0) {
		close(*fdp);
		*fdp = -1;
	}
	return (r);
}

/* The reply's parts until "forward.end", into b. */
static int
forward_collect(struct tls_conn *c, struct buf *b, char **cause)
{
	json_t		*msg = NULL;
	const char	*op, *text, *err;
	int		 r;

	for (;;) {
		json_decref(msg);
		msg = NULL;
		if ((r = proto_recv_max(c, FORWARD_FRAME_MAX, &msg,
		    cause)) != 0)
			break;
		op = json_string_value(json_object_get(msg, "op"));
		if ((err = json_string_value(json_object_get(msg,
		    "error"))) != NULL && op == NULL) {
			r = err_set(cause, FERRY_ERR_DENIED, "%s", err);
			break;
		}
		if (op != NULL && strcmp(op, "forward.wait") == 0)
			continue;
		if (op != NULL && strcmp(op, "forward.end") == 0)
			break;
		text = json_string_value(json_object_get(msg, "text"));
		if (op == NULL || strcmp(op, "forward.part") != 0 ||
		    text == NULL) {
			r = err_set(cause, FERRY_ERR_PROTO, "unexpected %s",
			    op != NULL ? op : "message");
			break;
		}
		if (b->len + strlen(text) > FORWARD_REPLY_MAX) {
			r = err_set(cause, FERRY_ERR_TOOBIG, "its answer is "
			    "over %d MiB, more than a forwarded answer may be "
			    "(ask in pages: \"limit\")", FORWARD_REPLY_MAX >>
			    20);
			break;
		}
		if ((r = buf_add(b, text, strlen(text))) != 0)
			break;
	}
	json_decref(msg);
	return (r);
}

/* The local caller, as the active hub will name it. */
static json_t *
forward_hello(uid_t uid)
{
	struct passwd	 pw, *res = NULL;
	char		 tmp[1024];

	if (getpwuid_r(uid, &pw, tmp, sizeof tmp, &res) != 0)
		res = NULL;
	return (json_pack("{s:s, s:I, s:s?}", "op", "forward", "uid",
	    (json_int_t)uid, "user", res != NULL ? pw.pw_name : NULL));
}

/* The active hub takes the forward ("forward.ok") or says why not. */
static int
forward_ready(struct tls_conn *c, char **cause)
{
	json_t		*msg = NULL;
	const char	*err, *op;
	int		 r;

	if ((r = proto_recv_max(c, FORWARD_HELLO_MAX, &msg, cause)) != 0)
		return (r);
	op = json_string_value(json_object_get(msg, "op"));
	if ((err = json_string_value(json_object_get(msg, "error"))) != NULL)
		r = err_set(cause, FERRY_ERR_DENIED, "it refused: %s", err);
	else if (op == NULL || strcmp(op, "forward.ok") != 0)
		r = err_set(cause, FERRY_ERR_PROTO, "it did not take the "
		    "forward");
	json_decref(msg);
	return (r);
}

/*
 * One exchange. *taken: the request was sent, so a failure after it may
 * have run it (it must not be sent anywhere else).
 */
static int
forward_exchange(struct ferryd *d, const char *addr, const uint8_t *fp,
    const json_t *req, uid_t uid, json_t **repp, int *taken, char **cause)
{
	struct tls_conn	*c = NULL;
	struct buf	 b;
	json_t		*hello = forward_hello(uid), *rep;
	json_error_t	 je;
	int		 fd = -1, r;

	buf_init(&b, 0);
	if ((r = forward_dial(d, addr, fp, &fd, &c, cause)) != 0 ||
	    (r = proto_send(c, hello, cause)) != 0 ||
	    (r = forward_ready(c, cause)) != 0)
		goto out;
	/* From here, it may run. */
	*taken = 1;
	if ((r = proto_send(c, req, cause)) != 0)
		goto out;
	tls_set_idle(c, FORWARD_IDLE_MS);
	if ((r = forward_collect(c, &b, cause)) != 0)
		goto out;
	if ((rep = json_loadb((const char *)b.data, b.len, 0, &je)) == NULL ||
	    !json_is_object(rep)) {
		json_decref(rep);
		r = err_set(cause, FERRY_ERR_PROTO, "its answer is not a JSON "
		    "object: %s", je.text);
		goto out;
	}
	*repp = rep;
out:
	if (c != NULL)
		tls_shutdown(c, NULL);
	tls_free(c);
	if (fd != -1)
		close(fd);
	buf_free(&b);
	json_decref(hello);
	return (r);
}

/* The hub that passed the request on, in the answer: which one answered. */
static void
forward_via(struct ferryd *d, json_t *rep, const char *to)
{
	char	*own = hubs_own_address(d);

	json_object_set_new(rep, "via", json_pack("{s:s, s:s?, s:s, s:s}",
	    "fingerprint", d->fp, "address", own, "hub_state", "standby",
	    "to", to));
	free(own);
}

json_t *
forward_request(struct ferryd *d, const json_t *req, uid_t uid, char **why)
{
	uint8_t	 fp[IDENTITY_FP_LEN];
	json_t	*rep = NULL;
	char	*addr = NULL, *cause = NULL;
	int	 r, taken = 0;

	if (atomic_fetch_add(&forward_out_n, 1) >= FORWARD_OUT_MAX) {
		atomic_fetch_sub(&forward_out_n, 1);
		err_set(why, FERRY_ERR_TOOBIG, "this standby hub forwards %d "
		    "requests to the active hub already: try again shortly",
		    FORWARD_OUT_MAX);
		return (NULL);
	}
	if ((r = forward_target(d, &addr, fp, why)) != 0)
		goto out;
	r = forward_exchange(d, addr, fp, req, uid, &rep, &taken, &cause);
	if (r == 0)
		forward_via(d, rep, addr);
	else if (!taken)
		err_set(why, r, "no active hub: the hub at %s, active by its "
		    "row in the store, cannot be asked: %s", addr,
		    cause != NULL ? cause : err_str(r));
	else
		rep = json_pack("{s:s+++, s:b}", "error", "the active hub at ",
		    addr, " took the request and then failed, so it may have "
		    "run (see 'ferry jobs'): ", cause != NULL ? cause :
		    err_str(r), "done", 1);
out:
	atomic_fetch_sub(&forward_out_n, 1);
	free(addr);
	free(cause);
	return (rep);
}
