/*
 * Local stream sockets on Windows (compat.h): AF_UNIX, which Windows 10
 * (1803) has in Winsock. A SOCKET is a handle, not a C runtime
 * descriptor, so read/write/close do not work on it: compat_sock_* do.
 * SOCKET values are kernel handles, small enough for an int (as every
 * port of BSD socket code to Winsock assumes). There are no peer
 * credentials: the socket file's DACL (owner and SYSTEM only, set right
 * after bind, in the private state directory) is what decides who
 * connects, so every peer that got in is trusted.
 *
 * Where Winsock has no AF_UNIX (Windows before 10 1803, and wine 8), the
 * local API is loopback TCP instead, behind the same functions: the
 * listener binds 127.0.0.1 on a port the system picks (exclusively, so
 * no other program can bind it beside us) and writes, at the socket's
 * path, an endpoint file, owner-only as compat_open_private makes it:
 * "ferry-local-tcp 1 PORT CLIENT-TOKEN SERVER-TOKEN", two random 256-bit
 * tokens in hex. Reading that file is the permission the socket file's
 * DACL is otherwise: a client sends CLIENT-TOKEN first, and the server's
 * compat_sock_recv passes nothing of a connection on before those bytes
 * have come right (a wrong token: told "permission denied", EACCES); the
 * server answers SERVER-TOKEN, which the client checks before it sends
 * anything, so a program that took the port of a ferryd that died learns
 * nothing.
 */
#include "config.h"

/* rand_s: the system generator (RtlGenRandom). */
#define _CRT_RAND_S

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <winsock2.h>
#include <afunix.h>
#include <ws2tcpip.h>
#include <io.h>
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include "compat.h"
#include "utf16.h"

static int	sock_allow_add(const char *, DWORD);

/* The endpoint file's first word, and its tokens' length in hex. */
#define SOCK_TCP_MAGIC		"ferry-local-tcp 1 "
#define SOCK_TCP_TOKEN		64
/* How long accept waits for a client's token (a local program). */
#define SOCK_TCP_WAIT_MS	2000

/* The loopback listeners of this process and their tokens. */
static struct sock_tcp {
	SOCKET	s;
	char	ctoken[SOCK_TCP_TOKEN + 2];	/* with its newline */
	char	stoken[SOCK_TCP_TOKEN + 2];
}			 sock_tcp[4];
static SRWLOCK		 sock_tcp_lock = SRWLOCK_INIT;

static INIT_ONCE	 sock_once = INIT_ONCE_STATIC_INIT;
static int		 sock_ready;

static BOOL CALLBACK
sock_init_once(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	WSADATA	wsa;

	(void)once, (void)param, (void)ctx;
	sock_ready = WSAStartup(MAKEWORD(2, 2), &wsa) == 0;
	return (TRUE);
}

/* Winsock must be started once per process before any socket call. */
static int
sock_init(void)
{
	InitOnceExecuteOnce(&sock_once, sock_init_once, NULL, NULL);
	if (!sock_ready) {
		errno = EIO;
		return (-1);
	}
	return (0);
}

/* errno for the last Winsock error. */
static int
sock_errno(void)
{
	switch (WSAGetLastError()) {
	case WSAEWOULDBLOCK:
		return (EWOULDBLOCK);
	case WSAEINTR:
		return (EINTR);
	case WSAECONNRESET:
	case WSAECONNABORTED:
		return (ECONNRESET);
	case WSAECONNREFUSED:
		return (ECONNREFUSED);
	case WSAEACCES:
		return (EACCES);
	case WSAENETDOWN:
	case WSAESHUTDOWN:
		return (EPIPE);
	case WSAEADDRINUSE:
		return (EADDRINUSE);
	case WSAENOBUFS:
		return (ENOMEM);
	case WSAEINVAL:
		return (EINVAL);
	case WSAEAFNOSUPPORT:
		/* Windows before 10 1803, and wine (8) too: no AF_UNIX. */
		return (EAFNOSUPPORT);
	default:
		return (EIO);
	}
}

static int
sock_address(const char *path, struct sockaddr_un *sun)
{
	size_t	len = strlen(path);

	if (len == 0 || len >= sizeof sun->sun_path) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, len + 1);
	return (0);
}

size_t
compat_local_path_max(void)
{
	struct sockaddr_un	sun;

	return (sizeof sun.sun_path - 1);
}

