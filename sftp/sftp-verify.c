/*
 * Verifying a file, or the prefix of one being resumed: by the server's
 * own sha256sum when it runs commands for us (one exec over the session,
 * nothing read back) and the length is worth a command, otherwise by
 * reading the bytes back over SFTP and comparing their xxh3-128
 * (transfer/hash) with ours.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "hash-int.h"
#include "hex.h"
#include "iobuf-int.h"
#include "sftp-int.h"

#define SFTP_SHA_LEN	32

/* path in single quotes for the remote shell ("'" as '\''). */
static int
sftp_quote(struct buf *b, const char *path)
{
	const char	*p;
	int		 r = buf_addch(b, '\'');

	for (p = path; r == 0 && *p != '\0'; p++)
		r = *p == '\'' ? buf_addstr(b, "'\\''") : buf_addch(b, *p);
	return (r != 0 ? r : buf_addch(b, '\''));
}

/* Starts cmd on the server; sftp_shell_finish collects it. */
static int
sftp_shell_start(struct sftp *s, const char *cmd, LIBSSH2_CHANNEL **out,
    char **cause)
{
	LIBSSH2_CHANNEL	*ch;
	int		 r;

	if ((ch = libssh2_channel_open_session(s->ssh)) == NULL)
		return (sftp_fail(s, cause, "opening a channel"));
	if (libssh2_channel_exec(ch, cmd) != 0) {
		r = sftp_fail(s, cause, "running a command");
		libssh2_channel_free(ch);
		return (r);
	}
	*out = ch;
	return (0);
}

/*
 * The first outsz - 1 bytes of the command's output in out, and the
 * channel freed. Returns 0 only when the command exited 0.
 */
static int
sftp_shell_finish(struct sftp *s, LIBSSH2_CHANNEL *ch, char *out,
    size_t outsz, char **cause)
{
	char		 junk[256];
	size_t		 have = 0;
	ssize_t		 n;
	int64_t		 moved = clock_ms();
	int		 r = 0, st;

	for (;;) {
		if (have + 1 < outsz)
			n = libssh2_channel_read(ch, out + have,
			    outsz - 1 - have);
		else
			n = libssh2_channel_read(ch, junk, sizeof junk);
		if (n < 0) {
			r = sftp_fail(s, cause, "reading a command's output");
			goto out;
		}
		if (n == 0 && libssh2_channel_eof(ch))
			break;
		/* A closed channel without an EOF reads 0 bytes forever. */
		if (n > 0)
			moved = clock_ms();
		else if ((r = sftp_stalled(s, moved, "reading a command's "
		    "output", cause)) != 0)
			goto out;
		if (have + 1 < outsz)
			have += (size_t)n;
	}
	out[have] = '\0';
	libssh2_channel_close(ch);
	libssh2_channel_wait_closed(ch);
	st = libssh2_channel_get_exit_status(ch);
	if (st != 0)
		r = err_set(cause, FERRY_ERR_IO, "%s: a command exited %d",
		    s->host, st);
out:
	libssh2_channel_free(ch);
	return (r);
}

static int
sftp_shell_run(struct sftp *s, const char *cmd, char *out, size_t outsz,
    char **cause)
{
	LIBSSH2_CHANNEL	*ch;
	int		 r;

	if ((r = sftp_shell_start(s, cmd, &ch, cause)) != 0)
		return (r);
	return (sftp_shell_finish(s, ch, out, outsz, cause));
}

