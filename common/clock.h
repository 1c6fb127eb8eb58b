/* A monotonic clock in milliseconds, for the event hub's timers. */
#ifndef FERRY_CLOCK_H
#define FERRY_CLOCK_H

#include <stdint.h>

/* Milliseconds since an arbitrary fixed point; never goes back. */
int64_t	 clock_ms(void);

#endif
