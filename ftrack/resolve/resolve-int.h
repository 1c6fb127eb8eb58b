/*
 * Private to resolve*.c. A resolution runs in three rounds of queries
 * (resolve-fetch.c), each one rest_query_many() call, whose rows are kept
 * in maps here; the files are then read off the maps (resolve-files.c)
 * and given paths and bases (resolve-path.c).
 *
 * The files are layered, each calling only those below it:
 *
 *	resolve.c		resolve_selection(): the order of the steps
 *	resolve-select.c	the selection sorted by kind
 *	resolve-fetch.c		the three rounds of queries
 *	resolve-path.c		paths and basis candidates
 *	resolve-files.c		the files read off the maps
 *	resolve-ctx.c		the maps, and shared helpers
 */
#ifndef FERRY_RESOLVE_INT_H
#define FERRY_RESOLVE_INT_H

#include <jansson.h>

#include "resolve.h"

/* One file to send; pointers borrow from the maps of its resolve_ctx. */
struct resolve_item {
	const char	*id;
	const char	*container_id;	/* or NULL */
	const json_t	*row;		/* the component */
	const json_t	*container;	/* its sequence or container, or NULL */
	const json_t	*version;	/* the AssetVersion, or NULL */
	char		*key;		/* for bases; NULL without a version */
};

struct resolve_ctx {
	struct rest			*r;
	const struct resolve_opts	*o;
	/* The selection, by kind: JSON arrays of ids. */
	json_t		*sel_versions;
	json_t		*sel_contexts;
	json_t		*sel_components;
	json_t		*versions;	/* id -> AssetVersion row, all seen */
	json_t		*whole;		/* ids of the versions sent whole */
	json_t		*components;	/* id -> component row */
	json_t		*ris;		/* component id -> source identifier */
	json_t		*bases;		/* basis key -> [[version, ri], ...] */
	json_t		*locations;	/* location id -> name */
	struct resolve_item *items;
	size_t		 nitems;
};

/* resolve-select.c: the selection sorted into sel_* (which it makes). */
int	 resolve_select_parse(struct resolve_ctx *c, const json_t *selection,
	    char **cause);

/* resolve-fetch.c: the three rounds. */
int	 resolve_fetch_versions(struct resolve_ctx *c, char **cause);
int	 resolve_fetch_components(struct resolve_ctx *c, char **cause);
int	 resolve_fetch_locations(struct resolve_ctx *c, char **cause);

/* resolve-files.c */
/* Keeps the highest version of each asset found through contexts. */
int	 resolve_files_latest(struct resolve_ctx *c, char **cause);
/* Fills c->items from c->components. */
int	 resolve_files_list(struct resolve_ctx *c, char **cause);
/* "sh010/plate v002", "component ID" without a version; caller frees. */
char	*resolve_files_label(const struct resolve_item *it);
/* The basis key of a component: its asset, container and name. */
char	*resolve_files_key(const char *asset_id, const json_t *container,
	    const char *name);
/* The component's own version number, or -1. */
json_int_t resolve_files_version(const struct resolve_item *it);

/* resolve-path.c */
/* The path of an identifier in the source location (prefix applied). */
int	 resolve_path_of(const char *prefix, const char *ri, char **pathp,
	    char **cause);
/* Takes one basis candidate row (a ComponentLocation with component). */
int	 resolve_path_candidate(struct resolve_ctx *c, const json_t *row);
/* The best basis identifier for it, or NULL. */
const char *resolve_path_basis(const struct resolve_ctx *c,
	    const struct resolve_item *it);

/*
 * resolve-ctx.c: the context's maps, and the helpers the files above
 * share. It calls none of them.
 */
int	 resolve_ctx_init(struct resolve_ctx *c, char **cause);
/* Frees what the context holds (not c). */
void	 resolve_ctx_clear(struct resolve_ctx *c);
const char *resolve_ctx_str(const json_t *o, const char *key);
int	 resolve_ctx_is_container(const json_t *component);
/* Runs exprs (if any) in one rest_query_many(); *rowsp: all the rows. */
int	 resolve_ctx_run(struct resolve_ctx *c, json_t *exprs, json_t **rowsp,
	    char **cause);
/* Appends a string id to an array unless set (an object) has it. */
int	 resolve_ctx_add_id(json_t *ids, json_t *set, const char *id);

#endif
