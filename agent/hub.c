/*
 * The hub's control port: agents connect here, either to enrol (a one-time
 * code, see enroll.h) or, already enrolled, to keep their control link.
 * One thread per connection, for as many as gate.c admits; the store and
 * the table of links are shared under d->mu.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "enroll.h"
#include "err.h"
#include "ferryd.h"
#include "hub-dispatch.h"
#include "hub-home.h"
#include "hub-roots.h"
#include "human.h"
#include "identity.h"
#include "link.h"
#include "log.h"
#include "proto.h"
#include "proto-check.h"
#include "share-map.h"
#include "store.h"
#include "tls.h"

/* An idle control link hears a ping every FERRYD_PING_S; allow three. */
#define HUB_FENCED_WHY	"this hub is not active: it cannot confirm its " \
	"lease on the database (the database, or the network to it, is " \
	"down); another hub may be active"
#define HUB_LINK_TIMEOUT_MS	(3 * FERRYD_PING_S * 1000)
#define HUB_HANDSHAKE_MS	10000	/* see also gate.c's deadline */
#define HUB_FIRST_MAX		16384	/* hello or enroll, before auth */
/*
 * Any later message of an enrolled agent. Not the frame layer's 1 MiB:
 * jansson's tree costs up to ~70 bytes per byte of "{},{},...", so 1 MiB
 * on each of a key's links held 300 MB (tests/security/control-size.sh).
 * A list page is cut to fit (node-xfer.c, XFER_PAGE_BYTES).
 */
#define HUB_LINK_MAX		(256 * 1024)
#define HUB_LINKS_PER_KEY	4	/* one agent's links at once */
/*
 * max-agent-messages: the control messages a second one link may send,
 * each a JSON parse and a hold of d->mu. The busiest honest agent sends
 * some 40 a second besides its transfers' per-file reports (which its
 * credit covers, hub-links.c): pings, progress once a second a
 * transfer, list pages, requests relayed from its machine. A burst of
 * HUB_MSG_BURST_S seconds' worth may come at once.
 */
#define HUB_MSG_RATE		500
#define HUB_MSG_BURST_S		10

/* A link's budget: a token bucket, in thousandths of a message. */
struct hub_budget {
	int64_t	tokens;
	int64_t	at;		/* clock_ms() when last filled */
	long	rate;		/* messages a second */
};

struct hub_conn {
	struct ferryd	*d;
	int		 fd;
	char		 peer[128];	/* the address it came from */
};

/* Collects every invite as an enrolment candidate. */
static int
hub_add_candidate(void *arg, int64_t id, const unsigned char *hash)
{
	struct buf		*b = arg;
	struct enroll_candidate	 c;

	c.id = id;
	memcpy(c.key, hash, ENROLL_KEY_LEN);
	return (buf_add(b, &c, sizeof c));
}

