/*
 * Jobs on the hub: the local API's share and job requests, and the
 * dispatcher that turns queued tasks into transfers.
 *
 * This first version moves files from the hub's own site to a connected
 * agent: the hub is the sender and opens the data port for the agent's
 * address only; the agent connects and receives into the share root.
 * Jobs from another agent's site stay queued (docs/agent.md).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "buf.h"
#include "conf.h"
#include "err.h"
#include "ferryd.h"
#include "identity.h"
#include "link.h"
#include "log.h"
#include "msg.h"
#include "sequence.h"
#include "share-map.h"
#include "store.h"
#include "transfer.h"

#define JOBS_STREAMS		2
#define JOBS_BATCH		4096	/* tasks in one transfer at most */
#define JOBS_STALL_S		300	/* running without progress */

/* One transfer the hub runs as the sender, for tasks of one job. */
struct jobs_xfer {
	struct ferryd		*d;
	int64_t			 job_id;
	volatile int		 abort;		/* cancel or pause asked */
	struct jobs_xfer	*next;		/* in d->xfers */
	char			*link_name;
	char			 peer[128];
	uint8_t			 peer_fp[IDENTITY_FP_LEN];
	char			*root;		/* the share root at the agent */
	uint64_t		 bwlimit;	/* the site's cap; 0: none */
	int64_t			*task;
	struct transfer_list	 l;
	int			*settled;
	int64_t			 last_progress;
};

/* An error answer: what went wrong, in the daemon's words. */
static json_t *
jobs_error(const char *msg)
{
	return (json_pack("{s:s, s:b}", "error", msg, "done", 1));
}

/* The current share map, from the store. Caller holds d->mu. */
static int
jobs_share_map(struct ferryd *d, struct share_map **m, char **cause)
{
	char	*json = NULL;
	int64_t	 version;
	int	 r;

	*m = NULL;
	if ((r = store_share_get(d->store, &json, &version, cause)) != 0)
		return (r);
	if (json == NULL)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "no share map yet: "
		    "import one with 'ferry share import FILE'"));
	r = share_map_load_text(json, strlen(json), "share map", m, cause);
	free(json);
	return (r);
}

static json_t *
jobs_share_import(struct ferryd *d, const json_t *req, uid_t uid)
{
	struct share_map	*m = NULL;
	const char		*text;
	char			*cause = NULL, who[32];
	int64_t			 version = 0;
	json_t			*rep;
	int			 r;

	if ((text = json_string_value(json_object_get(req, "map"))) == NULL)
		return (jobs_error("share.import needs the map's text"));
	/* Check it fully before it replaces the map in use. */
	r = share_map_load_text(text, strlen(text), "the imported map", &m,
	    &cause);
	share_map_free(m);
	if (r == 0) {
		snprintf(who, sizeof who, "uid %u", (unsigned)uid);
		pthread_mutex_lock(&d->mu);
		r = store_share_set(d->store, text, who, ferryd_now(),
		    &version, &cause);
		pthread_mutex_unlock(&d->mu);
	}
	rep = r != 0 ? jobs_error(cause ? cause : err_str(r)) :
	    json_pack("{s:I, s:b}", "version", (json_int_t)version, "done", 1);
	free(cause);
	return (rep);
}

/* site.set: a site's bandwidth cap (0: none); the site may be new. */
static json_t *
jobs_site_set(struct ferryd *d, const json_t *req)
{
	const char	*site = json_string_value(json_object_get(req, "site"));
	json_int_t	 bw = json_integer_value(json_object_get(req,
			    "bwlimit"));
	char		*cause = NULL;
	json_t		*rep;
	int		 r;

	if (site == NULL || bw < 0)
		return (jobs_error("site.set needs a site and a bwlimit"));
	pthread_mutex_lock(&d->mu);
	store_site_add(d->store, site, ferryd_now(), NULL);
	r = store_site_set_bwlimit(d->store, site, bw, &cause);
	pthread_mutex_unlock(&d->mu);
	rep = r != 0 ? jobs_error(cause ? cause : err_str(r)) :
	    json_pack("{s:b}", "done", 1);
	free(cause);
	return (rep);
}