/*
 * Reads the endpoint file at w (no reparse point followed) into buf (n
 * bytes, NUL-terminated): 1 if it is one, 0 if it is something else, -1
 * with errno if it cannot be read (ENOENT, EACCES).
 */
static int
sock_tcp_read(const uint16_t *w, char *buf, size_t n)
{
	HANDLE	h;
	DWORD	got = 0, e;
	BOOL	ok;

	h = CreateFileW((const wchar_t *)w, GENERIC_READ, FILE_SHARE_READ |
	    FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
	    FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		e = GetLastError();
		errno = e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND ?
		    ENOENT : e == ERROR_ACCESS_DENIED ? EACCES : EIO;
		return (-1);
	}
	ok = ReadFile(h, buf, (DWORD)n - 1, &got, NULL);
	CloseHandle(h);
	if (!ok) {
		errno = EIO;
		return (-1);
	}
	buf[got] = '\0';
	return (strncmp(buf, SOCK_TCP_MAGIC, strlen(SOCK_TCP_MAGIC)) == 0);
}

static int
sock_tcp_is_endpoint(const uint16_t *w)
{
	char	buf[256];

	return (sock_tcp_read(w, buf, sizeof buf) == 1);
}

/* A random token in hex, with a newline, from the system's generator. */
static int
sock_tcp_token(char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned int		 r;
	int			 i, j;

	for (i = 0; i < SOCK_TCP_TOKEN / 8; i++) {
		if (rand_s(&r) != 0) {
			errno = EIO;
			return (-1);
		}
		for (j = 0; j < 8; j++)
			out[i * 8 + j] = hex[(r >> (j * 4)) & 15];
	}
	out[SOCK_TCP_TOKEN] = '\n';
	out[SOCK_TCP_TOKEN + 1] = '\0';
	return (0);
}

/* Sends or receives exactly n bytes on a blocking socket. */
static int
sock_tcp_all(SOCKET s, char *p, int n, int out)
{
	int	r;

	while (n > 0) {
		r = out ? send(s, p, n, 0) : recv(s, p, n, 0);
		if (r == SOCKET_ERROR || r == 0) {
			errno = r == 0 ? ECONNRESET : sock_errno();
			return (-1);
		}
		p += r;
		n -= r;
	}
	return (0);
}

/* Compares two tokens in time independent of where they differ. */
static int
sock_tcp_same(const char *a, const char *b)
{
	unsigned char	d = 0;
	int		i;

	for (i = 0; i < SOCK_TCP_TOKEN + 1; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return (d == 0);
}

static struct sock_tcp *
sock_tcp_find(SOCKET s)
{
	size_t	i;

	for (i = 0; i < sizeof sock_tcp / sizeof sock_tcp[0]; i++)
		if (sock_tcp[i].s == s && s != 0)
			return (&sock_tcp[i]);
	return (NULL);
}

/* The loopback listener and its endpoint file at path (w). */
static int
sock_tcp_listen(const char *path)
{
	struct sockaddr_in	 sin;
	struct sock_tcp		 t, *slot;
	char			 line[256];
	int			 len = sizeof sin, fd, n, e = 0;
	BOOL			 excl = TRUE;
	u_long			 on = 1;

	memset(&t, 0, sizeof t);
	if (sock_tcp_token(t.ctoken) == -1 || sock_tcp_token(t.stoken) == -1)
		return (-1);
	if ((t.s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
	    WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT)) ==
	    INVALID_SOCKET) {
		errno = sock_errno();
		return (-1);
	}
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (setsockopt(t.s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (char *)&excl,
	    sizeof excl) == SOCKET_ERROR ||
	    bind(t.s, (struct sockaddr *)&sin, sizeof sin) == SOCKET_ERROR ||
	    listen(t.s, 64) == SOCKET_ERROR ||
	    getsockname(t.s, (struct sockaddr *)&sin, &len) == SOCKET_ERROR ||
	    ioctlsocket(t.s, FIONBIO, &on) == SOCKET_ERROR)
		e = sock_errno();
	n = snprintf(line, sizeof line, "%s%u %.*s %.*s\n", SOCK_TCP_MAGIC,
	    (unsigned int)ntohs(sin.sin_port), SOCK_TCP_TOKEN, t.ctoken,
	    SOCK_TCP_TOKEN, t.stoken);
	if (e == 0 && (fd = compat_open_private(path)) == -1)
		e = errno;
	else if (e == 0) {
		if (_chsize_s(fd, 0) != 0 || _write(fd, line, (unsigned int)n) !=
		    n)
			e = EIO;
		_close(fd);
		/* Reading the tokens is the permission (above). */
		if (e == 0 && sock_allow_add(path, FILE_GENERIC_READ) == -1)
			e = errno;
	}
	SecureZeroMemory(line, sizeof line);
	slot = NULL;
	AcquireSRWLockExclusive(&sock_tcp_lock);
	for (n = 0; e == 0 && n < (int)(sizeof sock_tcp / sizeof sock_tcp[0]);
	    n++)
		if (sock_tcp[n].s == 0) {
			slot = &sock_tcp[n];
			*slot = t;
			break;
		}
	ReleaseSRWLockExclusive(&sock_tcp_lock);
	if (e == 0 && slot == NULL)
		e = EMFILE;
	if (e != 0) {
		closesocket(t.s);
		SecureZeroMemory(&t, sizeof t);
		errno = e;
		return (-1);
	}
	SecureZeroMemory(&t, sizeof t);
	return ((int)slot->s);
}

