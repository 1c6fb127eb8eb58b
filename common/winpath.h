/*
 * Windows path rules as pure functions over UTF-8: which names Windows
 * would refuse, or would silently take to mean something else (a device,
 * an alternate data stream, another file through its 8.3 short name or a
 * case alias), and what an absolute Windows path names, including the
 * \\?\ and \\.\ forms. No I/O: they run on Linux too (share map, unit
 * tests, fuzz target) and are what the Windows agent checks before it
 * turns a name into UTF-16 for the Windows API.
 */
#ifndef FERRY_WINPATH_H
#define FERRY_WINPATH_H

#include <stddef.h>

/* Limits: NTFS names are at most 255 UTF-16 units; paths are bounded. */
#define WINPATH_MAX_NAME	255
#define WINPATH_MAX_BYTES	32767
#define WINPATH_MAX_COMPS	1024

enum winpath_kind {
	WINPATH_DRIVE,	/* C:\a\b, or \\?\C:\a\b */
	WINPATH_UNC	/* \\host\share\a, or \\?\UNC\host\share\a */
};

/* A parsed absolute path; winpath_clear() frees it. */
struct winpath {
	enum winpath_kind	  kind;
	char			  drive;	/* WINPATH_DRIVE: 'A'..'Z' */
	char			 *host;		/* WINPATH_UNC */
	char			 *share;	/* WINPATH_UNC */
	char			**comp;		/* below the drive or share */
	size_t			  ncomp;
};

/*
 * Whether the len bytes at name are one file name that Windows stores as
 * it is written and that names nothing else: valid UTF-8 of at most 255
 * UTF-16 units; no control character, none of <>"|?*\/; no ':' (an
 * alternate data stream); no trailing dot or space (Windows drops them);
 * not a device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9, CONIN$, CONOUT$,
 * also with an extension or spaces before it, and COM/LPT with a
 * superscript digit); not "." or ".."; not shaped like an 8.3 short name
 * (BASE~N.EXT), which could alias another file's long name. 0, or
 * FERRY_ERR_BADNAME with a cause naming the rule.
 */
int	 winpath_check_name(const char *name, size_t len, char **cause);

/*
 * Whether the len bytes at rel are a relative path ('/' or '\' between
 * names) each of whose names winpath_check_name() accepts: no empty name,
 * no leading separator, no drive ("C:x" fails as a ':').
 */
int	 winpath_check_rel(const char *rel, size_t len, char **cause);

/*
 * Parses an absolute Windows path: C:\... (either separator), \\host\share
 * \..., and the verbatim \\?\C:\... and \\?\UNC\host\share\... forms.
 * Refuses, with FERRY_ERR_BADNAME and a cause: relative, drive-relative
 * (C:x) and root-relative (\x) paths, the device namespace (\\.\), the NT
 * namespace (\??\), volume GUID and GLOBALROOT paths, and any name below
 * the root that winpath_check_name() refuses.
 */
int	 winpath_parse(const char *s, size_t len, struct winpath *wp,
	    char **cause);
void	 winpath_clear(struct winpath *wp);

/*
 * The key under which Windows (NTFS's upcase table) takes two names to be
 * the same file: each code point upper-cased, for ASCII, Latin-1, Latin
 * Extended-A, Greek and Cyrillic. Two names with the same key are case
 * aliases. Returns 0 and a string the caller frees in *key, or
 * FERRY_ERR_BADNAME (not UTF-8) / FERRY_ERR_NOMEM.
 */
int	 winpath_fold(const char *name, size_t len, char **key, char **cause);

#endif
