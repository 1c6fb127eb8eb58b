#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "err.h"
#include "frame.h"
#include "link.h"
#include "progress-int.h"
#include "tls.h"

struct link_listener {
	int			 fd;
	struct sockaddr_storage	 peer;	/* the only address let in */
	socklen_t		 peerlen;
};

/* Resolves a numeric address (IPv4 or IPv6) with an optional port. */
static int
link_resolve(const char *host, int port, int passive,
    struct addrinfo **res, char **cause)
{
	struct addrinfo	hints;
	char		serv[16];
	int		e;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	snprintf(serv, sizeof serv, "%d", port);
	if ((e = getaddrinfo(host, serv, &hints, res)) != 0)
		return (err_set(cause, FERRY_ERR_INVAL, "%s: %s", host,
		    gai_strerror(e)));
	return (0);
}

/* Whether two socket addresses name the same host (ports ignored). */
static int
link_same_host(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	const struct sockaddr_in	*a4 = (const void *)a;
	const struct sockaddr_in	*b4 = (const void *)b;
	const struct sockaddr_in6	*a6 = (const void *)a;
	const struct sockaddr_in6	*b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return (0);
	if (a->ss_family == AF_INET)
		return (a4->sin_addr.s_addr == b4->sin_addr.s_addr);
	if (a->ss_family == AF_INET6)
		return (memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof a6->sin6_addr) == 0);
	return (0);
}

/*
 * Binds fd to ai's address or, when that address is not one of this
 * host's (EADDRNOTAVAIL: an agent behind a NAT box that forwards its
 * public address's ports, docs/lab.md), to the same port on every address
 * of the family: the NAT delivers the peer's connections there, and for a
 * listener the peer check still lets in only the one peer.
 */
static int
link_bind(int fd, const struct addrinfo *ai)
{
	struct sockaddr_storage	 any;
	struct sockaddr_in	*a4 = (void *)&any;
	struct sockaddr_in6	*a6 = (void *)&any;

	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return (0);
	if (errno != EADDRNOTAVAIL || ai->ai_addrlen > sizeof any)
		return (-1);
	memcpy(&any, ai->ai_addr, ai->ai_addrlen);
	if (any.ss_family == AF_INET)
		a4->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (any.ss_family == AF_INET6) {
		a6->sin6_addr = in6addr_any;
		a6->sin6_scope_id = 0;
	} else
		return (-1);
	return (bind(fd, (struct sockaddr *)&any, ai->ai_addrlen));
}

int
link_listen(const char *addr, int port_lo, int port_hi, const char *peer_addr,
    struct link_listener **out, int *port, char **cause)
{
	struct link_listener	*l;
	struct addrinfo		*ai = NULL, *pa = NULL;
	int			 p, fd = -1, one = 1, r;

	*out = NULL;
	if (port_lo < 1 || port_hi > 65535 || port_lo > port_hi)
		return (err_set(cause, FERRY_ERR_INVAL, "bad port range "
		    "%d-%d", port_lo, port_hi));
	if ((r = link_resolve(peer_addr, 0, 0, &pa, cause)) != 0)
		return (r);
	for (p = port_lo; p <= port_hi; p++) {
		if ((r = link_resolve(addr, p, 1, &ai, cause)) != 0)
			break;
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd != -1)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
			    sizeof one);
		if (fd != -1 && link_bind(fd, ai) == 0 &&
		    listen(fd, 16) == 0)
			break;
		r = errno;
		if (fd != -1)
			close(fd);
		fd = -1;
		freeaddrinfo(ai);
		ai = NULL;
		if (r != EADDRINUSE) {
			r = err_set(cause, FERRY_ERR_IO, "listening on %s:%d: "
			    "%s", addr, p, strerror(r));
			break;
		}
		r = 0;
	}
	if (ai != NULL)
		freeaddrinfo(ai);
	if (fd == -1) {
		freeaddrinfo(pa);
		return (r != 0 ? r : err_set(cause, FERRY_ERR_IO,
		    "no free port in %d-%d on %s", port_lo, port_hi, addr));
	}
	if ((l = calloc(1, sizeof *l)) == NULL) {
		close(fd);
		freeaddrinfo(pa);
		return (FERRY_ERR_NOMEM);
	}
	l->fd = fd;
	memcpy(&l->peer, pa->ai_addr, pa->ai_addrlen);
	l->peerlen = pa->ai_addrlen;
	freeaddrinfo(pa);
	*port = p;
	*out = l;
	return (0);
}

