/*
 * The BSD socket calls of posix-win.h on Windows: Winsock, started once,
 * its errors as errno (a non-blocking connect's WSAEWOULDBLOCK is
 * EINPROGRESS, as POSIX says), poll as WSAPoll, and sockets that no child
 * process inherits (WSA_FLAG_NO_HANDLE_INHERIT, SOCK_CLOEXEC).
 *
 * A SOCKET is a handle, not a C runtime descriptor, but the code above
 * keeps both in ints and calls close/read/write on either: the sockets
 * made here are remembered in a set, and close/read/write on one of them
 * go to closesocket/recv/send, on anything else to the C runtime. Socket
 * handle values and the runtime's small descriptor numbers do not meet
 * in practice (handles are kernel handle values, multiples of 4 above the
 * process's first handles).
 */
#define COMPAT_WIN_IMPL
#include "posix-win.h"

#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include <windows.h>

static INIT_ONCE	 net_once = INIT_ONCE_STATIC_INIT;
static int		 net_ready;
static SRWLOCK		 net_lock = SRWLOCK_INIT;
static SOCKET		*net_set;
static size_t		 net_n, net_cap;

static BOOL CALLBACK
net_init_once(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	WSADATA	wsa;

	(void)once, (void)param, (void)ctx;
	net_ready = WSAStartup(MAKEWORD(2, 2), &wsa) == 0;
	return (TRUE);
}

static int
net_init(void)
{
	InitOnceExecuteOnce(&net_once, net_init_once, NULL, NULL);
	if (!net_ready) {
		errno = EIO;
		return (-1);
	}
	return (0);
}

static int
net_errno(void)
{
	switch (WSAGetLastError()) {
	case WSAEWOULDBLOCK:
		return (EAGAIN);
	case WSAEINPROGRESS:
	case WSAEALREADY:
		return (EALREADY);
	case WSAEINTR:
		return (EINTR);
	case WSAECONNRESET:
	case WSAECONNABORTED:
	case WSAENETRESET:
		return (ECONNRESET);
	case WSAECONNREFUSED:
		return (ECONNREFUSED);
	case WSAETIMEDOUT:
		return (ETIMEDOUT);
	case WSAEHOSTUNREACH:
	case WSAEHOSTDOWN:
		return (EHOSTUNREACH);
	case WSAENETUNREACH:
		return (ENETUNREACH);
	case WSAEACCES:
		return (EACCES);
	case WSAEADDRINUSE:
		return (EADDRINUSE);
	case WSAEADDRNOTAVAIL:
		return (EADDRNOTAVAIL);
	case WSAENOTCONN:
		return (ENOTCONN);
	case WSAEISCONN:
		return (EISCONN);
	case WSAESHUTDOWN:
	case WSAENETDOWN:
		return (EPIPE);
	case WSAENOBUFS:
		return (ENOBUFS);
	case WSAEMFILE:
		return (EMFILE);
	case WSAENOPROTOOPT:
		return (ENOPROTOOPT);
	case WSAEAFNOSUPPORT:
		return (EAFNOSUPPORT);
	case WSAENOTSOCK:
		return (ENOTSOCK);
	case WSAEINVAL:
	case WSAEFAULT:
		return (EINVAL);
	default:
		return (EIO);
	}
}

static int
net_add(SOCKET s)
{
	SOCKET	*v;
	size_t	 cap;

	AcquireSRWLockExclusive(&net_lock);
	if (net_n == net_cap) {
		cap = net_cap == 0 ? 64 : net_cap * 2;
		if ((v = realloc(net_set, cap * sizeof *v)) == NULL) {
			ReleaseSRWLockExclusive(&net_lock);
			errno = ENOMEM;
			return (-1);
		}
		net_set = v;
		net_cap = cap;
	}
	net_set[net_n++] = s;
	ReleaseSRWLockExclusive(&net_lock);
	return (0);
}

/* Whether fd is a socket of ours; with take, it leaves the set. */
static int
net_find(int fd, int take)
{
	size_t	i;
	int	found = 0;

	if (take)
		AcquireSRWLockExclusive(&net_lock);
	else
		AcquireSRWLockShared(&net_lock);
	for (i = 0; i < net_n; i++)
		if (net_set[i] == (SOCKET)fd) {
			found = 1;
			if (take)
				net_set[i] = net_set[--net_n];
			break;
		}
	if (take)
		ReleaseSRWLockExclusive(&net_lock);
	else
		ReleaseSRWLockShared(&net_lock);
	return (found);
}

int
compat_win_is_socket(int fd)
{
	return (net_find(fd, 0));
}

static int
net_nonblock(SOCKET s, int on)
{
	u_long	v = on;

	if (ioctlsocket(s, FIONBIO, &v) == SOCKET_ERROR) {
		errno = net_errno();
		return (-1);
	}
	return (0);
}

