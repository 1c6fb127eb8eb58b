#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "err.h"
#include "identity.h"
#include "ossl-int.h"
#include "tls.h"

/*
 * AES-128-GCM first: with AES-NI it is the cheapest suite and its security
 * margin is ample. The others stay so that a peer without AES-NI can still
 * pick ChaCha20; the server's order wins.
 */
#define TLS_SUITES \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:" \
	"TLS_CHACHA20_POLY1305_SHA256"

#define TLS_VERSION_13	0x0304

struct tls_conn {
	SSL_CTX		*ctx;
	SSL		*ssl;
	int		 fd;
	int		 timeout_ms;
	int		 buffered;	/* a write buffer (tls_bulk) */
	uint8_t		 pinned[IDENTITY_FP_LEN];
	int		 any_key;		/* enrolment: nothing pinned */
	uint8_t		 own[IDENTITY_FP_LEN];	/* for "do you pin us?" */
	/* What went wrong during the handshake, for a precise cause. */
	int		 mismatch;		/* peer's key is not pinned */
	uint8_t		 seen[IDENTITY_FP_LEN];
	unsigned int	 old_version;		/* best version < 1.3 offered */
};

static long long
tls_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static const char *
tls_version_name(unsigned int v, char *s, size_t n)
{
	switch (v) {
	case 0x0300:
		return ("SSL 3.0");
	case 0x0301:
	case 0x0302:
	case 0x0303:
		snprintf(s, n, "TLS 1.%u", v - 0x0301);
		return (s);
	default:
		snprintf(s, n, "version 0x%04x", v);
		return (s);
	}
}

/*
 * Replaces chain verification: there is no CA, only the pinned key. The
 * handshake's CertificateVerify has already proved, or will prove, that the
 * peer holds the private key of this certificate.
 */
/*
 * Why NO_ATEXIT: ferryd's transfer threads are detached and may be in a
 * handshake when SIGTERM ends main. OpenSSL's atexit handler then deletes
 * its thread-local key, so a thread ending after it never frees its
 * per-thread random generator and error state (LeakSanitizer reported
 * them in CI's ASan pass of tests/security/vendor-push.sh). The process
 * is ending; the kernel frees the memory.
 */
int
tls_library_init(void)
{
	if (OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT |
	    OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS,
	    NULL) != 1)
		return (FERRY_ERR_CRYPTO);
	return (0);
}

static int
tls_verify_cb(X509_STORE_CTX *xs, void *arg)
{
	struct tls_conn	*c = arg;
	X509		*cert;

	if ((cert = X509_STORE_CTX_get0_cert(xs)) == NULL ||
	    identity_fp_of_cert(cert, c->seen, NULL) != 0) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_UNSPECIFIED);
		return (0);
	}
	if (!c->any_key &&
	    CRYPTO_memcmp(c->seen, c->pinned, IDENTITY_FP_LEN) != 0) {
		c->mismatch = 1;
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
		return (0);
	}
	return (1);
}

/* The highest version in a supported_versions extension, ignoring GREASE. */
static unsigned int
tls_best_offered(const unsigned char *ext, size_t len)
{
	unsigned int	v, best = 0;
	size_t		i;

	if (len < 1 || ext[0] != len - 1 || (len - 1) % 2 != 0)
		return (0);
	for (i = 1; i + 1 < len; i += 2) {
		v = (unsigned int)ext[i] << 8 | ext[i + 1];
		if ((v & 0x0f0f) == 0x0a0a)	/* GREASE (RFC 8701) */
			continue;
		if (v <= TLS_VERSION_13 && v > best)
			best = v;
	}
	return (best);
}

/*
 * Looks at what the client offers before OpenSSL does, so that an old
 * client is refused with its version named, not a generic failure.
 */
