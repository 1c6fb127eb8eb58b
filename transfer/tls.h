/*
 * TLS 1.3 with mutual authentication by pinned key fingerprints, over a
 * socket the caller has already connected or accepted. There is no CA:
 * each side presents its identity's self-signed certificate, and accepts
 * the peer only if the fingerprint of the peer's public key (see
 * identity.h) equals the one it was told to expect. TLS 1.2 and older are
 * refused. The cipher suite preferred is TLS_AES_128_GCM_SHA256.
 *
 * I/O looks blocking to the caller and is bounded by a timeout: the
 * handshake must finish within timeout_ms in all, and tls_read/tls_write
 * fail when the peer makes no progress for timeout_ms. A timeout_ms of 0
 * or less waits for ever.
 *
 * The socket is switched to non-blocking mode and must be used only
 * through this connection until tls_free; closing it stays the caller's
 * job. Writing to a socket the peer has closed raises SIGPIPE: programs
 * using this library ignore SIGPIPE (ferry's programs do at start-up).
 *
 * In TLS 1.3 the client completes its handshake before the server has
 * checked the client's certificate. If the server refuses it, the client
 * learns so on its first tls_read, as FERRY_ERR_AUTH.
 *
 * Library tier: functions return 0 or a negative FERRY_ERR_* code and, when
 * a cause pointer is given, a newly allocated message the caller frees.
 * Codes: FERRY_ERR_AUTH (fingerprint mismatch, no certificate, refused by
 * the peer), FERRY_ERR_TLS (protocol version, other handshake failures),
 * FERRY_ERR_TIMEOUT, FERRY_ERR_CLOSED (the peer closed or vanished),
 * FERRY_ERR_IO, FERRY_ERR_CRYPTO, FERRY_ERR_NOMEM.
 */
#ifndef FERRY_TLS_H
#define FERRY_TLS_H

#include <stddef.h>
#include <stdint.h>

struct identity;
struct tls_conn;

/*
 * Call first, before any other OpenSSL use, in a program whose threads
 * may still be in TLS when it exits (ferryd, ferry-peer): OpenSSL then
 * keeps its state until the process ends instead of freeing it from an
 * atexit handler under those threads. Returns 0 or FERRY_ERR_CRYPTO.
 */
int	 tls_library_init(void);

/*
 * Runs the server (tls_accept) or client (tls_connect) side of the
 * handshake on fd as id, expecting a peer whose fingerprint is
 * peer_fp[IDENTITY_FP_LEN]. id must outlive the connection.
 *
 * peer_fp NULL accepts any key: only for enrolment, where the caller
 * authenticates the peer another way before trusting it (see
 * tls_peer_fp and tls_export).
 */
int	 tls_accept(int fd, const struct identity *id, const uint8_t *peer_fp,
	     int timeout_ms, struct tls_conn **out, char **cause);
int	 tls_connect(int fd, const struct identity *id, const uint8_t *peer_fp,
	     int timeout_ms, struct tls_conn **out, char **cause);

/* Reads exactly n bytes. FERRY_ERR_CLOSED if the peer closes first. */
int	 tls_read(struct tls_conn *c, void *buf, size_t n, char **cause);
/* Reads between 1 and n bytes, whatever is there first, into *got. */
int	 tls_read_some(struct tls_conn *c, void *buf, size_t n, size_t *got,
	     char **cause);
/* Writes exactly n bytes. */
int	 tls_write(struct tls_conn *c, const void *buf, size_t n,
	     char **cause);
/*
 * Sends close_notify, so that the peer can tell the end of the stream from
 * a cut connection. Does not wait for the peer's own close_notify.
 */
int	 tls_shutdown(struct tls_conn *c, char **cause);
/* Frees c (NULL is fine). Leaves fd open. */
void	 tls_free(struct tls_conn *c);

/*
 * Changes how long tls_read/tls_write wait for the peer's progress from
 * now on (0 or less: for ever); the handshake's timeout_ms is spent.
 */
void	 tls_set_idle(struct tls_conn *c, int timeout_ms);

/* The fingerprint of the key the peer presented (IDENTITY_FP_LEN bytes). */
const uint8_t	*tls_peer_fp(const struct tls_conn *c);
/*
 * Whether decrypted bytes wait inside the connection: poll(2) on the
 * socket would not see them.
 */
int		 tls_pending(const struct tls_conn *c);
/*
 * For a connection that moves bulk data: OpenSSL then reads many records
 * per system call (one per 16 KiB record, two calls each, was a third of
 * a receiver's system time for a large file).
 */
void		 tls_bulk(struct tls_conn *c);
/* The connection's socket, for TCP_INFO (the round trip it measured). */
int		 tls_fd(const struct tls_conn *c);
/* The fingerprint of our own key on this connection. */
const uint8_t	*tls_own_fp(const struct tls_conn *c);
/*
 * RFC 8446 keying material exporter: n bytes that only the two ends of
 * this connection can compute, for binding a secret to the channel.
 */
int	 tls_export(struct tls_conn *c, const char *label, uint8_t *out,
	     size_t n, char **cause);

/* For logs: "TLSv1.3", "TLS_AES_128_GCM_SHA256". */
const char	*tls_version(const struct tls_conn *c);
const char	*tls_cipher(const struct tls_conn *c);

#endif
