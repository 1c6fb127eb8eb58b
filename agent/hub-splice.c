/*
 * The relay through the hub (docs/agent.md, "Who listens"): when neither
 * agent of a transfer can be reached, both connect out to the hub's
 * control port and open each connection with a relay hello in the clear
 * (transfer/link.h: a magic and a ticket) instead of a TLS ClientHello.
 * The hub joins one connection of the sender with one of the receiver
 * and passes bytes both ways, unread, with splice(2). The two agents run
 * their own pinned TLS 1.3 over it: the hub sees ciphertext only.
 *
 * A ticket is 32 random bytes, one per side of a transfer, given to that
 * agent alone over its pinned control link, and good for as many
 * connections as the transfer has streams, from the address that agent's
 * control link comes from. A stranger with a stolen ticket elsewhere is
 * turned away before anything is joined; one at the agent's own address
 * could at most take a slot, and then fails the two agents' pinned TLS:
 * it never reads or writes the data.
 *
 * Bounds: the gate (hub-gate.c) admits the connection as for any other
 * and cuts it if the hello is not there within its deadline; then at
 * most SPLICE_PENDING_MAX connections wait to be joined, in all, and
 * SPLICE_PENDING_AGENT of one agent, each SPLICE_PAIR_MS at most; at most
 * SPLICE_PAIRS_MAX pairs run at once; relay-bwlimit caps the bytes
 * relayed, all pairs together. The table is under splice_mu, never held
 * with d->mu.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "clock.h"
#include "ferryd.h"
#include "link.h"
#include "log.h"

#define SPLICE_PAIR_MS		15000	/* one end waits for the other */
#define SPLICE_PENDING_MAX	64	/* waiting to be joined, in all */
#define SPLICE_PENDING_AGENT	8	/* the same, one agent's */
#define SPLICE_PAIRS_MAX	64	/* joined pairs at once */
#define SPLICE_CHUNK		(1 << 20)	/* a pipe's bytes at most */
#define SPLICE_STREAMS_MAX	8

struct splice_wait {
	int			 fd;
	int			 joined;	/* its partner took the fd */
	struct splice_wait	*next;
};

struct splice_side {
	uint8_t			 ticket[LINK_RELAY_TICKET_LEN];
	char			 addr[128];	/* where its link comes from */
	char			 name[128];
	int			 used;		/* connections presented */
	struct splice_wait	*waiting;	/* oldest first */
};

struct splice_xfer {
	int64_t			 id;
	int			 streams;
	struct splice_side	 side[2];
	int			 live[2 * SPLICE_STREAMS_MAX];
	int			 nlive;
	int			 closed;
	int			 refs;		/* threads, and the dispatcher */
	uint64_t		 bytes;
	struct splice_xfer	*next;
};

static pthread_mutex_t	 splice_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 splice_cv = PTHREAD_COND_INITIALIZER;
static struct splice_xfer *splice_table;
static int		 splice_pending, splice_pairs;
static uint64_t		 splice_total;	/* bytes relayed since start */
static uint64_t		 splice_rate;	/* bytes/s, all pairs; 0: none */
static double		 splice_tokens;
static int64_t		 splice_at_ms;

void
splice_set_rate(uint64_t bytes_per_s)
{
	pthread_mutex_lock(&splice_mu);
	splice_rate = bytes_per_s;
	splice_tokens = 0;
	splice_at_ms = clock_ms();
	pthread_mutex_unlock(&splice_mu);
}

void
splice_stats(uint64_t *bytes, int *pairs, int *pending)
{
	pthread_mutex_lock(&splice_mu);
	*bytes = splice_total;
	*pairs = splice_pairs;
	*pending = splice_pending;
	pthread_mutex_unlock(&splice_mu);
}

int
splice_open(int64_t id, int streams, const uint8_t *tickets,
    const char *const *addrs, const char *const *names,
    struct splice_xfer **out)
{
	struct splice_xfer	*sx;
	int			 i;

	if (streams < 1 || streams > SPLICE_STREAMS_MAX ||
	    (sx = calloc(1, sizeof *sx)) == NULL)
		return (-1);
	sx->id = id;
	sx->streams = streams;
	sx->refs = 1;
	for (i = 0; i < 2; i++) {
		memcpy(sx->side[i].ticket, tickets + i * LINK_RELAY_TICKET_LEN,
		    LINK_RELAY_TICKET_LEN);
		snprintf(sx->side[i].addr, sizeof sx->side[i].addr, "%s",
		    addrs[i]);
		snprintf(sx->side[i].name, sizeof sx->side[i].name, "%s",
		    names[i]);
	}
	pthread_mutex_lock(&splice_mu);
	sx->next = splice_table;
	splice_table = sx;
	pthread_mutex_unlock(&splice_mu);
	*out = sx;
	return (0);
}

