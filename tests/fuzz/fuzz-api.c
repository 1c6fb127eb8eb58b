/*
 * libFuzzer target for the local API's request parser (common/jsonline.h):
 * the bytes a client writes to ferryd.sock, taken as the daemon takes
 * them (jsonline_fill() when readable, then jsonline_next() until it
 * yields nothing), through a real socketpair. The first input byte picks
 * how the bytes are split across writes, the second the longest line
 * accepted, so that lines cross reads and the limit in every place.
 *
 * Promises checked: every request handed out is a JSON object; no more
 * requests come out than there were lines; a line over the limit is
 * FERRY_ERR_TOOBIG (and then the daemon drops the client, as here); a
 * bad line is FERRY_ERR_PARSE with a cause, and the next line still
 * parses; after the client hangs up, FERRY_ERR_CLOSED comes once every
 * line is taken. Each error is answered as the daemon answers it
 * (jsonline_send_error), so that the cause, which quotes the client's
 * line, is encoded as JSON too.
 */
#include "config.h"

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "jsonline.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads and drops what the daemon sent back, so that it never blocks. */
static void
fuzz_drain(int fd)
{
	char	b[4096];

	while (read(fd, b, sizeof b) > 0)
		;
}

/*
 * Takes every whole request buffered. Returns 1 once the connection is
 * over (too long a line, or closed and empty), else 0.
 */
static int
fuzz_take(struct jsonline_conn *c, int client, size_t *objs)
{
	json_t	*req;
	char	*cause;
	int	 r;

	for (;;) {
		cause = NULL;
		req = NULL;
		r = jsonline_next(c, &req, &cause);
		if (r == 0 && req == NULL)
			return (0);
		if (r == 0) {
			if (!json_is_object(req))
				abort();
			(*objs)++;
			json_decref(req);
			continue;
		}
		if (r != FERRY_ERR_PARSE && r != FERRY_ERR_TOOBIG &&
		    r != FERRY_ERR_CLOSED)
			abort();
		if (r != FERRY_ERR_CLOSED && (cause == NULL || *cause == '\0'))
			abort();
		if (r != FERRY_ERR_CLOSED)
			(void)jsonline_send_error(c, cause, NULL);
		fuzz_drain(client);
		free(cause);
		if (r != FERRY_ERR_PARSE)
			return (1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t	 maxes[] = { 1, 2, 16, 64, 300, 4096,
				    JSONLINE_MAX_REQUEST };
	struct jsonline_conn	*c;
	size_t			 chunk, off = 0, n, lines = 1, objs = 0, i;
	ssize_t			 w;
	char			*cause = NULL;
	int			 sv[2], over = 0, r;

	if (size < 2)
		return (0);
	chunk = (size_t)data[0] % 64 + 1;
	if (data[0] >= 0xc0)
		chunk = size;	/* all at once */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == -1)
		return (0);
	/* As jsonline_accept makes a connection, with a chosen limit. */
	if ((c = calloc(1, sizeof *c)) == NULL) {
		close(sv[0]);
		close(sv[1]);
		return (0);
	}
	c->fd = sv[1];
	c->max = maxes[data[1] % (sizeof maxes / sizeof maxes[0])];
	buf_init(&c->in, 0);
	buf_init(&c->out, JSONLINE_MAX_QUEUE);
	data += 2;
	size -= 2;
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';

	while (!over && off < size) {
		n = size - off < chunk ? size - off : chunk;
		w = write(sv[0], data + off, n);
		if (w <= 0)
			break;	/* the socket's buffer is full: enough */
		off += (size_t)w;
		if ((r = jsonline_fill(c, &cause)) != 0) {
			if (r != FERRY_ERR_TOOBIG)
				abort();
			free(cause);
			cause = NULL;
			break;
		}
		over = fuzz_take(c, sv[0], &objs);
	}
	if (!over) {
		/* The client hangs up: what is left must still come out. */
		shutdown(sv[0], SHUT_WR);
		for (i = 0; !over && i < size + 2; i++) {
			if ((r = jsonline_fill(c, &cause)) != 0) {
				if (r != FERRY_ERR_TOOBIG)
					abort();
				free(cause);
				cause = NULL;
				break;
			}
			over = fuzz_take(c, sv[0], &objs);
		}
		if (!over && c->max >= size)
			abort();	/* never said closed */
	}
	if (objs > lines)
		abort();
	jsonline_free(c);
	close(sv[0]);
	return (0);
}
