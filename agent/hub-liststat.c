/*
 * The listing's stats, lent to the dispatcher (hub-liststat.h). A send's
 * thread notes each file as it lists it, in a table of its own; the
 * table is handed over whole, under d->mu, before its job is stored, and
 * the dispatcher (which holds d->mu) takes each note once. Tables go
 * when all their notes are taken or LISTSTAT_MS after their listing
 * began, whichever is first.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "hash.h"
#include "hub-liststat.h"

/*
 * 32 bytes a note, and 4 an index slot: the dispatcher's lookups are
 * cache misses (the listing's notes are cold by then), fewer when small.
 * Offsets fit: a listing holds at most LISTSTAT_MAX_BYTES.
 */
struct liststat_note {
	uint32_t	 path;		/* offsets into names */
	uint32_t	 root;
	int64_t		 size;
	int64_t		 mtime_sec;
	uint32_t	 mtime_nsec;
	uint32_t	 mode : 31;
	uint32_t	 taken : 1;
};

struct liststat {
	struct liststat		*next;
	int64_t			 job;		/* whose listing; 0: none yet */
	int64_t			 born;		/* clock_ms(), before any stat */
	struct buf		 names;		/* NUL-terminated, one after another */
	uint32_t		 root;		/* the last root noted, in names */
	int			 have_root;
	struct liststat_note	*v;
	size_t			 n, cap;
	uint32_t		*index;		/* note + 1 by path hash; 0: free */
	size_t			 nindex;	/* a power of two, >= 2n */
	/* Notes are appended; the index is built once, by liststat_seal. */
	size_t			 left;		/* notes not taken */
	size_t			 bytes;		/* all of the above */
	int			 full;		/* stopped noting */
};

/* The tables handed over, newest first, and their bytes. d->mu. */
static struct liststat	*liststat_head;
static size_t		 liststat_bytes;

struct liststat *
liststat_new(void)
{
	struct liststat	*ls;

	if ((ls = calloc(1, sizeof *ls)) == NULL)
		return (NULL);
	buf_init(&ls->names, 0);
	ls->born = clock_ms();
	return (ls);
}

void
liststat_free(struct liststat *ls)
{
	if (ls == NULL)
		return;
	buf_free(&ls->names);
	free(ls->v);
	free(ls->index);
	free(ls);
}

/* Adds v[i] to the index, which has room. */
static void
liststat_index_add(struct liststat *ls, size_t i)
{
	size_t	k = hash_str(ls->names.data + ls->v[i].path) &
		    (ls->nindex - 1);

	while (ls->index[k] != 0)
		k = (k + 1) & (ls->nindex - 1);
	ls->index[k] = (uint32_t)i + 1;
}

void
liststat_seal(struct liststat *ls)
{
	size_t	i, n = 1024;

	if (ls == NULL || ls->index != NULL || ls->full || ls->n == 0)
		return;
	/* Sized once for all the notes: at most half full. */
	while (n < ls->n * 2)
		n *= 2;
	if ((ls->index = calloc(n, sizeof *ls->index)) == NULL) {
		ls->full = 1;	/* not handed over */
		return;
	}
	ls->nindex = n;
	ls->bytes += n * sizeof *ls->index;
	for (i = 0; i < ls->n; i++)
		liststat_index_add(ls, i);
}

