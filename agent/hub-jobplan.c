/*
 * A big job's plan on disk (issue 15, "Scale"). A send lists its files
 * into memory and sorts them by destination, one task per destination
 * (the first naming wins): about 250 bytes a file, 250 MB for a million.
 * Past JOBPLAN_SPILL files the list goes to a private temporary file
 * instead, a sorted run at a time, and the job is stored from a merge of
 * the runs (a heap of each run's next file), so the hub holds a buffer
 * of each run and one file's strings: 5 MB for ten million files.
 *
 * The runs were rows of a private SQLite database until S8's eighth
 * pass: each file inserted into its B-tree and read back cost 6 % of the
 * daemons' CPU in a no-op of 20,000 files; a sorted run is written in
 * one go and read in blocks.
 *
 * The file is made under TMPDIR (else /tmp) already unlinked
 * (O_TMPFILE, or removed at once), so that nothing of it outlives the
 * hub, also when it is killed. Nothing here is durable: the job is in
 * the store once store_job_create_stream returns, or not at all.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "ferryd.h"
#include "hub-jobplan.h"
#include "store.h"

/*
 * A record: these five, then dst, src and basis, each with its NUL.
 * JP_DONE: 1 for a task found at the receiver already (hub-compare.c).
 */
enum { JP_DST, JP_SRC, JP_BASIS, JP_SIZE, JP_DONE, JP_HDR };
#define JP_HDR_BYTES	(JP_HDR * sizeof(uint64_t))
/* Bytes a run reads at a time (and holds, unless a record is longer). */
#define JP_RUN_BUF	8192
/* No string of a record is longer: a path is at most 16 KB. */
#define JP_STR_MAX	(1U << 20)

/* One sorted run of the file, and where its merge is. */
struct jobplan_run {
	off_t			 at, end;	/* its next unread byte, end */
	size_t			 left;		/* records not loaded yet */
	char			*buf;
	size_t			 cap, len, pos;	/* pos: after its record */
	struct store_task	 rec;		/* loaded, pointing in buf */
};

/* By destination, then in the order the paths named them. */
static int
jobs_task_cmp(const void *a, const void *b)
{
	const struct store_task	*x = a, *y = b;
	int			 c = strcmp(x->dst_path, y->dst_path);

	if (c != 0)
		return (c);
	return (x->id < y->id ? -1 : x->id > y->id);
}

/*
 * One task per destination file, however the paths named it (a folder,
 * and a sequence inside it): the first naming wins. Sends and publishes
 * both plan through it.
 */
void
jobs_tasks_dedupe(struct store_task *t, size_t *np)
{
	size_t	i, n = 0;

	if (*np < 2)
		return;
	/* The id (unused until stored) keeps the order paths named them. */
	for (i = 0; i < *np; i++)
		t[i].id = (int64_t)i;
	qsort(t, *np, sizeof *t, jobs_task_cmp);
	for (i = 0; i < *np; i++) {
		if (n > 0 && strcmp(t[n - 1].dst_path, t[i].dst_path) == 0) {
			free(t[i].src_path);
			free(t[i].dst_path);
			free(t[i].basis);
			continue;
		}
		t[n++] = t[i];
	}
	for (i = 0; i < n; i++)
		t[i].id = 0;
	*np = n;
}

/* Names the directory: a full TMPDIR must say which it is. */
static int
jobplan_err(const struct jobplan *p, char **cause, const char *what, int e)
{
	return (err_set(cause, FERRY_ERR_IO, "planning the job's files on "
	    "disk (%s, in %s: TMPDIR): %s", what, p->dir, strerror(e)));
}

static int
jobplan_open(struct jobplan *p, char **cause)
{
	const char	*dir = getenv("TMPDIR");
	char		 path[4096];
	int		 fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(p->dir, sizeof p->dir, "%s", dir);
#ifdef O_TMPFILE
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) != -1) {
		p->fd = fd;
		p->open = 1;
		return (0);
	}
#endif
	if ((size_t)snprintf(path, sizeof path, "%s/ferryd-plan.XXXXXX",
	    dir) >= sizeof path)
		return (jobplan_err(p, cause, "its name", ENAMETOOLONG));
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1)
		return (jobplan_err(p, cause, "creating a file", errno));
	unlink(path);
	p->fd = fd;
	p->open = 1;
	return (0);
}

