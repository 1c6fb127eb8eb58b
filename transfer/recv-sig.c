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
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blockmap-int.h"
#include "delta-int.h"
#include "err.h"
#include "held-int.h"
#include "iobuf-int.h"
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
/*
 * A block map of a basis this large is made by two threads, each over
 * half of it: the sender has nothing to do until the map is whole, so a
 * second core is there to be had (2 GiB: 0.3-0.6 s of one core, S2X in
 * docs/benchmarks.md). The second half's hashes follow the first's.
 */
#define RECV_SIG_PAR_MIN	(64ULL << 20)
/*
 * Above this the helper's hashes (a 4-byte hash a 4 KiB block, held until
 * the first half is sent) would pass 16 MiB; one thread streams them as
 * before (and a sender takes a map of 64 MiB at most, a 64 GiB basis).
 */
#define RECV_SIG_PAR_MAX	(32ULL << 30)

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

static ssize_t	recv_sig_read(int, char *, size_t, uint64_t);

/*
 * The map of [from, to) of the basis, made in a thread of its own; what
 * is made is taken (under mu) by the stream's thread once its own half
 * is done, and sent on as it comes, as its own was.
 */
struct recv_sig_half {
	struct recv_stream	*s;
	int			 fd;
	uint64_t		 from, to;
	pthread_mutex_t		 mu;
	struct buf		 map;	/* made, not taken yet */
	int			 done;
	int			 stop;	/* set by the stream's thread: not wanted */
	int			 err;	/* errno; -1: the basis got shorter */
	int			 r;	/* a FERRY_ERR_* */
};

static void *
recv_sig_half_main(void *arg)
{
	struct recv_sig_half	*h = arg;
	struct buf		 made;
	uint64_t		 off = h->from;
	char			*chunk;
	ssize_t			 got;
	int			 r = 0, err = 0;

	buf_init(&made, 0);
	if ((chunk = iobuf_alloc(RECV_SIG_CHUNK)) == NULL)
		r = FERRY_ERR_NOMEM;
	while (r == 0 && err == 0 && off < h->to) {
		got = recv_sig_read(h->fd, chunk, h->to - off < RECV_SIG_CHUNK ?
		    (size_t)(h->to - off) : RECV_SIG_CHUNK, off);
		if (got <= 0) {
			err = got == 0 ? -1 : errno;
			break;
		}
		buf_reset(&made);
		r = blockmap_add(chunk, (size_t)got, &made);
		off += (uint64_t)got;
		progress_basis(&h->s->sh->pr, (uint64_t)got);
		pthread_mutex_lock(&h->mu);
		if (r == 0)
			r = buf_add(&h->map, made.data, made.len);
		if (h->stop)
			r = FERRY_ERR_CANCELLED;
		pthread_mutex_unlock(&h->mu);
	}
	free(chunk);
	buf_free(&made);
	pthread_mutex_lock(&h->mu);
	h->r = r;
	h->err = err;
	h->done = 1;
	pthread_mutex_unlock(&h->mu);
	return (NULL);
}

/*
 * Takes the helper's hashes into rs as they come and sends them, until it
 * is done; a read that hangs there holds this as one of our own would.
 */
static int
recv_sig_take_half(struct recv_sig *rs, struct recv_sig_half *h,
    const char *rel, char **cause)
{
	const struct timespec	 nap = { 0, 2 * 1000 * 1000 };
	int			 r = 0, done = 0;

	while (r == 0 && !done) {
		pthread_mutex_lock(&h->mu);
		done = h->done;
		r = buf_add(&rs->sig, h->map.data, h->map.len);
		buf_reset(&h->map);
		if (r == 0 && done)
			r = h->r;
		if (r == 0 && done && h->err != 0)
			r = err_set(cause, FERRY_ERR_IO, "%s: reading the "
			    "basis: %s", rel, h->err == -1 ? "it is shorter "
			    "than it was" : strerror(h->err));
		pthread_mutex_unlock(&h->mu);
		if (r == 0)
			r = recv_sig_send(rs, 0, cause);
		if (r == 0 && !done)
			nanosleep(&nap, NULL);
	}
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
	struct recv_sig		 rs;
	struct recv_sig_half	 half;
	struct delta		*d = NULL;
	struct stat		 sb;
	pthread_t		 t;
	uint64_t		 off = 0, size, end;
	char			*chunk;
	ssize_t			 got;
	int			 fd, r, helped = 0;

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
	chunk = iobuf_alloc(RECV_SIG_CHUNK);
	if (chunk == NULL)
		r = FERRY_ERR_NOMEM;
	else if (!rsync)
		r = blockmap_start(size, &rs.sig);
	else
		r = delta_sig_new(sb.st_size, &d, cause);
	/* The second half of a large map by a helper, if one can start. */
	end = size;
	memset(&half, 0, sizeof half);
	if (r == 0 && d == NULL && size >= RECV_SIG_PAR_MIN &&
	    size <= RECV_SIG_PAR_MAX) {
		half.s = s;
		half.fd = fd;
		half.from = size / 2 / BLOCKMAP_BLOCK * BLOCKMAP_BLOCK;
		half.to = size;
		buf_init(&half.map, 0);
		if (pthread_mutex_init(&half.mu, NULL) == 0) {
			if (pthread_create(&t, NULL, recv_sig_half_main,
			    &half) == 0) {
				helped = 1;
				end = half.from;
			} else
				pthread_mutex_destroy(&half.mu);
		}
	}
	/* A block map covers the size it names; librsync reads to the end. */
	while (r == 0 && (d != NULL ? !delta_done(d) : off < end)) {
		if ((got = recv_sig_read(fd, chunk, d != NULL ?
		    RECV_SIG_CHUNK : (size_t)(end - off < RECV_SIG_CHUNK ?
		    end - off : RECV_SIG_CHUNK), off)) == -1) {
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
	if (helped) {
		if (r == 0)
			r = recv_sig_take_half(&rs, &half, rel, cause);
		/* After an error the helper's hashes are not wanted. */
		pthread_mutex_lock(&half.mu);
		half.stop = 1;
		pthread_mutex_unlock(&half.mu);
		pthread_join(t, NULL);
		pthread_mutex_destroy(&half.mu);
		buf_free(&half.map);
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
