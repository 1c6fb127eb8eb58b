/*
 * The sender's half of striping (stripe-int.h, docs/protocol.md 6.7).
 * The stream that offered a striped file puts its chunks on a schedule
 * shared by all streams; every stream that stripes takes the next chunk
 * when it is free, so a slow stream holds back at most the one it is on.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "send-int.h"
#include "session-int.h"
#include "stripe-int.h"
#include "tls.h"

/* An idle stream says it is alive this often (the peer's stall limit). */
#define STRIPE_KEEPALIVE_S	10

/* One striped file on the sender. */
struct stripe_out {
	struct stripe_out	*next;
	uint32_t		 id;
	const char		*rel;
	int			 fd;
	uint64_t		 size;
	uint32_t		 csize;
	uint32_t		 nchunks;
	uint8_t			*held;	/* the receiver's map: bit set, held */
	uint8_t			(*hashes)[HASH_LEN];
	uint32_t		 next_chunk;	/* the next to hand out */
	uint32_t		 finished;	/* sent or hashed */
	uint64_t		 moved;		/* bytes sent, for progress */
	int			 status;	/* MSG_END_* of the worst chunk */
	int			 owner;		/* the stream that offered it */
	int			 spread;	/* a chunk went on another */
	int			 refs;
};

uint32_t
stripe_chunk_size(uint64_t size, int streams)
{
	uint64_t	c = STRIPE_CHUNK_MIN;

	/* Half the budget: the other half for what the sockets held. */
	while (c < STRIPE_CHUNK && c * 2 * (uint64_t)(streams > 0 ? streams :
	    1) <= STRIPE_BUDGET(size) / 2)
		c *= 2;
	while (c < STRIPE_CHUNK_MAX && (size + c - 1) / c > STRIPE_CHUNKS_MAX)
		c *= 2;
	return ((uint32_t)c);
}

uint32_t
stripe_chunks(uint64_t size, uint32_t csize)
{
	return ((uint32_t)((size + csize - 1) / csize));
}

int
stripe_streams(struct tls_conn **conns, int n)
{
	struct tcp_info	ti;
	socklen_t	len;
	double		rtt = -1, bdp;
	int		i, buf = 0, want;

	for (i = 0; i < n; i++) {
		len = sizeof ti;
		memset(&ti, 0, sizeof ti);
		if (getsockopt(tls_fd(conns[i]), IPPROTO_TCP, TCP_INFO, &ti,
		    &len) == 0 && ti.tcpi_rtt > 0 &&
		    (rtt < 0 || ti.tcpi_rtt / 1e6 < rtt))
			rtt = ti.tcpi_rtt / 1e6;
		len = sizeof buf;
		if (i == 0 && getsockopt(tls_fd(conns[i]), SOL_SOCKET,
		    SO_SNDBUF, &buf, &len) == -1)
			buf = 0;
	}
	/*
	 * The kernel reports twice what it lets in flight; below a few ms
	 * one stream fills the path and more only cost CPU.
	 */
	if (rtt < 0.005 || buf <= 0)
		return (1);
	bdp = rtt * STRIPE_RATE;
	want = (int)(bdp / (buf / 2.0)) + 1;
	if (want < 2)
		want = 2;
	return (want < n ? want : n);
}

void
stripe_sched_init(struct stripe_sched *ss, int use)
{
	memset(ss, 0, sizeof *ss);
	pthread_mutex_init(&ss->mu, NULL);
	pthread_cond_init(&ss->cv, NULL);
	ss->use = use;
}

void
stripe_sched_destroy(struct stripe_sched *ss)
{
	pthread_cond_destroy(&ss->cv);
	pthread_mutex_destroy(&ss->mu);
}

void
stripe_settled(struct send_shared *sh, struct send_item *it)
{
	if (!it->striped)
		return;
	it->striped = 0;
	pthread_mutex_lock(&sh->stripes.mu);
	sh->stripes.open--;
	pthread_cond_broadcast(&sh->stripes.cv);
	pthread_mutex_unlock(&sh->stripes.mu);
}

