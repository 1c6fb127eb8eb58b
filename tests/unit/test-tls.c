/*
 * TLS with pinned fingerprints, over real TCP sockets on 127.0.0.1: the
 * server side runs in the main thread, the client side in another.
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "err.h"
#include "identity.h"
#include "tls.h"
#include "test.h"

#define TIMEOUT_MS	5000
#define BULK_LEN	(3 * 1024 * 1024 + 17)	/* beyond socket buffers */

static struct identity	*id_server, *id_client, *id_stranger;

enum peer_kind {
	PEER_FERRY,		/* our own tls_connect / tls_accept */
	PEER_TLS12,		/* plain OpenSSL, TLS 1.2 at most */
	PEER_NO_CERT		/* plain OpenSSL, TLS 1.3, no certificate */
};

/* What the other thread does, and how it went. */
struct peer {
	enum peer_kind		 kind;
	const struct identity	*id;
	const uint8_t		*pin;
	int			 port;
	int			 exchange;	/* do the bulk exchange */
	int			 rc;		/* handshake result */
	int			 rc_read;	/* first read after it */
	char			*cause;
	char			 version[32];
	char			 cipher[64];
	uint8_t			 ekm[32];	/* keying material exported */
	uint8_t			 seen[IDENTITY_FP_LEN];	/* server's key */
};

/* The server side's exporter output and the client key it saw. */
static uint8_t	srv_ekm[32], srv_seen[IDENTITY_FP_LEN];

static void
fill(uint8_t *p, size_t n, unsigned int seed)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = (uint8_t)(seed >> 16);
	}
}

static int
listen_local(int *port)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(fd, 4) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return (-1);
	}
	*port = ntohs(sin.sin_port);
	return (fd);
}

