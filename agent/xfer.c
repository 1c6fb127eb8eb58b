/*
 * An agent's side of a transfer the hub asked for: connect to the data
 * port the hub opened for us, prove the one-time token, receive into the
 * share root, and tell the hub how it went.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "err.h"
#include "ferryd.h"
#include "identity.h"
#include "link.h"
#include "log.h"
#include "transfer.h"

#define XFER_MAX_STREAMS	8

struct xfer {
	struct ferryd	*d;
	json_t		*msg;
};

static int
xfer_hex(const char *s, uint8_t *out, size_t n)
{
	size_t		i;
	unsigned int	v;

	if (s == NULL || strlen(s) != 2 * n)
		return (-1);
	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return (-1);
		out[i] = (uint8_t)v;
	}
	return (0);
}

/* Receives as msg says; returns 0 or an error with its cause. */
static int
xfer_receive(struct ferryd *d, const json_t *msg, struct transfer_stats *st,
    char **cause)
{
	struct link_params	 p;
	struct transfer_opts	 o;
	struct tls_conn		*conns[XFER_MAX_STREAMS];
	uint8_t			 fp[IDENTITY_FP_LEN], tok[LINK_TOKEN_LEN];
	const char		*addr, *root;
	char			*host = NULL;
	int			 fds[XFER_MAX_STREAMS], port, r;

	addr = json_string_value(json_object_get(msg, "connect"));
	root = json_string_value(json_object_get(msg, "root"));
	memset(&p, 0, sizeof p);
	p.streams = (int)json_integer_value(json_object_get(msg, "streams"));
	p.timeout_ms = FERRYD_TIMEOUT_MS;
	if (addr == NULL || root == NULL || p.streams < 1 ||
	    p.streams > XFER_MAX_STREAMS || xfer_hex(json_string_value(
	    json_object_get(msg, "token")), tok, sizeof tok) != 0)
		return (err_set(cause, FERRY_ERR_PROTO, "a transfer.start "
		    "without address, root, streams or token"));
	/* The hub's own key: the one this agent pinned at enrolment. */
	if ((r = identity_fp_parse(d->conf.hub_fp, fp, cause)) != 0 ||
	    (r = conf_split_addr(addr, 0, &host, &port, cause)) != 0)
		return (r);
	p.id = d->id;
	p.peer_fp = fp;
	p.token = tok;
	memset(&o, 0, sizeof o);
	if ((r = link_connect(host, port, &p, conns, fds, cause)) == 0) {
		r = transfer_receive(conns, p.streams, root, &o, st, cause);
		link_close(conns, fds, p.streams);
	}
	free(host);
	return (r);
}

static void *
xfer_main(void *arg)
{
	struct xfer		*x = arg;
	struct transfer_stats	 st;
	char			*cause = NULL;
	json_t			*done;
	int			 r;

	memset(&st, 0, sizeof st);
	r = xfer_receive(x->d, x->msg, &st, &cause);
	if (r != 0)
		log_warnx("transfer %jd: %s", (intmax_t)json_integer_value(
		    json_object_get(x->msg, "id")), cause ? cause :
		    err_str(r));
	done = json_pack("{s:s, s:O, s:b, s:s?, s:I, s:I}", "op",
	    "transfer.done", "id", json_object_get(x->msg, "id"), "ok",
	    r == 0, "error", r != 0 ? (cause ? cause : err_str(r)) : NULL,
	    "bytes", (json_int_t)st.bytes, "wire_bytes",
	    (json_int_t)st.wire_bytes);
	if (done != NULL)
		ferryd_enqueue(x->d, &x->d->uplink_outq, done);
	pthread_mutex_lock(&x->d->mu);
	x->d->busy--;
	pthread_mutex_unlock(&x->d->mu);
	json_decref(x->msg);
	free(cause);
	free(x);
	return (NULL);
}

void
xfer_start(struct ferryd *d, const json_t *msg)
{
	struct xfer	*x;
	pthread_t	 t;

	if ((x = calloc(1, sizeof *x)) == NULL)
		return;
	x->d = d;
	x->msg = json_deep_copy(msg);
	pthread_mutex_lock(&d->mu);
	d->busy++;
	pthread_mutex_unlock(&d->mu);
	if (x->msg == NULL || pthread_create(&t, NULL, xfer_main, x) != 0) {
		pthread_mutex_lock(&d->mu);
		d->busy--;
		pthread_mutex_unlock(&d->mu);
		json_decref(x->msg);
		free(x);
		return;
	}
	pthread_detach(t);
}