void
link_listener_free(struct link_listener *l)
{
	if (l == NULL)
		return;
	if (l->fd != -1)
		close(l->fd);
	free(l);
}

/*
 * The session batches its own writes, and each phase ends by waiting for
 * the peer: Nagle's algorithm would hold the last small segment back for a
 * delayed ACK, 40 ms a phase.
 */
void
link_nodelay(int fd)
{
	int	one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void
link_keepalive(int fd, int dead_ms)
{
	int	one = 1, idle = dead_ms / 3000 > 0 ? dead_ms / 3000 : 1;
	int	intvl = 1, cnt = dead_ms / 1000 - idle > 0 ?
		    dead_ms / 1000 - idle : 1;

	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
#ifdef TCP_KEEPIDLE
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
#endif
#ifdef TCP_USER_TIMEOUT
	{
		unsigned int ut = (unsigned int)dead_ms;

		setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof ut);
	}
#endif
	(void)idle;
	(void)intvl;
	(void)cnt;
}

/* The last number in a /proc/sys file, or 0. */
static long
link_sysctl_last(const char *path)
{
	FILE	*f;
	long	 v = 0, x;

	if ((f = fopen(path, "r")) == NULL)
		return (0);
	while (fscanf(f, "%ld", &x) == 1)
		v = x;
	fclose(f);
	return (v);
}

/*
 * A long fat path needs a window of its bandwidth times its round trip,
 * and one stream has at most its send buffer in flight. Linux grows that
 * buffer up to net.ipv4.tcp_wmem's maximum (4 MiB by default, about half
 * of it data), while an explicit SO_SNDBUF may ask for up to
 * net.core.wmem_max, which the kernel doubles for its bookkeeping. Where
 * that is more, ask for it: at 150 ms, every 4 MiB more in flight is
 * 27 MB/s more per stream. The receive side keeps the kernel's tuning,
 * which goes further (tcp_rmem, 32 MiB here).
 */
static void
link_window(int fd)
{
	long	wmax = link_sysctl_last("/proc/sys/net/core/wmem_max");
	long	tmax = link_sysctl_last("/proc/sys/net/ipv4/tcp_wmem");
	int	v;

	if (wmax <= 0 || wmax > INT_MAX || 2 * wmax <= tmax)
		return;
	v = (int)wmax;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
}

/* Reads the first frame of a new connection and checks it is the token. */
static int
link_check_token(struct tls_conn *c, const struct link_params *p,
    char **cause)
{
	uint8_t			hdr[FRAME_HEADER_LEN], tok[LINK_TOKEN_LEN];
	struct frame_header	h;
	int			r;

	/* Exact reads: the bytes after the token belong to the session. */
	if ((r = tls_read(c, hdr, sizeof hdr, cause)) != 0 ||
	    (r = frame_header_parse(hdr, &h, cause)) != 0)
		return (r);
	if (h.type != FRAME_TOKEN || h.len != LINK_TOKEN_LEN)
		return (err_set(cause, FERRY_ERR_AUTH, "the first frame is "
		    "not a transfer token"));
	if ((r = tls_read(c, tok, sizeof tok, cause)) != 0)
		return (r);
	if (CRYPTO_memcmp(tok, p->token, LINK_TOKEN_LEN) != 0)
		return (err_set(cause, FERRY_ERR_AUTH, "wrong transfer "
		    "token"));
	return (0);
}

/* Sends an ERROR frame straight on c, for a peer that is turned away. */
static void
link_refuse(struct tls_conn *c, const char *why)
{
	struct buf	b;

	buf_init(&b, 0);
	if (frame_encode(&b, FRAME_ERROR, 0, why, strlen(why), NULL) == 0)
		tls_write(c, b.data, b.len, NULL);
	buf_free(&b);
}

/*
 * Closes a refused connection without resetting it: the peer's bytes are
 * read and dropped for a moment first, so that it gets our TLS alert or
 * ERROR frame instead of a bare "connection reset".
 */
