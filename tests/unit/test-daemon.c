/*
 * Tests of the daemon plumbing in common/: the state directory, the lock
 * file, sd_notify and the JSON-lines local API, with real files, sockets
 * and processes.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "compat.h"
#include "err.h"
#include "jsonline.h"
#include "lockfile.h"
#include "log.h"
#include "sdnotify.h"
#include "statedir.h"
#include "test.h"

#define NOBODY	65534

static char	tmpdir[] = "/tmp/test-daemon.XXXXXX";

/* A path in the scratch directory; static storage, eight at a time. */
static const char *
tmp_path(const char *name)
{
	static char	path[8][PATH_MAX];
	static int	next;

	next = (next + 1) % 8;
	snprintf(path[next], sizeof path[next], "%s/%s", tmpdir, name);
	return (path[next]);
}

static mode_t
mode_of(const char *path)
{
	struct stat	sb;

	if (stat(path, &sb) == -1)
		return ((mode_t)-1);
	return (sb.st_mode & 07777);
}

/* Waits for pid and returns its exit status, or -1 if it did not exit. */
static int
wait_exit(pid_t pid)
{
	int	status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return (-1);
	return (WEXITSTATUS(status));
}

/* Starts a forked child's own count of failures. */
static pid_t
child_fork(void)
{
	pid_t	pid;

	if ((pid = fork()) == 0)
		test_failures = 0;
	return (pid);
}

/* Ends a forked child: 0 if none of its checks failed. */
static void __attribute__((noreturn))
child_done(void)
{
	_exit(test_failures == 0 ? 0 : 1);
}

static void
test_statedir_choose(void)
{
	unsetenv(STATEDIR_ENV);
	ASSERT_STR_EQ(statedir_choose(NULL), "/var/lib/ferry");
	ASSERT_STR_EQ(statedir_choose("/x"), "/x");
	setenv(STATEDIR_ENV, "/from/env", 1);
	ASSERT_STR_EQ(statedir_choose(NULL), "/from/env");
	ASSERT_STR_EQ(statedir_choose("/x"), "/x");
	setenv(STATEDIR_ENV, "", 1);
	ASSERT_STR_EQ(statedir_choose(NULL), "/var/lib/ferry");
	unsetenv(STATEDIR_ENV);
}

static void
test_statedir_create(void)
{
	char	*cause = NULL;
	mode_t	 old;

	/* Created 0700 whatever the umask, even one that takes our bits. */
	old = umask(0);
	ASSERT_INT_EQ(statedir_open(tmp_path("s1"), &cause), 0);
	ASSERT_INT_EQ(mode_of(tmp_path("s1")), 0700);
	umask(0777);
	ASSERT_INT_EQ(statedir_open(tmp_path("s2"), &cause), 0);
	ASSERT_INT_EQ(mode_of(tmp_path("s2")), 0700);
	umask(old);
	/* An existing, good one is accepted again. */
	ASSERT_INT_EQ(statedir_open(tmp_path("s1"), &cause), 0);
	ASSERT_TRUE(cause == NULL);

	ASSERT_INT_EQ(statedir_open(tmp_path("none/s"), &cause),
	    FERRY_ERR_IO);
	ASSERT_STR_CONTAINS(cause, "cannot create state directory");
	ASSERT_STR_CONTAINS(cause, tmp_path("none/s"));
	ASSERT_INT_EQ(statedir_open("", &cause), FERRY_ERR_INVAL);
	free(cause);
}

static void
test_statedir_refuse(void)
{
	char	*cause = NULL;
	int	 fd;

	ASSERT_INT_EQ(chmod(tmp_path("s1"), 0755), 0);
	ASSERT_INT_EQ(statedir_open(tmp_path("s1"), &cause), FERRY_ERR_AUTH);
	ASSERT_STR_CONTAINS(cause, tmp_path("s1"));
	ASSERT_STR_CONTAINS(cause, "mode 0755");
	ASSERT_INT_EQ(chmod(tmp_path("s1"), 0701), 0);
	ASSERT_INT_EQ(statedir_open(tmp_path("s1"), &cause), FERRY_ERR_AUTH);
	ASSERT_STR_CONTAINS(cause, "mode 0701");
	ASSERT_INT_EQ(chmod(tmp_path("s1"), 0700), 0);

	fd = open(tmp_path("file"), O_WRONLY | O_CREAT, 0600);
	ASSERT_TRUE(fd != -1);
	close(fd);
	ASSERT_INT_EQ(statedir_open(tmp_path("file"), &cause),
	    FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "is not a directory");

	if (geteuid() == 0) {
		ASSERT_INT_EQ(chown(tmp_path("s2"), NOBODY, NOBODY), 0);
		ASSERT_INT_EQ(statedir_open(tmp_path("s2"), &cause),
		    FERRY_ERR_AUTH);
		ASSERT_STR_CONTAINS(cause, tmp_path("s2"));
		ASSERT_STR_CONTAINS(cause, "owned by uid 65534");
	}
	free(cause);
}

