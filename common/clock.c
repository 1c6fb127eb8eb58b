#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

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
	char		 text[32], *end;
	long long	 off;
	ssize_t		 n;
	int		 fd;

	if (file == NULL || (fd = open(file, O_RDONLY | O_CLOEXEC)) == -1)
		return (clock_now());
	n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n <= 0)
		return (clock_now());
	text[n] = '\0';
	errno = 0;
	off = strtoll(text, &end, 10);
	if (end == text || errno != 0 || (*end != '\0' && *end != '\n'))
		return (clock_now());
	return (clock_now() + (int64_t)off);
}