/* Answers an enrolment: checks the proof, records the agent, proves back. */
static void
hub_enroll(struct hub_conn *hc, struct tls_conn *c, const json_t *msg)
{
	struct ferryd		*d = hc->d;
	struct buf		 cands;
	struct store_agent	 a;
	char			*name = NULL, *cause = NULL, fp[64];
	json_t			*info;
	size_t			 which;
	int			 r;

	buf_init(&cands, 0);
	memset(&a, 0, sizeof a);
	pthread_mutex_lock(&d->mu);
	if (!gate_enroll_allowed(d, hc->peer))
		r = err_set(&cause, FERRY_ERR_DENIED, "too many failed "
		    "enrolments from %s: try again later", hc->peer);
	else
		r = store_invite_keys(d->store, hub_add_candidate, &cands,
		    &cause);
	pthread_mutex_unlock(&d->mu);
	if (r == 0)
		r = enroll_hub_check(c, msg, (const void *)cands.data,
		    cands.len / sizeof(struct enroll_candidate), &which, &name,
		    &cause);
	if (r == 0) {
		const struct enroll_candidate *cd =
		    (const void *)(cands.data + which * sizeof *cd);

		pthread_mutex_lock(&d->mu);
		r = store_enroll_hash(d->store, cd->key, name,
		    tls_peer_fp(c), NULL, clock_now(), &a, &cause);
		/* Every hub of the store, under the code's proof (issue 17). */
		info = r != 0 ? NULL : json_pack("{s:s, s:s?, s:s?, s:s, "
		    "s:O?}", "name", a.name, "site", a.site, "user", a.email,
		    "role", store_role_name(a.role), "hubs", d->hubs_told);
		pthread_mutex_unlock(&d->mu);
		if (r == 0)
			r = enroll_hub_accept(c, cd->key, info, &cause);
		json_decref(info);
	}
	identity_fp_format(tls_peer_fp(c), fp);
	if (r != 0) {
		log_warnx("enrolment from %s (key %s) refused: %s", hc->peer,
		    fp, cause ? cause : err_str(r));
		pthread_mutex_lock(&d->mu);
		if (r == FERRY_ERR_AUTH)
			gate_enroll_failed(d, hc->peer);
		audit_note_limited(d, hc->peer, "enroll.refused", json_pack(
		    "{s:s, s:s}", "key", fp, "why", cause ? cause :
		    err_str(r)));
		pthread_mutex_unlock(&d->mu);
		enroll_hub_refuse(c, cause ? cause : err_str(r));
	} else
		log_info("enrolled %s from %s, key %s", a.name, hc->peer, fp);
	/* A person's home folder, from the moment they are enrolled. */
	if (r == 0 && a.email != NULL)
		home_ensure(d, a.email);
	store_agent_clear(&a);
	buf_free(&cands);
	free(name);
	free(cause);
}

/* How many links agent fp has now. Caller holds d->mu. */
static int
hub_links_of(struct ferryd *d, const uint8_t *fp)
{
	struct hub_link	*l;
	int		 n = 0;

	for (l = d->hub_links; l != NULL; l = l->next)
		n += memcmp(l->fp, fp, sizeof l->fp) == 0;
	return (n);
}

/* Adds a link to the table that dispatch and status use. */
static struct hub_link *
hub_link_register(struct ferryd *d, const struct store_agent *a,
    const char *peer, char *pub, const char *platform)
{
	struct hub_link	*l;

	if ((l = calloc(1, sizeof *l)) == NULL ||
	    (l->name = strdup(a->name)) == NULL ||
	    ferryd_wake_open(l->wake) == -1) {
		if (l != NULL)
			free(l->name);
		free(l);
		free(pub);
		return (NULL);
	}
	l->site = a->site ? strdup(a->site) : NULL;
	l->user = a->email ? strdup(a->email) : NULL;
	l->pub = pub;	/* transferred */
	snprintf(l->addr, sizeof l->addr, "%s", peer);
	snprintf(l->platform, sizeof l->platform, "%s", platform);
	memcpy(l->fp, a->fingerprint, sizeof l->fp);
	l->since = clock_now();
	pthread_mutex_lock(&d->mu);
	l->gen = ++d->link_gen;
	l->next = d->hub_links;
	d->hub_links = l;
	pthread_mutex_unlock(&d->mu);
	return (l);
}

static void
hub_link_unregister(struct ferryd *d, struct hub_link *l)
{
	struct hub_link	**pp, *o;
	char		  fp[IDENTITY_FP_STRLEN + 1];

	pthread_mutex_lock(&d->mu);
	for (pp = &d->hub_links; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	}
	/*
	 * What it was asked goes unanswered: the asker (a send waiting for
	 * a listing page) hears so now, unless the agent is linked again
	 * by another link, which may still answer.
	 */
	for (o = d->hub_links; o != NULL; o = o->next)
		if (memcmp(o->fp, l->fp, sizeof o->fp) == 0)
			break;
	if (o == NULL) {
		identity_fp_format(l->fp, fp);
		ask_peer_gone(d, fp);
	}
	pthread_mutex_unlock(&d->mu);
	json_decref(l->outq);
	free(l->name);
	free(l->site);
	free(l->user);
	free(l->pub);
	close(l->wake[0]);
	close(l->wake[1]);
	free(l);
}