void
stripe_stream_gone(struct send_shared *sh, int failed, int can_stripe)
{
	pthread_mutex_lock(&sh->stripes.mu);
	if (failed)
		sh->stripes.broken = 1;
	if (!can_stripe) {
		/* The peer does not stripe: no stream waits for chunks. */
		sh->stripes.use = 0;
		sh->stripes.open = 0;
	}
	pthread_cond_broadcast(&sh->stripes.cv);
	pthread_mutex_unlock(&sh->stripes.mu);
}

static void
stripe_release(struct stripe_out *so)
{
	if (--so->refs > 0)
		return;
	if (so->fd != -1)
		close(so->fd);
	free(so->hashes);
	free(so->held);
	free(so);
}

/* The next chunk to work on (of only, if set), with a reference; under
   ss->mu. */
static struct stripe_out *
stripe_take_locked(struct stripe_sched *ss, uint32_t *index,
    const struct stripe_out *only)
{
	struct stripe_out	**pp, *so;

	for (pp = &ss->list; (so = *pp) != NULL; ) {
		if (only != NULL && so != only && so->next_chunk <
		    so->nchunks) {
			pp = &so->next;
			continue;
		}
		if (so->next_chunk < so->nchunks) {
			*index = so->next_chunk++;
			so->refs++;
			if (so->next_chunk == so->nchunks)
				*pp = so->next;	/* all handed out */
			return (so);
		}
		*pp = so->next;
	}
	return (NULL);
}

static int
stripe_held(const struct stripe_out *so, uint32_t i)
{
	return ((so->held[i / 8] >> (i % 8)) & 1);
}

/*
 * Sends chunk index of so as CHUNK, DATA frames and a FILE_END with the
 * chunk's hash; a chunk the receiver holds is only hashed, for the file's
 * hash of hashes.
 */
static int
stripe_do_chunk(struct send_stream *s, struct stripe_out *so, uint32_t index,
    char **cause)
{
	struct msg_chunk	 m;
	struct hash		*h;
	struct buf		 out;
	uint64_t		 off = (uint64_t)index * so->csize, done = 0;
	uint32_t		 len;
	uint8_t			*p;
	ssize_t			 got;
	size_t			 n;
	int			 r = 0, status = MSG_END_OK;

	len = (uint32_t)(so->size - off < so->csize ? so->size - off :
	    so->csize);
	if ((h = hash_new()) == NULL)
		return (FERRY_ERR_NOMEM);
	if (stripe_held(so, index)) {
		if (hash_fd_range(h, so->fd, off, len) != 0)
			status = MSG_END_CHANGED;
		goto out;
	}
	m.id = so->id;
	m.index = index;
	m.offset = off;
	m.length = len;
	buf_init(&out, 0);
	if ((r = msg_chunk_encode(&out, &m)) == 0)
		r = conn_put(&s->c, out.data, out.len, cause);
	buf_free(&out);
	while (r == 0 && done < len) {
		if ((r = send_aborted(s, cause)) != 0)
			break;
		n = len - done < FRAME_MAX_BULK ? len - done : FRAME_MAX_BULK;
		if ((p = conn_bulk_space(&s->c, n, cause)) == NULL) {
			r = FERRY_ERR_CLOSED;
			break;
		}
		do
			got = pread(so->fd, p, n, (off_t)(off + done));
		while (got == -1 && errno == EINTR);
		if (got <= 0) {
			status = got == 0 ? MSG_END_CHANGED : MSG_END_UNREADABLE;
			break;
		}
		hash_update(h, p, (size_t)got);
		if ((r = conn_bulk_commit(&s->c, FRAME_DATA, (size_t)got,
		    cause)) != 0)
			break;
		done += (uint64_t)got;
		send_throttle(s, (size_t)got);
		progress_update(&s->sh->pr, so->rel, __atomic_add_fetch(
		    &so->moved, (uint64_t)got, __ATOMIC_RELAXED), so->size,
		    (uint64_t)got, 0);
	}
	if (r == 0)
		r = send_end(s, so->id, (uint8_t)status, done, h,
		    status == MSG_END_UNREADABLE ? strerror(errno) : "", cause);
out:
	pthread_mutex_lock(&s->sh->stripes.mu);
	hash_digest(h, so->hashes[index]);
	if (status != MSG_END_OK && so->status == MSG_END_OK)
		so->status = status;
	if (r == 0)
		so->finished++;
	if (s->index != so->owner)
		so->spread = 1;
	pthread_cond_broadcast(&s->sh->stripes.cv);
	pthread_mutex_unlock(&s->sh->stripes.mu);
	hash_free(h);
	return (r);
}

