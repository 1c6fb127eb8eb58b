/*
 * An agent's part in transfers the hub sets up (docs/agent.md): send or
 * receive, by connecting to the peer's data port or by listening on our
 * public address for the peer's address only; the one-time token and the
 * peer's key come from the hub over our pinned link. A receiver takes
 * only the names the hub listed; a sender reports each file's fate. Also
 * the listing of our own files, for jobs that start here.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "expand.h"
#include "frames.h"
#include "partial.h"
#include "proto.h"
#include "tree.h"
#include "ferryd.h"
#include "hex.h"
#include "identity.h"
#include "link.h"
#include "log.h"
#include "nameset.h"
#include "transfer.h"

/* As many as the hub may ask (ferry send --streams, STORE_STREAMS_MAX). */
#define XFER_MAX_STREAMS	16

struct xfer {
	struct ferryd		*d;
	json_t			*msg;
	json_int_t		 id;
	volatile int		 abort;
	_Atomic uint64_t	 bwlimit;	/* transfer.rate changes it */
	struct transfer_list	 l;		/* what we send */
	struct xfer_expect	 expect;	/* what we may receive */
	time_t			 last_progress;
	int			 nsuspect;
	int			 streams;	/* the hub's transfer.start */
	_Atomic uint64_t	 bytes;		/* handled so far (sending) */
	json_t			*done;		/* indexes delivered; d->mu */
	size_t			 commit_next;	/* xfer_committed; d->mu */
	struct xfer		*next;
};

/* Transfers running here, for transfer.abort. Under d->mu. */
static struct xfer	*xfer_running;
/*
 * Reports of transfers that ended lately (XFER_ENDED_S), for the next
 * hub's welcome to take over (hub-adopt.c): their end may have reached
 * a hub that died before it recorded it, or no hub at all. Under d->mu.
 */
static json_t		*xfer_ended;
#define XFER_ENDED_S	120
#define XFER_ENDED_MAX	64

static void
xfer_tell_hub(struct xfer *x, json_t *msg)
{
	if (msg != NULL)
		ferryd_enqueue(x->d, &x->d->uplink_outq, msg);
}

static void
xfer_file_done(size_t i, int ok, const char *why, void *arg)
{
	struct xfer	*x = arg;

	if (ok) {
		pthread_mutex_lock(&x->d->mu);
		json_array_append_new(x->done, json_integer((json_int_t)i));
		pthread_mutex_unlock(&x->d->mu);
	}
	xfer_tell_hub(x, json_pack("{s:s, s:I, s:I, s:b, s:s?}", "op",
	    "transfer.file", "id", x->id, "index", (json_int_t)i, "ok", ok,
	    "error", ok ? NULL : why));
}

/*
 * A file in place here, as the receiver: said to the hub by its index in
 * the hub's "expect" (whose order is the transfer's), since the hub does
 * not take a person's machine's word that its files arrived.
 */
static void
xfer_committed(const char *rel, void *arg)
{
	struct xfer	*x = arg;
	const json_t	*expect = json_object_get(x->msg, "expect"), *v;
	size_t		 n = json_array_size(expect), k, i, start;

	/* In about the order offered: search on from the last one found. */
	pthread_mutex_lock(&x->d->mu);
	start = x->commit_next;
	pthread_mutex_unlock(&x->d->mu);
	for (k = 0; k < n; k++) {
		i = (start + k) % n;
		v = json_array_get(expect, i);
		if (json_is_string(v) && strcmp(json_string_value(v), rel) ==
		    0) {
			pthread_mutex_lock(&x->d->mu);
			x->commit_next = i + 1;
			json_array_append_new(x->done,
			    json_integer((json_int_t)i));
			pthread_mutex_unlock(&x->d->mu);
			xfer_tell_hub(x, json_pack("{s:s, s:I, s:I, s:b}",
			    "op", "transfer.file", "id", x->id, "index",
			    (json_int_t)i, "ok", 1));
			return;
		}
	}
}

