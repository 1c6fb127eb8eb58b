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
/*
 * clock_now() moved by the seconds (a whole number, maybe negative)
 * written in file; not moved when file is NULL, missing or holds no
 * number. Only for tests, which must cross a transfer window's edge in
 * seconds rather than hours: ferryd reads it only where its
 * configuration names a file (test-clock-file), and only for windows.
 */
int64_t	 clock_now_shifted(const char *file);

#endif
