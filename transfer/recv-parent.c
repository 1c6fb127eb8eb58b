/*
 * The directories a receiver writes into (recv-int.h), below recv.c and
 * recv-commit.c, which both open them: the last one stays open, its names
 * read once, and an entry refused on the way is reported as a suspect. A
 * file's failure is marked here too: recv.c and stripe-recv.c both mark
 * it.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "clock.h"
#include "err.h"
#include "recv-int.h"
#include "tree.h"

/* Tells the caller about an entry that broke the rules (transfer.h). */
void
recv_suspect(struct recv_stream *s, const char *rel, const char *why)
{
	const struct transfer_opts	*o = s->sh->o;

	if (o->suspect != NULL)
		o->suspect(rel, why != NULL ? why : "refused", o->suspect_arg);
}

/*
 * Like tree_open_parent, but keeps the last directory open: entries of one
 * directory come together, and walking the path for each costs a system
 * call per component. The fd is borrowed: do not close it.
 */
int
recv_parent(struct recv_stream *s, const char *rel, int create, int *dirfd,
    const char **base, char **cause)
{
	const char	*slash = strrchr(rel, '/');
	size_t		 n = slash != NULL ? (size_t)(slash - rel) : 0;
	char		*dir;
	int		 fd, r;

	*base = slash != NULL ? slash + 1 : rel;
	if (s->cache_fd != -1 && strlen(s->cache_dir) == n &&
	    strncmp(s->cache_dir, rel, n) == 0) {
		*dirfd = s->cache_fd;
		return (0);
	}
	if ((r = tree_open_parent_mode(s->sh->rootfd, rel, create ?
	    RECV_DIR_MODE(s) : 0, &fd, base, cause)) != 0) {
		if (r == FERRY_ERR_DENIED)
			recv_suspect(s, rel, *cause);
		return (r);
	}
	if ((dir = strndup(rel, n)) == NULL) {
		close(fd);
		return (FERRY_ERR_NOMEM);
	}
	if (s->cache_fd != -1)
		close(s->cache_fd);
	free(s->cache_dir);
	s->cache_dir = dir;
	s->cache_fd = fd;
	s->cache_parts = -1;	/* its names not read yet */
	s->cache_own = -1;
	s->cache_gen++;	/* recv-write.c's copy of it is stale */
	*dirfd = fd;
	return (0);
}

/*
 * The cached directory's names, read once, when a file there is first
 * planned: a fresh tree then costs one getdents per directory rather than
 * one failed lookup per file, first for the partial files of an earlier,
 * interrupted try (half the receiver's openat calls in S7), then for the
 * file itself (its fstatat, 7 % of a receiving agent's S7 samples: a
 * lookup that fails on disk, docs/benchmarks.md). Partial files that
 * appear there later are other files' (each file is one stream's, and the
 * hub lets one task at a time write a destination); a file someone else
 * makes there later is found by the commit, which renames over it as it
 * would over one seen here (recv-commit.c), so a name wrongly taken for
 * new costs the skip or the delta it could have had (a copy made there
 * meanwhile is sent again and replaced), and a directory in its way
 * fails it at the commit rather than at the plan. So that this stays a
 * matter of moments, as between a lookup and its commit, names read more
 * than RECV_SCAN_FRESH_MS ago are read again before a file is taken for
 * new. A large directory is not read through: past RECV_SCAN_MAX names,
 * its files are looked up one by one again. Names are kept as 64-bit
 * hashes: two names of one hash make a lookup, never a name taken for new
 * that was there.
 */
#define RECV_SCAN_MAX		8192
#define RECV_SCAN_FRESH_MS	2000

static int
recv_hash_cmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

static void
recv_dir_scan(struct recv_stream *s)
{
	const size_t	 k = strlen(TREE_PART);
	struct dirent	*de;
	uint64_t	*v;
	DIR		*dp;
	size_t		 len, n;
	int		 fd, parts = 0;

	s->cache_parts = 1;	/* on any doubt: file by file */
	s->cache_names_all = 0;
	s->cache_nnames = 0;
	s->cache_scanned = clock_ms();
	if ((fd = openat(s->cache_fd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return;
	if ((dp = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(dp)) == NULL) {
			if (errno != 0)
				break;
			s->cache_parts = parts;
			qsort(s->cache_names, s->cache_nnames,
			    sizeof *s->cache_names, recv_hash_cmp);
			s->cache_names_all = 1;
			break;
		}
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' && len > k &&
		    memcmp(de->d_name + len - k, TREE_PART, k) == 0)
			parts = 1;
		if (s->cache_nnames == RECV_SCAN_MAX)
			break;
		if (s->cache_nnames == s->cache_names_cap) {
			n = s->cache_names_cap ? 2 * s->cache_names_cap : 256;
			if ((v = realloc(s->cache_names, n * sizeof *v)) ==
			    NULL)
				break;
			s->cache_names = v;
			s->cache_names_cap = n;
		}
		s->cache_names[s->cache_nnames++] = XXH3_64bits(de->d_name,
		    len);
	}
	closedir(dp);
}

int
recv_dir_partials(struct recv_stream *s)
{
	if (s->cache_parts == -1)
		recv_dir_scan(s);
	return (s->cache_parts);
}

int
recv_dir_lacks(struct recv_stream *s, const char *name)
{
	uint64_t	h;

	if (s->cache_parts == -1 || clock_ms() - s->cache_scanned >
	    RECV_SCAN_FRESH_MS)
		recv_dir_scan(s);
	if (!s->cache_names_all)
		return (0);
	h = XXH3_64bits(name, strlen(name));
	return (bsearch(&h, s->cache_names, s->cache_nnames,
	    sizeof *s->cache_names, recv_hash_cmp) == NULL);
}

/* Marks the file failed; its remaining data will be read and dropped. */
void
recv_file_fail(struct recv_file *rf, const char *fmt, ...)
{
	va_list	ap;

	if (rf->failed)
		return;
	rf->failed = 1;
	free(rf->why);
	va_start(ap, fmt);
	if (vasprintf(&rf->why, fmt, ap) == -1)
		rf->why = NULL;
	va_end(ap);
}
