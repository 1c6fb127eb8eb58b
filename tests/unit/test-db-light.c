/*
 * Light transactions (db_begin_light, db.h) on both back ends: inside one
 * the back end's flush setting is relaxed (SQLite: synchronous NORMAL;
 * PostgreSQL: synchronous_commit off), after it, committed or rolled
 * back, the durable one is back; nested begins join the outermost; a
 * light commit is still there after the process is killed (-9). What a
 * power cut does to it is the back ends' word (db.h), not tested here.
 *
 * On SQLite the durable setting is put back after a light commit by a
 * statement of its own (PRAGMA synchronous = FULL), which can fail (out
 * of memory). A test authorizer refuses it here: a durable transaction
 * is refused then, and a statement outside a transaction was not: it
 * committed with synchronous NORMAL, its caller told it was safe. Now
 * each statement tries again to put the setting back and fails if it
 * cannot.
 */
#include "config.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "db-int.h"
#include "err.h"
#include "test.h"
#include "test-store-target.h"

static char	tmpdir[] = "/tmp/ferry-test-db-light.XXXXXX";
static char	path[512];

static struct db *
open_db(void)
{
	struct db	*db = NULL;
	char		*cause = NULL;

	if (db_open(test_store_target(path), 5000, &db, &cause) != 0) {
		fprintf(stderr, "db_open: %s\n", cause ? cause : "failed");
		exit(1);
	}
	return (db);
}

/* Whether the connection flushes each commit now: 1 durable, 0 light. */
static int
durable(struct db *db)
{
	static const char	 lite[] = "PRAGMA synchronous";
	static const char	 pg[] = "SHOW synchronous_commit";
	struct db_stmt		*s;
	int			 r;

	ASSERT_INT_EQ(db_q(db, db_kind(db) == DB_SQLITE ? lite : pg, &s,
	    NULL, ""), 0);
	ASSERT_INT_EQ(db_step(db, s, NULL), 1);
	if (db_kind(db) == DB_SQLITE)
		r = db_col_int(s, 0) == 2;	/* FULL */
	else
		r = strcmp(db_col_str(s, 0), "off") != 0;
	db_reset(s);
	return (r);
}

static int64_t
count(struct db *db)
{
	static const char	 sql[] = "SELECT count(*) FROM light";
	struct db_stmt		*s;
	int64_t			 n;

	ASSERT_INT_EQ(db_q(db, sql, &s, NULL, ""), 0);
	ASSERT_INT_EQ(db_step(db, s, NULL), 1);
	n = db_col_int64(s, 0);
	db_reset(s);
	return (n);
}

static void
add(struct db *db, int64_t x)
{
	static const char	 sql[] = "INSERT INTO light (x) VALUES (?)";
	struct db_stmt		*s;

	ASSERT_INT_EQ(db_q(db, sql, &s, NULL, "i", x), 0);
	ASSERT_INT_EQ(db_exec(db, s, NULL), 0);
}

/* While set, "PRAGMA synchronous = FULL" fails to prepare. */
static int	deny_full;

static int
deny_cb(void *arg, int action, const char *a, const char *b, const char *c,
    const char *d)
{
	(void)arg;
	(void)c;
	(void)d;
	if (deny_full && action == SQLITE_PRAGMA && a != NULL && b != NULL &&
	    sqlite3_stricmp(a, "synchronous") == 0 &&
	    sqlite3_stricmp(b, "FULL") == 0)
		return (SQLITE_DENY);
	return (SQLITE_OK);
}

/* The connection's setting now, read past the database layer: 2 FULL. */
static int
lite_sync(struct db *db)
{
	sqlite3_stmt	*s;
	int		 v = -1;

	if (sqlite3_prepare_v2(db->h, "PRAGMA synchronous", -1, &s, NULL) !=
	    SQLITE_OK)
		return (-1);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return (v);
}

