/*
 * The control port's gate: what an unauthenticated peer can make the hub
 * spend is bounded before a thread or a buffer is given to it.
 *  - At most GATE_PREAUTH_MAX connections wait for authentication at
 *    once, and GATE_PREAUTH_PER_IP from one address.
 *  - New connections from one address: a token bucket (GATE_BURST, then
 *    GATE_RATE a second).
 *  - A connection must finish its handshake and first message within
 *    GATE_DEADLINE_MS, in all: the accept thread shuts down those that
 *    dawdle, which ends their thread's blocked read.
 *  - Failed enrolments (a wrong code): GATE_ENROLL_FAILS per address and
 *    GATE_ENROLL_FAILS_ALL in all per GATE_ENROLL_WINDOW_S; beyond that
 *    enrolment is refused, even with a good code, until the window ends.
 * Refusals go to the audit trail, once a minute per address and kind.
 * Everything here is under d->mu.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "clock.h"
#include "ferryd.h"

#define GATE_PREAUTH_MAX	64
#define GATE_PREAUTH_PER_IP	16
#define GATE_BURST		32
#define GATE_RATE		4
#define GATE_DEADLINE_MS	10000
#define GATE_ENROLL_FAILS	10
#define GATE_ENROLL_FAILS_ALL	100
#define GATE_ENROLL_WINDOW_S	600
#define GATE_IPS		256

struct gate_ip {
	char	addr[128];
	int	preauth;	/* its connections not yet authenticated */
	double	tokens;
	int64_t	at_ms;		/* tokens counted up to */
	int	fails;		/* failed enrolments in the window */
	int64_t	fails_since;
};

/* A connection waiting for authentication. */
struct gate_conn {
	const void		*key;
	int			 fd;
	int64_t			 deadline;
	struct gate_ip		*ip;
	struct gate_conn	*next;
};

struct gate {
	int		 preauth;
	struct gate_ip	 ips[GATE_IPS];
	struct gate_conn *conns;
	int		 fails;		/* failed enrolments, all addresses */
	int64_t		 fails_since;
};

static struct gate *
gate_get(struct ferryd *d)
{
	if (d->gate == NULL)
		d->gate = calloc(1, sizeof *d->gate);
	return (d->gate);
}

/* addr's row, or a fresh one in place of the oldest idle row. */
static struct gate_ip *
gate_ip(struct gate *g, const char *addr)
{
	struct gate_ip	*ip, *old = NULL;
	size_t		 i;

	for (i = 0; i < GATE_IPS; i++) {
		ip = &g->ips[i];
		if (strcmp(ip->addr, addr) == 0)
			return (ip);
		if (ip->preauth == 0 && (old == NULL || ip->at_ms < old->at_ms))
			old = ip;
	}
	if (old == NULL)
		return (NULL);
	memset(old, 0, sizeof *old);
	snprintf(old->addr, sizeof old->addr, "%s", addr);
	old->tokens = GATE_BURST;
	old->at_ms = clock_ms();
	return (old);
}

static void
gate_refuse(struct ferryd *d, const char *addr, const char *what, int n)
{
	audit_note_limited(d, addr, what, json_pack("{s:i}", "limit", n));
}

int
gate_admit(struct ferryd *d, const void *key, int fd, const char *addr)
{
	struct gate	*g = gate_get(d);
	struct gate_ip	*ip;
	struct gate_conn *c;
	int64_t		 now = clock_ms();

	if (g == NULL)
		return (-1);
	if (g->preauth >= GATE_PREAUTH_MAX) {
		gate_refuse(d, addr, "conn.limit.total", GATE_PREAUTH_MAX);
		return (-1);
	}
	if ((ip = gate_ip(g, addr)) == NULL)
		return (-1);
	ip->tokens += (double)(now - ip->at_ms) * GATE_RATE / 1000;
	if (ip->tokens > GATE_BURST)
		ip->tokens = GATE_BURST;
	ip->at_ms = now;
	if (ip->tokens < 1) {
		gate_refuse(d, addr, "conn.limit.rate", GATE_RATE);
		return (-1);
	}
	if (ip->preauth >= GATE_PREAUTH_PER_IP) {
		gate_refuse(d, addr, "conn.limit.address", GATE_PREAUTH_PER_IP);
		return (-1);
	}
	if ((c = calloc(1, sizeof *c)) == NULL)
		return (-1);
	ip->tokens -= 1;
	ip->preauth++;
	g->preauth++;
	c->key = key;
	c->fd = fd;
	c->ip = ip;
	c->deadline = now + GATE_DEADLINE_MS;
	c->next = g->conns;
	g->conns = c;
	return (0);
}

void
gate_done(struct ferryd *d, const void *key)
{
	struct gate		*g = d->gate;
	struct gate_conn	**pp, *c;

	for (pp = g != NULL ? &g->conns : NULL; pp != NULL && *pp != NULL;
	    pp = &(*pp)->next) {
		if ((*pp)->key != key)
			continue;
		c = *pp;
		*pp = c->next;
		c->ip->preauth--;
		g->preauth--;
		free(c);
		return;
	}
}

void
gate_sweep(struct ferryd *d)
{
	struct gate_conn	*c;
	int64_t			 now = clock_ms();

	/* Its thread sees the end of the stream and calls gate_done. */
	for (c = d->gate != NULL ? d->gate->conns : NULL; c != NULL;
	    c = c->next) {
		if (c->deadline != 0 && now > c->deadline) {
			shutdown(c->fd, SHUT_RDWR);
			c->deadline = 0;
		}
	}
}

int
gate_enroll_allowed(struct ferryd *d, const char *addr)
{
	struct gate	*g = gate_get(d);
	struct gate_ip	*ip;
	int64_t		 now = clock_now();

	if (g == NULL || (ip = gate_ip(g, addr)) == NULL)
		return (0);
	if (now - g->fails_since > GATE_ENROLL_WINDOW_S)
		g->fails = 0;
	if (now - ip->fails_since > GATE_ENROLL_WINDOW_S)
		ip->fails = 0;
	if (ip->fails >= GATE_ENROLL_FAILS) {
		gate_refuse(d, addr, "enroll.limit", GATE_ENROLL_FAILS);
		return (0);
	}
	if (g->fails >= GATE_ENROLL_FAILS_ALL) {
		gate_refuse(d, "*", "enroll.limit", GATE_ENROLL_FAILS_ALL);
		return (0);
	}
	return (1);
}

void
gate_enroll_failed(struct ferryd *d, const char *addr)
{
	struct gate	*g = gate_get(d);
	struct gate_ip	*ip;

	if (g == NULL || (ip = gate_ip(g, addr)) == NULL)
		return;
	if (ip->fails++ == 0)
		ip->fails_since = clock_now();
	if (g->fails++ == 0)
		g->fails_since = clock_now();
}

void
gate_free(struct ferryd *d)
{
	struct gate_conn	*c;

	while (d->gate != NULL && (c = d->gate->conns) != NULL) {
		d->gate->conns = c->next;
		free(c);
	}
	free(d->gate);
	d->gate = NULL;
}