/* Takes and sends chunks (of only, if set) while there are some. */
static int
stripe_work(struct send_stream *s, const struct stripe_out *only,
    char **cause)
{
	struct stripe_sched	*ss = &s->sh->stripes;
	struct stripe_out	*so;
	uint32_t		 index;
	int			 r = 0;

	while (r == 0) {
		pthread_mutex_lock(&ss->mu);
		so = stripe_take_locked(ss, &index, only);
		pthread_mutex_unlock(&ss->mu);
		if (so == NULL)
			break;
		r = stripe_do_chunk(s, so, index, cause);
		pthread_mutex_lock(&ss->mu);
		stripe_release(so);
		pthread_mutex_unlock(&ss->mu);
	}
	return (r);
}

int
stripe_help(struct send_stream *s, char **cause)
{
	if (s->index >= s->sh->stripes.use)
		return (0);
	return (stripe_work(s, NULL, cause));
}

/*
 * Checks the receiver's STRIPE plan: a chunk size that keeps the count
 * within bounds, and a map of exactly one bit per chunk.
 */
static int
stripe_check_plan(const struct send_item *it, uint32_t *nchunks,
    char **cause)
{
	uint64_t	cs = it->plan.offset;

	if (cs < 65536 || cs > STRIPE_CHUNK_MAX || it->size == 0 ||
	    (it->size + cs - 1) / cs > STRIPE_CHUNKS_MAX)
		return (err_set(cause, FERRY_ERR_PROTO, "STRIPE plan for id "
		    "%u with a chunk size of %ju", it->id,
		    (uintmax_t)cs));
	*nchunks = stripe_chunks(it->size, (uint32_t)cs);
	if (it->map.len != (*nchunks + 7) / 8)
		return (err_set(cause, FERRY_ERR_PROTO, "STRIPE plan for id "
		    "%u with a map of %zu bytes for %u chunks", it->id,
		    it->map.len, *nchunks));
	return (0);
}

