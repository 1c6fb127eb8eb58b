/*
 * hub-roots.c and hub-roots-map.c: the share roots agents set for their
 * own machines, laid over the share map (docs/share-map.md, "Roots an
 * agent sets").
 */
#ifndef FERRY_HUB_ROOTS_H
#define FERRY_HUB_ROOTS_H

#include <sys/types.h>

#include <jansson.h>

struct ferryd;
struct share_map;

/*
 * hub-roots-map.c: loads the share map text json with every agent's
 * roots laid over it; caller holds d->mu. names_share_map calls it.
 */
int	roots_share_map(struct ferryd *d, const char *json,
	    struct share_map **m, char **cause);
/*
 * hub-roots-map.c, for hub-roots.c: store_roots_list's callback that
 * appends each row to arg (a JSON array); where share lies for endpoint
 * and why (*from: "env", "set", "map", "home" or "default"; *root
 * allocated, or NULL); whether name is a person. Caller holds d->mu.
 */
struct store_root;
int	roots_rows_cb(void *arg, const struct store_root *r);
void	roots_decide(const json_t *map, const json_t *rows,
	    const char *endpoint, int person, const char *share,
	    const char **from, char **root);
int	roots_person(struct ferryd *d, const char *name);

/* hub-roots.c: {SHARE: {"path", "from"}} for endpoint now; caller holds d->mu. */
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