/* A job being put together from the paths of a send request. */
struct jobs_build {
	struct share_map	*m;
	const char		*from;
	const char		*to;
	const json_t		*basis;	/* source path -> its basis; NULL */
	struct store_task	*t;
	size_t			 n;
	char			*cause;
};

/* Adds the regular file at path as one task. */
static int
jobs_add_file(struct jobs_build *b, const char *path, const struct stat *sb)
{
	struct share_map_result	 res;
	struct store_task	*v;
	int			 r;

	r = share_map_translate(b->m, b->from, b->to, SHARE_OS_LINUX, path,
	    strlen(path), &res, &b->cause);
	if (r != 0) {
		char *why = b->cause;

		b->cause = NULL;
		err_set(&b->cause, r, "%s: %s", path, why);
		free(why);
		return (r);
	}
	if ((v = realloc(b->t, (b->n + 1) * sizeof *v)) == NULL) {
		share_map_result_clear(&res);
		return (FERRY_ERR_NOMEM);
	}
	b->t = v;
	memset(&v[b->n], 0, sizeof *v);
	v[b->n].src_path = strdup(path);
	v[b->n].dst_path = res.path;
	v[b->n].size = sb->st_size;
	/* A basis hint: an earlier version, as the source names it. */
	if (b->basis != NULL && json_is_string(json_object_get(b->basis,
	    path)))
		v[b->n].basis = strdup(json_string_value(json_object_get(
		    b->basis, path)));
	res.path = NULL;	/* transferred */
	share_map_result_clear(&res);
	b->n++;
	return (v[b->n - 1].src_path == NULL ? FERRY_ERR_NOMEM : 0);
}

