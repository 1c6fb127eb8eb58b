/*
 * Memory that file data is read into (read, pread): page-aligned.
 *
 * Why: the kernel copies a page cache page to user space with `rep movsb`,
 * and on AMD Zen that copy runs about five times slower when the
 * destination sits 1 to 31 bytes past the source's offset within a page.
 * File data read from a block boundary starts at offset 0 of its page,
 * and malloc puts a large block 16 bytes into its first page: every read
 * into a malloc'd buffer was the slow case (2 GiB read in 0.80 s of
 * system time instead of 0.15 s; docs/benchmarks.md, "Reads into aligned
 * memory"). Freed with free().
 */
#ifndef FERRY_IOBUF_INT_H
#define FERRY_IOBUF_INT_H

#include <stdlib.h>

#define IOBUF_ALIGN	4096
/* The last slow offset past the source's: 1 to this many bytes. */
#define IOBUF_SLOW	31

/* n bytes at the start of a page, or NULL. */
static inline void *
iobuf_alloc(size_t n)
{
	void	*p;

	return (posix_memalign(&p, IOBUF_ALIGN, n == 0 ? 1 : n) == 0 ? p :
	    NULL);
}

#endif /* FERRY_IOBUF_INT_H */