void
liststat_note(struct liststat *ls, const char *root, const char *path,
    const struct stat *sb)
{
	struct liststat_note	*nv, *e;
	size_t			 at = ls != NULL ? ls->names.len : 0, cap;

	if (ls == NULL || ls->full || root == NULL)
		return;
	if (ls->bytes + strlen(path) + strlen(root) + 2 * sizeof *e >
	    (size_t)LISTSTAT_MAX_BYTES) {
		ls->full = 1;
		return;
	}
	if (ls->n == ls->cap) {
		cap = ls->cap ? ls->cap * 2 : 256;
		if ((nv = realloc(ls->v, cap * sizeof *nv)) == NULL) {
			ls->full = 1;
			return;
		}
		ls->bytes += (cap - ls->cap) * sizeof *nv;
		ls->v = nv;
		ls->cap = cap;
	}
	/* Roots change once per path given to send, not per file. */
	if (!ls->have_root || strcmp(ls->names.data + ls->root, root) != 0) {
		if (buf_add(&ls->names, root, strlen(root) + 1) != 0) {
			ls->full = 1;
			return;
		}
		ls->root = (uint32_t)at;
		ls->have_root = 1;
		at = ls->names.len;
	}
	if (ls->index != NULL || buf_add(&ls->names, path,
	    strlen(path) + 1) != 0) {
		ls->full = 1;
		return;
	}
	ls->bytes += ls->names.len - at;
	e = &ls->v[ls->n];
	e->path = (uint32_t)at;
	e->root = ls->root;
	e->size = sb->st_size;
	e->mtime_sec = sb->st_mtim.tv_sec;
	e->mtime_nsec = (uint32_t)sb->st_mtim.tv_nsec;
	e->mode = (uint32_t)sb->st_mode & 0x7fffffff;
	e->taken = 0;
	ls->n++;
	ls->left++;
}

/* Forgets the tables that are spent or too old. Caller holds d->mu. */
static void
liststat_sweep(int64_t now)
{
	struct liststat	**pp = &liststat_head, *ls;

	while ((ls = *pp) != NULL) {
		if (ls->left > 0 && now - ls->born < LISTSTAT_MS) {
			pp = &ls->next;
			continue;
		}
		*pp = ls->next;
		liststat_bytes -= ls->bytes;
		liststat_free(ls);
	}
}

void
liststat_publish_more(struct liststat *ls, int64_t job)
{
	liststat_sweep(clock_ms());
	liststat_seal(ls);
	if (ls == NULL || ls->index == NULL || ls->n == 0 || ls->full ||
	    liststat_bytes + ls->bytes > (size_t)LISTSTAT_MAX_BYTES) {
		/* A listing kept in part is as good, but kept simple: none. */
		liststat_free(ls);
		return;
	}
	ls->job = job;
	ls->next = liststat_head;
	liststat_head = ls;
	liststat_bytes += ls->bytes;
}

void
liststat_publish(struct liststat *ls, int64_t job)
{
	struct liststat	*o;

	/*
	 * A job id a store may give again (a job removed after its storing
	 * failed): whatever an earlier listing left under it goes.
	 */
	for (o = liststat_head; o != NULL; o = o->next)
		if (o->job == job)
			o->left = 0;
	liststat_publish_more(ls, job);
}

/* The note of ls for path below root not taken yet, or NULL. */
static struct liststat_note *
liststat_find(struct liststat *ls, uint64_t h, const char *root,
    const char *path)
{
	struct liststat_note	*e;
	size_t			 k = h & (ls->nindex - 1);

	for (; ls->index[k] != 0; k = (k + 1) & (ls->nindex - 1)) {
		e = &ls->v[ls->index[k] - 1];
		if (!e->taken && strcmp(ls->names.data + e->path, path) == 0 &&
		    strcmp(ls->names.data + e->root, root) == 0)
			return (e);
	}
	return (NULL);
}

int
liststat_take(int64_t job, const char *root, const char *path,
    struct stat *sb)
{
	struct liststat_note	*e = NULL;
	struct liststat		*ls;
	int64_t			 now;
	uint64_t		 h;

	if (liststat_head == NULL)
		return (-1);
	now = clock_ms();
	liststat_sweep(now);
	h = hash_str(path);
	for (ls = liststat_head; ls != NULL; ls = ls->next) {
		if (ls->job == job &&
		    (e = liststat_find(ls, h, root, path)) != NULL)
			break;
	}
	if (e == NULL)
		return (-1);
	memset(sb, 0, sizeof *sb);
	sb->st_size = (off_t)e->size;
	sb->st_mtim.tv_sec = (time_t)e->mtime_sec;
	sb->st_mtim.tv_nsec = e->mtime_nsec;
	sb->st_mode = e->mode;
	/* Once: a retry stats (as does the same file in another job). */
	e->taken = 1;
	if (--ls->left == 0)
		liststat_sweep(now);	/* spent: let it go now */
	return (0);
}
