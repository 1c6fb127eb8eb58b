/*
 * What a receiver was told to expect (ferryd.h, struct xfer_expect), on
 * either side: an agent receiving for the hub (node-xfer.c), or the hub
 * receiving from an agent (hub-dispatch.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ferryd.h"
#include "nameset.h"
#include "transfer.h"

int
xfer_expect_build(struct xfer_expect *e, const char *const *rels,
    const char *const *bases, size_t n)
{
	size_t	i;

	memset(e, 0, sizeof *e);
	if ((e->keys = calloc(n + 1, sizeof *e->keys)) == NULL)
		return (FERRY_ERR_NOMEM);
	for (i = 0; bases != NULL && i < n; i++) {
		if (bases[i] == NULL || rels[i] == NULL)
			continue;
		if (asprintf(&e->keys[e->nkeys], "%s\n%s", rels[i],
		    bases[i]) == -1) {
			xfer_expect_clear(e);
			return (FERRY_ERR_NOMEM);
		}
		e->nkeys++;
	}
	if (nameset_build(&e->names, rels, n) != 0 ||
	    nameset_build(&e->bases, (const char *const *)e->keys,
	    e->nkeys) != 0) {
		xfer_expect_clear(e);
		return (FERRY_ERR_NOMEM);
	}
	return (0);
}

void
xfer_expect_clear(struct xfer_expect *e)
{
	size_t	i;

	nameset_clear(&e->names);
	nameset_clear(&e->bases);
	for (i = 0; i < e->nkeys; i++)
		free(e->keys[i]);
	free(e->keys);
	memset(e, 0, sizeof *e);
}

/*
 * A file by a name the hub listed, and a basis hint only if the hub gave
 * that one for it: a crafted sender cannot name another basis and have
 * its block map, or patch a delta against it.
 */
int
xfer_accept(const char *rel, int type, const char *basis, void *arg)
{
	const struct xfer_expect	*e = arg;
	char				*key;
	int				 ok;

	if (type != MSG_ENTRY_FILE || !nameset_has(&e->names, rel))
		return (0);
	if (*basis == '\0')
		return (1);
	if (asprintf(&key, "%s\n%s", rel, basis) == -1)
		return (0);
	ok = nameset_has(&e->bases, key);
	free(key);
	return (ok);
}
