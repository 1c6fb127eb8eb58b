/*
 * The hub's SFTP task runner: the due tasks of a job to or from an SFTP
 * site run on a thread of their own, as a transfer between agents does
 * (hub-dispatch.c), with the hub as the SFTP client. One connection per
 * run, one sftp_send or sftp_pull per file; the library resumes a
 * partial file by appending after verifying its prefix, verifies the
 * whole file and renames it into place (docs/sftp.md).
 *
 * A refusal (the host key unknown or another, the user key refused, a
 * path outside the root or behind a symlink, a full disk on the server)
 * fails the task for good, with its cause in the task and an audit
 * record: trying again would only be refused again. A lost connection or
 * a timeout fails it under the usual retry policy, and the retry
 * resumes the partial file.
 *
 * A run is a struct jobs_xfer with no agent at either end, kept in
 * d->xfers, so that cancel and pause (dispatch_stop) reach it and files
 * settle through dispatch_settle like any other transfer's. A task is
 * started when its file's turn comes, not when the run begins: the files
 * go one at a time, and one waiting behind a long file must not look
 * stalled (store_stuck), nor count an attempt when the connection is
 * lost before its turn.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "expand.h"
#include "ferryd.h"
#include "hub-dispatch.h"
#include "hub-sftp.h"
#include "log.h"
#include "share-map.h"
#include "store.h"

/* One run: the transfer's common part, and the SFTP end. */
struct sftp_xfer {
	struct jobs_xfer	*x;
	struct hub_sftp_site	*site;
	char			*rroot;		/* the remote root used */
	char			*started;	/* per file: its task runs */
	size_t			 cur;		/* the file being moved */
	int64_t			 last_progress;
};

static void
sftp_xfer_free(struct sftp_xfer *sx)
{
	if (sx == NULL)
		return;
	if (sx->x != NULL)
		dispatch_xfer_free(sx->x);
	hub_sftp_site_free(sx->site);
	free(sx->rroot);
	free(sx->started);
	free(sx);
}

/* Refusals fail for good; anything else may go better next time. */
static int
sftp_xfer_refusal(int r)
{
	return (r == FERRY_ERR_AUTH || r == FERRY_ERR_DENIED ||
	    r == FERRY_ERR_TRAVERSAL || r == FERRY_ERR_BADNAME ||
	    r == FERRY_ERR_TOOBIG);
}

/* The connection is gone: the files after this one fail with it. */
static int
sftp_xfer_lost(int r)
{
	return (r == FERRY_ERR_CLOSED || r == FERRY_ERR_TIMEOUT ||
	    r == FERRY_ERR_UNREACHABLE || r == FERRY_ERR_AUTH);
}

/* The audit record of a refusal. Caller holds d->mu. */
static void
sftp_xfer_audit(struct sftp_xfer *sx, const char *path, const char *why)
{
	struct jobs_xfer	*x = sx->x;

	audit_note(x->d, x->submitter != NULL ? x->submitter : "",
	    "sftp.refused", json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s?}",
	    "job", (json_int_t)x->job_id, "site", sx->site->conf.site,
	    "direction", x->sftp_pull ? "pull" : "send", "target",
	    sx->site->conf.target, "path", path, "why", why));
}

/* Starts file i's task: 0, or it may not run now. Caller holds d->mu. */
static int
sftp_xfer_start(struct sftp_xfer *sx, size_t i)
{
	struct jobs_xfer	*x = sx->x;
	char			*cause = NULL;
	int			 r;

	if (i >= x->l.n || x->settled[i])
		return (-1);
	if (!sx->started[i] && (r = store_task_start(x->d->store, x->task[i],
	    clock_now(), &cause)) != 0) {
		/*
		 * Cancelled, paused, or another task writes its file; or the
		 * store cannot write (a full disk): then the task stays
		 * queued, and nothing is sent unrecorded.
		 */
		if (r != FERRY_ERR_STATE)
			dispatch_store_failed(x->d, x->job_id, cause);
		free(cause);
		x->settled[i] = 1;
		return (-1);
	}
	sx->started[i] = 1;
	return (0);
}

