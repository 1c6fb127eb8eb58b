/*
 * The local API transport (docs/agent.md): newline-delimited JSON objects
 * over the Unix stream socket DIR/ferryd.sock, mode 0600. A client sends
 * one request object per line; the daemon answers with one or more
 * response lines, the last of which has "done": true (a progress stream
 * is many lines). Only root and the daemon's own uid may connect: the
 * peer's uid is checked with SO_PEERCRED.
 *
 * The server side never blocks: the daemon polls the listening socket and
 * each connection's fd, calls jsonline_fill() when one is readable, then
 * jsonline_next() until it yields nothing, and polls for POLLOUT while
 * jsonline_pending() is not zero. The client side is blocking.
 */
#ifndef FERRY_JSONLINE_H
#define FERRY_JSONLINE_H

#include <sys/types.h>

#include <stddef.h>

#include <jansson.h>

#include "buf.h"

#define JSONLINE_SOCKET_NAME	"ferryd.sock"
/* The longest request line the daemon reads, not counting the newline. */
#define JSONLINE_MAX_REQUEST	(1024 * 1024)
/* The longest response line a client reads. */
#define JSONLINE_MAX_RESPONSE	(16 * 1024 * 1024)
/* Output queued for a client that does not read; past it, drop the client. */
#define JSONLINE_MAX_QUEUE	(16 * 1024 * 1024)

/*
 * One connection, either side. uid and pid are the peer's (server side
 * only). in holds bytes read, of which those from in_off on are not yet
 * taken, and the first "scanned" of those hold no newline; out holds
 * bytes queued, of which those from out_off on are not yet written.
 */
struct jsonline_conn {
	int		 fd;
	uid_t		 uid;
	pid_t		 pid;
	size_t		 max;	/* longest line accepted */
	unsigned long	 lines;	/* lines taken, for messages */
	int		 eof;	/* the peer has closed its side */

	struct buf	 in;
	size_t		 in_off;
	size_t		 scanned;
	struct buf	 out;
	size_t		 out_off;
};

/*
 * Listens on path (mode 0600), non-blocking and close-on-exec, and stores
 * the descriptor in *fdp. A socket left at path by a dead daemon is
 * removed, so call this only while holding the lock file; anything else at
 * path is refused (FERRY_ERR_EXIST). Returns 0, FERRY_ERR_TOOBIG (path
 * longer than a socket address holds) or FERRY_ERR_IO.
 */
int	jsonline_listen(const char *path, int *fdp, char **cause);

/*
 * Accepts one connection on the listening socket lfd. Returns 0 with a new
 * connection in *connp (non-blocking), or 0 with *connp NULL if none was
 * waiting. A peer that is neither root nor our uid is sent one error line,
 * closed, and reported as FERRY_ERR_AUTH with a cause to log; other
 * failures are FERRY_ERR_IO.
 */
int	jsonline_accept(int lfd, struct jsonline_conn **connp, char **cause);

/*
 * Connects to the daemon's socket at path (blocking). Returns 0,
 * FERRY_ERR_NOTFOUND ("is ferryd running? no socket at PATH"),
 * FERRY_ERR_AUTH (permission denied), FERRY_ERR_TOOBIG or FERRY_ERR_IO.
 */
int	jsonline_connect(const char *path, struct jsonline_conn **connp,
	    char **cause);

/* Closes the connection and frees it; NULL is ignored. */
void	jsonline_free(struct jsonline_conn *c);

/*
 * Reads what the socket has (one read(2)) into the connection's buffer.
 * Returns 0, also when nothing was there or the peer has closed (then
 * jsonline_next() says FERRY_ERR_CLOSED once the buffer is used up).
 * Call jsonline_next() until it yields nothing before calling this again;
 * returns FERRY_ERR_TOOBIG if a line is already too long, or FERRY_ERR_IO.
 */
int	jsonline_fill(struct jsonline_conn *c, char **cause);

/*
 * Takes the next complete line from the buffer and parses it. Returns 0
 * with a new reference in *objp, or 0 with *objp NULL if no complete line
 * is buffered yet; blank lines are skipped. Errors:
 * FERRY_ERR_PARSE: the line is not one JSON object; the cause gives the
 *   line and column. The line is dropped and the connection stays usable.
 * FERRY_ERR_TOOBIG: the line is longer than c->max. Send the cause as an
 *   error and close the connection: the rest of the stream is unusable.
 * FERRY_ERR_CLOSED: the peer closed and every line has been taken.
 */
int	jsonline_next(struct jsonline_conn *c, json_t **objp, char **cause);

/*
 * Queues obj as one compact line and writes what the socket takes now.
 * Returns 0, FERRY_ERR_TOOBIG (more than JSONLINE_MAX_QUEUE waiting: drop
 * the client), FERRY_ERR_CLOSED (the peer has gone), FERRY_ERR_INVAL or
 * FERRY_ERR_NOMEM.
 */
int	jsonline_send(struct jsonline_conn *c, const json_t *obj,
	    char **cause);

/* Sends {"error": message, "done": true}, like jsonline_send(). */
int	jsonline_send_error(struct jsonline_conn *c, const char *message,
	    char **cause);

/*
 * Writes queued output until it is all sent or the socket is full.
 * Returns 0, FERRY_ERR_CLOSED or FERRY_ERR_IO.
 */
int	jsonline_flush(struct jsonline_conn *c, char **cause);

/* Bytes queued and not yet written: poll for POLLOUT while not zero. */
size_t	jsonline_pending(const struct jsonline_conn *c);

/*
 * Client: sends req and waits until it is written. If the daemon hung up
 * first (a refused uid, say), the cause carries the error line it left.
 */
int	jsonline_request(struct jsonline_conn *c, const json_t *req,
	    char **cause);

/*
 * Client: waits for the next response object and stores a new reference
 * in *respp. Returns 0, FERRY_ERR_CLOSED (the daemon hung up),
 * FERRY_ERR_PARSE or FERRY_ERR_TOOBIG (as jsonline_next()), or FERRY_ERR_IO.
 */
int	jsonline_recv(struct jsonline_conn *c, json_t **respp, char **cause);

/* Whether resp is the last response to its request ("done": true). */
int	jsonline_done(const json_t *resp);

#endif
