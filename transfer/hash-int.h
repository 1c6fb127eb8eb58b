/*
 * The end-to-end checksum of a file's content: xxh3-128 (as rsync 3.2+
 * uses xxh128). TLS already authenticates every byte in transit; this
 * guards against disk, basis and patch errors, at a small fraction of the
 * cost of a cryptographic hash.
 */
#ifndef FERRY_HASH_H
#define FERRY_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_LEN	16

struct hash;

/* NULL when out of memory. */
struct hash	*hash_new(void);
void		 hash_free(struct hash *h);
void		 hash_reset(struct hash *h);
void		 hash_update(struct hash *h, const void *data, size_t len);
/* Writes the digest (big-endian: high 64 bits, then low). */
void		 hash_digest(const struct hash *h, uint8_t out[HASH_LEN]);
/*
 * Hashes the first len bytes of fd (read with pread) into h. Returns 0,
 * FERRY_ERR_IO (errno kept) or FERRY_ERR_NOTFOUND if the file is shorter.
 */
int		 hash_fd_prefix(struct hash *h, int fd, uint64_t len);
/* The same for the len bytes at offset off. */
int		 hash_fd_range(struct hash *h, int fd, uint64_t off,
		     uint64_t len);
/*
 * Told of the n bytes each read hashed (a long hashing keeps its peer
 * informed, beat-int.h); a non-zero return stops the hashing and is
 * returned.
 */
typedef int	(*hash_beat_fn)(void *arg, uint64_t n);
/* hash_fd_prefix, calling fn (may be NULL) after each read. */
int		 hash_fd_prefix_beat(struct hash *h, int fd, uint64_t len,
		     hash_beat_fn fn, void *arg);

#endif