static void
hub_budget_init(struct hub_budget *b, long rate)
{
	b->rate = rate;
	b->tokens = (int64_t)rate * HUB_MSG_BURST_S * 1000;
	b->at = clock_ms();
}

/*
 * Whether one more message from l is within its budget (0) or not (-1):
 * what its transfers' files entitle it to first, then the bucket. No
 * lock: the link's own thread alone keeps b.
 */
static int
hub_budget_take(struct hub_budget *b, struct hub_link *l)
{
	int64_t	now = clock_ms(), c, cap;

	cap = (int64_t)b->rate * HUB_MSG_BURST_S * 1000;
	b->tokens += (now - b->at) * b->rate;
	if (b->tokens > cap)
		b->tokens = cap;
	b->at = now;
	c = atomic_load(&l->credit);
	while (c > 0)
		if (atomic_compare_exchange_weak(&l->credit, &c, c - 1))
			return (0);
	if (b->tokens < 1000)
		return (-1);
	b->tokens -= 1000;
	return (0);
}

/*
 * A link past its budget is cut: said in the log each time, and in the
 * audit trail once a minute an agent (a flooder reconnects).
 */
static int
hub_budget_cut(struct ferryd *d, const char *name, const char *peer,
    const struct hub_budget *b, char **cause)
{
	char	limit[64];

	snprintf(limit, sizeof limit, "max-agent-messages %ld", b->rate);
	log_warnx("cut %s's link from %s: more than %ld control messages a "
	    "second, a burst of %ld (%s)", name, peer, b->rate,
	    b->rate * HUB_MSG_BURST_S, limit);
	pthread_mutex_lock(&d->mu);
	audit_note_limited(d, name, "link.flood", json_pack("{s:s, s:s, "
	    "s:I}", "from", peer, "limit", limit, "burst",
	    (json_int_t)b->rate * HUB_MSG_BURST_S));
	pthread_mutex_unlock(&d->mu);
	return (err_set(cause, FERRY_ERR_TOOBIG, "more than %ld messages a "
	    "second (%s)", b->rate, limit));
}

/*
 * What an agent says on its control link: an answer to a question the hub
 * asked, a request relayed from its machine, or a word about a transfer.
 */
static void
hub_link_message(struct ferryd *d, struct hub_link *l, const json_t *msg)
{
	const char	*op = json_string_value(json_object_get(msg, "op"));
	const char	*why;
	char		 fp[IDENTITY_FP_STRLEN + 1];

	identity_fp_format(l->fp, fp);
	pthread_mutex_lock(&d->mu);
	if (json_object_get(msg, "re") != NULL) {
		/* Dropped unless it answers what this agent was asked. */
		if (ask_answered(d, fp, msg, &why) < 0)
			audit_note_limited(d, l->name, why, ask_why(msg));
	} else if (op != NULL && strcmp(op, "api") == 0)
		relay_from_agent(d, l, msg);
	else if (op != NULL && strncmp(op, "transfer.", 9) == 0)
		dispatch_message(d, l, op, msg);
	pthread_mutex_unlock(&d->mu);
}

/*
 * An enrolled agent's control link: hello, then messages both ways until
 * it goes. This thread alone uses the TLS connection.
 */