/*
 * File i failed with r: for good if a refusal, else under the retry
 * policy (an attempt counted). Caller holds d->mu.
 */
static void
sftp_xfer_fail(struct sftp_xfer *sx, size_t i, int r, const char *why)
{
	struct jobs_xfer	*x = sx->x;
	char			*cause = NULL;

	if (sftp_xfer_start(sx, i) != 0)
		return;
	x->settled[i] = 1;
	if (sftp_xfer_refusal(r))
		store_task_refuse(x->d->store, x->task[i], why, clock_now(),
		    &cause);
	else
		store_task_fail(x->d->store, x->task[i], why, clock_now(),
		    &cause);
	if (cause != NULL)
		log_warnx("task %jd: %s", (intmax_t)x->task[i], cause);
	free(cause);
}

/* The library's progress: into the task, at most once a second. */
static void
sftp_xfer_progress(uint64_t done, uint64_t size, void *arg)
{
	struct sftp_xfer	*sx = arg;
	struct jobs_xfer	*x = sx->x;
	int64_t			 now = clock_now();

	(void)size;
	if (now == sx->last_progress)
		return;
	sx->last_progress = now;
	pthread_mutex_lock(&x->d->mu);
	dispatch_flush(x, 0);
	if (!x->settled[sx->cur])
		store_task_progress(x->d->store, x->task[sx->cur],
		    (int64_t)done, now, NULL);
	pthread_mutex_unlock(&x->d->mu);
}

