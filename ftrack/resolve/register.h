/*
 * After a delivery, tells ftrack that the files are in the destination
 * location (docs/ftrack.md, "Resolution and registration"; ftrack-protocol.md
 * §4.6): one ComponentLocation for each delivered file or sequence member,
 * with the path the destination sees as its resource identifier, and one
 * for each sequence or container once all its members are there (its
 * identifier derived from a member's: "dir/plate.%04d.exr" for a
 * sequence, "dir/" for a container). What is registered already is kept
 * and never deleted, so a second call creates nothing. Creates go in
 * batches of REGISTER_BATCH, each one ftrack transaction.
 *
 * Errors: 0, or FERRY_ERR_NOTFOUND (no such location), FERRY_ERR_INVAL (a
 * sequence whose identifier cannot be derived, a bad argument), and the
 * REST client's errors (rest.h), with a cause. Batches sent before an
 * error stay registered: calling again completes the rest.
 *
 * Public API of libftrackresolve (with resolve.h).
 */
#ifndef FERRY_REGISTER_H
#define FERRY_REGISTER_H

#include <stddef.h>

#include "resolve.h"
#include "rest.h"

/* ComponentLocations created in one request. */
#define REGISTER_BATCH	500

/* What a registration did; components counted once. */
struct register_stats {
	size_t	created;	/* ComponentLocations made now */
	size_t	existing;	/* already in the destination: kept */
	size_t	undelivered;	/* files dst_of() gave no path for */
};

/*
 * Registers each delivered file (and each container once all its members
 * are) in location dest_location_id, with the path the destination sees
 * (dst_of(src path) -> dst path, NULL when that file was not delivered).
 * Existing registrations are kept, never deleted.
 */
int	 register_delivery(struct rest *r, const char *dest_location_id,
	    const struct resolve_result *res,
	    const char *(*dst_of)(const char *src_path, void *arg), void *arg,
	    char **cause);
/* The same, saying what it did in *st (set on success and on error). */
int	 register_delivery_stats(struct rest *r, const char *dest_location_id,
	    const struct resolve_result *res,
	    const char *(*dst_of)(const char *src_path, void *arg), void *arg,
	    struct register_stats *st, char **cause);
/*
 * The same, appending to added (a JSON array; NULL: not wanted) the id of
 * each component registered now, members before their containers, as
 * ftrack's Python client adds them: whoever publishes
 * ftrack.location.component-added needs them (on error too: the batches
 * sent before it stay registered).
 */
int	 register_delivery_added(struct rest *r, const char *dest_location_id,
	    const struct resolve_result *res,
	    const char *(*dst_of)(const char *src_path, void *arg), void *arg,
	    struct register_stats *st, json_t *added, char **cause);

/*
 * register-container.c: the destination identifier of a sequence or
 * container (its row: __entity_type__, name, padding) from the path of
 * one of its members (its row: name, file_type). Returns 0 with a new
 * string in *rip, or FERRY_ERR_INVAL when the member's path does not end
 * with its frame number (sequences).
 */
int	 register_container_identifier(const json_t *container,
	    const json_t *member, const char *member_path, char **rip,
	    char **cause);

#endif