/* The bytes of the file under way, once a second at most. */
static void
xfer_progress(const struct transfer_progress *p, void *arg)
{
	struct xfer	*x = arg;
	size_t		 i;

	atomic_store(&x->bytes, p->bytes_done);
	if (p->file == NULL || p->file_done >= p->file_total ||
	    time(NULL) == x->last_progress)
		return;
	for (i = 0; i < x->l.n; i++) {
		if (strcmp(x->l.v[i].rel, p->file) == 0) {
			x->last_progress = time(NULL);
			xfer_tell_hub(x, json_pack("{s:s, s:I, s:I, s:I}", "op",
			    "transfer.progress", "id", x->id, "index",
			    (json_int_t)i, "bytes", (json_int_t)p->file_done));
			break;
		}
	}
}

/*
 * What breaks the rules goes to the hub, for its audit trail: a refused
 * entry or basis, a mode stripped of setuid bits, a source behind a
 * symlink. A hostile peer could send thousands: the first few are enough.
 */
static void
xfer_suspect(const char *rel, const char *why, void *arg)
{
	struct xfer	*x = arg;

	if (x->nsuspect++ >= FERRYD_SUSPECT_MAX)
		return;
	xfer_tell_hub(x, json_pack("{s:s, s:I, s:s, s:s}", "op",
	    "transfer.suspect", "id", x->id, "path", rel, "why", why));
}

/* What the hub said we will receive: "expect" names, "bases" hints. */
static int
xfer_expect(const json_t *msg, struct xfer_expect *e)
{
	const json_t	 *expect = json_object_get(msg, "expect"), *v;
	const json_t	 *bases = json_object_get(msg, "bases");
	const char	**names, **hints;
	size_t		  i, n = json_array_size(expect);
	int		  r = FERRY_ERR_NOMEM;

	names = calloc(n + 1, sizeof *names);
	hints = calloc(n + 1, sizeof *hints);
	if (names != NULL && hints != NULL) {
		json_array_foreach(expect, i, v) {
			names[i] = json_string_value(v);
			if (names[i] != NULL)
				hints[i] = json_string_value(json_object_get(
				    bases, names[i]));
		}
		r = xfer_expect_build(e, names, hints, n);
	}
	free(names);
	free(hints);
	return (r);
}

/*
 * The files to send, as they are now. One that cannot be read stays in
 * the list (to keep the hub's numbering) and fails when its turn comes.
 */
static int
xfer_build_list(struct xfer *x, char **cause)
{
	const json_t		*files = json_object_get(x->msg, "files");
	const json_t		*f;
	struct transfer_file	*tf;
	struct stat		 sb;
	const char		*src, *rel, *basis, *below;
	size_t			 i;

	if (json_array_size(files) == 0 || x->l.root == NULL)
		return (err_set(cause, FERRY_ERR_PROTO, "transfer.start to send "
		    "without files or a root"));
	if ((x->l.v = calloc(json_array_size(files), sizeof *x->l.v)) == NULL)
		return (FERRY_ERR_NOMEM);
	x->l.cap = json_array_size(files);
	json_array_foreach(files, i, f) {
		src = json_string_value(json_object_get(f, "src"));
		rel = json_string_value(json_object_get(f, "rel"));
		basis = json_string_value(json_object_get(f, "basis"));
		if (src == NULL || rel == NULL)
			return (err_set(cause, FERRY_ERR_PROTO, "a file to send "
			    "without src or rel"));
		tf = &x->l.v[x->l.n++];
		tf->type = MSG_ENTRY_FILE;
		tf->src = strdup(src);
		tf->rel = strdup(rel);
		tf->basis = basis ? strdup(basis) : NULL;
		if (tf->src == NULL || tf->rel == NULL)
			return (FERRY_ERR_NOMEM);
		if ((below = transfer_src_rel(x->l.root, src)) != NULL &&
		    transfer_stat_source(x->l.root, below, &sb, NULL) == 0) {
			tf->mode = sb.st_mode & 07777;
			tf->size = (uint64_t)sb.st_size;
			tf->mtime_sec = sb.st_mtim.tv_sec;
			tf->mtime_nsec = (uint32_t)sb.st_mtim.tv_nsec;
		} else
			tf->mode = 0644;
	}
	return (0);
}

