/*
 * Partial files at a destination (partial.h): ".NAME.ferry-part" and its
 * ".NAME.ferry-meta", kept so that an interrupted transfer resumes. A
 * cancelled job's are removed; any left longer than partial-max-age are
 * swept from the directories a transfer delivers into.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "compat.h"
#include "ferryd.h"
#include "log.h"
#include "partial.h"
#include "tree.h"

/* How long a discard waits for the transfers it may race with to end. */
#define PARTIAL_WAIT_S		10

/* Opens dir, refusing a symbolic link as its last component. */
static int
partial_opendir(const char *dir)
{
	return (open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

int
partial_discard(const char *dst_path)
{
	char	*copy1 = strdup(dst_path), *copy2 = strdup(dst_path);
	char	 name[TREE_TMP_MAX];
	int	 fd = -1, n = 0;

	/* A Windows agent's are drive paths: libgen splits at '\\' too. */
	if (copy1 == NULL || copy2 == NULL || (dst_path[0] != '/' &&
	    !compat_path_absolute(dst_path)) ||
	    (fd = partial_opendir(dirname(copy1))) == -1)
		goto out;
	tree_tmp_name(basename(copy2), TREE_PART, name);
	n += unlinkat(fd, name, 0) == 0;
	tree_tmp_name(basename(copy2), TREE_META, name);
	n += unlinkat(fd, name, 0) == 0;
out:
	if (fd != -1)
		close(fd);
	free(copy1);
	free(copy2);
	return (n);
}

/* 1 if name is ".X.ferry-part" or ".X.ferry-meta". */
static int
partial_is_ours(const char *name)
{
	size_t	n = strlen(name);

	return (name[0] == '.' && n > 13 && (strcmp(name + n - 11,
	    ".ferry-part") == 0 || strcmp(name + n - 11, ".ferry-meta") == 0));
}

int
partial_sweep_dir(const char *dir, int64_t max_age)
{
	struct dirent	*e;
	struct stat	 sb;
	DIR		*dp;
	time_t		 before = time(NULL) - (time_t)max_age;
	int		 fd, n = 0;

	if (max_age <= 0 || (fd = partial_opendir(dir)) == -1)
		return (0);
	if ((dp = fdopendir(fd)) == NULL) {
		close(fd);
		return (0);
	}
	while ((e = readdir(dp)) != NULL) {
		if (!partial_is_ours(e->d_name) || fstatat(fd, e->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(sb.st_mode) ||
		    sb.st_mtime >= before)
			continue;
		n += unlinkat(fd, e->d_name, 0) == 0;
	}
	closedir(dp);
	if (n > 0)
		log_info("%s: swept %d partial file(s) older than %jd s", dir,
		    n, (intmax_t)max_age);
	return (n);
}

void
partial_sweep_rel(struct partial_sweep *ps, const char *rel)
{
	const char	*slash = rel != NULL ? strrchr(rel, '/') : NULL;
	char		 dir[sizeof ps->last];

	if (rel == NULL)
		return;
	snprintf(dir, sizeof dir, "%s/%.*s", ps->root, slash != NULL ?
	    (int)(slash - rel) : 0, rel);
	if (strcmp(dir, ps->last) == 0)
		return;
	snprintf(ps->last, sizeof ps->last, "%s", dir);
	partial_sweep_dir(dir, ps->max_age);
}

/*
 * Discards arrive in pages (hub-discard.c), and a cancelled job of a
 * million files brings a thousand of them: one worker takes them in
 * turn, rather than a thread each.
 */
static pthread_mutex_t	 partial_mu = PTHREAD_MUTEX_INITIALIZER;
static json_t		*partial_pending;	/* pages, oldest first */
static int		 partial_working;	/* the worker runs */

/* The oldest page waiting (taken), or NULL, when the worker stops. */
static json_t *
partial_next(void)
{
	json_t	*page = NULL;

	pthread_mutex_lock(&partial_mu);
	if (json_array_size(partial_pending) > 0) {
		page = json_incref(json_array_get(partial_pending, 0));
		json_array_remove(partial_pending, 0);
	} else
		partial_working = 0;
	pthread_mutex_unlock(&partial_mu);
	return (page);
}

/* Waits for running transfers to let go, then removes the partials. */
static void *
partial_discard_main(void *arg)
{
	struct ferryd	*d = arg;
	const json_t	*p;
	json_t		*page;
	size_t		 i;
	int		 n, waited;

	for (waited = 0; waited < PARTIAL_WAIT_S * 10; waited++) {
		pthread_mutex_lock(&d->mu);
		i = (size_t)d->busy;
		pthread_mutex_unlock(&d->mu);
		if (i == 0)
			break;
		usleep(100000);
	}
	while ((page = partial_next()) != NULL) {
		n = 0;
		json_array_foreach(page, i, p) {
			if (json_is_string(p))
				n += partial_discard(json_string_value(p));
		}
		if (n > 0)
			log_info("removed %d partial file(s) of a cancelled "
			    "job (a page of %zu path(s))", n,
			    json_array_size(page));
		json_decref(page);
	}
	return (NULL);
}

void
partial_discard_later(struct ferryd *d, const json_t *paths)
{
	pthread_t	 t;
	json_t		*page;

	if (!json_is_array(paths) || (page = json_deep_copy(paths)) == NULL)
		return;
	pthread_mutex_lock(&partial_mu);
	if (partial_pending == NULL)
		partial_pending = json_array();
	json_array_append_new(partial_pending, page);
	if (!partial_working && pthread_create(&t, NULL,
	    partial_discard_main, d) == 0) {
		partial_working = 1;
		pthread_detach(t);
	}
	pthread_mutex_unlock(&partial_mu);
}