/* Appends t's record to b (grown as needed). */
static int
jobplan_put(char **b, size_t *len, size_t *cap, const struct store_task *t)
{
	uint64_t	h[JP_HDR];
	size_t		need;
	char		*v;

	h[JP_DST] = strlen(t->dst_path);
	h[JP_SRC] = strlen(t->src_path);
	h[JP_BASIS] = t->basis != NULL ? strlen(t->basis) + 1 : 0;
	h[JP_SIZE] = (uint64_t)t->size;
	h[JP_DONE] = t->state == STORE_DONE;
	need = JP_HDR_BYTES + h[JP_DST] + 1 + h[JP_SRC] + 1 + h[JP_BASIS];
	if (*len + need > *cap) {
		if ((v = realloc(*b, *cap * 2 + need)) == NULL)
			return (FERRY_ERR_NOMEM);
		*b = v;
		*cap = *cap * 2 + need;
	}
	v = *b + *len;
	memcpy(v, h, JP_HDR_BYTES);
	v += JP_HDR_BYTES;
	memcpy(v, t->dst_path, h[JP_DST] + 1);
	v += h[JP_DST] + 1;
	memcpy(v, t->src_path, h[JP_SRC] + 1);
	v += h[JP_SRC] + 1;
	if (t->basis != NULL)
		memcpy(v, t->basis, h[JP_BASIS]);
	*len += need;
	return (0);
}

/* Writes the n tasks of t, sorted and deduplicated, as one run. */
static int
jobplan_write(struct jobplan *p, const struct store_task *t, size_t n,
    char **cause)
{
	struct jobplan_run	*v;
	char			*b = NULL;
	size_t			 i, len = 0, cap = 0, done = 0;
	ssize_t			 k;
	off_t			 at = p->size;
	int			 r = 0;

	if ((v = reallocarray(p->run, p->nrun + 1, sizeof *v)) == NULL)
		return (FERRY_ERR_NOMEM);
	p->run = v;
	for (i = 0; r == 0 && i < n; i++)
		r = jobplan_put(&b, &len, &cap, &t[i]);
	while (r == 0 && done < len) {
		if ((k = pwrite(p->fd, b + done, len - done, at)) == -1 &&
		    errno == EINTR)
			continue;
		if (k <= 0)
			r = jobplan_err(p, cause, "writing", k == 0 ? EIO :
			    errno);
		else {
			done += (size_t)k;
			at += k;
		}
	}
	free(b);
	if (r != 0)
		return (r);
	memset(&v[p->nrun], 0, sizeof *v);
	v[p->nrun].at = p->size;
	v[p->nrun].end = at;
	v[p->nrun].left = n;
	p->nrun++;
	p->size = at;
	return (0);
}

int
jobplan_spill(struct jobplan *p, struct store_task *t, size_t *np,
    char **cause)
{
	size_t	i;
	int	r = 0;

	/* A run is sorted by destination, one naming of each (the first). */
	jobs_tasks_dedupe(t, np);
	if (*np > 0 && !p->open)
		r = jobplan_open(p, cause);
	if (r == 0 && *np > 0)
		r = jobplan_write(p, t, *np, cause);
	for (i = 0; i < *np; i++) {
		free(t[i].src_path);
		free(t[i].dst_path);
		free(t[i].basis);
	}
	*np = 0;
	return (r);
}

/* Whether run a's record comes before run b's: by destination, then run. */
static int
jobplan_before(const struct jobplan *p, size_t a, size_t b)
{
	int	c = strcmp(p->run[a].rec.dst_path, p->run[b].rec.dst_path);

	return (c < 0 || (c == 0 && a < b));
}

static void
jobplan_sift(struct jobplan *p, size_t i)
{
	size_t	l, m, x;

	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < p->nheap && jobplan_before(p, p->heap[l], p->heap[m]))
			m = l;
		if (l + 1 < p->nheap && jobplan_before(p, p->heap[l + 1],
		    p->heap[m]))
			m = l + 1;
		if (m == i)
			return;
		x = p->heap[i];
		p->heap[i] = p->heap[m];
		p->heap[m] = x;
		i = m;
	}
}

/* At least n bytes of run r from pos on, in its buffer. */
static int
jobplan_fill(struct jobplan *p, struct jobplan_run *r, size_t n,
    char **cause)
{
	ssize_t	k;
	size_t	want;
	char	*v;

	if (r->len - r->pos >= n)
		return (0);
	if (r->len > r->pos)	/* never with buf NULL: memmove's UB */
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
	r->len -= r->pos;
	r->pos = 0;
	if (r->cap < n || r->cap < JP_RUN_BUF) {
		want = n > JP_RUN_BUF ? n : JP_RUN_BUF;
		if ((v = realloc(r->buf, want)) == NULL)
			return (FERRY_ERR_NOMEM);
		r->buf = v;
		r->cap = want;
	}
	while (r->len < n) {
		want = r->cap - r->len;
		if ((off_t)want > r->end - r->at)
			want = (size_t)(r->end - r->at);
		if (want == 0)
			return (jobplan_err(p, cause, "reading", EIO));
		if ((k = pread(p->fd, r->buf + r->len, want, r->at)) == -1 &&
		    errno == EINTR)
			continue;
		if (k <= 0)
			return (jobplan_err(p, cause, "reading", k == 0 ?
			    EIO : errno));
		r->len += (size_t)k;
		r->at += k;
	}
	return (0);
}

