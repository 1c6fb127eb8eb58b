#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sequence.h"

void
sequence_clear(struct sequence *seq)
{
	free(seq->head);
	free(seq->token);
	free(seq->tail);
	free(seq->ranges);
	memset(seq, 0, sizeof *seq);
}

/*
 * Finds the rightmost frame token in s[0..len) that lies in the last path
 * component. Sets *start, *tlen and *padding; returns 0 if there is none.
 */
static int
sequence_find_token(const char *s, size_t len, size_t *start, size_t *tlen,
    int *padding)
{
	size_t	i = len, j, base = 0;

	for (j = 0; j < len; j++) {
		if (s[j] == '/' || s[j] == '\\')
			base = j + 1;
	}
	while (i > base) {
		i--;
		if (s[i] == '#' || s[i] == '@') {
			j = i;
			while (j > base && s[j - 1] == s[i])
				j--;
			/* A lone '@' between letters is an e-mail, not a frame. */
			if (s[i] == '@' && i == j && j > base && i + 1 < len &&
			    isalnum((unsigned char)s[j - 1]) &&
			    isalnum((unsigned char)s[i + 1])) {
				i = j;
				continue;
			}
			*start = j;
			*tlen = i - j + 1;
			*padding = (int)*tlen;
			return (1);
		}
		if (s[i] != 'd' || i == base)
			continue;
		/* "%d", or "%0Nd" with N from 1 to 9. */
		if (s[i - 1] == '%') {
			*start = i - 1; *tlen = 2; *padding = 0;
			return (1);
		}
		if (i >= base + 3 && s[i - 3] == '%' && s[i - 2] == '0' &&
		    s[i - 1] >= '1' && s[i - 1] <= '9') {
			*start = i - 3; *tlen = 4; *padding = s[i - 1] - '0';
			return (1);
		}
	}
	return (0);
}

/* Reads a non-negative frame number at *p, advancing it. */
static int
sequence_read_frame(const char **p, long *out)
{
	long	v = 0;

	if (!isdigit((unsigned char)**p))
		return (-1);
	while (isdigit((unsigned char)**p)) {
		v = v * 10 + (**p - '0');
		if (v > SEQUENCE_MAX_FRAME)
			return (-1);
		(*p)++;
	}
	*out = v;
	return (0);
}

/* Parses "1001-1003, 1005" (without brackets) into seq->ranges. */
static int
sequence_parse_ranges(struct sequence *seq, const char *list, char **cause)
{
	const char		*p = list;
	struct sequence_range	 r, *v;
	size_t			 total = 0;

	for (;;) {
		while (*p == ' ')
			p++;
		if (sequence_read_frame(&p, &r.first) != 0)
			return (err_set(cause, FERRY_ERR_PARSE,
			    "frame list [%s]: expected a frame number from 0 to "
			    "%ld at \"%s\"", list, SEQUENCE_MAX_FRAME, p));
		r.last = r.first;
		while (*p == ' ')
			p++;
		if (*p == '-') {
			p++;
			while (*p == ' ')
				p++;
			if (sequence_read_frame(&p, &r.last) != 0 ||
			    r.last < r.first)
				return (err_set(cause, FERRY_ERR_PARSE,
				    "frame list [%s]: bad range ending at \"%s\"",
				    list, p));
			while (*p == ' ')
				p++;
		}
		total += (size_t)(r.last - r.first) + 1;
		if (seq->nranges == SEQUENCE_MAX_RANGES ||
		    total > SEQUENCE_MAX_FRAMES)
			return (err_set(cause, FERRY_ERR_TOOBIG,
			    "frame list [%s]: more than %d frames or %d ranges",
			    list, SEQUENCE_MAX_FRAMES, SEQUENCE_MAX_RANGES));
		v = realloc(seq->ranges, (seq->nranges + 1) * sizeof *v);
		if (v == NULL)
			return (FERRY_ERR_NOMEM);
		seq->ranges = v;
		seq->ranges[seq->nranges++] = r;
		if (*p == '\0')
			return (0);
		if (*p++ != ',')
			return (err_set(cause, FERRY_ERR_PARSE,
			    "frame list [%s]: expected ',' at \"%s\"", list,
			    p - 1));
	}
}

int
sequence_parse(const char *s, struct sequence *seq, char **cause)
{
	size_t		 len = strlen(s), start, tlen, n;
	const char	*open = NULL;
	char		*list = NULL;
	int		 padding, r;

	memset(seq, 0, sizeof *seq);
	/* A trailing " [list]" belongs to the sequence, not to the name. */
	if (len > 3 && s[len - 1] == ']' && (open = strrchr(s, '[')) != NULL &&
	    open > s && open[-1] == ' ') {
		n = (size_t)(open - s) - 1;
		if (!sequence_find_token(s, n, &start, &tlen, &padding))
			return (0);
		len = n;
	} else {
		open = NULL;
		if (!sequence_find_token(s, len, &start, &tlen, &padding))
			return (0);
	}

	r = FERRY_ERR_NOMEM;
	seq->padding = padding;
	if ((seq->head = strndup(s, start)) == NULL ||
	    (seq->token = strndup(s + start, tlen)) == NULL ||
	    (seq->tail = strndup(s + start + tlen, len - start - tlen)) == NULL)
		goto fail;
	if (open != NULL) {
		if ((list = strndup(open + 1, strlen(open) - 2)) == NULL)
			goto fail;
		if ((r = sequence_parse_ranges(seq, list, cause)) != 0)
			goto fail;
		free(list);
	}
	return (1);
fail:
	free(list);
	sequence_clear(seq);
	return (r);
}