/* Adds path: a file, every file below a directory, or a sequence. */
static int
jobs_add_path(struct jobs_build *b, const char *path)
{
	struct sequence	 seq;
	struct stat	 sb;
	struct buf	 p;
	DIR		*dir;
	struct dirent	*e;
	size_t		 i;
	long		 f;
	int		 r = 0, isseq;

	if ((isseq = sequence_parse(path, &seq, &b->cause)) < 0)
		return (isseq);
	if (isseq) {
		if (seq.nranges == 0)
			r = sequence_scan(&seq, &b->cause);
		buf_init(&p, 0);
		for (i = 0; r == 0 && i < seq.nranges; i++) {
			for (f = seq.ranges[i].first; r == 0 &&
			    f <= seq.ranges[i].last; f++) {
				buf_reset(&p);
				sequence_frame_path(&seq, f, &p);
				r = jobs_add_path(b, buf_str(&p));
			}
		}
		buf_free(&p);
		sequence_clear(&seq);
		return (r);
	}
	if (lstat(path, &sb) == -1)
		return (err_set(&b->cause, FERRY_ERR_IO, "%s: %s", path,
		    strerror(errno)));
	if (S_ISREG(sb.st_mode))
		return (jobs_add_file(b, path, &sb));
	if (!S_ISDIR(sb.st_mode))
		return (err_set(&b->cause, FERRY_ERR_BADNAME, "%s: not a file "
		    "or directory", path));
	if ((dir = opendir(path)) == NULL)
		return (err_set(&b->cause, FERRY_ERR_IO, "%s: %s", path,
		    strerror(errno)));
	buf_init(&p, 0);
	while (r == 0 && (e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		buf_reset(&p);
		buf_printf(&p, "%s/%s", path, e->d_name);
		r = jobs_add_path(b, buf_str(&p));
	}
	closedir(dir);
	buf_free(&p);
	return (r);
}

static void
jobs_build_clear(struct jobs_build *b)
{
	size_t	i;

	for (i = 0; i < b->n; i++) {
		free(b->t[i].src_path);
		free(b->t[i].dst_path);
		free(b->t[i].basis);
	}
	free(b->t);
	share_map_free(b->m);
	free(b->cause);
}

static json_t *
jobs_send(struct ferryd *d, const json_t *req, uid_t uid)
{
	struct jobs_build	 b;
	struct store_job	 job;
	json_t			*paths, *p, *rep;
	char			 who[32];
	int64_t			 id = 0;
	size_t			 i;
	int			 r = 0;

	memset(&b, 0, sizeof b);
	b.from = json_string_value(json_object_get(req, "from"));
	b.to = json_string_value(json_object_get(req, "to"));
	b.basis = json_object_get(req, "basis");
	paths = json_object_get(req, "paths");
	if (b.from == NULL || b.to == NULL || json_array_size(paths) == 0)
		return (jobs_error("send needs --from, --to and paths"));
	/* Said now rather than left queued for ever (docs/agent.md). */
	if (strcmp(b.from, d->conf.site) != 0)
		return (jobs_error("for now a job must start at the hub's own "
		    "site; sending from another agent's site is not built "
		    "yet"));
	pthread_mutex_lock(&d->mu);
	r = jobs_share_map(d, &b.m, &b.cause);
	pthread_mutex_unlock(&d->mu);
	json_array_foreach(paths, i, p) {
		if (r == 0 && !json_is_string(p))
			r = err_set(&b.cause, FERRY_ERR_INVAL, "paths must be "
			    "strings");
		if (r == 0)
			r = jobs_add_path(&b, json_string_value(p));
	}
	if (r == 0 && b.n == 0)
		r = err_set(&b.cause, FERRY_ERR_NOTFOUND, "nothing to send: no "
		    "file under the paths given");
	if (r == 0) {
		memset(&job, 0, sizeof job);
		snprintf(who, sizeof who, "uid %u", (unsigned)uid);
		job.submitter = who;
		job.from_site = (char *)(uintptr_t)b.from;
		job.to_site = (char *)(uintptr_t)b.to;
		job.priority = (int)json_integer_value(json_object_get(req,
		    "priority"));
		job.note = (char *)(uintptr_t)json_string_value(
		    json_object_get(req, "note"));
		pthread_mutex_lock(&d->mu);
		r = store_job_create(d->store, &job, b.t, b.n, ferryd_now(),
		    &id, &b.cause);
		pthread_mutex_unlock(&d->mu);
	}
	rep = r != 0 ? jobs_error(b.cause ? b.cause : err_str(r)) :
	    json_pack("{s:I, s:I, s:b}", "id", (json_int_t)id, "files",
	    (json_int_t)b.n, "done", 1);
	if (r == 0)
		jobs_wake(d);
	if (r == 0)
		log_info("job %jd: %zu files from %s to %s, by %s",
		    (intmax_t)id, b.n, b.from, b.to, who);
	jobs_build_clear(&b);
	return (rep);
}

static json_t *
jobs_job_json(const struct store_job *j)
{
	return (json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:i, s:I, s:I, s:I, "
	    "s:I, s:I, s:I, s:I, s:I}", "id", (json_int_t)j->id, "state",
	    store_state_name(j->state), "from", j->from_site, "to", j->to_site,
	    "by", j->submitter, "priority", j->priority, "files",
	    (json_int_t)j->ntasks, "done_files",
	    (json_int_t)j->count[STORE_DONE], "failed_files",
	    (json_int_t)j->count[STORE_FAILED], "bytes",
	    (json_int_t)j->bytes_total, "done_bytes",
	    (json_int_t)j->bytes_done, "created", (json_int_t)j->created,
	    "updated", (json_int_t)j->updated, "running_files",
	    (json_int_t)j->count[STORE_RUNNING]));
}

static int
jobs_list_cb(void *arg, const struct store_job *j)
{
	return (json_array_append_new(arg, jobs_job_json(j)));
}

static int
jobs_task_cb(void *arg, const struct store_task *t)
{
	return (json_array_append_new(arg, json_pack("{s:I, s:s, s:s, s:s, "
	    "s:I, s:I, s:i, s:s?}", "id", (json_int_t)t->id, "state",
	    store_state_name(t->state), "src", t->src_path, "dst",
	    t->dst_path, "size", (json_int_t)t->size, "done_bytes",
	    (json_int_t)t->bytes_done, "attempts", t->attempts, "error",
	    t->error)));
}

