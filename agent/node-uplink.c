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
/*
 * A silent hub is given up on after this (TCP keepalives, answered by
 * the peer's kernel, so a loaded hub is not mistaken for a gone one):
 * the store frees a silent hub's lease after 6 s (DB_LEASE_SILENT_MS),
 * so the agents are looking before the standby takes over.
 */
#define UPLINK_DEAD_MS		4000
/* ... and a connection it does not answer, sooner: the next may. */
#define UPLINK_DIAL_MS		3000
/*
 * After a lost link (or a hub that sent us on), every known hub is
 * dialled at once, again every UPLINK_HUNT_MS, for UPLINK_HUNT_S: the
 * standby opens its port the moment it holds the lease, and is found
 * within that, instead of after a backoff.
 */
#define UPLINK_HUNT_MS		400
#define UPLINK_HUNT_S		60
/* A hub that refused us (fenced, or not ours) is left alone this long. */
#define UPLINK_AVOID_MS		5000
/* The next address is dialled this long after the one before it. */
#define UPLINK_STAGGER_MS	250
/*
 * Transfers between agents carry on while no hub is linked (issue 17),
 * for the next hub to take over; not for ever: after this, they stop.
 */
#define UPLINK_ORPHAN_S		90
#define UPLINK_ADDRS_MAX	32

/*
 * The race between dials to every hub: each address has at most one
 * dial in flight; the first connection made while the link is wanted
 * wins, later ones are closed. Lives as long as the daemon.
 */
struct uplink_race {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 wanted;
	int		 fd;		/* the winner's; -1: none yet */
	char		*addr;		/* its address */
	char		*why;		/* the last failure */
	int		 pending[UPLINK_ADDRS_MAX];
	int		 failed;	/* dials failed since the last look */
	int64_t		 avoid[UPLINK_ADDRS_MAX];	/* clock_ms() */
	const char	*source;
};

struct uplink_dial_arg {
	struct uplink_race	*race;
	char			*addr;
	int			 i;
};

static void *
uplink_dial_main(void *arg)
{
	struct uplink_dial_arg	*a = arg;
	struct uplink_race	*race = a->race;
	char			*host = NULL, *cause = NULL;
	int			 port, fd = -1, r;

	r = conf_split_addr(a->addr, CONF_CONTROL_PORT, &host, &port, &cause);
	/* A hub's machine that is gone: the next hub, in seconds. */
	if (r == 0)
		r = link_dial_within(host, port, race->source, UPLINK_DIAL_MS,
		    &fd, &cause);
	free(host);
	pthread_mutex_lock(&race->mu);
	race->pending[a->i] = 0;
	if (r == 0 && race->wanted && race->fd == -1) {
		link_nodelay(fd);
		/* A hub whose machine is gone: the next hub, in seconds. */
		link_keepalive(fd, UPLINK_DEAD_MS);
		race->fd = fd;
		free(race->addr);
		race->addr = a->addr;
		a->addr = NULL;		/* transferred */
	} else if (r == 0)
		close(fd);
	else {
		race->failed++;
		free(race->why);
		if (asprintf(&race->why, "%s: %s", a->addr, cause ? cause :
		    err_str(r)) == -1)
			race->why = NULL;
	}
	pthread_cond_signal(&race->cv);
	pthread_mutex_unlock(&race->mu);
	free(cause);
	free(a->addr);
	free(a);
	return (NULL);
}

/*
 * Dials the first `allowed` addresses not avoided, but those in flight.
 * Caller holds mu.
 */
static int
uplink_dial_round(struct ferryd *d, struct uplink_race *race, int allowed)
{
	struct uplink_dial_arg	*a;
	pthread_t		 t;
	int			 i, n = node_hubs_naddrs(d), started = 0, slot = 0;

	for (i = 0; i < n && i < UPLINK_ADDRS_MAX; i++) {
		/* Avoided, unless it is the only hub there is. */
		if (n > 1 && race->avoid[i] > clock_ms())
			continue;
		if (slot++ >= allowed)
			break;
		if (race->pending[i])
			continue;
		if ((a = calloc(1, sizeof *a)) == NULL ||
		    (a->addr = node_hubs_addr(d, i)) == NULL) {
			free(a);
			continue;
		}
		a->race = race;
		a->i = i;
		race->pending[i] = 1;
		if (pthread_create(&t, NULL, uplink_dial_main, a) != 0) {
			race->pending[i] = 0;
			free(a->addr);
			free(a);
			continue;
		}
		pthread_detach(t);
		started++;
	}
	return (started);
}

