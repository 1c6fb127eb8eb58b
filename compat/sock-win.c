/*
 * Local stream sockets on Windows (compat.h): AF_UNIX, which Windows 10
 * (1803) has in Winsock. A SOCKET is a handle, not a C runtime
 * descriptor, so read/write/close do not work on it: compat_sock_* do.
 * SOCKET values are kernel handles, small enough for an int (as every
 * port of BSD socket code to Winsock assumes). There are no peer
 * credentials: the socket file's DACL (owner and SYSTEM only, set right
 * after bind, in the private state directory) is what decides who
 * connects, so every peer that got in is trusted.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <winsock2.h>
#include <afunix.h>
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include "compat.h"
#include "utf16.h"

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
	if (!(fd.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) ||
	    fd.dwReserved0 != IO_REPARSE_TAG_AF_UNIX) {
		errno = EEXIST;
		return (-1);
	}
	if (!DeleteFileW((const wchar_t *)w)) {
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
		errno = sock_errno();
		return (-1);
	}
	if (bind(s, (struct sockaddr *)&sun, sizeof sun) == SOCKET_ERROR ||
	    listen(s, 64) == SOCKET_ERROR ||
	    ioctlsocket(s, FIONBIO, &on) == SOCKET_ERROR)
		e = sock_errno();
	else if (sock_protect(w) == -1)
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

	if ((s = accept((SOCKET)lfd, NULL, NULL)) == INVALID_SOCKET) {
		errno = sock_errno();
		return (-1);
	}
	if (ioctlsocket(s, FIONBIO, &on) == SOCKET_ERROR) {
		errno = sock_errno();
		closesocket(s);
		return (-1);
	}
	*uid = (uid_t)-1;
	*pid = -1;
	*trusted = 1;
	return ((int)s);
}

int
compat_local_connect(const char *path)
{
	struct sockaddr_un	sun;
	SOCKET			s;
	int			e;

	if (sock_init() == -1 || sock_address(path, &sun) == -1)
		return (-1);
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
	if (closesocket((SOCKET)fd) == SOCKET_ERROR) {
		errno = sock_errno();
		return (-1);
	}
	return (0);
}
