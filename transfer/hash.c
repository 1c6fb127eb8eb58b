#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "hash-int.h"
#include "iobuf-int.h"
#include "xxh-int.h"

struct hash {
	XXH3_state_t	*st;
};

struct hash *
hash_new(void)
{
	struct hash	*h;

	if ((h = malloc(sizeof *h)) == NULL)
		return (NULL);
	if ((h->st = XXH3_createState()) == NULL) {
		free(h);
		return (NULL);
	}
	XXH3_128bits_reset(h->st);
	return (h);
}

void
hash_free(struct hash *h)
{
	if (h == NULL)
		return;
	XXH3_freeState(h->st);
	free(h);
}

void
hash_reset(struct hash *h)
{
	XXH3_128bits_reset(h->st);
}

void
hash_update(struct hash *h, const void *data, size_t len)
{
	XXH3_128bits_update(h->st, data, len);
}

void
hash_digest(const struct hash *h, uint8_t out[HASH_LEN])
{
	XXH128_canonical_t	c;

	/* xxHash's canonical form: high half, then low, big-endian. */
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h->st));
	memcpy(out, c.digest, HASH_LEN);
}

int
hash_fd_prefix(struct hash *h, int fd, uint64_t len)
{
	return (hash_fd_range(h, fd, 0, len));
}

static int
hash_fd_beat(struct hash *h, int fd, uint64_t off, uint64_t len,
    hash_beat_fn fn, void *arg)
{
	_Alignas(IOBUF_ALIGN) char buf[256 * 1024];	/* iobuf-int.h */
	ssize_t		n;
	size_t		want;
	int		r;

	len += off;
	while (off < len) {
		want = len - off < sizeof buf ? (size_t)(len - off) : sizeof buf;
		n = pread(fd, buf, want, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (FERRY_ERR_IO);
		if (n == 0)
			return (FERRY_ERR_NOTFOUND);
		hash_update(h, buf, (size_t)n);
		off += (uint64_t)n;
		if (fn != NULL && (r = fn(arg, (uint64_t)n)) != 0)
			return (r);
	}
	return (0);
}

int
hash_fd_range(struct hash *h, int fd, uint64_t off, uint64_t len)
{
	return (hash_fd_beat(h, fd, off, len, NULL, NULL));
}

int
hash_fd_prefix_beat(struct hash *h, int fd, uint64_t len, hash_beat_fn fn,
    void *arg)
{
	return (hash_fd_beat(h, fd, 0, len, fn, arg));
}
