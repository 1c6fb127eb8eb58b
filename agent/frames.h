/*
 * A sequence's frame list against the disk: `ferry send` refuses a list
 * that names missing frames (how many, and which, as ranges), or with
 * --skip-missing keeps the frames that exist.
 */
#ifndef FERRY_FRAMES_H
#define FERRY_FRAMES_H

/*
 * Sets *out (newly allocated) to path as it should be expanded: path
 * itself when it is no sequence with a frame list or names no missing
 * frame; with skip_missing, the pattern with the frames that exist.
 * Missing frames otherwise, or no frame at all, fail with
 * FERRY_ERR_NOTFOUND and a cause naming them.
 */
int	frames_check(const char *path, int skip_missing, char **out,
	    char **cause);

#endif