static void
hub_link(struct hub_conn *hc, struct tls_conn *c, const json_t *hello)
{
	struct ferryd		*d = hc->d;
	struct store_agent	 a;
	struct hub_link		*l;
	struct hub_budget	 budget;
	struct pollfd		 pfd[2];
	char			*cause = NULL, fp[64], *pub = NULL;
	char			*why = NULL;
	json_t			*msg = NULL, *rep;
	const char		*op, *platform;
	int64_t			 heard = clock_now();
	int			 r;

	identity_fp_format(tls_peer_fp(c), fp);
	/*
	 * Which of its site's roots the hub gives it (hub-links.c); an agent
	 * from before platforms were reported runs on Linux.
	 */
	if ((platform = json_string_value(json_object_get(hello,
	    "platform"))) == NULL)
		platform = "linux";
	pthread_mutex_lock(&d->mu);
	r = store_agent_by_fingerprint(d->store, tls_peer_fp(c), &a, &cause);
	if (r == 0 && (l = hub_link_named(d, a.name)) != NULL &&
	    memcmp(l->fp, a.fingerprint, sizeof l->fp) != 0) {
		/* From before names were unique: the first keeps it. */
		audit_note_limited(d, a.name, "link.name-taken", json_pack(
		    "{s:s}", "from", hc->peer));
		pthread_mutex_unlock(&d->mu);
		enroll_hub_refuse(c, "another agent of this name is linked");
		store_agent_clear(&a);
		return;
	}
	if (r == 0 && hub_links_of(d, tls_peer_fp(c)) >= HUB_LINKS_PER_KEY) {
		audit_note_limited(d, a.name, "link.limit", json_pack("{s:s, "
		    "s:i}", "from", hc->peer, "limit", HUB_LINKS_PER_KEY));
		pthread_mutex_unlock(&d->mu);
		enroll_hub_refuse(c, "this agent has too many links to the "
		    "hub already");
		store_agent_clear(&a);
		return;
	}
	if (r == 0 && !share_platform_known(platform)) {
		/*
		 * A lie among the three would only choose among its own
		 * site's roots (share-map-platform.c); anything else is no
		 * agent of ours, and is not guessed at.
		 */
		audit_note_limited(d, a.name, "hello.refused", json_pack(
		    "{s:s, s:s}", "from", hc->peer, "why", "unknown platform"));
		pthread_mutex_unlock(&d->mu);
		log_warnx("refused %s from %s: its hello names an unknown "
		    "platform", a.name, hc->peer);
		enroll_hub_refuse(c, "unknown platform: ferryd runs on linux, "
		    "windows or macos");
		store_agent_clear(&a);
		return;
	}
	if (r == 0) {
		pub = hub_agent_address(d, a.name, a.site, hc->peer,
		    json_object_get(hello, "address"));
		store_agent_seen(d->store, a.id, pub, clock_now(), NULL);
		/* For jobs planned while it is away (hub-links.c). */
		store_agent_set_platform(d->store, a.id, platform, NULL);
	}
	pthread_mutex_unlock(&d->mu);
	if (r != 0) {
		log_warnx("refused %s: key %s is not enrolled", hc->peer, fp);
		enroll_hub_refuse(c, "this agent's key is not enrolled here: "
		    "enrol it with 'ferryd enroll' and a code from "
		    "'ferry invite'");
		free(cause);
		return;
	}
	/*
	 * In the table before the welcome: an agent told it is linked may
	 * at once ask for what needs its link (a send that lists its files).
	 */
	l = hub_link_register(d, &a, hc->peer, pub, platform);
	/* Its roots before its jobs are dispatched (hub-roots.c). */
	roots_hello(d, a.name, a.site, a.email, hello);
	/* Every hub of the store, which the agent pins (hub-hubs.c). */
	pthread_mutex_lock(&d->mu);
	if (l != NULL) {
		l->commits = json_is_true(json_object_get(hello, "commits"));
		/* It answers "compare" (hub-compare.h); else never asked. */
		l->compare = json_is_true(json_object_get(hello, "compare"));
	}
	rep = json_pack("{s:s, s:s, s:s?, s:s?, s:I, s:O?, s:o}", "op",
	    "welcome", "name", a.name, "site", a.site, "user", a.email, "run",
	    (json_int_t)d->hub_run, "hubs", d->hubs_told, "adopt",
	    adopt_hello(d, l, hello));
	pthread_mutex_unlock(&d->mu);
	r = proto_send(c, rep, NULL);
	json_decref(rep);
	log_info("%s connected from %s", a.name, hc->peer);
	dispatch_wake(d);	/* jobs may have waited for this agent */
	hub_budget_init(&budget, conf_int(d->conf.max_agent_msgs,
	    HUB_MSG_RATE));
	pfd[0].fd = hc->fd;
	pfd[1].fd = l != NULL ? l->wake[0] : -1;
	pfd[0].events = pfd[1].events = POLLIN;
	while (r == 0 && l != NULL && !d->stop) {
		pfd[0].revents = pfd[1].revents = 0;
		if (!tls_pending(c) && poll(pfd, 2, 250) > 0 &&
		    (pfd[1].revents & POLLIN))
			ferryd_wake_drain(pfd[1].fd);
		if (tls_pending(c) || pfd[0].revents != 0) {
			if ((r = proto_recv_max(c, HUB_LINK_MAX, &msg,
			    &cause)) != 0)
				break;
			heard = clock_now();
			if (hub_budget_take(&budget, l) != 0) {
				r = hub_budget_cut(d, a.name, hc->peer,
				    &budget, &cause);
				json_decref(msg);
				msg = NULL;
				break;
			}
			op = json_string_value(json_object_get(msg, "op"));
			if (proto_check(msg, PROTO_TO_HUB, &why) != 0) {
				/* Dropped before anyone acts on it. */
				pthread_mutex_lock(&d->mu);
				audit_note_limited(d, a.name,
				    "message.refused", json_pack("{s:s}",
				    "why", why));
				pthread_mutex_unlock(&d->mu);
				free(why);
				why = NULL;
			} else if (op != NULL && strcmp(op, "ping") == 0) {
				rep = json_pack("{s:s}", "op", "pong");
				r = proto_send(c, rep, &cause);
				json_decref(rep);
			} else
				hub_link_message(d, l, msg);
			json_decref(msg);
			msg = NULL;
		}
		if (r == 0)
			r = ferryd_flush(d, &l->outq, c, &cause);
		/* Fenced (hub-lease.c): the agent goes to the other hub. */
		if (r == 0 && !lease_fresh(d))
			r = err_set(&cause, FERRY_ERR_UNREACHABLE, "%s",
			    HUB_FENCED_WHY);
		if (r == 0 && clock_now() - heard > HUB_LINK_TIMEOUT_MS / 1000)
			r = err_set(&cause, FERRY_ERR_TIMEOUT, "silent for "
			    "%d s", HUB_LINK_TIMEOUT_MS / 1000);
	}
	if (l != NULL)
		hub_link_unregister(d, l);
	log_info("%s disconnected: %s", a.name, cause ? cause : "closed");
	store_agent_clear(&a);
	free(cause);
}

