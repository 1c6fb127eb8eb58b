/*
 * hub-home.c: people's home folders on the hub's site (docs/agent.md,
 * "Home folders and storage roots").
 */
#ifndef FERRY_HUB_HOME_H
#define FERRY_HUB_HOME_H

#include "store.h"

struct ferryd;

/* The SHARE:PATH a person's home folder has, by ferryd.conf's pattern. */
int	home_prefix(struct ferryd *d, const char *email,
	    enum store_clearance cl, char **prefix, char **cause);
/* The home folder made for email (SHARE:PATH); caller holds d->mu. */
int	home_get(struct ferryd *d, const char *email, char **prefix);
/* The hub site's linux root of share; caller holds d->mu. */
int	home_share_root(struct ferryd *d, const char *share, char **root,
	    char **cause);
/*
 * Makes email's home folder and grants it there, if not done yet; any
 * failure is logged and audited ("home.failed"). Takes d->mu itself.
 */
void	home_ensure(struct ferryd *d, const char *email);

#endif
