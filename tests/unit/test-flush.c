/*
 * Tests of transfer/flush's O_DIRECT writes: the bytes land where asked
 * whichever way they go, and direct_pwrite says when they went through
 * the page cache, which is what decides whether a striped chunk still
 * needs its writeback started (stripe-recv.c). A flusher's kick starts
 * a writeback in its thread on a descriptor of its own: the caller's
 * stays open, none is left behind, and once it ran the next is taken.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flush.h"
#include "test.h"

#define N	(2 * DIRECT_ALIGN)

/* The lowest free descriptor number: what a leak would move. */
static int
lowest_free(void)
{
	int	fd = dup(0);

	if (fd != -1)
		close(fd);
	return (fd);
}

static void
test_kick(int fd, const unsigned char *p)
{
	struct flusher	*fl;
	int		 before, i;

	ASSERT_TRUE((fl = flusher_new()) != NULL);
	before = lowest_free();
	for (i = 0; i < 4; i++) {
		ASSERT_INT_EQ(pwrite(fd, p, N, (off_t)i * N), N);
		/* The last one ran (flusher_wait): this one is taken. */
		ASSERT_INT_EQ(flusher_kick(fl, fd, (off_t)i * N, N), 1);
		flusher_wait(fl);
		/* The caller's descriptor is still open. */
		ASSERT_INT_EQ(pwrite(fd, p, 1, (off_t)i * N), 1);
	}
	flusher_free(fl);
	/* A receiver without a flusher (no memory for one) kicks itself. */
	ASSERT_INT_EQ(flusher_kick(NULL, fd, 0, N), 1);
	ASSERT_INT_EQ(lowest_free(), before);
}

static int
read_back(int fd, off_t off, unsigned char *out, size_t n)
{
	return (pread(fd, out, n, off) == (ssize_t)n);
}

int
main(void)
{
	char		 path[] = "/tmp/ferry-test-flush.XXXXXX";
	unsigned char	*p, back[N + 1];
	int		 fd, dfd, cached, direct_ok;
	ssize_t		 r;

	if ((fd = mkstemp(path)) == -1)
		TEST_SKIP("mkstemp");
	unlink(path);
	if (posix_memalign((void **)&p, DIRECT_ALIGN, N + 1) != 0)
		TEST_SKIP("posix_memalign");
	memset(p, 0xa5, N + 1);
	test_kick(fd, p);
	ASSERT_INT_EQ(ftruncate(fd, 0), 0);

	/* No twin: always through the cache. */
	cached = 0;
	ASSERT_INT_EQ(direct_pwrite(-1, fd, p, N, 0, &cached), N);
	ASSERT_INT_EQ(cached, 1);
	ASSERT_TRUE(read_back(fd, 0, back, N) && memcmp(back, p, N) == 0);

	dfd = direct_open(fd);
	if (dfd == -1) {
		/* A file system without O_DIRECT: nothing more to see. */
		return (TEST_DONE());
	}
	/* Aligned: through the twin where the file system takes it. */
	memset(p, 0x5a, N);
	cached = 0;
	errno = 0;
	ASSERT_INT_EQ(direct_pwrite(dfd, fd, p, N, N, &cached), N);
	direct_ok = pwrite(dfd, p, N, N) == N;
	ASSERT_INT_EQ(cached, direct_ok ? 0 : 1);
	ASSERT_TRUE(read_back(fd, N, back, N) && memcmp(back, p, N) == 0);
	/* A NULL flag is allowed. */
	ASSERT_INT_EQ(direct_pwrite(dfd, fd, p, N, N, NULL), N);

	/* Any of buffer, length or offset unaligned: through the cache. */
	cached = 0;
	ASSERT_INT_EQ(direct_pwrite(dfd, fd, p + 1, N, 0, &cached), N);
	ASSERT_INT_EQ(cached, 1);
	ASSERT_TRUE(read_back(fd, 0, back, N) && memcmp(back, p + 1, N) == 0);
	cached = 0;
	ASSERT_INT_EQ(direct_pwrite(dfd, fd, p, N - 1, 0, &cached), N - 1);
	ASSERT_INT_EQ(cached, 1);
	cached = 0;
	r = direct_pwrite(dfd, fd, p, N, 3 * N + 512, &cached);
	ASSERT_INT_EQ(r, N);
	ASSERT_INT_EQ(cached, 1);
	ASSERT_TRUE(read_back(fd, 3 * N + 512, back, N) &&
	    memcmp(back, p, N) == 0);
	close(dfd);
	close(fd);
	free(p);
	return (TEST_DONE());
}