static int
connect_local(int port)
{
	struct sockaddr_in	sin;
	int			fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Bulk data one way, then back the other way, compared on both ends. */
static int
exchange(struct tls_conn *c, int client, char **cause)
{
	uint8_t	*mine, *theirs;
	int	 r;

	mine = malloc(BULK_LEN);
	theirs = malloc(BULK_LEN);
	fill(mine, BULK_LEN, client ? 1 : 2);
	if (client) {
		if ((r = tls_write(c, mine, BULK_LEN, cause)) == 0)
			r = tls_read(c, theirs, BULK_LEN, cause);
	} else {
		if ((r = tls_read(c, theirs, BULK_LEN, cause)) == 0)
			r = tls_write(c, mine, BULK_LEN, cause);
	}
	if (r == 0) {
		fill(mine, BULK_LEN, client ? 2 : 1);
		if (memcmp(mine, theirs, BULK_LEN) != 0)
			r = FERRY_ERR_INTERNAL;
	}
	free(mine);
	free(theirs);
	return (r);
}

/* A deliberately old or certificate-less client, with plain OpenSSL. */
static int
raw_client(int fd, struct peer *p)
{
	SSL_CTX	*ctx;
	SSL	*ssl;
	int	 r;

	ctx = SSL_CTX_new(TLS_client_method());
	if (p->kind == PEER_TLS12) {
		SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
		SSL_CTX_use_certificate(ctx, identity_cert(p->id));
		SSL_CTX_use_PrivateKey(ctx, identity_key(p->id));
	}
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	r = SSL_connect(ssl);
	if (r == 1) {
		/* A TLS 1.3 server may refuse us only after this. */
		char	b;

		r = SSL_read(ssl, &b, 1) > 0 ? 1 : -1;
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return (r == 1 ? 0 : FERRY_ERR_TLS);
}

static void *
client_main(void *arg)
{
	struct peer	*p = arg;
	struct tls_conn	*c = NULL;
	char		 b;
	int		 fd;

	if ((fd = connect_local(p->port)) == -1) {
		p->rc = FERRY_ERR_IO;
		return (NULL);
	}
	if (p->kind != PEER_FERRY) {
		p->rc = raw_client(fd, p);
		close(fd);
		return (NULL);
	}
	p->rc = tls_connect(fd, p->id, p->pin, TIMEOUT_MS, &c, &p->cause);
	if (p->rc == 0) {
		snprintf(p->version, sizeof p->version, "%s", tls_version(c));
		snprintf(p->cipher, sizeof p->cipher, "%s", tls_cipher(c));
		tls_export(c, "ferry test", p->ekm, sizeof p->ekm, NULL);
		memcpy(p->seen, tls_peer_fp(c), IDENTITY_FP_LEN);
		if (p->exchange) {
			p->rc_read = exchange(c, 1, &p->cause);
			tls_shutdown(c, NULL);
		} else
			p->rc_read = tls_read(c, &b, 1, &p->cause);
	}
	tls_free(c);
	close(fd);
	return (NULL);
}

/*
 * Runs one connection: client in a thread as *cp says, server here with
 * pin. Returns the server's handshake result; *srv_cause gets its cause.
 */
static int
run(struct peer *cp, const uint8_t *pin, int do_exchange, char **srv_cause)
{
	pthread_t	 t;
	struct tls_conn	*c = NULL;
	char		 b;
	int		 lfd, fd, r;

	if ((lfd = listen_local(&cp->port)) == -1)
		TEST_SKIP("cannot listen on 127.0.0.1");
	cp->exchange = do_exchange;
	if (pthread_create(&t, NULL, client_main, cp) != 0)
		TEST_SKIP("cannot start a thread");
	fd = accept(lfd, NULL, NULL);
	close(lfd);
	ASSERT_TRUE(fd != -1);
	r = tls_accept(fd, id_server, pin, TIMEOUT_MS, &c, srv_cause);
	if (r == 0) {
		tls_export(c, "ferry test", srv_ekm, sizeof srv_ekm, NULL);
		memcpy(srv_seen, tls_peer_fp(c), IDENTITY_FP_LEN);
	}
	if (r == 0 && do_exchange) {
		ASSERT_STR_EQ(tls_version(c), "TLSv1.3");
		ASSERT_STR_EQ(tls_cipher(c), "TLS_AES_128_GCM_SHA256");
		ASSERT_INT_EQ(exchange(c, 0, srv_cause), 0);
		/* The client's close_notify ends the stream cleanly. */
		ASSERT_INT_EQ(tls_read(c, &b, 1, srv_cause), FERRY_ERR_CLOSED);
	}
	tls_free(c);
	close(fd);
	pthread_join(t, NULL);
	return (r);
}

static struct peer
peer(enum peer_kind kind, const struct identity *id, const uint8_t *pin)
{
	struct peer	p;

	memset(&p, 0, sizeof p);
	p.kind = kind;
	p.id = id;
	p.pin = pin;
	return (p);
}

/* The causes go to the test log, so that a reader can judge their wording. */
static void
show(const char *test, const char *srv, const char *cli)
{
	fprintf(stderr, "%s:\n  server: %s\n  client: %s\n", test,
	    srv != NULL ? srv : "-", cli != NULL ? cli : "-");
}

static void
test_good(void)
{
	struct peer	 p = peer(PEER_FERRY, id_client,
	    identity_fp(id_server));
	char		*cause = NULL;

	ASSERT_INT_EQ(run(&p, identity_fp(id_client), 1, &cause), 0);
	ASSERT_INT_EQ(p.rc, 0);
	ASSERT_INT_EQ(p.rc_read, 0);
	ASSERT_STR_EQ(p.version, "TLSv1.3");
	ASSERT_STR_EQ(p.cipher, "TLS_AES_128_GCM_SHA256");
	show("good", cause, p.cause);
	free(p.cause);
	free(cause);
}

static void
want_mismatch(const char *cause, const struct identity *seen,
    const uint8_t *pinned)
{
	char	s[IDENTITY_FP_STRLEN + 1], want[256];
	char	pin[IDENTITY_FP_STRLEN + 1];

	identity_fp_format(identity_fp(seen), s);
	identity_fp_format(pinned, pin);
	snprintf(want, sizeof want, "peer fingerprint %s does not match the "
	    "pinned %s", s, pin);
	ASSERT_STR_CONTAINS(cause, want);
}

/* The client expects someone else: it refuses, and the server hears so. */
/*
 * Enrolment mode: a server that pins nothing accepts any key, reports the
 * one it saw, and both ends export the same keying material, which a
 * man in the middle (two separate TLS sessions) could not.
 */
static void
test_any_key(void)
{
	struct peer	 p = peer(PEER_FERRY, id_stranger,
	    identity_fp(id_server));
	char		*cause = NULL;

	ASSERT_INT_EQ(run(&p, NULL, 1, &cause), 0);
	ASSERT_INT_EQ(p.rc, 0);
	ASSERT_TRUE(memcmp(srv_seen, identity_fp(id_stranger),
	    IDENTITY_FP_LEN) == 0);
	ASSERT_TRUE(memcmp(p.seen, identity_fp(id_server),
	    IDENTITY_FP_LEN) == 0);
	ASSERT_TRUE(memcmp(p.ekm, srv_ekm, sizeof srv_ekm) == 0);
	ASSERT_TRUE(memcmp(p.ekm, "\0\0\0\0\0\0\0\0", 8) != 0);
	show("any key", cause, p.cause);
	free(p.cause);
	free(cause);
}

static void
test_client_pins_other(void)
{
	struct peer	 p = peer(PEER_FERRY, id_client,
	    identity_fp(id_stranger));
	char		*cause = NULL;

	ASSERT_INT_EQ(run(&p, identity_fp(id_client), 0, &cause),
	    FERRY_ERR_AUTH);
	ASSERT_STR_CONTAINS(cause, "the peer refused us");
	ASSERT_INT_EQ(p.rc, FERRY_ERR_AUTH);
	want_mismatch(p.cause, id_server, identity_fp(id_stranger));
	show("client_pins_other", cause, p.cause);
	free(p.cause);
	free(cause);
}

/* The server expects someone else: both ends fail. */
static void
test_server_pins_other(void)
{
	struct peer	 p = peer(PEER_FERRY, id_client,
	    identity_fp(id_server));
	char		*cause = NULL;

	ASSERT_INT_EQ(run(&p, identity_fp(id_stranger), 0, &cause),
	    FERRY_ERR_AUTH);
	want_mismatch(cause, id_client, identity_fp(id_stranger));
	/* TLS 1.3: the client hears of it on its first read. */
	ASSERT_TRUE(p.rc == FERRY_ERR_AUTH || p.rc_read == FERRY_ERR_AUTH);
	ASSERT_STR_CONTAINS(p.cause, "the peer refused us");
	show("server_pins_other", cause, p.cause);
	free(p.cause);
	free(cause);
}

/* A key the server has never heard of, presented as if it were pinned. */
static void
test_unknown_key(void)
{
	struct peer	 p = peer(PEER_FERRY, id_stranger,
	    identity_fp(id_server));
	char		*cause = NULL;

	ASSERT_INT_EQ(run(&p, identity_fp(id_client), 0, &cause),
	    FERRY_ERR_AUTH);
	want_mismatch(cause, id_stranger, identity_fp(id_client));
	ASSERT_TRUE(p.rc == FERRY_ERR_AUTH || p.rc_read == FERRY_ERR_AUTH);
	show("unknown_key", cause, p.cause);
	free(p.cause);
	free(cause);
}

static void
test_tls12_client(void)
{
	struct peer	 p = peer(PEER_TLS12, id_client, NULL);
	char		*cause = NULL;

	ASSERT_INT_EQ(run(&p, identity_fp(id_client), 0, &cause),
	    FERRY_ERR_TLS);
	ASSERT_STR_CONTAINS(cause, "peer offered TLS 1.2: TLS 1.3 is required");
	ASSERT_INT_EQ(p.rc, FERRY_ERR_TLS);
	show(__func__, cause, NULL);
	free(cause);
}

static void
test_no_cert_client(void)
{
	struct peer	 p = peer(PEER_NO_CERT, NULL, NULL);
	char		*cause = NULL;

	ASSERT_INT_EQ(run(&p, identity_fp(id_client), 0, &cause),
	    FERRY_ERR_AUTH);
	ASSERT_STR_CONTAINS(cause, "the peer sent no certificate");
	ASSERT_INT_EQ(p.rc, FERRY_ERR_TLS);
	show(__func__, cause, NULL);
	free(cause);
}

/* Our client against a server that stops at TLS 1.2. */
static void *
tls12_server_main(void *arg)
{
	int	*fdp = arg;
	SSL_CTX	*ctx;
	SSL	*ssl;

	ctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_use_certificate(ctx, identity_cert(id_server));
	SSL_CTX_use_PrivateKey(ctx, identity_key(id_server));
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, *fdp);
	*fdp = SSL_accept(ssl) == 1 ? 0 : -1;
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return (NULL);
}

static void
test_tls12_server(void)
{
	struct tls_conn	*c = NULL;
	pthread_t	 t;
	char		*cause = NULL;
	int		 sv[2], srv;

	ASSERT_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	srv = sv[1];
	pthread_create(&t, NULL, tls12_server_main, &srv);
	ASSERT_INT_EQ(tls_connect(sv[0], id_client, identity_fp(id_server),
	    TIMEOUT_MS, &c, &cause), FERRY_ERR_TLS);
	ASSERT_STR_CONTAINS(cause, "TLS 1.3 is required");
	show(__func__, NULL, cause);
	close(sv[0]);
	pthread_join(t, NULL);
	ASSERT_INT_EQ(srv, -1);
	close(sv[1]);
	free(cause);
}

/* A peer that connects and says nothing is dropped after the timeout. */
static void
test_timeout(void)
{
	struct tls_conn	*c = NULL;
	char		*cause = NULL;
	int		 sv[2];

	ASSERT_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ASSERT_INT_EQ(tls_accept(sv[0], id_server, identity_fp(id_client),
	    200, &c, &cause), FERRY_ERR_TIMEOUT);
	ASSERT_STR_CONTAINS(cause, "TLS handshake: timed out after 200 ms");
	ASSERT_TRUE(c == NULL);
	close(sv[0]);
	close(sv[1]);
	free(cause);
}

/* A peer that hangs up mid-handshake. */
static void
test_closed(void)
{
	struct tls_conn	*c = NULL;
	char		*cause = NULL;
	int		 sv[2];

	ASSERT_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	ASSERT_INT_EQ(tls_connect(sv[0], id_client, identity_fp(id_server),
	    TIMEOUT_MS, &c, &cause), FERRY_ERR_CLOSED);
	show(__func__, NULL, cause);
	close(sv[0]);
	free(cause);
}

int
main(void)
{
	/* As tls.h asks of its callers. */
	signal(SIGPIPE, SIG_IGN);
	if (identity_generate("server", &id_server, NULL) != 0 ||
	    identity_generate("client", &id_client, NULL) != 0 ||
	    identity_generate("stranger", &id_stranger, NULL) != 0)
		TEST_SKIP("cannot generate identities");
	test_good();
	test_any_key();
	test_client_pins_other();
	test_server_pins_other();
	test_unknown_key();
	test_tls12_client();
	test_no_cert_client();
	test_tls12_server();
	test_timeout();
	test_closed();
	identity_free(id_server);
	identity_free(id_client);
	identity_free(id_stranger);
	return (TEST_DONE());
}
