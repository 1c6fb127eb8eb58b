/*
 * Checks of the names an admin types on the hub, each refusing an unknown
 * name with the names the hub knows. Each takes d->mu itself.
 */
#ifndef FERRY_HUB_NAMES_H
#define FERRY_HUB_NAMES_H

struct ferryd;
struct share_map;

/* A site: in the store, in the share map, or invited. */
int	names_site(struct ferryd *d, const char *site, char **cause);
/*
 * Where a job starts or ends: a site or a person the hub knows; one only
 * invited is refused as "invited but has not enrolled".
 */
int	names_endpoint(struct ferryd *d, const char *name, char **cause);
/* An ACL's principal: a person enrolled or invited, or an SFTP site. */
int	names_principal(struct ferryd *d, const char *who, char **cause);
/* The share of "SHARE:PATH": one of the share map's. */
int	names_share(struct ferryd *d, const char *prefix, char **cause);

/* The current share map, from the store. The caller holds d->mu. */
int	names_share_map(struct ferryd *d, struct share_map **m, char **cause);

#endif
