/*
 * A set of names to look up many times, such as the relative paths a
 * receiver was told to expect: sorted once, then found by binary search,
 * so that checking every entry of a 4,096-file batch stays cheap. The
 * names are borrowed, not copied: they must outlive the set.
 */
#ifndef FERRY_NAMESET_H
#define FERRY_NAMESET_H

#include <stddef.h>

struct nameset {
	const char	**v;
	size_t		  n;
};

/* Makes a set of the n names (NULLs are left out); -1 out of memory. */
int	nameset_build(struct nameset *s, const char *const *names, size_t n);
int	nameset_has(const struct nameset *s, const char *name);
/* nameset_has in the shape of a transfer's accept callback (arg: set). */
int	nameset_accept(const char *name, void *arg);
void	nameset_clear(struct nameset *s);

#endif
