/*
 * The POSIX calls transfer/ (and what links it) makes, on Windows. The
 * Windows build force-includes this header (-include, Makefile.am) into
 * those directories only, so their .c files stay the POSIX code they are
 * on Linux: every call below is a macro naming a compat_win_* function in
 * compat/fs-win.c, dirent-win.c or net-win.c, which behaves as the POSIX
 * call does (-1 and errno). Nothing here is seen by a Linux build.
 *
 * Descriptors: a file or folder is a C runtime descriptor over a HANDLE
 * (_open_osfhandle), so read/write/lseek/close of the runtime work on it
 * and _get_osfhandle gives the handle to the Windows calls. A socket is a
 * SOCKET, cast to int; net-win.c keeps the set of the sockets it made, so
 * that close/read/write on one go to closesocket/recv/send. Folders are
 * held open as handles, and every name is opened below one with
 * NtCreateFile (compat_openat), never following a reparse point.
 *
 * The system headers whose names are shadowed are included first, so a
 * later #include of them declares nothing under the new names.
 *
 * struct stat is struct compat_win_stat here, and transfer.h passes one
 * between directories: every directory that includes transfer.h (or any
 * header naming struct stat, DIR or struct pollfd) must be built with
 * this header too, or the two sides would disagree on the layout.
 * common/ and share-map/ name none of them in their headers.
 */
#ifndef FERRY_COMPAT_POSIX_WIN_H
#define FERRY_COMPAT_POSIX_WIN_H

#include "config.h"
/*
 * A file may say "#define _GNU_SOURCE" before its config.h, which this
 * header (force-included) has already read: the same empty definition
 * here makes that no redefinition, and mingw's stdio.h still declares
 * asprintf for it.
 */
#undef _GNU_SOURCE
#define _GNU_SOURCE

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOGDI
#define NOGDI
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <direct.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>

#include <winsock2.h>
#include <ws2tcpip.h>

#include "compat.h"

/* open(2) flags and *at() flags Windows lacks (compat.h has O_PATH..). */
#ifndef O_NONBLOCK
#define O_NONBLOCK	0x10000000
#endif
#ifndef O_NOCTTY
#define O_NOCTTY	0
#endif
#ifndef O_DIRECT
#define O_DIRECT	0x20000000	/* refused (EINVAL): no such mode */
#endif
#define AT_FDCWD		(-100)
#define AT_SYMLINK_NOFOLLOW	0x100
#define AT_REMOVEDIR		0x200
#define UTIME_NOW	((1L << 30) - 1L)
#define UTIME_OMIT	((1L << 30) - 2L)

#ifndef S_IFLNK
#define S_IFLNK		0xA000
#endif
#ifndef S_ISLNK
#define S_ISLNK(m)	(((m) & S_IFMT) == S_IFLNK)
#endif
#ifndef S_ISSOCK
#define S_ISSOCK(m)	0
#endif

#define F_GETFL		3
#define F_SETFL		4
#define F_DUPFD_CLOEXEC	1030

#define SOCK_NONBLOCK	0x800
#define SOCK_CLOEXEC	0x80000
#define MSG_NOSIGNAL	0
#define MSG_DONTWAIT	0x40
#define SHUT_RD		SD_RECEIVE
#define SHUT_WR		SD_SEND
#define SHUT_RDWR	SD_BOTH
/* Linux's TCP_INFO: asked for, it is refused (ENOPROTOOPT). */
#define TCP_INFO	0x7fff0b
struct tcp_info {
	uint32_t	tcpi_rtt;
	uint32_t	tcpi_rttvar;
};

#ifndef SIGPIPE
#define SIGPIPE		13	/* Winsock raises none; signal() refuses it */
#endif

typedef int64_t	loff_t;

/*
 * struct pollfd with an int fd, as the code above keeps descriptors
 * (Winsock's holds a SOCKET); compat_win_poll copies it for WSAPoll, and
 * a negative fd is left out, as poll(2) does.
 */
struct compat_win_pollfd {
	int	fd;
	short	events;
	short	revents;
};

/* sigaction: signal(2) underneath (SIGINT, SIGTERM from the console). */
struct sigaction {
	void	(*sa_handler)(int);
	int	  sa_flags;
	int	  sa_mask;
};
#define sigemptyset(m)		(*(m) = 0, 0)

/* getrlimit/setrlimit: Windows has no descriptor limit to raise. */
struct rlimit {
	uint64_t	rlim_cur;
	uint64_t	rlim_max;
};
#define RLIMIT_NOFILE	7
#define RLIM_INFINITY	(~(uint64_t)0)

/*
 * stat with what the transfer code compares: nanosecond times (Windows
 * keeps 100 ns), and st_dev/st_ino as the volume serial number and the
 * 64-bit file ID, which say which file is actually open.
 */
struct compat_win_stat {
	uint64_t	st_dev;
	uint64_t	st_ino;
	unsigned int	st_mode;
	unsigned int	st_nlink;
	uid_t		st_uid;
	gid_t		st_gid;
	int64_t		st_size;
	int64_t		st_blocks;
	int32_t		st_blksize;
	struct timespec	st_atim;
	struct timespec	st_mtim;
	struct timespec	st_ctim;
};