/* The durable setting not put back after a light commit (SQLite). */
static void
restore_fails(struct db *db)
{
	static const char	 sql[] = "INSERT INTO light (x) VALUES (?)";
	struct db_stmt		*s;
	char			*cause = NULL;
	int64_t			 n = count(db);
	int			 r;

	sqlite3_set_authorizer(db->h, deny_cb, NULL);
	deny_full = 1;
	ASSERT_INT_EQ(db_begin_light(db, NULL), 0);
	add(db, 10);
	/* Committed: the light commit itself is as promised. */
	ASSERT_INT_EQ(db_end(db, 0, NULL), 0);
	ASSERT_INT_EQ(lite_sync(db), 1);	/* NORMAL, left over */

	/* A durable transaction is refused while it stays. */
	ASSERT_TRUE(db_begin(db, NULL) != 0);
	/* So is a statement on its own: it would commit unflushed. */
	r = db_q(db, sql, &s, &cause, "i", (int64_t)11);
	if (r == 0) {
		r = db_exec(db, s, &cause);
		if (r == 0)
			TEST_FAIL("a write outside a transaction committed "
			    "with synchronous %d (1: NORMAL)", lite_sync(db));
	}
	test_checks++;
	ASSERT_TRUE(r != 0);
	ASSERT_STR_CONTAINS(cause, "durable");
	free(cause);
	ASSERT_INT_EQ(lite_sync(db), 1);

	/* Memory back: the next statement puts FULL back first. */
	deny_full = 0;
	add(db, 12);
	ASSERT_INT_EQ(lite_sync(db), 2);
	ASSERT_TRUE(durable(db));
	ASSERT_INT_EQ(count(db), n + 2);	/* 10 and 12, not 11 */
	sqlite3_set_authorizer(db->h, NULL, NULL);
}

int
main(void)
{
	struct db	*db;
	pid_t		 pid;
	int		 status;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	snprintf(path, sizeof path, "%s/light.db", tmpdir);
	db = open_db();
	ASSERT_INT_EQ(db_sql(db, "CREATE TABLE light (x INTEGER NOT NULL)",
	    NULL), 0);
	ASSERT_TRUE(durable(db));

	/* Light inside, durable again after the commit. */
	ASSERT_INT_EQ(db_begin_light(db, NULL), 0);
	ASSERT_TRUE(!durable(db));
	add(db, 1);
	/* A nested begin of either kind joins: still light. */
	ASSERT_INT_EQ(db_begin(db, NULL), 0);
	add(db, 2);
	ASSERT_INT_EQ(db_end(db, 0, NULL), 0);
	ASSERT_TRUE(!durable(db));
	ASSERT_INT_EQ(db_end(db, 0, NULL), 0);
	ASSERT_TRUE(durable(db));
	ASSERT_INT_EQ(count(db), 2);

	/* Rolled back: nothing of it, and durable again. */
	ASSERT_INT_EQ(db_begin_light(db, NULL), 0);
	add(db, 3);
	ASSERT_INT_EQ(db_end(db, FERRY_ERR_IO, NULL), FERRY_ERR_IO);
	ASSERT_TRUE(durable(db));
	ASSERT_INT_EQ(count(db), 2);

	/* A durable transaction nests a light begin: durable throughout. */
	ASSERT_INT_EQ(db_begin(db, NULL), 0);
	ASSERT_INT_EQ(db_begin_light(db, NULL), 0);
	ASSERT_TRUE(durable(db));
	add(db, 4);
	ASSERT_INT_EQ(db_end(db, 0, NULL), 0);
	ASSERT_INT_EQ(db_end(db, 0, NULL), 0);
	ASSERT_TRUE(durable(db));
	ASSERT_INT_EQ(count(db), 3);
	if (db_kind(db) == DB_SQLITE) {
		restore_fails(db);
		ASSERT_INT_EQ(db_sql(db, "DELETE FROM light WHERE x >= 10",
		    NULL), 0);
	}
	db_close(db);

	/* A light commit outlives its process killed at once after it. */
	if ((pid = fork()) == -1)
		return (1);
	if (pid == 0) {
		db = open_db();
		if (db_begin_light(db, NULL) != 0)
			_exit(2);
		add(db, 5);
		if (db_end(db, 0, NULL) != 0)
			_exit(2);
		kill(getpid(), SIGKILL);
		_exit(3);
	}
	ASSERT_INT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	db = open_db();
	ASSERT_INT_EQ(count(db), 4);
	ASSERT_TRUE(durable(db));
	db_close(db);
	/* On PostgreSQL the directory only named the schema: it goes too. */
	snprintf(path, sizeof path, "rm -rf %s", tmpdir);
	if (system(path) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return (TEST_DONE());
}
