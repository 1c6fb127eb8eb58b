/*
 * A string's hash for the in-memory tables that look names up many
 * times (the dispatcher's taken destinations, the listing's stats).
 * Public: hash_str. Not for anything a peer could aim collisions at
 * across a trust boundary beyond what a linear probe of its own table
 * costs.
 */
#ifndef FERRY_HASH_H
#define FERRY_HASH_H

#include <stdint.h>

/* FNV-1a, 64 bits, of the NUL-terminated s. */
uint64_t	hash_str(const char *s);

#endif