/*
 * A connection to one of the hubs, whichever answers first: 0 and *fdp,
 * or the last failure once every address failed (hunting: once a round
 * of UPLINK_HUNT_MS passed without one).
 */
static int
uplink_dial(struct ferryd *d, struct uplink_race *race, int hunting,
    int *fdp, char **cause)
{
	struct timespec	 until;
	int64_t		 start = clock_ms(), end = start + (hunting ?
			    UPLINK_HUNT_MS : UPLINK_DIAL_MS + 500);
	int		 r = 0, i, inflight;

	pthread_mutex_lock(&race->mu);
	race->wanted = 1;
	race->failed = 0;
	while (race->fd == -1 && !d->stop && clock_ms() < end) {
		/*
		 * In order (hub, hub-standby, the list), each UPLINK_STAGGER_MS
		 * after the last or at once when one failed: the configured
		 * hub is preferred (a tap or a proxy in front of it), a dead
		 * one costs a quarter of a second.
		 */
		uplink_dial_round(d, race, 1 + race->failed + (int)((clock_ms() -
		    start) / UPLINK_STAGGER_MS));
		for (inflight = 0, i = 0; i < UPLINK_ADDRS_MAX; i++)
			inflight += race->pending[i];
		if (inflight == 0 && !hunting)
			break;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 100 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&race->cv, &race->mu, &until);
	}
	race->wanted = 0;
	if (race->fd != -1) {
		*fdp = race->fd;
		race->fd = -1;
		pthread_mutex_lock(&d->mu);
		free(d->uplink_addr);
		d->uplink_addr = race->addr;
		race->addr = NULL;	/* transferred */
		pthread_mutex_unlock(&d->mu);
	} else
		r = err_set(cause, FERRY_ERR_UNREACHABLE, "cannot reach the "
		    "hub: %s", race->why ? race->why : "no answer yet");
	pthread_mutex_unlock(&race->mu);
	return (r);
}

