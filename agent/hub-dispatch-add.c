/*
 * The hub's dispatcher, planning: what each task of a transfer adds to
 * it (its source as the sender sees it now, its name at the receiver,
 * its basis hint) and what it adds to the transfer.start messages.
 * hub-dispatch.c builds transfers from these.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "beneath.h"
#include "err.h"
#include "expand.h"
#include "ferryd.h"
#include "hub-dispatch.h"
#include "hub-liststat.h"
#include "share-map.h"
#include "store.h"
#include "transfer.h"
#include "tree.h"

/* Where a job goes: a site, or a person's agent by e-mail. */
const char *
dispatch_to(const struct store_job *j)
{
	return (j->to_site != NULL ? j->to_site : j->to_user);
}

/*
 * A task's basis hint as the receiver needs it: relative to the same share
 * root as the file. NULL when there is none, or it lies elsewhere (the
 * receiver accepts hints inside what it receives into only).
 */
static char *
dispatch_basis_rel(struct share_map *m, const struct store_job *j,
    const struct store_task *t, const char *root, const char *platform)
{
	struct share_map_result	 res;
	char			*rel = NULL;
	size_t			 n = strlen(root);

	if (t->basis == NULL || share_map_translate_for(m, j->from_site,
	    dispatch_to(j), platform, t->basis, strlen(t->basis), &res,
	    NULL) != 0)
		return (NULL);
	if (strncmp(res.path, root, n) == 0 && (res.path[n] == '/' ||
	    (res.path[n] == '\\' && res.os != SHARE_OS_LINUX &&
	    res.os != SHARE_OS_MAC))) {
		rel = res.relative;
		res.relative = NULL;	/* transferred */
	}
	share_map_result_clear(&res);
	return (rel);
}

void
dispatch_src_close(struct dispatch_src *src)
{
	if (src->dirfd != -1 && src->dirfd != src->rootfd)
		close(src->dirfd);
	if (src->rootfd != -1)
		close(src->rootfd);
	free(src->dir);
	share_map_cache_free(src->tc);
	src->rootfd = src->dirfd = -1;
	src->dir = NULL;
	src->tc = NULL;
}

/*
 * What rel is now, below root, as transfer_open_source sees it (no
 * symlink on the way, a regular file); on any doubt, transfer_open_source
 * itself answers, with its error.
 */
static int
dispatch_stat(struct dispatch_src *src, const char *root, const char *rel,
    struct stat *sb, char **cause)
{
	const char	*slash = strrchr(rel, '/');
	size_t		 dlen = slash != NULL ? (size_t)(slash - rel) : 0;
	int		 fd, r;

	if (src->rootfd == -1 && (src->rootfd = open(root, O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) == -1)
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", root,
		    strerror(errno)));
	if ((r = tree_check_relpath(rel, cause)) != 0)
		return (r);
	if (src->dir == NULL || strlen(src->dir) != dlen ||
	    strncmp(src->dir, rel, dlen) != 0) {
		if (src->dirfd != -1 && src->dirfd != src->rootfd)
			close(src->dirfd);
		free(src->dir);
		src->dirfd = -1;
		if ((src->dir = strndup(rel, dlen)) == NULL)
			return (FERRY_ERR_NOMEM);
		if (dlen == 0)
			src->dirfd = src->rootfd;
		else if (beneath_open(src->rootfd, src->dir, O_PATH |
		    O_DIRECTORY, &src->dirfd, NULL) != 0)
			src->dirfd = -1;
	}
	if (src->dirfd != -1 && fstatat(src->dirfd, slash != NULL ?
	    slash + 1 : rel, sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(sb->st_mode))
		return (0);
	if ((r = transfer_open_source(src->rootfd, rel, O_PATH, &fd, sb,
	    cause)) == 0)
		close(fd);
	return (r);
}

/*
 * Adds task t to x: its source as the sender sees it, its name relative
 * to the share root the receiver writes into. Returns 1 for a task under
 * another share (a later transfer takes it). A source refused goes into
 * suspects ([rel, why]), for the audit trail once the plan's light
 * transaction has ended (dispatch_suspects). Caller holds d->mu.
 */
