/* strndup(3), for C libraries without it (configure's AC_REPLACE_FUNCS). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

char *
strndup(const char *s, size_t n)
{
	size_t	 len;
	char	*c;

	for (len = 0; len < n && s[len] != '\0'; len++)
		;
	if ((c = malloc(len + 1)) == NULL)
		return (NULL);
	memcpy(c, s, len);
	c[len] = '\0';
	return (c);
}
