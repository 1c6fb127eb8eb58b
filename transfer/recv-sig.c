/*
 * A delta's signature, on the receiving side (recv-int.h): the basis is
 * read and hashed, and its block map or librsync signature goes to the
 * sender in SIGNATURE frames as it is made, then an empty frame.
 *
 * As it is made, not once whole: the sender waits on its stream for the
 * first frame, and a stream's idle timeout (ferryd's, 60 s) cut every try
 * of a basis that took longer to hash (6 GB on a 100 MB/s NAS). What is
 * ready goes out when a frame's worth is, and at least every
 * RECV_SIG_BEAT seconds while the hashing goes on.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blockmap-int.h"
#include "delta-int.h"
#include "err.h"
#include "held-int.h"
#include "recv-int.h"

/*
 * Far under any idle timeout a stream would have (ferryd's is 60 s, a
 * test's a few seconds), and a frame of a few hundred bytes a second
 * costs nothing. It is looked at between reads: a single read of the
 * basis that hangs for longer than the timeout still ends the try.
 */
#define RECV_SIG_BEAT	1.0
/* The basis is read in steps this large: a multiple of BLOCKMAP_BLOCK. */
#define RECV_SIG_CHUNK	(64 * BLOCKMAP_BLOCK)

struct recv_sig {
	struct recv_stream	*s;
	struct buf		 sig;	/* made, not sent yet */
	struct buf		 out;
	double			 sent_at;
};

static int
recv_sig_sink(void *arg, const void *data, size_t len)
{
	return (buf_add(arg, data, len));
}

/*
 * Sends full frames of what is made; with all, or once RECV_SIG_BEAT has
 * passed since the last sending, the rest too, and pushes it onto the
 * wire (the stream's buffer would hold it otherwise).
 */
static int
recv_sig_send(struct recv_sig *rs, int all, char **cause)
{
	struct conn	*c = &rs->s->c;
	double		 now = progress_now();
	size_t		 off, n;
	int		 r = 0;

	all = all || now - rs->sent_at >= RECV_SIG_BEAT;
	for (off = 0; r == 0 && off < rs->sig.len; off += n) {
		n = rs->sig.len - off < FRAME_MAX_BULK ? rs->sig.len - off :
		    FRAME_MAX_BULK;
		if (n < FRAME_MAX_BULK && !all)
			break;
		if ((r = frame_encode(&rs->out, FRAME_SIGNATURE, 0,
		    rs->sig.data + off, n, cause)) == 0)
			r = conn_put(c, rs->out.data, rs->out.len, cause);
		buf_reset(&rs->out);
	}
	if (r == 0 && off > 0) {
		/* What is left (under a frame) moves to the front. */
		memmove(rs->sig.data, rs->sig.data + off, rs->sig.len - off);
		rs->sig.len -= off;
	}
	if (r == 0 && all && (r = conn_flush(c, cause)) == 0)
		rs->sent_at = now;
	return (r);
}

/* Reads up to n bytes at off, fewer only at the end of the file. */
static ssize_t
recv_sig_read(int fd, char *p, size_t n, uint64_t off)
{
	size_t	done = 0;
	ssize_t	got;

	while (done < n) {
		got = pread(fd, p + done, n - done, (off_t)(off + done));
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1)
			return (-1);
		if (got == 0)
			break;
		done += (size_t)got;
	}
	return ((ssize_t)done);
}

int
recv_send_signature(struct recv_stream *s, const char *rel, int rsync,
    char **cause)
{
	struct recv_sig	 rs;
	struct delta	*d = NULL;
	struct stat	 sb;
	uint64_t	 off = 0, size;
	char		*chunk;
	ssize_t		 got;
	int		 fd, r;

	if ((fd = held_basis(s->sh->rootfd, rel, O_RDONLY, &r, cause)) ==
	    -1 || fstat(fd, &sb) == -1) {
		if (fd != -1)
			close(fd);
		return (r != 0 ? r : err_set(cause, FERRY_ERR_IO, "%s: %s",
		    rel, strerror(errno)));
	}
	size = (uint64_t)sb.st_size;
	rs.s = s;
	buf_init(&rs.sig, 0);
	buf_init(&rs.out, 0);
	rs.sent_at = progress_now();
	chunk = malloc(RECV_SIG_CHUNK);
	if (chunk == NULL)
		r = FERRY_ERR_NOMEM;
	else if (!rsync)
		r = blockmap_start(size, &rs.sig);
	else
		r = delta_sig_new(sb.st_size, &d, cause);
	/* A block map covers the size it names; librsync reads to the end. */
	while (r == 0 && (d != NULL ? !delta_done(d) : off < size)) {
		if ((got = recv_sig_read(fd, chunk, d != NULL ?
		    RECV_SIG_CHUNK : (size_t)(size - off < RECV_SIG_CHUNK ?
		    size - off : RECV_SIG_CHUNK), off)) == -1) {
			r = err_set(cause, FERRY_ERR_IO, "%s: %s", rel,
			    strerror(errno));
			break;
		}
		if (d != NULL)
			r = delta_push(d, chunk, (size_t)got, got == 0,
			    recv_sig_sink, &rs.sig, cause);
		else if (got == 0)
			r = err_set(cause, FERRY_ERR_IO, "%s: reading the "
			    "basis: it is shorter than it was", rel);
		else
			r = blockmap_add(chunk, (size_t)got, &rs.sig);
		off += (uint64_t)got;
		/* The receiver's own work, at its own pace (xfer-slow.c). */
		progress_basis(&s->sh->pr, (uint64_t)got);
		if (r == 0)
			r = recv_sig_send(&rs, 0, cause);
	}
	if (r == 0)
		r = recv_sig_send(&rs, 1, cause);
	if (r == 0 && (r = msg_end_of_batch(&rs.out, FRAME_SIGNATURE)) == 0)
		r = conn_put(&s->c, rs.out.data, rs.out.len, cause);
	delta_free(d);
	free(chunk);
	close(fd);
	buf_free(&rs.sig);
	buf_free(&rs.out);
	return (r);
}