struct compat_win_dirent {
	uint64_t	d_ino;
	unsigned char	d_type;
	char		d_name[768];	/* 255 UTF-16 units, as UTF-8 */
};
#define DT_UNKNOWN	0
#define DT_DIR		4
#define DT_REG		8
#define DT_LNK		10

typedef struct compat_win_dir	compat_win_DIR;

/* <pwd.h>: Windows has no uids; getpwuid finds none. */
struct passwd {
	char	*pw_name;
	uid_t	 pw_uid;
	gid_t	 pw_gid;
	char	*pw_dir;
};

int	 compat_win_open(const char *, int, ...);
int	 compat_win_openat(int, const char *, int, ...);
int	 compat_win_mkdir(const char *, int);
int	 compat_win_mkdirat(int, const char *, int);
int	 compat_win_unlinkat(int, const char *, int);
int	 compat_win_renameat(int, const char *, int, const char *);
int	 compat_win_fstat(int, struct compat_win_stat *);
int	 compat_win_fstatat(int, const char *, struct compat_win_stat *, int);
int	 compat_win_stat_path(const char *, struct compat_win_stat *, int);
int	 compat_win_fsync(int);
ssize_t	 compat_win_pread(int, void *, size_t, int64_t);
ssize_t	 compat_win_pwrite(int, const void *, size_t, int64_t);
int	 compat_win_futimens(int, const struct timespec *);
int	 compat_win_utimensat(int, const char *, const struct timespec *, int);
int	 compat_win_fchmod(int, int);
int	 compat_win_fchmodat(int, const char *, int, int);
ssize_t	 compat_win_readlinkat(int, const char *, char *, size_t);
int	 compat_win_symlinkat(const char *, int, const char *);
int	 compat_win_dup(int);
struct passwd *compat_win_getpwuid(uid_t);
char	*compat_win_realpath(const char *, char *);
int	 compat_win_link(const char *, const char *);
int	 compat_win_unlink(const char *);
void	 compat_win_qsort_r(void *, size_t, size_t,
	    int (*)(const void *, const void *, void *), void *);
int	 compat_win_fcntl(int, int, ...);
int	 compat_win_posix_memalign(void **, size_t, size_t);
ssize_t	 compat_win_copy_file_range(int, loff_t *, int, loff_t *, size_t,
	    unsigned int);
int	 compat_win_posix_fadvise(int, int64_t, int64_t, int);

compat_win_DIR	*compat_win_fdopendir(int);
struct compat_win_dirent *compat_win_readdir(compat_win_DIR *);
int	 compat_win_closedir(compat_win_DIR *);

int	 compat_win_socket(int, int, int);
int	 compat_win_connect(int, const struct sockaddr *, socklen_t);
int	 compat_win_bind(int, const struct sockaddr *, socklen_t);
int	 compat_win_listen(int, int);
int	 compat_win_accept4(int, struct sockaddr *, socklen_t *, int);
int	 compat_win_setsockopt(int, int, int, const void *, socklen_t);
int	 compat_win_getsockopt(int, int, int, void *, socklen_t *);
int	 compat_win_getsockname(int, struct sockaddr *, socklen_t *);
int	 compat_win_shutdown(int, int);
int	 compat_win_poll(struct compat_win_pollfd *, unsigned long, int);
int	 compat_win_pipe2(int *, int);
int	 compat_win_sigaction(int, const struct sigaction *, struct sigaction *);
int	 compat_win_getrlimit(int, struct rlimit *);
int	 compat_win_setrlimit(int, const struct rlimit *);
ssize_t	 compat_win_getline(char **, size_t *, FILE *);
int	 compat_win_dirfd(compat_win_DIR *);
char	*compat_win_strcasestr(const char *, const char *);
int	 compat_win_getaddrinfo(const char *, const char *,
	    const struct addrinfo *, struct addrinfo **);
ssize_t	 compat_win_send(int, const void *, size_t, int);
ssize_t	 compat_win_recv(int, void *, size_t, int);
int	 compat_win_close(int);
ssize_t	 compat_win_read(int, void *, size_t);
ssize_t	 compat_win_write(int, const void *, size_t);
int	 compat_win_is_socket(int);
char	*compat_win_getcwd(char *, size_t);
int	 compat_win_access(const char *, int);
int	 compat_win_rename(const char *, const char *);
int	 compat_win_tryjoin(pthread_t, void **);

