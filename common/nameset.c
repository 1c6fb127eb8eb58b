/* A sorted set of borrowed names (nameset.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nameset.h"

static int
nameset_cmp(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

int
nameset_build(struct nameset *s, const char *const *names, size_t n)
{
	size_t	i;

	s->n = 0;
	if ((s->v = calloc(n > 0 ? n : 1, sizeof *s->v)) == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		if (names[i] != NULL)
			s->v[s->n++] = names[i];
	}
	qsort(s->v, s->n, sizeof *s->v, nameset_cmp);
	return (0);
}

int
nameset_has(const struct nameset *s, const char *name)
{
	return (bsearch(&name, s->v, s->n, sizeof *s->v, nameset_cmp) !=
	    NULL);
}

int
nameset_accept(const char *name, void *arg)
{
	return (nameset_has(arg, name));
}

void
nameset_clear(struct nameset *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