/* SHA-256 of the first len bytes of fd. */
static int
sftp_sha256_fd(int fd, uint64_t len, uint8_t out[SFTP_SHA_LEN])
{
	EVP_MD_CTX	*c;
	char		*b;
	uint64_t	 off = 0;
	ssize_t		 n;
	int		 r = FERRY_ERR_NOMEM;

	c = EVP_MD_CTX_new();
	b = iobuf_alloc(SFTP_CHUNK);
	if (c == NULL || b == NULL ||
	    EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		goto out;
	r = FERRY_ERR_IO;
	while (off < len) {
		n = pread(fd, b, len - off < SFTP_CHUNK ? len - off :
		    SFTP_CHUNK, (off_t)off);
		if (n <= 0)
			goto out;
		EVP_DigestUpdate(c, b, (size_t)n);
		off += (uint64_t)n;
	}
	r = EVP_DigestFinal_ex(c, out, NULL) == 1 ? 0 : FERRY_ERR_CRYPTO;
out:
	EVP_MD_CTX_free(c);
	free(b);
	return (r);
}

/* Starts the server's SHA-256 of the first len bytes of path. */
static int
sftp_sha256_start(struct sftp *s, const char *path, uint64_t len,
    LIBSSH2_CHANNEL **ch, char **cause)
{
	struct buf	 b;
	int		 r;

	buf_init(&b, 65536);
	r = buf_printf(&b, "head -c %llu -- ", (unsigned long long)len);
	if (r == 0)
		r = sftp_quote(&b, path);
	if (r == 0)
		r = buf_addstr(&b, " | sha256sum");
	if (r == 0)
		r = sftp_shell_start(s, buf_str(&b), ch, cause);
	else
		r = err_set(cause, FERRY_ERR_NOMEM, "out of memory");
	buf_free(&b);
	return (r);
}

/* The hash sftp_sha256_start asked for, from sha256sum's text. */
static int
sftp_sha256_finish(struct sftp *s, LIBSSH2_CHANNEL *ch, const char *path,
    uint8_t out[SFTP_SHA_LEN], char **cause)
{
	char	text[128];
	int	r;

	if ((r = sftp_shell_finish(s, ch, text, sizeof text, cause)) != 0)
		return (r);
	text[2 * SFTP_SHA_LEN] = '\0';
	if (strlen(text) != 2 * SFTP_SHA_LEN ||
	    hex_decode(text, out, SFTP_SHA_LEN) != 0)
		return (err_set(cause, FERRY_ERR_PROTO,
		    "%s: sha256sum gave no hash for %s", s->host, path));
	return (0);
}

/*
 * Whether the server computes hashes for us: "fer" hashed remotely must
 * be what we compute here (a restricted shell, a ForceCommand
 * internal-sftp, or a missing sha256sum all say no).
 */
int
sftp_verify_probe(struct sftp *s)
{
	uint8_t		 want[SFTP_SHA_LEN], got[SFTP_SHA_LEN];
	char		 text[128];
	unsigned int	 n;

	if (sftp_shell_run(s, "printf ferry | head -c 3 | sha256sum", text,
	    sizeof text, NULL) != 0)
		return (0);
	text[2 * SFTP_SHA_LEN] = '\0';
	if (hex_decode(text, got, SFTP_SHA_LEN) != 0 ||
	    EVP_Digest("fer", 3, want, &n, EVP_sha256(), NULL) != 1)
		return (0);
	return (memcmp(want, got, SFTP_SHA_LEN) == 0);
}

/* Reads back the first len bytes of path and hashes them into h. */
static int
sftp_read_back(struct sftp *s, const char *path, uint64_t len,
    struct hash *h, struct sftp_stats *st, char **cause)
{
	LIBSSH2_SFTP_HANDLE	*fh;
	char			*b;
	uint64_t		 off = 0;
	ssize_t			 n;
	int			 r = 0;

	if ((b = malloc(SFTP_CHUNK)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	fh = libssh2_sftp_open(s->sftp, path, LIBSSH2_FXF_READ, 0);
	if (fh == NULL) {
		free(b);
		return (sftp_fail(s, cause, "reading back %s", path));
	}
	while (off < len) {
		n = libssh2_sftp_read(fh, b, len - off < SFTP_CHUNK ?
		    len - off : SFTP_CHUNK);
		if (n < 0) {
			r = sftp_fail(s, cause, "reading back %s", path);
			break;
		}
		if (n == 0) {
			r = FERRY_ERR_NOTFOUND;	/* shorter: a mismatch */
			break;
		}
		hash_update(h, b, (size_t)n);
		off += (uint64_t)n;
		st->verified += (uint64_t)n;
	}
	libssh2_sftp_close(fh);
	free(b);
	return (r);
}

static int
sftp_verify_read_back(struct sftp *s, const char *path, int fd,
    uint64_t len, struct sftp_stats *st, char **cause)
{
	struct hash	*mine, *theirs;
	uint8_t		 a[HASH_LEN], b[HASH_LEN];
	int		 r;

	mine = hash_new();
	theirs = hash_new();
	if (mine == NULL || theirs == NULL) {
		r = err_set(cause, FERRY_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((r = hash_fd_prefix(mine, fd, len)) != 0) {
		r = err_set(cause, r, "reading the local file: %s",
		    strerror(errno));
		goto out;
	}
	r = sftp_read_back(s, path, len, theirs, st, cause);
	if (r == FERRY_ERR_NOTFOUND)
		r = 1;
	if (r == 0) {
		hash_digest(mine, a);
		hash_digest(theirs, b);
		r = memcmp(a, b, HASH_LEN) != 0;
	}
out:
	hash_free(mine);
	hash_free(theirs);
	return (r);
}

/*
 * Whether the first len bytes of remote path and local fd agree: 0 when
 * they do, 1 when they differ, or an error.
 */
int
sftp_verify(struct sftp *s, const char *path, int fd, uint64_t len,
    struct sftp_stats *st, char **cause)
{
	LIBSSH2_CHANNEL	*ch;
	uint8_t		 a[SFTP_SHA_LEN], b[SFTP_SHA_LEN];
	int		 r, mine;

	if (!s->remote_hash || len < SFTP_REMOTE_HASH_MIN)
		return (sftp_verify_read_back(s, path, fd, len, st, cause));
	st->remote_hash = 1;
	/* Both sides hash at once: the server's answer is read after. */
	if ((r = sftp_sha256_start(s, path, len, &ch, cause)) != 0)
		return (r);
	mine = sftp_sha256_fd(fd, len, a);
	if ((r = sftp_sha256_finish(s, ch, path, b, cause)) != 0)
		return (r);
	if (mine != 0)
		return (err_set(cause, mine, "hashing the local file: %s",
		    strerror(errno)));
	return (memcmp(a, b, SFTP_SHA_LEN) != 0);
}

/* mv -f on the server: rename(2), which replaces to atomically. */
int
sftp_shell_mv(struct sftp *s, const char *from, const char *to,
    char **cause)
{
	struct buf	b;
	char		out[8];
	int		r;

	buf_init(&b, 65536);
	r = buf_addstr(&b, "mv -f -- ");
	if (r == 0)
		r = sftp_quote(&b, from);
	if (r == 0)
		r = buf_addch(&b, ' ');
	if (r == 0)
		r = sftp_quote(&b, to);
	if (r == 0)
		r = sftp_shell_run(s, buf_str(&b), out, sizeof out, cause);
	else
		r = err_set(cause, FERRY_ERR_NOMEM, "out of memory");
	buf_free(&b);
	return (r);
}

/*
 * Where a partial file of len bytes (of size) is resumed from: len when
 * its prefix agrees with the other side, else 0 (start again).
 */
int
sftp_verify_resume(struct sftp *s, const char *rpath, int fd, uint64_t len,
    uint64_t size, uint64_t *off, struct sftp_stats *st, char **cause)
{
	int	r;

	*off = 0;
	if (len == 0 || len > size)
		return (0);
	if ((r = sftp_verify(s, rpath, fd, len, st, cause)) < 0)
		return (r);
	if (r == 0)
		*off = len;
	return (0);
}
