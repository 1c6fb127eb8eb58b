/*
 * The SFTP library's internals, for its own files and tests only
 * (sftp.h is the API).
 */
#ifndef FERRY_SFTP_INT_H
#define FERRY_SFTP_INT_H

#include <stdatomic.h>
#include <stdint.h>

#include <libssh2.h>
#include <libssh2_sftp.h>

#include "sftp.h"

#define SFTP_CHUNK		(2 * 1024 * 1024)
#define SFTP_TIMEOUT_MS		30000
#define SFTP_MAX_DEPTH		64
/*
 * Below this, a file is verified by reading it back: a command on the
 * server costs a few hundred milliseconds (a login shell), as much as
 * reading back some 10 MiB on loopback (docs/benchmarks.md, "SFTP").
 */
#define SFTP_REMOTE_HASH_MIN	(8 * 1024 * 1024)

/* A block libssh2 allocated for a session: see sftp_arena in sftp-session.c. */
struct sftp_block {
	struct sftp_block	*prev;
	struct sftp_block	*next;
	size_t			 size;
	size_t			 pad;	/* keeps what follows aligned to 16 */
};

struct sftp {
	int			 fd;
	struct sftp_block	 arena;		/* list head */
	LIBSSH2_SESSION		*ssh;
	LIBSSH2_SFTP		*sftp;
	char			*host;		/* for messages */
	char			*root;		/* without a trailing '/' */
	char			 fp[64];	/* "SHA256:..." */
	int			 remote_hash;
	uint64_t		 rate;
	const _Atomic uint64_t	*rate_live;	/* overrides rate; NULL */
	double			 rate_start;	/* of the current file */
	uint64_t		 rate_bytes;
	void			(*progress)(uint64_t, uint64_t, void *);
	void			*progress_arg;
	volatile int		*abort;
	int			 tmo;		/* ms, each step */
	unsigned		 recv_umask;	/* pull: sftp_opts' */
	int			 dead;		/* socket shut: no more waits */
	int64_t			 budget_end;	/* clock_ms(); 0: none */
};

/* sftp-fail.c */
int	sftp_fail(struct sftp *s, char **cause, const char *fmt, ...)
	    __attribute__((format(FERRY_PRINTF_FORMAT, 3, 4)));

/* sftp-session.c */
void	sftp_pace(struct sftp *s, uint64_t n);
/* After a chunk: tells the progress callback, and stops if asked to. */
int	sftp_tick(struct sftp *s, uint64_t done, uint64_t size, char **cause);
/*
 * Bounding the waits. libssh2's timeout bounds one call; after an error
 * the calls that clean up (close, statvfs, unlink, the SFTP shutdown, the
 * disconnect) would each wait a timeout of their own, against a server
 * that may be stopped or may never answer: libssh2 1.10 drops a write
 * request it had half sent when the server refuses an earlier one, so
 * the server takes our next requests as that write's data. So: a timeout
 * or a dropped connection shuts the socket (sftp_dead), after which every
 * libssh2 call fails at once; and the clean-up after any other error
 * shares one timeout (sftp_budget_start; sftp_budget before each call
 * returns -1 once it is spent, and has then shut the socket).
 */
void	sftp_dead(struct sftp *s);
void	sftp_budget_start(struct sftp *s);
int	sftp_budget(struct sftp *s);
void	sftp_budget_end(struct sftp *s);
/*
 * After a libssh2 call returned no progress and no error (a blocking
 * libssh2 call can): waits a little for the socket, and returns
 * FERRY_ERR_TIMEOUT (the socket shut, cause set) once nothing moved for
 * a timeout since *since (clock_ms(), set on progress by the caller).
 */
int	sftp_stalled(struct sftp *s, int64_t since, const char *what,
	    char **cause);

/*
 * sftp-path.c: a checked remote path. full is ROOT/rel, tmp the hidden
 * partial file beside it; both allocated (sftp_path_clear).
 */
struct sftp_path {
	char	*full;
	char	*tmp;
	char	*old;	/* where a replaced file waits (no remote mv) */
};
int	sftp_path_open(struct sftp *s, const char *rel, int create,
	    struct sftp_path *p, char **cause);
void	sftp_path_clear(struct sftp_path *p);
int	sftp_path_lstat(struct sftp *s, const char *path,
	    LIBSSH2_SFTP_ATTRIBUTES *a, char **cause);
int	sftp_path_rename(struct sftp *s, const struct sftp_path *p,
	    char **cause);

/* sftp-verify.c */
int	sftp_verify_probe(struct sftp *s);
int	sftp_verify(struct sftp *s, const char *path, int fd, uint64_t len,
	    struct sftp_stats *st, char **cause);
int	sftp_verify_resume(struct sftp *s, const char *rpath, int fd,
	    uint64_t len, uint64_t size, uint64_t *off, struct sftp_stats *st,
	    char **cause);
int	sftp_shell_mv(struct sftp *s, const char *from, const char *to,
	    char **cause);

#endif