int
dispatch_add(struct jobs_xfer *x, struct share_map *m,
    const struct store_job *j, const struct store_task *t,
    struct dispatch_src *src, json_t *suspects, char **cause)
{
	struct share_map_result	 res;
	struct transfer_file	*tf;
	struct stat		 sb;
	char			*src_root = NULL;
	size_t			 rootlen;
	int			 r;

	if (src->tc == NULL)
		src->tc = share_map_cache_new();	/* NULL: in full */
	/* A publish names its destination itself (hub-publish.c). */
	if (publish_is(j)) {
		if ((r = publish_split(m, j, t, dispatch_to(j), &res,
		    &src_root, cause)) != 0)
			return (r);
	} else if ((r = share_map_translate_for_cached(m, src->tc,
	    j->from_site, dispatch_to(j), x->recv.platform, t->src_path,
	    strlen(t->src_path), &res, cause)) != 0)
		return (r);
	else if ((r = expand_root(t->src_path, res.relative, &src_root,
	    cause)) != 0) {
		share_map_result_clear(&res);
		return (r);
	}
	/* Both ends' share roots: one of each per transfer. */
	rootlen = strlen(res.path) - strlen(res.relative) -
	    (*res.relative != '\0');
	if (x->root == NULL) {
		x->root = strndup(res.path, rootlen);
		x->l.root = src_root;
		src_root = NULL;	/* transferred */
	} else if (strncmp(x->root, res.path, rootlen) != 0 ||
	    strlen(x->root) != rootlen || strcmp(x->l.root, src_root) != 0) {
		free(src_root);
		share_map_result_clear(&res);
		return (1);
	}
	free(src_root);
	tf = &x->l.v[x->l.n];
	memset(tf, 0, sizeof *tf);
	tf->type = MSG_ENTRY_FILE;
	if (x->send.link == NULL) {
		/*
		 * The hub sends: what the file is now, beneath its root; or
		 * what this job's own listing found it, a regular file beneath
		 * the same root, within LISTSTAT_MS (hub-liststat.h). The
		 * name is checked as dispatch_stat checks it, and the sender
		 * opens the file beneath its root itself.
		 */
		r = 0;
		if (tree_check_relpath(res.relative, NULL) != 0 ||
		    liststat_take(j->id, x->l.root, t->src_path, &sb) != 0 ||
		    !S_ISREG(sb.st_mode))
			r = dispatch_stat(src, x->l.root, res.relative, &sb,
			    cause);
		if (r != 0) {
			if (r == FERRY_ERR_DENIED && json_array_append_new(
			    suspects, json_pack("[s,s]", res.relative,
			    *cause)) != 0)
				dispatch_audit(x, res.relative, *cause);
			share_map_result_clear(&res);
			return (r);
		}
		tf->mode = sb.st_mode & 07777;
		tf->size = (uint64_t)sb.st_size;
		tf->mtime_sec = sb.st_mtim.tv_sec;
		tf->mtime_nsec = (uint32_t)sb.st_mtim.tv_nsec;
	}
	tf->src = strdup(t->src_path);
	tf->rel = res.relative;
	res.relative = NULL;	/* transferred */
	tf->basis = dispatch_basis_rel(m, j, t, x->root, x->recv.platform);
	/* A large file without a basis is striped (hub-streams.c). */
	if ((uint64_t)t->size >= DISPATCH_STRIPE_MIN && tf->basis == NULL)
		x->nbig++;
	x->task[x->l.n++] = t->id;
	share_map_result_clear(&res);
	return (0);
}

size_t
dispatch_json_len(const char *s)
{
	size_t	n = 2;	/* the quotes */

	for (; s != NULL && *s != '\0'; s++)
		n += (unsigned char)*s < 0x20 ? 6 : *s == '"' || *s == '\\' ?
		    2 : 1;
	return (n);
}

/*
 * What file f adds to the larger of the two ends' transfer.start (the
 * sender's src, rel and basis; the receiver's rel, and rel and basis in
 * "bases"), with room for the keys and quotes.
 */
size_t
dispatch_start_bytes(const struct transfer_file *f)
{
	size_t	basis = f->basis != NULL ? dispatch_json_len(f->basis) : 0;
	size_t	rel = dispatch_json_len(f->rel);
	size_t	src = dispatch_json_len(f->src);

	/* {"src":,"rel":,"basis":} is 26 bytes and a comma. */
	return ((src > rel ? src : rel) + rel + basis + 32);
}
