#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "err.h"

struct err_entry {
	int		 code;
	const char	*text;
};

static const struct err_entry err_table[] = {
#define FERRY_ERR_ROW(name, value, text) { value, text },
	FERRY_ERR_TABLE(FERRY_ERR_ROW)
#undef FERRY_ERR_ROW
};

const char *
err_str(int code)
{
	size_t	i;

	for (i = 0; i < sizeof err_table / sizeof err_table[0]; i++) {
		if (err_table[i].code == code)
			return (err_table[i].text);
	}
	return ("unknown error");
}

int
err_set(char **cause, int code, const char *fmt, ...)
{
	va_list	 ap;

	if (cause == NULL)
		return (code);
	free(*cause);
	*cause = NULL;
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) == -1)
		*cause = NULL;
	va_end(ap);
	return (code);
}