#ifndef COMPAT_WIN_IMPL
#undef stat
#undef fstat
#undef lstat
#define stat			compat_win_stat
#define compat_win_stat(p, s)	compat_win_stat_path((p), (s), 1)
#define lstat(p, s)		compat_win_stat_path((p), (s), 0)
#define fstat(f, s)		compat_win_fstat((f), (s))
#define fstatat(d, n, s, f)	compat_win_fstatat((d), (n), (s), (f))
#define open(...)		compat_win_open(__VA_ARGS__)
#define openat(...)		compat_win_openat(__VA_ARGS__)
#undef mkdir
#define mkdir(p, m)		compat_win_mkdir((p), (m))
#define mkdirat(d, n, m)	compat_win_mkdirat((d), (n), (m))
#define unlinkat(d, n, f)	compat_win_unlinkat((d), (n), (f))
#define renameat(a, b, c, d)	compat_win_renameat((a), (b), (c), (d))
#define fsync(f)		compat_win_fsync(f)
#define fdatasync(f)		compat_win_fsync(f)
#define pread(f, p, n, o)	compat_win_pread((f), (p), (n), (o))
#define pwrite(f, p, n, o)	compat_win_pwrite((f), (p), (n), (o))
#define futimens(f, t)		compat_win_futimens((f), (t))
#define utimensat(d, n, t, f)	compat_win_utimensat((d), (n), (t), (f))
#define fchmod(f, m)		compat_win_fchmod((f), (m))
#define fchmodat(d, n, m, f)	compat_win_fchmodat((d), (n), (m), (f))
#define readlinkat(d, n, b, s)	compat_win_readlinkat((d), (n), (b), (s))
#define symlinkat(t, d, n)	compat_win_symlinkat((t), (d), (n))
#undef dup
#define dup(f)			compat_win_dup(f)
#define getpwuid(u)		compat_win_getpwuid(u)
/* No uids: what fstat says of every file's owner (-1), so they agree. */
#define geteuid()		((uid_t)-1)
#define getuid()		((uid_t)-1)
#define realpath(p, b)		compat_win_realpath((p), (b))
#undef getcwd
#define getcwd(b, n)		compat_win_getcwd((b), (n))
#undef access
#define access(p, m)		compat_win_access((p), (m))
#undef rename
#define rename(a, b)		compat_win_rename((a), (b))
#define link(a, b)		compat_win_link((a), (b))
#undef unlink
#define unlink(p)		compat_win_unlink(p)
#define qsort_r(a, b, c, d, e)	compat_win_qsort_r((a), (b), (c), (d), (e))
/* Not winpthreads' _pthread_tryjoin, which joins a thread still exiting. */
#define pthread_tryjoin_np(t, r) compat_win_tryjoin((t), (r))
#define fcntl(...)		compat_win_fcntl(__VA_ARGS__)
#define posix_memalign(p, a, n)	compat_win_posix_memalign((p), (a), (n))
#define copy_file_range(a, b, c, d, e, f) \
	compat_win_copy_file_range((a), (b), (c), (d), (e), (f))
#define posix_fadvise(f, o, n, a) compat_win_posix_fadvise((f), (o), (n), (a))
#define POSIX_FADV_SEQUENTIAL	2
#define DIR			compat_win_DIR
#define dirent			compat_win_dirent
#define fdopendir(f)		compat_win_fdopendir(f)
#define readdir(d)		compat_win_readdir(d)
#define closedir(d)		compat_win_closedir(d)
#define socket(a, b, c)		compat_win_socket((a), (b), (c))
#define connect(a, b, c)	compat_win_connect((a), (b), (c))
#define bind(a, b, c)		compat_win_bind((a), (b), (c))
#define listen(a, b)		compat_win_listen((a), (b))
#define accept4(a, b, c, d)	compat_win_accept4((a), (b), (c), (d))
#define setsockopt(a, b, c, d, e) compat_win_setsockopt((a), (b), (c), (d), (e))
#define getsockopt(a, b, c, d, e) compat_win_getsockopt((a), (b), (c), (d), (e))
#define getsockname(a, b, c)	compat_win_getsockname((a), (b), (c))
#define shutdown(a, b)		compat_win_shutdown((a), (b))
#define pollfd			compat_win_pollfd
#define poll(a, b, c)		compat_win_poll((a), (b), (c))
#define sigaction(s, a, o)	compat_win_sigaction((s), (a), (o))
#define pipe2(f, o)		compat_win_pipe2((f), (o))
#define pipe(f)			compat_win_pipe2((f), 0)
#define getrlimit(r, l)		compat_win_getrlimit((r), (l))
#define setrlimit(r, l)		compat_win_setrlimit((r), (l))
#define getline(a, b, c)	compat_win_getline((a), (b), (c))
#define dirfd(d)		compat_win_dirfd(d)
#define strcasestr(a, b)	compat_win_strcasestr((a), (b))
#define st_mtime		st_mtim.tv_sec
#define getaddrinfo(a, b, c, d)	compat_win_getaddrinfo((a), (b), (c), (d))
#define send(a, b, c, d)	compat_win_send((a), (b), (c), (d))
#define recv(a, b, c, d)	compat_win_recv((a), (b), (c), (d))
#define close(f)		compat_win_close(f)
#define read(f, p, n)		compat_win_read((f), (p), (n))
#define write(f, p, n)		compat_win_write((f), (p), (n))
#endif

#endif
