/*
 * A plain agent's control link: it dials out to the hub (it needs no open
 * port), checks the hub's key against the pinned set (node-hubs.c), says
 * hello and keeps the link alive with pings. A lost link tries the next
 * hub address at once, and after all of them waits with exponential
 * backoff.
 */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "conf.h"
#include "err.h"
#include "ferryd.h"
#include "partial.h"
#include "identity.h"
#include "link.h"
#include "log.h"
#include "proto.h"
#include "proto-check.h"
#include "tls.h"

#define UPLINK_BACKOFF_MAX	60
/* A silent hub is given up on after this (hub-standby's next). */
#define UPLINK_DEAD_MS		6000
/* ... and a connection it does not answer, sooner: the next may. */
#define UPLINK_DIAL_MS		3000

static int
uplink_dial(struct ferryd *d, int *fdp, char **cause)
{
	char	*host = NULL, *addr;
	int	 port, r;

	if ((addr = uplink_address(d)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	r = conf_split_addr(addr, CONF_CONTROL_PORT, &host, &port, cause);
	free(addr);
	if (r != 0)
		return (r);
	/* A hub's machine that is gone: the next hub, in seconds. */
	r = link_dial_within(host, port, ferryd_source(d), UPLINK_DIAL_MS,
	    fdp, cause);
	free(host);
	if (r == 0) {
		link_nodelay(*fdp);
		/* A hub whose machine is gone: the next hub, in seconds. */
		link_keepalive(*fdp, UPLINK_DEAD_MS);
	}
	if (r != 0) {
		char *why = cause ? *cause : NULL;

		if (cause != NULL)
			*cause = NULL;
		r = err_set(cause, r, "cannot reach the hub: %s", why ? why :
		    err_str(r));
		free(why);
	}
	return (r);
}

static void
uplink_state(struct ferryd *d, int up, const char *why)
{
	pthread_mutex_lock(&d->mu);
	d->uplinked = up;
	free(d->uplink_error);
	d->uplink_error = why != NULL ? strdup(why) : NULL;
	pthread_mutex_unlock(&d->mu);
}

/* An answer from the hub: only to a question we asked and still wait on. */
static void
uplink_answer(struct ferryd *d, const json_t *msg)
{
	const char	*why;

	pthread_mutex_lock(&d->mu);
	if (ask_answered(d, "hub", msg, &why) != 0)
		log_warnx("the hub's answer dropped: %s", why);
	pthread_mutex_unlock(&d->mu);
}

/* The store's hubs, from the pinned hub this link is to (node-hubs.c). */
static void
uplink_hubs(struct ferryd *d, struct tls_conn *c, const json_t *msg)
{
	char	*cause = NULL;

	if (node_hubs_take(d, json_object_get(msg, "hubs"), tls_peer_fp(c),
	    &cause) != 0)
		log_warnx("the hub's list of hubs dropped: %s", cause);
	free(cause);
}

/*
 * The link's life after hello: the hub's messages (transfers to run),
 * the workers' messages to the hub, and a ping when all is quiet. This
 * thread alone uses the TLS connection.
 */
static int
uplink_loop(struct ferryd *d, struct tls_conn *c, int fd, char **cause)
{
	struct pollfd	 pfd[2];
	json_t		*msg = NULL, *ping = json_pack("{s:s}", "op", "ping");
	const char	*op;
	char		*why = NULL;
	time_t		 last = time(NULL);
	int		 r = 0;

	pfd[0].fd = fd;
	pfd[1].fd = d->uplink_wake[0];
	pfd[0].events = pfd[1].events = POLLIN;
	while (r == 0 && !d->stop) {
		pfd[0].revents = pfd[1].revents = 0;
		if (!tls_pending(c) && poll(pfd, 2, 250) > 0 &&
		    (pfd[1].revents & POLLIN))
			ferryd_wake_drain(pfd[1].fd);
		if (tls_pending(c) || pfd[0].revents != 0) {
			if ((r = proto_recv(c, &msg, cause)) != 0)
				break;
			op = json_string_value(json_object_get(msg, "op"));
			if (proto_check(msg, PROTO_TO_AGENT, &why) != 0) {
				log_warnx("the hub's message dropped: %s", why);
				free(why);
				why = NULL;
			} else if (op != NULL &&
			    strcmp(op, "transfer.start") == 0)
				xfer_start(d, msg);
			else if (op != NULL && strcmp(op, "transfer.abort") == 0)
				xfer_abort(d, msg);
			else if (op != NULL && strcmp(op, "transfer.rate") == 0)
				xfer_rate(d, msg);
			else if (json_object_get(msg, "re") != NULL)
				uplink_answer(d, msg);
			else if (op != NULL && strcmp(op, "discard") == 0)
				partial_discard_later(d, json_object_get(msg,
				    "paths"));
			else if (op != NULL && strcmp(op, "hubs") == 0)
				uplink_hubs(d, c, msg);
			else if (op != NULL && strcmp(op, "list") == 0)
				ferryd_enqueue(d, &d->uplink_outq,
				    xfer_list(d, msg, c));
			json_decref(msg);
			msg = NULL;
		}
		if ((r = ferryd_flush(d, &d->uplink_outq, c, cause)) != 0)
			break;
		if (time(NULL) - last >= FERRYD_PING_S) {
			last = time(NULL);
			r = proto_send(c, ping, cause);
		}
	}
	json_decref(ping);
	return (r);
}

/* One life of the link: returns when it fails, with the cause. */
static int
uplink_once(struct ferryd *d, char **cause)
{
	struct tls_conn	*c = NULL;
	json_t		*msg = NULL, *rep = NULL;
	const char	*err;
	json_int_t	 run;
	char		 fps[IDENTITY_FP_STRLEN + 1];
	int		 fd = -1, r;

	/*
	 * Any key in the handshake, then one of the pinned set or nothing
	 * at all is sent: the same as pinning one key, for a set of them.
	 */
	if ((r = uplink_dial(d, &fd, cause)) != 0 ||
	    (r = tls_connect(fd, d->id, NULL, FERRYD_TIMEOUT_MS, &c,
	    cause)) != 0)
		goto out;
	identity_fp_format(tls_peer_fp(c), fps);
	if (node_hubs_pinned(d, tls_peer_fp(c)) != 0) {
		r = err_set(cause, FERRY_ERR_AUTH, "the hub at %s has key %s, "
		    "which is none of the hub keys pinned here (ferry status "
		    "lists them): refused", d->uplink_addr != NULL ?
		    d->uplink_addr : d->conf.hub, fps);
		goto out;
	}
	/* Where the shares lie here, which the hub translates with. */
	/* The platform: which of its site's roots the hub gives it. */
	msg = json_pack("{s:s, s:s, s:s?, s:o, s:s}", "op", "hello", "name",
	    d->conf.name ? d->conf.name : "", "address",
	    d->conf.public_addr, "roots", node_roots_report(d), "platform",
	    compat_platform());
	if ((r = proto_send(c, msg, cause)) != 0 ||
	    (r = proto_recv(c, &rep, cause)) != 0)
		goto out;
	if ((err = json_string_value(json_object_get(rep, "error"))) != NULL) {
		/* A fenced hub: the other may be active already. */
		d->uplink_inactive = json_is_true(json_object_get(rep,
		    "inactive"));
		r = err_set(cause, FERRY_ERR_AUTH, "the hub refused us: %s",
		    err);
		goto out;
	}
	/* Not the hub we knew: what it had us run, it runs again. */
	run = json_integer_value(json_object_get(rep, "run"));
	if (d->hub_run != 0 && run != 0 && run != d->hub_run)
		xfer_abort_all(d);
	if (run != 0)
		d->hub_run = run;
	if (json_is_array(json_object_get(rep, "hubs")))
		uplink_hubs(d, c, rep);
	pthread_mutex_lock(&d->mu);
	snprintf(d->uplink_fp, sizeof d->uplink_fp, "%s", fps);
	pthread_mutex_unlock(&d->mu);
	uplink_state(d, 1, NULL);
	log_info("connected to the hub at %s", d->uplink_addr != NULL ?
	    d->uplink_addr : d->conf.hub);
	r = uplink_loop(d, c, fd, cause);
out:
	json_decref(msg);
	json_decref(rep);
	if (c != NULL)
		tls_shutdown(c, NULL);
	tls_free(c);
	if (fd != -1)
		close(fd);
	return (r);
}

static void *
uplink_main(void *arg)
{
	struct ferryd	*d = arg;
	uint8_t		 hub_fp[IDENTITY_FP_LEN];
	char		*cause = NULL, *addr;
	int		 backoff = 1, i, at = 0, tried = 0;
	int		 up_at = -1;	/* the last hub that refused at once */
	time_t		 t0;

	/* The enrolment's pin: node-hubs.c uses it until a list came. */
	if (identity_fp_parse(d->conf.hub_fp, hub_fp, &cause) != 0) {
		log_error("%s: hub-fingerprint: %s", CONF_NAME, cause);
		uplink_state(d, 0, cause);
		free(cause);
		return (NULL);
	}
	while (!d->stop) {
		if ((addr = node_hubs_addr(d, at)) != NULL) {
			pthread_mutex_lock(&d->mu);
			free(d->uplink_addr);
			d->uplink_addr = addr;
			pthread_mutex_unlock(&d->mu);
		}
		t0 = time(NULL);
		if (uplink_once(d, &cause) == 0 && d->stop)
			break;
		/*
		 * A hub that refused at once is up (a standby, or one
		 * fenced), where one that failed in seconds may be gone:
		 * after the wait, the round starts with the one that was up
		 * (a standby may be active by then).
		 */
		if (!d->uplinked && time(NULL) - t0 < 2)
			up_at = at;
		/* It was up, or a fenced hub sent us on: start over. */
		if (d->uplinked || d->uplink_inactive) {
			d->uplink_inactive = 0;
			backoff = 1;
			tried = 0;
		}
		uplink_state(d, 0, cause);
		/* The next hub at once, until each was tried: then wait. */
		at = (at + 1) % node_hubs_naddrs(d);
		if (++tried < node_hubs_naddrs(d)) {
			log_warnx("hub link: %s; trying the next hub", cause ?
			    cause : "lost");
			free(cause);
			cause = NULL;
			continue;
		}
		tried = 0;
		log_warnx("hub link: %s; again in %d s", cause ? cause :
		    "lost", backoff);
		free(cause);
		cause = NULL;
		for (i = 0; i < backoff && !d->stop; i++)
			sleep(1);
		if (up_at >= 0 && up_at < node_hubs_naddrs(d))
			at = up_at;
		up_at = -1;
		backoff = backoff * 2 > UPLINK_BACKOFF_MAX ?
		    UPLINK_BACKOFF_MAX : backoff * 2;
	}
	return (NULL);
}

int
uplink_run(struct ferryd *d)
{
	pthread_t	t;
	char		*cause = NULL;

	if (ferryd_wake_open(d->uplink_wake) == -1) {
		log_error("cannot make the hub link's wake pipe");
		return (FERRYD_EXIT_FAILED);
	}
	if (d->conf.hub == NULL || d->conf.hub_fp == NULL) {
		log_error("%s/%s names no hub: run 'ferryd enroll' first",
		    d->state, CONF_NAME);
		return (FERRYD_EXIT_FAILED);
	}
	if (node_hubs_load(d, &cause) != 0) {
		log_error("%s", cause);
		free(cause);
		return (FERRYD_EXIT_FAILED);
	}
	if (pthread_create(&t, NULL, uplink_main, d) != 0) {
		log_error("cannot start the hub link thread");
		return (FERRYD_EXIT_FAILED);
	}
	pthread_detach(t);
	return (FERRYD_EXIT_OK);
}
