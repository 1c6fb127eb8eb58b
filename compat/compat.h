/*
 * The portability layer: one function per difference between POSIX and
 * Windows, so that no file above it says #ifdef _WIN32. Each function has
 * one implementation per platform, in NAME-posix.c and NAME-win.c, and the
 * build (compat/Makefile.inc) picks the file; what both share is plain C
 * here or in a file without a suffix. Functions behave like the POSIX
 * calls they stand for: -1 and errno on failure. File names are UTF-8;
 * the Windows files turn them into UTF-16 at the Windows API (utf16.h).
 * docs/windows.md lists what is ported and what is not yet.
 */
#ifndef FERRY_COMPAT_H
#define FERRY_COMPAT_H

#include <sys/types.h>

#include <fcntl.h>
#include <stddef.h>

/*
 * open(2) flags Windows' C runtime lacks, for compat_openat (which is the
 * only call that takes them there): values no _O_ flag uses.
 */
#ifndef O_PATH
#define O_PATH		0x01000000
#endif
#ifndef O_DIRECTORY
#define O_DIRECTORY	0x02000000
#endif
#ifndef O_NOFOLLOW
#define O_NOFOLLOW	0x04000000
#endif
#ifndef O_CLOEXEC
#define O_CLOEXEC	0x08000000
#endif

/*
 * Opens an existing file for reading, as a file descriptor that a child
 * process does not inherit (O_CLOEXEC; _O_NOINHERIT with a UTF-16 name on
 * Windows, in binary mode).
 */
int	 compat_open_read(const char *path);

/*
 * Opens path for reading and writing, creating it if it is missing, never
 * through a symbolic link or junction (ELOOP), and leaves it readable and
 * writable by its owner only: mode 0600 on POSIX, whatever the umask; on
 * Windows a protected DACL (nothing inherited) granting the owner and
 * SYSTEM full control. An existing file is narrowed the same way.
 */
int	 compat_open_private(const char *path);

/*
 * The step, in nanoseconds, of the modification times this system's files
 * keep: 1 on POSIX, 100 on Windows (NTFS keeps 100 ns ticks). A time set
 * from a peer's finer one reads back rounded down to a multiple of it.
 */
long	 compat_mtime_step(void);

/* The width of the terminal on fd, in columns; -1 if fd is no terminal. */
int	 compat_term_columns(int fd);

/*
 * Sends msg to the service manager at name, the value of NOTIFY_SOCKET (an
 * absolute path or an abstract '@' name; EINVAL otherwise). On Windows it
 * does nothing and succeeds: the service control manager is told through
 * SetServiceStatus instead.
 */
int	 compat_notify(const char *name, const char *msg);
/*
 * fn, if not NULL, is given every message compat_notify() sends, before it
 * is sent (thread-safe to call, but set it before the threads start). On
 * Windows it is the only delivery: ferryd's service (agent/win/) sets it,
 * and NOTIFY_SOCKET, so that "READY=1" and "STOPPING=1" reach the service
 * control manager through SetServiceStatus.
 */
void	 compat_notify_hook(void (*fn)(const char *msg));

/*
 * Takes an exclusive lock on the open file fd without waiting: 0, or -1
 * with EWOULDBLOCK if another process holds it. The lock goes when fd is
 * closed or the process ends (flock; LockFileEx on a byte past the file's
 * contents on Windows, whose locks would otherwise stop others reading).
 */
int	 compat_lock_try(int fd);

/*
 * The state directory when none is named: /var/lib/ferry on POSIX,
 * %ProgramData%\ferry on Windows. Borrowed; do not free.
 */
const char	*compat_statedir_default(void);

/*
 * Creates dir for its owner only, if it is missing (0 too if it exists):
 * mode 0700 whatever the umask; on Windows a protected DACL granting the
 * owner, SYSTEM and Administrators full control, nothing inherited.
 */
int	 compat_mkdir_private(const char *dir);

/*
 * Checks, through an open handle (no symbolic link or junction followed),
 * that dir is a directory owned by this process's user and open to no one
 * else: 0, or -1 with ENOTDIR, or EACCES with a reason ("is owned by ...",
 * "has mode ...") in why (n bytes), or the open's errno.
 */
int	 compat_dir_check_private(const char *dir, char *why, size_t n);

/*
 * The system log for a daemon: syslog(3) (facility daemon) on POSIX; on
 * Windows the file $FERRY_LOG_FILE, else PROGNAME.log in
 * compat_statedir_default(), owner-only, one stamped line per message.
 * compat_syslog_open returns -1 with errno if the log cannot be opened;
 * compat_syslog's level is 0 error, 1 warning, 2 info, 3 debug.
 */
int	 compat_syslog_open(const char *progname);
void	 compat_syslog(int level, const char *msg);

/*
 * Opens a secret (a key, a password file) for reading, never through a
 * symbolic link or junction (ELOOP), and checks the open file: ENOENT,
 * EINVAL if not a regular file, EACCES with a reason in why (n bytes) if
 * it is open to what the mode bits deny names (077 group and others, 007
 * others) or, with own, owned by another user. On Windows the DACL is
 * read for those bits (secret-win.c says how).
 */
