/* Expanding send paths into files (expand.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "expand.h"
#include "sequence.h"

static int
expand_sequence(struct sequence *seq, expand_fn add, void *arg, char **cause)
{
	struct buf	 p;
	size_t		 i;
	long		 f;
	int		 r = 0;

	if (seq->nranges == 0)
		r = sequence_scan(seq, cause);
	buf_init(&p, 0);
	for (i = 0; r == 0 && i < seq->nranges; i++) {
		for (f = seq->ranges[i].first; r == 0 &&
		    f <= seq->ranges[i].last; f++) {
			buf_reset(&p);
			sequence_frame_path(seq, f, &p);
			r = expand_path(buf_str(&p), add, arg, cause);
		}
	}
	buf_free(&p);
	return (r);
}

static int
expand_dir(const char *path, expand_fn add, void *arg, char **cause)
{
	struct buf	 p;
	struct dirent	*e;
	DIR		*dir;
	int		 r = 0;

	if ((dir = opendir(path)) == NULL)
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", path,
		    strerror(errno)));
	buf_init(&p, 0);
	while (r == 0 && (e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		buf_reset(&p);
		buf_printf(&p, "%s/%s", path, e->d_name);
		r = expand_path(buf_str(&p), add, arg, cause);
	}
	closedir(dir);
	buf_free(&p);
	return (r);
}

int
expand_path(const char *path, expand_fn add, void *arg, char **cause)
{
	struct sequence	 seq;
	struct stat	 sb;
	int		 r;

	if ((r = sequence_parse(path, &seq, cause)) < 0)
		return (r);
	if (r > 0) {
		r = expand_sequence(&seq, add, arg, cause);
		sequence_clear(&seq);
		return (r);
	}
	if (lstat(path, &sb) == -1)
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", path,
		    strerror(errno)));
	if (S_ISREG(sb.st_mode))
		return (add(path, &sb, arg));
	if (S_ISDIR(sb.st_mode))
		return (expand_dir(path, add, arg, cause));
	return (err_set(cause, FERRY_ERR_BADNAME, "%s: not a file or "
	    "directory", path));
}