/*
 * A fenced hub (hub-lease.c) says so, and that it is not the active hub
 * ("inactive"): an agent tries the next hub at once and without backing
 * off (node-uplink.c).
 */
static void
hub_refuse_fenced(struct tls_conn *c)
{
	json_t	*msg = json_pack("{s:s, s:b}", "error", HUB_FENCED_WHY,
		    "inactive", 1);

	if (msg != NULL)
		proto_send(c, msg, NULL);
	json_decref(msg);
}

static void *
hub_conn_main(void *arg)
{
	struct hub_conn	*hc = arg;
	struct tls_conn	*c = NULL;
	json_t		*msg = NULL;
	const char	*op;
	char		*cause = NULL;
	uint8_t		 first;

	/*
	 * A relay hello (hub-splice.c) or a TLS ClientHello, told apart by
	 * the first byte, peeked: the gate's deadline bounds the wait.
	 */
	if (recv(hc->fd, &first, 1, MSG_PEEK) == 1 &&
	    first == (uint8_t)LINK_RELAY_MAGIC[0]) {
		splice_serve(hc->d, hc, hc->fd, hc->peer);
		free(hc);
		return (NULL);
	}
	/*
	 * Any key may knock: enrolment comes first, or a pinned check. The
	 * first message is small, and the gate's deadline bounds it.
	 */
	if (tls_accept(hc->fd, hc->d->id, NULL, HUB_HANDSHAKE_MS, &c,
	    &cause) != 0 || proto_recv_max(c, HUB_FIRST_MAX, &msg,
	    &cause) != 0) {
		log_info("control connection from %s: %s", hc->peer,
		    cause ? cause : "failed");
		goto out;
	}
	/* The connection's timeouts now are the link's. */
	pthread_mutex_lock(&hc->d->mu);
	gate_done(hc->d, hc);
	pthread_mutex_unlock(&hc->d->mu);
	op = json_string_value(json_object_get(msg, "op"));
	if (!lease_fresh(hc->d))
		hub_refuse_fenced(c);
	else if (proto_check(msg, PROTO_FIRST, &cause) != 0) {
		pthread_mutex_lock(&hc->d->mu);
		audit_note_limited(hc->d, hc->peer, "message.refused",
		    json_pack("{s:s}", "why", cause));
		pthread_mutex_unlock(&hc->d->mu);
		enroll_hub_refuse(c, cause);
	} else if (op != NULL && strcmp(op, "enroll") == 0)
		hub_enroll(hc, c, msg);
	else if (op != NULL && strcmp(op, "hello") == 0)
		hub_link(hc, c, msg);
	else if (op != NULL && strcmp(op, "forward") == 0)
		forward_serve(hc->d, c, msg, hc->peer);
	else
		enroll_hub_refuse(c, "expected enroll or hello");
	tls_shutdown(c, NULL);
out:
	json_decref(msg);
	tls_free(c);
	/* Before the close: the sweep must never cut a reused fd. */
	pthread_mutex_lock(&hc->d->mu);
	gate_done(hc->d, hc);
	pthread_mutex_unlock(&hc->d->mu);
	close(hc->fd);
	free(cause);
	free(hc);
	return (NULL);
}