static int
tls_hello_cb(SSL *ssl, int *al, void *arg)
{
	struct tls_conn		*c = arg;
	const unsigned char	*ext;
	size_t			 len;
	unsigned int		 best;

	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_supported_versions,
	    &ext, &len))
		best = tls_best_offered(ext, len);
	else
		best = SSL_client_hello_get0_legacy_version(ssl);
	/* 0: nothing we can read; OpenSSL judges the hello itself. */
	if (best == TLS_VERSION_13 || best == 0)
		return (SSL_CLIENT_HELLO_SUCCESS);
	c->old_version = best;
	*al = SSL_AD_PROTOCOL_VERSION;
	return (SSL_CLIENT_HELLO_ERROR);
}

static int
tls_crypto_err(char **cause, const char *what)
{
	char	e[256];

	return (err_set(cause, FERRY_ERR_CRYPTO, "%s: %s", what,
	    ossl_err(e, sizeof e)));
}

static int
tls_ctx_setup(struct tls_conn *c, const struct identity *id, int server)
{
	SSL_CTX	*ctx = c->ctx;

	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_ciphersuites(ctx, TLS_SUITES) ||
	    SSL_CTX_use_certificate(ctx, identity_cert(id)) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, identity_key(id)) != 1)
		return (0);
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	/*
	 * Every connection proves both keys afresh: resumption would skip
	 * the pinned check, and nothing here reconnects often enough to
	 * need it.
	 */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (!SSL_CTX_set_num_tickets(ctx, 0))
		return (0);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, tls_verify_cb, c);
	if (server)
		SSL_CTX_set_client_hello_cb(ctx, tls_hello_cb, c);
	return (1);
}

static int
tls_new(int fd, const struct identity *id, const uint8_t *peer_fp,
    int timeout_ms, int server, struct tls_conn **out, char **cause)
{
	struct tls_conn	*c;
	int		 flags;

	*out = NULL;
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return (err_set(cause, FERRY_ERR_IO, "socket: %s",
		    strerror(errno)));
	if ((c = calloc(1, sizeof *c)) == NULL)
		return (FERRY_ERR_NOMEM);
	c->fd = fd;
	c->timeout_ms = timeout_ms;
	if (peer_fp != NULL)
		memcpy(c->pinned, peer_fp, IDENTITY_FP_LEN);
	else
		c->any_key = 1;
	memcpy(c->own, identity_fp(id), IDENTITY_FP_LEN);
	ERR_clear_error();
	if ((c->ctx = SSL_CTX_new(TLS_method())) == NULL ||
	    !tls_ctx_setup(c, id, server) ||
	    (c->ssl = SSL_new(c->ctx)) == NULL || !SSL_set_fd(c->ssl, fd)) {
		tls_free(c);
		return (tls_crypto_err(cause, "TLS set-up failed"));
	}
	if (server)
		SSL_set_accept_state(c->ssl);
	else
		SSL_set_connect_state(c->ssl);
	*out = c;
	return (0);
}

void
tls_free(struct tls_conn *c)
{
	if (c == NULL)
		return;
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	free(c);
}

/*
 * Waits for the socket to be ready as OpenSSL asked (sslerr is
 * SSL_ERROR_WANT_READ or _WRITE), at most ms milliseconds (< 0: for ever).
 */
static int
tls_wait(struct tls_conn *c, int sslerr, int ms)
{
	struct pollfd	pfd;
	long long	deadline = tls_now_ms() + ms;
	int		n;

	pfd.fd = c->fd;
	pfd.events = sslerr == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
	for (;;) {
		if ((n = poll(&pfd, 1, ms)) > 0)
			return (0);
		if (n == 0)
			return (FERRY_ERR_TIMEOUT);
		if (errno != EINTR)
			return (FERRY_ERR_IO);
		if (ms >= 0 && (ms = (int)(deadline - tls_now_ms())) < 0)
			ms = 0;
	}
}

static int
tls_alert_err(struct tls_conn *c, int reason, const char *what,
    char **cause)
{
	char	fp[IDENTITY_FP_STRLEN + 1];
	int	alert = reason - SSL_AD_REASON_OFFSET;

	if (alert == SSL_AD_PROTOCOL_VERSION)
		return (err_set(cause, FERRY_ERR_TLS, "%s: the peer refused "
		    "TLS 1.3 (alert \"%s\"), so it speaks only an older "
		    "version: TLS 1.3 is required", what,
		    SSL_alert_desc_string_long(alert)));
	identity_fp_format(c->own, fp);
	return (err_set(cause, FERRY_ERR_AUTH, "%s: the peer refused us "
	    "(alert \"%s\"): does it pin our fingerprint %s?", what,
	    SSL_alert_desc_string_long(alert), fp));
}

