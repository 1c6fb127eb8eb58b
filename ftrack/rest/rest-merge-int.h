/*
 * Merging ftrack's de-duplicated answers (docs/ftrack-rest.md, "Merging").
 *
 * By default the ftrack server sends an entity in full only where it
 * first appears in an answer; everywhere else, in the same answer or
 * another result of the same batch, it sends only {"__entity_type__", "id"}.
 * ferry asks for whole answers (ftrack-api-options: strict:1;denormalize:1)
 * but an older or other server may ignore that, so every answer goes
 * through rest_merge(), as both of ftrack's own clients merge theirs.
 *
 * An entity is an object with a string "__entity_type__" and a string
 * "id"; its identity is the two together. Every occurrence of an identity
 * becomes one merged object holding every key seen for it anywhere in the
 * answer (where two occurrences disagree the first non-null value wins),
 * so a reference that arrives before, after or inside its full entity is
 * filled in. Objects without an id (or with a type or id over
 * REST_MERGE_KEY_MAX bytes) are left as they are.
 *
 * The merged objects are shared: the result is a graph without cycles in
 * which one merged entity may sit in many places. Where an entity holds a
 * reference to itself, directly or through others (a version whose
 * asset's versions list it), that inner occurrence gets only the entity's
 * values that hold no entities (its "version", not its "asset"), which
 * breaks the cycle. Below REST_MERGE_MAX_DEPTH levels of nesting nothing
 * is merged. Never serialise a merged answer whole (json_dumps): shared
 * objects would be written out once per place.
 *
 * Private to ftrack/rest/ (and its tests and fuzz targets).
 */
#ifndef FERRY_REST_MERGE_INT_H
#define FERRY_REST_MERGE_INT_H

#include <jansson.h>

#define REST_MERGE_MAX_DEPTH	256
#define REST_MERGE_KEY_MAX	256

/*
 * Merges the answer in (borrowed, left unchanged) into *outp, a new
 * reference (which may share the parts of in that need no change).
 * Returns 0, or FERRY_ERR_NOMEM with a cause.
 */
int	 rest_merge(const json_t *in, json_t **outp, char **cause);

#endif
