/*
 * Setting up the data connections of one transfer. One side listens on
 * the first free port of a range, for this transfer only: it drops any
 * connection from an address other than the expected peer's before TLS,
 * and any whose first frame, after the pinned TLS handshake, is not the
 * transfer's one-time token. It waits a bounded time for the expected
 * number of streams and then stops listening.
 */
#ifndef FERRY_LINK_H
#define FERRY_LINK_H

#include <stddef.h>
#include <stdint.h>

struct identity;
struct tls_conn;

#define LINK_PORT_FIRST		45191
#define LINK_PORT_LAST		45210
#define LINK_TOKEN_LEN		32

/* What both ends agree on before the connections are made. */
struct link_params {
	const struct identity	*id;		/* our identity */
	const uint8_t		*peer_fp;	/* IDENTITY_FP_LEN bytes */
	const uint8_t		*token;		/* LINK_TOKEN_LEN bytes */
	int			 streams;	/* connections to make */
	int			 timeout_ms;	/* in all, for set-up */
	const char		*source;	/* connect from this address;
						   NULL: any */
};

struct link_listener;

/*
 * Listens on addr at the first free port in [port_lo, port_hi], for
 * connections from peer_addr only. Sets *port to the port chosen.
 */
int	link_listen(const char *addr, int port_lo, int port_hi,
	    const char *peer_addr, struct link_listener **out, int *port,
	    char **cause);
/*
 * Accepts p->streams good connections, then closes the listening socket.
 * conns[] and fds[] (p->streams each) receive the connections; the caller
 * frees them with link_close.
 */
int	link_accept(struct link_listener *l, const struct link_params *p,
	    struct tls_conn **conns, int *fds, char **cause);
void	link_listener_free(struct link_listener *l);

/* Makes p->streams connections to host:port, each sending the token. */
int	link_connect(const char *host, int port, const struct link_params *p,
	    struct tls_conn **conns, int *fds, char **cause);

/* Frees n connections made by link_accept or link_connect. */
/*
 * Opens a TCP connection to host:port, from source (a local address, so
 * that a peer filtering by address sees the one it expects) or from any
 * address when source is NULL.
 */
int	link_dial(const char *host, int port, const char *source, int *fd,
	    char **cause);

/*
 * Sends small messages at once: request and answer exchanges would wait
 * for a delayed ACK (40 ms) under Nagle's algorithm.
 */
void	link_nodelay(int fd);
/*
 * A peer that vanishes (its machine off the network) is given up on
 * about dead_ms after it was last heard, idle or not: TCP keepalives
 * from dead_ms / 3 on, and a user timeout for unacknowledged data.
 * Best effort: where the system lacks an option, TCP's own, longer.
 */
void	link_keepalive(int fd, int dead_ms);
/*
 * link_dial, where a peer that does not answer (its machine gone) is
 * given up on after about dead_ms, connecting too (link_keepalive).
 */
int	link_dial_within(const char *host, int port, const char *source,
	    int dead_ms, int *fdp, char **cause);

void	link_close(struct tls_conn **conns, int *fds, int n);

/*
 * Through a relay (docs/protocol.md, section 5.1): when neither end can
 * be reached, both connect out to the hub's control port and open each
 * connection with a relay hello in the clear: LINK_RELAY_MAGIC and the
 * ticket the hub gave this end for this transfer (not the token, which
 * only the two ends see, inside TLS). The hub answers one byte,
 * LINK_RELAY_PAIRED, once it has joined the connection to one of the
 * other end's (LINK_RELAY_ALONE if the other end did not come in time;
 * nothing to a ticket it refuses), and from then on passes bytes both
 * ways unread: the two
 * ends run the same pinned TLS and token check as a direct transfer,
 * one of them (server) in the listener's role.
 */
#define LINK_RELAY_MAGIC	"FERRYRL1"
#define LINK_RELAY_MAGIC_LEN	8
#define LINK_RELAY_TICKET_LEN	32
#define LINK_RELAY_HELLO_LEN	(LINK_RELAY_MAGIC_LEN + LINK_RELAY_TICKET_LEN)
#define LINK_RELAY_PAIRED	0x01
#define LINK_RELAY_ALONE	0x02	/* the other end never came */

int	link_relay(const char *host, int port, const uint8_t *ticket,
	    int server, const struct link_params *p, struct tls_conn **conns,
	    int *fds, char **cause);

#endif
