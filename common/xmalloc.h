/*
 * Allocators that exit on failure. For programs (cli/, agent/, action/)
 * only: library code (common/ apart from this file, share-map/, transfer/)
 * returns FERRY_ERR_NOMEM instead.
 */
#ifndef FERRY_XMALLOC_H
#define FERRY_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t size);
void	*xcalloc(size_t n, size_t size);
void	*xreallocarray(void *p, size_t n, size_t size);
char	*xstrdup(const char *s);

#endif