size_t
sequence_count(const struct sequence *seq)
{
	size_t	i, n = 0;

	for (i = 0; i < seq->nranges; i++)
		n += (size_t)(seq->ranges[i].last - seq->ranges[i].first) + 1;
	return (n);
}

int
sequence_frame_path(const struct sequence *seq, long frame, struct buf *out)
{
	return (buf_printf(out, "%s%0*ld%s", seq->head, seq->padding, frame,
	    seq->tail));
}

int
sequence_format_ranges(const struct sequence *seq, struct buf *out)
{
	size_t	i;
	int	r;

	if ((r = buf_addch(out, '[')) != 0)
		return (r);
	for (i = 0; i < seq->nranges; i++) {
		const struct sequence_range *g = &seq->ranges[i];

		r = buf_printf(out, "%s%ld", i > 0 ? ", " : "", g->first);
		if (r == 0 && g->last != g->first)
			r = buf_printf(out, "-%ld", g->last);
		if (r != 0)
			return (r);
	}
	return (buf_addch(out, ']'));
}

int
sequence_format(const struct sequence *seq, struct buf *out)
{
	int	r;

	r = buf_printf(out, "%s%s%s", seq->head, seq->token, seq->tail);
	if (r == 0 && seq->nranges > 0) {
		if ((r = buf_addch(out, ' ')) == 0)
			r = sequence_format_ranges(seq, out);
	}
	return (r);
}

/* The frame number in name if it is one of seq's frames on disk, else -1. */
static long
sequence_match_name(const struct sequence *seq, const char *prefix,
    const char *name)
{
	size_t		 np = strlen(prefix), nt = strlen(seq->tail), nn;
	size_t		 digits;
	const char	*p;
	long		 frame;

	nn = strlen(name);
	if (nn <= np + nt || strncmp(name, prefix, np) != 0 ||
	    strcmp(name + nn - nt, seq->tail) != 0)
		return (-1);
	digits = nn - np - nt;
	for (p = name + np; p < name + np + digits; p++) {
		if (!isdigit((unsigned char)*p))
			return (-1);
	}
	p = name + np;
	/* A number written with more digits than the padding has no 0 lead. */
	if (digits < (size_t)seq->padding ||
	    (digits > (size_t)(seq->padding ? seq->padding : 1) && *p == '0'))
		return (-1);
	if (sequence_read_frame(&p, &frame) != 0)
		return (-1);
	return (frame);
}

static int
cmp_frame(const void *a, const void *b)
{
	long	x = *(const long *)a, y = *(const long *)b;

	return (x < y ? -1 : x > y);
}

/* Turns a sorted list of distinct frames into ranges. */
static int
sequence_set_frames(struct sequence *seq, const long *f, size_t n)
{
	size_t	i;

	free(seq->ranges);
	seq->nranges = 0;
	if ((seq->ranges = calloc(n, sizeof *seq->ranges)) == NULL)
		return (FERRY_ERR_NOMEM);
	for (i = 0; i < n; i++) {
		if (seq->nranges > 0 &&
		    seq->ranges[seq->nranges - 1].last + 1 == f[i])
			seq->ranges[seq->nranges - 1].last = f[i];
		else {
			seq->ranges[seq->nranges].first = f[i];
			seq->ranges[seq->nranges++].last = f[i];
		}
	}
	return (0);
}

int
sequence_scan(struct sequence *seq, char **cause)
{
	char		*dir, *slash;
	const char	*prefix;
	DIR		*d;
	struct dirent	*e;
	long		*frames = NULL, *v, f;
	size_t		 n = 0;
	int		 r;

	if ((dir = strdup(seq->head)) == NULL)
		return (FERRY_ERR_NOMEM);
	if ((slash = strrchr(dir, '/')) == NULL) {
		free(dir);
		return (err_set(cause, FERRY_ERR_INVAL,
		    "%s%s%s: only a sequence on this machine can be listed",
		    seq->head, seq->token, seq->tail));
	}
	*slash = '\0';
	prefix = seq->head + (slash - dir) + 1;
	if ((d = opendir(*dir != '\0' ? dir : "/")) == NULL) {
		r = err_set(cause, FERRY_ERR_IO,
		    "no frame list given and %s cannot be listed: %s",
		    *dir != '\0' ? dir : "/", strerror(errno));
		free(dir);
		return (r);
	}
	r = 0;
	while ((e = readdir(d)) != NULL) {
		if ((f = sequence_match_name(seq, prefix, e->d_name)) < 0)
			continue;
		if (n == SEQUENCE_MAX_FRAMES) {
			r = err_set(cause, FERRY_ERR_TOOBIG,
			    "%s: more than %d frames", dir, SEQUENCE_MAX_FRAMES);
			break;
		}
		if ((v = realloc(frames, (n + 1) * sizeof *v)) == NULL) {
			r = FERRY_ERR_NOMEM;
			break;
		}
		frames = v;
		frames[n++] = f;
	}
	closedir(d);
	if (r == 0 && n == 0)
		r = err_set(cause, FERRY_ERR_NOTFOUND,
		    "no frames of %s%s%s found in %s", prefix, seq->token,
		    seq->tail, *dir != '\0' ? dir : "/");
	if (r == 0) {
		qsort(frames, n, sizeof *frames, cmp_frame);
		r = sequence_set_frames(seq, frames, n);
	}
	free(frames);
	free(dir);
	return (r);
}
