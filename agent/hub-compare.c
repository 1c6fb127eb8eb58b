/*
 * The compare before a send (hub-compare.h). rsync's file list does the
 * same: a re-send of files already there costs a look at each, not a
 * transfer and a task's row written twice (docs/benchmarks.md, S8).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "expand.h"
#include "ferryd.h"
#include "hub-compare.h"
#include "hub-dispatch.h"
#include "identity.h"
#include "log.h"
#include "share-map.h"
#include "store.h"

/* The names of one question, in bytes: its message stays below 1 MiB. */
#define COMPARE_BYTES		(640 * 1024)
/*
 * Seconds an agent has to answer one page (COMPARE_PAGE looks at files
 * whose directories are usually in its cache), and all a send waits for
 * answers in all: past either, the send goes on without asking, its
 * files sent as they are (an answer that comes later is dropped quietly,
 * ask_abandon). A slow receiver delays a send by COMPARE_BUDGET_MS at
 * most, whatever its size.
 */
#define COMPARE_WAIT_S		15
#define COMPARE_BUDGET_MS	30000

void
compare_begin(struct compare *c, struct ferryd *d, const char *from,
    const char *to, const struct share_map *m, int basis)
{
	struct hub_link	*l;

	memset(c, 0, sizeof *c);
	c->d = d;
	c->from = from;
	c->to = to;
	c->m = m;
	if (basis || m == NULL || d->conf.site == NULL ||
	    (d->conf.compare_first != NULL &&
	    strcmp(d->conf.compare_first, "0") == 0) ||
	    strcmp(from, d->conf.site) != 0 || strcmp(to, d->conf.site) == 0 ||
	    (l = hub_link_for(d, to, 0)) == NULL || !l->compare ||
	    store_dest_busy(d->store, to))
		return;
	/* That agent alone: another of the site may see other roots. */
	snprintf(c->platform, sizeof c->platform, "%s", l->platform);
	c->on = (c->link = strdup(l->name)) != NULL &&
	    (c->tc = share_map_cache_new()) != NULL;
}

static void
compare_off(struct compare *c, const char *why)
{
	if (c->on)
		log_warnx("compare with %s: %s; the send's files are sent as "
		    "they are", c->to, why);
	c->on = 0;
}

/* The oldest question's answer, into t. Holds d->mu. */
static void
compare_take(struct compare *c, struct store_task *t)
{
	struct compare_q	 q = c->q[0];
	json_t			*rep = NULL;
	const char		*same, *err;
	char			*cause = NULL;
	size_t			 i;

	int64_t			 t0, wait_s;

	memmove(&c->q[0], &c->q[1], --c->nq * sizeof c->q[0]);
	/* Given up already: no wait for what would not be taken. */
	wait_s = (COMPARE_BUDGET_MS - c->waited) / 1000;
	if (c->on && wait_s < 1)
		compare_off(c, "its answers took all the time a send gives "
		    "them");
	if (!c->on) {
		ask_abandon(c->d, q.id);
		free(q.idx);
		return;
	}
	t0 = clock_ms();
	if (ask_wait(c->d, q.id, wait_s < COMPARE_WAIT_S ? (int)wait_s :
	    COMPARE_WAIT_S, &rep, &cause) != 0) {
		c->waited += clock_ms() - t0;
		compare_off(c, cause != NULL ? cause : "no answer");
		free(cause);
		free(q.idx);
		return;
	}
	c->waited += clock_ms() - t0;
	same = json_string_value(json_object_get(rep, "same"));
	err = json_string_value(json_object_get(rep, "error"));
	/* One answer for each name asked, each '0' or '1': else none. */
	if (same == NULL || strlen(same) != q.n || strspn(same, "01") != q.n)
		compare_off(c, err != NULL ? err : "an answer that does not "
		    "fit its question");
	else
		for (i = 0; c->on && i < q.n; i++)
			if (same[i] == '1') {
				t[q.idx[i]].state = STORE_DONE;
				c->found++;
			}
	json_decref(rep);
	free(q.idx);
}

/* Sends one question (taken: msg, idx). Holds d->mu. */
static void
compare_ask(struct compare *c, struct store_task *t, json_t *msg,
    size_t *idx, size_t n)
{
	struct hub_link	*l = NULL;
	char		 fp[IDENTITY_FP_STRLEN + 1], *cause = NULL;
	struct compare_q *q;

	while (c->on && c->nq == COMPARE_AHEAD)
		compare_take(c, t);
	if (c->on && ((l = hub_link_named(c->d, c->link)) == NULL ||
	    !l->compare))
		compare_off(c, "its agent's link went");
	/* Other questions (agents' listings, relays) keep their room. */
	if (c->on && c->d->asks != NULL &&
	    json_object_size(c->d->asks) >= ASK_MAX / 2)
		compare_off(c, "the hub has many questions open");
	if (!c->on || l == NULL) {
		json_decref(msg);
		free(idx);
		return;
	}
	q = &c->q[c->nq];
	identity_fp_format(l->fp, fp);
	if (ask_open(c->d, fp, q->id, &cause) != 0) {
		compare_off(c, cause != NULL ? cause : "no question");
		free(cause);
		json_decref(msg);
		free(idx);
		return;
	}
	json_object_set_new(msg, "req", json_string(q->id));
	hub_tell(c->d, l->name, msg);
	q->idx = idx;
	q->n = n;
	c->nq++;
	c->asked += n;
}

