/*
 * An SFTP endpoint for ferry: an agentless vendor's server, reached with
 * libssh2 as a client. This header is the library's API; sftp-int.h is for
 * its own files.
 *
 * Trust: the server's host key is always checked against a known_hosts
 * file (an unknown host or another key is a refusal naming the host and
 * the key's SHA256 fingerprint, never a prompt); every remote path is a
 * relative name below the configured remote root, checked as the receiver
 * checks names (tree.h), and each component on the server is looked at
 * with lstat: a symlink is refused, wherever it points. A file is written
 * to a hidden temporary name beside its final one, verified whole, and
 * only then renamed into place, on either side.
 *
 * Like every ferry library it never prints or exits: functions return 0
 * or a FERRY_ERR_* code with a cause (err.h). The passphrase is never part
 * of a cause.
 */
#ifndef FERRY_SFTP_H
#define FERRY_SFTP_H

#include <stdatomic.h>
#include <stdint.h>

/* USER@HOST[:PORT]:ROOT, HOST possibly "[v6 address]". */
struct sftp_target {
	char	*user;
	char	*host;
	int	 port;
	char	*root;
};

/*
 * Parses spec into t (strings allocated; sftp_target_clear frees them).
 * ROOT must be absolute ("/srv/vendor") or start below the login's home
 * ("incoming"); it must not contain "..".
 */
int	sftp_target_parse(const char *spec, struct sftp_target *t,
	    char **cause);
void	sftp_target_clear(struct sftp_target *t);

struct sftp_opts {
	const struct sftp_target *target;
	const char	*key_file;	/* private key (OpenSSH or PEM) */
	const char	*passphrase;	/* NULL: the key is not encrypted */
	const char	*known_hosts;	/* OpenSSH format; hashed names work */
	int		 timeout_ms;	/* each blocking step; 0: 30 s */
	int		 no_remote_hash; /* verify by reading back, always */
	uint64_t	 rate;		/* bytes per second; 0: no cap */
	/*
	 * If set, the cap read before each chunk instead of rate, so that
	 * another thread (a transfer window's edge) changes it mid-file.
	 */
	const _Atomic uint64_t *rate_live;
	/*
	 * Called after each chunk of a file's content with the bytes of it
	 * now at the far end (a resumed prefix included) and its size, so
	 * that a daemon can show progress and tell a slow file from a stuck
	 * one; NULL: none.
	 */
	void		(*progress)(uint64_t done, uint64_t size, void *arg);
	void		*progress_arg;
	/* Set (by another thread) to stop a file: FERRY_ERR_CANCELLED. */
	volatile int	*abort;
	/*
	 * Pull: bits taken from the server's mode of each file, besides the
	 * setuid, setgid, sticky and others' write bits always taken, and
	 * from the 0755 of the directories made on the way (a receiver's
	 * receive-umask, 0-077).
	 */
	unsigned	 recv_umask;
};

struct sftp;

/*
 * Connects, checks the host key, authenticates with the key and starts
 * SFTP; then looks whether the server runs sha256sum for us (the remote
 * hash) and whether the root is a directory. Refusals: FERRY_ERR_AUTH
 * (host key unknown or different, user key refused), FERRY_ERR_UNREACHABLE,
 * FERRY_ERR_TIMEOUT.
 */
int	sftp_connect(const struct sftp_opts *o, struct sftp **out,
	    char **cause);
void	sftp_free(struct sftp *s);

/* The host key's fingerprint as OpenSSH prints it ("SHA256:..."). */
const char *sftp_fingerprint(const struct sftp *s);

/* Whether files are verified by the server's sha256sum (else read back). */
int	sftp_has_remote_hash(const struct sftp *s);

struct sftp_stats {
	uint64_t	size;		/* the file's length */
	uint64_t	bytes;		/* content bytes moved this time */
	uint64_t	resumed;	/* bytes kept from an earlier attempt */
	uint64_t	verified;	/* bytes read back to verify */
	int		remote_hash;	/* 1: verified by the remote hash */
};

/*
 * Sends regular file rel below local directory rootfd to ROOT/rel on the
 * server (missing directories are made). A partial temporary file left
 * by an earlier attempt is resumed when its prefix verifies. Adds to *st.
 * A full disk on the server is FERRY_ERR_TOOBIG (the partial file is
 * removed: nothing to resume); a dropped connection FERRY_ERR_CLOSED or
 * FERRY_ERR_TIMEOUT (the partial file stays, for the next attempt).
 */
int	sftp_send(struct sftp *s, int rootfd, const char *rel,
	    struct sftp_stats *st, char **cause);

/* Pulls ROOT/rel into rel below local directory rootfd, likewise. */
int	sftp_pull(struct sftp *s, const char *rel, int rootfd,
	    struct sftp_stats *st, char **cause);

/*
 * Lists the regular files below ROOT/dir ("" for the root), calling
 * cb(rel, size, refused, arg) for each (dir may name one file: it is
 * the listing); refused is set (size 0) for a
 * symlink or another type ferry does not move, or a name it would not
 * accept. A non-zero return from cb stops the walk and is returned.
 */
int	sftp_list(struct sftp *s, const char *dir,
	    int (*cb)(const char *, uint64_t, int, void *), void *arg,
	    char **cause);

#endif
