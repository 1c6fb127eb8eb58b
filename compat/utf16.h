/*
 * UTF-8 <-> UTF-16, the one conversion between ferry's names (UTF-8
 * inside) and the Windows API's (UTF-16, wchar_t there). Pure code over
 * uint16_t so that it runs and is tested on Linux too; the Windows files
 * pass the result as wchar_t, which has the same size there.
 */
#ifndef FERRY_UTF16_H
#define FERRY_UTF16_H

#include <stddef.h>
#include <stdint.h>

/*
 * The UTF-8 string s (len bytes) as a new NUL-terminated UTF-16 string,
 * its length in units in *units if units is not NULL. NULL with errno
 * EILSEQ for what is not UTF-8 (or holds a NUL), ENOMEM.
 */
uint16_t	*utf16_from_utf8(const char *s, size_t len, size_t *units);

/*
 * The n UTF-16 units at w as a new NUL-terminated UTF-8 string. NULL with
 * errno EILSEQ for an unpaired surrogate or a NUL, ENOMEM.
 */
char		*utf16_to_utf8(const uint16_t *w, size_t n);

/*
 * Decodes one UTF-8 code point at s[*i] (n bytes in all) and moves *i past
 * it; -1 for anything that is not shortest-form UTF-8 of a scalar value
 * (common/winpath.c checks names with it too).
 */
int32_t		 utf8_next(const unsigned char *s, size_t n, size_t *i);
/* Writes code point c as UTF-8 at o (room for 4 bytes); its length. */
size_t		 utf8_put(char *o, int32_t c);

#endif