/*
 * Neither end can be reached: both connect out to the hub's relay (the
 * control port we link to) with the ticket the hub gave us, and then
 * run the pinned TLS with the peer as in a direct transfer, the
 * receiver in the listener's role ("relay_side": "accept").
 */
static int
xfer_relay(struct xfer *x, const struct link_params *p,
    struct tls_conn **conns, int *fds, char **cause)
{
	uint8_t		 ticket[LINK_RELAY_TICKET_LEN];
	const char	*side;
	char		*host = NULL, *hub;
	int		 port, r;

	side = json_string_value(json_object_get(x->msg, "relay_side"));
	if (side == NULL || (strcmp(side, "accept") != 0 &&
	    strcmp(side, "connect") != 0) || hex_decode(json_string_value(
	    json_object_get(x->msg, "relay")), ticket, sizeof ticket) != 0)
		return (err_set(cause, FERRY_ERR_PROTO, "a transfer.start "
		    "with a bad relay ticket or side"));
	log_info("transfer %jd: through the hub's relay, as TLS %s",
	    (intmax_t)x->id, strcmp(side, "accept") == 0 ? "server" :
	    "client");
	/* The relay is the hub the link is to now (hub-standby). */
	if ((hub = uplink_address(x->d)) == NULL)
		r = err_set(cause, FERRY_ERR_NOMEM, "out of memory");
	else if ((r = conf_split_addr(hub, CONF_CONTROL_PORT, &host,
	    &port, cause)) == 0)
		r = link_relay(host, port, ticket, strcmp(side, "accept") == 0,
		    p, conns, fds, cause);
	free(hub);
	explicit_bzero(ticket, sizeof ticket);
	free(host);
	return (r);
}

/* Opens the data connections: listens (and says where) or connects. */
static int
xfer_connect(struct xfer *x, const struct link_params *p,
    struct tls_conn **conns, int *fds, char **cause)
{
	struct link_listener	*lst = NULL;
	const char		*listen, *peer, *addr;
	char			*host = NULL;
	int			 port, r;

	if (json_object_get(x->msg, "relay") != NULL)
		return (xfer_relay(x, p, conns, fds, cause));
	listen = json_string_value(json_object_get(x->msg, "listen"));
	peer = json_string_value(json_object_get(x->msg, "peer_addr"));
	addr = json_string_value(json_object_get(x->msg, "connect"));
	if (listen != NULL && peer != NULL) {
		if ((r = link_listen(listen, LINK_PORT_FIRST, LINK_PORT_LAST,
		    peer, &lst, &port, cause)) != 0)
			return (r);
		xfer_tell_hub(x, json_pack("{s:s, s:I, s:i}", "op",
		    "transfer.listening", "id", x->id, "port", port));
		r = link_accept(lst, p, conns, fds, cause);
		link_listener_free(lst);
		return (r);
	}
	if (addr == NULL)
		return (err_set(cause, FERRY_ERR_PROTO, "a transfer.start "
		    "without an address to connect to or listen on"));
	if ((r = conf_split_addr(addr, 0, &host, &port, cause)) == 0)
		r = link_connect(host, port, p, conns, fds, cause);
	free(host);
	return (r);
}

/*
 * Before files arrive, the partial files older than partial-max-age in
 * the directories they go to are swept: an interrupted job's that no one
 * resumed. Each directory once.
 */
