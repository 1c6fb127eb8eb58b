#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "path.h"
#include "winpath.h"

static int
is_sep(char c, enum path_kind kind)
{
	return (c == '/' || (kind != PATH_POSIX && c == '\\'));
}

int
path_kind_folds_case(enum path_kind kind)
{
	return (kind != PATH_POSIX);
}

void
path_clear(struct path *p)
{
	free(p->comp);
	free(p->store);
	memset(p, 0, sizeof *p);
}

/*
 * Splits s[0..len) on separators, dropping empty and "." components.
 * The components are one copy of s, cut in place, and one vector: the
 * share map parses every path it translates (twice a file of a send, at
 * submit and at dispatch), and a string and a vector's growth per
 * component were a third of that.
 */
static int
path_split(struct path *p, const char *s, size_t len, char **cause)
{
	size_t	i = 0, start, most = 1;
	char	*c;

	for (i = 0; i < len; i++)
		most += is_sep(s[i], p->kind);
	if (most > PATH_MAX_COMPS + 1)
		most = PATH_MAX_COMPS + 1;
	if ((p->store = malloc(len + 1)) == NULL ||
	    (p->comp = calloc(most, sizeof *p->comp)) == NULL)
		return (FERRY_ERR_NOMEM);
	memcpy(p->store, s, len);
	p->store[len] = '\0';
	c = p->store;
	i = 0;
	while (i < len) {
		while (i < len && is_sep(c[i], p->kind))
			i++;
		start = i;
		while (i < len && !is_sep(c[i], p->kind))
			i++;
		if (i == start || (i - start == 1 && c[start] == '.'))
			continue;
		if (i - start > PATH_MAX_NAME)
			return (err_set(cause, FERRY_ERR_BADNAME,
			    "a name is longer than %d bytes", PATH_MAX_NAME));
		if (p->ncomp == PATH_MAX_COMPS)
			return (err_set(cause, FERRY_ERR_BADNAME,
			    "more than %d path components", PATH_MAX_COMPS));
		p->comp[p->ncomp++] = c + start;
		if (i < len)
			c[i++] = '\0';	/* the separator after it */
	}
	return (0);
}

/* Refuses bytes that no file name should hold: NUL and control characters. */
static int
path_check_bytes(const char *s, size_t len, char **cause)
{
	size_t		i;
	unsigned char	c;

	if (len > PATH_MAX_BYTES)
		return (err_set(cause, FERRY_ERR_BADNAME,
		    "path is longer than %d bytes", PATH_MAX_BYTES));
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == 0)
			return (err_set(cause, FERRY_ERR_BADNAME,
			    "path contains a NUL byte at offset %zu", i));
		if (c < 0x20 || c == 0x7f)
			return (err_set(cause, FERRY_ERR_BADNAME,
			    "path contains control character 0x%02x at offset "
			    "%zu", c, i));
	}
	return (0);
}

int
path_parse(const char *s, size_t len, struct path *p, char **cause)
{
	int	r;

	memset(p, 0, sizeof *p);
	if ((r = path_check_bytes(s, len, cause)) != 0)
		return (r);
	if (len == 0)
		return (err_set(cause, FERRY_ERR_BADNAME, "path is empty"));

	if (len >= 2 && (s[0] == '/' || s[0] == '\\') &&
	    (s[1] == '/' || s[1] == '\\')) {
		p->kind = PATH_UNC;
		if ((r = path_split(p, s + 2, len - 2, cause)) != 0)
			goto fail;
		if (p->ncomp < 2) {
			r = err_set(cause, FERRY_ERR_BADNAME,
			    "UNC path needs a host and a share "
			    "(\\\\host\\share\\...)");
			goto fail;
		}
		if (strcmp(p->comp[0], "..") == 0 ||
		    strcmp(p->comp[1], "..") == 0) {
			r = err_set(cause, FERRY_ERR_BADNAME,
			    "UNC host or share cannot be \"..\"");
			goto fail;
		}
	} else if (s[0] == '/') {
		p->kind = PATH_POSIX;
		if ((r = path_split(p, s, len, cause)) != 0)
			goto fail;
	} else if (len >= 2 && isalpha((unsigned char)s[0]) && s[1] == ':') {
		p->kind = PATH_DRIVE;
		p->drive = (char)toupper((unsigned char)s[0]);
		if (len > 2 && !is_sep(s[2], PATH_DRIVE)) {
			r = err_set(cause, FERRY_ERR_BADNAME,
			    "drive-relative path (\"%c:name\"): a separator must "
			    "follow the drive letter", s[0]);
			goto fail;
		}
		if ((r = path_split(p, s + 2, len - 2, cause)) != 0)
			goto fail;
	} else {
		r = err_set(cause, FERRY_ERR_BADNAME,
		    "not an absolute path (expected /..., X:\\... or "
		    "\\\\host\\share\\...)");
		goto fail;
	}
	return (0);
fail:
	path_clear(p);
	return (r);
}

int
path_utf8_valid(const char *s, size_t n)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = 0, k, need;
	unsigned long		 cp, min;

	while (i < n) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if ((u[i] & 0xe0) == 0xc0) {
			need = 1; cp = u[i] & 0x1f; min = 0x80;
		} else if ((u[i] & 0xf0) == 0xe0) {
			need = 2; cp = u[i] & 0x0f; min = 0x800;
		} else if ((u[i] & 0xf8) == 0xf0) {
			need = 3; cp = u[i] & 0x07; min = 0x10000;
		} else
			return (0);
		if (n - i - 1 < need)
			return (0);
		for (k = 1; k <= need; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return (0);
			cp = (cp << 6) | (u[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return (0);
		i += need + 1;
	}
	return (1);
}

int
path_check_windows_name(const char *name, char **cause)
{
	/* One set of rules for the share map and the Windows agent. */
	return (winpath_check_name(name, strlen(name), cause));
}
