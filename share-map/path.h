/*
 * Parsing and normalising absolute paths as POSIX, Windows and UNC systems
 * write them. Pure functions: no I/O, never exit.
 */
#ifndef FERRY_PATH_H
#define FERRY_PATH_H

#include <stddef.h>

/* Hard limits, so that hostile input cannot make us allocate without bound. */
#define PATH_MAX_BYTES	16384	/* whole path */
#define PATH_MAX_NAME	255	/* one component, in bytes */
#define PATH_MAX_COMPS	1024

enum path_kind {
	PATH_POSIX,	/* /a/b */
	PATH_DRIVE,	/* C:\a\b or c:/a/b */
	PATH_UNC	/* \\host\share\a or //host/share/a */
};

/*
 * A parsed absolute path. For PATH_UNC the first two components are the
 * host and the share. Empty components and "." are dropped; ".." is kept,
 * because whether it is allowed depends on the share it falls under.
 */
struct path {
	enum path_kind	  kind;
	char		  drive;	/* PATH_DRIVE: upper-case letter */
	char		**comp;		/* into store */
	size_t		  ncomp;
	char		 *store;	/* the components, NUL-terminated */
};

/*
 * Parses the len bytes at s into p (which the caller later passes to
 * path_clear). Refuses, with FERRY_ERR_BADNAME and a cause: embedded NUL or
 * control characters, relative paths, drive-relative paths ("C:foo"),
 * UNC paths without host or share, and over-long paths or names.
 */
int	 path_parse(const char *s, size_t len, struct path *p, char **cause);
void	 path_clear(struct path *p);

/* Whether kind compares names case-insensitively (the Windows family). */
int	 path_kind_folds_case(enum path_kind kind);

/*
 * Whether name is a valid file name on Windows, by common/winpath.h's
 * rules (winpath_check_name): no reserved device name, none of
 * <>:"|?*\/ or control characters, no trailing dot or space, no 8.3
 * short-name shape, valid UTF-8. Returns 0 if valid; otherwise
 * FERRY_ERR_BADNAME with a cause naming the rule.
 */
int	 path_check_windows_name(const char *name, char **cause);

/* Whether the n bytes at s are valid UTF-8 (no overlongs or surrogates). */
int	 path_utf8_valid(const char *s, size_t n);

#endif
