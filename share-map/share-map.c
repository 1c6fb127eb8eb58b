/* Translating a path from one site and platform to another. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "err.h"
#include "share-map-int.h"

static const char *share_os_names[SHARE_OS_COUNT] = {
	"linux", "mac", "windows", "unc"
};

const char *
share_os_name(enum share_os os)
{
	if (os < 0 || os >= SHARE_OS_COUNT)
		return ("default");
	return (share_os_names[os]);
}

int
share_os_parse(const char *name, enum share_os *os)
{
	int	i;

	for (i = 0; i < SHARE_OS_COUNT; i++) {
		if (strcmp(name, share_os_names[i]) == 0) {
			*os = (enum share_os)i;
			return (0);
		}
	}
	return (FERRY_ERR_INVAL);
}

enum path_kind
share_os_kind(enum share_os os)
{
	switch (os) {
	case SHARE_OS_WINDOWS:
		return (PATH_DRIVE);
	case SHARE_OS_UNC:
		return (PATH_UNC);
	default:
		return (PATH_POSIX);
	}
}

/* The roots a site sees for share s: its own override, else the defaults. */
const struct share_roots *
share_effective_roots(const struct share *s, const char *site)
{
	size_t	i;

	for (i = 0; site != NULL && i < s->nsites; i++) {
		if (strcmp(s->sites[i].site, site) == 0)
			return (&s->sites[i]);
	}
	return (&s->defaults);
}

static int
comp_equal(enum path_kind kind, const char *a, const char *b)
{
	if (path_kind_folds_case(kind))
		return (strcasecmp(a, b) == 0);
	return (strcmp(a, b) == 0);
}

/* Whether root is a whole-component prefix of p. */
static int
share_root_matches(const struct share_root *root, const struct path *p)
{
	size_t	i;

	if (root->path.kind != p->kind || root->path.ncomp > p->ncomp)
		return (0);
	if (p->kind == PATH_DRIVE && root->path.drive != p->drive)
		return (0);
	for (i = 0; i < root->path.ncomp; i++) {
		if (!comp_equal(p->kind, root->path.comp[i], p->comp[i]))
			return (0);
	}
	return (1);
}

/*
 * Whether some root of m is d and one more name (a file of directory d
 * could be that root, which the longest match would then pick).
 */
int
share_map_root_below(const struct share_map *m, const struct path *d)
{
	const struct share	*s;
	const struct share_root	*root;
	size_t			 i, k, j, c;

	for (i = 0; i < m->nshare; i++) {
		s = &m->share[i];
		for (k = 0; k <= s->nsites; k++) {
			const struct share_roots *rs = k == 0 ? &s->defaults :
			    &s->sites[k - 1];

			for (j = 0; j < rs->nroot; j++) {
				root = &rs->root[j];
				if (root->path.kind != d->kind ||
				    root->path.ncomp != d->ncomp + 1 ||
				    (d->kind == PATH_DRIVE &&
				    root->path.drive != d->drive))
					continue;
				for (c = 0; c < d->ncomp; c++) {
					if (!comp_equal(d->kind,
					    root->path.comp[c], d->comp[c]))
						break;
				}
				if (c == d->ncomp)
					return (1);
			}
		}
	}
	return (0);
}

int
share_root_equal(const struct share_root *a, const struct share_root *b)
{
	return (a->os == b->os && a->path.ncomp == b->path.ncomp &&
	    share_root_matches(a, &b->path));
}

/* A root that matched a path, and where it came from. */
struct share_match {
	const struct share	*share;
	const struct share_root	*root;
};

/*
 * Resolves the components of p after the root into rel (a borrowed
 * vector), applying "..". Fails if ".." climbs above the root.
 */
static int
share_match_relative(const struct share_match *mt, const struct path *p,
    const char **rel, size_t *nrel)
{
	size_t	i;

	*nrel = 0;
	for (i = mt->root->path.ncomp; i < p->ncomp; i++) {
		if (strcmp(p->comp[i], "..") != 0)
			rel[(*nrel)++] = p->comp[i];
		else if (*nrel == 0)
			return (FERRY_ERR_TRAVERSAL);
		else
			(*nrel)--;
	}
	return (0);
}

/* Adds every root from_site can see (all roots when NULL) matching p. */
static size_t
share_map_candidates(const struct share_map *m, const char *from_site,
    const struct path *p, struct share_match *out)
{
	const struct share		*s;
	const struct share_roots	*rs;
	size_t				 i, k, j, n = 0;

	for (i = 0; i < m->nshare; i++) {
		s = &m->share[i];
		for (k = 0; k <= s->nsites; k++) {
			if (from_site != NULL)
				rs = share_effective_roots(s, from_site);
			else
				rs = k == 0 ? &s->defaults : &s->sites[k - 1];
			for (j = 0; j < rs->nroot; j++) {
				if (!share_root_matches(&rs->root[j], p))
					continue;
				out[n].share = s;
				out[n++].root = &rs->root[j];
			}
			if (from_site != NULL)
				break;
		}
	}
	return (n);
}