/* Drops a reference; the last one frees. Caller holds splice_mu. */
static void
splice_unref(struct splice_xfer *sx)
{
	if (--sx->refs == 0) {
		explicit_bzero(sx, sizeof *sx);
		free(sx);
	}
}

uint64_t
splice_close(struct splice_xfer *sx)
{
	struct splice_xfer	**pp;
	struct timespec		  until;
	uint64_t		  bytes;
	int			  i;

	if (sx == NULL)
		return (0);
	pthread_mutex_lock(&splice_mu);
	for (pp = &splice_table; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == sx) {
			*pp = sx->next;
			break;
		}
	}
	/* The tickets are dead; what is joined ends with the transfer. */
	sx->closed = 1;
	for (i = 0; i < sx->nlive; i++)
		shutdown(sx->live[i], SHUT_RDWR);
	pthread_cond_broadcast(&splice_cv);
	/*
	 * A pair's bytes are counted when its pump ends, which the shutdown
	 * makes happen at once: wait for it (a few seconds at most), or
	 * they would go to the total but never to the job (a job relayed
	 * 25 MiB showed relayed_bytes 0 in the lab).
	 */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	while (sx->nlive > 0 && pthread_cond_timedwait(&splice_cv,
	    &splice_mu, &until) == 0)
		;
	bytes = sx->bytes;
	splice_unref(sx);
	pthread_mutex_unlock(&splice_mu);
	return (bytes);
}

/*
 * The transfer and side whose ticket this is, if it may present one more
 * connection now; else NULL and *why. Caller holds splice_mu.
 */
static struct splice_xfer *
splice_find(const uint8_t *ticket, const char *peer, int *side,
    const char **why)
{
	struct splice_xfer	*sx, *found = NULL;
	struct splice_wait	*w;
	int			 i, pend = 0;

	for (sx = splice_table; sx != NULL; sx = sx->next) {
		for (i = 0; i < 2; i++) {
			if (CRYPTO_memcmp(sx->side[i].ticket, ticket,
			    LINK_RELAY_TICKET_LEN) == 0) {
				found = sx;
				*side = i;
			}
		}
	}
	if ((sx = found) == NULL) {
		*why = "no transfer has this ticket";
		return (NULL);
	}
	if (strcmp(sx->side[*side].addr, peer) != 0) {
		*why = "a ticket presented from another address than its "
		    "agent's";
		return (NULL);
	}
	if (sx->side[*side].used >= sx->streams) {
		*why = "a ticket presented more times than the transfer has "
		    "streams";
		return (NULL);
	}
	for (found = splice_table; found != NULL; found = found->next) {
		for (i = 0; i < 2; i++) {
			if (strcmp(found->side[i].name,
			    sx->side[*side].name) != 0)
				continue;
			for (w = found->side[i].waiting; w; w = w->next)
				pend++;
		}
	}
	if (splice_pending >= SPLICE_PENDING_MAX ||
	    pend >= SPLICE_PENDING_AGENT) {
		*why = "too many relay connections waiting";
		return (NULL);
	}
	return (sx);
}

/*
 * Bytes a pump may move now, at most want: 0 when the cap says wait, for
 * *wait_ms. What it does not use it gives back with splice_refund.
 */
static size_t
splice_allow(size_t want, int *wait_ms)
{
	double	burst, need;
	int64_t	now;
	size_t	n = want;

	pthread_mutex_lock(&splice_mu);
	if (splice_rate > 0) {
		now = clock_ms();
		burst = splice_rate / 8.0 > 65536 ? splice_rate / 8.0 : 65536;
		splice_tokens += (double)(now - splice_at_ms) * splice_rate /
		    1000;
		if (splice_tokens > burst)
			splice_tokens = burst;
		splice_at_ms = now;
		/* Not byte by byte: 16 KiB (a TLS record) at least. */
		need = want < 16384 ? (double)want : 16384;
		if (splice_tokens < need) {
			int ms = (int)((need - splice_tokens) * 1000 /
			    splice_rate) + 1;

			n = 0;
			if (ms < *wait_ms)
				*wait_ms = ms;
		} else if ((double)n > splice_tokens)
			n = (size_t)splice_tokens;
		splice_tokens -= (double)n;
	}
	pthread_mutex_unlock(&splice_mu);
	return (n);
}

