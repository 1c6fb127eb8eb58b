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

/* The width of the terminal on fd, in columns; -1 if fd is no terminal. */
int	 compat_term_columns(int fd);

#endif
