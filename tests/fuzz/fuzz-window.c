/*
 * libFuzzer target for transfer windows (common/window.h) and POSIX TZ
 * rules (common/tz.h): any text must give a window or an error with a
 * cause, never a crash or a leak; a parsed window must have rules whose
 * days and minutes are in range, and evaluate at every minute of a week
 * to a rule that holds or to none.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tz.h"
#include "window.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct window	*w = NULL;
	struct tz	*z = NULL;
	char		*cause = NULL, *s;
	size_t		 i;
	int		 day, m;

	if ((s = strndup((const char *)data, size)) == NULL)
		return (0);
	if (window_parse(s, &w, &cause) == 0) {
		for (i = 0; i < w->n; i++)
			if (w->v[i].days == 0 || w->v[i].days > 0x7f ||
			    w->v[i].from >= 24 * 60 || w->v[i].to >= 24 * 60 ||
			    w->v[i].pct > 100)
				abort();
		for (day = 0; day < 7; day++)
			for (m = 0; m < 24 * 60; m += 7)
				if (window_match(w, day, m) >= (int)w->n)
					abort();
		window_free(w);
	} else if (cause == NULL)
		abort();
	free(cause);
	cause = NULL;
	/* As a zone: a POSIX rule (a name with a '/' may read a file). */
	if (strchr(s, '/') == NULL && tz_load(s, &z, &cause) == 0) {
		for (i = 0; i < 8; i++)
			(void)tz_offset(z, (int64_t)i * 40000000 - 100000000);
		tz_free(z);
	}
	free(cause);
	free(s);
	return (0);
}
