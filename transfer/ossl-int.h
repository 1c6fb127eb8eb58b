/*
 * OpenSSL error queue to cause strings, shared by identity.c and tls.c.
 * Internal to transfer/.
 */
#ifndef FERRY_OSSL_H
#define FERRY_OSSL_H

#include <stddef.h>

/*
 * Writes the reason of the oldest queued OpenSSL error into s[0..n) ("no
 * detail" when the queue is empty), then empties the queue so that a later
 * call does not report a stale error. Returns s.
 */
const char	*ossl_err(char *s, size_t n);

#endif