static void
test_statedir_path(void)
{
	char	*path = NULL, *cause = NULL, *dir;
	size_t	 n = PATH_MAX;

	ASSERT_INT_EQ(statedir_path("/var/lib/ferry", "ferryd.lock", &path,
	    &cause), 0);
	ASSERT_STR_EQ(path, "/var/lib/ferry/ferryd.lock");
	free(path);
	ASSERT_INT_EQ(statedir_path("/s/", "x", &path, &cause), 0);
	ASSERT_STR_EQ(path, "/s/x");
	free(path);

	path = NULL;
	dir = malloc(n);
	memset(dir, 'd', n - 1);
	dir[n - 1] = '\0';
	ASSERT_INT_EQ(statedir_path(dir, "x", &path, &cause),
	    FERRY_ERR_TOOBIG);
	ASSERT_STR_CONTAINS(cause, "path too long");
	ASSERT_TRUE(path == NULL);
	free(dir);
	free(cause);
}

/* The pid written in dir's lock file, or -1. */
static long
lock_pid(const char *dir)
{
	char	 path[PATH_MAX + 64], text[32];
	FILE	*f;
	long	 pid = -1;

	snprintf(path, sizeof path, "%s/ferryd.lock", dir);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	if (fgets(text, sizeof text, f) != NULL)
		pid = strtol(text, NULL, 10);
	fclose(f);
	return (pid);
}

static void
test_lockfile_same_process(void)
{
	const char	*dir = tmp_path("s1");
	char		*cause = NULL, want[PATH_MAX + 64];
	char		 path[PATH_MAX + 64];
	int		 fd = -1, fd2 = -1;

	ASSERT_INT_EQ(lockfile_take(dir, "ferryd", &fd, &cause), 0);
	ASSERT_TRUE(fd != -1);
	ASSERT_INT_EQ(lock_pid(dir), getpid());
	snprintf(path, sizeof path, "%s/ferryd.lock", dir);
	ASSERT_INT_EQ(mode_of(path), 0600);
	ASSERT_TRUE((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);

	/* A second open file description conflicts, even in one process. */
	ASSERT_INT_EQ(lockfile_take(dir, "ferryd", &fd2, &cause),
	    FERRY_ERR_EXIST);
	ASSERT_INT_EQ(fd2, -1);
	snprintf(want, sizeof want, "another ferryd (pid %ld) is running on "
	    "%s", (long)getpid(), dir);
	ASSERT_STR_EQ(cause, want);

	lockfile_release(fd);
	lockfile_release(-1);
	/* A stale pid in an unlocked file is no obstacle. */
	ASSERT_INT_EQ(lockfile_take(dir, "ferryd", &fd, &cause), 0);
	lockfile_release(fd);
	ASSERT_INT_EQ(lockfile_take(tmp_path("none"), "ferryd", &fd, &cause),
	    FERRY_ERR_IO);
	ASSERT_STR_CONTAINS(cause, "cannot open");
	free(cause);
}

/* A second process is refused with the holder's pid; SIGKILL frees it. */
static void
test_lockfile_kill(void)
{
	const char	*dir = tmp_path("s1");
	char		*cause = NULL, want[64], c;
	int		 fd = -1, p[2];
	pid_t		 pid;

	ASSERT_INT_EQ(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		if (lockfile_take(dir, "ferryd", &fd, NULL) != 0)
			_exit(1);
		(void)write(p[1], "x", 1);
		for (;;)
			pause();
	}
	close(p[1]);
	ASSERT_INT_EQ(read(p[0], &c, 1), 1);
	close(p[0]);

	ASSERT_INT_EQ(lockfile_take(dir, "ferryd", &fd, &cause), FERRY_ERR_EXIST);
	snprintf(want, sizeof want, "(pid %ld)", (long)pid);
	ASSERT_STR_CONTAINS(cause, want);
	ASSERT_STR_CONTAINS(cause, dir);

	ASSERT_INT_EQ(kill(pid, SIGKILL), 0);
	ASSERT_INT_EQ(waitpid(pid, NULL, 0), pid);
	ASSERT_INT_EQ(lock_pid(dir), pid);	/* the file still says so */
	ASSERT_INT_EQ(lockfile_take(dir, "ferryd", &fd, &cause), 0);
	ASSERT_INT_EQ(lock_pid(dir), getpid());
	lockfile_release(fd);
	free(cause);
}

/* A datagram socket bound at name ('@' for the abstract namespace). */
static int
dgram_bind(const char *name)
{
	struct sockaddr_un	sun;
	struct timeval		tv = { 10, 0 };
	socklen_t		len;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, name, sizeof sun.sun_path - 1);
	len = sizeof sun;
	if (name[0] == '@') {
		sun.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    strlen(name));
	}
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, len) == -1)
		return (-1);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return (fd);
}