/* Turns what OpenSSL left behind into a code and a precise cause. */
static int
tls_fail(struct tls_conn *c, int sslerr, const char *what, char **cause)
{
	char		 want[IDENTITY_FP_STRLEN + 1];
	char		 got[IDENTITY_FP_STRLEN + 1];
	char		 e[256], v[32];
	unsigned long	 code;
	int		 reason, saved = errno;

	code = ERR_peek_error();
	reason = ERR_GET_REASON(code);
	if (c->mismatch) {
		ERR_clear_error();
		identity_fp_format(c->seen, got);
		identity_fp_format(c->pinned, want);
		return (err_set(cause, FERRY_ERR_AUTH, "%s: peer fingerprint "
		    "%s does not match the pinned %s", what, got, want));
	}
	if (c->old_version != 0) {
		ERR_clear_error();
		return (err_set(cause, FERRY_ERR_TLS, "%s: peer offered %s: "
		    "TLS 1.3 is required", what,
		    tls_version_name(c->old_version, v, sizeof v)));
	}
	if (sslerr == SSL_ERROR_ZERO_RETURN || (sslerr == SSL_ERROR_SYSCALL &&
	    code == 0 && saved == 0) ||
	    reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		ERR_clear_error();
		return (err_set(cause, FERRY_ERR_CLOSED, "%s: the peer closed "
		    "the connection", what));
	}
	if (sslerr == SSL_ERROR_SYSCALL && code == 0) {
		if (saved == ECONNRESET || saved == EPIPE)
			return (err_set(cause, FERRY_ERR_CLOSED, "%s: the peer "
			    "closed the connection (%s)", what,
			    strerror(saved)));
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", what,
		    strerror(saved)));
	}
	if (ERR_GET_LIB(code) == ERR_LIB_SSL && reason > SSL_AD_REASON_OFFSET) {
		ERR_clear_error();
		return (tls_alert_err(c, reason, what, cause));
	}
	if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
		ERR_clear_error();
		return (err_set(cause, FERRY_ERR_AUTH, "%s: the peer sent no "
		    "certificate", what));
	}
	if (reason == SSL_R_UNSUPPORTED_PROTOCOL ||
	    reason == SSL_R_WRONG_SSL_VERSION)
		return (err_set(cause, FERRY_ERR_TLS, "%s: the peer does not "
		    "speak TLS 1.3 (%s): TLS 1.3 is required", what,
		    ossl_err(e, sizeof e)));
	return (err_set(cause, FERRY_ERR_TLS, "%s: %s", what,
	    ossl_err(e, sizeof e)));
}

void
tls_set_idle(struct tls_conn *c, int timeout_ms)
{
	c->timeout_ms = timeout_ms;
}

/*
 * Runs one OpenSSL operation to completion, waiting on the socket as it
 * asks. With a deadline (handshake), the whole operation must finish by
 * then; without one, each wait may last timeout_ms (an idle timeout).
 * Returns the operation's positive result or a negative code.
 */
