/*
 * UTF-8 <-> UTF-16 (utf16.h). Strict both ways: no overlong forms, no
 * surrogates in UTF-8, no unpaired surrogates in UTF-16, no NUL, so that
 * a name means one thing on either side of the Windows API.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "utf16.h"

int32_t
utf8_next(const unsigned char *s, size_t n, size_t *i)
{
	size_t	 need, k;
	int32_t	 cp, min;

	if (s[*i] < 0x80)
		return (s[(*i)++]);
	if ((s[*i] & 0xe0) == 0xc0) {
		need = 1; cp = s[*i] & 0x1f; min = 0x80;
	} else if ((s[*i] & 0xf0) == 0xe0) {
		need = 2; cp = s[*i] & 0x0f; min = 0x800;
	} else if ((s[*i] & 0xf8) == 0xf0) {
		need = 3; cp = s[*i] & 0x07; min = 0x10000;
	} else
		return (-1);
	if (n - *i - 1 < need)
		return (-1);
	for (k = 1; k <= need; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return (-1);
		cp = (cp << 6) | (s[*i + k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return (-1);
	*i += need + 1;
	return (cp);
}

uint16_t *
utf16_from_utf8(const char *s, size_t len, size_t *units)
{
	uint16_t	*w;
	size_t		 i = 0, o = 0;
	int32_t		 cp;

	/* Never more units than bytes; + 1 for the NUL. */
	if (len >= SIZE_MAX / sizeof *w - 1 ||
	    (w = malloc((len + 1) * sizeof *w)) == NULL) {
		errno = ENOMEM;
		return (NULL);
	}
	while (i < len) {
		cp = utf8_next((const unsigned char *)s, len, &i);
		if (cp <= 0) {
			free(w);
			errno = EILSEQ;
			return (NULL);
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			w[o++] = (uint16_t)(0xd800 | (cp >> 10));
			w[o++] = (uint16_t)(0xdc00 | (cp & 0x3ff));
		} else
			w[o++] = (uint16_t)cp;
	}
	w[o] = 0;
	if (units != NULL)
		*units = o;
	return (w);
}

size_t
utf8_put(char *o, int32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return (1);
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | (c >> 6));
		o[1] = (char)(0x80 | (c & 0x3f));
		return (2);
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | (c >> 12));
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return (3);
	}
	o[0] = (char)(0xf0 | (c >> 18));
	o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return (4);
}

char *
utf16_to_utf8(const uint16_t *w, size_t n)
{
	char	*s;
	size_t	 i, o = 0;
	int32_t	 c;

	/* A unit is at most 3 bytes; a pair (2 units) is 4. */
	if (n >= (SIZE_MAX - 1) / 3 || (s = malloc(3 * n + 1)) == NULL) {
		errno = ENOMEM;
		return (NULL);
	}
	for (i = 0; i < n; i++) {
		c = w[i];
		if (c >= 0xd800 && c <= 0xdbff && i + 1 < n &&
		    w[i + 1] >= 0xdc00 && w[i + 1] <= 0xdfff) {
			c = 0x10000 + ((c - 0xd800) << 10) + (w[i + 1] - 0xdc00);
			i++;
		} else if (c == 0 || (c >= 0xd800 && c <= 0xdfff)) {
			free(s);
			errno = EILSEQ;
			return (NULL);
		}
		o += utf8_put(s + o, c);
	}
	s[o] = '\0';
	return (s);
}