/*
 * A loopback client whose token has not been read yet. accept does not
 * wait for it (a client that connects and says nothing would stall the
 * daemon's loop): compat_sock_recv reads it first, as the connection's
 * first bytes, and passes nothing else on until it has come right.
 */
static struct sock_pend {
	SOCKET	s;
	int	have;
	char	got[SOCK_TCP_TOKEN + 1];
	char	ctoken[SOCK_TCP_TOKEN + 2];
	char	stoken[SOCK_TCP_TOKEN + 2];
}			 sock_pend[64];

/* Takes s as pending behind t's tokens: 0, or -1 if not (refuse it). */
static int
sock_tcp_accept(struct sock_tcp *t, SOCKET s)
{
	struct sockaddr_in	sin;
	int			len = sizeof sin;
	size_t			i;

	if (getpeername(s, (struct sockaddr *)&sin, &len) == SOCKET_ERROR ||
	    sin.sin_family != AF_INET ||
	    sin.sin_addr.s_addr != htonl(INADDR_LOOPBACK))
		return (-1);
	for (i = 0; i < sizeof sock_pend / sizeof sock_pend[0]; i++)
		if (sock_pend[i].s == 0) {
			sock_pend[i].s = s;
			sock_pend[i].have = 0;
			memcpy(sock_pend[i].ctoken, t->ctoken,
			    sizeof t->ctoken);
			memcpy(sock_pend[i].stoken, t->stoken,
			    sizeof t->stoken);
			return (0);
		}
	return (-1);
}

/*
 * The token step of a pending connection: 1 when it is done (or the
 * socket was not pending), -1 with errno otherwise: EWOULDBLOCK while
 * the token is incomplete, EACCES for a wrong one (told why first).
 */
static int
sock_tcp_pending(SOCKET s)
{
	static const char	 refused[] = "{\"error\": \"permission denied: "
	    "this connection did not give the token of ferryd's endpoint "
	    "file\", \"done\": true}\n";
	struct sock_pend	*p = NULL;
	size_t			 i;
	int			 r, ok, e = 0;

	AcquireSRWLockExclusive(&sock_tcp_lock);
	for (i = 0; i < sizeof sock_pend / sizeof sock_pend[0]; i++)
		if (sock_pend[i].s == s && s != 0)
			p = &sock_pend[i];
	if (p == NULL) {
		ReleaseSRWLockExclusive(&sock_tcp_lock);
		return (1);
	}
	r = recv(s, p->got + p->have, SOCK_TCP_TOKEN + 1 - p->have, 0);
	if (r == SOCKET_ERROR)
		e = sock_errno();
	else if (r == 0)
		e = ECONNRESET;
	else if ((p->have += r) < SOCK_TCP_TOKEN + 1)
		e = EWOULDBLOCK;
	if (e == 0) {
		ok = sock_tcp_same(p->got, p->ctoken);
		/* A new socket's buffer takes these few bytes at once. */
		if (!ok || send(s, p->stoken, SOCK_TCP_TOKEN + 1, 0) !=
		    SOCK_TCP_TOKEN + 1) {
			if (!ok)
				(void)send(s, refused, sizeof refused - 1, 0);
			e = EACCES;
		}
	}
	if (e != EWOULDBLOCK && e != EINTR)
		SecureZeroMemory(p, sizeof *p);
	ReleaseSRWLockExclusive(&sock_tcp_lock);
	if (e != 0) {
		errno = e;
		return (-1);
	}
	return (1);
}

