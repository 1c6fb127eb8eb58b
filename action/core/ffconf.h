/*
 * ferry-ftrack's configuration, --config FILE (ffconf.c; docs/ftrack.md).
 * Part of action/core/ (libffcore.a), the listener's code that needs
 * neither the network nor a log, so that its unit tests link it.
 */
#ifndef FERRY_FFCONF_H
#define FERRY_FFCONF_H

#include <stdint.h>

#include <jansson.h>

/* --config FILE (ffconf.c); every part is optional. */
struct ffconf {
	json_t	*allowed_roles;	/* role names; NULL: anyone */
	json_t	*prefixes;	/* {location name: path prefix} */
	int64_t	 update_ms;	/* between Job updates; 3000 */
	char	*assign_from;	/* automation: send assigned tasks from
				 * this location; NULL: off */
	char	*version_status; /* automation: statuses after a delivery */
	char	*task_status;
	char	*publish_asset_type; /* a new asset's type; NULL: "Upload" */
};

int	 ffconf_load(const char *path, struct ffconf *c, char **cause);
void	 ffconf_clear(struct ffconf *c);
/* The prefix configured for a location, or NULL. */
const char *ffconf_prefix(const struct ffconf *c, const char *location);

#endif
