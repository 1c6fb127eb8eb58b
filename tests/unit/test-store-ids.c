/*
 * Blocks of ids from the store (store_ids_reserve, agent/store/store-ids.c;
 * the hub's runs and transfer ids, agent/hub-ids.c), on SQLite and,
 * through tests/pg/store.sh, on PostgreSQL. Two processes reserving at
 * once on one store (two hubs on one PostgreSQL, issue 17, should the
 * lease ever be wrong) must never get blocks that share an id: the
 * reservation read the bound and then wrote it in two statements, and
 * both could read the same bound. A damaged bound is refused, named.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "store.h"
#include "test.h"
#include "test-store-target.h"

#define KEY	"ids-below"
#define BLOCK	10
#define MAX	(INT64_MAX / 2)
#define PROCS	2
#define EACH	300

static char	tmpdir[] = "/tmp/ferry-test-store-ids.XXXXXX";
static char	path[512];

static struct store *
open_store(void)
{
	struct store	*st = NULL;
	char		*cause = NULL;
	int		 r;

	if ((r = store_open(test_store_target(path), &st, &cause)) != 0) {
		fprintf(stderr, "store_open: %s\n", cause ? cause : err_str(r));
		exit(1);
	}
	return (st);
}

/* One process's reservations, each block's first id written to fd. */
static void
reserver(int go, int fd)
{
	struct store	*st = open_store();
	char		*cause = NULL, c;
	int64_t		 got;
	int		 i, r;

	if (read(go, &c, 1) != 1)
		_exit(2);
	for (i = 0; i < EACH; i++) {
		/* Each asks from 0: the bound alone keeps them apart. */
		if ((r = store_ids_reserve(st, KEY, 0, BLOCK, MAX, &got,
		    &cause)) != 0) {
			fprintf(stderr, "store_ids_reserve: %s\n",
			    cause ? cause : err_str(r));
			_exit(3);
		}
		if (write(fd, &got, sizeof got) != sizeof got)
			_exit(4);
	}
	store_close(st);
	_exit(0);
}

static int
cmp64(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x < y ? -1 : x > y);
}

/* PROCS processes at once: every block apart, the bound above them all. */
static void
concurrent(struct store *st)
{
	static int64_t	 got[PROCS * EACH];
	int		 go[2], out[2], status, i, overlaps = 0;
	pid_t		 pids[PROCS];
	size_t		 n = 0;
	ssize_t		 k;
	char		*v = NULL, buf[PROCS];

	ASSERT_INT_EQ(pipe(go), 0);
	ASSERT_INT_EQ(pipe(out), 0);
	for (i = 0; i < PROCS; i++) {
		if ((pids[i] = fork()) == 0) {
			close(go[1]);
			close(out[0]);
			reserver(go[0], out[1]);
		}
		ASSERT_TRUE(pids[i] > 0);
	}
	close(go[0]);
	close(out[1]);
	/* All start together, each with its store open. */
	memset(buf, 'g', sizeof buf);
	ASSERT_INT_EQ(write(go[1], buf, sizeof buf), PROCS);
	while (n < PROCS * EACH &&
	    (k = read(out[0], &got[n], sizeof got[n])) == sizeof got[n])
		n++;
	close(out[0]);
	close(go[1]);
	for (i = 0; i < PROCS; i++) {
		ASSERT_INT_EQ(waitpid(pids[i], &status, 0), pids[i]);
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ASSERT_INT_EQ(n, PROCS * EACH);
	qsort(got, n, sizeof got[0], cmp64);
	for (i = 1; i < (int)n; i++)
		if (got[i] < got[i - 1] + BLOCK)
			overlaps++;
	if (overlaps > 0)
		TEST_FAIL("%d of %zu blocks overlap another", overlaps, n);
	test_checks++;
	ASSERT_INT_EQ(store_meta_get(st, KEY, &v, NULL), 0);
	ASSERT_TRUE(v != NULL && n > 0 && strtoll(v, NULL, 10) >=
	    got[n - 1] + BLOCK);
	free(v);
}

int
main(void)
{
	struct store	*st;
	char		*cause = NULL, *v = NULL;
	int64_t		 got = -1;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	snprintf(path, sizeof path, "%s/ids.db", tmpdir);
	st = open_store();

	/* Unset: the wish; then above the bound, or the wish if higher. */
	ASSERT_INT_EQ(store_ids_reserve(st, KEY, 1000, BLOCK, MAX, &got,
	    NULL), 0);
	ASSERT_INT_EQ(got, 1000);
	ASSERT_INT_EQ(store_ids_reserve(st, KEY, 5, BLOCK, MAX, &got, NULL),
	    0);
	ASSERT_INT_EQ(got, 1000 + BLOCK);
	ASSERT_INT_EQ(store_ids_reserve(st, KEY, 5000, BLOCK, MAX, &got,
	    NULL), 0);
	ASSERT_INT_EQ(got, 5000);
	ASSERT_INT_EQ(store_meta_get(st, KEY, &v, NULL), 0);
	ASSERT_STR_EQ(v, "5010");
	free(v);

	/* Damage is refused, named, and left for an operator to see. */
	ASSERT_INT_EQ(store_meta_set(st, KEY, "12abc", NULL), 0);
	ASSERT_INT_EQ(store_ids_reserve(st, KEY, 0, BLOCK, MAX, &got,
	    &cause), FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, KEY);
	free(cause);
	cause = NULL;
	ASSERT_INT_EQ(store_meta_set(st, KEY, "9223372036854775807", NULL),
	    0);
	ASSERT_INT_EQ(store_ids_reserve(st, KEY, 0, BLOCK, MAX, &got,
	    NULL), FERRY_ERR_PARSE);
	ASSERT_INT_EQ(store_meta_get(st, KEY, &v, NULL), 0);
	ASSERT_STR_EQ(v, "9223372036854775807");
	free(v);
	ASSERT_INT_EQ(store_meta_set(st, KEY, "0", NULL), 0);

	concurrent(st);
	store_close(st);
	snprintf(path, sizeof path, "rm -rf %s", tmpdir);
	if (system(path) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return (TEST_DONE());
}
