/*
 * hub-roots.c: the share roots agents set for their own machines, laid
 * over the share map (docs/share-map.md, "Roots an agent sets").
 */
#ifndef FERRY_HUB_ROOTS_H
#define FERRY_HUB_ROOTS_H

#include <sys/types.h>

#include <jansson.h>

struct ferryd;
struct share_map;

/*
 * Loads the share map text json with every agent's roots laid over it;
 * caller holds d->mu. names_share_map calls it.
 */
int	roots_share_map(struct ferryd *d, const char *json,
	    struct share_map **m, char **cause);
/* {SHARE: {"path", "from"}} for endpoint now; caller holds d->mu. */
json_t	*roots_effective(struct ferryd *d, const char *endpoint);
/*
 * Takes an agent's report {"set": {SHARE: PATH}, "env": {KEY: PATH},
 * "home": PATH} for endpoint; strict: every share must be the map's.
 * Takes d->mu itself.
 */
int	roots_take(struct ferryd *d, const char *endpoint, const char *agent,
	    const json_t *report, int strict, char **cause);
/* At an agent's hello: its roots, and a person's home folder. */
void	roots_hello(struct ferryd *d, const char *agent, const char *site,
	    const char *email, const json_t *hello);
/* The API's roots.report and roots. */
json_t	*roots_api(struct ferryd *d, const char *op, const json_t *req,
	    uid_t uid);

#endif
