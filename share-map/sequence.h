/*
 * Image sequences as pipelines and ftrack write them:
 *   shot.%04d.exr   shot.####.exr   shot.@@@@.exr   shot.%d.exr
 * optionally followed by a clique-style frame list:
 *   shot.%04d.exr [1001-1100]   shot.%04d.exr [1001-1003, 1005-1010]
 * The frame token is looked for in the last path component only.
 */
#ifndef FERRY_SEQUENCE_H
#define FERRY_SEQUENCE_H

#include <stddef.h>

#include "buf.h"

#define SEQUENCE_MAX_FRAME	999999999L
#define SEQUENCE_MAX_FRAMES	1000000		/* frames in one sequence */
#define SEQUENCE_MAX_RANGES	10000

struct sequence_range {
	long	first;
	long	last;		/* inclusive; first <= last */
};

struct sequence {
	char			*head;	/* everything before the frame token */
	char			*token;	/* as written: "%04d", "####", "@@@@" */
	char			*tail;	/* everything after it, up to the frame list */
	int			 padding; /* digits; 0 means unpadded (%d) */
	struct sequence_range	*ranges;	/* NULL/0 when no list was given */
	size_t			 nranges;
};

/*
 * Parses s. Returns 1 and fills seq if s names a sequence, 0 if it holds no
 * frame token (seq is then left empty), or a negative code with a cause if
 * the frame list is malformed or too large. Clear seq with sequence_clear.
 */
int	 sequence_parse(const char *s, struct sequence *seq, char **cause);
void	 sequence_clear(struct sequence *seq);

/* Total frames in the list (0 when there is no list). */
size_t	 sequence_count(const struct sequence *seq);

/* Appends the file name of one frame: head + padded number + tail. */
int	 sequence_frame_path(const struct sequence *seq, long frame,
	     struct buf *out);

/* Appends the pattern (head token tail), then " [list]" if there is one. */
int	 sequence_format(const struct sequence *seq, struct buf *out);

/* Appends the frame list as "[1001-1003, 1005]". */
int	 sequence_format_ranges(const struct sequence *seq, struct buf *out);

/*
 * Fills seq's frame list from the files that exist on this machine: every
 * name in the pattern's directory that is head + digits + tail, where a
 * padded token needs at least that many digits. Returns FERRY_ERR_NOTFOUND
 * if none match, FERRY_ERR_IO with a cause if the directory cannot be read.
 */
int	 sequence_scan(struct sequence *seq, char **cause);

#endif
