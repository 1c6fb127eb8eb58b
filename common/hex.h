/* Bytes as lower-case hex text and back: tokens, proofs, keys in JSON. */
#ifndef FERRY_HEX_H
#define FERRY_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2n hex digits and a NUL to out (2n + 1 bytes). */
void	hex_encode(const uint8_t *v, size_t n, char *out);
/* Reads exactly 2n hex digits from s into out; -1 if s is not that. */
int	hex_decode(const char *s, uint8_t *out, size_t n);

#endif
