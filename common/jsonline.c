#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "compat.h"
#include "err.h"
#include "jsonline.h"

/* How much one jsonline_fill() reads at most. */
#define JSONLINE_CHUNK	16384

static struct jsonline_conn *
jsonline_new(int fd, size_t max)
{
	struct jsonline_conn	*c;

	if ((c = calloc(1, sizeof *c)) == NULL)
		return (NULL);
	c->fd = fd;
	c->uid = (uid_t)-1;
	c->pid = -1;
	c->max = max;
	buf_init(&c->in, 0);
	buf_init(&c->out, JSONLINE_MAX_QUEUE);
	return (c);
}

void
jsonline_free(struct jsonline_conn *c)
{
	if (c == NULL)
		return;
	if (c->fd != -1)
		compat_sock_close(c->fd);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

int
jsonline_listen(const char *path, int *fdp, char **cause)
{
	int	fd;

	if ((fd = compat_local_listen(path)) != -1) {
		*fdp = fd;
		return (0);
	}
	if (errno == ENAMETOOLONG)
		return (err_set(cause, FERRY_ERR_TOOBIG, "socket path too long "
		    "(%zu bytes, limit %zu): %s", strlen(path),
		    compat_local_path_max(), path));
	if (errno == EEXIST)
		return (err_set(cause, FERRY_ERR_EXIST, "%s exists and is not "
		    "a socket", path));
	return (err_set(cause, FERRY_ERR_IO, "cannot listen on %s: %s", path,
	    strerror(errno)));
}

/*
 * Tells a refused peer why, then hangs up. The socket is new, so the line
 * fits in its buffer; if it does not, the peer only sees the close.
 */
static int
jsonline_refuse(int fd, uid_t uid, pid_t pid, char **cause)
{
	char	line[256];
	int	n;

	n = snprintf(line, sizeof line, "{\"error\": \"permission denied: "
	    "uid %ld may not use this ferryd (only root and uid %ld may)\", "
	    "\"done\": true}\n", (long)uid, compat_euid());
	if (n > 0 && (size_t)n < sizeof line)
		(void)compat_sock_send(fd, line, (size_t)n, 1);
	compat_sock_close(fd);
	return (err_set(cause, FERRY_ERR_AUTH, "refused a local API "
	    "connection from uid %ld (pid %ld): only root and uid %ld may "
	    "connect", (long)uid, (long)pid, compat_euid()));
}

int
jsonline_accept(int lfd, struct jsonline_conn **connp, char **cause)
{
	struct jsonline_conn	*c;
	uid_t			 uid = (uid_t)-1;
	pid_t			 pid = -1;
	int			 fd, trusted = 0;

	fd = compat_local_accept(lfd, &uid, &pid, &trusted);
	if (fd == -1) {
		/* A client that gave up before we got to it is no failure. */
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
		    errno == ECONNABORTED) {
			*connp = NULL;
			return (0);
		}
		return (err_set(cause, FERRY_ERR_IO, "accept: %s",
		    strerror(errno)));
	}
	if (!trusted)
		return (jsonline_refuse(fd, uid, pid, cause));
	if ((c = jsonline_new(fd, JSONLINE_MAX_REQUEST)) == NULL) {
		compat_sock_close(fd);
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	}
	c->uid = uid;
	c->pid = pid;
	*connp = c;
	return (0);
}

/* Turns connect(2)'s errno into the message a person needs. */
static int
jsonline_connect_error(const char *path, int error, char **cause)
{
	if (error == ENAMETOOLONG)
		return (err_set(cause, FERRY_ERR_TOOBIG, "socket path too long "
		    "(%zu bytes, limit %zu): %s", strlen(path),
		    compat_local_path_max(), path));
	if (error == ENOENT)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "is ferryd running? "
		    "no socket at %s", path));
	if (error == ECONNREFUSED)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "is ferryd running? "
		    "nothing is listening on %s", path));
	if (error == EACCES || error == EPERM)
		return (err_set(cause, FERRY_ERR_AUTH, "permission denied on "
		    "%s: only root and the user ferryd runs as may use it",
		    path));
	return (err_set(cause, FERRY_ERR_IO, "cannot connect to %s: %s", path,
	    strerror(error)));
}

