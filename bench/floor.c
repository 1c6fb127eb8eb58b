/*
 * bench/floor.c: what the file system alone charges for many small files,
 * with no network, no TLS and no ferry: the floor under S7
 * (docs/benchmarks.md). Built and run by bench/floor.sh.
 *
 *   floor DIR MODE THREADS [DIRS FILES SIZE]
 *
 * makes DIRS directories (default 20) of FILES files (1000) of SIZE bytes
 * (4096) in DIR, the directories shared among THREADS threads, and prints
 * one line: the mode, threads, files, wall seconds, user and system
 * CPU seconds of the process. MODE is how each file is made:
 *
 *   ferry  as ferry's receiver does: unnamed (O_TMPFILE), written, its
 *          time set, kept open; per batch of 1024 files one syncfs, then
 *          each linked under its name, then one syncfs for the links
 *   rsync  as rsync's receiver does by default: a named temporary file,
 *          written, closed, its time set by name, renamed; no flush
 *   plain  created under its final name, written, its time set; no
 *          flush (no atomicity, no durability: the bare cost)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BATCH	1024

static const char	*mode;
static int		 rootfd, ndirs = 20, nfiles = 1000, nthreads;
static size_t		 size = 4096;
static char		*data;

static void
die(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The ferry way: a batch's files unnamed and open until its syncfs. */
static void
make_ferry(int dfd, int d, int first, int n)
{
	static const struct timespec	 ts[2] = { { 1000000000, 0 },
					     { 1000000000, 0 } };
	int				*fds;
	char				 name[32];
	int				 i;

	if ((fds = calloc((size_t)n, sizeof *fds)) == NULL)
		die("calloc");
	for (i = 0; i < n; i++) {
		if ((fds[i] = openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC,
		    0644)) == -1)
			die("openat O_TMPFILE");
		if (pwrite(fds[i], data, size, 0) != (ssize_t)size)
			die("pwrite");
		if (futimens(fds[i], ts) == -1)
			die("futimens");
	}
	if (syncfs(dfd) == -1)
		die("syncfs");
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof name, "f%03d%05d", d, first + i);
		if (linkat(fds[i], "", dfd, name, AT_EMPTY_PATH) == -1)
			die("linkat");
		close(fds[i]);
	}
	if (syncfs(dfd) == -1)
		die("syncfs");
	free(fds);
}

static void
make_one(int dfd, int d, int i)
{
	static const struct timespec	 ts[2] = { { 1000000000, 0 },
					     { 1000000000, 0 } };
	char				 name[32], tmp[48];
	int				 fd;

	snprintf(name, sizeof name, "f%03d%05d", d, i);
	if (strcmp(mode, "rsync") == 0) {
		snprintf(tmp, sizeof tmp, ".%s.Xa9Zq1", name);
		if ((fd = openat(dfd, tmp, O_CREAT | O_EXCL | O_WRONLY |
		    O_CLOEXEC, 0600)) == -1)
			die("openat");
		if (write(fd, data, size) != (ssize_t)size)
			die("write");
		close(fd);
		if (utimensat(dfd, tmp, ts, AT_SYMLINK_NOFOLLOW) == -1 ||
		    fchmodat(dfd, tmp, 0644, 0) == -1)
			die("utimensat");
		if (renameat(dfd, tmp, dfd, name) == -1)
			die("renameat");
		return;
	}
	if ((fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
	    0644)) == -1)
		die("openat");
	if (write(fd, data, size) != (ssize_t)size)
		die("write");
	if (futimens(fd, ts) == -1)
		die("futimens");
	close(fd);
}

static void *
worker(void *arg)
{
	int	t = (int)(long)arg, d, i, n, dfd;
	char	name[32];

	for (d = t; d < ndirs; d += nthreads) {
		snprintf(name, sizeof name, "d%03d", d);
		if (mkdirat(rootfd, name, 0755) == -1)
			die("mkdirat");
		if ((dfd = openat(rootfd, name, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1)
			die("openat dir");
		for (i = 0; i < nfiles; i += n) {
			n = nfiles - i < BATCH ? nfiles - i : BATCH;
			if (strcmp(mode, "ferry") == 0)
				make_ferry(dfd, d, i, n);
			else {
				int	k;

				for (k = 0; k < n; k++)
					make_one(dfd, d, i + k);
			}
		}
		close(dfd);
	}
	return (NULL);
}

static double
secs(struct timeval tv)
{
	return ((double)tv.tv_sec + (double)tv.tv_usec / 1e6);
}

int
main(int argc, char **argv)
{
	struct timespec	 a, b;
	struct rusage	 ru;
	pthread_t	*th;
	long		 t;

	if (argc < 4) {
		fprintf(stderr, "usage: floor DIR ferry|rsync|plain THREADS "
		    "[DIRS FILES SIZE]\n");
		return (2);
	}
	mode = argv[2];
	nthreads = atoi(argv[3]);
	if (argc > 6) {
		ndirs = atoi(argv[4]);
		nfiles = atoi(argv[5]);
		size = (size_t)atol(argv[6]);
	}
	if (nthreads < 1 || ndirs < 1 || nfiles < 1 || (strcmp(mode, "ferry") &&
	    strcmp(mode, "rsync") && strcmp(mode, "plain"))) {
		fprintf(stderr, "floor: bad arguments\n");
		return (2);
	}
	if ((rootfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		die(argv[1]);
	if ((data = malloc(size)) == NULL || (th = calloc((size_t)nthreads,
	    sizeof *th)) == NULL)
		die("malloc");
	memset(data, 'x', size);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (t = 0; t < nthreads; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)t) != 0)
			die("pthread_create");
	for (t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	getrusage(RUSAGE_SELF, &ru);
	printf("%s %d %d %.3f %.3f %.3f\n", mode, nthreads, ndirs * nfiles,
	    (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) /
	    1e9, secs(ru.ru_utime), secs(ru.ru_stime));
	return (0);
}
