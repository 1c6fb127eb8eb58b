/* compat_notify() on POSIX: a datagram to systemd's AF_UNIX socket. */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"

/* Fills sun and *lenp from the value of NOTIFY_SOCKET (EINVAL if bad). */
static int
notify_address(const char *name, struct sockaddr_un *sun, socklen_t *lenp)
{
	size_t	len = strlen(name);

	if ((name[0] != '/' && name[0] != '@') || len < 2 ||
	    len > sizeof sun->sun_path - 1) {
		errno = EINVAL;
		return (-1);
	}
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, name, len);
	/* An abstract name is counted exactly: it has no terminating NUL. */
	if (name[0] == '@') {
		sun->sun_path[0] = '\0';
		*lenp = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    len);
	} else
		*lenp = (socklen_t)sizeof *sun;
	return (0);
}

static void	(*notify_fn)(const char *);

/* Nothing on POSIX sets it today; it is here so that compat.h holds. */
void
compat_notify_hook(void (*fn)(const char *msg))
{
	notify_fn = fn;
}

int
compat_notify(const char *name, const char *msg)
{
	struct sockaddr_un	 sun;
	socklen_t		 len = 0;
	size_t			 n = strlen(msg);
	ssize_t			 sent;
	int			 fd, saved;

	if (notify_fn != NULL)
		notify_fn(msg);
	if (notify_address(name, &sun, &len) == -1)
		return (-1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (-1);
	sent = sendto(fd, msg, n, MSG_NOSIGNAL, (struct sockaddr *)&sun, len);
	saved = errno;
	close(fd);
	if (sent == -1) {
		errno = saved;
		return (-1);
	}
	if ((size_t)sent != n) {
		/* A datagram goes whole or not at all; short means lost. */
		errno = EMSGSIZE;
		return (-1);
	}
	return (0);
}
