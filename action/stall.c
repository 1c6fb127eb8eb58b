/*
 * The test hook FERRY_FTRACK_TEST_STALL (docs/ftrack.md): the listener
 * stalls after the named step, so that a test can kill it there and
 * check what a restart does. A signal ends the stall.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ferry-ftrack.h"
#include "log.h"

/* How long a test hook stalls: longer than any test waits. */
#define STALL_S		120

void
stall_after(struct ff *ff, const char *step, const char *event_id)
{
	int	i;

	if (ff->stall == NULL || strcmp(ff->stall, step) != 0)
		return;
	log_info("test hook: stalled after \"%s\" for event %s", step,
	    event_id);
	for (i = 0; i < STALL_S && !*ff->stopping; i++)
		sleep(1);
}