/*
 * Stops the transfers running for job id: their files stay where they are
 * (partial files resume later), their tasks keep the state just given.
 * Caller holds d->mu.
 */
static void
jobs_stop_transfers(struct ferryd *d, int64_t id)
{
	struct jobs_xfer	*x;

	for (x = d->xfers; x != NULL; x = x->next) {
		if (x->job_id == id)
			x->abort = 1;
	}
}

/* jobs, job ID, and the job operations cancel|pause|resume|retry. */
static json_t *
jobs_query(struct ferryd *d, const char *op, const json_t *req, uid_t uid)
{
	struct store_job	 j;
	json_t			*list = json_array(), *rep = NULL;
	int64_t			 id;
	char			*cause = NULL, who[32];
	int			 r;

	id = json_integer_value(json_object_get(req, "id"));
	snprintf(who, sizeof who, "uid %u", (unsigned)uid);
	pthread_mutex_lock(&d->mu);
	if (strcmp(op, "jobs") == 0)
		r = store_job_list(d->store, STORE_ANY, (size_t)
		    json_integer_value(json_object_get(req, "limit")),
		    jobs_list_cb, list, &cause);
	else if (strcmp(op, "cancel") == 0)
		r = store_job_cancel(d->store, id, who, ferryd_now(), NULL,
		    &cause);
	else if (strcmp(op, "pause") == 0)
		r = store_job_pause(d->store, id, who, ferryd_now(), NULL,
		    &cause);
	else if (strcmp(op, "resume") == 0)
		r = store_job_resume(d->store, id, who, ferryd_now(), NULL,
		    &cause);
	else if (strcmp(op, "retry") == 0)
		r = store_job_retry(d->store, id, who, ferryd_now(), NULL,
		    &cause);
	else
		r = 0;
	if (r == 0 && (strcmp(op, "cancel") == 0 || strcmp(op, "pause") == 0))
		jobs_stop_transfers(d, id);
	if (r == 0 && strcmp(op, "jobs") != 0 &&
	    (r = store_job_get(d->store, id, &j, &cause)) == 0) {
		rep = jobs_job_json(&j);
		store_job_clear(&j);
		if (strcmp(op, "job") == 0)
			r = store_job_tasks(d->store, id, jobs_task_cb, list,
			    &cause);
	}
	pthread_mutex_unlock(&d->mu);
	if (r != 0) {
		json_decref(rep);
		rep = jobs_error(cause ? cause : err_str(r));
	} else if (strcmp(op, "jobs") == 0)
		rep = json_pack("{s:O, s:b}", "jobs", list, "done", 1);
	else {
		if (strcmp(op, "job") == 0)
			json_object_set(rep, "tasks", list);
		json_object_set_new(rep, "done", json_true());
	}
	json_decref(list);
	free(cause);
	return (rep);
}

json_t *
jobs_api(struct ferryd *d, const json_t *req, uid_t uid)
{
	const char	*op = json_string_value(json_object_get(req, "op"));
	static const char *queries[] = { "jobs", "job", "cancel", "pause",
	    "resume", "retry", NULL };
	int		 i;

	if (op == NULL)
		return (NULL);
	if (strcmp(op, "share.import") == 0)
		return (jobs_share_import(d, req, uid));
	if (strcmp(op, "site.set") == 0)
		return (jobs_site_set(d, req));
	if (strcmp(op, "send") == 0)
		return (jobs_send(d, req, uid));
	for (i = 0; queries[i] != NULL; i++) {
		if (strcmp(op, queries[i]) == 0)
			return (jobs_query(d, op, req, uid));
	}
	return (NULL);
}


static void
jobs_xfer_free(struct jobs_xfer *x)
{
	transfer_list_clear(&x->l);
	free(x->link_name);
	free(x->root);
	free(x->task);
	free(x->settled);
	free(x);
}

