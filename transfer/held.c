/* What a receiver already holds for an entry (held.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "beneath.h"
#include "compat.h"
#include "err.h"
#include "held-int.h"
#include "transfer.h"
#include "tree.h"

/*
 * Whether the file's mtime is the entry's, as far as this system keeps
 * one: a Windows receiver stores a Linux sender's nanoseconds in 100 ns
 * ticks, and would otherwise never know a file it wrote itself.
 */
static int
held_same_mtime(const struct stat *sb, const struct msg_entry *e)
{
	uint64_t	step = (uint64_t)compat_mtime_step();

	return (sb->st_mtim.tv_sec == e->mtime_sec &&
	    (uint64_t)sb->st_mtim.tv_nsec / step == e->mtime_nsec / step);
}

/* A hashing's beat, and whether it stopped the hashing. */
struct held_call {
	hash_beat_fn	 fn;
	void		*arg;
	int		 stopped;
};

static int
held_beat(void *arg, uint64_t n)
{
	struct held_call	*hc = arg;
	int			 r;

	if (hc->fn == NULL || (r = hc->fn(hc->arg, n)) == 0)
		return (0);
	hc->stopped = 1;
	return (r);
}

/* Whether the file at dirfd/base is the entry already. */
int
held_identical(int dirfd, const char *base, const struct stat *sb,
    const struct msg_entry *e, hash_beat_fn fn, void *arg)
{
	struct held_call	 hc = { fn, arg, 0 };
	struct hash	*h;
	uint8_t		 d[HASH_LEN];
	int		 fd, same;

	if (!S_ISREG(sb->st_mode) || (uint64_t)sb->st_size != e->size ||
	    (e->flags & MSG_ENTRY_FORCE_WHOLE))
		return (0);
	if (!(e->flags & MSG_ENTRY_HAS_HASH))
		return (held_same_mtime(sb, e));
	if ((fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return (0);
	same = 0;
	if ((h = hash_new()) != NULL &&
	    hash_fd_prefix_beat(h, fd, e->size, held_beat, &hc) == 0) {
		hash_digest(h, d);
		same = memcmp(d, e->hash, HASH_LEN) == 0;
	}
	hash_free(h);
	close(fd);
	return (same);
}

int
transfer_same_file(int dirfd, const char *base, uint64_t size,
    int64_t mtime_sec, uint32_t mtime_nsec)
{
	struct msg_entry	e;
	struct stat		sb;

	if (fstatat(dirfd, base, &sb, AT_SYMLINK_NOFOLLOW) == -1)
		return (0);
	memset(&e, 0, sizeof e);
	e.type = MSG_ENTRY_FILE;
	e.size = size;
	e.mtime_sec = mtime_sec;
	e.mtime_nsec = mtime_nsec;
	/* No hash, never forced whole: held_identical's quick check. */
	return (held_identical(dirfd, base, &sb, &e, NULL, NULL));
}

/*
 * Looks for the partial file of an earlier, interrupted try. If its
 * sidecar says it belongs to this version of the entry, returns how many
 * bytes it holds and their checksum; otherwise removes it.
 */
uint64_t
held_partial(int dirfd, const char *base, const struct msg_entry *e,
    uint8_t prefix[HASH_LEN], hash_beat_fn fn, void *arg)
{
	struct held_call	 hc = { fn, arg, 0 };
	char		 part[TREE_TMP_MAX], meta[TREE_TMP_MAX], want[128];
	char		 got[128];
	struct stat	 sb;
	struct hash	*h;
	ssize_t		 n;
	int		 fd;
	uint64_t	 len = 0;

	tree_tmp_name(base, TREE_PART, part);
	tree_tmp_name(base, TREE_META, meta);
	snprintf(want, sizeof want, "ferry-part 1 %ju %jd.%09u\n",
	    (uintmax_t)e->size, (intmax_t)e->mtime_sec, e->mtime_nsec);
	/* The usual case, no partial file at all, costs one lookup. */
	fd = openat(dirfd, part, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT)
		return (0);
	if (fd != -1)
		close(fd);
	if ((fd = held_reopen(dirfd, meta, O_RDONLY)) == -1)
		goto discard;
	n = read(fd, got, sizeof got - 1);
	close(fd);
	if (n < 0 || (got[n] = '\0', strcmp(got, want) != 0))
		goto discard;
	if ((fd = held_reopen(dirfd, part, O_RDONLY)) == -1)
		goto discard;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size > e->size || (h = hash_new()) == NULL) {
		close(fd);
		goto discard;
	}
	len = (uint64_t)sb.st_size;
	if (hash_fd_prefix_beat(h, fd, len, held_beat, &hc) != 0)
		len = 0;
	hash_digest(h, prefix);
	hash_free(h);
	close(fd);
	/* The stream failed, not the file: it stays for the next try. */
	if (len > 0 || hc.stopped)
		return (len);
discard:
	unlinkat(dirfd, part, 0);
	unlinkat(dirfd, meta, 0);
	return (0);
}

int
held_create(int dirfd, const char *name, int flags)
{
	int	fd;

	/*
	 * Never an existing file (O_EXCL): what is there (an earlier try's,
	 * or planted) is unlinked first. Tried without the unlink first: a
	 * new file usually has nothing there, and a call per file counts
	 * for 20,000 small ones.
	 */
	fd = openat(dirfd, name, flags | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd != -1 || errno != EEXIST)
		return (fd);
	if (unlinkat(dirfd, name, 0) == -1 && errno != ENOENT)
		return (-1);
	/* Planted again between the two calls: EEXIST, never its file. */
	return (openat(dirfd, name, flags | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600));
}

int
held_reopen(int dirfd, const char *name, int flags)
{
	struct stat	sb;
	int		fd;

	/* O_NONBLOCK: a fifo planted under the name must not stall us. */
	if ((fd = openat(dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return (-1);
	/*
	 * Another user's file, or a hard link to a file elsewhere, would
	 * take the data (and go under the final name, still theirs).
	 */
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_uid != geteuid() || sb.st_nlink != 1) {
		close(fd);
		errno = EPERM;
		return (-1);
	}
	return (fd);
}

int
held_same(int dirfd, const char *name, const struct stat *sb)
{
	struct stat	now;

	return (fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	    now.st_dev == sb->st_dev && now.st_ino == sb->st_ino);
}

/*
 * Opens basis rel below rootfd for reading (flags: O_RDONLY or O_PATH):
 * beneath the root, a regular file, not one of ferry's own. Returns the
 * fd, or -1 with a cause; a refusal for a symlink is FERRY_ERR_DENIED in
 * *code.
 */
int
held_basis(int rootfd, const char *rel, int flags, int *code, char **why)
{
	struct stat	 sb;
	int		 fd;

	*code = tree_check_relpath(rel, why);
	if (*code != 0)
		return (-1);
	if ((*code = beneath_open(rootfd, rel, flags | O_NONBLOCK, &fd,
	    why)) != 0)
		return (-1);
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) || sb.st_size == 0) {
		close(fd);
		*code = err_set(why, FERRY_ERR_IO, "%s: not a non-empty "
		    "regular file", rel);
		return (-1);
	}
	return (fd);
}
