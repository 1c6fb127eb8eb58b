/*
 * What a done publish job will make in ftrack (publish-plan.c;
 * docs/ftrack.md "Publishing back"). Part of action/core/ (libffcore.a).
 */
#ifndef FERRY_PUBLISH_PLAN_H
#define FERRY_PUBLISH_PLAN_H

#include <jansson.h>

/*
 * What a done publish job (the hub's "job" answer, with tasks and
 * meta.publish) will make in ftrack, every id chosen: docs/ftrack.md.
 */
int	 publish_plan(const json_t *job, json_t **planp, char **cause);

#endif
