/*
 * What an absolute Windows path names (winpath.h). Win32 rewrites a path
 * before the file system sees it: either slash is a separator, "." and
 * ".." are resolved on the text, and prefixes pick other namespaces
 * (\\?\ skips the rewriting, \\.\ reaches devices). So the agent accepts
 * only the forms it can read the same way Windows does, and refuses the
 * rest by name rather than guessing.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "winpath.h"

static int
is_sep(char c, int verbatim)
{
	return (c == '\\' || (!verbatim && c == '/'));
}

/* strndup(), which mingw-w64's C library lacks. */
static char *
copy(const char *s, size_t n)
{
	char	*c;

	if ((c = malloc(n + 1)) == NULL)
		return (NULL);
	memcpy(c, s, n);
	c[n] = '\0';
	return (c);
}

static int
add_comp(struct winpath *wp, const char *s, size_t n, char **cause)
{
	char	**v, *c;
	int	  r;

	if ((r = winpath_check_name(s, n, cause)) != 0)
		return (r);
	if (wp->ncomp == WINPATH_MAX_COMPS)
		return (err_set(cause, FERRY_ERR_TOOBIG, "path of more than %d "
		    "names", WINPATH_MAX_COMPS));
	v = realloc(wp->comp, (wp->ncomp + 1) * sizeof *v);
	if (v == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	wp->comp = v;
	if ((c = copy(s, n)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	wp->comp[wp->ncomp++] = c;
	return (0);
}

/*
 * The names from s[i] on. Empty names are dropped where Win32 drops them
 * (doubled or trailing separators) but refused in a verbatim path, which
 * Windows hands to the file system as it is.
 */
static int
parse_comps(const char *s, size_t len, size_t i, int verbatim,
    struct winpath *wp, char **cause)
{
	size_t	 j;
	int	 r;

	while (i < len) {
		for (j = i; j < len && !is_sep(s[j], verbatim); j++)
			;
		if (j == i && verbatim && j + 1 < len)
			return (err_set(cause, FERRY_ERR_BADNAME, "empty name in "
			    "a \\\\?\\ path"));
		if (j > i && (r = add_comp(wp, s + i, j - i, cause)) != 0)
			return (r);
		i = j + 1;
	}
	return (0);
}

/* One name of a UNC root (host or share) into *out; *i moves past it. */
static int
unc_part(const char *s, size_t len, size_t *i, int verbatim,
    const char *what, char **out, char **cause)
{
	size_t	 j;
	int	 r;

	for (j = *i; j < len && !is_sep(s[j], verbatim); j++)
		;
	if (j == *i)
		return (err_set(cause, FERRY_ERR_BADNAME, "UNC path without a "
		    "%s", what));
	if ((r = winpath_check_name(s + *i, j - *i, cause)) != 0)
		return (r);
	if ((*out = copy(s + *i, j - *i)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	*i = j + 1;
	return (0);
}

static int
parse_unc(const char *s, size_t len, size_t i, int verbatim,
    struct winpath *wp, char **cause)
{
	int	 r;

	wp->kind = WINPATH_UNC;
	if ((r = unc_part(s, len, &i, verbatim, "host", &wp->host, cause)) != 0)
		return (r);
	if (i > len)
		return (err_set(cause, FERRY_ERR_BADNAME, "UNC path without a "
		    "share"));
	if ((r = unc_part(s, len, &i, verbatim, "share", &wp->share,
	    cause)) != 0)
		return (r);
	return (parse_comps(s, len, i, verbatim, wp, cause));
}

static int
is_letter(char c)
{
	return ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'));
}

static int
parse_drive(const char *s, size_t len, size_t i, int verbatim,
    struct winpath *wp, char **cause)
{
	if (len - i < 3 || !is_sep(s[i + 2], verbatim))
		return (err_set(cause, FERRY_ERR_BADNAME, "drive-relative path "
		    "(%c: without a separator after it names the drive's "
		    "current folder)", s[i]));
	wp->kind = WINPATH_DRIVE;
	wp->drive = (char)(s[i] & ~0x20);
	return (parse_comps(s, len, i + 3, verbatim, wp, cause));
}

/*
 * Whether s[off..len) starts with lit, letter case aside.  The input is not
 * NUL-terminated, so the length is checked here once rather than by a
 * count beside each comparison (a miscounted one read past the end).
 */
static int
prefix_ci(const char *s, size_t len, size_t off, const char *lit)
{
	size_t	 n = strlen(lit);

	return (off <= len && len - off >= n &&
	    strncasecmp(s + off, lit, n) == 0);
}

/* After \\?\: a drive, UNC\host\share, or a namespace we do not take. */
static int
parse_verbatim(const char *s, size_t len, struct winpath *wp, char **cause)
{
	if (len >= 6 && is_letter(s[4]) && s[5] == ':')
		return (parse_drive(s, len, 4, 1, wp, cause));
	if (prefix_ci(s, len, 4, "UNC\\"))
		return (parse_unc(s, len, 8, 1, wp, cause));
	if (prefix_ci(s, len, 4, "Volume{"))
		return (err_set(cause, FERRY_ERR_BADNAME, "volume GUID path: "
		    "name the volume by its drive letter or share"));
	if (prefix_ci(s, len, 4, "GLOBALROOT"))
		return (err_set(cause, FERRY_ERR_BADNAME, "GLOBALROOT path "
		    "names the NT object namespace, not a folder"));
	return (err_set(cause, FERRY_ERR_BADNAME, "\\\\?\\ path that names "
	    "neither a drive nor UNC\\host\\share"));
}

static int
parse_root(const char *s, size_t len, struct winpath *wp, char **cause)
{
	if (len >= 4 && memcmp(s, "\\\\?\\", 4) == 0)
		return (parse_verbatim(s, len, wp, cause));
	if (len >= 4 && memcmp(s, "\\??\\", 4) == 0)
		return (err_set(cause, FERRY_ERR_BADNAME, "\\??\\ path names "
		    "the NT object namespace, not a folder"));
	if (len >= 3 && is_sep(s[0], 0) && is_sep(s[1], 0) &&
	    (s[2] == '.' || s[2] == '?') && (len == 3 || is_sep(s[3], 0)))
		return (err_set(cause, FERRY_ERR_BADNAME, "device path "
		    "(\\\\.\\ or //?/): ferry reads and writes files, not "
		    "devices"));
	if (len >= 2 && is_sep(s[0], 0) && is_sep(s[1], 0))
		return (parse_unc(s, len, 2, 0, wp, cause));
	if (len >= 2 && is_letter(s[0]) && s[1] == ':')
		return (parse_drive(s, len, 0, 0, wp, cause));
	if (is_sep(s[0], 0))
		return (err_set(cause, FERRY_ERR_BADNAME, "root-relative path "
		    "(it names a folder on the current drive): give the "
		    "drive"));
	return (err_set(cause, FERRY_ERR_BADNAME, "relative path: give a "
	    "drive (C:\\...) or a share (\\\\host\\share\\...)"));
}

int
winpath_parse(const char *s, size_t len, struct winpath *wp, char **cause)
{
	struct winpath	 p;
	int		 r;

	if (len == 0)
		return (err_set(cause, FERRY_ERR_BADNAME, "empty path"));
	if (len > WINPATH_MAX_BYTES)
		return (err_set(cause, FERRY_ERR_TOOBIG, "path of %zu bytes: "
		    "the limit is %d", len, WINPATH_MAX_BYTES));
	if (memchr(s, '\0', len) != NULL)
		return (err_set(cause, FERRY_ERR_BADNAME, "path contains a NUL "
		    "byte"));
	memset(&p, 0, sizeof p);
	if ((r = parse_root(s, len, &p, cause)) != 0) {
		winpath_clear(&p);
		return (r);
	}
	*wp = p;
	return (0);
}