static void *
hub_accept_main(void *arg)
{
	struct ferryd		*d = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	struct hub_conn		*hc;
	struct pollfd		 pfd;
	pthread_t		 t;
	int			 fd, admit;

	pfd.fd = d->ctlfd;
	pfd.events = POLLIN;
	while (!d->stop) {
		pthread_mutex_lock(&d->mu);
		gate_sweep(d);
		pthread_mutex_unlock(&d->mu);
		if (poll(&pfd, 1, 500) <= 0)
			continue;
		len = sizeof ss;
		if ((fd = accept4(d->ctlfd, (struct sockaddr *)&ss, &len,
		    SOCK_CLOEXEC)) == -1)
			continue;
		if ((hc = calloc(1, sizeof *hc)) == NULL) {
			close(fd);
			continue;
		}
		hc->d = d;
		hc->fd = fd;
		getnameinfo((struct sockaddr *)&ss, len, hc->peer,
		    sizeof hc->peer, NULL, 0, NI_NUMERICHOST);
		pthread_mutex_lock(&d->mu);
		admit = gate_admit(d, hc, fd, hc->peer) == 0;
		pthread_mutex_unlock(&d->mu);
		if (!admit) {
			/* Refused before any thread, buffer or TLS. */
			close(fd);
			free(hc);
			continue;
		}
		link_nodelay(fd);
		if (pthread_create(&t, NULL, hub_conn_main, hc) != 0) {
			pthread_mutex_lock(&d->mu);
			gate_done(d, hc);
			pthread_mutex_unlock(&d->mu);
			close(fd);
			free(hc);
			continue;
		}
		pthread_detach(t);
	}
	return (NULL);
}

