/*
 * The frames a sequence's list names that are not on disk (frames.h):
 * counted and named as ranges before a job is made, so that a typo in a
 * frame range is one clear refusal, or, asked for, the frames that exist.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "frames.h"
#include "sequence.h"

/* Adds frame f to the ranges of s, which grow in order. */
static int
frames_add(struct sequence *s, long f)
{
	struct sequence_range	*v;

	if (s->nranges > 0 && s->ranges[s->nranges - 1].last == f - 1) {
		s->ranges[s->nranges - 1].last = f;
		return (0);
	}
	if ((v = reallocarray(s->ranges, s->nranges + 1, sizeof *v)) == NULL)
		return (FERRY_ERR_NOMEM);
	s->ranges = v;
	v[s->nranges].first = v[s->nranges].last = f;
	s->nranges++;
	return (0);
}

/* Sorts each frame of seq into present or missing. */
static int
frames_sort(const struct sequence *seq, struct sequence *present,
    struct sequence *missing)
{
	struct stat	 sb;
	struct buf	 p;
	size_t		 i;
	long		 f;
	int		 r = 0;

	buf_init(&p, 0);
	for (i = 0; r == 0 && i < seq->nranges; i++) {
		for (f = seq->ranges[i].first; r == 0 &&
		    f <= seq->ranges[i].last; f++) {
			buf_reset(&p);
			if ((r = sequence_frame_path(seq, f, &p)) != 0)
				break;
			r = frames_add(lstat(buf_str(&p), &sb) == -1 &&
			    errno == ENOENT ? missing : present, f);
		}
	}
	buf_free(&p);
	return (r);
}

int
frames_check(const char *path, int skip_missing, char **out, char **cause)
{
	struct sequence	 seq, present, missing;
	struct buf	 b;
	size_t		 nmiss;
	int		 r;

	*out = NULL;
	if ((r = sequence_parse(path, &seq, cause)) <= 0 || seq.nranges == 0) {
		sequence_clear(&seq);
		if (r < 0)
			return (r);
		return ((*out = strdup(path)) == NULL ? FERRY_ERR_NOMEM : 0);
	}
	memset(&present, 0, sizeof present);
	memset(&missing, 0, sizeof missing);
	buf_init(&b, 0);
	if ((r = frames_sort(&seq, &present, &missing)) != 0)
		goto out;
	nmiss = sequence_count(&missing);
	if (nmiss == 0) {
		*out = strdup(path);
		r = *out == NULL ? FERRY_ERR_NOMEM : 0;
		goto out;
	}
	if (!skip_missing || present.nranges == 0) {
		sequence_format_ranges(&missing, &b);
		r = err_set(cause, FERRY_ERR_NOTFOUND, "%s%s%s: %zu of %zu "
		    "frames missing: %s%s", seq.head, seq.token, seq.tail,
		    nmiss, sequence_count(&seq), buf_str(&b), present.nranges ?
		    " (--skip-missing sends the others)" : "");
		goto out;
	}
	/* The frames that exist, as a sequence of their own. */
	r = buf_printf(&b, "%s%s%s ", seq.head, seq.token, seq.tail);
	if (r == 0)
		r = sequence_format_ranges(&present, &b);
	if (r == 0)
		*out = buf_detach(&b);
out:
	buf_free(&b);
	free(present.ranges);
	free(missing.ranges);
	sequence_clear(&seq);
	return (r);
}