static void
link_linger_close(int fd)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	char		buf[4096];
	double		until = progress_now() + 0.5;

	shutdown(fd, SHUT_WR);
	while (progress_now() < until && poll(&pfd, 1, 100) >= 0) {
		if ((pfd.revents & (POLLIN | POLLHUP)) &&
		    read(fd, buf, sizeof buf) <= 0)
			break;
	}
	close(fd);
}

/*
 * One connection's TLS handshake and token check, in a thread of its own:
 * on a long path each takes a round trip or two, and a transfer's streams
 * should not pay them one after the other.
 */
struct link_hs {
	const struct link_params *p;
	int			 fd;
	int			 timeout_ms;
	struct tls_conn		*c;
	char			*why;
	int			 ok;
	int			 busy;		/* the thread runs or is unjoined */
	pthread_t		 t;
};

static void *
link_hs_main(void *arg)
{
	struct link_hs	*hs = arg;

	hs->ok = tls_accept(hs->fd, hs->p->id, hs->p->peer_fp, hs->timeout_ms,
	    &hs->c, &hs->why) == 0 && link_check_token(hs->c, hs->p,
	    &hs->why) == 0;
	if (!hs->ok) {
		if (hs->c != NULL && hs->why != NULL)
			link_refuse(hs->c, hs->why);
		tls_free(hs->c);
		hs->c = NULL;
		link_linger_close(hs->fd);
		hs->fd = -1;
	}
	return (NULL);
}

/* Joins finished handshakes; takes the good ones while there is room. */
static void
link_hs_reap(struct link_hs *hs, int nhs, int wait, struct tls_conn **conns,
    int *fds, int *n, int want, char **last)
{
	int	i;

	for (i = 0; i < nhs; i++) {
		if (!hs[i].busy)
			continue;
		if (!wait && pthread_tryjoin_np(hs[i].t, NULL) != 0)
			continue;
		if (wait)
			pthread_join(hs[i].t, NULL);
		hs[i].busy = 0;
		if (hs[i].ok && *n < want) {
			conns[*n] = hs[i].c;
			fds[(*n)++] = hs[i].fd;
		} else if (hs[i].ok) {
			tls_free(hs[i].c);
			close(hs[i].fd);
		} else {
			free(*last);
			*last = hs[i].why;	/* transferred */
		}
		hs[i].c = NULL;
		hs[i].why = NULL;
	}
}

int
link_accept(struct link_listener *l, const struct link_params *p,
    struct tls_conn **conns, int *fds, char **cause)
{
	struct sockaddr_storage	 from;
	socklen_t		 fromlen;
	struct pollfd		 pfd;
	struct link_hs		*hs;
	double			 deadline = progress_now() + p->timeout_ms / 1e3;
	char			*last = NULL;
	int			 n = 0, fd, left, r = 0, i, nhs;

	/* A few more than the streams: refused ones linger a moment. */
	nhs = p->streams + 4;
	if ((hs = calloc((size_t)nhs, sizeof *hs)) == NULL)
		return (FERRY_ERR_NOMEM);
	for (;;) {
		link_hs_reap(hs, nhs, 0, conns, fds, &n, p->streams, &last);
		if (n >= p->streams)
			break;
		left = (int)((deadline - progress_now()) * 1000);
		pfd.fd = l->fd;
		pfd.events = POLLIN;
		if (left <= 0) {
			r = err_set(cause, FERRY_ERR_TIMEOUT, "waited %d ms for "
			    "the peer, %d of %d connections made%s%s",
			    p->timeout_ms, n, p->streams,
			    last ? "; last refused: " : "", last ? last : "");
			break;
		}
		for (i = 0; i < nhs && hs[i].busy; i++)
			;
		/* Every slot busy: wait for a handshake, not the socket. */
		if (i == nhs || poll(&pfd, 1, left < 10 ? left : 10) <= 0) {
			if (i == nhs)
				usleep(10000);
			continue;
		}
		fromlen = sizeof from;
		fd = accept4(l->fd, (struct sockaddr *)&from, &fromlen,
		    SOCK_CLOEXEC);
		if (fd == -1)
			continue;
		/* Anyone but the expected peer is dropped before TLS. */
		if (!link_same_host(&from, &l->peer)) {
			close(fd);
			continue;
		}
		link_nodelay(fd);
		link_window(fd);
		hs[i].p = p;
		hs[i].fd = fd;
		hs[i].timeout_ms = left;
		hs[i].ok = 0;
		if (pthread_create(&hs[i].t, NULL, link_hs_main, &hs[i]) != 0) {
			link_hs_main(&hs[i]);
			if (hs[i].ok && n < p->streams) {
				conns[n] = hs[i].c;
				fds[n++] = hs[i].fd;
			} else if (hs[i].ok) {
				tls_free(hs[i].c);
				close(hs[i].fd);
			}
			free(hs[i].why);
			hs[i].why = NULL;
			continue;
		}
		hs[i].busy = 1;
	}
	link_hs_reap(hs, nhs, 1, conns, fds, &n, r == 0 ? p->streams : 0,
	    &last);
	free(hs);
	free(last);
	close(l->fd);	/* the port is for this transfer only */
	l->fd = -1;
	if (r != 0)
		link_close(conns, fds, n);
	return (r);
}