/* A pending connection closed: it is pending no more. */
static void
sock_tcp_unpend(SOCKET s)
{
	size_t	i;

	for (i = 0; i < sizeof sock_pend / sizeof sock_pend[0]; i++)
		if (sock_pend[i].s == s && s != 0)
			SecureZeroMemory(&sock_pend[i], sizeof sock_pend[i]);
}

/*
 * Connects through the endpoint file at path (w): 1 and *sp, 0 if the
 * file is none (an AF_UNIX socket, say), -1 with errno.
 */
static int
sock_tcp_connect(const uint16_t *w, SOCKET *sp)
{
	struct sockaddr_in	 sin;
	char			 buf[256], ctoken[SOCK_TCP_TOKEN + 2];
	char			 stoken[SOCK_TCP_TOKEN + 2];
	char			 got[SOCK_TCP_TOKEN + 2], *p, *end;
	unsigned long		 port;
	DWORD			 ms = SOCK_TCP_WAIT_MS;
	SOCKET			 s;
	int			 r, e = 0;

	if ((r = sock_tcp_read(w, buf, sizeof buf)) != 1)
		return (r);
	p = buf + strlen(SOCK_TCP_MAGIC);
	port = strtoul(p, &end, 10);
	if (end == p || *end != ' ' || port == 0 || port > 65535 ||
	    strlen(end + 1) < 2 * (SOCK_TCP_TOKEN + 1) ||
	    end[1 + SOCK_TCP_TOKEN] != ' ') {
		errno = ECONNREFUSED;
		return (-1);
	}
	memcpy(ctoken, end + 1, SOCK_TCP_TOKEN);
	ctoken[SOCK_TCP_TOKEN] = '\n';
	memcpy(stoken, end + 2 + SOCK_TCP_TOKEN, SOCK_TCP_TOKEN);
	stoken[SOCK_TCP_TOKEN] = '\n';
	SecureZeroMemory(buf, sizeof buf);
	if ((s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
	    WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT)) ==
	    INVALID_SOCKET) {
		errno = sock_errno();
		return (-1);
	}
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((u_short)port);
	if (connect(s, (struct sockaddr *)&sin, sizeof sin) == SOCKET_ERROR)
		e = sock_errno();
	else if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (char *)&ms,
	    sizeof ms) == SOCKET_ERROR ||
	    sock_tcp_all(s, ctoken, SOCK_TCP_TOKEN + 1, 1) == -1 ||
	    sock_tcp_all(s, got, SOCK_TCP_TOKEN + 1, 0) == -1 ||
	    !sock_tcp_same(got, stoken))
		e = EACCES;	/* refused us, or is not our ferryd */
	SecureZeroMemory(ctoken, sizeof ctoken);
	SecureZeroMemory(stoken, sizeof stoken);
	if (e != 0) {
		closesocket(s);
		errno = e;
		return (-1);
	}
	ms = 0;
	(void)setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (char *)&ms, sizeof ms);
	*sp = s;
	return (1);
}

/* Removes an AF_UNIX socket file left behind; EEXIST for anything else. */
static int
sock_unlink_stale(const uint16_t *w)
{
	WIN32_FIND_DATAW	 fd;
	HANDLE			 h;

	if ((h = FindFirstFileW((const wchar_t *)w, &fd)) ==
	    INVALID_HANDLE_VALUE)
		return (0);
	FindClose(h);
	if ((!(fd.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) ||
	    fd.dwReserved0 != IO_REPARSE_TAG_AF_UNIX) &&
	    !sock_tcp_is_endpoint(w)) {
		errno = EEXIST;
		return (-1);
	}
	if (!DeleteFileW((const wchar_t *)w)) {
		errno = EACCES;
		return (-1);
	}
	return (0);
}

/* compat_local_allow's account, a SID string, or "" for none. */
static wchar_t	sock_allow[192];

