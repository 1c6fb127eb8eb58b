/*
 * The common/ pieces ported to Windows, run under wine by the Windows
 * build's make check: the state directory, the process lock, the local
 * API's socket and framing, secret files, the log file, time zones.
 * What wine cannot model (DACLs read back as Windows keeps them) is
 * reported, not asserted: docs/windows.md, "What wine cannot model".
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include "beneath.h"
#include "buf.h"
#include "compat.h"
#include "err.h"
#include "jsonline.h"
#include "lockfile.h"
#include "log.h"
#include "secretfile.h"
#include "statedir.h"
#include "test.h"
#include "tz.h"

static char	top[MAX_PATH + 64];

static void
test_statedir(const char *dir)
{
	char	*cause = NULL;
	int	 r;

	r = statedir_open(dir, &cause);
	/* Wine builds a DACL from Unix mode bits: say what it gave. */
	if (r != 0)
		printf("# statedir_open under wine: %s\n", cause);
	ASSERT_TRUE(r == 0 || r == FERRY_ERR_AUTH);
	ASSERT_INT_EQ(GetFileAttributesA(dir) & FILE_ATTRIBUTE_DIRECTORY,
	    FILE_ATTRIBUTE_DIRECTORY);
	free(cause);
	ASSERT_TRUE(strstr(compat_statedir_default(), "\\ferry") != NULL);
}

static void
test_lock(const char *dir)
{
	char	*cause = NULL;
	int	 fd = -1, fd2 = -1;

	ASSERT_INT_EQ(lockfile_take(dir, "ferryd", &fd, &cause), 0);
	/* A second holder is refused and told the first one's pid. */
	ASSERT_INT_EQ(lockfile_take(dir, "ferryd", &fd2, &cause),
	    FERRY_ERR_EXIST);
	ASSERT_STR_CONTAINS(cause, "another ferryd (pid ");
	free(cause);
	cause = NULL;
	lockfile_release(fd);
	ASSERT_INT_EQ(lockfile_take(dir, "ferryd", &fd2, &cause), 0);
	lockfile_release(fd2);
}

/*
 * Where the local API is loopback TCP (no AF_UNIX: wine 8), a client
 * that did not read the endpoint file's token is refused at its first
 * read, and told why; accept never waits for a token.
 */
static void
test_jsonline_token(const char *path, int lfd)
{
	struct jsonline_conn	*srv = NULL;
	struct sockaddr_in	 sin;
	char			 buf[256], bad[65], *cause = NULL;
	FILE			*f;
	unsigned int		 port = 0;
	SOCKET			 s;
	int			 i, r = 0;

	if ((f = fopen(path, "r")) == NULL)
		return;
	if (fgets(buf, sizeof buf, f) == NULL ||
	    sscanf(buf, "ferry-local-tcp 1 %u ", &port) != 1) {
		fclose(f);
		printf("# the local API is AF_UNIX here: no token to check\n");
		return;
	}
	fclose(f);
	printf("# the local API is loopback TCP (port %u) with a token\n", port);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((u_short)port);
	s = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_TRUE(s != INVALID_SOCKET);
	ASSERT_INT_EQ(connect(s, (struct sockaddr *)&sin, sizeof sin), 0);
	memset(bad, 'a', sizeof bad - 1);
	bad[sizeof bad - 1] = '\n';
	ASSERT_INT_EQ(send(s, bad, sizeof bad, 0), (int)sizeof bad);
	/* accept does not wait for the token; the first read checks it. */
	for (i = 0; i < 200 && srv == NULL; i++) {
		ASSERT_INT_EQ(jsonline_accept(lfd, &srv, &cause), 0);
		if (srv == NULL)
			Sleep(10);
	}
	ASSERT_TRUE(srv != NULL);
	for (i = 0; srv != NULL && i < 200 && r == 0; i++) {
		r = jsonline_fill(srv, &cause);
		if (r == 0)
			Sleep(10);
	}
	ASSERT_INT_EQ(r, FERRY_ERR_IO);
	ASSERT_STR_CONTAINS(cause, "ermission denied");
	jsonline_free(srv);
	/* It is told why, and nothing of the server's token. */
	memset(buf, 0, sizeof buf);
	(void)recv(s, buf, sizeof buf - 1, 0);
	ASSERT_STR_CONTAINS(buf, "permission denied");
	closesocket(s);
	free(cause);
}