int
link_dial(const char *host, int port, const char *source, int *fdp,
    char **cause)
{
	return (link_dial_within(host, port, source, 0, fdp, cause));
}

int
link_dial_within(const char *host, int port, const char *source,
    int dead_ms, int *fdp, char **cause)
{
	struct addrinfo	*ai = NULL, *a, *src = NULL;
	int		 fd = -1, r, e = 0;

	if ((r = link_resolve(host, port, 0, &ai, cause)) != 0)
		return (r);
	if (source != NULL && (r = link_resolve(source, 0, 1, &src,
	    cause)) != 0) {
		freeaddrinfo(ai);
		return (r);
	}
	for (a = ai; a != NULL && fd == -1; a = a->ai_next) {
		if (src != NULL && src->ai_family != a->ai_family)
			continue;
		fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		/* The user timeout bounds the SYN's retries too. */
		if (fd != -1 && dead_ms > 0)
			link_keepalive(fd, dead_ms);
		if (fd != -1 && ((src != NULL && link_bind(fd, src) == -1) ||
		    connect(fd, a->ai_addr, a->ai_addrlen) == -1)) {
			e = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	if (src != NULL)
		freeaddrinfo(src);
	if (fd == -1)
		return (err_set(cause, FERRY_ERR_IO, "connecting to %s:%d%s%s: "
		    "%s", host, port, source ? " from " : "", source ? source :
		    "", e ? strerror(e) : "no address of the same family"));
	*fdp = fd;
	return (0);
}

/* One connection of link_connect, in a thread of its own (link_hs). */
struct link_dialer {
	const char		*host;
	int			 port;
	const struct link_params *p;
	const struct buf	*token;
	struct tls_conn		*c;
	int			 fd;
	int			 r;
	char			*why;
};

static void *
link_dialer_main(void *arg)
{
	struct link_dialer	*d = arg;

	d->fd = -1;
	if ((d->r = link_dial(d->host, d->port, d->p->source, &d->fd,
	    &d->why)) != 0)
		return (NULL);
	link_nodelay(d->fd);
	link_window(d->fd);
	if ((d->r = tls_connect(d->fd, d->p->id, d->p->peer_fp,
	    d->p->timeout_ms, &d->c, &d->why)) == 0)
		d->r = tls_write(d->c, d->token->data, d->token->len, &d->why);
	return (NULL);
}

int
link_connect(const char *host, int port, const struct link_params *p,
    struct tls_conn **conns, int *fds, char **cause)
{
	struct link_dialer	*d;
	pthread_t		*t;
	struct buf		 b;
	int			 n, r, *started;

	buf_init(&b, 0);
	d = calloc((size_t)p->streams, sizeof *d);
	t = calloc((size_t)p->streams, sizeof *t);
	started = calloc((size_t)p->streams, sizeof *started);
	if (d == NULL || t == NULL || started == NULL) {
		r = FERRY_ERR_NOMEM;
		goto out;
	}
	if ((r = frame_encode(&b, FRAME_TOKEN, 0, p->token, LINK_TOKEN_LEN,
	    cause)) != 0)
		goto out;
	for (n = 0; n < p->streams; n++) {
		d[n].host = host;
		d[n].port = port;
		d[n].p = p;
		d[n].token = &b;
		started[n] = pthread_create(&t[n], NULL, link_dialer_main,
		    &d[n]) == 0;
		if (!started[n])
			link_dialer_main(&d[n]);
	}
	for (n = 0; n < p->streams; n++) {
		if (started[n])
			pthread_join(t[n], NULL);
		conns[n] = d[n].c;
		fds[n] = d[n].fd;
		if (d[n].r != 0 && r == 0) {
			r = d[n].r;
			if (cause != NULL) {
				free(*cause);
				*cause = d[n].why;
				d[n].why = NULL;
			}
		}
		free(d[n].why);
	}
	if (r != 0)
		link_close(conns, fds, p->streams);
out:
	free(d);
	free(t);
	free(started);
	buf_free(&b);
	return (r);
}

void
link_close(struct tls_conn **conns, int *fds, int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		tls_free(conns[i]);
		conns[i] = NULL;
		if (fds[i] != -1)
			close(fds[i]);
		fds[i] = -1;
	}
}


/*
 * Sends the relay hello on fd and waits, until deadline (progress_now()
 * seconds), for the hub's one byte saying the other end is joined.
 */
static int
link_relay_pair(int fd, const char *host, int port, const uint8_t *ticket,
    double deadline, char **cause)
{
	uint8_t		hello[LINK_RELAY_HELLO_LEN], ok;
	struct pollfd	pfd = { fd, POLLIN, 0 };
	ssize_t		n;
	int		left;

	memcpy(hello, LINK_RELAY_MAGIC, LINK_RELAY_MAGIC_LEN);
	memcpy(hello + LINK_RELAY_MAGIC_LEN, ticket, LINK_RELAY_TICKET_LEN);
	/* 40 bytes into an empty socket buffer: one write does it. */
	if (write(fd, hello, sizeof hello) != (ssize_t)sizeof hello)
		return (err_set(cause, FERRY_ERR_IO, "relay %s:%d: %s", host,
		    port, strerror(errno)));
	for (;;) {
		left = (int)((deadline - progress_now()) * 1000);
		if (left <= 0)
			return (err_set(cause, FERRY_ERR_TIMEOUT, "relay %s:%d: "
			    "the other end did not join in time", host, port));
		if (poll(&pfd, 1, left) <= 0)
			continue;
		n = read(fd, &ok, 1);
		if (n == 1 && ok == LINK_RELAY_PAIRED)
			return (0);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == 1 && ok == LINK_RELAY_ALONE)
			return (err_set(cause, FERRY_ERR_TIMEOUT, "relay %s:%d: "
			    "the other end did not join in time", host, port));
		return (err_set(cause, FERRY_ERR_CLOSED, "relay %s:%d turned "
		    "the connection away (the hub's log says why)", host,
		    port));
	}
}

