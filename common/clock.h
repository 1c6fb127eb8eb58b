/*
 * The clocks: a monotonic one in milliseconds for timers and deadlines,
 * and the wall clock in seconds for what is recorded (the spool's times).
 */
#ifndef FERRY_CLOCK_H
#define FERRY_CLOCK_H

#include <stdint.h>

/* Milliseconds since an arbitrary fixed point; never goes back. */
int64_t	 clock_ms(void);
/* Seconds since the epoch (UTC), as stored and shown; may go back. */
int64_t	 clock_now(void);

#endif