int
jsonline_connect(const char *path, struct jsonline_conn **connp,
    char **cause)
{
	struct jsonline_conn	*c;
	int			 fd;

	if ((fd = compat_local_connect(path)) == -1)
		return (jsonline_connect_error(path, errno, cause));
	if ((c = jsonline_new(fd, JSONLINE_MAX_RESPONSE)) == NULL) {
		compat_sock_close(fd);
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	}
	*connp = c;
	return (0);
}

/* Drops the bytes already taken from the front of the input buffer. */
static void
jsonline_compact(struct jsonline_conn *c)
{
	size_t	left = c->in.len - c->in_off;

	if (c->in_off == 0)
		return;
	memmove(c->in.data, c->in.data + c->in_off, left);
	c->in.len = left;
	c->in.data[left] = '\0';
	c->in_off = 0;
}

static int
jsonline_toobig(struct jsonline_conn *c, char **cause)
{
	return (err_set(cause, FERRY_ERR_TOOBIG, "line %lu is longer than "
	    "%zu bytes", c->lines + 1, c->max));
}

int
jsonline_fill(struct jsonline_conn *c, char **cause)
{
	char	chunk[JSONLINE_CHUNK];
	size_t	left, want;
	ssize_t	n;

	jsonline_compact(c);
	left = c->in.len;
	if (c->eof)
		return (0);
	if (left > c->max)
		return (jsonline_toobig(c, cause));
	/* Never read far past the limit: one byte over is enough to know. */
	want = c->max + 1 - left;
	if (want > sizeof chunk)
		want = sizeof chunk;
	n = compat_sock_recv(c->fd, chunk, want);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return (0);
		/* A peer that closed with our data unread: still a close. */
		if (errno != ECONNRESET)
			return (err_set(cause, FERRY_ERR_IO, "read: %s",
			    strerror(errno)));
		n = 0;
	}
	if (n == 0) {
		c->eof = 1;
		return (0);
	}
	if (buf_add(&c->in, chunk, (size_t)n) != 0)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	return (0);
}

/*
 * Finds the next complete line; at end of stream, unterminated bytes make a
 * last line. Returns 0 with *linep NULL when no line is complete yet.
 */
static int
jsonline_take(struct jsonline_conn *c, char **linep, size_t *lenp,
    char **cause)
{
	char	*start, *nl;
	size_t	 left = c->in.len - c->in_off, len;

	/* Nothing read yet: no buffer, and NULL + 0 is undefined in C. */
	start = c->in.data != NULL ? c->in.data + c->in_off : NULL;
	*linep = NULL;
	nl = left == 0 ? NULL : memchr(start + c->scanned, '\n',
	    left - c->scanned);
	if (nl == NULL) {
		c->scanned = left;
		if (left > c->max)
			return (jsonline_toobig(c, cause));
		if (!c->eof)
			return (0);
		if (left == 0)
			return (err_set(cause, FERRY_ERR_CLOSED,
			    "connection closed by peer"));
		len = left;
	} else
		len = (size_t)(nl - start);
	if (len > c->max)
		return (jsonline_toobig(c, cause));
	c->in_off += nl == NULL ? len : len + 1;
	c->scanned = 0;
	c->lines++;
	*linep = start;
	*lenp = len;
	return (0);
}

static int
jsonline_blank(const char *line, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			return (0);
	}
	return (1);
}

/* Parses one line: exactly one JSON object, no duplicate keys. */
static int
jsonline_parse(struct jsonline_conn *c, const char *line, size_t len,
    json_t **objp, char **cause)
{
	json_error_t	 error;
	json_t		*obj;

	obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &error);
	if (obj == NULL)
		return (err_set(cause, FERRY_ERR_PARSE, "line %lu: malformed "
		    "JSON at column %d: %s", c->lines, error.column,
		    error.text));
	if (!json_is_object(obj)) {
		json_decref(obj);
		return (err_set(cause, FERRY_ERR_PARSE, "line %lu: not a JSON "
		    "object", c->lines));
	}
	*objp = obj;
	return (0);
}