int
link_relay(const char *host, int port, const uint8_t *ticket, int server,
    const struct link_params *p, struct tls_conn **conns, int *fds,
    char **cause)
{
	struct buf	 b;
	double		 deadline = progress_now() + p->timeout_ms / 1e3;
	int		 n, fd = -1, r;

	buf_init(&b, 0);
	if ((r = frame_encode(&b, FRAME_TOKEN, 0, p->token, LINK_TOKEN_LEN,
	    cause)) != 0)
		goto out;
	/*
	 * One stream at a time, as the other end does: the hub joins the
	 * two ends' connections in the order they arrive.
	 */
	for (n = 0; n < p->streams; n++) {
		if ((r = link_dial(host, port, p->source, &fd, cause)) != 0)
			break;
		link_nodelay(fd);
		link_window(fd);
		fds[n] = fd;
		conns[n] = NULL;
		if ((r = link_relay_pair(fd, host, port, ticket, deadline,
		    cause)) != 0) {
			n++;
			break;
		}
		if (server)
			r = tls_accept(fd, p->id, p->peer_fp, p->timeout_ms,
			    &conns[n], cause);
		else
			r = tls_connect(fd, p->id, p->peer_fp, p->timeout_ms,
			    &conns[n], cause);
		if (r == 0 && server)
			r = link_check_token(conns[n], p, cause);
		else if (r == 0)
			r = tls_write(conns[n], b.data, b.len, cause);
		if (r != 0) {
			if (server && conns[n] != NULL)
				link_refuse(conns[n], cause != NULL &&
				    *cause != NULL ? *cause : "refused");
			n++;
			break;
		}
	}
	if (r != 0)
		link_close(conns, fds, n);
out:
	buf_free(&b);
	return (r);
}
