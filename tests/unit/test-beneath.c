/*
 * Tests of common/beneath: a path below a root is opened component by
 * component, and no symlink, "..", absolute path or swapped-in symlink
 * leads out. Every case runs twice: with openat2 (when the kernel has it)
 * and with the walk older kernels get.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "beneath.h"
#include "err.h"
#include "test.h"

static char	top[64];

static void
put(const char *rel, const char *text)
{
	char	p[256];
	FILE	*f;

	snprintf(p, sizeof p, "%s/%s", top, rel);
	if ((f = fopen(p, "w")) == NULL)
		TEST_SKIP("cannot write the test tree");
	fputs(text, f);
	fclose(f);
}

static void
make_tree(void)
{
	char	p[256];

	snprintf(top, sizeof top, "/tmp/ferry-beneath.XXXXXX");
	if (mkdtemp(top) == NULL)
		TEST_SKIP("mkdtemp");
	snprintf(p, sizeof p, "%s/root", top);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/root/a", top);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/root/a/b", top);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/out", top);
	mkdir(p, 0755);
	put("root/a/b/f", "inside\n");
	put("out/secret", "outside\n");
	snprintf(p, sizeof p, "%s/root/a/lnk", top);
	symlink("b", p);			/* a directory, inside */
	snprintf(p, sizeof p, "%s/root/a/flnk", top);
	symlink("b/f", p);			/* a file, inside */
	snprintf(p, sizeof p, "%s/root/a/up", top);
	symlink("../../out", p);		/* out of the root */
	snprintf(p, sizeof p, "%s/root/a/abs", top);
	symlink("/etc", p);			/* absolute */
}

/* Reads the start of fd into buf and closes it. */
static const char *
slurp(int fd, char *buf, size_t len)
{
	ssize_t	n = fd == -1 ? -1 : read(fd, buf, len - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd != -1)
		close(fd);
	return (buf);
}

/* Whether opening rel fails with errno want and cause names what. */
static void
refused(int rootfd, const char *rel, int want, const char *what)
{
	char	*cause = NULL;
	int	 fd, r;

	errno = 0;
	fd = beneath_openat(rootfd, rel, O_RDONLY, 0);
	ASSERT_INT_EQ(fd, -1);
	ASSERT_INT_EQ(errno, want);
	if (fd != -1)
		close(fd);
	r = beneath_open(rootfd, rel, O_RDONLY, &fd, &cause);
	ASSERT_INT_EQ(r, FERRY_ERR_DENIED);
	ASSERT_STR_CONTAINS(cause, what);
	free(cause);
}

static void
test_cases(int walk)
{
	char	 p[256], buf[256];
	int	 rootfd, fd;

	beneath_force_walk(walk);
	snprintf(p, sizeof p, "%s/root", top);
	rootfd = open(p, O_RDONLY | O_DIRECTORY);
	ASSERT_TRUE(rootfd != -1);

	ASSERT_STR_EQ(slurp(beneath_openat(rootfd, "a/b/f", O_RDONLY, 0), buf,
	    sizeof buf), "inside\n");
	fd = beneath_openat(rootfd, "", O_RDONLY | O_DIRECTORY, 0);
	ASSERT_TRUE(fd != -1);
	close(fd);
	/* A symlink in the middle, at the end, out, absolute. */
	refused(rootfd, "a/lnk/f", ELOOP, "a/lnk: a symlink");
	refused(rootfd, "a/flnk", ELOOP, "a/flnk: a symlink");
	refused(rootfd, "a/up/secret", ELOOP, "a/up: a symlink");
	refused(rootfd, "a/abs/passwd", ELOOP, "a/abs: a symlink");
	/* O_PATH would open a final symlink itself. */
	ASSERT_INT_EQ(beneath_openat(rootfd, "a/flnk", O_PATH, 0), -1);
	ASSERT_INT_EQ(errno, ELOOP);
	/* "..", even one that stays inside, and absolute paths. */
	refused(rootfd, "a/../a/b/f", EXDEV, "climbs");
	refused(rootfd, "../out/secret", EXDEV, "climbs");
	refused(rootfd, "/etc/passwd", EXDEV, "absolute");
	/* Missing is not refused: it is missing. */
	ASSERT_INT_EQ(beneath_open(rootfd, "a/nope", O_RDONLY, &fd, NULL),
	    FERRY_ERR_NOTFOUND);
	/* Creating below a symlink makes nothing where it points. */
	ASSERT_INT_EQ(beneath_openat(rootfd, "a/lnk/new", O_WRONLY | O_CREAT,
	    0644), -1);
	snprintf(p, sizeof p, "%s/root/a/b/new", top);
	ASSERT_TRUE(access(p, F_OK) == -1);
	fd = beneath_openat(rootfd, "a/b/new", O_WRONLY | O_CREAT, 0644);
	ASSERT_TRUE(fd != -1);
	close(fd);
	unlink(p);

	/* The directory is swapped for a symlink after a first check. */
	fd = beneath_openat(rootfd, "a/b/f", O_RDONLY, 0);
	ASSERT_TRUE(fd != -1);
	close(fd);
	snprintf(p, sizeof p, "%s/root/a/b", top);
	snprintf(buf, sizeof buf, "%s/root/a/b.real", top);
	ASSERT_INT_EQ(rename(p, buf), 0);
	ASSERT_INT_EQ(symlink("../../out", p), 0);
	put("out/f", "outside\n");
	refused(rootfd, "a/b/f", ELOOP, "a/b: a symlink");
	unlink(p);
	ASSERT_INT_EQ(rename(buf, p), 0);
	snprintf(p, sizeof p, "%s/out/f", top);
	unlink(p);
	close(rootfd);
	beneath_force_walk(0);
}

int
main(void)
{
	char	cmd[128];

	make_tree();
	test_cases(0);
	test_cases(1);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", top);
	return (TEST_DONE());
}
