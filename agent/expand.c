/* Expanding send paths into files (expand.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "beneath.h"
#include "buf.h"
#include "err.h"
#include "expand.h"
#include "sequence.h"
#include "share-map.h"
#include "transfer.h"
#include "tree.h"

struct expand {
	int		 rootfd;
	const char	*root;
	size_t		 rootlen;
	expand_fn	 add;
	void		*arg;
	struct buf	 path;		/* expand_add's, kept between files */
};

static int	expand_rel(struct expand *, const char *, char **);

/*
 * Calls add for the file rel, with its full path: joined in one buffer
 * kept for the whole expansion, not formatted into a new one per file
 * (a send of 20,000 files paid a vsnprintf and a malloc for each).
 */
static int
expand_add(struct expand *x, const char *rel, const struct stat *sb)
{
	int	r;

	buf_reset(&x->path);
	if ((r = buf_add(&x->path, x->root, x->rootlen)) == 0 && *rel != '\0' &&
	    (r = buf_addch(&x->path, '/')) == 0)
		r = buf_addstr(&x->path, rel);
	return (r != 0 ? r : x->add(buf_str(&x->path), sb, x->arg));
}

static int
expand_sequence(struct expand *x, struct sequence *seq, char **cause)
{
	struct buf	 p;
	const char	*rel;
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
			if ((rel = transfer_src_rel(x->root, buf_str(&p))) ==
			    NULL)
				r = err_set(cause, FERRY_ERR_NOSHARE, "%s: not "
				    "below %s", buf_str(&p), x->root);
			else
				r = expand_rel(x, rel, cause);
		}
	}
	buf_free(&p);
	return (r);
}

/* Every file below directory rel, opened as dfd (taken). */
static int
expand_dir(struct expand *x, const char *rel, int dfd, char **cause)
{
	struct buf	 sub;
	struct dirent	*e;
	struct stat	 sb;
	DIR		*dir;
	int		 r = 0;

	if ((dir = fdopendir(dfd)) == NULL) {
		close(dfd);
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", rel,
		    strerror(errno)));
	}
	buf_init(&sub, 0);
	while (r == 0 && (e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") ==
		    0 || tree_is_ferry_name(e->d_name, strlen(e->d_name)))
			continue;
		/* rel/name, joined: no format per file. */
		buf_reset(&sub);
		if (*rel != '\0' && (buf_addstr(&sub, rel) != 0 ||
		    buf_addch(&sub, '/') != 0)) {
			r = FERRY_ERR_NOMEM;
			break;
		}
		if (buf_addstr(&sub, e->d_name) != 0) {
			r = FERRY_ERR_NOMEM;
			break;
		}
		if (fstatat(dirfd(dir), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) ==
		    -1)
			r = err_set(cause, FERRY_ERR_IO, "%s: %s",
			    buf_str(&sub), strerror(errno));
		else if (S_ISREG(sb.st_mode))
			r = expand_add(x, buf_str(&sub), &sb);
		else if (S_ISLNK(sb.st_mode))
			r = err_set(cause, FERRY_ERR_DENIED, "%s: a symlink: "
			    "ferry follows none", buf_str(&sub));
		else
			r = expand_rel(x, buf_str(&sub), cause);
	}
	closedir(dir);
	buf_free(&sub);
	return (r);
}

/* Whatever rel names below the root. */
static int
expand_rel(struct expand *x, const char *rel, char **cause)
{
	struct stat	sb;
	int		fd, r;

	if (*rel != '\0' && (r = tree_check_relpath(rel, cause)) != 0)
		return (r);
	if ((r = beneath_open(x->rootfd, rel, O_PATH, &fd, cause)) != 0)
		return (r);
	if (fstat(fd, &sb) == -1) {
		close(fd);
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", rel,
		    strerror(errno)));
	}
	close(fd);
	if (S_ISREG(sb.st_mode))
		return (expand_add(x, rel, &sb));
	if (!S_ISDIR(sb.st_mode))
		return (err_set(cause, FERRY_ERR_BADNAME, "%s: not a file or "
		    "directory", rel));
	if ((r = beneath_open(x->rootfd, rel, O_RDONLY | O_DIRECTORY, &fd,
	    cause)) != 0)
		return (r);
	return (expand_dir(x, rel, fd, cause));
}

int
expand_path(const char *root, const char *rel, expand_fn add, void *arg,
    char **cause)
{
	struct expand	 x;
	struct sequence	 seq;
	struct buf	 path;
	int		 r;

	x.root = root;
	x.rootlen = strlen(root);
	x.add = add;
	x.arg = arg;
	buf_init(&x.path, 0);
	if ((x.rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", root,
		    strerror(errno)));
	/* A sequence is named by the user, never found in a directory. */
	buf_init(&path, 0);
	buf_printf(&path, "%s%s%s", root, *rel ? "/" : "", rel);
	if ((r = sequence_parse(buf_str(&path), &seq, cause)) > 0) {
		r = expand_sequence(&x, &seq, cause);
		sequence_clear(&seq);
	} else if (r == 0)
		r = expand_rel(&x, rel, cause);
	buf_free(&path);
	buf_free(&x.path);
	close(x.rootfd);
	return (r);
}

int
expand_root(const char *path, const char *rel, char **root, char **cause)
{
	return (share_map_path_root(path, rel, root, cause));
}