/* The next datagram on fd, as a string (static storage). */
static const char *
dgram_recv(int fd)
{
	static char	msg[2048];
	ssize_t		n;

	n = recv(fd, msg, sizeof msg - 1, 0);
	if (n < 0)
		return ("(nothing received)");
	msg[n] = '\0';
	return (msg);
}

static void
test_sdnotify_none(void)
{
	char		*cause = NULL;
	uint64_t	 usec = 0;

	unsetenv(SDNOTIFY_ENV);
	ASSERT_INT_EQ(sdnotify_ready(&cause), 0);
	ASSERT_INT_EQ(sdnotify_status(&cause, "x"), 0);
	setenv(SDNOTIFY_ENV, "", 1);
	ASSERT_INT_EQ(sdnotify_stopping(&cause), 0);
	ASSERT_TRUE(cause == NULL);

	setenv(SDNOTIFY_ENV, "relative/path", 1);
	ASSERT_INT_EQ(sdnotify_ready(&cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "relative/path");
	setenv(SDNOTIFY_ENV, tmp_path("no-such-socket"), 1);
	ASSERT_INT_EQ(sdnotify_ready(&cause), FERRY_ERR_IO);
	ASSERT_STR_CONTAINS(cause, "no-such-socket");
	unsetenv(SDNOTIFY_ENV);
	free(cause);

	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	ASSERT_INT_EQ(sdnotify_watchdog_usec(&usec), 0);
	setenv("WATCHDOG_USEC", "2000000", 1);
	ASSERT_INT_EQ(sdnotify_watchdog_usec(&usec), 1);
	ASSERT_INT_EQ(usec, 2000000);
	setenv("WATCHDOG_PID", "1", 1);	/* someone else's */
	ASSERT_INT_EQ(sdnotify_watchdog_usec(&usec), getpid() == 1);
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "12x", 1);
	ASSERT_INT_EQ(sdnotify_watchdog_usec(&usec), 0);
	unsetenv("WATCHDOG_USEC");
}

