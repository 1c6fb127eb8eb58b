/*
 * wanrelay: a long fat network in user space, for bench/run --wan.
 *
 * This kernel has no netem, so the bench puts the receiving side in its
 * own network namespace and joins the two namespaces with two tun
 * devices and this program: every IP packet read from one device is
 * written to the other after a fixed one-way delay (half the RTT), and,
 * with a rate, after passing a bottleneck of that many bits per second
 * with a drop-tail queue. The kernel's TCP on both ends sees a real
 * round trip, real windows and real losses, which a relay of TCP
 * connections (one that reads as fast as the sender writes) would hide.
 *
 * The devices carry virtio-net headers with segmentation offloads, so
 * that the stack hands over packets of up to 64 KiB as qemu's are; the
 * wire is still 1500 bytes (the device's MTU), and the bottleneck counts
 * every segment's headers.
 *
 * usage: wanrelay -a DEV_HERE -b DEV_THERE -n NETNS_FILE -d RTT_MS
 *                 [-r RATE_BIT_S] [-q QUEUE_BYTES]
 * Prints "ready" once both devices exist, then runs until killed; the
 * devices go away with it.
 */

#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <sys/types.h>

#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PKT_MAX		(65536 + 256)
/* Without a rate, only memory bounds what is in flight. */
#define MEM_MAX		(512ULL << 20)

struct pkt {
	struct pkt	*next;
	uint64_t	 due;		/* ns, CLOCK_MONOTONIC */
	size_t		 len;
	unsigned char	 data[];
};

struct dir {
	int		 in, out;
	struct pkt	*head, *tail;
	uint64_t	 link_free;	/* when the bottleneck is idle again */
	uint64_t	 queued;	/* bytes held */
	uint64_t	 pkts, bytes, drops;
};

static uint64_t	 delay_ns, rate, qlimit_ns;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
}

static void
fatal(const char *what)
{
	fprintf(stderr, "wanrelay: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int
tun_open(const char *name)
{
	struct ifreq	ifr;
	unsigned	off;
	int		fd, hl = sizeof(struct virtio_net_hdr);

	if ((fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)) == -1)
		fatal("/dev/net/tun");
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1)
		fatal(name);
	if (ioctl(fd, TUNSETVNETHDRSZ, &hl) == -1)
		fatal("TUNSETVNETHDRSZ");
	off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
	if (ioctl(fd, TUNSETOFFLOAD, off) == -1)
		fatal("TUNSETOFFLOAD");
	return (fd);
}

/* Bytes the packet takes on a 1500-byte wire, every segment's headers. */
static uint64_t
wire_len(const unsigned char *p, size_t len)
{
	struct virtio_net_hdr	h;
	uint64_t		n, segs;

	memcpy(&h, p, sizeof h);
	n = len - sizeof h;
	if (h.gso_type == VIRTIO_NET_HDR_GSO_NONE || h.gso_size == 0 ||
	    n <= h.hdr_len)
		return (n);
	segs = (n - h.hdr_len + h.gso_size - 1) / h.gso_size;
	return (n + (segs - 1) * h.hdr_len);
}

static void
take(struct dir *d, unsigned char *buf, size_t len, uint64_t now)
{
	struct pkt	*p;
	uint64_t	 start, w;

	d->pkts++;
	if (len <= sizeof(struct virtio_net_hdr))
		return;
	w = wire_len(buf, len);
	d->bytes += w;
	if (rate != 0) {
		start = d->link_free > now ? d->link_free : now;
		if (start - now > qlimit_ns) {
			d->drops++;
			return;
		}
		d->link_free = start + w * 8 * 1000000000ULL / rate;
		start = d->link_free;
	} else {
		if (d->queued + len > MEM_MAX) {
			d->drops++;
			return;
		}
		start = now;
	}
	if ((p = malloc(sizeof *p + len)) == NULL) {
		d->drops++;
		return;
	}
	p->next = NULL;
	p->due = start + delay_ns;
	p->len = len;
	memcpy(p->data, buf, len);
	if (d->tail != NULL)
		d->tail->next = p;
	else
		d->head = p;
	d->tail = p;
	d->queued += len;
}