/* The transfer library settles a file: so does the task. */
static void
jobs_file_done(size_t i, int ok, const char *why, void *arg)
{
	struct jobs_xfer	*x = arg;
	char			*cause = NULL;

	pthread_mutex_lock(&x->d->mu);
	if (ok)
		store_task_done(x->d->store, x->task[i], ferryd_now(), &cause);
	else
		store_task_fail(x->d->store, x->task[i], why, ferryd_now(),
		    &cause);
	pthread_mutex_unlock(&x->d->mu);
	x->settled[i] = 1;
	if (cause != NULL)
		log_warnx("task %jd: %s", (intmax_t)x->task[i], cause);
	free(cause);
}

/*
 * The transfer library's progress: the file's bytes so far go into its
 * task, at most once a second, so that `ferry jobs` can show them and a
 * stalled transfer can be told from a slow one.
 */
static void
jobs_progress(const struct transfer_progress *p, void *arg)
{
	struct jobs_xfer	*x = arg;
	size_t			 i;
	int64_t			 now = ferryd_now();

	if (p->file == NULL || p->file_done >= p->file_total ||
	    now == x->last_progress)
		return;
	for (i = 0; i < x->l.n; i++) {
		if (strcmp(x->l.v[i].rel, p->file) != 0)
			continue;
		x->last_progress = now;
		pthread_mutex_lock(&x->d->mu);
		store_task_progress(x->d->store, x->task[i],
		    (int64_t)p->file_done, now, NULL);
		pthread_mutex_unlock(&x->d->mu);
		break;
	}
}

/* The link of the agent called name, or NULL. Caller holds d->mu. */
static struct hub_link *
jobs_link_named(struct ferryd *d, const char *name)
{
	struct hub_link	*l;

	for (l = d->hub_links; l != NULL; l = l->next) {
		if (strcmp(l->name, name) == 0)
			return (l);
	}
	return (NULL);
}

/* Sends transfer.start to the agent's link; fails if it is gone. */
static int
jobs_xfer_announce(struct jobs_xfer *x, json_t *msg, char **cause)
{
	struct hub_link	*l;

	pthread_mutex_lock(&x->d->mu);
	if ((l = jobs_link_named(x->d, x->link_name)) != NULL) {
		if (l->outq == NULL)
			l->outq = json_array();
		json_array_append(l->outq, msg);
	}
	pthread_mutex_unlock(&x->d->mu);
	return (l != NULL ? 0 : err_set(cause, FERRY_ERR_CLOSED, "agent %s "
	    "went away", x->link_name));
}

static void
jobs_link_busy(struct ferryd *d, const char *name, int busy)
{
	struct hub_link	*l;

	pthread_mutex_lock(&d->mu);
	if ((l = jobs_link_named(d, name)) != NULL)
		l->busy = busy;
	pthread_mutex_unlock(&d->mu);
}