/*
 * Where task t goes at the receiver, as dispatch_add would say (its root,
 * *rootlen bytes of res->path, and its name there): 0, or -1 when it is
 * not to be asked about.
 */
static int
compare_where(struct compare *c, const struct store_task *t,
    struct share_map_result *res, size_t *rootlen)
{
	if (t->state != STORE_QUEUED || t->basis != NULL || !t->has_mtime ||
	    share_map_translate_for_cached(c->m, c->tc, c->from, c->to,
	    *c->platform ? c->platform : NULL, t->src_path,
	    strlen(t->src_path), res, NULL) != 0)
		return (-1);
	if (*res->relative == '\0' || strlen(res->path) <=
	    strlen(res->relative)) {
		share_map_result_clear(res);
		return (-1);
	}
	*rootlen = strlen(res->path) - strlen(res->relative) - 1;
	return (0);
}

/* One page of questions: its root, its names and their listed stat. */
struct compare_page {
	char	*root;
	json_t	*names, *sizes, *mtimes, *nsecs;
	size_t	*idx, n, bytes;
};

static void
compare_page_send(struct compare *c, struct store_task *t,
    struct compare_page *p)
{
	json_t	*msg;

	if (p->n > 0 && c->on) {
		msg = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "op",
		    "compare", "root", p->root, "names", p->names, "sizes",
		    p->sizes, "mtimes", p->mtimes, "nsecs", p->nsecs);
		p->names = p->sizes = p->mtimes = p->nsecs = NULL;
		if (msg == NULL)
			compare_off(c, "out of memory");
		else {
			compare_ask(c, t, msg, p->idx, p->n);
			p->idx = NULL;
		}
	}
	json_decref(p->names);
	json_decref(p->sizes);
	json_decref(p->mtimes);
	json_decref(p->nsecs);
	free(p->idx);
	free(p->root);
	memset(p, 0, sizeof *p);
}

/* Starts page p at root. */
static int
compare_page_new(struct compare_page *p, const char *root, size_t rootlen)
{
	memset(p, 0, sizeof *p);
	p->root = strndup(root, rootlen);
	p->names = json_array();
	p->sizes = json_array();
	p->mtimes = json_array();
	p->nsecs = json_array();
	p->idx = calloc(COMPARE_PAGE, sizeof *p->idx);
	return (p->root == NULL || p->names == NULL || p->sizes == NULL ||
	    p->mtimes == NULL || p->nsecs == NULL || p->idx == NULL ? -1 : 0);
}

/* Asks about t[from..to). Holds d->mu. */
static void
compare_range(struct compare *c, struct store_task *t, size_t from,
    size_t to)
{
	struct compare_page	 p;
	struct share_map_result	 res;
	json_t			*name;
	size_t			 i, rootlen, len;

	memset(&p, 0, sizeof p);
	for (i = from; c->on && i < to; i++) {
		if (compare_where(c, &t[i], &res, &rootlen) != 0)
			continue;
		/* Not UTF-8 (JSON's): not asked about, sent as it is. */
		if ((name = json_string(res.relative)) == NULL) {
			share_map_result_clear(&res);
			continue;
		}
		len = dispatch_json_len(res.relative) + 32;
		/* A page is one root, COMPARE_PAGE names, COMPARE_BYTES. */
		if (p.n > 0 && (p.n == COMPARE_PAGE || p.bytes + len >
		    COMPARE_BYTES ||
		    strlen(p.root) != rootlen || strncmp(p.root, res.path,
		    rootlen) != 0))
			compare_page_send(c, t, &p);
		if (c->on && p.root == NULL && compare_page_new(&p, res.path,
		    rootlen) != 0)
			compare_off(c, "out of memory");
		if (c->on && (json_array_append_new(p.names, name) != 0 ||
		    json_array_append_new(p.sizes, json_integer(t[i].size)) !=
		    0 || json_array_append_new(p.mtimes,
		    json_integer(t[i].mtime_sec)) != 0 ||
		    json_array_append_new(p.nsecs,
		    json_integer(t[i].mtime_nsec)) != 0))
			compare_off(c, "out of memory");
		else if (c->on) {
			p.bytes += len;
			p.idx[p.n++] = i;
		} else
			json_decref(name);
		share_map_result_clear(&res);
	}
	compare_page_send(c, t, &p);
}

void
compare_note(struct compare *c, struct store_task *t, size_t n, int flush)
{
	if (c->d == NULL || (!c->on && c->nq == 0) ||
	    (!flush && n - c->sent < COMPARE_PAGE))
		return;
	pthread_mutex_lock(&c->d->mu);
	if (c->on && n > c->sent)
		compare_range(c, t, c->sent, n);
	c->sent = n;
	while (flush && c->nq > 0)
		compare_take(c, t);
	pthread_mutex_unlock(&c->d->mu);
}

void
compare_restart(struct compare *c)
{
	c->sent = 0;
}

void
compare_end(struct compare *c)
{
	size_t	i;

	if (c->d == NULL)
		return;
	pthread_mutex_lock(&c->d->mu);
	for (i = 0; i < c->nq; i++) {
		ask_abandon(c->d, c->q[i].id);
		free(c->q[i].idx);
	}
	c->nq = 0;
	pthread_mutex_unlock(&c->d->mu);
	share_map_cache_free(c->tc);
	c->tc = NULL;
	free(c->link);
	c->link = NULL;
}
