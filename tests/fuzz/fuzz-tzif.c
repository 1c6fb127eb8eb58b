/*
 * libFuzzer target for compiled time zones (common/tz.h): the TZif file
 * a site's zone is read from ($TZDIR/NAME, RFC 8536) is taken as a
 * parser takes anything from outside the program, since a broken or
 * foreign zoneinfo package must give a refusal, not a crash. Each input
 * is written as $TZDIR/Fuzz/Zone (TZDIR a scratch directory of this
 * process) and loaded by name, through tz_load()'s own reading.
 *
 * Promises checked: a zone that loads answers tz_offset() and tz_local()
 * at moments before, between and after its transitions, with a weekday
 * in 0-6 and a minute of the day in 0-1439; one that does not load says
 * why.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tz.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char	fuzz_path[4096];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	dir[] = "/tmp/fuzz-tzif.XXXXXX", sub[4096];

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(sub, sizeof sub, "%s/Fuzz", dir);
	if (mkdir(sub, 0700) == -1)
		abort();
	snprintf(fuzz_path, sizeof fuzz_path, "%s/Zone", sub);
	if (setenv("TZDIR", dir, 1) == -1)
		abort();
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* 1901, 1970, 2000, 2038 and past it, 2100 */
	static const int64_t	 at[] = { -2147483648LL, -1, 0, 946684800,
				    2147483647LL, 2147483648LL, 4102444800LL };
	struct tz		*z = NULL;
	char			*cause = NULL;
	size_t			 i;
	int			 fd, wday, minute, ymd;

	fd = open(fuzz_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
	if (tz_load("Fuzz/Zone", &z, &cause) != 0) {
		if (cause == NULL || *cause == '\0')
			abort();
		free(cause);
		return (0);
	}
	for (i = 0; i < sizeof at / sizeof at[0]; i++) {
		(void)tz_offset(z, at[i]);
		tz_local(z, at[i], &wday, &minute, &ymd);
		if (wday < 0 || wday > 6 || minute < 0 || minute >= 24 * 60)
			abort();
	}
	if (strcmp(tz_name(z), "Fuzz/Zone") != 0)
		abort();
	tz_free(z);
	return (0);
}