int	 compat_open_secret(const char *path, int deny, int own, char *why,
	    size_t n);

/*
 * Where compiled IANA zones (TZif) are when $TZDIR does not say:
 * /usr/share/zoneinfo on POSIX, %ProgramData%\ferry\zoneinfo on Windows
 * (Windows has none of its own; a package may ship them there).
 */
const char	*compat_tz_dir(void);

/*
 * This machine's zone into buf (n bytes): on POSIX the IANA name
 * /etc/localtime links to (-1 if it is no such link); on Windows a
 * POSIX TZ rule made from GetTimeZoneInformation ("WST-1WDT-2,M3.5.0/2,
 * M10.5.0/3"), since Windows' zone names are not IANA's.
 */
int	 compat_tz_local(char *buf, size_t n);

/*
 * Local stream sockets (the local API): AF_UNIX on both (Windows 10 1803
 * and later has it in Winsock). A socket is an int on both sides, but on
 * Windows it is a SOCKET, not a C runtime descriptor: read, write and
 * close it only with compat_sock_*. Winsock is started on first use.
 *
 * compat_local_listen: removes a socket file left at path by a dead
 * daemon (EEXIST if something else is there; ENAMETOOLONG past
 * compat_local_path_max() bytes), listens, non-blocking, and leaves the
 * socket usable by its owner only (mode 0600; on Windows a protected DACL
 * for the owner and SYSTEM). compat_local_accept: a non-blocking
 * connection or -1 (EWOULDBLOCK when none waits), the peer's uid and pid
 * (SO_PEERCRED; -1 on Windows, which has none), and whether the peer is
 * trusted: root or our own user on POSIX; on Windows every peer that got
 * past the socket file's DACL. compat_local_connect: blocking; ENOENT
 * (no socket), ECONNREFUSED (nobody listening), EACCES.
 */
size_t	 compat_local_path_max(void);
int	 compat_local_listen(const char *path);
int	 compat_local_accept(int lfd, uid_t *uid, pid_t *pid, int *trusted);
int	 compat_local_connect(const char *path);
/*
 * compat_local_allow: lets one more account in, set before
 * compat_local_listen (NULL: none). On Windows a SID string (S-1-5-21-...):
 * the socket file or the loopback endpoint file gets an entry for it too,
 * so that a desktop user's client reaches a service running as another
 * account. EINVAL for a malformed SID. On POSIX ENOTSUP: there the
 * socket's group is how another user gets in.
 */
int	 compat_local_allow(const char *sid);
/* recv, send (never SIGPIPE; dontwait: MSG_DONTWAIT), close a socket. */
ssize_t	 compat_sock_recv(int fd, void *p, size_t n);
ssize_t	 compat_sock_send(int fd, const void *p, size_t n, int dontwait);
int	 compat_sock_close(int fd);
/* The effective uid, for messages; -1 on Windows, which has none. */
long	 compat_euid(void);

/*
 * Opens the one component name (no separator; "." is dirfd itself) below
 * the directory dirfd with open(2)'s flags, never through a symbolic link
 * or, on Windows, any reparse point (junctions, mount points): ELOOP.
 * POSIX: openat(O_NOFOLLOW | O_CLOEXEC). Windows: NtCreateFile with
 * dirfd's handle as RootDirectory and FILE_OPEN_REPARSE_POINT, so the
 * name is looked up in the directory held open, as openat does; mode is
 * ignored there (the folder's inherited DACL applies).
 */
int	 compat_openat(int dirfd, const char *name, int flags, int mode);
/* dup(fd), not inherited by child processes. */
int	 compat_dupfd(int fd);
/* Whether name below dirfd, or fd, is a symlink (any reparse point on
 * Windows): 1, 0, or -1 with errno. */
int	 compat_is_link_at(int dirfd, const char *name);
int	 compat_is_link(int fd);
/*
 * Whether path is absolute: it starts with '/' on POSIX; on Windows with
 * a drive and a separator (C:\, C:/) or two separators (\\host\share).
 */
int	 compat_path_absolute(const char *path);
/* 1 where file names obey Windows' rules (common/winpath.h), else 0. */
int	 compat_windows_names(void);

/*
 * The kind of machine this is, as an agent tells the hub in its hello so
 * that the hub picks its roots of that kind from the share map:
 * "linux" (any POSIX system but macOS), "windows" or "macos".
 */
const char	*compat_platform(void);
/*
 * Replaces main's argc and argv with the command line in UTF-8. POSIX:
 * nothing to do (the bytes are the shell's). Windows: main's argv is in
 * the ANSI code page, so the wide command line is taken instead
 * (GetCommandLineW, CommandLineToArgvW). -1 with errno (EILSEQ: an
 * unpaired surrogate) and argv untouched on failure.
 */
int		 compat_args_utf8(int *argc, char ***argv);

#endif
