/*
 * The SSH session: TCP with a deadline, the host key checked against
 * known_hosts before anything is sent, public key authentication, SFTP.
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "sftp-int.h"

/* libssh2_init once, whichever thread (a daemon's) connects first. */
static pthread_once_t	sftp_libssh2_once = PTHREAD_ONCE_INIT;
static int		sftp_libssh2_ready;

static void
sftp_libssh2_init(void)
{
	sftp_libssh2_ready = libssh2_init(0) == 0;
}

static int
sftp_target_port(const char *s, int *port)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 65535)
		return (-1);
	*port = (int)v;
	return (0);
}

int
sftp_target_parse(const char *spec, struct sftp_target *t, char **cause)
{
	const char	*at, *h, *he, *colon, *root;
	char		 portbuf[8];
	int		 port = 22;

	memset(t, 0, sizeof *t);
	at = strchr(spec, '@');
	if (at == NULL || at == spec)
		return (err_set(cause, FERRY_ERR_PARSE,
		    "\"%s\": not USER@HOST[:PORT]:ROOT", spec));
	h = at + 1;
	if (*h == '[') {
		he = strchr(h, ']');
		if (he == NULL)
			return (err_set(cause, FERRY_ERR_PARSE,
			    "\"%s\": no ']' after the address", spec));
		colon = he + 1;
		h++;
	} else {
		he = strchr(h, ':');
		if (he == NULL)
			he = h + strlen(h);
		colon = he;
	}
	if (he == h || *colon != ':')
		return (err_set(cause, FERRY_ERR_PARSE,
		    "\"%s\": no host, or no \":ROOT\"", spec));
	root = strchr(colon + 1, ':');
	if (root != NULL) {
		if ((size_t)(root - colon - 1) >= sizeof portbuf)
			return (err_set(cause, FERRY_ERR_PARSE,
			    "\"%s\": bad port", spec));
		memcpy(portbuf, colon + 1, (size_t)(root - colon - 1));
		portbuf[root - colon - 1] = '\0';
		if (sftp_target_port(portbuf, &port) != 0)
			return (err_set(cause, FERRY_ERR_PARSE,
			    "\"%s\": bad port", spec));
		root++;
	} else
		root = colon + 1;
	if (*root == '\0' || strstr(root, "..") != NULL)
		return (err_set(cause, FERRY_ERR_PARSE,
		    "\"%s\": the root must be a path without \"..\"", spec));
	t->user = strndup(spec, (size_t)(at - spec));
	t->host = strndup(h, (size_t)(he - h));
	t->root = strdup(root);
	t->port = port;
	if (t->user == NULL || t->host == NULL || t->root == NULL) {
		sftp_target_clear(t);
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	}
	/* "/srv/x/" and "/srv/x" are one root; "/" stays "/". */
	while (strlen(t->root) > 1 && t->root[strlen(t->root) - 1] == '/')
		t->root[strlen(t->root) - 1] = '\0';
	return (0);
}

void
sftp_target_clear(struct sftp_target *t)
{
	free(t->user);
	free(t->host);
	free(t->root);
	memset(t, 0, sizeof *t);
}

static double
sftp_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/*
 * Sleeps as long as the rate cap asks after n more bytes of a file (n 0:
 * a file starts). A cap changed by another thread starts its own count.
 */
void
sftp_pace(struct sftp *s, uint64_t n)
{
	uint64_t	rate = s->rate_live != NULL ?
			    atomic_load(s->rate_live) : s->rate;
	double		ahead;

	if (n == 0 || rate != s->rate) {
		s->rate = rate;
		s->rate_start = sftp_now();
		s->rate_bytes = 0;
		return;
	}
	if (rate == 0)
		return;
	s->rate_bytes += n;
	ahead = (double)s->rate_bytes / (double)s->rate -
	    (sftp_now() - s->rate_start);
	if (ahead > 0)
		usleep((useconds_t)(ahead * 1e6));
}