static void
xfer_sweep(struct ferryd *d, const char *root, const json_t *expect)
{
	struct partial_sweep	 ps = { root, conf_int(d->conf.partial_age,
				    PARTIAL_MAX_AGE), "" };
	const json_t		*e;
	size_t			 i;

	json_array_foreach(expect, i, e)
		partial_sweep_rel(&ps, json_string_value(e));
}

/* Does our part as x->msg says; returns 0 or an error with its cause. */
static int
xfer_run(struct xfer *x, struct transfer_stats *st, char **cause)
{
	struct ferryd		*d = x->d;
	const json_t		*msg = x->msg;
	struct link_params	 p;
	struct transfer_opts	 o;
	struct tls_conn		*conns[XFER_MAX_STREAMS];
	uint8_t			 fp[IDENTITY_FP_LEN], tok[LINK_TOKEN_LEN];
	const char		*role, *root, *peer_fp;
	int			 fds[XFER_MAX_STREAMS], sending, r;

	role = json_string_value(json_object_get(msg, "role"));
	sending = role != NULL && strcmp(role, "send") == 0;
	root = json_string_value(json_object_get(msg, "root"));
	memset(&p, 0, sizeof p);
	p.streams = (int)json_integer_value(json_object_get(msg, "streams"));
	p.timeout_ms = FERRYD_TIMEOUT_MS;
	p.source = ferryd_source(d);
	if (root == NULL || p.streams < 1 ||
	    p.streams > XFER_MAX_STREAMS || hex_decode(json_string_value(
	    json_object_get(msg, "token")), tok, sizeof tok) != 0)
		return (err_set(cause, FERRY_ERR_PROTO, "a transfer.start "
		    "without root, streams or token"));
	/* The peer's key, as the hub (whose key we pinned) vouches. */
	peer_fp = json_string_value(json_object_get(msg, "peer_fp"));
	if ((r = identity_fp_parse(peer_fp ? peer_fp : d->conf.hub_fp, fp,
	    cause)) != 0)
		return (r);
	if (sending && ((x->l.root = strdup(root)) == NULL ||
	    (r = xfer_build_list(x, cause)) != 0))
		return (x->l.root == NULL ? FERRY_ERR_NOMEM : r);
	p.id = d->id;
	p.peer_fp = fp;
	p.token = tok;
	if ((r = xfer_connect(x, &p, conns, fds, cause)) != 0)
		return (r);
	ferryd_streams_idle(conns, p.streams);
	memset(&o, 0, sizeof o);
	o.suspect = xfer_suspect;
	o.suspect_arg = x;
	/* How many streams a large file is striped across; 0: measure. */
	o.stripe = (int)json_integer_value(json_object_get(msg, "stripe"));
	if (o.stripe < 0 || o.stripe > p.streams)
		o.stripe = p.streams;
	x->streams = p.streams;
	if (sending) {
		o.file_done = xfer_file_done;
		o.file_done_arg = x;
		o.progress = xfer_progress;
		o.progress_arg = x;
		atomic_store(&x->bwlimit, (uint64_t)json_integer_value(
		    json_object_get(msg, "bwlimit")));
		o.bwlimit_live = &x->bwlimit;
		o.abort = &x->abort;
		r = transfer_send(conns, p.streams, &x->l, &o, st, cause);
	} else {
		if (json_is_array(json_object_get(msg, "expect")) &&
		    (r = xfer_expect(msg, &x->expect)) == 0) {
			o.accept = xfer_accept;
			o.accept_arg = &x->expect;
		}
		/* The hub takes this end's word, not the sender's. */
		if (json_is_true(json_object_get(msg, "report_files"))) {
			o.committed = xfer_committed;
			o.committed_arg = x;
		}
		/* receive-flush of ferryd.conf (cmd-run.c). */
		o.flush = d->recv_flush;
		o.recv_umask = d->recv_umask;
		if (r == 0) {
			/* This agent's own roots may not be there yet. */
			node_roots_make(d, root);
			xfer_sweep(d, root, json_object_get(msg, "expect"));
			/*
			 * A person's machine is judged by what arrives, not
			 * by its word (xfer-slow.c): the same flag as above.
			 */
			r = xfer_slow_receive(&d->conf, o.committed != NULL,
			    conns, fds, p.streams, root, &o, st, cause);
		}
		xfer_expect_clear(&x->expect);
	}
	link_close(conns, fds, p.streams);
	return (r);
}