static void
splice_refund(size_t n)
{
	pthread_mutex_lock(&splice_mu);
	if (splice_rate > 0)
		splice_tokens += (double)n;
	pthread_mutex_unlock(&splice_mu);
}

/* One direction of a pair: src -> pipe -> dst. */
struct splice_dir {
	int	src, dst, p[2];
	size_t	inpipe, cap;	/* bytes in the pipe, and its size */
	int	eof, done;
	int	starved;	/* the cap said wait: do not poll src */
};

/* Moves what it can without blocking; -1 when the pair is broken. */
static int
splice_move(struct splice_dir *dr, uint64_t *moved, int *wait_ms)
{
	ssize_t	n;
	size_t	want;

	dr->starved = 0;
	if (!dr->eof && dr->inpipe < dr->cap) {
		want = splice_allow(dr->cap - dr->inpipe, wait_ms);
		dr->starved = want == 0;
		n = want == 0 ? -1 : splice(dr->src, NULL, dr->p[1], NULL,
		    want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (want > 0)
			splice_refund(n > 0 ? want - (size_t)n : want);
		if (n == 0)
			dr->eof = 1;
		else if (n > 0)
			dr->inpipe += (size_t)n;
		else if (want > 0 && errno != EAGAIN && errno != EINTR)
			return (-1);
	}
	if (dr->inpipe > 0) {
		n = splice(dr->p[0], NULL, dr->dst, NULL, dr->inpipe,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			dr->inpipe -= (size_t)n;
			*moved += (uint64_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR)
			return (-1);
	}
	if (dr->eof && dr->inpipe == 0 && !dr->done) {
		/* Half a close passes on: TLS's close_notify, then FIN. */
		shutdown(dr->dst, SHUT_WR);
		dr->done = 1;
	}
	return (0);
}

/* Passes bytes between a and b until both ends close or one breaks. */
static uint64_t
splice_pump(int a, int b)
{
	struct splice_dir	dir[2];
	struct pollfd		pfd[2];
	uint64_t		moved = 0;
	int			i, wait_ms, broken = 0;

	memset(dir, 0, sizeof dir);
	dir[0].src = dir[1].dst = a;
	dir[0].dst = dir[1].src = b;
	for (i = 0; i < 2; i++) {
		if (pipe2(dir[i].p, O_CLOEXEC | O_NONBLOCK) == -1) {
			if (i == 1)
				close(dir[0].p[0]), close(dir[0].p[1]);
			return (0);
		}
		/* A bigger pipe where the system allows it: fewer calls. */
		fcntl(dir[i].p[1], F_SETPIPE_SZ, SPLICE_CHUNK);
		dir[i].cap = (size_t)fcntl(dir[i].p[1], F_GETPIPE_SZ);
		if ((ssize_t)dir[i].cap <= 0)
			dir[i].cap = 65536;
	}
	fcntl(a, F_SETFL, fcntl(a, F_GETFL) | O_NONBLOCK);
	fcntl(b, F_SETFL, fcntl(b, F_GETFL) | O_NONBLOCK);
	while (!broken && !(dir[0].done && dir[1].done)) {
		wait_ms = 1000;
		for (i = 0; i < 2 && !broken; i++)
			broken = splice_move(&dir[i], &moved, &wait_ms) != 0;
		pfd[0].fd = a;
		pfd[1].fd = b;
		pfd[0].events = pfd[1].events = 0;
		for (i = 0; i < 2; i++) {
			if (!dir[i].eof && !dir[i].starved &&
			    dir[i].inpipe < dir[i].cap)
				pfd[i].events |= POLLIN;
			if (dir[i].inpipe > 0)
				pfd[1 - i].events |= POLLOUT;
		}
		if (!broken && !(dir[0].done && dir[1].done))
			poll(pfd, 2, wait_ms);
	}
	for (i = 0; i < 2; i++) {
		close(dir[i].p[0]);
		close(dir[i].p[1]);
	}
	return (moved);
}

/* Joins fd with other and pumps; then closes both. */
static void
splice_join(struct splice_xfer *sx, int fd, int other)
{
	const uint8_t	ok = LINK_RELAY_PAIRED;
	uint64_t	moved = 0;
	int		i;

	if (write(fd, &ok, 1) == 1 && write(other, &ok, 1) == 1)
		moved = splice_pump(fd, other);
	pthread_mutex_lock(&splice_mu);
	for (i = 0; i < sx->nlive; i++) {
		if (sx->live[i] == fd || sx->live[i] == other)
			sx->live[i--] = sx->live[--sx->nlive];
	}
	sx->bytes += moved;
	splice_total += moved;
	splice_pairs--;
	pthread_cond_broadcast(&splice_cv);	/* splice_close may wait */
	splice_unref(sx);
	pthread_mutex_unlock(&splice_mu);
	close(fd);
	close(other);
}

/*
 * Waits for the other end's connection (SPLICE_PAIR_MS at most), or
 * joins one that waits. Caller holds splice_mu, which this releases.
 */
static void
splice_pair(struct splice_xfer *sx, int side, int fd)
{
	struct splice_side	*other = &sx->side[1 - side];
	struct splice_wait	 me, *w, **pp;
	struct timespec		 until;

	if ((w = other->waiting) != NULL && splice_pairs >= SPLICE_PAIRS_MAX) {
		log_warnx("relay for transfer %jd: %d pairs run already",
		    (intmax_t)sx->id, SPLICE_PAIRS_MAX);
		splice_unref(sx);
		pthread_mutex_unlock(&splice_mu);
		close(fd);
		return;
	}
	if (w != NULL) {
		/* w lives on its thread's stack: take what we need now. */
		int wfd = w->fd;

		other->waiting = w->next;
		splice_pending--;
		w->joined = 1;
		splice_pairs++;
		sx->live[sx->nlive++] = fd;
		sx->live[sx->nlive++] = wfd;
		pthread_cond_broadcast(&splice_cv);
		pthread_mutex_unlock(&splice_mu);
		splice_join(sx, fd, wfd);
		return;
	}
	memset(&me, 0, sizeof me);
	me.fd = fd;
	for (pp = &sx->side[side].waiting; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = &me;
	splice_pending++;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += SPLICE_PAIR_MS / 1000;
	while (!me.joined && !sx->closed &&
	    pthread_cond_timedwait(&splice_cv, &splice_mu, &until) == 0)
		;
	if (!me.joined) {
		const uint8_t alone = LINK_RELAY_ALONE;

		for (pp = &sx->side[side].waiting; *pp != NULL;
		    pp = &(*pp)->next) {
			if (*pp == &me) {
				*pp = me.next;
				break;
			}
		}
		splice_pending--;
		log_info("relay for transfer %jd: %s's connection was not "
		    "joined%s", (intmax_t)sx->id, sx->side[side].name,
		    sx->closed ? " before the transfer ended" : " in time");
		splice_unref(sx);
		pthread_mutex_unlock(&splice_mu);
		/* Its ticket was good: it may know why it waited in vain. */
		if (write(fd, &alone, 1) != 1)
			log_debug("relay: %s", strerror(errno));
		close(fd);
		return;
	}
	/* The thread that joined us owns the fd now, and holds sx. */
	splice_unref(sx);
	pthread_mutex_unlock(&splice_mu);
}

/* Reads exactly n bytes (the gate's deadline cuts a peer that dawdles). */
static int
splice_read(int fd, uint8_t *buf, size_t n)
{
	ssize_t	got;
	size_t	off = 0;

	while (off < n) {
		got = read(fd, buf + off, n - off);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0)
			return (-1);
		off += (size_t)got;
	}
	return (0);
}

void
splice_serve(struct ferryd *d, const void *key, int fd, const char *peer)
{
	struct splice_xfer	*sx = NULL;
	uint8_t			 hello[LINK_RELAY_HELLO_LEN];
	const char		*why = "no relay hello";
	int			 side = 0;

	if (splice_read(fd, hello, sizeof hello) == 0 &&
	    memcmp(hello, LINK_RELAY_MAGIC, LINK_RELAY_MAGIC_LEN) == 0) {
		pthread_mutex_lock(&splice_mu);
		if ((sx = splice_find(hello + LINK_RELAY_MAGIC_LEN, peer,
		    &side, &why)) != NULL) {
			sx->side[side].used++;
			sx->refs++;
		}
		pthread_mutex_unlock(&splice_mu);
	}
	explicit_bzero(hello, sizeof hello);
	/* Admitted or refused, it no longer waits for authentication. */
	pthread_mutex_lock(&d->mu);
	gate_done(d, key);
	if (sx == NULL)
		audit_note_limited(d, peer, "relay.refused", json_pack("{s:s}",
		    "why", why));
	pthread_mutex_unlock(&d->mu);
	if (sx == NULL) {
		/* A stranger learns nothing: no answer, not even which. */
		log_warnx("relay connection from %s refused: %s", peer, why);
		close(fd);
		return;
	}
	pthread_mutex_lock(&splice_mu);
	splice_pair(sx, side, fd);
}
