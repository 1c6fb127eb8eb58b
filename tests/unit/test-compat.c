/*
 * The portability layer's POSIX files (the -posix.c ones): the private file
 * that the store is created as. (compat/file-win.c is exercised under
 * wine by tests/win/pure.sh.)
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "test.h"

static void
test_open_private(const char *dir)
{
	char		 path[1024], link[1100];
	struct stat	 sb;
	int		 fd;

	/* 0600 whatever the umask. */
	umask(0);
	snprintf(path, sizeof path, "%s/private", dir);
	fd = compat_open_private(path);
	ASSERT_TRUE(fd != -1);
	ASSERT_INT_EQ(write(fd, "x", 1), 1);
	close(fd);
	ASSERT_INT_EQ(stat(path, &sb), 0);
	ASSERT_INT_EQ(sb.st_mode & 0777, 0600);

	/* An existing file is narrowed, and not truncated. */
	ASSERT_INT_EQ(chmod(path, 0644), 0);
	fd = compat_open_private(path);
	ASSERT_TRUE(fd != -1);
	close(fd);
	ASSERT_INT_EQ(stat(path, &sb), 0);
	ASSERT_INT_EQ(sb.st_mode & 0777, 0600);
	ASSERT_INT_EQ(sb.st_size, 1);

	/* Never through a symbolic link, even to a private file. */
	snprintf(link, sizeof link, "%s/link", dir);
	ASSERT_INT_EQ(symlink(path, link), 0);
	errno = 0;
	ASSERT_INT_EQ(compat_open_private(link), -1);
	ASSERT_INT_EQ(errno, ELOOP);
	unlink(link);
	unlink(path);
}

static void
test_open_read(const char *dir)
{
	char	 path[1024];
	int	 fd;

	snprintf(path, sizeof path, "%s/missing", dir);
	errno = 0;
	ASSERT_INT_EQ(compat_open_read(path), -1);
	ASSERT_INT_EQ(errno, ENOENT);
	fd = compat_open_read("/dev/null");
	ASSERT_TRUE(fd != -1);
	/* Not inherited by what the daemon runs. */
	ASSERT_TRUE((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	close(fd);
}

int
main(void)
{
	char	 dir[] = "/tmp/ferry-compat-XXXXXX";

	if (mkdtemp(dir) == NULL) {
		TEST_FAIL("mkdtemp: %s", strerror(errno));
		return (TEST_DONE());
	}
	test_open_private(dir);
	test_open_read(dir);
	rmdir(dir);
	return (TEST_DONE());
}