static int
tls_run(struct tls_conn *c, int (*op)(SSL *, void *, int), void *buf,
    int n, long long deadline, const char *what, char **cause)
{
	int	r, e, ms;

	for (;;) {
		ERR_clear_error();
		errno = 0;
		if ((r = op(c->ssl, buf, n)) > 0)
			return (r);
		e = SSL_get_error(c->ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return (tls_fail(c, e, what, cause));
		ms = c->timeout_ms > 0 ? c->timeout_ms : -1;
		if (deadline > 0 && (ms = (int)(deadline - tls_now_ms())) < 0)
			ms = 0;
		if ((r = tls_wait(c, e, ms)) == FERRY_ERR_TIMEOUT)
			return (err_set(cause, r, "%s: timed out after %d ms",
			    what, c->timeout_ms));
		if (r != 0)
			return (err_set(cause, r, "%s: poll: %s", what,
			    strerror(errno)));
	}
}

static int
tls_op_handshake(SSL *ssl, void *buf, int n)
{
	return (SSL_do_handshake(ssl));
}

static int
tls_op_read(SSL *ssl, void *buf, int n)
{
	return (SSL_read(ssl, buf, n));
}

static int
tls_op_write(SSL *ssl, void *buf, int n)
{
	return (SSL_write(ssl, buf, n));
}

static int
tls_open(int fd, const struct identity *id, const uint8_t *peer_fp,
    int timeout_ms, int server, struct tls_conn **out, char **cause)
{
	struct tls_conn	*c;
	long long	 deadline = 0;
	int		 r;

	*out = NULL;
	if ((r = tls_new(fd, id, peer_fp, timeout_ms, server, &c, cause)) != 0)
		return (r);
	if (timeout_ms > 0)
		deadline = tls_now_ms() + timeout_ms;
	if ((r = tls_run(c, tls_op_handshake, NULL, 0, deadline,
	    "TLS handshake", cause)) < 0) {
		tls_free(c);
		return (r);
	}
	*out = c;
	return (0);
}

int
tls_accept(int fd, const struct identity *id, const uint8_t *peer_fp,
    int timeout_ms, struct tls_conn **out, char **cause)
{
	return (tls_open(fd, id, peer_fp, timeout_ms, 1, out, cause));
}

int
tls_connect(int fd, const struct identity *id, const uint8_t *peer_fp,
    int timeout_ms, struct tls_conn **out, char **cause)
{
	return (tls_open(fd, id, peer_fp, timeout_ms, 0, out, cause));
}

const uint8_t *
tls_peer_fp(const struct tls_conn *c)
{
	return (c->seen);
}

int
tls_pending(const struct tls_conn *c)
{
	/* tls_bulk's read buffer holds records not yet decrypted too. */
	return (SSL_pending(c->ssl) > 0 || SSL_has_pending(c->ssl) ||
	    BIO_ctrl_pending(SSL_get_rbio(c->ssl)) > 0);
}

/*
 * Puts a buffering BIO of size bytes between ssl and its socket, on the
 * read side or the write side: 1, or 0 when it could not (no memory),
 * the socket then used as before.
 */
static int
tls_buffer(SSL *ssl, int reads, long size)
{
	BIO	*buf, *sock;

	buf = BIO_new(BIO_f_buffer());
	sock = reads ? SSL_get_rbio(ssl) : SSL_get_wbio(ssl);
	if (buf == NULL || sock == NULL || !BIO_up_ref(sock)) {
		BIO_free(buf);
		return (0);
	}
	if ((reads ? BIO_set_read_buffer_size(buf, size) :
	    BIO_set_write_buffer_size(buf, size)) <= 0) {
		BIO_free(buf);
		BIO_free(sock);
		return (0);
	}
	BIO_push(buf, sock);
	if (reads)
		SSL_set0_rbio(ssl, buf);
	else
		SSL_set0_wbio(ssl, buf);
	return (1);
}

void
tls_bulk(struct tls_conn *c)
{
	/*
	 * Records read 256 KiB at a time through a buffering BIO, OpenSSL
	 * taking each from it whole (no read-ahead of its own): with its
	 * read-ahead, OpenSSL moves all it holds beyond a record to the
	 * front of its buffer before each record (to align the next one's
	 * payload), 8 times the data for 256 KiB reads (16 GB of memmove
	 * for 2 GiB received; docs/benchmarks.md, "Reads into aligned
	 * memory"). Here each record is copied once, into OpenSSL's buffer.
	 */
	if (!tls_buffer(c->ssl, 1, 256 * 1024)) {
		/* No buffering BIO: OpenSSL's own read-ahead, as before. */
		SSL_set_default_read_buffer_len(c->ssl, 256 * 1024);
		SSL_set_read_ahead(c->ssl, 1);
	}
	SSL_set_mode(c->ssl, SSL_MODE_RELEASE_BUFFERS);
	/*
	 * Records gathered before they go to the socket: OpenSSL writes
	 * each 16 KiB record with a system call of its own otherwise.
	 * tls_write flushes before it returns.
	 */
	c->buffered = tls_buffer(c->ssl, 0, 256 * 1024);
}

/* Sends what the write buffer (tls_bulk) holds. */
static int
tls_flush(struct tls_conn *c, char **cause)
{
	BIO	*b = SSL_get_wbio(c->ssl);
	int	 r, ms;

	if (!c->buffered)
		return (0);
	for (;;) {
		ERR_clear_error();
		if ((r = (int)BIO_flush(b)) > 0)
			return (0);
		if (!BIO_should_retry(b))
			return (err_set(cause, FERRY_ERR_CLOSED, "TLS write: "
			    "the peer closed the connection (%s)",
			    strerror(errno)));
		ms = c->timeout_ms > 0 ? c->timeout_ms : -1;
		if ((r = tls_wait(c, SSL_ERROR_WANT_WRITE, ms)) != 0)
			return (err_set(cause, r, "TLS write: %s", r ==
			    FERRY_ERR_TIMEOUT ? "timed out" : strerror(errno)));
	}
}

int
tls_fd(const struct tls_conn *c)
{
	return (c->fd);
}

const uint8_t *
tls_own_fp(const struct tls_conn *c)
{
	return (c->own);
}

int
tls_export(struct tls_conn *c, const char *label, uint8_t *out, size_t n,
    char **cause)
{
	ERR_clear_error();
	if (SSL_export_keying_material(c->ssl, out, n, label, strlen(label),
	    NULL, 0, 0) != 1)
		return (tls_crypto_err(cause, "exporting keying material"));
	return (0);
}

/* OpenSSL counts in int: hand it at most this much per call. */
#define TLS_CHUNK	(1 << 30)

int
tls_read_some(struct tls_conn *c, void *buf, size_t n, size_t *got,
    char **cause)
{
	int	r;

	*got = 0;
	if (n == 0)
		return (0);
	if ((r = tls_run(c, tls_op_read, buf, n > TLS_CHUNK ? TLS_CHUNK :
	    (int)n, 0, "TLS read", cause)) < 0)
		return (r);
	*got = (size_t)r;
	return (0);
}

int
tls_read(struct tls_conn *c, void *buf, size_t n, char **cause)
{
	size_t	done = 0, got;
	int	r;

	while (done < n) {
		if ((r = tls_read_some(c, (char *)buf + done, n - done, &got,
		    cause)) != 0) {
			if (r == FERRY_ERR_CLOSED && done > 0)
				return (err_set(cause, r, "the peer closed the "
				    "connection after %zu of %zu bytes", done,
				    n));
			return (r);
		}
		done += got;
	}
	return (0);
}

int
tls_write(struct tls_conn *c, const void *buf, size_t n, char **cause)
{
	size_t	done = 0;
	int	r;

	/* Without partial-write mode, SSL_write sends all it is given. */
	while (done < n) {
		if ((r = tls_run(c, tls_op_write, (char *)buf + done,
		    n - done > TLS_CHUNK ? TLS_CHUNK : (int)(n - done), 0,
		    "TLS write", cause)) < 0)
			return (r);
		done += (size_t)r;
	}
	return (tls_flush(c, cause));
}

int
tls_shutdown(struct tls_conn *c, char **cause)
{
	int	r, e;

	ERR_clear_error();
	if ((r = SSL_shutdown(c->ssl)) >= 0)
		return (tls_flush(c, cause));
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
		/* Rare: the socket buffer is full; one bounded retry. */
		if (tls_wait(c, e, c->timeout_ms > 0 ? c->timeout_ms : -1) ==
		    0 && SSL_shutdown(c->ssl) >= 0)
			return (tls_flush(c, cause));
	}
	return (tls_fail(c, e, "TLS shutdown", cause));
}

const char *
tls_version(const struct tls_conn *c)
{
	return (SSL_get_version(c->ssl));
}

const char *
tls_cipher(const struct tls_conn *c)
{
	return (SSL_get_cipher_name(c->ssl));
}