/* The hub's share root the run reads from or writes to. */
static int
sftp_xfer_local(struct sftp_xfer *sx, int *fd, char **cause)
{
	const char	*root = sx->x->root;

	/* A pull makes the share's root, as a receiver does its --dest. */
	if (sx->x->sftp_pull && mkdir(root, 0755) == -1 && errno != EEXIST)
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", root,
		    strerror(errno)));
	if ((*fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (err_set(cause, FERRY_ERR_IO, "%s: %s", root,
		    strerror(errno)));
	return (0);
}

/* One file, and what it came to. Called without d->mu. */
static int
sftp_xfer_file(struct sftp_xfer *sx, struct sftp *c, int fd, size_t i)
{
	struct jobs_xfer	*x = sx->x;
	struct sftp_stats	 st;
	const char		*rel = x->l.v[i].rel;
	char			*why = NULL;
	int			 r;

	memset(&st, 0, sizeof st);
	pthread_mutex_lock(&x->d->mu);
	sx->cur = i;
	r = sftp_xfer_start(sx, i);
	pthread_mutex_unlock(&x->d->mu);
	if (r != 0)
		return (0);	/* not now: skipped */
	if (x->sftp_pull)
		r = sftp_pull(c, rel, fd, &st, &why);
	else
		r = sftp_send(c, fd, rel, &st, &why);
	pthread_mutex_lock(&x->d->mu);
	if (r == 0) {
		dispatch_settle(x, i, 1, NULL);
		log_info("job %jd: %s %s %s %s: %ju bytes moved, %ju resumed, "
		    "verified by %s", (intmax_t)x->job_id, x->sftp_pull ?
		    "pulled" : "sent", rel, x->sftp_pull ? "from" : "to",
		    sx->site->conf.site, (uintmax_t)st.bytes,
		    (uintmax_t)st.resumed, st.remote_hash ? "the server's "
		    "sha256sum" : "reading it back");
	} else if (r != FERRY_ERR_CANCELLED) {
		log_warnx("job %jd: %s %s: %s", (intmax_t)x->job_id,
		    sx->site->conf.site, rel, why ? why : err_str(r));
		if (sftp_xfer_refusal(r))
			sftp_xfer_audit(sx, x->l.v[i].src, why ? why :
			    err_str(r));
		sftp_xfer_fail(sx, i, r, why ? why : err_str(r));
	}
	pthread_mutex_unlock(&x->d->mu);
	free(why);
	return (r);
}

/* Every file not settled yet fails with r. Caller holds d->mu. */
static void
sftp_xfer_fail_rest(struct sftp_xfer *sx, int r, const char *why)
{
	size_t	i;

	for (i = 0; i < sx->x->l.n; i++)
		sftp_xfer_fail(sx, i, r, why);
}

/*
 * The files whose turn did not come stay queued, with no attempt
 * counted: the dispatcher offers them again at once, and a server still
 * away then fails them all at connection (sftp_xfer_fail_rest), under
 * the backoff. Caller holds d->mu.
 */
static void
sftp_xfer_release(struct sftp_xfer *sx)
{
	size_t	i;

	for (i = 0; i < sx->x->l.n; i++) {
		if (!sx->started[i])
			sx->x->settled[i] = 1;
	}
}

static void
sftp_xfer_run(struct sftp_xfer *sx)
{
	struct jobs_xfer	*x = sx->x;
	struct sftp_opts	 o;
	struct sftp		*c = NULL;
	char			*cause = NULL;
	size_t			 i;
	int			 fd = -1, r;

	memset(&o, 0, sizeof o);
	o.progress = sftp_xfer_progress;
	o.progress_arg = sx;
	o.abort = &x->abort;
	o.rate_live = &x->bwlimit;
	o.recv_umask = x->d->recv_umask;
	if ((r = sftp_xfer_local(sx, &fd, &cause)) == 0)
		r = hub_sftp_connect(sx->site, sx->rroot, &o, &c, &cause);
	if (r != 0) {
		pthread_mutex_lock(&x->d->mu);
		log_warnx("job %jd: %s: %s", (intmax_t)x->job_id,
		    sx->site->conf.site, cause ? cause : err_str(r));
		if (sftp_xfer_refusal(r))
			sftp_xfer_audit(sx, sx->rroot, cause ? cause :
			    err_str(r));
		sftp_xfer_fail_rest(sx, r, cause ? cause : err_str(r));
		pthread_mutex_unlock(&x->d->mu);
	}
	for (i = 0; r == 0 && i < x->l.n && !x->abort; i++) {
		r = sftp_xfer_file(sx, c, fd, i);
		if (r == FERRY_ERR_CANCELLED || sftp_xfer_lost(r))
			break;
		r = 0;
	}
	pthread_mutex_lock(&x->d->mu);
	sftp_xfer_release(sx);
	pthread_mutex_unlock(&x->d->mu);
	sftp_free(c);
	if (fd != -1)
		close(fd);
	free(cause);
}

static void *
sftp_xfer_main(void *arg)
{
	struct sftp_xfer	*sx = arg;
	struct jobs_xfer	*x = sx->x, **pp;
	struct ferryd		*d = x->d;
	size_t			 i;

	sftp_xfer_run(sx);
	pthread_mutex_lock(&d->mu);
	dispatch_flush(x, 1);
	/* What a cancel or pause stopped was settled by it. */
	for (i = 0; i < x->l.n && !x->abort; i++) {
		if (sx->started[i])
			dispatch_settle(x, i, 0, "the transfer ended early");
	}
	api_wake_jobs();	/* as dispatch_xfer_main */
	d->busy--;
	for (pp = &d->xfers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	}
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->mu);
	sftp_xfer_free(sx);
	return (NULL);
}

/*
 * The remote root of a task: its remote path less the part below the
 * share (rel), at or below the target's root. Allocated.
 */