/* A new socket as an int, remembered; closed on failure. */
static int
net_keep(SOCKET s, int type)
{
	int	e;

	if (((type & SOCK_NONBLOCK) && net_nonblock(s, 1) == -1) ||
	    net_add(s) == -1) {
		e = errno;
		closesocket(s);
		errno = e;
		return (-1);
	}
	return ((int)s);
}

int
compat_win_socket(int domain, int type, int proto)
{
	SOCKET	s;

	if (net_init() == -1)
		return (-1);
	if ((s = WSASocketW(domain, type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC),
	    proto, NULL, 0, WSA_FLAG_OVERLAPPED |
	    WSA_FLAG_NO_HANDLE_INHERIT)) == INVALID_SOCKET) {
		errno = net_errno();
		return (-1);
	}
	return (net_keep(s, type));
}

int
compat_win_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	if (connect((SOCKET)fd, sa, len) == SOCKET_ERROR) {
		errno = net_errno();
		/* A non-blocking connect under way is EINPROGRESS on POSIX. */
		if (errno == EAGAIN || errno == EALREADY)
			errno = EINPROGRESS;
		return (-1);
	}
	return (0);
}

int
compat_win_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	if (bind((SOCKET)fd, sa, len) == SOCKET_ERROR) {
		errno = net_errno();
		return (-1);
	}
	return (0);
}

int
compat_win_listen(int fd, int backlog)
{
	if (listen((SOCKET)fd, backlog) == SOCKET_ERROR) {
		errno = net_errno();
		return (-1);
	}
	return (0);
}

int
compat_win_accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	SOCKET	s;

	if ((s = accept((SOCKET)fd, sa, len)) == INVALID_SOCKET) {
		errno = net_errno();
		return (-1);
	}
	/* An accepted socket inherits the listener's non-blocking mode. */
	if (net_nonblock(s, (flags & SOCK_NONBLOCK) != 0) == -1) {
		closesocket(s);
		return (-1);
	}
	return (net_keep(s, 0));
}

int
compat_win_setsockopt(int fd, int level, int opt, const void *v,
    socklen_t len)
{
	/*
	 * SO_REUSEADDR on Windows lets a second socket take a port in use:
	 * what POSIX's means (reuse past TIME_WAIT) is Windows' default.
	 */
	if (level == SOL_SOCKET && opt == SO_REUSEADDR)
		return (0);
	if (setsockopt((SOCKET)fd, level, opt, v, len) == SOCKET_ERROR) {
		errno = net_errno();
		return (-1);
	}
	return (0);
}

int
compat_win_getsockopt(int fd, int level, int opt, void *v, socklen_t *len)
{
	if (level == IPPROTO_TCP && opt == TCP_INFO) {
		errno = ENOPROTOOPT;
		return (-1);
	}
	if (getsockopt((SOCKET)fd, level, opt, v, len) == SOCKET_ERROR) {
		errno = net_errno();
		return (-1);
	}
	return (0);
}

int
compat_win_getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	if (getsockname((SOCKET)fd, sa, len) == SOCKET_ERROR) {
		errno = net_errno();
		return (-1);
	}
	return (0);
}

int
compat_win_shutdown(int fd, int how)
{
	if (shutdown((SOCKET)fd, how) == SOCKET_ERROR) {
		errno = net_errno();
		return (-1);
	}
	return (0);
}

int
compat_win_poll(struct compat_win_pollfd *p, unsigned long n, int ms)
{
	WSAPOLLFD	 one[64], *w = one;
	unsigned long	 i, k = 0;
	int		 r;

	if (net_init() == -1)
		return (-1);
	if (n > sizeof one / sizeof one[0] &&
	    (w = calloc(n, sizeof *w)) == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		p[i].revents = 0;
		if (p[i].fd < 0)
			continue;
		w[k].fd = (SOCKET)p[i].fd;
		/* WSAPoll refuses POLLPRI and POLLOUT's kin it lacks. */
		w[k].events = p[i].events & (POLLIN | POLLOUT);
		w[k].revents = 0;
		k++;
	}
	if (k == 0) {
		Sleep(ms < 0 ? INFINITE : (DWORD)ms);
		r = 0;
	} else if ((r = WSAPoll(w, k, ms)) == SOCKET_ERROR) {
		errno = net_errno();
		r = -1;
	} else {
		for (i = 0, k = 0; i < n; i++)
			if (p[i].fd >= 0)
				p[i].revents = w[k++].revents;
	}
	if (w != one)
		free(w);
	return (r);
}

/*
 * pipe2: a connected pair of loopback sockets, since WSAPoll waits on
 * sockets only (the code polls a pipe to wake its loop). The listener
 * is gone before it returns; the pair is ours (net_find), so read, write
 * and close take them.
 */