/* x's report to a next hub (hub-adopt.c). Caller holds d->mu. */
static json_t *
xfer_report_one(struct xfer *x)
{
	const char	*role = json_string_value(json_object_get(x->msg,
			    "role"));

	/* A copy of done: the transfer's thread appends to it. */
	return (json_pack("{s:I, s:O?, s:s, s:O?, s:I, s:o}", "id", x->id,
	    "job", json_object_get(x->msg, "job"), "role", role != NULL &&
	    strcmp(role, "send") == 0 ? "send" : "recv", "peer_fp",
	    json_object_get(x->msg, "peer_fp"), "bytes",
	    (json_int_t)atomic_load(&x->bytes), "done",
	    json_deep_copy(x->done)));
}

/* Caller holds d->mu. */
static void
xfer_ended_add(struct xfer *x, int r, const char *cause)
{
	json_t	*e;

	if (xfer_ended == NULL && (xfer_ended = json_array()) == NULL)
		return;
	if ((e = xfer_report_one(x)) == NULL)
		return;
	json_object_set_new(e, "ended", json_true());
	json_object_set_new(e, "ok", json_boolean(r == 0));
	if (r != 0)
		json_object_set_new(e, "error", json_string(cause ? cause :
		    err_str(r)));
	json_object_set_new(e, "at", json_integer(clock_now()));
	while (json_array_size(xfer_ended) >= XFER_ENDED_MAX)
		json_array_remove(xfer_ended, 0);
	json_array_append_new(xfer_ended, e);
}

json_t *
xfer_report(struct ferryd *d)
{
	struct xfer	*x;
	json_t		*out = json_array(), *e, *copy;
	size_t		 i;

	if (out == NULL)
		return (NULL);
	pthread_mutex_lock(&d->mu);
	for (x = xfer_running; x != NULL; x = x->next) {
		if (!x->abort && x->done != NULL)
			json_array_append_new(out, xfer_report_one(x));
	}
	json_array_foreach(xfer_ended, i, e) {
		if (clock_now() - json_integer_value(json_object_get(e,
		    "at")) > XFER_ENDED_S ||
		    (copy = json_deep_copy(e)) == NULL)
			continue;
		json_object_del(copy, "at");
		json_array_append_new(out, copy);
	}
	pthread_mutex_unlock(&d->mu);
	return (out);
}

