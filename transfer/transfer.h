/*
 * The transfer core: moves a set of files from a sender to a receiver over
 * one or more established data connections (see tls.h and link.h),
 * sending only what changed, and never leaving a partial or wrong file
 * under a final name. The session protocol is in docs/protocol.md.
 *
 * Library tier: functions return 0 or a negative FERRY_ERR_* code, with a
 * cause when a cause pointer is given. FERRY_ERR_CLOSED and
 * FERRY_ERR_TIMEOUT mean the peer vanished: the transfer may be run again,
 * and files cut off mid-way resume where they stopped.
 */
#ifndef FERRY_TRANSFER_H
#define FERRY_TRANSFER_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct tls_conn;

/* What an entry is, as the session's FILE_ENTRY says (msg-int.h). */
enum msg_entry_type {
	MSG_ENTRY_FILE = 1,
	MSG_ENTRY_DIR = 2,
	MSG_ENTRY_SYMLINK = 3
};

/* One entry the sender offers: a file, directory or symlink. */
struct transfer_file {
	char		*src;		/* path on the sender */
	char		*rel;		/* relative path at the receiver */
	char		*basis;		/* receiver-side basis hint, or NULL */
	char		*link;		/* symlink target, or NULL */
	int		 type;		/* MSG_ENTRY_FILE, _DIR, _SYMLINK */
	uint32_t	 mode;
	uint64_t	 size;
	int64_t		 mtime_sec;
	uint32_t	 mtime_nsec;
};

/*
 * What a sender offers. Every src lies below root (a share root, as the
 * sender sees it) and is opened from it, component by component, with no
 * symlink followed (beneath.h): what is sent is what the path names,
 * whatever was checked before.
 */
struct transfer_list {
	struct transfer_file	*v;
	size_t			 n;
	size_t			 cap;
	char			*root;
};

/*
 * Adds what lies at root/rel (rel NULL or "": everything below root),
 * walking directories, and makes root the list's (a list has one).
 * Symlinks whose target leaves the tree are refused with a cause naming
 * them; so is a symlink on the way to rel. ferry's own hidden files are
 * left out.
 */
int	transfer_list_add(struct transfer_list *l, const char *root,
	    const char *rel, char **cause);
/*
 * Opens source rel below rootfd for reading (flags: O_RDONLY or O_PATH)
 * and fills sb: 0 and *fd, or FERRY_ERR_DENIED with a cause when a symlink
 * is on the way, rel is one of ferry's hidden files or not a regular file.
 * transfer_stat_source does the same from root's path, for a look only.
 */
int	transfer_open_source(int rootfd, const char *rel, int flags, int *fd,
	    struct stat *sb, char **cause);
int	transfer_stat_source(const char *root, const char *rel,
	    struct stat *sb, char **cause);
/*
 * Whether base in dirfd is already the file a sender would offer with
 * this size and mtime: a regular file (no symlink followed) that a
 * receiver would skip, by the same quick check (size and mtime, to the
 * file system's step). 1 or 0; any doubt is 0. The hub's compare before
 * a send (docs/agent.md, "A send that finds its files there").
 */
int	transfer_same_file(int dirfd, const char *base, uint64_t size,
	    int64_t mtime_sec, uint32_t mtime_nsec);
/* The part of src below root, or NULL when src is not below it. */
const char *transfer_src_rel(const char *root, const char *src);
/* Gives entry rel a basis hint: another path at the receiver. */
int	transfer_list_set_basis(struct transfer_list *l, const char *rel,
	    const char *basis, char **cause);
void	transfer_list_clear(struct transfer_list *l);

struct transfer_progress {
	uint64_t	 bytes_done;	/* file bytes handled, all files */
	uint64_t	 bytes_total;
	uint64_t	 files_done;
	uint64_t	 files_total;
	double		 rate;		/* bytes per second, moving average */
	double		 eta;		/* seconds; negative when unknown */
	int		 stalled;	/* no byte for HUMAN_STALL_SECS */
	uint64_t	 basis_read;	/* receiver: bytes of bases read to
					   make delta signatures */
	uint64_t	 held_read;	/* receiver: bytes of its partial
					   files and copies hashed before
					   a PLAN (a resume, the skip
					   check's content hash) */
	const char	*file;		/* the file this update is about */
	uint64_t	 file_done;
	uint64_t	 file_total;
};

typedef void (*transfer_progress_fn)(const struct transfer_progress *p,
    void *arg);

/*
 * Called on the receiver once it has decided what an entry needs (action
 * is a MSG_PLAN_* value), before any of its data arrives: for logs, and
 * for tests that need to act at that moment.
 */
typedef void (*transfer_planned_fn)(const char *rel, int action, void *arg);

/*
 * Called on the sender once a file's fate is settled: ok (delivered, or
 * already there), or failed for good with why. index is its place in the
 * list.
 */
typedef void (*transfer_file_done_fn)(size_t index, int ok, const char *why,
    void *arg);

/*
 * Called on the receiver for each file that is in place under its final
 * name: committed (verified, flushed, renamed), or found identical
 * already, before the sender is told so. A receiver that reports to
 * someone (the hub receiving from an agent) says what it holds itself,
 * rather than repeat the sender's word. From the stream threads.
 */
typedef void (*transfer_committed_fn)(const char *rel, void *arg);