int
compat_win_pipe2(int *fds, int flags)
{
	struct sockaddr_in	sin;
	int			len = sizeof sin, e = 0;
	SOCKET			l, a = INVALID_SOCKET, b = INVALID_SOCKET;
	u_long			on = 1;

	if (net_init() == -1)
		return (-1);
	if ((l = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
	    WSA_FLAG_NO_HANDLE_INHERIT)) == INVALID_SOCKET) {
		errno = net_errno();
		return (-1);
	}
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (struct sockaddr *)&sin, sizeof sin) == SOCKET_ERROR ||
	    listen(l, 1) == SOCKET_ERROR ||
	    getsockname(l, (struct sockaddr *)&sin, &len) == SOCKET_ERROR ||
	    (b = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
	    WSA_FLAG_NO_HANDLE_INHERIT)) == INVALID_SOCKET ||
	    connect(b, (struct sockaddr *)&sin, sizeof sin) == SOCKET_ERROR ||
	    (a = accept(l, NULL, NULL)) == INVALID_SOCKET)
		e = net_errno();
	closesocket(l);
	if (e == 0 && (flags & O_NONBLOCK) && (ioctlsocket(a, FIONBIO,
	    &on) == SOCKET_ERROR || ioctlsocket(b, FIONBIO, &on) ==
	    SOCKET_ERROR))
		e = net_errno();
	if (e == 0 && net_add(a) == 0) {
		if (net_add(b) == 0) {
			fds[0] = (int)a;
			fds[1] = (int)b;
			return (0);
		}
		(void)net_find((int)a, 1);
		e = ENOMEM;
	} else if (e == 0)
		e = ENOMEM;
	if (a != INVALID_SOCKET)
		closesocket(a);
	if (b != INVALID_SOCKET)
		closesocket(b);
	errno = e;
	return (-1);
}

int
compat_win_getaddrinfo(const char *host, const char *serv,
    const struct addrinfo *hints, struct addrinfo **res)
{
	if (net_init() == -1)
		return (EAI_FAIL);
	return (getaddrinfo(host, serv, hints, res));
}

ssize_t
compat_win_send(int fd, const void *p, size_t n, int flags)
{
	int	r;

	if (n > INT_MAX)
		n = INT_MAX;
	if ((r = send((SOCKET)fd, p, (int)n, flags & ~(MSG_NOSIGNAL |
	    MSG_DONTWAIT))) == SOCKET_ERROR) {
		errno = net_errno();
		return (-1);
	}
	return (r);
}

ssize_t
compat_win_recv(int fd, void *p, size_t n, int flags)
{
	int	r;

	if (n > INT_MAX)
		n = INT_MAX;
	if ((r = recv((SOCKET)fd, p, (int)n, flags & ~MSG_DONTWAIT)) ==
	    SOCKET_ERROR) {
		errno = net_errno();
		return (-1);
	}
	return (r);
}

int
compat_win_close(int fd)
{
	if (net_find(fd, 1)) {
		if (closesocket((SOCKET)fd) == SOCKET_ERROR) {
			errno = net_errno();
			return (-1);
		}
		return (0);
	}
	return (_close(fd));
}

ssize_t
compat_win_read(int fd, void *p, size_t n)
{
	if (net_find(fd, 0))
		return (compat_win_recv(fd, p, n, 0));
	if (n > INT_MAX)
		n = INT_MAX;
	return (_read(fd, p, (unsigned int)n));
}

ssize_t
compat_win_write(int fd, const void *p, size_t n)
{
	if (net_find(fd, 0))
		return (compat_win_send(fd, p, n, 0));
	if (n > INT_MAX)
		n = INT_MAX;
	return (_write(fd, p, (unsigned int)n));
}

/*
 * fcntl: what the transfer code asks. F_SETFL's O_NONBLOCK on a socket is
 * FIONBIO; F_DUPFD_CLOEXEC duplicates a file's handle (not inherited).
 */
int
compat_win_fcntl(int fd, int cmd, ...)
{
	va_list	ap;
	int	arg = 0;

	if (cmd == F_SETFL) {
		va_start(ap, cmd);
		arg = va_arg(ap, int);
		va_end(ap);
	}
	switch (cmd) {
	case F_GETFL:
		return (0);
	case F_SETFL:
		if (net_find(fd, 0))
			return (net_nonblock((SOCKET)fd,
			    (arg & O_NONBLOCK) != 0));
		return (0);
	case F_DUPFD_CLOEXEC:
		if (net_find(fd, 0)) {
			errno = EINVAL;
			return (-1);
		}
		return (compat_dupfd(fd));
	default:
		errno = EINVAL;
		return (-1);
	}
}