int
jsonline_next(struct jsonline_conn *c, json_t **objp, char **cause)
{
	char	*line;
	size_t	 len;
	int	 r;

	for (;;) {
		if ((r = jsonline_take(c, &line, &len, cause)) != 0)
			return (r);
		if (line == NULL) {
			*objp = NULL;
			return (0);
		}
		if (!jsonline_blank(line, len))
			return (jsonline_parse(c, line, len, objp, cause));
	}
}

size_t
jsonline_pending(const struct jsonline_conn *c)
{
	return (c->out.len - c->out_off);
}

int
jsonline_flush(struct jsonline_conn *c, char **cause)
{
	ssize_t	n;

	while (jsonline_pending(c) > 0) {
		n = compat_sock_send(c->fd, c->out.data + c->out_off,
		    jsonline_pending(c), 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return (0);
			if (errno == EPIPE || errno == ECONNRESET)
				return (err_set(cause, FERRY_ERR_CLOSED,
				    "connection closed by peer"));
			return (err_set(cause, FERRY_ERR_IO, "write: %s",
			    strerror(errno)));
		}
		c->out_off += (size_t)n;
	}
	buf_reset(&c->out);
	c->out_off = 0;
	return (0);
}

/* Moves unsent output to the front so that the queue limit counts it only. */
static void
jsonline_compact_out(struct jsonline_conn *c)
{
	size_t	left = jsonline_pending(c);

	if (c->out_off == 0)
		return;
	memmove(c->out.data, c->out.data + c->out_off, left);
	c->out.len = left;
	c->out.data[left] = '\0';
	c->out_off = 0;
}

int
jsonline_send(struct jsonline_conn *c, const json_t *obj, char **cause)
{
	char	*text;
	int	 r;

	/* Compact output escapes newlines in strings: one value, one line. */
	if ((text = json_dumps(obj, JSON_COMPACT)) == NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "cannot encode a "
		    "response as JSON"));
	jsonline_compact_out(c);
	r = buf_addstr(&c->out, text);
	if (r == 0)
		r = buf_addch(&c->out, '\n');
	free(text);
	if (r == FERRY_ERR_TOOBIG)
		return (err_set(cause, r, "peer is not reading: more than %d "
		    "bytes queued", JSONLINE_MAX_QUEUE));
	if (r != 0)
		return (err_set(cause, r, "out of memory"));
	return (jsonline_flush(c, cause));
}

int
jsonline_send_error(struct jsonline_conn *c, const char *message,
    char **cause)
{
	json_t	*obj;
	int	 r;

	obj = json_pack("{s:s, s:b}", "error", message, "done", 1);
	if (obj == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	r = jsonline_send(c, obj, cause);
	json_decref(obj);
	return (r);
}

int
jsonline_recv(struct jsonline_conn *c, json_t **respp, char **cause)
{
	json_t	*obj;
	int	 r;

	for (;;) {
		r = jsonline_next(c, &obj, cause);
		if (r == FERRY_ERR_CLOSED)
			return (err_set(cause, r, "ferryd closed the "
			    "connection"));
		if (r != 0)
			return (r);
		if (obj != NULL) {
			*respp = obj;
			return (0);
		}
		if ((r = jsonline_fill(c, cause)) != 0)
			return (r);
	}
}

int
jsonline_request(struct jsonline_conn *c, const json_t *req, char **cause)
{
	json_t		*resp;
	const char	*why;
	int		 r;

	/* On a blocking socket, send() writes everything or fails. */
	if ((r = jsonline_send(c, req, cause)) != FERRY_ERR_CLOSED)
		return (r);
	/* The daemon may have hung up with a reason: pass it on. */
	if (jsonline_recv(c, &resp, NULL) != 0)
		return (err_set(cause, r, "ferryd closed the connection"));
	why = json_string_value(json_object_get(resp, "error"));
	r = err_set(cause, r, "ferryd closed the connection: %s",
	    why != NULL ? why : "no reason given");
	json_decref(resp);
	return (r);
}

int
jsonline_done(const json_t *resp)
{
	return (json_is_true(json_object_get(resp, "done")));
}