int
stripe_send_file(struct send_stream *s, struct send_item *it, char **cause)
{
	const struct transfer_file	*tf = &s->sh->l->v[it->id];
	struct stripe_sched		*ss = &s->sh->stripes;
	struct stripe_out		*so;
	struct stat			 sb;
	struct hash			*h;
	char				*why = NULL;
	uint32_t			 i, nchunks = 0;
	int				 fd, r, status;

	if ((r = stripe_check_plan(it, &nchunks, cause)) != 0)
		return (r);
	if ((r = send_begin(s, it->id, MSG_PLAN_STRIPE, 0, cause)) != 0)
		return (r);
	if (send_open(s->sh, tf, O_RDONLY, &fd, &sb, &why) != 0) {
		r = send_end(s, it->id, MSG_END_UNREADABLE, 0, NULL, why,
		    cause);
		free(why);
		return (r);
	}
	so = calloc(1, sizeof *so);
	if (so == NULL || (so->hashes = calloc(nchunks, HASH_LEN)) == NULL ||
	    (so->held = malloc(it->map.len)) == NULL) {
		if (so != NULL)
			free(so->hashes);
		free(so);
		close(fd);
		return (FERRY_ERR_NOMEM);
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	so->id = it->id;
	so->rel = tf->rel;
	so->fd = fd;
	so->size = it->size;
	so->csize = (uint32_t)it->plan.offset;
	so->nchunks = nchunks;
	memcpy(so->held, it->map.data, it->map.len);
	so->refs = 1;
	so->owner = s->index;
	pthread_mutex_lock(&ss->mu);
	so->next = ss->list;
	ss->list = so;
	pthread_cond_broadcast(&ss->cv);
	pthread_mutex_unlock(&ss->mu);
	/*
	 * This stream takes chunks too (alone when ss->use is 0), then
	 * waits for the others' last.
	 */
	r = stripe_work(s, s->index < ss->use ? NULL : so, cause);
	pthread_mutex_lock(&ss->mu);
	while (r == 0 && so->finished < so->nchunks && !ss->broken)
		pthread_cond_wait(&ss->cv, &ss->mu);
	if (r == 0 && so->finished < so->nchunks)
		r = err_set(cause, FERRY_ERR_CLOSED, "another stream of the "
		    "transfer failed during %s", tf->rel);
	status = so->status;
	it->spread = so->spread;
	pthread_mutex_unlock(&ss->mu);
	if (r == 0 && (fstat(fd, &sb) == -1 || (uint64_t)sb.st_size !=
	    it->size || sb.st_mtim.tv_sec != it->mtime_sec ||
	    (uint32_t)sb.st_mtim.tv_nsec != it->mtime_nsec))
		status = MSG_END_CHANGED;
	it->changed = status == MSG_END_CHANGED;
	if (r == 0 && (h = hash_new()) == NULL)
		r = FERRY_ERR_NOMEM;
	else if (r == 0) {
		for (i = 0; i < nchunks; i++)
			hash_update(h, so->hashes[i], HASH_LEN);
		r = send_end(s, it->id, (uint8_t)status, it->size, h,
		    status == MSG_END_OK ? "" : status == MSG_END_CHANGED ?
		    "the source changed while it was read" :
		    "the source could not be read", cause);
		hash_free(h);
	}
	pthread_mutex_lock(&ss->mu);
	stripe_release(so);
	pthread_mutex_unlock(&ss->mu);
	return (r);
}

/* Sends an empty FILE_BEGIN and takes the receiver's (empty) ACKs. */
static int
stripe_end_batch(struct send_stream *s, char **cause)
{
	struct frame	f;
	struct buf	out;
	int		r;

	buf_init(&out, 0);
	if ((r = msg_end_of_batch(&out, FRAME_FILE_BEGIN)) == 0 &&
	    (r = conn_put(&s->c, out.data, out.len, cause)) == 0)
		r = conn_flush(&s->c, cause);
	buf_free(&out);
	if (r == 0 && (r = conn_expect(&s->c, FRAME_ACK, &f, cause)) == 0 &&
	    f.len != 0)
		r = err_set(cause, FERRY_ERR_PROTO, "an ACK in a batch of "
		    "chunks");
	return (r);
}

int
stripe_idle(struct send_stream *s, char **cause)
{
	struct stripe_sched	*ss = &s->sh->stripes;
	struct timespec		 ts;
	double			 since = progress_now();
	int			 r, work;

	for (;;) {
		if ((r = send_aborted(s, cause)) != 0)
			return (r);
		pthread_mutex_lock(&ss->mu);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		if (s->index < ss->use && ss->list == NULL && ss->open > 0 &&
		    !ss->broken)
			pthread_cond_timedwait(&ss->cv, &ss->mu, &ts);
		work = s->index < ss->use && ss->list != NULL;
		if (!work && (s->index >= ss->use || ss->open <= 0 ||
		    ss->broken)) {
			pthread_mutex_unlock(&ss->mu);
			return (0);
		}
		pthread_mutex_unlock(&ss->mu);
		if (work) {
			/* A batch of chunks, without entries (6.7). */
			if ((r = stripe_help(s, cause)) != 0 ||
			    (r = stripe_end_batch(s, cause)) != 0)
				return (r);
			since = progress_now();
		} else if (progress_now() - since >= STRIPE_KEEPALIVE_S) {
			if ((r = stripe_end_batch(s, cause)) != 0)
				return (r);
			since = progress_now();
		}
	}
}