int
compat_local_allow(const char *sid)
{
	uint16_t	*w;
	PSID		 p = NULL;

	if (sid == NULL) {
		sock_allow[0] = L'\0';
		return (0);
	}
	if ((w = utf16_from_utf8(sid, strlen(sid), NULL)) == NULL)
		return (-1);
	if (wcslen((wchar_t *)w) >= sizeof sock_allow / sizeof sock_allow[0] ||
	    !ConvertStringSidToSidW((wchar_t *)w, &p)) {
		free(w);
		errno = EINVAL;
		return (-1);
	}
	LocalFree(p);
	wcscpy(sock_allow, (wchar_t *)w);
	free(w);
	return (0);
}

/*
 * Adds compat_local_allow's account to path's DACL with access, after the
 * owner-only DACL is set (still protected: nothing inherited). The file
 * is private until then, so a client that comes early is refused, never
 * let in by mistake.
 */
static int
sock_allow_add(const char *path, DWORD access)
{
	PSECURITY_DESCRIPTOR	 sd = NULL;
	EXPLICIT_ACCESSW	 ea;
	PACL			 dacl = NULL, nacl = NULL;
	PSID			 sid = NULL;
	uint16_t		*w;
	DWORD			 e;

	if (sock_allow[0] == L'\0')
		return (0);
	if ((w = utf16_from_utf8(path, strlen(path), NULL)) == NULL)
		return (-1);
	if (!ConvertStringSidToSidW(sock_allow, &sid))
		e = ERROR_INVALID_SID;
	else
		e = GetNamedSecurityInfoW((wchar_t *)w, SE_FILE_OBJECT,
		    DACL_SECURITY_INFORMATION, NULL, NULL, &dacl, NULL, &sd);
	if (e == ERROR_SUCCESS) {
		memset(&ea, 0, sizeof ea);
		ea.grfAccessPermissions = access;
		ea.grfAccessMode = GRANT_ACCESS;
		ea.grfInheritance = NO_INHERITANCE;
		ea.Trustee.TrusteeForm = TRUSTEE_IS_SID;
		ea.Trustee.TrusteeType = TRUSTEE_IS_USER;
		ea.Trustee.ptstrName = (wchar_t *)sid;
		e = SetEntriesInAclW(1, &ea, dacl, &nacl);
	}
	if (e == ERROR_SUCCESS)
		e = SetNamedSecurityInfoW((wchar_t *)w, SE_FILE_OBJECT,
		    DACL_SECURITY_INFORMATION |
		    PROTECTED_DACL_SECURITY_INFORMATION, NULL, NULL, nacl, NULL);
	LocalFree(nacl);
	LocalFree(sd);
	LocalFree(sid);
	free(w);
	if (e != ERROR_SUCCESS) {
		errno = EACCES;
		return (-1);
	}
	return (0);
}

/* The socket file's DACL: its owner and SYSTEM, nothing inherited. */
static int
sock_protect(const uint16_t *w)
{
	PSECURITY_DESCRIPTOR	 sd = NULL;
	PACL			 dacl = NULL;
	BOOL			 present, defaulted;
	DWORD			 e;

	if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(
	    L"D:P(A;;FA;;;OW)(A;;FA;;;SY)", SDDL_REVISION_1, &sd, NULL) ||
	    !GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted)) {
		LocalFree(sd);
		errno = EIO;
		return (-1);
	}
	e = SetNamedSecurityInfoW((wchar_t *)w, SE_FILE_OBJECT,
	    DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
	    NULL, NULL, dacl, NULL);
	LocalFree(sd);
	if (e != ERROR_SUCCESS) {
		errno = EACCES;
		return (-1);
	}
	return (0);
}