/* Every message arrives as one datagram with exactly its text. */
static void
test_sdnotify_messages(const char *name)
{
	char		*cause = NULL;
	const char	*msg;
	int		 fd;

	fd = dgram_bind(name);
	ASSERT_TRUE(fd != -1);
	setenv(SDNOTIFY_ENV, name, 1);
	ASSERT_INT_EQ(sdnotify_ready(&cause), 0);
	ASSERT_STR_EQ(dgram_recv(fd), "READY=1");
	ASSERT_INT_EQ(sdnotify_status(&cause, "%d jobs,\n%s", 3, "idle"), 0);
	ASSERT_STR_EQ(dgram_recv(fd), "STATUS=3 jobs, idle");
	ASSERT_INT_EQ(sdnotify_reloading(&cause), 0);
	msg = dgram_recv(fd);
	ASSERT_TRUE(strncmp(msg, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0);
	ASSERT_TRUE(strlen(msg) > 27);
	ASSERT_INT_EQ(sdnotify_watchdog(&cause), 0);
	ASSERT_STR_EQ(dgram_recv(fd), "WATCHDOG=1");
	ASSERT_INT_EQ(sdnotify_stopping(&cause), 0);
	ASSERT_STR_EQ(dgram_recv(fd), "STOPPING=1");
	ASSERT_INT_EQ(sdnotify_send("READY=1\nSTATUS=up", &cause), 0);
	ASSERT_STR_EQ(dgram_recv(fd), "READY=1\nSTATUS=up");
	ASSERT_TRUE(cause == NULL);
	unsetenv(SDNOTIFY_ENV);
	close(fd);
}

static void
test_sdnotify(void)
{
	char	abstract[64];

	test_sdnotify_none();
	test_sdnotify_messages(tmp_path("notify"));
	snprintf(abstract, sizeof abstract, "@ferry-test-daemon-%ld",
	    (long)getpid());
	test_sdnotify_messages(abstract);
}

/*
 * compat_notify_hook: the hook sees each message before it is sent (on
 * Windows, ferryd's service turns them into SetServiceStatus calls), and
 * the datagram still goes.
 */
static char	hook_seen[64];

static void
hook_record(const char *msg)
{
	snprintf(hook_seen, sizeof hook_seen, "%s", msg);
}

static void
test_notify_hook(void)
{
	char		*cause = NULL;
	const char	*name = tmp_path("hooked");
	int		 fd;

	fd = dgram_bind(name);
	ASSERT_TRUE(fd != -1);
	setenv(SDNOTIFY_ENV, name, 1);
	compat_notify_hook(hook_record);
	ASSERT_INT_EQ(sdnotify_ready(&cause), 0);
	ASSERT_STR_EQ(hook_seen, "READY=1");
	ASSERT_STR_EQ(dgram_recv(fd), "READY=1");
	compat_notify_hook(NULL);
	ASSERT_INT_EQ(sdnotify_stopping(&cause), 0);
	ASSERT_STR_EQ(hook_seen, "READY=1");
	ASSERT_STR_EQ(dgram_recv(fd), "STOPPING=1");
	ASSERT_TRUE(cause == NULL);
	unsetenv(SDNOTIFY_ENV);
	close(fd);
}

/*
 * log_set_sink: the sink takes what passes the level, cleaned of control
 * characters, instead of stderr; NULL gives stderr back.
 */
static int		sink_count;
static enum log_level	sink_level;
static char		sink_msg[256];

static void
sink_record(enum log_level level, const char *msg)
{
	sink_count++;
	sink_level = level;
	snprintf(sink_msg, sizeof sink_msg, "%s", msg);
}

static void
test_log_sink(void)
{
	log_init("test-daemon", LOG_LEVEL_INFO, 0);
	log_set_sink(sink_record);
	log_warnx("a %s\nline", "forged");
	ASSERT_INT_EQ(sink_count, 1);
	ASSERT_INT_EQ(sink_level, LOG_LEVEL_WARN);
	ASSERT_STR_EQ(sink_msg, "a forged\\x0aline");
	errno = ENOENT;
	log_warn("open x");
	ASSERT_INT_EQ(sink_count, 2);
	ASSERT_STR_EQ(sink_msg, "open x: No such file or directory");
	log_debug("below the level");
	ASSERT_INT_EQ(sink_count, 2);
	log_error("e");
	ASSERT_INT_EQ(sink_level, LOG_LEVEL_ERROR);
	log_set_sink(NULL);
	log_info("to stderr, not the sink");
	ASSERT_INT_EQ(sink_count, 3);
}

/* Connects as a client; fails the test (and returns NULL) if it cannot. */
static struct jsonline_conn *
client(const char *path)
{
	struct jsonline_conn	*c = NULL;
	char			*cause = NULL;

	ASSERT_INT_EQ(jsonline_connect(path, &c, &cause), 0);
	if (cause != NULL)
		fprintf(stderr, "connect: %s\n", cause);
	free(cause);
	return (c);
}

/* Accepts the connection that is (or is about to be) waiting. */
static struct jsonline_conn *
server_accept(int lfd, char **cause)
{
	struct jsonline_conn	*c = NULL;
	struct pollfd		 pfd = { lfd, POLLIN, 0 };

	if (poll(&pfd, 1, 10000) != 1)
		return (NULL);
	if (jsonline_accept(lfd, &c, cause) != 0)
		return (NULL);
	return (c);
}

/*
 * Waits for the next request on a server connection: polls, fills and
 * takes lines as the daemon's loop does. Returns what jsonline_next() does.
 */
static int
server_next(struct jsonline_conn *c, json_t **reqp, char **cause)
{
	struct pollfd	 pfd = { c->fd, POLLIN, 0 };
	int		 r;

	for (;;) {
		if ((r = jsonline_next(c, reqp, cause)) != 0 || *reqp != NULL)
			return (r);
		if (poll(&pfd, 1, 10000) != 1)
			return (FERRY_ERR_TIMEOUT);
		if ((r = jsonline_fill(c, cause)) != 0)
			return (r);
	}
}

static void
test_jsonline_listen(const char *sock)
{
	struct jsonline_conn	*c = NULL;
	char			*cause = NULL, longpath[200];
	int			 lfd = -1, fd;

	ASSERT_INT_EQ(jsonline_connect(sock, &c, &cause), FERRY_ERR_NOTFOUND);
	ASSERT_STR_CONTAINS(cause, "is ferryd running? no socket at ");
	ASSERT_STR_CONTAINS(cause, sock);

	ASSERT_INT_EQ(jsonline_listen(sock, &lfd, &cause), 0);
	ASSERT_INT_EQ(mode_of(sock), 0600);
	/* Bound as sock~ and renamed once listening: no sock~ is left. */
	snprintf(longpath, sizeof longpath, "%s~", sock);
	ASSERT_INT_EQ(access(longpath, F_OK), -1);
	ASSERT_INT_EQ(jsonline_connect(sock, &c, &cause), 0);
	jsonline_free(c);
	c = NULL;
	close(lfd);
	/* The socket a dead daemon left: connect says so, listen reuses it. */
	ASSERT_INT_EQ(jsonline_connect(sock, &c, &cause), FERRY_ERR_NOTFOUND);
	ASSERT_STR_CONTAINS(cause, "nothing is listening on");
	ASSERT_INT_EQ(jsonline_listen(sock, &lfd, &cause), 0);
	close(lfd);

	fd = open(tmp_path("plain"), O_WRONLY | O_CREAT, 0600);
	close(fd);
	ASSERT_INT_EQ(jsonline_listen(tmp_path("plain"), &lfd, &cause),
	    FERRY_ERR_EXIST);
	ASSERT_STR_CONTAINS(cause, "is not a socket");
	memset(longpath, 'x', sizeof longpath - 1);
	longpath[0] = '/';
	longpath[sizeof longpath - 1] = '\0';
	ASSERT_INT_EQ(jsonline_listen(longpath, &lfd, &cause),
	    FERRY_ERR_TOOBIG);
	ASSERT_STR_CONTAINS(cause, "socket path too long");
	ASSERT_INT_EQ(jsonline_connect(longpath, &c, &cause),
	    FERRY_ERR_TOOBIG);
	free(cause);
}

/* One process: a request, then a stream of responses ending in "done". */
static void
test_jsonline_roundtrip(int lfd)
{
	struct jsonline_conn	*cl, *sv;
	json_t			*req, *resp;
	char			*cause = NULL;
	int			 i, r;

	if ((cl = client(tmp_path("ferryd.sock"))) == NULL)
		return;
	sv = server_accept(lfd, &cause);
	ASSERT_TRUE(sv != NULL);
	if (sv == NULL)
		goto out;
	ASSERT_INT_EQ(sv->uid, geteuid());
	ASSERT_INT_EQ(sv->pid, getpid());

	req = json_pack("{s:s, s:i, s:s}", "op", "job.list", "id", 7, "note",
	    "two\nlines");
	ASSERT_INT_EQ(jsonline_request(cl, req, &cause), 0);
	json_decref(req);
	ASSERT_INT_EQ(server_next(sv, &req, &cause), 0);
	ASSERT_STR_EQ(json_string_value(json_object_get(req, "op")),
	    "job.list");
	ASSERT_STR_EQ(json_string_value(json_object_get(req, "note")),
	    "two\nlines");
	json_decref(req);

	for (i = 0; i < 3; i++) {
		resp = json_pack("{s:i, s:i}", "re", 7, "progress", i);
		ASSERT_INT_EQ(jsonline_send(sv, resp, &cause), 0);
		json_decref(resp);
	}
	resp = json_pack("{s:i, s:b}", "re", 7, "done", 1);
	ASSERT_INT_EQ(jsonline_send(sv, resp, &cause), 0);
	json_decref(resp);
	ASSERT_INT_EQ(jsonline_pending(sv), 0);

	for (i = 0; i < 4; i++) {
		ASSERT_INT_EQ(jsonline_recv(cl, &resp, &cause), 0);
		if (i < 3) {
			ASSERT_INT_EQ(json_integer_value(json_object_get(resp,
			    "progress")), i);
			ASSERT_TRUE(!jsonline_done(resp));
		} else
			ASSERT_TRUE(jsonline_done(resp));
		json_decref(resp);
	}

	/* The client hangs up: the server sees the end of the stream. */
	jsonline_free(cl);
	cl = NULL;
	r = server_next(sv, &req, &cause);
	ASSERT_INT_EQ(r, FERRY_ERR_CLOSED);
out:
	jsonline_free(sv);
	jsonline_free(cl);
	free(cause);
}

/* A client that does not read is dropped once too much is queued for it. */
static void
test_jsonline_queue(int lfd)
{
	struct jsonline_conn	*cl, *sv;
	json_t			*obj;
	char			*cause = NULL, pad[1024];
	size_t			 sent = 0;
	int			 r = 0;

	if ((cl = client(tmp_path("ferryd.sock"))) == NULL)
		return;
	if ((sv = server_accept(lfd, &cause)) == NULL) {
		TEST_FAIL("accept: %s", cause);
		jsonline_free(cl);
		return;
	}
	memset(pad, 'p', sizeof pad - 1);
	pad[sizeof pad - 1] = '\0';
	obj = json_pack("{s:s}", "pad", pad);
	while (sent < 2 * JSONLINE_MAX_QUEUE &&
	    (r = jsonline_send(sv, obj, &cause)) == 0)
		sent += sizeof pad;
	json_decref(obj);
	ASSERT_INT_EQ(r, FERRY_ERR_TOOBIG);
	ASSERT_STR_CONTAINS(cause, "peer is not reading");
	ASSERT_TRUE(jsonline_pending(sv) > 0);
	ASSERT_TRUE(jsonline_pending(sv) <= JSONLINE_MAX_QUEUE);
	jsonline_free(sv);
	jsonline_free(cl);
	free(cause);
}

/* Writes all of data to fd (blocking), ignoring a peer that hung up. */
static void
write_all(int fd, const char *data, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = send(fd, data, len, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		data += n;
		len -= (size_t)n;
	}
}

/* Bad lines are refused with a position and the connection carries on. */
static void
test_jsonline_malformed(int lfd)
{
	static const char	 input[] = "{\"a\":}\n[1,2]\n \r\n"
	    "{\"k\":1,\"k\":2}\n{\"ok\":1}\n{\"last\":true}";
	struct jsonline_conn	*cl, *sv;
	json_t			*obj;
	char			*cause = NULL;

	if ((cl = client(tmp_path("ferryd.sock"))) == NULL)
		return;
	if ((sv = server_accept(lfd, &cause)) == NULL) {
		TEST_FAIL("accept: %s", cause);
		jsonline_free(cl);
		return;
	}
	write_all(cl->fd, input, sizeof input - 1);
	shutdown(cl->fd, SHUT_WR);

	ASSERT_INT_EQ(server_next(sv, &obj, &cause), FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "line 1: malformed JSON at column 6");
	ASSERT_INT_EQ(server_next(sv, &obj, &cause), FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "line 2: not a JSON object");
	ASSERT_INT_EQ(server_next(sv, &obj, &cause), FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "line 4: malformed JSON");
	ASSERT_STR_CONTAINS(cause, "duplicate");
	ASSERT_INT_EQ(server_next(sv, &obj, &cause), 0);
	ASSERT_INT_EQ(json_integer_value(json_object_get(obj, "ok")), 1);
	json_decref(obj);
	/* The unterminated last line still counts at the end of stream. */
	ASSERT_INT_EQ(server_next(sv, &obj, &cause), 0);
	ASSERT_TRUE(json_is_true(json_object_get(obj, "last")));
	json_decref(obj);
	ASSERT_INT_EQ(server_next(sv, &obj, &cause), FERRY_ERR_CLOSED);

	/* The client side reports a bad response the same way. */
	write_all(sv->fd, "{\"done\": tru}\n", 14);
	ASSERT_INT_EQ(jsonline_recv(cl, &obj, &cause), FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "line 1: malformed JSON at column");
	jsonline_free(sv);
	ASSERT_INT_EQ(jsonline_recv(cl, &obj, &cause), FERRY_ERR_CLOSED);
	ASSERT_STR_CONTAINS(cause, "ferryd closed the connection");
	jsonline_free(cl);
	free(cause);
}

/* {"pad": "xxx..."} exactly len bytes long, plus a newline. */
static char *
padded_line(size_t len)
{
	char	*line;

	line = malloc(len + 1);
	memcpy(line, "{\"pad\":\"", 8);
	memset(line + 8, 'x', len - 10);
	memcpy(line + len - 2, "\"}\n", 3);
	return (line);
}

/*
 * The child sends a line of exactly the limit, then one byte more; the
 * server takes the first, refuses the second, says why and hangs up.
 */
static void
test_jsonline_limit(int lfd)
{
	struct jsonline_conn	*cl = NULL, *sv;
	json_t			*obj;
	char			*cause = NULL, *line;
	pid_t			 pid;

	if ((pid = child_fork()) == 0) {
		if ((cl = client(tmp_path("ferryd.sock"))) == NULL)
			child_done();
		line = padded_line(JSONLINE_MAX_REQUEST);
		write_all(cl->fd, line, JSONLINE_MAX_REQUEST + 1);
		free(line);
		line = padded_line(JSONLINE_MAX_REQUEST + 1);
		write_all(cl->fd, line, JSONLINE_MAX_REQUEST + 2);
		free(line);
		ASSERT_INT_EQ(jsonline_recv(cl, &obj, &cause), 0);
		ASSERT_TRUE(json_is_true(json_object_get(obj, "ok")));
		json_decref(obj);
		ASSERT_INT_EQ(jsonline_recv(cl, &obj, &cause), 0);
		ASSERT_STR_CONTAINS(json_string_value(json_object_get(obj,
		    "error")), "line 2 is longer than 1048576 bytes");
		ASSERT_TRUE(jsonline_done(obj));
		json_decref(obj);
		jsonline_free(cl);
		child_done();
	}
	sv = server_accept(lfd, &cause);
	ASSERT_TRUE(sv != NULL);
	if (sv != NULL) {
		ASSERT_INT_EQ(server_next(sv, &obj, &cause), 0);
		ASSERT_INT_EQ(json_string_length(json_object_get(obj, "pad")),
		    JSONLINE_MAX_REQUEST - 10);
		json_decref(obj);
		obj = json_pack("{s:b}", "ok", 1);
		ASSERT_INT_EQ(jsonline_send(sv, obj, &cause), 0);
		json_decref(obj);
		ASSERT_INT_EQ(server_next(sv, &obj, &cause), FERRY_ERR_TOOBIG);
		ASSERT_STR_CONTAINS(cause, "line 2 is longer than 1048576");
		/* The buffer never held much more than the limit. */
		ASSERT_TRUE(sv->in.len <= JSONLINE_MAX_REQUEST + 1);
		ASSERT_INT_EQ(jsonline_send_error(sv, cause, &cause), 0);
		jsonline_free(sv);
	}
	ASSERT_INT_EQ(wait_exit(pid), 0);
	free(cause);
}

/*
 * A forked client writes its request a few bytes at a time and reads a
 * stream of responses; the server is a poll loop like the daemon's.
 */
static void
test_jsonline_fork(int lfd)
{
	static const char	 req[] = "{\"op\": \"count\", \"n\": 5}\n";
	struct jsonline_conn	*cl, *sv;
	json_t			*obj;
	char			*cause = NULL;
	pid_t			 pid;
	size_t			 i;
	int			 n = 0, done;

	if ((pid = child_fork()) == 0) {
		if ((cl = client(tmp_path("ferryd.sock"))) == NULL)
			child_done();
		for (i = 0; i < sizeof req - 1; i += 3) {
			write_all(cl->fd, req + i, i + 3 < sizeof req - 1 ?
			    3 : sizeof req - 1 - i);
			usleep(2000);
		}
		do {
			if (jsonline_recv(cl, &obj, &cause) != 0) {
				TEST_FAIL("recv: %s", cause);
				break;
			}
			n++;
			done = jsonline_done(obj);
			json_decref(obj);
		} while (!done);
		ASSERT_INT_EQ(n, 6);
		jsonline_free(cl);
		child_done();
	}
	if ((sv = server_accept(lfd, &cause)) != NULL) {
		ASSERT_INT_EQ(server_next(sv, &obj, &cause), 0);
		n = (int)json_integer_value(json_object_get(obj, "n"));
		json_decref(obj);
		for (i = 0; i <= (size_t)n; i++) {
			obj = json_pack("{s:i, s:b}", "progress", (int)i,
			    "done", i == (size_t)n);
			ASSERT_INT_EQ(jsonline_send(sv, obj, &cause), 0);
			json_decref(obj);
		}
		ASSERT_INT_EQ(server_next(sv, &obj, &cause), FERRY_ERR_CLOSED);
	} else
		TEST_FAIL("accept: %s", cause);
	jsonline_free(sv);
	ASSERT_INT_EQ(wait_exit(pid), 0);
	free(cause);
}

/* In a child: become nobody, for good. */
static int
become_nobody(void)
{
	return (setgroups(0, NULL) == 0 && setgid(NOBODY) == 0 &&
	    setuid(NOBODY) == 0);
}

/*
 * A client that is neither root nor the daemon's uid is refused with one
 * error line; one that cannot reach the socket is told permission denied.
 */
static void
test_jsonline_peercred(int lfd)
{
	const char		*sock = tmp_path("ferryd.sock");
	struct jsonline_conn	*cl = NULL, *sv = NULL;
	json_t			*req, *resp;
	char			*cause = NULL;
	const char		*why;
	pid_t			 pid;
	int			 r;

	if (geteuid() != 0) {
		fprintf(stderr, "not root: peer-credential test skipped\n");
		return;
	}
	/* Let nobody reach the socket, so that only SO_PEERCRED decides. */
	ASSERT_INT_EQ(chmod(tmpdir, 0711), 0);
	ASSERT_INT_EQ(chmod(sock, 0666), 0);
	if ((pid = child_fork()) == 0) {
		if (!become_nobody())
			_exit(2);
		if ((cl = client(sock)) == NULL)
			child_done();
		req = json_pack("{s:s}", "op", "job.list");
		r = jsonline_request(cl, req, &cause);
		json_decref(req);
		if (r == 0) {
			ASSERT_INT_EQ(jsonline_recv(cl, &resp, &cause), 0);
			why = json_string_value(json_object_get(resp,
			    "error"));
			ASSERT_STR_CONTAINS(why,
			    "permission denied: uid 65534");
			ASSERT_TRUE(jsonline_done(resp));
			json_decref(resp);
		} else {
			ASSERT_INT_EQ(r, FERRY_ERR_CLOSED);
			ASSERT_STR_CONTAINS(cause,
			    "permission denied: uid 65534");
		}
		jsonline_free(cl);
		child_done();
	}
	ASSERT_TRUE(server_accept(lfd, &cause) == NULL);
	ASSERT_STR_CONTAINS(cause, "refused a local API connection from uid "
	    "65534");
	ASSERT_INT_EQ(wait_exit(pid), 0);

	/* With the socket back at 0600, nobody cannot even connect. */
	ASSERT_INT_EQ(chmod(sock, 0600), 0);
	if ((pid = child_fork()) == 0) {
		if (!become_nobody())
			_exit(2);
		ASSERT_INT_EQ(jsonline_connect(sock, &cl, &cause),
		    FERRY_ERR_AUTH);
		ASSERT_STR_CONTAINS(cause, "permission denied on ");
		ASSERT_STR_CONTAINS(cause, sock);
		free(cause);
		child_done();
	}
	ASSERT_INT_EQ(wait_exit(pid), 0);
	ASSERT_INT_EQ(chmod(tmpdir, 0700), 0);
	jsonline_free(sv);
	free(cause);
}

static void
test_jsonline(void)
{
	const char	*sock = tmp_path("ferryd.sock");
	char		*cause = NULL;
	int		 lfd = -1;

	test_jsonline_listen(sock);
	ASSERT_INT_EQ(jsonline_listen(sock, &lfd, &cause), 0);
	if (lfd == -1)
		return;
	test_jsonline_roundtrip(lfd);
	test_jsonline_malformed(lfd);
	test_jsonline_queue(lfd);
	test_jsonline_limit(lfd);
	test_jsonline_fork(lfd);
	test_jsonline_peercred(lfd);
	close(lfd);
	free(cause);
}

int
main(void)
{
	char	cmd[PATH_MAX + 16];
	int	status;

	/* A hung socket test must fail, not stall make check. */
	alarm(120);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return (99);
	}
	test_statedir_choose();
	test_statedir_create();
	test_statedir_refuse();
	test_statedir_path();
	test_lockfile_same_process();
	test_lockfile_kill();
	test_sdnotify();
	test_notify_hook();
	test_log_sink();
	test_jsonline();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	status = system(cmd);
	(void)status;
	return (TEST_DONE());
}
