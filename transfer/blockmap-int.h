/*
 * The aligned-block pre-pass. The receiver describes its basis as a list
 * of 32-bit hashes of fixed 4 KiB blocks (a "block map", cheap to make:
 * xxh3 runs at many GB/s, where a librsync signature costs about 2.5 CPU-s
 * per GB). The sender hashes its file's blocks at the same positions and
 * writes a delta in librsync's own format: COPY for blocks that match,
 * LITERAL for the rest. The receiver applies it with librsync's patch, so
 * the two kinds of delta need only one patch path.
 *
 * This finds every unchanged block of a file changed in place, which is
 * how most studio files change; data that moved (an insertion) is found
 * only by librsync's rolling search, which the sender asks for when the
 * block map finds little (see send.c).
 *
 * Map format: "FBM1", u32 block length, u64 basis size, then one u32
 * (big-endian; the low 32 bits of xxh3-64) per block, the last block
 * possibly short.
 */
#ifndef FERRY_BLOCKMAP_H
#define FERRY_BLOCKMAP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "delta-int.h"

#define BLOCKMAP_MAGIC		0x46424d31u	/* "FBM1" */
#define BLOCKMAP_BLOCK		4096
#define BLOCKMAP_HEADER		16

/* Big-endian integers of n bytes, as the map and librsync's deltas use. */
static inline void
put_be(uint8_t *p, uint64_t v, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static inline uint64_t
get_be(const uint8_t *p, int n)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return (v);
}

struct blockmap {
	uint32_t	 block;
	uint64_t	 size;
	uint32_t	*h;
	size_t		 n;
};

/* Appends the block map of the size bytes of fd to out. */
int	blockmap_build(int fd, uint64_t size, struct buf *out, char **cause);
/*
 * The same in steps, for a map sent as it is made: the header for a basis
 * of size bytes, then the hashes of each n bytes read in turn (n a
 * multiple of BLOCKMAP_BLOCK but for the last).
 */
int	blockmap_start(uint64_t size, struct buf *out);
int	blockmap_add(const void *data, size_t n, struct buf *out);
/* Whether the len bytes at data start like a block map. */
int	blockmap_is(const void *data, size_t len);
/* Parses a block map; FERRY_ERR_PROTO if malformed. */
int	blockmap_parse(const void *data, size_t len, struct blockmap **out,
	    char **cause);
void	blockmap_free(struct blockmap *m);

/* Encodes a new file, from byte pos on, as a delta against the map. */
struct blockmap_enc {
	const struct blockmap	*m;
	uint64_t		 pos;		/* absolute offset of next byte */
	uint8_t			*part;		/* a block being gathered */
	size_t			 partlen;
	struct buf		 lit;		/* literal bytes not yet emitted */
	uint64_t		 copy_at;	/* basis offset of the copy run */
	uint64_t		 copy_len;
	uint64_t		 matched;	/* bytes found in the basis */
	int			 started;	/* the delta magic is out */
};

int	blockmap_enc_init(struct blockmap_enc *e, const struct blockmap *m,
	    uint64_t pos);
/* Feeds new-file bytes (eof: the last); the delta goes to sink. */
int	blockmap_enc_push(struct blockmap_enc *e, const void *data,
	    size_t len, int eof, delta_sink sink, void *arg);
void	blockmap_enc_free(struct blockmap_enc *e);

#endif