int
sftp_tick(struct sftp *s, uint64_t done, uint64_t size, char **cause)
{
	if (s->progress != NULL)
		s->progress(done, size, s->progress_arg);
	if (s->abort != NULL && *s->abort)
		return (err_set(cause, FERRY_ERR_CANCELLED, "%s: stopped",
		    s->host));
	return (0);
}

/*
 * Every block libssh2 allocates for a session is on the session's list,
 * and whatever is left after libssh2_session_free() is freed then: on a
 * connection that died, libssh2 1.10 fails libssh2_sftp_close() before
 * freeing the handle (and keeps a few bytes of the key exchange), which
 * a daemon that meets many dead servers would otherwise lose each time.
 */
static void
sftp_arena_link(struct sftp *s, struct sftp_block *b)
{
	b->prev = &s->arena;
	b->next = s->arena.next;
	s->arena.next->prev = b;
	s->arena.next = b;
}

static void
sftp_arena_unlink(struct sftp_block *b)
{
	b->prev->next = b->next;
	b->next->prev = b->prev;
}

static void *
sftp_arena_alloc(size_t n, void **abstract)
{
	struct sftp_block	*b;

	if (n > SIZE_MAX - sizeof *b || (b = malloc(sizeof *b + n)) == NULL)
		return (NULL);
	b->size = n;
	sftp_arena_link(*abstract, b);
	return (b + 1);
}

static void
sftp_arena_free(void *p, void **abstract)
{
	struct sftp_block	*b;

	(void)abstract;
	if (p == NULL)
		return;
	b = (struct sftp_block *)p - 1;
	sftp_arena_unlink(b);
	free(b);
}

static void *
sftp_arena_realloc(void *p, size_t n, void **abstract)
{
	struct sftp_block	*b, *nb;

	if (p == NULL)
		return (sftp_arena_alloc(n, abstract));
	b = (struct sftp_block *)p - 1;
	if (n > SIZE_MAX - sizeof *b)
		return (NULL);
	sftp_arena_unlink(b);
	if ((nb = realloc(b, sizeof *b + n)) == NULL) {
		sftp_arena_link(*abstract, b);
		return (NULL);
	}
	nb->size = n;
	sftp_arena_link(*abstract, nb);
	return (nb + 1);
}

static void
sftp_arena_clear(struct sftp *s)
{
	struct sftp_block	*b;

	while ((b = s->arena.next) != &s->arena) {
		sftp_arena_unlink(b);
		free(b);
	}
}