/* Writes what is due; returns when the next packet is, or 0. */
static uint64_t
give(struct dir *d, uint64_t now)
{
	struct pkt	*p;

	while ((p = d->head) != NULL && p->due <= now) {
		/* A full receive queue over there is a drop, as on a wire. */
		if (write(d->out, p->data, p->len) == -1)
			d->drops++;
		d->head = p->next;
		if (d->head == NULL)
			d->tail = NULL;
		d->queued -= p->len;
		free(p);
	}
	return (d->head != NULL ? d->head->due : 0);
}

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char *argv[])
{
	static unsigned char	 buf[PKT_MAX];
	struct dir		 d[2];
	struct pollfd		 pfd[2];
	struct timespec		 ts, *tsp;
	const char		*a = NULL, *b = NULL, *ns = NULL;
	uint64_t		 now, next, n, qbytes = 0;
	double			 rtt_ms = -1;
	ssize_t			 r;
	int			 c, i, k, here, there;

	while ((c = getopt(argc, argv, "a:b:n:d:r:q:")) != -1) {
		switch (c) {
		case 'a': a = optarg; break;
		case 'b': b = optarg; break;
		case 'n': ns = optarg; break;
		case 'd': rtt_ms = strtod(optarg, NULL); break;
		case 'r': rate = strtoull(optarg, NULL, 10); break;
		case 'q': qbytes = strtoull(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (a == NULL || b == NULL || ns == NULL || rtt_ms < 0) {
usage:
		fprintf(stderr, "usage: wanrelay -a DEV_HERE -b DEV_THERE "
		    "-n NETNS_FILE -d RTT_MS [-r RATE_BIT_S] [-q QUEUE_BYTES]\n");
		return (2);
	}
	delay_ns = (uint64_t)(rtt_ms * 1e6 / 2);
	if (rate != 0) {
		/* Default queue: one bandwidth-delay product, 1 MiB at least. */
		if (qbytes == 0)
			qbytes = rate / 8 * (uint64_t)(rtt_ms > 1 ? rtt_ms : 1)
			    / 1000;
		if (qbytes < (1 << 20))
			qbytes = 1 << 20;
		qlimit_ns = qbytes * 8 * 1000000000ULL / rate;
	}

	/* One device here, the other one inside the namespace. */
	if ((here = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) == -1)
		fatal("/proc/self/ns/net");
	if ((there = open(ns, O_RDONLY | O_CLOEXEC)) == -1)
		fatal(ns);
	memset(d, 0, sizeof d);
	d[0].in = tun_open(a);
	if (setns(there, CLONE_NEWNET) == -1)
		fatal("setns");
	d[1].in = tun_open(b);
	if (setns(here, CLONE_NEWNET) == -1)
		fatal("setns back");
	d[0].out = d[1].in;
	d[1].out = d[0].in;

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready\n");
	fflush(stdout);
	pfd[0].fd = d[0].in;
	pfd[1].fd = d[1].in;
	pfd[0].events = pfd[1].events = POLLIN;
	while (!stop) {
		now = now_ns();
		next = 0;
		for (i = 0; i < 2; i++) {
			n = give(&d[i], now);
			if (n != 0 && (next == 0 || n < next))
				next = n;
		}
		tsp = NULL;
		if (next != 0) {
			n = next > now ? next - now : 0;
			ts.tv_sec = n / 1000000000ULL;
			ts.tv_nsec = n % 1000000000ULL;
			tsp = &ts;
		}
		if (ppoll(pfd, 2, tsp, NULL) == -1) {
			if (errno == EINTR)
				continue;
			fatal("ppoll");
		}
		now = now_ns();
		for (i = 0; i < 2; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			/* A bounded batch, so that due packets wait little. */
			for (k = 0; k < 256; k++) {
				if ((r = read(d[i].in, buf, sizeof buf)) <= 0)
					break;
				take(&d[i], buf, r, now);
			}
		}
	}
	for (i = 0; i < 2; i++)
		fprintf(stderr, "wanrelay: %s -> %s: %llu packets, %llu bytes, "
		    "%llu dropped\n", i == 0 ? a : b, i == 0 ? b : a,
		    (unsigned long long)d[i].pkts,
		    (unsigned long long)d[i].bytes,
		    (unsigned long long)d[i].drops);
	return (0);
}