/* Loads run r's next record: 1, 0 at its end, or an error. */
static int
jobplan_load(struct jobplan *p, struct jobplan_run *r, char **cause)
{
	uint64_t	h[JP_HDR];
	size_t		need;
	char		*v;
	int		e;

	if (r->left == 0)
		return (0);
	if ((e = jobplan_fill(p, r, JP_HDR_BYTES, cause)) != 0)
		return (e);
	memcpy(h, r->buf + r->pos, JP_HDR_BYTES);
	if (h[JP_DST] > JP_STR_MAX || h[JP_SRC] > JP_STR_MAX ||
	    h[JP_BASIS] > JP_STR_MAX + 1)
		return (jobplan_err(p, cause, "reading", EIO));
	need = JP_HDR_BYTES + h[JP_DST] + 1 + h[JP_SRC] + 1 + h[JP_BASIS];
	if ((e = jobplan_fill(p, r, need, cause)) != 0)
		return (e);
	v = r->buf + r->pos + JP_HDR_BYTES;
	memset(&r->rec, 0, sizeof r->rec);
	r->rec.dst_path = v;
	r->rec.src_path = v + h[JP_DST] + 1;
	r->rec.basis = h[JP_BASIS] != 0 ? r->rec.src_path + h[JP_SRC] + 1 :
	    NULL;
	r->rec.size = (int64_t)h[JP_SIZE];
	r->rec.state = h[JP_DONE] ? STORE_DONE : STORE_QUEUED;
	r->pos += need;
	r->left--;
	return (1);
}

/* Moves the heap's first run on to its next record. */
static int
jobplan_advance(struct jobplan *p, char **cause)
{
	int	e;

	if ((e = jobplan_load(p, &p->run[p->heap[0]], cause)) < 0)
		return (e);
	if (e == 0)
		p->heap[0] = p->heap[--p->nheap];
	jobplan_sift(p, 0);
	return (0);
}

/* Each run's first record, and the heap of runs. */
static int
jobplan_merge(struct jobplan *p, char **cause)
{
	size_t	i;
	int	e;

	if ((p->heap = calloc(p->nrun + 1, sizeof *p->heap)) == NULL)
		return (FERRY_ERR_NOMEM);
	for (i = 0; i < p->nrun; i++) {
		if ((e = jobplan_load(p, &p->run[i], cause)) < 0)
			return (e);
		if (e == 1)
			p->heap[p->nheap++] = i;
	}
	for (i = p->nheap / 2 + 1; i-- > 0;)
		jobplan_sift(p, i);
	p->merging = 1;
	return (0);
}

int
jobplan_next(void *arg, const struct store_task **t, char **cause)
{
	struct jobplan		*p = arg;
	const struct store_task	*rec;
	int			 r;

	if (!p->merging && (r = jobplan_merge(p, cause)) != 0)
		return (r);
	/* The record given last is valid until now. */
	if (p->given && (p->given = 0, r = jobplan_advance(p, cause)) != 0)
		return (r);
	/* One task per destination: the first named, as jobs_tasks_dedupe. */
	while (p->nheap > 0) {
		rec = &p->run[p->heap[0]].rec;
		if (p->last != NULL && strcmp(p->last, rec->dst_path) == 0) {
			if ((r = jobplan_advance(p, cause)) != 0)
				return (r);
			continue;
		}
		free(p->last);
		if ((p->last = strdup(rec->dst_path)) == NULL)
			return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
		p->cur = *rec;
		p->cur.dst_path = p->last;
		p->given = 1;
		p->ndone += rec->state == STORE_DONE;
		*t = &p->cur;
		return (1);
	}
	return (0);
}

void
jobplan_close(struct jobplan *p)
{
	size_t	i;

	if (p->open)
		close(p->fd);
	for (i = 0; i < p->nrun; i++)
		free(p->run[i].buf);
	free(p->run);
	free(p->heap);
	free(p->last);
	memset(p, 0, sizeof *p);
}