struct test_dial {
	const char		*path;
	struct jsonline_conn	*conn;
	int			 r;
};

static DWORD WINAPI
test_dial(void *arg)
{
	struct test_dial	*d = arg;
	char			*cause = NULL;

	d->r = jsonline_connect(d->path, &d->conn, &cause);
	if (d->r != 0)
		printf("# connect: %s\n", cause);
	free(cause);
	return (0);
}

static void
test_jsonline(const char *dir)
{
	struct test_dial	 dial = { NULL, NULL, -1 };
	HANDLE			 th;
	struct jsonline_conn	*srv = NULL, *cli = NULL;
	json_t			*req, *got = NULL;
	char			 path[MAX_PATH + 64], *cause = NULL;
	int			 lfd = -1, i, r;

	snprintf(path, sizeof path, "%s\\api.sock", dir);
	/*
	 * Wine 8 has no AF_UNIX (WSAEAFNOSUPPORT); Windows 10 1803 and later
	 * has. Then only the refusals that need no socket are checked.
	 */
	if ((lfd = compat_local_listen(path)) == -1 && errno == EAFNOSUPPORT) {
		printf("# no AF_UNIX in this Winsock (wine): the socket's "
		    "round trip is not run\n");
		snprintf(path, sizeof path, "%s\\plain", dir);
		fclose(fopen(path, "w"));
		ASSERT_INT_EQ(jsonline_listen(path, &lfd, &cause),
		    FERRY_ERR_EXIST);
		ASSERT_STR_CONTAINS(cause, "is not a socket");
		free(cause);
		return;
	}
	if (lfd != -1)
		compat_sock_close(lfd);
	r = jsonline_listen(path, &lfd, &cause);
	if (r != 0) {
		TEST_FAIL("listen: %s", cause);
		return;
	}
	/*
	 * The client in a thread of its own: over loopback TCP, connect
	 * waits for the server's token, which accept sends.
	 */
	dial.path = path;
	th = CreateThread(NULL, 0, test_dial, &dial, 0, NULL);
	ASSERT_TRUE(th != NULL);
	for (i = 0; i < 300 && srv == NULL; i++) {
		ASSERT_INT_EQ(jsonline_accept(lfd, &srv, &cause), 0);
		if (srv == NULL)
			Sleep(10);
	}
	/* The server reads the client's token and answers with its own. */
	for (i = 0; i < 500 && WaitForSingleObject(th, 10) != WAIT_OBJECT_0;
	    i++)
		if (srv != NULL)
			ASSERT_INT_EQ(jsonline_fill(srv, &cause), 0);
	WaitForSingleObject(th, INFINITE);
	CloseHandle(th);
	ASSERT_INT_EQ(dial.r, 0);
	cli = dial.conn;
	if (srv == NULL || cli == NULL) {
		TEST_FAIL("no connection: %s", cause ? cause : "");
		return;
	}
	req = json_pack("{s:s, s:i}", "op", "status", "n", 7);
	ASSERT_INT_EQ(jsonline_send(cli, req, &cause), 0);
	ASSERT_INT_EQ(jsonline_flush(cli, &cause), 0);
	for (i = 0; i < 100 && got == NULL; i++) {
		ASSERT_INT_EQ(jsonline_fill(srv, &cause), 0);
		if (jsonline_next(srv, &got, &cause) != 0 || got == NULL)
			Sleep(10);
	}
	ASSERT_TRUE(got != NULL && json_equal(got, req));
	json_decref(got);
	json_decref(req);
	jsonline_free(cli);
	jsonline_free(srv);
	test_jsonline_token(path, lfd);
	compat_sock_close(lfd);
	/* A file that is not a socket is never removed to listen there. */
	ASSERT_INT_EQ(jsonline_listen(path, &lfd, &cause), 0);
	compat_sock_close(lfd);
	free(cause);
	cause = NULL;
	snprintf(path, sizeof path, "%s\\plain", dir);
	fclose(fopen(path, "w"));
	ASSERT_INT_EQ(jsonline_listen(path, &lfd, &cause), FERRY_ERR_EXIST);
	ASSERT_STR_CONTAINS(cause, "is not a socket");
	free(cause);
	cause = NULL;
	snprintf(path, sizeof path, "%s\\nobody.sock", dir);
	ASSERT_INT_EQ(jsonline_connect(path, &cli, &cause), FERRY_ERR_NOTFOUND);
	free(cause);
}

