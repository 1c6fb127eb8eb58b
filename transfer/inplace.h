/*
 * Applying a delta in place, where the file system shares extents.
 *
 * On XFS, btrfs and other file systems with reflinks, the receiver clones
 * the basis into the new file (FICLONE: no data is copied) and then writes
 * only what the delta changes: LITERAL data at its offset, and COPY
 * commands whose source is not already at the same offset. A COPY in
 * place writes nothing. The end-to-end checksum still covers every byte
 * of the new file: copied ranges are read back from the basis to hash
 * them. Elsewhere (ext4) the clone fails and the receiver keeps librsync's
 * patch, which writes the whole file.
 *
 * The delta is librsync's format (what blockmap.c and librsync's delta
 * both produce): magic, then END, LITERAL and COPY commands.
 */
#ifndef FERRY_INPLACE_H
#define FERRY_INPLACE_H

#include <stddef.h>
#include <stdint.h>

#include "hash-int.h"

struct inplace;

/* Makes out_fd a clone of basis_fd. 0, or -1 with errno (no reflinks). */
int	 inplace_clone(int out_fd, int basis_fd);
/*
 * A patcher of out_fd, which holds a clone of basis_fd (both borrowed);
 * every byte of the new file goes into h. NULL when out of memory.
 */
struct inplace *inplace_new(int basis_fd, int out_fd, struct hash *h);
/*
 * Takes len more bytes of delta. Returns 0, FERRY_ERR_PARSE for a bad
 * delta or FERRY_ERR_IO, with a cause.
 */
int	 inplace_push(struct inplace *ip, const void *data, size_t len,
	     char **cause);
/* After the last byte: checks the delta ended, cuts the file to size. */
int	 inplace_finish(struct inplace *ip, char **cause);
/* Bytes of the new file so far, and of them, bytes actually written. */
uint64_t inplace_size(const struct inplace *ip);
uint64_t inplace_written(const struct inplace *ip);
void	 inplace_free(struct inplace *ip);

#endif /* FERRY_INPLACE_H */