static int
jobs_xfer_run(struct jobs_xfer *x, char **cause)
{
	struct ferryd		*d = x->d;
	struct link_listener	*lst = NULL;
	struct link_params	 p;
	struct transfer_opts	 o;
	struct transfer_stats	 st;
	struct tls_conn		*conns[JOBS_STREAMS];
	uint8_t			 tok[LINK_TOKEN_LEN];
	char			 hex[2 * LINK_TOKEN_LEN + 1], addr[300];
	char			*host = NULL;
	json_t			*msg = NULL;
	int			 fds[JOBS_STREAMS], port, cport, i, r;

	if ((r = conf_split_addr(d->conf.listen, CONF_CONTROL_PORT, &host,
	    &cport, cause)) != 0)
		return (r);
	if (RAND_bytes(tok, sizeof tok) != 1) {
		free(host);
		return (err_set(cause, FERRY_ERR_CRYPTO, "no random bytes"));
	}
	for (i = 0; i < LINK_TOKEN_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", tok[i]);
	/* The data port opens for this transfer and this peer only. */
	if ((r = link_listen(host, LINK_PORT_FIRST, LINK_PORT_LAST, x->peer,
	    &lst, &port, cause)) != 0)
		goto out;
	snprintf(addr, sizeof addr, "%s:%d", host, port);
	msg = json_pack("{s:s, s:I, s:s, s:s, s:i, s:s}", "op",
	    "transfer.start", "id", (json_int_t)x->task[0], "connect", addr,
	    "token", hex, "streams", JOBS_STREAMS, "root", x->root);
	if ((r = jobs_xfer_announce(x, msg, cause)) != 0)
		goto out;
	memset(&p, 0, sizeof p);
	p.id = d->id;
	p.peer_fp = x->peer_fp;
	p.token = tok;
	p.streams = JOBS_STREAMS;
	p.timeout_ms = FERRYD_TIMEOUT_MS;
	if ((r = link_accept(lst, &p, conns, fds, cause)) != 0)
		goto out;
	memset(&o, 0, sizeof o);
	o.file_done = jobs_file_done;
	o.file_done_arg = x;
	o.progress = jobs_progress;
	o.progress_arg = x;
	o.bwlimit = x->bwlimit;
	o.abort = &x->abort;
	r = transfer_send(conns, JOBS_STREAMS, &x->l, &o, &st, cause);
	link_close(conns, fds, JOBS_STREAMS);
out:
	link_listener_free(lst);
	json_decref(msg);
	free(host);
	return (r);
}

static void *
jobs_xfer_main(void *arg)
{
	struct jobs_xfer	*x = arg, **pp;
	char			*cause = NULL;
	size_t			 i;
	int			 r;

	r = jobs_xfer_run(x, &cause);
	/*
	 * Whatever the library did not settle failed with the transfer,
	 * unless it was stopped on purpose: those tasks were just cancelled
	 * or paused.
	 */
	pthread_mutex_lock(&x->d->mu);
	for (i = 0; i < x->l.n && !x->abort; i++) {
		if (!x->settled[i])
			store_task_fail(x->d->store, x->task[i], cause ? cause :
			    "the transfer ended early", ferryd_now(), NULL);
	}
	pthread_mutex_unlock(&x->d->mu);
	if (r != 0)
		log_warnx("transfer to %s for job %jd: %s", x->link_name,
		    (intmax_t)x->job_id, cause ? cause : err_str(r));
	jobs_link_busy(x->d, x->link_name, 0);
	pthread_mutex_lock(&x->d->mu);
	x->d->busy--;
	for (pp = &x->d->xfers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	}
	pthread_mutex_unlock(&x->d->mu);
	jobs_wake(x->d);
	free(cause);
	jobs_xfer_free(x);
	return (NULL);
}

/* Tasks store_task_next offered, in its order. */
struct jobs_due {
	struct store_task	*t;
	size_t			 n;
};

static int
jobs_due_cb(void *arg, const struct store_task *t)
{
	struct jobs_due		*due = arg;
	struct store_task	*v;

	if ((v = realloc(due->t, (due->n + 1) * sizeof *v)) == NULL)
		return (1);
	due->t = v;
	memset(&v[due->n], 0, sizeof *v);
	v[due->n].id = t->id;
	v[due->n].job_id = t->job_id;
	v[due->n].src_path = strdup(t->src_path);
	v[due->n].dst_path = strdup(t->dst_path);
	v[due->n].basis = t->basis ? strdup(t->basis) : NULL;
	due->n++;
	return (0);
}

/* A free link to an agent of site, or NULL. Caller holds d->mu. */
static struct hub_link *
jobs_free_link(struct ferryd *d, const char *site)
{
	struct hub_link	*l;

	for (l = d->hub_links; l != NULL; l = l->next) {
		if (!l->busy && l->site != NULL && strcmp(l->site, site) == 0)
			return (l);
	}
	return (NULL);
}

/*
 * A task's basis hint as the receiver needs it: relative to the same share
 * root as the file. NULL when there is none, or it lies elsewhere (the
 * receiver accepts hints inside what it receives into only).
 */
static char *
jobs_basis_rel(struct share_map *m, const struct store_job *j,
    const struct store_task *t, const char *root)
{
	struct share_map_result	 res;
	char			*rel = NULL;
	size_t			 n = strlen(root);

	if (t->basis == NULL || share_map_translate(m, j->from_site,
	    j->to_site, SHARE_OS_LINUX, t->basis, strlen(t->basis), &res,
	    NULL) != 0)
		return (NULL);
	if (strncmp(res.path, root, n) == 0 && res.path[n] == '/') {
		rel = res.relative;
		res.relative = NULL;	/* transferred */
	}
	share_map_result_clear(&res);
	return (rel);
}

/*
 * Adds task t to x: its source as the hub sees it, its name relative to
 * the share root the agent receives into. Caller holds d->mu.
 */
static int
jobs_xfer_add(struct jobs_xfer *x, struct share_map *m,
    const struct store_job *j, const struct store_task *t, char **cause)
{
	struct share_map_result	 res;
	struct transfer_file	*tf;
	struct stat		 sb;
	size_t			 rootlen;
	int			 r;

	if ((r = share_map_translate(m, j->from_site, j->to_site,
	    SHARE_OS_LINUX, t->src_path, strlen(t->src_path), &res,
	    cause)) != 0)
		return (r);
	rootlen = strlen(res.path) - strlen(res.relative) -
	    (*res.relative != '\0');
	if (x->root == NULL)
		x->root = strndup(res.path, rootlen);
	else if (strncmp(x->root, res.path, rootlen) != 0 ||
	    strlen(x->root) != rootlen) {
		share_map_result_clear(&res);
		return (1);	/* another share: the next transfer takes it */
	}
	if (lstat(t->src_path, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		r = err_set(cause, FERRY_ERR_IO, "%s: %s", t->src_path,
		    strerror(errno));
		share_map_result_clear(&res);
		return (r);
	}
	tf = &x->l.v[x->l.n];
	memset(tf, 0, sizeof *tf);
	tf->src = strdup(t->src_path);
	tf->rel = res.relative;
	res.relative = NULL;	/* transferred */
	tf->basis = jobs_basis_rel(m, j, t, x->root);
	tf->type = MSG_ENTRY_FILE;
	tf->mode = sb.st_mode & 07777;
	tf->size = (uint64_t)sb.st_size;
	tf->mtime_sec = sb.st_mtim.tv_sec;
	tf->mtime_nsec = (uint32_t)sb.st_mtim.tv_nsec;
	x->task[x->l.n++] = t->id;
	share_map_result_clear(&res);
	return (0);
}

/* Starts one transfer for the due tasks of the first job it can serve. */
static void
jobs_dispatch_job(struct ferryd *d, struct share_map *m, struct jobs_due *due)
{
	struct store_job	 j;
	struct hub_link		*l = NULL;
	struct jobs_xfer	*x;
	pthread_t		 th;
	char			*cause = NULL;
	size_t			 i;
	int			 r;

	if (store_job_get(d->store, due->t[0].job_id, &j, NULL) != 0)
		return;
	if (j.to_site == NULL || strcmp(j.from_site, d->conf.site) != 0 ||
	    (l = jobs_free_link(d, j.to_site)) == NULL ||
	    (x = calloc(1, sizeof *x)) == NULL) {
		store_job_clear(&j);
		return;		/* stays queued until it can go */
	}
	x->d = d;
	x->job_id = j.id;
	x->link_name = strdup(l->name);
	{
		struct store_site site;

		if (store_site_get(d->store, j.to_site, &site, NULL) == 0) {
			x->bwlimit = (uint64_t)site.bwlimit;
			store_site_clear(&site);
		}
	}
	snprintf(x->peer, sizeof x->peer, "%s", l->addr);
	memcpy(x->peer_fp, l->fp, IDENTITY_FP_LEN);
	x->task = calloc(due->n, sizeof *x->task);
	x->settled = calloc(due->n, sizeof *x->settled);
	x->l.v = calloc(due->n, sizeof *x->l.v);
	x->l.cap = due->n;
	for (i = 0; i < due->n && x->task && x->settled && x->l.v; i++) {
		if (due->t[i].job_id != j.id)
			continue;
		if ((r = jobs_xfer_add(x, m, &j, &due->t[i], &cause)) == 1)
			continue;
		if (r != 0) {
			store_task_start(d->store, due->t[i].id, ferryd_now(),
			    NULL);
			store_task_fail(d->store, due->t[i].id, cause,
			    ferryd_now(), NULL);
			free(cause);
			cause = NULL;
			continue;
		}
		store_task_start(d->store, due->t[i].id, ferryd_now(), NULL);
	}
	store_job_clear(&j);
	if (x->l.n == 0 || pthread_create(&th, NULL, jobs_xfer_main, x) != 0) {
		jobs_xfer_free(x);
		return;
	}
	l->busy = 1;
	d->busy++;
	x->next = d->xfers;
	d->xfers = x;
	pthread_detach(th);
}

static void
jobs_due_clear(struct jobs_due *due)
{
	size_t	i;

	for (i = 0; i < due->n; i++) {
		free(due->t[i].src_path);
		free(due->t[i].dst_path);
		free(due->t[i].basis);
	}
	free(due->t);
	memset(due, 0, sizeof *due);
}

static void *
jobs_dispatch_main(void *arg)
{
	struct ferryd		*d = arg;
	struct share_map	*m;
	struct jobs_due		 due;
	struct timespec		 until;
	int64_t			 last_sweep = 0;

	pthread_mutex_lock(&d->mu);
	while (!d->stop) {
		/* A second at most, or until there is something to do. */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&d->wake, &d->mu, &until);
		memset(&due, 0, sizeof due);
		if (ferryd_now() - last_sweep >= 30) {
			store_stuck(d->store, ferryd_now(), JOBS_STALL_S, NULL,
			    NULL);
			last_sweep = ferryd_now();
		}
		/* The share map is read and parsed only when work is due. */
		store_task_next(d->store, ferryd_now(), JOBS_BATCH,
		    jobs_due_cb, &due, NULL);
		if (due.n > 0 && jobs_share_map(d, &m, NULL) == 0) {
			jobs_dispatch_job(d, m, &due);
			share_map_free(m);
		}
		jobs_due_clear(&due);
	}
	pthread_mutex_unlock(&d->mu);
	return (NULL);
}

void
jobs_link_message(struct ferryd *d, struct hub_link *l, const json_t *msg)
{
	const char	*op = json_string_value(json_object_get(msg, "op"));
	const char	*err;

	(void)d;
	if (op == NULL || strcmp(op, "transfer.done") != 0)
		return;
	err = json_string_value(json_object_get(msg, "error"));
	log_info("%s: transfer %jd %s, %jd bytes delivered, %jd on the wire"
	    "%s%s", l->name, (intmax_t)json_integer_value(json_object_get(msg,
	    "id")), json_is_true(json_object_get(msg, "ok")) ? "received" :
	    "failed", (intmax_t)json_integer_value(json_object_get(msg,
	    "bytes")), (intmax_t)json_integer_value(json_object_get(msg,
	    "wire_bytes")), err ? ": " : "", err ? err : "");
}

void
jobs_wake(struct ferryd *d)
{
	pthread_mutex_lock(&d->mu);
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->mu);
}

int
jobs_start(struct ferryd *d)
{
	pthread_t	t;
	size_t		n = 0;

	/* Tasks a killed hub left running go back in the queue. */
	pthread_mutex_lock(&d->mu);
	store_recover(d->store, ferryd_now(), &n, NULL);
	pthread_mutex_unlock(&d->mu);
	if (n > 0)
		log_info("%zu task(s) left running by the last run are queued "
		    "again", n);
	if (pthread_create(&t, NULL, jobs_dispatch_main, d) != 0)
		return (-1);
	pthread_detach(t);
	return (0);
}