/* Binds the control port from the configuration. */
static int
hub_listen(struct ferryd *d, char **cause)
{
	struct addrinfo	 hints, *ai;
	char		*host = NULL, serv[16];
	int		 port, one = 1, fd, r;

	if ((r = conf_split_addr(d->conf.listen, CONF_CONTROL_PORT, &host,
	    &port, cause)) != 0)
		return (r);
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(serv, sizeof serv, "%d", port);
	if ((r = getaddrinfo(host, serv, &hints, &ai)) != 0) {
		r = err_set(cause, FERRY_ERR_INVAL, "listen %s: %s",
		    d->conf.listen, gai_strerror(r));
		free(host);
		return (r);
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd != -1)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd == -1 || bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, 64) == -1) {
		r = err_set(cause, FERRY_ERR_IO, "control port %s: %s",
		    d->conf.listen, strerror(errno));
		if (fd != -1)
			close(fd);
	} else
		d->ctlfd = fd;
	freeaddrinfo(ai);
	free(host);
	return (r);
}

int
hub_run(struct ferryd *d)
{
	pthread_t	 t;
	char		 db[4096], *cause = NULL;
	int		 r;

	snprintf(db, sizeof db, "%s/hub.db", d->state);
	if (d->conf.store != NULL)
		snprintf(db, sizeof db, "%s", d->conf.store);
	/*
	 * On PostgreSQL the standby waits here, before it opens its control
	 * port or touches the store (hub-lease.c).
	 */
	if (d->conf.store != NULL && lease_wait(d, db, d->conf.store_pwfile,
	    &d->stop) != 0)
		return (FERRYD_EXIT_FAILED);
	/* Only `ferryd init` makes a hub database; a bad one is refused. */
	if ((r = store_open_existing_with(db, d->conf.store_pwfile, &d->store,
	    &cause)) != 0 ||
	    (r = secret_open(d->state, d->store, identity_fp(d->id),
	    &cause)) != 0 ||
	    (r = hubs_register(d, &cause)) != 0 ||
	    (r = lease_start(d)) != 0 ||
	    (r = hub_listen(d, &cause)) != 0 ||
	    (r = hub_mail_start(d, &cause)) != 0) {
		log_error("%s", cause ? cause : err_str(r));
		free(cause);
		return (FERRYD_EXIT_FAILED);
	}
	/* Failed transfers come back after base, 2 base, 4 base... seconds. */
	if (d->conf.retry_base != NULL || d->conf.retry_limit != NULL)
		store_set_retry(d->store, conf_int(d->conf.retry_base, 30),
		    3600, (int)conf_int(d->conf.retry_limit, 5));
	d->stall_s = conf_int(d->conf.stall_timeout, 300);
	d->per_agent = (int)conf_int(d->conf.per_agent, 2);
	if (d->conf.relay_bwlimit != NULL) {
		uint64_t rate;

		if (human_parse_rate(d->conf.relay_bwlimit, &rate,
		    &cause) != 0) {
			log_error("relay-bwlimit: %s", cause);
			free(cause);
			return (FERRYD_EXIT_FAILED);
		}
		splice_set_rate(rate);
	}
	/*
	 * The dispatcher first: it sets this run (d->hub_run), which every
	 * welcome carries. An agent welcomed before it with no run would
	 * not stop its transfers of the last run, and they would race the
	 * new ones (tests/lab/hub-restart.sh: the file went twice).
	 */
	if (dispatch_start(d) != 0 ||
	    pthread_create(&t, NULL, hub_accept_main, d) != 0) {
		log_error("cannot start the hub's threads");
		return (FERRYD_EXIT_FAILED);
	}
	if (web_start(d, &cause) != 0) {
		log_error("%s", cause);
		free(cause);
		return (FERRYD_EXIT_FAILED);
	}
	log_info("hub %s listening on %s, key %s", d->conf.site,
	    d->conf.listen, d->fp);
	return (FERRYD_EXIT_OK);
}
