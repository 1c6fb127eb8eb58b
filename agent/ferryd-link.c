/*
 * What a control link's thread shares with the others (ferryd.h): its
 * queue of messages, the pipe that wakes it, and the address its
 * connections leave from. Both roles' links use it; it calls no other
 * file of ferryd's.
 */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ferryd.h"
#include "proto.h"
#include "tls.h"

void
ferryd_enqueue(struct ferryd *d, json_t **q, json_t *msg)
{
	pthread_mutex_lock(&d->mu);
	ferryd_queue(q, msg, q == &d->uplink_outq ? d->uplink_wake[1] : -1);
	pthread_mutex_unlock(&d->mu);
}

void
ferryd_queue(json_t **q, json_t *msg, int wakefd)
{
	if (*q == NULL)
		*q = json_array();
	json_array_append_new(*q, msg);
	ferryd_wake(wakefd);
}

int
ferryd_flush(struct ferryd *d, json_t **q, struct tls_conn *c, char **cause)
{
	json_t	*take, *m;
	size_t	 i;
	int	 r = 0;

	pthread_mutex_lock(&d->mu);
	take = *q;
	*q = NULL;
	pthread_mutex_unlock(&d->mu);
	json_array_foreach(take, i, m) {
		if ((r = proto_send(c, m, cause)) != 0)
			break;
	}
	/*
	 * The link failed: what was not sent waits for the next one, in
	 * order (an agent's results for a hub that takes its transfers
	 * over; the one that failed may have gone, and the hub takes a
	 * result twice as once).
	 */
	if (r != 0 && i < json_array_size(take)) {
		pthread_mutex_lock(&d->mu);
		while (i-- > 0)
			json_array_remove(take, 0);
		if (*q != NULL)
			json_array_extend(take, *q);
		json_decref(*q);
		*q = take;
		take = NULL;
		pthread_mutex_unlock(&d->mu);
	}
	json_decref(take);
	return (r);
}

/* Here, below both node-uplink (which sets it) and node-xfer (relay). */
char *
uplink_address(struct ferryd *d)
{
	char	*a;

	pthread_mutex_lock(&d->mu);
	a = strdup(d->uplink_addr != NULL ? d->uplink_addr : d->conf.hub);
	pthread_mutex_unlock(&d->mu);
	return (a);
}

const char *
ferryd_source(const struct ferryd *d)
{
	return (d->conf.source_addr != NULL ? d->conf.source_addr :
	    d->conf.public_addr);
}

void
ferryd_streams_idle(struct tls_conn **conns, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		tls_set_idle(conns[i], FERRYD_STREAM_IDLE_MS);
}

int
ferryd_wake_open(int fds[2])
{
	return (pipe2(fds, O_NONBLOCK | O_CLOEXEC));
}

void
ferryd_wake(int fd)
{
	char	c = 1;

	if (fd != -1 && write(fd, &c, 1) == -1) {
		/* A full pipe already says "wake up". */
	}
}

void
ferryd_wake_drain(int fd)
{
	char	buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		;
}