static size_t
share_map_count_roots(const struct share_map *m)
{
	size_t	i, k, n = 0;

	for (i = 0; i < m->nshare; i++) {
		n += m->share[i].defaults.nroot;
		for (k = 0; k < m->share[i].nsites; k++)
			n += m->share[i].sites[k].nroot;
	}
	return (n);
}

/* Orders matches longest root first, keeping map order among equals. */
static void
share_match_sort(struct share_match *v, size_t n)
{
	struct share_match	t;
	size_t			i, j;

	for (i = 1; i < n; i++) {
		t = v[i];
		for (j = i; j > 0 &&
		    v[j - 1].root->path.ncomp < t.root->path.ncomp; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
}

/* Writes root followed by rel as the target platform spells paths. */
static int
share_root_format(const struct share_root *root, const char **rel,
    size_t nrel, struct buf *out)
{
	const char	*sep = root->os >= SHARE_OS_WINDOWS ? "\\" : "/";
	size_t		 i;
	int		 r = 0;

	if (root->os == SHARE_OS_UNC)
		r = buf_addstr(out, "\\\\");
	else if (root->os == SHARE_OS_WINDOWS)
		r = buf_printf(out, "%c:", root->path.drive);
	for (i = 0; r == 0 && i < root->path.ncomp; i++) {
		if (i > 0 || root->os != SHARE_OS_UNC)
			r = buf_addstr(out, sep);
		if (r == 0)
			r = buf_addstr(out, root->path.comp[i]);
	}
	for (i = 0; r == 0 && i < nrel; i++) {
		if ((r = buf_addstr(out, sep)) == 0)
			r = buf_addstr(out, rel[i]);
	}
	/* A bare root still needs its separator: "/" and "S:\". */
	if (r == 0 && root->path.ncomp == 0 && nrel == 0)
		r = buf_addstr(out, sep);
	return (r);
}

/* Picks the root of share s that to_site sees on to_os. */
static int
share_target_root(const struct share *s, const char *to_site,
    enum share_os to_os, const struct share_root **root, char **cause)
{
	const struct share_roots	*rs = share_effective_roots(s, to_site);
	size_t				 i;

	if (to_os == SHARE_OS_DEFAULT) {
		*root = &rs->root[0];
		return (0);
	}
	for (i = 0; i < rs->nroot; i++) {
		if (rs->root[i].os == to_os) {
			*root = &rs->root[i];
			return (0);
		}
	}
	return (err_set(cause, FERRY_ERR_NOTFOUND,
	    "share %s has no %s root at site %s", s->name,
	    share_os_name(to_os), to_site));
}

/*
 * Names below the root must be ones Windows can hold if either end is a
 * Windows path: a source path cannot name what Windows cannot store, and
 * a target path must be creatable there.
 */
static int
share_check_names(const struct path *p, const struct share_root *root,
    const char **rel, size_t nrel, char **cause)
{
	size_t	i;
	int	r;

	if (p->kind == PATH_POSIX && root->os != SHARE_OS_WINDOWS &&
	    root->os != SHARE_OS_UNC)
		return (0);
	for (i = 0; i < nrel; i++) {
		if ((r = path_check_windows_name(rel[i], cause)) != 0)
			return (r);
	}
	return (0);
}

void
share_map_result_clear(struct share_map_result *res)
{
	free(res->share);
	free(res->relative);
	free(res->path);
	memset(res, 0, sizeof *res);
}

static int
share_join_relative(const char **rel, size_t nrel, char **out)
{
	struct buf	b;
	size_t		i;
	int		r = 0;

	buf_init(&b, 0);
	for (i = 0; r == 0 && i < nrel; i++) {
		if (i > 0)
			r = buf_addch(&b, '/');
		if (r == 0)
			r = buf_addstr(&b, rel[i]);
	}
	if (r == 0 && (*out = buf_detach(&b)) == NULL)
		r = FERRY_ERR_NOMEM;
	buf_free(&b);
	return (r);
}

/*
 * Tries the roots that match p, longest first: the first whose share p does
 * not climb out of and that to_site can see on to_os wins. Fills *share,
 * *root and rel (borrowed pointers into p).
 */
static int
share_map_pick(const struct share_map *m, const char *from_site,
    const char *to_site, enum share_os to_os, const struct path *p,
    const struct share **share, const struct share_root **root,
    const char **rel, size_t *nrel, char **cause)
{
	struct share_match	*cand;
	const struct share	*climbed = NULL;
	char			*missing = NULL;
	size_t			 n, i;
	int			 r = FERRY_ERR_NOSHARE;

	cand = calloc(share_map_count_roots(m) + 1, sizeof *cand);
	if (cand == NULL)
		return (FERRY_ERR_NOMEM);
	n = share_map_candidates(m, from_site, p, cand);
	share_match_sort(cand, n);
	for (i = 0; i < n; i++) {
		if (share_match_relative(&cand[i], p, rel, nrel) != 0) {
			climbed = climbed ? climbed : cand[i].share;
			continue;
		}
		r = share_target_root(cand[i].share, to_site, to_os, root,
		    missing == NULL ? &missing : NULL);
		if (r == 0) {
			*share = cand[i].share;
			break;
		}
	}
	free(cand);
	if (r == 0)
		free(missing);
	else if (missing != NULL) {
		if (cause != NULL) {
			free(*cause);
			*cause = missing;	/* transferred */
		} else
			free(missing);
	} else if (climbed != NULL)
		r = err_set(cause, FERRY_ERR_TRAVERSAL,
		    "\"..\" climbs out of share %s", climbed->name);
	else
		r = err_set(cause, FERRY_ERR_NOSHARE, "under no share%s%s",
		    from_site ? " of site " : "", from_site ? from_site : "");
	return (r);
}

int
share_map_translate(const struct share_map *m, const char *from_site,
    const char *to_site, enum share_os to_os, const char *path, size_t len,
    struct share_map_result *res, char **cause)
{
	struct path		 p;
	const struct share	*s = NULL;
	const struct share_root	*root = NULL;
	const char		**rel = NULL;
	size_t			 nrel = 0;
	struct buf		 out;
	int			 r;

	memset(res, 0, sizeof *res);
	buf_init(&out, 0);
	if ((r = path_parse(path, len, &p, cause)) != 0)
		return (r);
	if ((rel = calloc(p.ncomp + 1, sizeof *rel)) == NULL) {
		r = FERRY_ERR_NOMEM;
		goto out;
	}
	if ((r = share_map_pick(m, from_site, to_site, to_os, &p, &s, &root,
	    rel, &nrel, cause)) != 0 ||
	    (r = share_check_names(&p, root, rel, nrel, cause)) != 0 ||
	    (r = share_root_format(root, rel, nrel, &out)) != 0)
		goto out;
	res->os = root->os;
	if ((res->share = strdup(s->name)) == NULL ||
	    (r = share_join_relative(rel, nrel, &res->relative)) != 0 ||
	    (res->path = buf_detach(&out)) == NULL) {
		share_map_result_clear(res);
		r = r != 0 ? r : FERRY_ERR_NOMEM;
	}
out:
	buf_free(&out);
	free(rel);
	path_clear(&p);
	return (r);
}

int
share_map_site_known(const struct share_map *m, const char *site)
{
	size_t	i, k;

	for (i = 0; i < m->nsite; i++) {
		if (strcmp(m->site[i], site) == 0)
			return (1);
	}
	for (i = 0; i < m->nshare; i++) {
		for (k = 0; k < m->share[i].nsites; k++) {
			if (strcmp(m->share[i].sites[k].site, site) == 0)
				return (1);
		}
	}
	return (0);
}

/* Appends name unless b already lists it. */
static int
share_map_sites_add(struct buf *b, size_t start, const char *name)
{
	const char	*p = b->data ? b->data + start : NULL;
	size_t		 n = strlen(name);

	while (p != NULL && (p = strstr(p, name)) != NULL) {
		if ((p == b->data + start || p[-1] == ' ') &&
		    (p[n] == ',' || p[n] == '\0'))
			return (0);
		p += n;
	}
	return (buf_printf(b, "%s%s", b->len > start ? ", " : "", name));
}

int
share_map_sites_text(const struct share_map *m, struct buf *b)
{
	size_t	i, k, start = b->len;
	int	r = 0;

	for (i = 0; r == 0 && i < m->nsite; i++)
		r = share_map_sites_add(b, start, m->site[i]);
	for (i = 0; r == 0 && i < m->nshare; i++) {
		for (k = 0; r == 0 && k < m->share[i].nsites; k++)
			r = share_map_sites_add(b, start,
			    m->share[i].sites[k].site);
	}
	return (r);
}

int
share_map_site_roots(const struct share_map *m, const char *site,
    enum share_os os, int (*cb)(void *, const char *, const char *),
    void *arg)
{
	const struct share_roots	*rs;
	const struct share_root		*root;
	struct buf			 b;
	size_t				 i, k;
	int				 r = 0;

	buf_init(&b, 0);
	for (i = 0; r == 0 && i < m->nshare; i++) {
		rs = share_effective_roots(&m->share[i], site);
		for (k = 0; r == 0 && k < rs->nroot; k++) {
			root = &rs->root[k];
			if (root->os != os)
				continue;
			buf_reset(&b);
			r = share_root_format(root, NULL, 0, &b);
			if (r == 0)
				r = cb(arg, m->share[i].name, buf_str(&b));
		}
	}
	buf_free(&b);
	return (r);
}

int
share_map_share_known(const struct share_map *m, const char *name)
{
	size_t	i;

	for (i = 0; i < m->nshare; i++) {
		if (strcmp(m->share[i].name, name) == 0)
			return (1);
	}
	return (0);
}

int
share_map_shares_text(const struct share_map *m, struct buf *b)
{
	size_t	i;
	int	r = 0;

	for (i = 0; r == 0 && i < m->nshare; i++)
		r = buf_printf(b, "%s%s", i ? ", " : "", m->share[i].name);
	return (r);
}