static void *
xfer_main(void *arg)
{
	struct xfer		*x = arg, **pp;
	struct ferryd		*d = x->d;
	struct transfer_stats	 st;
	const char		*role = json_string_value(json_object_get(
				    x->msg, "role"));
	char			*cause = NULL;
	int			 r;

	memset(&st, 0, sizeof st);
	r = xfer_run(x, &st, &cause);
	if (r != 0)
		log_warnx("transfer %jd: %s", (intmax_t)x->id, cause ? cause :
		    err_str(r));
	else if (role == NULL || strcmp(role, "send") != 0)
		/* A receiver's: how its files were made durable. */
		log_info("transfer %jd: %d streams, %ju file(s) striped, "
		    "%ju syncfs", (intmax_t)x->id, x->streams,
		    (uintmax_t)st.striped, (uintmax_t)st.fs_syncs);
	else
		log_info("transfer %jd: %d streams, %ju file(s) striped",
		    (intmax_t)x->id, x->streams, (uintmax_t)st.striped);
	xfer_tell_hub(x, json_pack("{s:s, s:I, s:b, s:s?, s:I, s:I, s:i, s:I}",
	    "op", "transfer.done", "id", x->id, "ok", r == 0, "error", r != 0 ?
	    (cause ? cause : err_str(r)) : NULL, "bytes",
	    (json_int_t)st.bytes, "wire_bytes", (json_int_t)st.wire_bytes,
	    "streams", x->streams, "striped", (json_int_t)st.striped));
	pthread_mutex_lock(&d->mu);
	for (pp = &xfer_running; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	}
	d->busy--;
	if (!x->abort)
		xfer_ended_add(x, r, cause);
	pthread_mutex_unlock(&d->mu);
	transfer_list_clear(&x->l);
	json_decref(x->done);
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
	x->done = json_array();
	x->id = json_integer_value(json_object_get(msg, "id"));
	pthread_mutex_lock(&d->mu);
	d->busy++;
	x->next = xfer_running;
	xfer_running = x;
	if (x->msg == NULL || x->done == NULL ||
	    pthread_create(&t, NULL, xfer_main, x) != 0) {
		xfer_running = x->next;
		d->busy--;
		pthread_mutex_unlock(&d->mu);
		json_decref(x->done);
		json_decref(x->msg);
		free(x);
		return;
	}
	pthread_mutex_unlock(&d->mu);
	pthread_detach(t);
}

void
xfer_abort(struct ferryd *d, const json_t *msg)
{
	struct xfer	*x;
	json_int_t	 id = json_integer_value(json_object_get(msg, "id"));

	pthread_mutex_lock(&d->mu);
	for (x = xfer_running; x != NULL; x = x->next) {
		if (x->id == id)
			x->abort = 1;
	}
	pthread_mutex_unlock(&d->mu);
}

/*
 * transfer.rate: the hub's new cap for a transfer we send (a transfer
 * window's edge, or an admin's change), from the next frame on.
 */
void
xfer_rate(struct ferryd *d, const json_t *msg)
{
	struct xfer	*x;
	json_int_t	 id = json_integer_value(json_object_get(msg, "id"));
	json_int_t	 bw = json_integer_value(json_object_get(msg,
			    "bwlimit"));

	pthread_mutex_lock(&d->mu);
	for (x = xfer_running; x != NULL; x = x->next) {
		if (x->id == id && bw >= 0)
			atomic_store(&x->bwlimit, (uint64_t)bw);
	}
	pthread_mutex_unlock(&d->mu);
}

/*
 * The hub restarted (another run's welcome): it has queued again what
 * its last life left running, and will start it anew. Transfers begun
 * for that life must stop, and be gone, before the new ones start, or
 * two would write one partial file (docs/lab.md). Waits 30 s at most:
 * a transfer notices its abort flag between frames.
 */
/* Whether id is in keep, the hub's list of transfers that carry on. */
static int
xfer_kept(const json_t *keep, json_int_t id)
{
	const json_t	*v;
	size_t		 i;

	json_array_foreach(keep, i, v) {
		if (json_is_integer(v) && json_integer_value(v) == id)
			return (1);
	}
	return (0);
}

void
xfer_abort_all(struct ferryd *d, const json_t *keep, const char *why)
{
	struct xfer	*x;
	int		 n = 0, i, left;

	pthread_mutex_lock(&d->mu);
	for (x = xfer_running; x != NULL; x = x->next) {
		if (!xfer_kept(keep, x->id)) {
			x->abort = 1;
			n++;
		}
	}
	/* Reported to the hub that took over (or not): done with. */
	json_array_clear(xfer_ended);
	pthread_mutex_unlock(&d->mu);
	if (json_array_size(keep) > 0)
		log_info("%zu transfer(s) carry on under the new hub",
		    json_array_size(keep));
	if (n == 0)
		return;
	log_info("%s: stopping %d transfer(s) of its last run; it queues them "
	    "again", why, n);
	for (i = 0; i < 600; i++) {
		pthread_mutex_lock(&d->mu);
		for (left = 0, x = xfer_running; x != NULL; x = x->next)
			left += x->abort;
		pthread_mutex_unlock(&d->mu);
		if (left == 0)
			return;
		usleep(50000);
	}
	log_warnx("transfers of the hub's last run still running after 30 s");
}

