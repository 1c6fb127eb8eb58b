/* Structures shared by the files of share-map/; not part of the API. */
#ifndef FERRY_SHARE_MAP_INT_H
#define FERRY_SHARE_MAP_INT_H

#include "path.h"
#include "share-map.h"

struct share_root {
	enum share_os	 os;
	struct path	 path;		/* parsed and normalised */
};

/* The roots of a share: its defaults, or one site's override. */
struct share_roots {
	char			*site;	/* NULL for the share's defaults */
	struct share_root	*root;	/* in the order the map lists them */
	size_t			 nroot;
};

struct share {
	char			*name;
	struct share_roots	 defaults;
	struct share_roots	*sites;
	size_t			 nsites;
};

struct share_map {
	struct share	*share;
	size_t		 nshare;
	char		**site;		/* top-level "sites" (see defaults) */
	size_t		 nsite;
};

/* share-map.c */
const struct share_roots *share_effective_roots(const struct share *s,
	    const char *site);
int	 share_root_equal(const struct share_root *a,
	     const struct share_root *b);
enum path_kind share_os_kind(enum share_os os);
int	 share_map_root_below(const struct share_map *m, const struct path *d);

#endif