/* A TCP connection to host:port within timeout_ms, left blocking. */
static int
sftp_dial(const struct sftp_target *t, int timeout_ms, int *out,
    char **cause)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	struct pollfd	 pfd;
	char		 port[8];
	int		 fd = -1, r, err = 0, fl, one = 1;
	socklen_t	 len = sizeof err;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof port, "%d", t->port);
	if ((r = getaddrinfo(t->host, port, &hints, &res)) != 0)
		return (err_set(cause, FERRY_ERR_UNREACHABLE, "%s: %s",
		    t->host, gai_strerror(r)));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd == -1)
			continue;
		err = 0;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
			err = errno;
			if (err == EINPROGRESS) {
				pfd.fd = fd;
				pfd.events = POLLOUT;
				if (poll(&pfd, 1, timeout_ms) != 1)
					err = ETIMEDOUT;
				else if (getsockopt(fd, SOL_SOCKET, SO_ERROR,
				    &err, &len) == -1)
					err = errno;
			}
		}
		if (err == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		return (err_set(cause, err == ETIMEDOUT ? FERRY_ERR_TIMEOUT :
		    FERRY_ERR_UNREACHABLE, "%s port %d: %s", t->host, t->port,
		    strerror(err)));
	fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	/* libssh2 writes many small packets: Nagle would hold them back. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	*out = fd;
	return (0);
}

/* The server's key as OpenSSH prints it: SHA256 and unpadded base64. */
static void
sftp_fingerprint_of(struct sftp *s)
{
	const char	*h;
	unsigned char	 b64[64];
	int		 n;

	h = libssh2_hostkey_hash(s->ssh, LIBSSH2_HOSTKEY_HASH_SHA256);
	if (h == NULL) {
		snprintf(s->fp, sizeof s->fp, "SHA256:?");
		return;
	}
	n = EVP_EncodeBlock(b64, (const unsigned char *)h, 32);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	snprintf(s->fp, sizeof s->fp, "SHA256:%.*s", n, b64);
}

static int
sftp_key_type(int type)
{
	switch (type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA:
		return (LIBSSH2_KNOWNHOST_KEY_SSHRSA);
	case LIBSSH2_HOSTKEY_TYPE_DSS:
		return (LIBSSH2_KNOWNHOST_KEY_SSHDSS);
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
		return (LIBSSH2_KNOWNHOST_KEY_ECDSA_256);
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
		return (LIBSSH2_KNOWNHOST_KEY_ECDSA_384);
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
		return (LIBSSH2_KNOWNHOST_KEY_ECDSA_521);
	case LIBSSH2_HOSTKEY_TYPE_ED25519:
		return (LIBSSH2_KNOWNHOST_KEY_ED25519);
	}
	return (-1);
}

/*
 * The host key against known_hosts, before authenticating: we send
 * nothing of ours to a server we do not know. Never a prompt.
 */
static int
sftp_check_host(struct sftp *s, const struct sftp_opts *o, char **cause)
{
	LIBSSH2_KNOWNHOSTS	*kh;
	struct libssh2_knownhost *found = NULL;
	const char		*key;
	size_t			 len;
	int			 type, ktype, r;

	sftp_fingerprint_of(s);
	key = libssh2_session_hostkey(s->ssh, &len, &type);
	if (key == NULL || (ktype = sftp_key_type(type)) == -1)
		return (err_set(cause, FERRY_ERR_AUTH,
		    "%s: the server's host key is of a kind ferry cannot "
		    "check (%s)", s->host, s->fp));
	if ((kh = libssh2_knownhost_init(s->ssh)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	if (libssh2_knownhost_readfile(kh, o->known_hosts,
	    LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0) {
		libssh2_knownhost_free(kh);
		return (sftp_fail(s, cause, "cannot read known_hosts file %s",
		    o->known_hosts));
	}
	r = libssh2_knownhost_checkp(kh, o->target->host, o->target->port,
	    key, len, LIBSSH2_KNOWNHOST_TYPE_PLAIN |
	    LIBSSH2_KNOWNHOST_KEYENC_RAW | ktype, &found);
	libssh2_knownhost_free(kh);
	switch (r) {
	case LIBSSH2_KNOWNHOST_CHECK_MATCH:
		return (0);
	case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
		return (err_set(cause, FERRY_ERR_AUTH,
		    "%s port %d: HOST KEY MISMATCH: the server offers %s, "
		    "which is not the key %s lists for it; refusing (if the "
		    "server's key really changed, the studio's admin updates "
		    "that file)", s->host, o->target->port, s->fp,
		    o->known_hosts));
	case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
		return (err_set(cause, FERRY_ERR_AUTH,
		    "%s port %d: unknown host: its key %s is not in %s; "
		    "refusing (the admin adds it after checking the "
		    "fingerprint with the server's owner)", s->host,
		    o->target->port, s->fp, o->known_hosts));
	}
	return (err_set(cause, FERRY_ERR_AUTH,
	    "%s: the host key %s could not be checked against %s", s->host,
	    s->fp, o->known_hosts));
}

static int
sftp_login(struct sftp *s, const struct sftp_opts *o, char **cause)
{
	const struct sftp_target *t = o->target;

	if (libssh2_userauth_publickey_fromfile(s->ssh, t->user, NULL,
	    o->key_file, o->passphrase) != 0) {
		/* libssh2's message is kept out: it never holds the key. */
		(void)sftp_fail(s, NULL, "auth");
		return (err_set(cause, FERRY_ERR_AUTH,
		    "%s: the server refused %s's key %s (or the key or its "
		    "passphrase could not be used)", s->host, t->user,
		    o->key_file));
	}
	s->sftp = libssh2_sftp_init(s->ssh);
	if (s->sftp == NULL)
		return (sftp_fail(s, cause, "starting SFTP"));
	return (0);
}

static int
sftp_root_check(struct sftp *s, char **cause)
{
	LIBSSH2_SFTP_ATTRIBUTES	a;

	if (libssh2_sftp_stat(s->sftp, s->root, &a) != 0)
		return (sftp_fail(s, cause, "remote root %s", s->root));
	if (!LIBSSH2_SFTP_S_ISDIR(a.permissions))
		return (err_set(cause, FERRY_ERR_IO,
		    "%s: remote root %s is not a directory", s->host,
		    s->root));
	return (0);
}

int
sftp_connect(const struct sftp_opts *o, struct sftp **out, char **cause)
{
	struct sftp	*s;
	int		 r, tmo = o->timeout_ms > 0 ? o->timeout_ms :
			    SFTP_TIMEOUT_MS;

	pthread_once(&sftp_libssh2_once, sftp_libssh2_init);
	if (!sftp_libssh2_ready)
		return (err_set(cause, FERRY_ERR_CRYPTO,
		    "libssh2_init failed"));
	if ((s = calloc(1, sizeof *s)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	s->fd = -1;
	s->arena.next = s->arena.prev = &s->arena;
	s->tmo = tmo;
	s->recv_umask = o->recv_umask;
	s->rate = o->rate;
	s->rate_live = o->rate_live;
	s->progress = o->progress;
	s->progress_arg = o->progress_arg;
	s->abort = o->abort;
	s->host = strdup(o->target->host);
	s->root = strdup(o->target->root);
	if (s->host == NULL || s->root == NULL) {
		r = err_set(cause, FERRY_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((r = sftp_dial(o->target, tmo, &s->fd, cause)) != 0)
		goto out;
	if ((s->ssh = libssh2_session_init_ex(sftp_arena_alloc,
	    sftp_arena_free, sftp_arena_realloc, s)) == NULL) {
		r = err_set(cause, FERRY_ERR_NOMEM, "out of memory");
		goto out;
	}
	libssh2_session_set_blocking(s->ssh, 1);
	libssh2_session_set_timeout(s->ssh, tmo);
	if (libssh2_session_handshake(s->ssh, s->fd) != 0) {
		r = sftp_fail(s, cause, "SSH handshake");
		if (r == FERRY_ERR_IO)
			r = FERRY_ERR_UNREACHABLE;
		goto out;
	}
	if ((r = sftp_check_host(s, o, cause)) != 0 ||
	    (r = sftp_login(s, o, cause)) != 0 ||
	    (r = sftp_root_check(s, cause)) != 0)
		goto out;
	s->remote_hash = o->no_remote_hash ? 0 : sftp_verify_probe(s);
	*out = s;
	s = NULL;
out:
	sftp_free(s);
	return (r);
}

void
sftp_free(struct sftp *s)
{
	if (s == NULL)
		return;
	/* The goodbyes share one timeout; a dead socket fails them at once. */
	if (s->ssh != NULL)
		sftp_budget_start(s);
	if (s->sftp != NULL) {
		(void)sftp_budget(s);
		libssh2_sftp_shutdown(s->sftp);
	}
	if (s->ssh != NULL) {
		if (sftp_budget(s) == 0)
			libssh2_session_disconnect(s->ssh, "ferry: done");
		(void)sftp_budget(s);
		libssh2_session_free(s->ssh);
		sftp_arena_clear(s);
	}
	if (s->fd != -1)
		close(s->fd);
	free(s->host);
	free(s->root);
	free(s);
}

const char *
sftp_fingerprint(const struct sftp *s)
{
	return (s->fp);
}

int
sftp_has_remote_hash(const struct sftp *s)
{
	return (s->remote_hash);
}