static void
test_secret(const char *dir)
{
	struct buf	 b;
	char		 path[MAX_PATH + 64], *cause = NULL;
	int		 fd, r;

	snprintf(path, sizeof path, "%s\\key", dir);
	ASSERT_TRUE((fd = compat_open_private(path)) != -1);
	ASSERT_INT_EQ(write(fd, "s3cret\n", 7), 7);
	close(fd);
	r = secretfile_read(path, "key file", 077, 1, &b, &cause);
	if (r != 0)
		printf("# secretfile_read under wine: %s\n", cause);
	ASSERT_TRUE(r == 0 || r == FERRY_ERR_AUTH);
	if (r == 0) {
		ASSERT_INT_EQ(b.len, 7);
		secretfile_wipe(&b);
	}
	free(cause);
	cause = NULL;
	snprintf(path, sizeof path, "%s\\missing", dir);
	ASSERT_INT_EQ(secretfile_read(path, "key file", 077, 1, &b, &cause),
	    FERRY_ERR_NOTFOUND);
	free(cause);
}

static void
test_log(const char *dir)
{
	char	 path[MAX_PATH + 64], line[512] = "";
	FILE	*f;

	snprintf(path, sizeof path, "%s\\t.log", dir);
	SetEnvironmentVariableA("FERRY_LOG_FILE", path);
	_putenv_s("FERRY_LOG_FILE", path);
	log_init("ferryd", LOG_LEVEL_INFO, 1);
	log_info("hello %s", "log\nfile");
	log_debug("not at info");
	ASSERT_TRUE((f = fopen(path, "r")) != NULL);
	if (f != NULL) {
		ASSERT_TRUE(fgets(line, sizeof line, f) != NULL);
		fclose(f);
	}
	/* Stamped, named, levelled, control characters escaped. */
	ASSERT_STR_CONTAINS(line, "Z ferryd[");
	ASSERT_STR_CONTAINS(line, "] info: hello log\\x0afile");
}

static void
test_tz(void)
{
	struct tz	*z = NULL;
	char		*cause = NULL, rule[128];

	ASSERT_INT_EQ(tz_load("CET-1CEST,M3.5.0,M10.5.0/3", &z, &cause), 0);
	/* 2026-07-01T12:00Z is summer: +2 h; 2026-01-15T12:00Z: +1 h. */
	ASSERT_INT_EQ(tz_offset(z, 1782907200), 7200);
	ASSERT_INT_EQ(tz_offset(z, 1768478400), 3600);
	tz_free(z);
	/* This machine's zone: a POSIX rule made from Windows' own. */
	ASSERT_INT_EQ(compat_tz_local(rule, sizeof rule), 0);
	printf("# this machine's zone as a rule: %s\n", rule);
	ASSERT_INT_EQ(tz_load(NULL, &z, &cause), 0);
	ASSERT_STR_EQ(tz_name(z), rule);
	tz_free(z);
	/* No zoneinfo of Windows' own: an IANA name needs a bundled one. */
	ASSERT_INT_EQ(tz_load("Europe/Nowhere", &z, &cause),
	    FERRY_ERR_NOTFOUND);
	ASSERT_STR_CONTAINS(cause, "zoneinfo");
	free(cause);
}