/*
 * A listing, sent a page at a time when the hub asks so ("page"), and a
 * page cut short at about XFER_PAGE_BYTES of JSON, well below what the
 * hub takes in one message (hub.c, HUB_LINK_MAX): long paths add up.
 */
#define XFER_PAGE_BYTES	(128 * 1024)
struct xfer_listing {
	json_t		*files;
	size_t		 bytes;	/* about, of the page so far */
	const json_t	*re;
	struct tls_conn	*c;	/* the uplink; NULL: one answer */
	size_t		 page;
	char		**cause;
};

static int
xfer_list_add(const char *path, const struct stat *sb, void *arg)
{
	struct xfer_listing	*l = arg;
	json_t			*m;
	int			 r;

	if ((m = json_pack("{s:s, s:I}", "path", path, "size",
	    (json_int_t)sb->st_size)) == NULL)
		return (FERRY_ERR_NOMEM);
	/* Its JSON's exact length, escapes and all, and a comma. */
	l->bytes += json_dumpb(m, NULL, 0, JSON_COMPACT) + 1;
	if (json_array_append_new(l->files, m) != 0)
		return (FERRY_ERR_NOMEM);
	if (l->c == NULL || l->page == 0 || (json_array_size(l->files) <
	    l->page && l->bytes < XFER_PAGE_BYTES))
		return (0);
	/* This thread owns the uplink: a page goes out now, in order. */
	m = json_pack("{s:O, s:O, s:b}", "re", l->re, "files", l->files,
	    "more", 1);
	r = m != NULL ? proto_send(l->c, m, l->cause) : FERRY_ERR_NOMEM;
	json_decref(m);
	json_array_clear(l->files);
	l->bytes = 0;
	return (r);
}

/*
 * The hub's "list": each path below the share root the hub names for it,
 * as the hub expands its own (expand.h). A refusal says so ("denied"), for
 * the hub's audit trail.
 */
json_t *
xfer_list(struct ferryd *d, const json_t *msg, struct tls_conn *c)
{
	struct xfer_listing	 l;
	json_t		*files = json_array(), *p;
	const char	*root, *rel;
	char		*cause = NULL, *path = NULL;
	size_t		 i;
	int		 r = 0, skip = json_is_true(json_object_get(msg,
			    "skip_missing"));

	(void)d;
	l.files = files;
	l.bytes = 0;
	l.re = json_object_get(msg, "req");
	l.c = c;
	l.page = (size_t)json_integer_value(json_object_get(msg, "page"));
	l.cause = &cause;
	json_array_foreach(json_object_get(msg, "paths"), i, p) {
		root = json_string_value(json_array_get(json_object_get(msg,
		    "roots"), i));
		if (r == 0 && (!json_is_string(p) || root == NULL))
			r = err_set(&cause, FERRY_ERR_PROTO, "a path to list "
			    "without its share root");
		if (r == 0)
			r = frames_check(json_string_value(p), skip, &path,
			    &cause);
		if (r == 0 && (rel = transfer_src_rel(root, path)) == NULL)
			r = err_set(&cause, FERRY_ERR_PROTO, "%s: not below "
			    "%s", path, root);
		if (r == 0)
			r = expand_path(root, rel, xfer_list_add, &l,
			    &cause);
		free(path);
		path = NULL;
	}
	p = json_pack("{s:O?, s:o, s:s?, s:b}", "re", json_object_get(msg,
	    "req"), "files", r == 0 ? files : json_array(), "error", r != 0 ?
	    (cause ? cause : err_str(r)) : NULL, "denied",
	    r == FERRY_ERR_DENIED);
	if (r != 0)
		json_decref(files);
	free(cause);
	return (p);
}
