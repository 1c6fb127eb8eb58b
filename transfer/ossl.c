#include "config.h"

#include <stdio.h>

#include <openssl/err.h>

#include "ossl-int.h"

const char *
ossl_err(char *s, size_t n)
{
	unsigned long	 e;
	const char	*reason;

	e = ERR_get_error();
	ERR_clear_error();
	if (e == 0) {
		snprintf(s, n, "no detail");
		return (s);
	}
	/* The bare reason reads better in a cause than the full code line. */
	if ((reason = ERR_reason_error_string(e)) != NULL)
		snprintf(s, n, "%s", reason);
	else
		ERR_error_string_n(e, s, n);
	return (s);
}
