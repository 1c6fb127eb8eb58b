/*
 * A sending stream's primitives, below send.c and stripe-send.c, which
 * both send files: opening a source beneath the root, the BEGIN and END
 * of a file, the shared bandwidth limit, the caller's stop, and finding a
 * batch's item by id.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "hash-int.h"
#include "send-int.h"
#include "session-int.h"

/*
 * Opens tf's source beneath the list's root (transfer_open_source). A
 * refusal goes to the suspect callback too: something was swapped in
 * after the list was made, or it was forged.
 */
int
send_open(struct send_shared *sh, const struct transfer_file *tf, int flags,
    int *fd, struct stat *sb, char **why)
{
	const char	*rel = transfer_src_rel(sh->l->root, tf->src);
	int		 r;

	if (rel == NULL)
		r = err_set(why, FERRY_ERR_DENIED, "%s: not below %s", tf->src,
		    sh->l->root);
	else
		r = transfer_open_source(sh->rootfd, rel, flags, fd, sb, why);
	if (r == FERRY_ERR_DENIED && sh->o->suspect != NULL)
		sh->o->suspect(tf->rel, *why, sh->o->suspect_arg);
	return (r);
}

/* Whether the caller asked the transfer to stop. */
int
send_aborted(const struct send_stream *s, char **cause)
{
	if (s->sh->o->abort == NULL || !*s->sh->o->abort)
		return (0);
	return (err_set(cause, FERRY_ERR_CANCELLED, "the transfer was "
	    "stopped"));
}

/* Keeps all streams together under the bandwidth limit, if there is one. */
void
send_throttle(struct send_stream *s, size_t n)
{
	struct send_shared	*sh = s->sh;
	struct timespec		 ts;
	double			 now, at;
	uint64_t		 rate;

	rate = sh->o->bwlimit_live != NULL ? atomic_load(sh->o->bwlimit_live) :
	    sh->o->bwlimit;
	if (rate == 0)
		return;
	now = progress_now();
	pthread_mutex_lock(&sh->mu);
	at = sh->bw_next > now ? sh->bw_next : now;
	sh->bw_next = at + (double)n / (double)rate;
	pthread_mutex_unlock(&sh->mu);
	if (at > now) {
		ts.tv_sec = (time_t)(at - now);
		ts.tv_nsec = (long)((at - now - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
	}
}

int
send_begin(struct send_stream *s, uint32_t id, uint8_t action,
    uint64_t offset, char **cause)
{
	struct msg_begin	b = { id, action, offset };
	struct buf		out;
	int			r;

	buf_init(&out, 0);
	if ((r = msg_begin_encode(&out, &b)) == 0)
		r = conn_put(&s->c, out.data, out.len, cause);
	buf_free(&out);
	return (r);
}

int
send_end(struct send_stream *s, uint32_t id, uint8_t status, uint64_t size,
    struct hash *h, const char *reason, char **cause)
{
	struct msg_end	end;
	struct buf	out;
	int		r;

	memset(&end, 0, sizeof end);
	end.id = id;
	end.status = status;
	end.size = size;
	end.reason = (char *)(uintptr_t)reason;
	if (h != NULL)
		hash_digest(h, end.hash);
	buf_init(&out, 0);
	if ((r = msg_end_encode(&out, &end)) == 0)
		r = conn_put(&s->c, out.data, out.len, cause);
	buf_free(&out);
	return (r);
}

/*
 * The item of the list held (n of them) that has this id, or NULL. PLANs
 * and ACKs come in the order offered: searching on from the last one
 * found makes a batch one pass, not 1,024 squared / 2 compares.
 */
struct send_item *
send_find(struct send_stream *s, const size_t *list, size_t n, uint32_t id)
{
	size_t	i, k;

	for (k = 0; k < n; k++) {
		i = (s->find_next + k) % n;
		if (s->items[list[i]].id == id) {
			s->find_next = i + 1;
			return (&s->items[list[i]]);
		}
	}
	return (NULL);
}
