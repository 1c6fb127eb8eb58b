/*
 * Windows path rules (winpath.h). Every refusal names the rule, since the
 * person reading it is usually a Linux user whose file name is fine at
 * home; names are shown with control bytes escaped.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "utf16.h"
#include "winpath.h"

/* A name as it may be shown in a message: bounded, controls escaped. */
struct shown {
	char	 s[4 * 64 + 4];
};

static const char *
shown(struct shown *sh, const char *name, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, o = 0;

	for (i = 0; i < len && i < 64; i++) {
		unsigned char	 c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f || c == '"') {
			sh->s[o++] = '\\';
			sh->s[o++] = 'x';
			sh->s[o++] = hex[c >> 4];
			sh->s[o++] = hex[c & 15];
		} else
			sh->s[o++] = (char)c;
	}
	if (i < len) {
		memcpy(sh->s + o, "...", 3);
		o += 3;
	}
	sh->s[o] = '\0';
	return (sh->s);
}

/* How many UTF-16 units the UTF-8 name takes; -1 if it is not UTF-8. */
static long
utf16_units(const char *name, size_t len)
{
	size_t		 i = 0;
	long		 units = 0;
	int32_t		 cp;

	while (i < len) {
		if ((cp = utf8_next((const unsigned char *)name, len, &i)) < 0)
			return (-1);
		units += cp >= 0x10000 ? 2 : 1;
	}
	return (units);
}

/*
 * Whether the device part of a name (before its first dot, trailing
 * spaces dropped: Windows opens the device for "NUL .txt" too) is a DOS
 * device. The superscript digits are U+00B9, U+00B2 and U+00B3.
 */
static int
is_device(const char *name, size_t len)
{
	static const char	*dev[] = { "CON", "PRN", "AUX", "NUL", "CONIN$",
				    "CONOUT$", NULL };
	size_t			 n, i;
	const char		*d;

	d = memchr(name, '.', len);
	n = d != NULL ? (size_t)(d - name) : len;
	while (n > 0 && name[n - 1] == ' ')
		n--;
	for (i = 0; dev[i] != NULL; i++) {
		if (n == strlen(dev[i]) && strncasecmp(name, dev[i], n) == 0)
			return (1);
	}
	if (n < 4 || (strncasecmp(name, "COM", 3) != 0 &&
	    strncasecmp(name, "LPT", 3) != 0))
		return (0);
	if (n == 4 && name[3] >= '0' && name[3] <= '9')
		return (1);
	return (n == 5 && (unsigned char)name[3] == 0xc2 &&
	    ((unsigned char)name[4] == 0xb9 || (unsigned char)name[4] == 0xb2 ||
	    (unsigned char)name[4] == 0xb3));
}

/*
 * Whether a name has the shape of an 8.3 short name with a numeric tail
 * (PROGRA~1, REPORT~12.TXT): one at most 8-byte base ending in "~" and
 * digits, at most one dot, an extension of at most 3. Such a name may open
 * a different file, the one whose long name it abbreviates.
 */
static int
is_short_name(const char *name, size_t len)
{
	const char	*dot = memchr(name, '.', len);
	size_t		 base = dot != NULL ? (size_t)(dot - name) : len;
	size_t		 i;

	if (dot != NULL && (len - base - 1 > 3 ||
	    memchr(dot + 1, '.', len - base - 1) != NULL))
		return (0);
	if (base < 3 || base > 8)
		return (0);
	for (i = base; i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9'; i--)
		;
	return (i < base && i >= 2 && name[i - 1] == '~');
}

/* The first byte Windows refuses in a name, or NULL. */
static const char *
forbidden(const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)name[i] < 0x20 ||
		    strchr("<>\"|?*\\/:", name[i]) != NULL)
			return (name + i);
	}
	return (NULL);
}

int
winpath_check_name(const char *name, size_t len, char **cause)
{
	struct shown	 sh;
	const char	*bad;
	long		 units;

	if (len == 0)
		return (err_set(cause, FERRY_ERR_BADNAME, "empty name"));
	if ((len == 1 && name[0] == '.') || (len == 2 &&
	    name[0] == '.' && name[1] == '.'))
		return (err_set(cause, FERRY_ERR_BADNAME, "name \"%s\" is a "
		    "folder's own link, not a file name", shown(&sh, name, len)));
	if ((units = utf16_units(name, len)) < 0)
		return (err_set(cause, FERRY_ERR_BADNAME, "name \"%s\" is not "
		    "valid UTF-8, which Windows needs", shown(&sh, name, len)));
	if (units > WINPATH_MAX_NAME)
		return (err_set(cause, FERRY_ERR_BADNAME, "name \"%s\" is longer "
		    "than Windows' 255 characters", shown(&sh, name, len)));
	if ((bad = forbidden(name, len)) != NULL && *bad == ':')
		return (err_set(cause, FERRY_ERR_BADNAME, "name \"%s\" contains "
		    "':', which names an alternate data stream on Windows",
		    shown(&sh, name, len)));
	if (bad != NULL && (unsigned char)*bad < 0x20)
		return (err_set(cause, FERRY_ERR_BADNAME, "name \"%s\" contains "
		    "a control character, which Windows does not allow",
		    shown(&sh, name, len)));
	if (bad != NULL)
		return (err_set(cause, FERRY_ERR_BADNAME, "name \"%s\" contains "
		    "'%c', which Windows does not allow", shown(&sh, name, len),
		    *bad));
	if (name[len - 1] == '.' || name[len - 1] == ' ')
		return (err_set(cause, FERRY_ERR_BADNAME, "name \"%s\" ends with "
		    "a %s, which Windows drops", shown(&sh, name, len),
		    name[len - 1] == '.' ? "dot" : "space"));
	if (is_device(name, len))
		return (err_set(cause, FERRY_ERR_BADNAME, "name \"%s\" is a "
		    "reserved device name on Windows", shown(&sh, name, len)));
	if (is_short_name(name, len))
		return (err_set(cause, FERRY_ERR_BADNAME, "name \"%s\" has the "
		    "shape of an 8.3 short name, which may be another file's "
		    "alias on Windows", shown(&sh, name, len)));
	return (0);
}

