/*
 * Reading a secret from a file (an API key, an SMTP password, stored
 * credentials) the one careful way: the open descriptor is checked, not
 * the name, so the file checked is the file read; a symbolic link, a
 * non-regular file, a file open to those deny bits name, or (with own)
 * one owned by someone else is refused with a cause that names the file
 * and says how to mend it, never what it holds.
 */
#ifndef FERRY_SECRETFILE_H
#define FERRY_SECRETFILE_H

#include <sys/types.h>

#include "buf.h"

/* The largest secret file read. */
#define SECRETFILE_MAX	65536

/*
 * Reads path into b (initialised here; the caller wipes and frees it with
 * secretfile_wipe()). what names the file in causes ("API key file").
 * deny is 077 (group or others) or 007 (others).
 */
int	secretfile_read(const char *path, const char *what, mode_t deny,
	    int own, struct buf *b, char **cause);

/* Overwrites and frees what secretfile_read() filled; NULL data is fine. */
void	secretfile_wipe(struct buf *b);

#endif