/*
 * Called on the receiver for every entry the sender offers, with its type
 * (MSG_ENTRY_*), and once more with its basis hint when it has one (""
 * the first time): nonzero lets it in. A receiver that knows what it
 * should get (the hub said so: files, by name, with the basis hints it
 * approved) refuses anything else, whatever the sender claims.
 */
typedef int (*transfer_accept_fn)(const char *rel, int type,
    const char *basis, void *arg);

/*
 * Called for whatever breaks the rules, for the audit trail: on the
 * sender, a source it will not open (a symlink on the way, not a regular
 * file); on the receiver, an entry refused for its name, type or basis,
 * and a mode stripped of setuid, setgid or sticky bits. From the stream
 * threads.
 */
typedef void (*transfer_suspect_fn)(const char *rel, const char *why,
    void *arg);

struct transfer_opts {
	transfer_progress_fn	 progress;	/* may be NULL */
	void			*progress_arg;
	transfer_file_done_fn	 file_done;	/* sender; may be NULL */
	void			*file_done_arg;
	transfer_planned_fn	 planned;	/* receiver; may be NULL */
	void			*planned_arg;
	transfer_committed_fn	 committed;	/* receiver; may be NULL */
	void			*committed_arg;
	transfer_accept_fn	 accept;	/* receiver; NULL: all */
	void			*accept_arg;
	transfer_suspect_fn	 suspect;	/* may be NULL */
	void			*suspect_arg;
	int			 allow_symlinks; /* receiver: make symlink
						   entries (never for a
						   vendor's files) */
	int			 max_attempts;	/* per file; 0: 3 */
	int			 compare_hash;	/* sender: skip only when the
						   content is the same */
	uint64_t		 bwlimit;	/* sender, bytes/s; 0: none */
	/*
	 * Sender: when not NULL, the cap in bytes/s (0: none) in place of
	 * bwlimit, read again before each frame, so that another thread
	 * can change the rate of a running transfer (a transfer window's
	 * edge) without stopping it.
	 */
	_Atomic uint64_t	*bwlimit_live;
	/*
	 * Sender: set (from another thread) to stop the transfer soon; it
	 * then fails with FERRY_ERR_CANCELLED and the receiver keeps its
	 * partial files. May be NULL.
	 */
	volatile int		*abort;
	/*
	 * Sender: how many streams carry chunks of a large file
	 * (docs/protocol.md 6.7); 0 chooses from the round trip TCP
	 * measured, 1 never stripes.
	 */
	int			 stripe;
	/*
	 * Receiver: how finished files are made durable before their
	 * rename (flush.h): TRANSFER_FLUSH_AUTO, one syncfs per batch where
	 * the destination is a file system of its own, else an fsync per
	 * file, concurrently; _FILES always the latter; _FS a syncfs
	 * wherever syncfs exists (for tests: the whole file system is
	 * flushed).
	 */
	int			 flush;
	/*
	 * Receiver: permission bits taken from every mode it gives, a
	 * received file's and a received directory's, besides the
	 * setuid, setgid, sticky and others' write bits it always takes
	 * (0775 is the most a mode keeps). 0: the sender's mode & 0775, as
	 * rsync -a keeps it; 027 where a sender must not choose that a
	 * file's group may write it or others read it.
	 */
	unsigned		 recv_umask;
	/*
	 * Either side: 1 leaves feature PIPELINE out of its HELLO
	 * (docs/protocol.md 6.1), to speak as a peer from before it did:
	 * each batch's ACKs before the next batch is offered.
	 */
	int			 no_pipeline;
	/*
	 * Either side: 1 leaves feature KEEPALIVE out of its HELLO
	 * (docs/protocol.md 6.3), to speak as a peer from before it did:
	 * nothing is sent while a receiver hashes before a PLAN.
	 */
	int			 no_keepalive;
};

#define TRANSFER_FLUSH_AUTO	0
#define TRANSFER_FLUSH_FILES	1
#define TRANSFER_FLUSH_FS	2

struct transfer_stats {
	uint64_t	 files;		/* entries offered */
	uint64_t	 skipped;	/* already identical */
	uint64_t	 whole;		/* sent whole */
	uint64_t	 delta;		/* sent as a delta */
	uint64_t	 failed;
	uint64_t	 bytes;		/* file bytes delivered or skipped */
	uint64_t	 wire_bytes;	/* TLS payload bytes, both directions */
	uint64_t	 resumed_bytes;	/* already held from an earlier try */
	double		 seconds;
	uint64_t	 striped;	/* of whole, sent in chunks on
					   several streams */
	uint64_t	 fs_syncs;	/* receiver: syncfs calls made in
					   place of per-file flushes */
	uint64_t	 tmp_links;	/* receiver: files written unnamed
					   and linked after a syncfs */
	uint64_t	 tmp_aside;	/* receiver: of those, created and
					   written by a writer thread while
					   the stream read on */
	uint64_t	 tmp_chmods;	/* receiver: of those, given their
					   mode after their creation */
};

/*
 * Runs a transfer over the n connections (one thread each). Each end
 * calls its function with its side's connections.
 */
int	transfer_send(struct tls_conn **conns, int n,
	    const struct transfer_list *l, const struct transfer_opts *o,
	    struct transfer_stats *st, char **cause);
int	transfer_receive(struct tls_conn **conns, int n, const char *dest,
	    const struct transfer_opts *o, struct transfer_stats *st,
	    char **cause);

#endif