/* beneath: NtCreateFile below the handles of the walk, names checked. */
static void
test_beneath(const char *dir)
{
	char	 path[MAX_PATH + 64], *cause = NULL, buf[8];
	int	 root, fd = -1;

	snprintf(path, sizeof path, "%s\\b", dir);
	CreateDirectoryA(path, NULL);
	snprintf(path, sizeof path, "%s\\b\\sub", dir);
	CreateDirectoryA(path, NULL);
	snprintf(path, sizeof path, "%s\\b\\sub\\f.txt", dir);
	fclose(fopen(path, "w"));
	snprintf(path, sizeof path, "%s\\b", dir);
	/* A folder as a descriptor, as a storage root will be held. */
	root = _open_osfhandle((intptr_t)CreateFileA(path, FILE_READ_ATTRIBUTES,
	    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
	    OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS |
	    FILE_FLAG_OPEN_REPARSE_POINT, NULL), _O_RDONLY);
	ASSERT_TRUE(root != -1);
	ASSERT_INT_EQ(beneath_open(root, "sub/f.txt", O_RDONLY, &fd, &cause),
	    0);
	if (fd != -1) {
		ASSERT_INT_EQ(read(fd, buf, sizeof buf), 0);
		close(fd);
	}
	/* Created below the walk's handle, and there by its name. */
	ASSERT_INT_EQ(beneath_open(root, "sub/new.txt", O_WRONLY | O_CREAT |
	    O_EXCL, &fd, &cause), 0);
	if (fd != -1) {
		ASSERT_INT_EQ(write(fd, "x", 1), 1);
		close(fd);
	}
	snprintf(path, sizeof path, "%s\\b\\sub\\new.txt", dir);
	ASSERT_TRUE(GetFileAttributesA(path) != INVALID_FILE_ATTRIBUTES);
	ASSERT_INT_EQ(beneath_open(root, "sub/missing", O_RDONLY, &fd,
	    &cause), FERRY_ERR_NOTFOUND);
	free(cause);
	cause = NULL;
	ASSERT_INT_EQ(beneath_open(root, "../b/sub/f.txt", O_RDONLY, &fd,
	    &cause), FERRY_ERR_DENIED);
	ASSERT_STR_CONTAINS(cause, "climbs");
	free(cause);
	cause = NULL;
	/* Names Windows forbids or would alias: never passed to it. */
	ASSERT_INT_EQ(beneath_open(root, "sub/CON", O_RDONLY, &fd, &cause),
	    FERRY_ERR_DENIED);
	ASSERT_STR_CONTAINS(cause, "Windows forbids");
	free(cause);
	cause = NULL;
	ASSERT_INT_EQ(beneath_open(root, "sub./f.txt", O_RDONLY, &fd, &cause),
	    FERRY_ERR_DENIED);
	free(cause);
	cause = NULL;
	ASSERT_INT_EQ(beneath_open(root, "sub/f.txt:s", O_RDONLY, &fd,
	    &cause), FERRY_ERR_DENIED);
	free(cause);
	cause = NULL;
	ASSERT_INT_EQ(beneath_open(root, "SUB~1/f.txt", O_RDONLY, &fd,
	    &cause), FERRY_ERR_DENIED);
	free(cause);
	close(root);
}

/* Whether path's DACL allows sid (a string) with all of mask. */
static int
test_dacl_allows(const char *path, const char *sid, DWORD mask)
{
	PSECURITY_DESCRIPTOR	 sd = NULL;
	PACL			 dacl = NULL;
	PSID			 want = NULL;
	ACCESS_ALLOWED_ACE	*ace;
	wchar_t			 w[MAX_PATH + 64];
	DWORD			 i;
	int			 found = 0;

	MultiByteToWideChar(CP_UTF8, 0, path, -1, w, MAX_PATH + 64);
	if (!ConvertStringSidToSidA(sid, &want) ||
	    GetNamedSecurityInfoW(w, SE_FILE_OBJECT,
	    DACL_SECURITY_INFORMATION, NULL, NULL, &dacl, NULL, &sd) !=
	    ERROR_SUCCESS || dacl == NULL) {
		LocalFree(want);
		LocalFree(sd);
		return (-1);
	}
	for (i = 0; i < dacl->AceCount; i++)
		if (GetAce(dacl, i, (void **)&ace) &&
		    ace->Header.AceType == ACCESS_ALLOWED_ACE_TYPE &&
		    EqualSid((PSID)&ace->SidStart, want) &&
		    (ace->Mask & mask) == mask)
			found = 1;
	LocalFree(want);
	LocalFree(sd);
	return (found);
}