/* The address in use is not to be dialled for a while: it refused us. */
static void
uplink_avoid(struct ferryd *d, struct uplink_race *race)
{
	char	*now = uplink_address(d), *a;
	int	 i, n = node_hubs_naddrs(d);

	for (i = 0; now != NULL && i < n && i < UPLINK_ADDRS_MAX; i++) {
		if ((a = node_hubs_addr(d, i)) != NULL && strcmp(a, now) == 0) {
			pthread_mutex_lock(&race->mu);
			race->avoid[i] = clock_ms() + UPLINK_AVOID_MS;
			pthread_mutex_unlock(&race->mu);
		}
		free(a);
	}
	free(now);
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
	if (ask_answered(d, "hub", msg, &why) < 0)
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
			else if (op != NULL && strcmp(op, "compare") == 0)
				ferryd_enqueue(d, &d->uplink_outq,
				    node_compare(d, msg));
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
uplink_once(struct ferryd *d, int fd, char **cause)
{
	struct tls_conn	*c = NULL;
	json_t		*msg = NULL, *rep = NULL;
	const char	*err;
	json_int_t	 run;
	char		 fps[IDENTITY_FP_STRLEN + 1];
	int		 r;

	/*
	 * Any key in the handshake, then one of the pinned set or nothing
	 * at all is sent: the same as pinning one key, for a set of them.
	 */
	if ((r = tls_connect(fd, d->id, NULL, FERRYD_TIMEOUT_MS, &c,
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
	/*
	 * Where the shares lie here, which the hub translates with; the
	 * platform, which of its site's roots the hub gives it; and what
	 * runs here for the hub we knew (d->hub_run), which a new hub may
	 * take over (hub-adopt.c).
	 */
	msg = json_pack("{s:s, s:s, s:s?, s:o, s:s, s:o}", "op", "hello",
	    "name", d->conf.name ? d->conf.name : "", "address",
	    d->conf.public_addr, "roots", node_roots_report(d), "platform",
	    compat_platform(), "running", xfer_report(d));
	if (msg != NULL && d->hub_run != 0)
		json_object_set_new(msg, "run", json_integer(d->hub_run));
	/* It reports the files it receives (transfer.file, as receiver). */
	if (msg != NULL)
		json_object_set_new(msg, "commits", json_true());
	/* It answers the hub's "compare" (node-compare.c). */
	if (msg != NULL)
		json_object_set_new(msg, "compare", json_true());
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
	/*
	 * Not the hub we knew: what it had us run, it runs again, but for
	 * what it takes over ("adopt": those carry on).
	 */
	run = json_integer_value(json_object_get(rep, "run"));
	if (d->hub_run != 0 && run != 0 && run != d->hub_run)
		xfer_abort_all(d, json_is_array(json_object_get(rep, "adopt")) ?
		    json_object_get(rep, "adopt") : NULL, "a new hub run");
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

/*
 * No hub for UPLINK_ORPHAN_S: the transfers that went on without one
 * stop (no hub will take them over now; the next one queues them).
 */
static void
uplink_orphans(struct ferryd *d, int64_t lost_at, int *stopped)
{
	if (lost_at == 0 || *stopped || d->busy == 0 ||
	    clock_now() - lost_at < UPLINK_ORPHAN_S)
		return;
	*stopped = 1;
	xfer_abort_all(d, NULL, "no hub reached for a while");
}

static void *
uplink_main(void *arg)
{
	struct ferryd		*d = arg;
	static struct uplink_race race = { .mu = PTHREAD_MUTEX_INITIALIZER,
				    .cv = PTHREAD_COND_INITIALIZER, .fd = -1 };
	uint8_t			 hub_fp[IDENTITY_FP_LEN];
	char			*cause = NULL;
	int			 backoff = 1, i, fd = -1, stopped = 0;
	int64_t			 hunt_until = 0, lost_at = 0;

	race.source = ferryd_source(d);
	/* The enrolment's pin: node-hubs.c uses it until a list came. */
	if (identity_fp_parse(d->conf.hub_fp, hub_fp, &cause) != 0) {
		log_error("%s: hub-fingerprint: %s", CONF_NAME, cause);
		uplink_state(d, 0, cause);
		free(cause);
		return (NULL);
	}
	while (!d->stop) {
		int hunting = clock_now() < hunt_until, reached = 0;

		if (uplink_dial(d, &race, hunting, &fd, &cause) == 0) {
			reached = 1;
			if (uplink_once(d, fd, &cause) == 0 && d->stop)
				break;
		}
		/*
		 * A hub that answered and refused us (fenced, a standby's
		 * address taken by a stranger, a key not pinned here) is
		 * left alone a while, so that the race does not pick it
		 * again before the others.
		 */
		if (reached && !d->uplinked && !d->uplink_inactive) {
			uplink_avoid(d, &race);
			log_warnx("hub link: %s%s", cause ? cause : "refused",
			    node_hubs_naddrs(d) > 1 ? "; trying the other hubs" :
			    "");
		}
		/* One hub that refuses at once: not in a tight loop. */
		if (reached && !d->uplinked && node_hubs_naddrs(d) == 1)
			usleep(UPLINK_HUNT_MS * 1000);
		if (reached && !d->uplinked && !d->uplink_inactive &&
		    node_hubs_naddrs(d) > 1 && !hunting) {
			uplink_state(d, 0, cause);
			free(cause);
			cause = NULL;
			hunt_until = clock_now() + 2 * UPLINK_AVOID_MS / 1000;
			continue;
		}
		/* It was up, or a fenced hub sent us on: look everywhere. */
		if (d->uplinked || d->uplink_inactive) {
			if (d->uplink_inactive)
				uplink_avoid(d, &race);
			if (d->uplinked) {
				lost_at = clock_now();
				stopped = 0;
			}
			d->uplink_inactive = 0;
			backoff = 1;
			hunt_until = clock_now() + UPLINK_HUNT_S;
			uplink_state(d, 0, cause);
			log_warnx("hub link: %s; looking for the active hub",
			    cause ? cause : "lost");
			free(cause);
			cause = NULL;
			continue;
		}
		uplink_state(d, 0, cause);
		uplink_orphans(d, lost_at, &stopped);
		/* Hunting: the next round at once (it waited a round). */
		if (hunting) {
			free(cause);
			cause = NULL;
			continue;
		}
		log_warnx("hub link: %s; again in %d s", cause ? cause :
		    "lost", backoff);
		free(cause);
		cause = NULL;
		for (i = 0; i < backoff && !d->stop; i++)
			sleep(1);
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
