/*
 * The hub's store on real SQLite files: schema and reopening, fencing,
 * invites (including two processes racing for one code), agents, shares
 * and ACLs, names, hubs, and durability across a SIGKILL. Jobs and their
 * tasks are test-store-jobs.c's.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "clock.h"
#include "err.h"
#include "store.h"
#include "test.h"

#define TEST_STORE_TMPDIR	"/tmp/ferry-test-store.XXXXXX"
#include "test-store-lib.h"

/* On PostgreSQL the version is ferry_schema's: a newer one is refused. */
static void
test_schema_newer_pg(void)
{
	struct db	*db = NULL;
	char		*cause = NULL;

	ASSERT_INT_EQ(db_open(db_path("schema"), 0, &db, &cause), 0);
	ASSERT_INT_EQ(db_sql(db, "UPDATE ferry_schema SET version = 999",
	    &cause), 0);
	db_close(db);
	free(cause);
}

/*
 * PostgreSQL's own refusals: an empty database is no store when it must
 * exist, a password in the URL and a password file others can read are
 * refused, and a database that is not there is named.
 */
static void
test_schema_pg(void)
{
	struct store	*st = NULL;
	char		*cause = NULL, url[1200], file[600];
	const char	*base = getenv("FERRY_TEST_PG_URL");
	FILE		*f;

	ASSERT_INT_EQ(store_open_existing(db_path("empty"), &st, &cause),
	    FERRY_ERR_STATE);
	ASSERT_STR_CONTAINS(cause, "holds no ferry hub store");
	free(cause);
	cause = NULL;
	ASSERT_INT_EQ(store_open("postgresql://ferry:secret@/ferry", &st,
	    &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "carries a password");
	ASSERT_TRUE(strstr(cause, "secret@") == NULL);
	free(cause);
	cause = NULL;
	snprintf(file, sizeof file, "%s/pgpass-open", tmpdir);
	if ((f = fopen(file, "w")) == NULL)
		exit(1);
	fputs("*:*:*:ferry:nope\n", f);
	fclose(f);
	chmod(file, 0644);
	ASSERT_INT_EQ(store_open_with(db_path("pw"), file, 1, &st, &cause),
	    FERRY_ERR_DENIED);
	ASSERT_STR_CONTAINS(cause, "must be 0600");
	free(cause);
	cause = NULL;
	/* The right mode but the wrong password: authentication fails. */
	chmod(file, 0600);
	ASSERT_INT_EQ(store_open_with(db_path("pw"), file, 1, &st, &cause),
	    FERRY_ERR_UNREACHABLE);
	ASSERT_STR_CONTAINS(cause, "password authentication failed");
	free(cause);
	cause = NULL;
	/* tests/pg/lib.sh's URLs: postgresql://ferry@/ferry?host=... */
	ASSERT_TRUE(strstr(base, "/ferry?") != NULL);
	snprintf(url, sizeof url, "postgresql://ferry@/nodb%s",
	    strstr(base, "/ferry?") + 6);
	ASSERT_INT_EQ(store_open(url, &st, &cause), FERRY_ERR_UNREACHABLE);
	ASSERT_STR_CONTAINS(cause, "cannot connect");
	ASSERT_STR_CONTAINS(cause, "nodb");
	free(cause);
	ASSERT_TRUE(st == NULL);
}

static void
test_schema(void)
{
	struct store		*st;
	struct store_site	 site;
	struct stat		 sb;
	sqlite3			*db;
	sqlite3_stmt		*s;
	char			*cause = NULL;

	st = open_db("schema");
	ASSERT_INT_EQ(store_schema_version(st), store_schema_latest());
	ASSERT_TRUE(store_schema_latest() >= 1);
	ASSERT_INT_EQ(store_site_add(st, "hq", 5, NULL), 0);
	ASSERT_INT_EQ(store_site_add(st, "hq", 6, &cause), FERRY_ERR_EXIST);
	ASSERT_STR_CONTAINS(cause, "already exists");
	ASSERT_INT_EQ(store_site_set_bwlimit(st, "hq", 200000000, NULL), 0);
	ASSERT_INT_EQ(store_site_set_bwlimit(st, "nope", 1, &cause),
	    FERRY_ERR_NOTFOUND);
	store_close(st);

	if (!test_store_pg()) {
		ASSERT_INT_EQ(stat(db_path("schema"), &sb), 0);
		ASSERT_INT_EQ(sb.st_mode & 0777, 0600);
	}

	/* Reopening keeps the data and the version. */
	st = open_db("schema");
	ASSERT_INT_EQ(store_schema_version(st), store_schema_latest());
	ASSERT_INT_EQ(store_site_get(st, "hq", &site, NULL), 0);
	ASSERT_STR_EQ(site.name, "hq");
	ASSERT_INT_EQ(site.bwlimit, 200000000);
	ASSERT_INT_EQ(site.created, 5);
	store_site_clear(&site);
	store_close(st);

	if (test_store_pg())
		test_schema_newer_pg();
	else {
		/* WAL mode is persistent in the file. */
		ASSERT_INT_EQ(sqlite3_open(db_path("schema"), &db), SQLITE_OK);
		ASSERT_INT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1,
		    &s, NULL), SQLITE_OK);
		ASSERT_INT_EQ(sqlite3_step(s), SQLITE_ROW);
		ASSERT_STR_EQ((const char *)sqlite3_column_text(s, 0), "wal");
		sqlite3_finalize(s);
		/* A database from a newer ferry is refused. */
		ASSERT_INT_EQ(sqlite3_exec(db, "PRAGMA user_version = 999",
		    NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
	}
	st = NULL;
	ASSERT_INT_EQ(store_open(db_path("schema"), &st, &cause),
	    FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "newer");
	ASSERT_TRUE(st == NULL);
	free(cause);

	if (test_store_pg()) {
		test_schema_pg();
		return;
	}
	/* A directory that does not exist is an error, not a crash. */
	cause = NULL;
	ASSERT_INT_EQ(store_open("/nonexistent/dir/hub.db", &st, &cause),
	    FERRY_ERR_IO);
	ASSERT_STR_CONTAINS(cause, "/nonexistent/dir/hub.db");
	free(cause);
}

static void
test_invites(void)
{
	struct store		*st = open_db("invites");
	struct store_invite	 inv;
	struct store_agent	 a;
	unsigned char		 fp[STORE_FINGERPRINT_LEN];
	char			 code[STORE_CODE_LEN + 1], code2[64];
	char			*cause = NULL;
	int64_t			 id;

	ASSERT_INT_EQ(store_invite_code(code, sizeof code, NULL), 0);
	ASSERT_INT_EQ(strlen(code), STORE_CODE_LEN);
	ASSERT_INT_EQ(store_invite_code(code2, sizeof code2, NULL), 0);
	ASSERT_TRUE(strcmp(code, code2) != 0);
	ASSERT_INT_EQ(store_invite_code(code2, 8, NULL), FERRY_ERR_INVAL);

	fingerprint(fp, 1);
	ASSERT_INT_EQ(store_invite_create(st, STORE_ROLE_SITE, "la",
	    STORE_CLEARANCE_NONE, code, 1000, 3600, &id, NULL), 0);
	/* Wrong code. */
	ASSERT_INT_EQ(store_invite_use(st, "not-the-code", fp, 1001, &inv,
	    &cause), FERRY_ERR_NOTFOUND);
	ASSERT_STR_CONTAINS(cause, "unknown invite code");
	/* Good code. */
	ASSERT_INT_EQ(store_invite_use(st, code, fp, 1001, &inv, NULL), 0);
	ASSERT_INT_EQ(inv.id, id);
	ASSERT_INT_EQ(inv.kind, STORE_ROLE_SITE);
	ASSERT_STR_EQ(inv.site, "la");
	ASSERT_INT_EQ(inv.used_at, 1001);
	store_invite_clear(&inv);
	/* Reused, even by the same key. */
	ASSERT_INT_EQ(store_invite_use(st, code, fp, 1002, &inv, &cause),
	    FERRY_ERR_USED);
	ASSERT_STR_CONTAINS(cause, "already used, at 1970-01-01 00:16:41 UTC");
	/* Used and later expired: still "used". */
	ASSERT_INT_EQ(store_invite_use(st, code, fp, 99999, NULL, &cause),
	    FERRY_ERR_USED);

	/* Expired. */
	ASSERT_INT_EQ(store_invite_create(st, STORE_ROLE_USER, "a@b",
	    STORE_CLEARANCE_RESTRICTED, "code-two", 1000, 60, NULL, NULL), 0);
	ASSERT_INT_EQ(store_invite_use(st, "code-two", fp, 1060, NULL,
	    &cause), FERRY_ERR_EXPIRED);
	ASSERT_STR_CONTAINS(cause, "expired at 1970-01-01 00:17:40 UTC");
	ASSERT_INT_EQ(store_invite_use(st, "code-two", fp, 1059, &inv, NULL),
	    0);
	ASSERT_INT_EQ(inv.kind, STORE_ROLE_USER);
	ASSERT_STR_EQ(inv.email, "a@b");
	ASSERT_INT_EQ(inv.clearance, STORE_CLEARANCE_RESTRICTED);
	store_invite_clear(&inv);

	/* Bad invites. */
	ASSERT_INT_EQ(store_invite_create(st, STORE_ROLE_USER, "c@d",
	    STORE_CLEARANCE_NONE, "x", 1, 60, NULL, &cause), FERRY_ERR_INVAL);
	ASSERT_INT_EQ(store_invite_create(st, STORE_ROLE_SITE, "la",
	    STORE_CLEARANCE_EMPLOYEE, "x", 1, 60, NULL, &cause),
	    FERRY_ERR_INVAL);
	ASSERT_INT_EQ(store_invite_create(st, STORE_ROLE_SITE, "la",
	    STORE_CLEARANCE_NONE, "", 1, 60, NULL, &cause), FERRY_ERR_INVAL);
	ASSERT_INT_EQ(store_invite_create(st, STORE_ROLE_SITE, "la",
	    STORE_CLEARANCE_NONE, code, 1, 60, NULL, &cause), FERRY_ERR_EXIST);

	/* Enrolment: the site is created and the agent pinned. */
	ASSERT_INT_EQ(store_invite_create(st, STORE_ROLE_SITE, "ny",
	    STORE_CLEARANCE_NONE, "enrol-ny", 2000, 60, NULL, NULL), 0);
	fingerprint(fp, 2);
	ASSERT_INT_EQ(store_enroll(st, "enrol-ny", "ny-server", fp,
	    "10.0.0.1:45190", 2001, &a, NULL), 0);
	ASSERT_STR_EQ(a.name, "ny-server");
	ASSERT_STR_EQ(a.site, "ny");
	ASSERT_INT_EQ(a.role, STORE_ROLE_SITE);
	ASSERT_STR_EQ(a.address, "10.0.0.1:45190");
	store_agent_clear(&a);
	/* The same key again, with a fresh code: refused, code not spent. */
	ASSERT_INT_EQ(store_invite_create(st, STORE_ROLE_USER, "v@vendor",
	    STORE_CLEARANCE_RESTRICTED, "enrol-v", 2000, 60, NULL, NULL), 0);
	ASSERT_INT_EQ(store_enroll(st, "enrol-v", "vendor", fp, NULL, 2002,
	    NULL, &cause), FERRY_ERR_EXIST);
	ASSERT_STR_CONTAINS(cause, "already enrolled");
	fingerprint(fp, 3);
	ASSERT_INT_EQ(store_enroll(st, "enrol-v", "vendor", fp, NULL, 2003,
	    &a, NULL), 0);
	ASSERT_INT_EQ(a.role, STORE_ROLE_USER);
	ASSERT_STR_EQ(a.email, "v@vendor");
	ASSERT_INT_EQ(a.clearance, STORE_CLEARANCE_RESTRICTED);
	ASSERT_TRUE(a.site == NULL);
	store_agent_clear(&a);
	free(cause);
	store_close(st);
}

/* Children wait for the pipe to close, then race for one code. */
static void
test_invite_race(void)
{
	struct store	*st = open_db("race");
	unsigned char	 fp[STORE_FINGERPRINT_LEN];
	pid_t		 pids[6];
	int		 p[2], i, status, wins = 0, used = 0;
	char		 c;

	ASSERT_INT_EQ(store_invite_create(st, STORE_ROLE_SITE, "la",
	    STORE_CLEARANCE_NONE, "race-code", 1000, 3600, NULL, NULL), 0);
	store_close(st);
	if (pipe(p) == -1)
		exit(1);
	for (i = 0; i < 6; i++) {
		if ((pids[i] = fork()) == -1)
			exit(1);
		if (pids[i] == 0) {
			close(p[1]);
			st = open_db("race");
			(void)read(p[0], &c, 1);
			fingerprint(fp, 10 + i);
			switch (store_invite_use(st, "race-code", fp, 1001,
			    NULL, NULL)) {
			case 0:
				_exit(0);
			case FERRY_ERR_USED:
				_exit(2);
			default:
				_exit(3);
			}
		}
	}
	close(p[0]);
	/* Give every child time to open the store before the start. */
	usleep(200000);
	close(p[1]);
	for (i = 0; i < 6; i++) {
		if (waitpid(pids[i], &status, 0) == -1 || !WIFEXITED(status))
			continue;
		wins += WEXITSTATUS(status) == 0;
		used += WEXITSTATUS(status) == 2;
	}
	ASSERT_INT_EQ(wins, 1);
	ASSERT_INT_EQ(used, 5);
}

/*
 * The platform an agent said (migration 14): none until one hello says
 * it; of a site's two agents, the one heard from last; a platform the
 * schema does not know is refused.
 */
static void
test_agent_platforms(struct store *st, int64_t server)
{
	struct store_agent	 a;
	char			 p[16], *cause = NULL;
	int64_t			 ws;

	ASSERT_INT_EQ(store_endpoint_platform(st, "la", p, sizeof p, &cause),
	    FERRY_ERR_NOTFOUND);
	ASSERT_STR_CONTAINS(cause, "la");
	free(cause);
	ASSERT_INT_EQ(store_agent_set_platform(st, server, "linux", NULL), 0);
	ASSERT_INT_EQ(store_agent_set_platform(st, server, "linux", NULL), 0);
	ASSERT_INT_EQ(store_endpoint_platform(st, "la", p, sizeof p, NULL), 0);
	ASSERT_STR_EQ(p, "linux");
	memset(&a, 0, sizeof a);
	a.name = "la-ws";
	a.role = STORE_ROLE_SITE;
	a.site = "la";
	fingerprint(a.fingerprint, 21);
	ASSERT_INT_EQ(store_agent_add(st, &a, 70, &ws, NULL), 0);
	ASSERT_INT_EQ(store_agent_seen(st, ws, NULL, 80, NULL), 0);
	ASSERT_INT_EQ(store_agent_set_platform(st, ws, "windows", NULL), 0);
	ASSERT_INT_EQ(store_endpoint_platform(st, "la", p, sizeof p, NULL), 0);
	ASSERT_STR_EQ(p, "windows");
	ASSERT_INT_EQ(store_agent_seen(st, server, NULL, 90, NULL), 0);
	ASSERT_INT_EQ(store_endpoint_platform(st, "la", p, sizeof p, NULL), 0);
	ASSERT_STR_EQ(p, "linux");
	ASSERT_TRUE(store_agent_set_platform(st, ws, "hurd", NULL) != 0);
	ASSERT_INT_EQ(store_endpoint_platform(st, "nowhere", p, sizeof p,
	    NULL), FERRY_ERR_NOTFOUND);
}

static void
test_agents(void)
{
	struct store		*st = open_db("agents");
	struct store_agent	 a, got;
	unsigned char		 fp[STORE_FINGERPRINT_LEN];
	char			*cause = NULL;
	int64_t			 id;

	ASSERT_INT_EQ(store_site_add(st, "la", 1, NULL), 0);
	memset(&a, 0, sizeof a);
	a.name = "la-server";
	a.role = STORE_ROLE_SITE;
	a.site = "la";
	fingerprint(a.fingerprint, 7);
	ASSERT_INT_EQ(store_agent_add(st, &a, 10, &id, NULL), 0);
	ASSERT_INT_EQ(store_agent_add(st, &a, 11, NULL, &cause),
	    FERRY_ERR_EXIST);
	/* Another key under the same name: the name is taken. */
	fingerprint(a.fingerprint, 9);
	free(cause);
	cause = NULL;
	ASSERT_INT_EQ(store_agent_add(st, &a, 11, NULL, &cause),
	    FERRY_ERR_EXIST);
	ASSERT_STR_CONTAINS(cause, "named la-server");
	free(cause);
	cause = NULL;
	a.name = "la-other";
	a.site = "nowhere";
	fingerprint(a.fingerprint, 8);
	ASSERT_INT_EQ(store_agent_add(st, &a, 11, NULL, &cause),
	    FERRY_ERR_NOTFOUND);
	ASSERT_STR_CONTAINS(cause, "no site nowhere");

	fingerprint(fp, 7);
	ASSERT_INT_EQ(store_agent_by_fingerprint(st, fp, &got, NULL), 0);
	ASSERT_INT_EQ(got.id, id);
	ASSERT_STR_EQ(got.name, "la-server");
	ASSERT_STR_EQ(got.site, "la");
	ASSERT_INT_EQ(got.enrolled_at, 10);
	ASSERT_INT_EQ(got.last_seen, 0);
	ASSERT_TRUE(memcmp(got.fingerprint, fp, sizeof fp) == 0);
	store_agent_clear(&got);
	ASSERT_INT_EQ(store_agent_seen(st, id, "1.2.3.4", 50, NULL), 0);
	ASSERT_INT_EQ(store_agent_seen(st, id, NULL, 60, NULL), 0);
	ASSERT_INT_EQ(store_agent_by_fingerprint(st, fp, &got, NULL), 0);
	ASSERT_INT_EQ(got.last_seen, 60);
	ASSERT_STR_EQ(got.address, "1.2.3.4");
	store_agent_clear(&got);
	fingerprint(fp, 9);
	ASSERT_INT_EQ(store_agent_by_fingerprint(st, fp, &got, NULL),
	    FERRY_ERR_NOTFOUND);
	test_agent_platforms(st, id);
	free(cause);
	store_close(st);
}

static void
test_shares_acls(void)
{
	struct store	*st = open_db("shares");
	char		*json = NULL, *cause = NULL;
	int64_t		 v;
	int		 ok;

	ASSERT_INT_EQ(store_share_get(st, &json, &v, NULL),
	    FERRY_ERR_NOTFOUND);
	ASSERT_INT_EQ(store_share_set(st, "{\"v\":1}", "admin", 1, &v, NULL),
	    0);
	ASSERT_INT_EQ(v, 1);
	ASSERT_INT_EQ(store_share_set(st, "{\"v\":2}", "admin", 2, &v, NULL),
	    0);
	ASSERT_INT_EQ(v, 2);
	ASSERT_INT_EQ(store_share_get(st, &json, &v, NULL), 0);
	ASSERT_STR_EQ(json, "{\"v\":2}");
	ASSERT_INT_EQ(v, 2);
	free(json);
	ASSERT_INT_EQ(store_share_version(st, 1, &json, NULL), 0);
	ASSERT_STR_EQ(json, "{\"v\":1}");
	free(json);

	ASSERT_INT_EQ(store_acl_set(st, "la", "projects:show/shot",
	    STORE_ACCESS_WRITE, NULL), 0);
	ASSERT_INT_EQ(store_acl_set(st, "v@vendor", "projects:",
	    STORE_ACCESS_READ, NULL), 0);
	ASSERT_INT_EQ(store_acl_set(st, "la", "nocolon", STORE_ACCESS_READ,
	    &cause), FERRY_ERR_INVAL);
	ASSERT_INT_EQ(store_acl_check(st, "la", "projects:show/shot/a.exr",
	    STORE_ACCESS_WRITE, &ok, NULL), 0);
	ASSERT_INT_EQ(ok, 1);
	ASSERT_INT_EQ(store_acl_check(st, "la", "projects:show/shot",
	    STORE_ACCESS_READ, &ok, NULL), 0);
	ASSERT_INT_EQ(ok, 1);
	ASSERT_INT_EQ(store_acl_check(st, "la", "projects:show/shot2/a",
	    STORE_ACCESS_READ, &ok, NULL), 0);
	ASSERT_INT_EQ(ok, 0);
	ASSERT_INT_EQ(store_acl_check(st, "v@vendor", "projects:any/thing",
	    STORE_ACCESS_READ, &ok, NULL), 0);
	ASSERT_INT_EQ(ok, 1);
	ASSERT_INT_EQ(store_acl_check(st, "v@vendor", "projects:any/thing",
	    STORE_ACCESS_WRITE, &ok, NULL), 0);
	ASSERT_INT_EQ(ok, 0);
	ASSERT_INT_EQ(store_acl_check(st, "v@vendor", "other:x",
	    STORE_ACCESS_READ, &ok, NULL), 0);
	ASSERT_INT_EQ(ok, 0);
	ASSERT_INT_EQ(store_acl_delete(st, "v@vendor", "projects:", NULL), 0);
	ASSERT_INT_EQ(store_acl_delete(st, "v@vendor", "projects:", NULL),
	    FERRY_ERR_NOTFOUND);
	free(cause);
	store_close(st);
}

/* A child creates a job and is killed the moment the call returns. */
static void
test_durability(void)
{
	struct store		*st;
	struct store_job	 j;
	size_t			 n = 0;
	int64_t			 id = 0;
	pid_t			 pid;
	int			 p[2], status;

	st = open_jobs_db("durable");
	store_close(st);
	if (pipe(p) == -1 || (pid = fork()) == -1)
		exit(1);
	if (pid == 0) {
		close(p[0]);
		st = open_db("durable");
		id = make_job(st, "la", 7, 5000, "/dst/d", 0, 100);
		(void)write(p[1], &id, sizeof id);
		kill(getpid(), SIGKILL);
		_exit(3);
	}
	close(p[1]);
	ASSERT_INT_EQ(read(p[0], &id, sizeof id), sizeof id);
	close(p[0]);
	ASSERT_INT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	st = open_db("durable");
	ASSERT_INT_EQ(store_job_get(st, id, &j, NULL), 0);
	ASSERT_INT_EQ(j.ntasks, 5000);
	ASSERT_INT_EQ(j.priority, 7);
	store_job_clear(&j);
	ASSERT_INT_EQ(store_job_tasks(st, id, count_tasks, &n, NULL), 0);
	ASSERT_INT_EQ(n, 5000);
	store_close(st);
}

static void
test_names(void)
{
	enum store_state	s;
	enum store_clearance	c;
	enum store_access	a;
	enum store_role		r;

	ASSERT_INT_EQ(store_state_parse("paused", &s), 0);
	ASSERT_INT_EQ(s, STORE_PAUSED);
	ASSERT_INT_EQ(store_state_parse("nope", &s), FERRY_ERR_INVAL);
	ASSERT_STR_EQ(store_state_name(STORE_CANCELLED), "cancelled");
	ASSERT_INT_EQ(store_clearance_parse("restricted", &c), 0);
	ASSERT_INT_EQ(c, STORE_CLEARANCE_RESTRICTED);
	ASSERT_INT_EQ(store_access_parse("write", &a), 0);
	ASSERT_INT_EQ(a, STORE_ACCESS_WRITE);
	ASSERT_INT_EQ(store_role_parse("user", &r), 0);
	ASSERT_INT_EQ(r, STORE_ROLE_USER);
	ASSERT_STR_EQ(store_role_name(STORE_ROLE_SITE), "site");
}

/* The hubs of one store (store-hubs.c, issue 17). */
struct hubs_seen {
	char	text[512];
	int	n;
};

static int
hubs_cb(void *arg, const struct store_hub *h)
{
	struct hubs_seen	*s = arg;
	size_t			 len = strlen(s->text);

	snprintf(s->text + len, sizeof s->text - len, "%s%s %s %s %lld",
	    s->n++ ? ";" : "", h->fp, h->address, h->state,
	    (long long)h->seen);
	return (0);
}

static void
test_hubs(void)
{
	struct store		*st = open_db("hubs");
	struct hubs_seen	 s;
	char			*cause = NULL;

	ASSERT_INT_EQ(store_hub_known(st, "KEY-A", NULL), FERRY_ERR_NOTFOUND);
	ASSERT_INT_EQ(store_hub_add(st, "KEY-A", "10.0.0.1:45190", 5, NULL), 0);
	ASSERT_INT_EQ(store_hub_add(st, "KEY-B", "10.0.0.2:45190", 6, NULL), 0);
	/* Again: the address moves, the hub stays one. */
	ASSERT_INT_EQ(store_hub_add(st, "KEY-A", "10.0.0.3:45190", 7, NULL), 0);
	ASSERT_INT_EQ(store_hub_known(st, "KEY-A", NULL), 0);
	ASSERT_INT_EQ(store_hub_seen(st, "KEY-A", "active", 100, NULL), 0);
	ASSERT_INT_EQ(store_hub_seen(st, "KEY-C", "standby", 100, &cause),
	    FERRY_ERR_NOTFOUND);
	ASSERT_STR_CONTAINS(cause ? cause : "", "KEY-C");
	free(cause);
	ASSERT_TRUE(store_hub_seen(st, "KEY-A", "gone", 100, NULL) != 0);
	memset(&s, 0, sizeof s);
	ASSERT_INT_EQ(store_hub_list(st, hubs_cb, &s, NULL), 0);
	ASSERT_STR_EQ(s.text, "KEY-A 10.0.0.3:45190 active 100;"
	    "KEY-B 10.0.0.2:45190 standby 0");
	ASSERT_INT_EQ(store_hub_remove(st, "KEY-A", NULL), 0);
	ASSERT_INT_EQ(store_hub_remove(st, "KEY-A", NULL), FERRY_ERR_NOTFOUND);
	memset(&s, 0, sizeof s);
	ASSERT_INT_EQ(store_hub_list(st, hubs_cb, &s, NULL), 0);
	ASSERT_STR_EQ(s.text, "KEY-B 10.0.0.2:45190 standby 0");
	store_close(st);
}

/*
 * Fencing (store_fence_at, docs/operations.md): before the deadline the
 * store works; past it nothing runs, saying why; moved on, it works
 * again, and what was refused was not written.
 */
static void
test_fence(void)
{
	struct store	*st = open_db("fence");
	char		*cause = NULL;

	ASSERT_INT_EQ(store_site_add(st, "hq", 1, NULL), 0);
	store_fence_at(st, clock_ms() + 60000);
	ASSERT_INT_EQ(store_site_add(st, "la", 1, NULL), 0);
	store_fence_at(st, clock_ms() - 1);
	ASSERT_TRUE(store_site_add(st, "ny", 1, &cause) != 0);
	ASSERT_TRUE(cause != NULL);
	ASSERT_STR_CONTAINS(cause, "lease");
	free(cause);
	cause = NULL;
	store_fence_at(st, 0);
	ASSERT_INT_EQ(store_site_add(st, "ny", 1, &cause), 0);
	store_close(st);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	test_names();
	test_schema();
	test_fence();
	test_invites();
	test_invite_race();
	test_agents();
	test_shares_acls();
	test_durability();
	test_hubs();
	cleanup();
	return (TEST_DONE());
}
