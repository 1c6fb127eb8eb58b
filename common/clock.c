#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "compat.h"

#define CLOCK_SHIFT_MAX	(100LL * 366 * 86400)

int64_t
clock_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

int64_t
clock_now(void)
{
	return ((int64_t)time(NULL));
}

int64_t
clock_now_shifted(const char *file)
{
	struct stat	 sb;
	char		 text[32], *end;
	long long	 off;
	ssize_t		 n;
	int		 fd;

	if (file == NULL || (fd = compat_open_read(file)) == -1)
		return (clock_now());
	/* Whoever may write it moves the windows: not others. */
	if (fstat(fd, &sb) == -1 || (sb.st_mode & 022) != 0) {
		close(fd);
		return (clock_now());
	}
	n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n <= 0)
		return (clock_now());
	text[n] = '\0';
	errno = 0;
	off = strtoll(text, &end, 10);
	/* A century either way is enough for a test, and cannot overflow. */
	if (end == text || errno != 0 || (*end != '\0' && *end != '\n') ||
	    off > CLOCK_SHIFT_MAX || off < -CLOCK_SHIFT_MAX)
		return (clock_now());
	return (clock_now() + (int64_t)off);
}