static int
sftp_xfer_rroot(struct sftp_xfer *sx, const char *remote, const char *rel,
    char **rroot, char **cause)
{
	size_t		 n = strlen(remote), k = strlen(rel);
	const char	*below;

	if (k == 0 || n <= k || remote[n - k - 1] != '/' ||
	    strcmp(remote + n - k, rel) != 0)
		return (err_set(cause, FERRY_ERR_DENIED, "%s: not %s below "
		    "a root of SFTP site %s", remote, rel,
		    sx->site->conf.site));
	*rroot = n - k - 1 == 0 ? strdup("/") : strndup(remote, n - k - 1);
	if (*rroot == NULL)
		return (FERRY_ERR_NOMEM);
	if (hub_sftp_below(sx->site, *rroot, &below, cause) != 0) {
		free(*rroot);
		*rroot = NULL;
		return (FERRY_ERR_DENIED);
	}
	return (0);
}

/*
 * Adds task t to the run: its name below both roots, which must be the
 * run's (1: another run takes it). Caller holds d->mu.
 */
static int
sftp_xfer_add(struct sftp_xfer *sx, struct share_map *m,
    const struct store_task *t, char **cause)
{
	struct jobs_xfer	*x = sx->x;
	struct share_map_result	 res;
	struct transfer_file	*tf;
	const char		*local = x->sftp_pull ? t->dst_path :
				    t->src_path;
	const char		*site = x->d->conf.site;
	char			*lroot = NULL, *rroot = NULL;
	int			 r;

	if ((r = share_map_translate(m, site, site, SHARE_OS_LINUX, local,
	    strlen(local), &res, cause)) != 0)
		return (r);
	if ((r = expand_root(local, res.relative, &lroot, cause)) == 0)
		r = sftp_xfer_rroot(sx, x->sftp_pull ? t->src_path :
		    t->dst_path, res.relative, &rroot, cause);
	if (r == 0 && x->root == NULL) {
		x->root = lroot;
		sx->rroot = rroot;
		lroot = rroot = NULL;	/* transferred */
	} else if (r == 0 && (strcmp(x->root, lroot) != 0 ||
	    strcmp(sx->rroot, rroot) != 0))
		r = 1;
	free(lroot);
	free(rroot);
	if (r == 0) {
		tf = &x->l.v[x->l.n];
		memset(tf, 0, sizeof *tf);
		tf->type = MSG_ENTRY_FILE;
		tf->size = (uint64_t)t->size;
		tf->src = strdup(x->sftp_pull ? t->src_path : t->dst_path);
		tf->rel = res.relative;
		res.relative = NULL;	/* transferred */
		x->task[x->l.n++] = t->id;
	}
	share_map_result_clear(&res);
	return (r);
}

/* The run for job j, or NULL (nothing to run). Caller holds d->mu. */
static struct sftp_xfer *
sftp_xfer_new(struct ferryd *d, struct hub_sftp_site *site, int pull,
    struct dispatch_due *due, const struct store_job *j)
{
	struct sftp_xfer	*sx;
	struct jobs_xfer	*x;

	if ((sx = calloc(1, sizeof *sx)) == NULL ||
	    (x = calloc(1, sizeof *x)) == NULL) {
		free(sx);
		return (NULL);
	}
	sx->x = x;
	sx->site = site;
	pthread_cond_init(&x->heard, NULL);
	pthread_mutex_init(&x->dmu, NULL);
	x->d = d;
	x->job_id = j->id;
	x->sftp_pull = pull;
	x->sftp = strdup(site->conf.site);
	x->submitter = j->submitter ? strdup(j->submitter) : NULL;
	/* The site's cap, or its window's now; hub_window_tick follows it. */
	if ((x->site = strdup(site->conf.site)) != NULL)
		atomic_store(&x->bwlimit, hub_window_cap(d, x->site));
	x->task = calloc(due->n, sizeof *x->task);
	x->settled = calloc(due->n, sizeof *x->settled);
	x->delivered = calloc(due->n, sizeof *x->delivered);
	x->l.v = calloc(due->n, sizeof *x->l.v);
	x->l.cap = due->n;
	sx->started = calloc(due->n, 1);
	if (sx->started == NULL || x->sftp == NULL || x->site == NULL ||
	    x->task == NULL || x->settled == NULL || x->delivered == NULL ||
	    x->l.v == NULL) {
		sx->site = NULL;
		sftp_xfer_free(sx);
		return (NULL);
	}
	return (sx);
}