/*
 * compat_local_allow (ferryd run --api-user, for a service's desktop
 * user): a malformed SID refused; a good one ends up in the socket's or
 * endpoint file's DACL, beside the owner, who still connects.
 */
static void
test_local_allow(const char *dir)
{
	char	 path[MAX_PATH + 64], *cause = NULL;
	int	 lfd = -1, r;

	errno = 0;
	ASSERT_INT_EQ(compat_local_allow("S-1 & x"), -1);
	ASSERT_INT_EQ(errno, EINVAL);
	ASSERT_INT_EQ(compat_local_allow("not a sid"), -1);
	/* BUILTIN\Users: a SID every system has. */
	ASSERT_INT_EQ(compat_local_allow("S-1-5-32-545"), 0);
	snprintf(path, sizeof path, "%s\\allow.sock", dir);
	ASSERT_INT_EQ(jsonline_listen(path, &lfd, &cause), 0);
	if (lfd == -1) {
		TEST_FAIL("listen with an allowed account: %s", cause);
		free(cause);
		compat_local_allow(NULL);
		return;
	}
	/*
	 * wine keeps no DACL (it answers one made from the mode bits), so
	 * the entry is read back only on Windows; under wine the calls that
	 * set it must still succeed, as listen's 0 says.
	 */
	if (GetProcAddress(GetModuleHandleA("ntdll.dll"),
	    "wine_get_version") != NULL)
		printf("# wine keeps no DACL: --api-user's entry is not read "
		    "back\n");
	else {
		r = test_dacl_allows(path, "S-1-5-32-545", FILE_GENERIC_READ);
		ASSERT_INT_EQ(r, 1);
		/* Nobody else got in: Everyone has no entry. */
		ASSERT_INT_EQ(test_dacl_allows(path, "S-1-1-0",
		    FILE_READ_DATA), 0);
	}
	compat_sock_close(lfd);
	free(cause);
	compat_local_allow(NULL);
}

/*
 * The platform an agent reports, and the wide command line as UTF-8
 * (tests/win/roots.sh passes a non-ASCII argument; here, the program's
 * own name, as the C runtime's argv has it).
 */
static void
test_args(void)
{
	int	 argc = 0;
	char	**argv = NULL;

	ASSERT_STR_EQ(compat_platform(), "windows");
	ASSERT_INT_EQ(compat_args_utf8(&argc, &argv), 0);
	ASSERT_TRUE(argc >= 1 && argv != NULL && argv[argc] == NULL);
	ASSERT_TRUE(argv != NULL && strstr(argv[0], "test-common-win") !=
	    NULL);
}

int
main(void)
{
	char	dir[MAX_PATH + 64];
	DWORD	n;

	n = GetTempPathA(sizeof top, top);
	if (n == 0 || n > MAX_PATH)
		TEST_SKIP("no temporary folder");
	/*
	 * The pid and the time: wine gives the same small pid run after
	 * run, and a folder left by an earlier run (its files, a stale
	 * endpoint) would change what is checked.
	 */
	snprintf(dir, sizeof dir, "%sferry-test-%lu-%llu", top,
	    (unsigned long)GetCurrentProcessId(),
	    (unsigned long long)GetTickCount64());
	test_statedir(dir);
	test_lock(dir);
	test_jsonline(dir);
	test_local_allow(dir);
	test_secret(dir);
	test_log(dir);
	test_tz();
	test_beneath(dir);
	test_args();
	return (TEST_DONE());
}