int
compat_local_listen(const char *path)
{
	struct sockaddr_un	 sun;
	u_long			 on = 1;
	uint16_t		*w;
	SOCKET			 s;
	int			 e = 0;

	if (sock_init() == -1 || sock_address(path, &sun) == -1)
		return (-1);
	if ((w = utf16_from_utf8(path, strlen(path), NULL)) == NULL)
		return (-1);
	if (sock_unlink_stale(w) == -1) {
		e = errno;
		free(w);
		errno = e;
		return (-1);
	}
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == INVALID_SOCKET) {
		free(w);
		if ((e = sock_errno()) == EAFNOSUPPORT)
			return (sock_tcp_listen(path));
		errno = e;
		return (-1);
	}
	if (bind(s, (struct sockaddr *)&sun, sizeof sun) == SOCKET_ERROR ||
	    listen(s, 64) == SOCKET_ERROR ||
	    ioctlsocket(s, FIONBIO, &on) == SOCKET_ERROR)
		e = sock_errno();
	else if (sock_protect(w) == -1)
		e = errno;
	/* connect() on an AF_UNIX socket file needs write access. */
	else if (sock_allow_add(path, FILE_GENERIC_READ | FILE_GENERIC_WRITE)
	    == -1)
		e = errno;
	free(w);
	if (e != 0) {
		closesocket(s);
		errno = e;
		return (-1);
	}
	return ((int)s);
}

int
compat_local_accept(int lfd, uid_t *uid, pid_t *pid, int *trusted)
{
	u_long	on = 1;
	SOCKET	s;

	struct sock_tcp	*t;

	if ((s = accept((SOCKET)lfd, NULL, NULL)) == INVALID_SOCKET) {
		errno = sock_errno();
		return (-1);
	}
	*trusted = 1;
	AcquireSRWLockExclusive(&sock_tcp_lock);
	if ((t = sock_tcp_find((SOCKET)lfd)) != NULL &&
	    sock_tcp_accept(t, s) == -1)
		*trusted = 0;
	ReleaseSRWLockExclusive(&sock_tcp_lock);
	if (ioctlsocket(s, FIONBIO, &on) == SOCKET_ERROR) {
		errno = sock_errno();
		closesocket(s);
		return (-1);
	}
	*uid = (uid_t)-1;
	*pid = -1;
	return ((int)s);
}

int
compat_local_connect(const char *path)
{
	struct sockaddr_un	 sun;
	SOCKET			 s;
	uint16_t		*w;
	int			 e, r;

	if (sock_init() == -1 || sock_address(path, &sun) == -1)
		return (-1);
	if ((w = utf16_from_utf8(path, strlen(path), NULL)) == NULL)
		return (-1);
	r = sock_tcp_connect(w, &s);
	e = errno;
	free(w);
	if (r == 1)
		return ((int)s);
	if (r == -1) {
		errno = e;
		return (-1);
	}
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == INVALID_SOCKET) {
		errno = sock_errno();
		return (-1);
	}
	if (connect(s, (struct sockaddr *)&sun, sizeof sun) == SOCKET_ERROR) {
		e = sock_errno();
		closesocket(s);
		/* No file at path: what ENOENT says on POSIX. */
		if (e == EIO &&
		    GetFileAttributesA(path) == INVALID_FILE_ATTRIBUTES)
			e = ENOENT;
		errno = e;
		return (-1);
	}
	return ((int)s);
}

long
compat_euid(void)
{
	return (-1);
}

ssize_t
compat_sock_recv(int fd, void *p, size_t n)
{
	int	r;

	if (sock_tcp_pending((SOCKET)fd) == -1)
		return (-1);

	if (n > INT_MAX)
		n = INT_MAX;
	if ((r = recv((SOCKET)fd, p, (int)n, 0)) == SOCKET_ERROR) {
		errno = sock_errno();
		return (-1);
	}
	return (r);
}

ssize_t
compat_sock_send(int fd, const void *p, size_t n, int dontwait)
{
	int	r;

	/* Winsock raises no SIGPIPE; a non-blocking socket never waits. */
	(void)dontwait;
	if (n > INT_MAX)
		n = INT_MAX;
	if ((r = send((SOCKET)fd, p, (int)n, 0)) == SOCKET_ERROR) {
		errno = sock_errno();
		return (-1);
	}
	return (r);
}

int
compat_sock_close(int fd)
{
	struct sock_tcp	*t;

	AcquireSRWLockExclusive(&sock_tcp_lock);
	if ((t = sock_tcp_find((SOCKET)fd)) != NULL)
		SecureZeroMemory(t, sizeof *t);
	sock_tcp_unpend((SOCKET)fd);
	ReleaseSRWLockExclusive(&sock_tcp_lock);
	if (closesocket((SOCKET)fd) == SOCKET_ERROR) {
		errno = sock_errno();
		return (-1);
	}
	return (0);
}