static int
is_sep(char c)
{
	return (c == '/' || c == '\\');
}

int
winpath_check_rel(const char *rel, size_t len, char **cause)
{
	size_t	 i = 0, j;
	int	 r;

	if (len == 0)
		return (err_set(cause, FERRY_ERR_BADNAME, "empty path"));
	if (len > WINPATH_MAX_BYTES)
		return (err_set(cause, FERRY_ERR_TOOBIG, "path of %zu bytes: "
		    "the limit is %d", len, WINPATH_MAX_BYTES));
	if (is_sep(rel[0]))
		return (err_set(cause, FERRY_ERR_BADNAME, "path starts with a "
		    "separator: it must be relative"));
	while (i < len) {
		for (j = i; j < len && !is_sep(rel[j]); j++)
			;
		if ((r = winpath_check_name(rel + i, j - i, cause)) != 0)
			return (r);
		i = j + 1;
		if (j + 1 == len)
			return (err_set(cause, FERRY_ERR_BADNAME, "path ends with "
			    "a separator"));
	}
	return (0);
}

void
winpath_clear(struct winpath *wp)
{
	size_t	 i;

	if (wp == NULL)
		return;
	for (i = 0; i < wp->ncomp; i++)
		free(wp->comp[i]);
	free(wp->comp);
	free(wp->host);
	free(wp->share);
	memset(wp, 0, sizeof *wp);
}

/*
 * NTFS's upcase table for the blocks people's file names mostly use. A code
 * point outside them is kept as it is, so two names that differ only there
 * are taken as distinct: on Windows the file system's own case-insensitive
 * open (which the agent never lets create over an existing file) is the
 * second line for those.
 */
static int32_t
fold_cp(int32_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 0xe0 && c <= 0xfe && c != 0xf7))
		return (c - 0x20);
	if (c == 0xff)
		return (0x178);
	if ((c >= 0x100 && c <= 0x12f) || (c >= 0x132 && c <= 0x137) ||
	    (c >= 0x14a && c <= 0x177))
		return (c & ~1);
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
		return ((c & 1) ? c : c - 1);
	if ((c >= 0x3b1 && c <= 0x3c1) || (c >= 0x3c3 && c <= 0x3cb))
		return (c - 0x20);
	if (c == 0x3c2)
		return (0x3a3);
	/* Greek with tonos: ά έ ή ί and ό ύ ώ. */
	if (c == 0x3ac)
		return (0x386);
	if (c >= 0x3ad && c <= 0x3af)
		return (c - 0x25);
	if (c == 0x3cc)
		return (0x38c);
	if (c == 0x3cd || c == 0x3ce)
		return (c - 0x3f);
	if (c >= 0x430 && c <= 0x44f)
		return (c - 0x20);
	if (c >= 0x450 && c <= 0x45f)
		return (c - 0x50);
	return (c);
}

int
winpath_fold(const char *name, size_t len, char **key, char **cause)
{
	struct shown	 sh;
	char		*out;
	size_t		 i = 0, o = 0;
	int32_t		 c;

	if (len > WINPATH_MAX_BYTES)
		return (err_set(cause, FERRY_ERR_TOOBIG, "name of %zu bytes",
		    len));
	if (memchr(name, '\0', len) != NULL)
		return (err_set(cause, FERRY_ERR_BADNAME, "name contains a NUL "
		    "byte"));
	/* Every mapping keeps a code point's UTF-8 length. */
	if ((out = malloc(len + 1)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	while (i < len) {
		if ((c = utf8_next((const unsigned char *)name, len, &i)) < 0) {
			free(out);
			return (err_set(cause, FERRY_ERR_BADNAME, "name \"%s\" is "
			    "not valid UTF-8", shown(&sh, name, len)));
		}
		o += utf8_put(out + o, fold_cp(c));
	}
	out[o] = '\0';
	*key = out;
	return (0);
}