/* Whether a run for site is going on already. Caller holds d->mu. */
static int
sftp_busy(struct ferryd *d, const char *site)
{
	struct jobs_xfer	*x;

	for (x = d->xfers; x != NULL; x = x->next) {
		if (x->sftp != NULL && strcmp(x->sftp, site) == 0)
			return (1);
	}
	return (0);
}

/*
 * Starts due tasks of j into sx's run, each refused or failed at once;
 * not 0 (logged) if the store could not record those.
 */
static int
sftp_xfer_plan(struct sftp_xfer *sx, struct share_map *m,
    struct dispatch_due *due, const struct store_job *j)
{
	struct jobs_xfer	*x = sx->x;
	struct store		*st = x->d->store;
	char			*cause = NULL;
	size_t			 i;
	int			 r;

	if ((r = store_batch_begin(st, &cause)) != 0) {
		dispatch_store_failed(x->d, j->id, cause);
		free(cause);
		return (r);
	}
	for (i = 0; i < due->n; i++) {
		if (due->t[i].job_id != j->id)
			continue;
		if ((r = sftp_xfer_add(sx, m, &due->t[i], &cause)) != 0 &&
		    r != 1)
			store_task_start(st, due->t[i].id, clock_now(), NULL);
		if (r == 0 || r == 1)
			continue;
		if (r == FERRY_ERR_DENIED) {
			sftp_xfer_audit(sx, due->t[i].dst_path, cause);
			store_task_refuse(st, due->t[i].id, cause, clock_now(),
			    NULL);
		} else if (r != 0)
			store_task_fail(st, due->t[i].id, cause ? cause :
			    err_str(r), clock_now(), NULL);
		free(cause);
		cause = NULL;
	}
	if ((r = store_batch_end(st, 0, &cause)) != 0) {
		dispatch_store_failed(x->d, j->id, cause);
		free(cause);
	}
	return (r);
}

int
sftp_dispatch_job(struct ferryd *d, struct share_map *m,
    struct dispatch_due *due, const struct store_job *j)
{
	struct hub_sftp_site	*site = NULL;
	struct sftp_xfer	*sx;
	pthread_t		 th;
	int			 pull = 1;

	if (hub_sftp_site_get(d, j->from_site, &site, NULL) != 1) {
		pull = 0;
		if (hub_sftp_site_get(d, j->to_site != NULL ? j->to_site :
		    j->to_user, &site, NULL) != 1)
			return (1);
	}
	/* One run per server at a time: its tasks wait their turn. */
	if (sftp_busy(d, site->conf.site)) {
		hub_sftp_site_free(site);
		return (-1);
	}
	site->mapped = share_map_site_known(m, site->conf.site);
	if ((sx = sftp_xfer_new(d, site, pull, due, j)) == NULL) {
		hub_sftp_site_free(site);
		return (0);
	}
	/* Unrecorded, the run would fail or refuse what stays queued. */
	if (sftp_xfer_plan(sx, m, due, j) != 0) {
		sftp_xfer_free(sx);
		return (0);
	}
	if (sx->x->l.n == 0 || pthread_create(&th, NULL, sftp_xfer_main,
	    sx) != 0) {
		sftp_xfer_fail_rest(sx, FERRY_ERR_INTERNAL, "cannot start a "
		    "transfer");
		sftp_xfer_free(sx);
		return (0);
	}
	d->busy++;
	sx->x->next = d->xfers;
	d->xfers = sx->x;
	pthread_detach(th);
	return (0);
}
