/*
 * The hub's mail (docs/mail.md, "How the hub plugs in"). What deserves
 * mail is written into the store as a notice by the change itself (the
 * schema's triggers: a job done or failed, an ACL granted, a person's
 * agent enrolled) or by an operation ("notify": the assignees of a
 * publish; "mail.test": `ferry mail test`). One thread owns the outbox, STATEDIR/mail.db: it turns each
 * pending notice into messages, one per recipient, queued under a key
 * ("delivered:42"), then marks the notice queued; and it sends what is
 * due, retried with backoff while the server is down. A crash between
 * the outbox and the mark queues the notice again, and the outbox's
 * UNIQUE (key, rcpt) makes that a no-op: nothing is lost or doubled.
 *
 * The thread takes d->mu only to read and mark the store, never while it
 * talks SMTP, so that a slow server delays mail and nothing else.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "ferryd.h"
#include "log.h"
#include "mail.h"
#include "store.h"

#define HUB_MAIL_FILES		5	/* files named, then a count */
#define HUB_MAIL_PAGE		32	/* notices read at once */
#define HUB_MAIL_ADMINS_MAX	32
#define HUB_MAIL_NOTIFY_MAX	100	/* addresses in one notify */
#define HUB_MAIL_ADDR_MAX	254	/* RFC 5321's path, less brackets */
/*
 * Messages queued for one address in an hour (mail-max-per-hour): a
 * vendor can publish, and so mail the admins, as often as it likes
 * (mail-flood.sh: 40 messages each in a minute, without end).
 */
#define HUB_MAIL_PER_HOUR	30

struct hub_mail {
	int			 on;		/* smtp-server is set */
	struct mail_config	 cfg;
	struct mail_outbox	*ob;
	struct mail_templates	*t;
	pthread_cond_t		 cv;		/* with d->mu: work */
	char			**admins;
	size_t			 nadmins;
	int			 per_hour;	/* to one address */
	/* What `ferry status` shows; under d->mu. */
	int64_t			 n[MAIL_FAILED_FOR_GOOD + 1];
	char			*last_error;
};

/* One notice made into messages: one kind, key and text, recipients. */
struct hub_letter {
	enum mail_kind		 kind;
	char			 key[96];
	struct mail_vars	 v;
	char			*own[6];	/* v's strings, to free */
	char			*to[HUB_MAIL_ADMINS_MAX];
	size_t			 nto;
};

/* A pending notice, copied out of the store. */
struct hub_notice {
	int64_t	 id;
	char	*kind, *state, *who, *place, *access;
	int64_t	 job_id;
};

/*
 * An address as ferry takes it from a person: local@domain, printable
 * ASCII without the characters that would make it a list, a name or a
 * header. The message builder checks again; this is for clear refusals.
 */
static int
hub_mail_address_ok(const char *a)
{
	const char	*at = strchr(a, '@'), *p;
	size_t		 len = strlen(a);

	if (len < 3 || len > HUB_MAIL_ADDR_MAX || at == NULL || at == a ||
	    at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return (0);
	for (p = a; *p != '\0'; p++) {
		if (*p <= ' ' || *p >= 0x7f || strchr("<>()[],;:\"\\", *p))
			return (0);
	}
	return (1);
}

/* mail-admins: "a@x, b@y" (commas or blanks between). */
static int
hub_mail_admins(struct hub_mail *m, const char *list, char **cause)
{
	char	*copy, *p, *tok, *save = NULL;
	int	 r = 0;

	if (list == NULL)
		return (0);
	if ((copy = strdup(list)) == NULL ||
	    (m->admins = calloc(HUB_MAIL_ADMINS_MAX, sizeof *m->admins)) ==
	    NULL) {
		free(copy);
		return (FERRY_ERR_NOMEM);
	}
	for (p = copy; r == 0 && (tok = strtok_r(p, ", \t", &save)) != NULL;
	    p = NULL) {
		if (!hub_mail_address_ok(tok))
			r = err_set(cause, FERRY_ERR_INVAL, "%s: mail-admins: "
			    "\"%s\" is not an e-mail address", CONF_NAME, tok);
		else if (m->nadmins == HUB_MAIL_ADMINS_MAX)
			r = err_set(cause, FERRY_ERR_TOOBIG, "%s: mail-admins: "
			    "more than %d addresses (a list's address is one)",
			    CONF_NAME, HUB_MAIL_ADMINS_MAX);
		else if ((m->admins[m->nadmins++] = strdup(tok)) == NULL)
			r = FERRY_ERR_NOMEM;
	}
	free(copy);
	return (r);
}

/*
 * Who sent a job, as an address: a person's agent's job says "EMAIL
 * (agent NAME)", ferry-ftrack's "EMAIL (via uid N)"; a local admin's
 * user name is none.
 */
static int
hub_mail_sender(const char *submitter, char *buf, size_t len)
{
	const char	*via = strstr(submitter, " (");
	size_t		 n = via != NULL ? (size_t)(via - submitter) :
			    strlen(submitter);

	if (n >= len)
		return (0);
	memcpy(buf, submitter, n);
	buf[n] = '\0';
	return (hub_mail_address_ok(buf));
}

/* What a job's tasks say: the common folder, a few names, a reason. */
struct hub_files {
	char		*dir;
	char		*first[HUB_MAIL_FILES];
	int64_t		 count;
	char		*reason;
};

/* The folder part of p: up to its last '/' or '\' (Windows agents). */
static size_t
hub_mail_dirlen(const char *p, size_t len)
{
	while (len > 0 && p[len - 1] != '/' && p[len - 1] != '\\')
		len--;
	return (len > 0 ? len - 1 : 0);
}

static int
hub_mail_task(void *arg, const struct store_task *t)
{
	struct hub_files	*f = arg;
	size_t			 len;

	if (f->dir == NULL) {
		if ((f->dir = strdup(t->dst_path)) == NULL)
			return (-1);
		f->dir[hub_mail_dirlen(f->dir, strlen(f->dir))] = '\0';
	}
	/* Shrinks the common folder until it holds this file too. */
	len = strlen(f->dir);
	while (len > 0 && (strncmp(t->dst_path, f->dir, len) != 0 ||
	    (t->dst_path[len] != '/' && t->dst_path[len] != '\\')))
		len = hub_mail_dirlen(f->dir, len);
	f->dir[len] = '\0';
	if (f->count < HUB_MAIL_FILES &&
	    (f->first[f->count] = strdup(t->dst_path)) == NULL)
		return (-1);
	f->count++;
	if (f->reason == NULL && t->state == STORE_FAILED && t->error != NULL &&
	    (f->reason = strdup(t->error)) == NULL)
		return (-1);
	return (0);
}

static void
hub_files_clear(struct hub_files *f)
{
	int	i;

	free(f->dir);
	for (i = 0; i < HUB_MAIL_FILES; i++)
		free(f->first[i]);
	free(f->reason);
	memset(f, 0, sizeof *f);
}

/* Sets the letter's {{files}}, {{count}}, {{place}} and {{job}}. */
static int
hub_letter_files(struct hub_letter *l, const struct store_job *j,
    const struct hub_files *f)
{
	const char	*dest = j->to_site ? j->to_site : j->to_user;
	size_t		 skip = f->dir != NULL && *f->dir != '\0' ?
			    strlen(f->dir) + 1 : 0;
	struct buf	 b;
	int64_t		 i;

	buf_init(&b, 0);
	for (i = 0; i < f->count && i < HUB_MAIL_FILES; i++)
		buf_printf(&b, "%s%s", i > 0 ? "\n" : "",
		    strlen(f->first[i]) > skip ? f->first[i] + skip :
		    f->first[i]);
	if (f->count > HUB_MAIL_FILES)
		buf_printf(&b, "\n... and %jd more", (intmax_t)(f->count -
		    HUB_MAIL_FILES));
	l->own[0] = buf_detach(&b);
	if (asprintf(&l->own[1], "%jd", (intmax_t)f->count) == -1)
		l->own[1] = NULL;
	if (asprintf(&l->own[2], "%s on %s", f->dir != NULL && *f->dir !=
	    '\0' ? f->dir : "/", dest) == -1)
		l->own[2] = NULL;
	if (asprintf(&l->own[3], "%jd", (intmax_t)j->id) == -1)
		l->own[3] = NULL;
	if (l->own[0] == NULL || l->own[1] == NULL || l->own[2] == NULL ||
	    l->own[3] == NULL)
		return (FERRY_ERR_NOMEM);
	l->v.files = l->own[0];
	l->v.count = l->own[1];
	l->v.place = l->own[2];
	l->v.job = l->own[3];
	return (0);
}

static void
hub_letter_clear(struct hub_letter *l)
{
	size_t	i;

	for (i = 0; i < sizeof l->own / sizeof l->own[0]; i++)
		free(l->own[i]);
	for (i = 0; i < l->nto; i++)
		free(l->to[i]);
	memset(l, 0, sizeof *l);
}

static int
hub_letter_to(struct hub_letter *l, const char *to)
{
	if (to == NULL || l->nto == HUB_MAIL_ADMINS_MAX)
		return (0);
	if ((l->to[l->nto] = strdup(to)) == NULL)
		return (FERRY_ERR_NOMEM);
	l->nto++;
	return (0);
}

static int
hub_letter_admins(struct hub_mail *m, struct hub_letter *l)
{
	size_t	i;
	int	r = 0;

	for (i = 0; r == 0 && i < m->nadmins; i++)
		r = hub_letter_to(l, m->admins[i]);
	return (r);
}

/* {{who}} and {{reason}}, copied. */
static int
hub_letter_who(struct hub_letter *l, const char *who, const char *reason)
{
	if (who != NULL && (l->own[4] = strdup(who)) == NULL)
		return (FERRY_ERR_NOMEM);
	if (reason != NULL && (l->own[5] = strdup(reason)) == NULL)
		return (FERRY_ERR_NOMEM);
	l->v.who = l->own[4];
	l->v.reason = l->own[5];
	return (0);
}

enum hub_which { HUB_DELIVERED, HUB_PUBLISH, HUB_FAILED };

/*
 * The rest of a job's letter, by kind: delivered (to its person),
 * publish (meta.publish: to the admins, or for "publish-to" to one more
 * address) or failed (to its sender, else the admins). The "by" of
 * meta.publish names the publisher, its "note" is {{reason}}.
 */
static int
hub_letter_kind(struct ferryd *d, const struct hub_notice *n,
    enum hub_which which, const struct store_job *j,
    const struct hub_files *f, struct hub_letter *l)
{
	json_t		*meta = j->meta ? json_loads(j->meta, 0, NULL) :
			    NULL;
	json_t		*pub = json_object_get(meta, "publish");
	const char	*by = json_string_value(json_object_get(pub, "by"));
	char		 sender[HUB_MAIL_ADDR_MAX + 1];
	char		 byaddr[HUB_MAIL_ADDR_MAX + 1];
	int64_t		 nth = 1;
	int		 r;

	if (!hub_mail_sender(j->submitter, sender, sizeof sender))
		sender[0] = '\0';
	/* The hub writes "by" as it names agents: "EMAIL (agent NAME)". */
	if (by != NULL && hub_mail_sender(by, byaddr, sizeof byaddr))
		by = byaddr;
	else if (by == NULL || *by == '\0')
		by = sender[0] != '\0' ? sender : j->submitter;
	if (which == HUB_DELIVERED) {
		l->kind = MAIL_DELIVERED;
		snprintf(l->key, sizeof l->key, "delivered:%jd",
		    (intmax_t)j->id);
		if ((r = hub_letter_who(l, by, NULL)) == 0)
			r = hub_letter_to(l, j->to_user);
	} else if (which == HUB_PUBLISH) {
		l->kind = MAIL_PUBLISH;
		snprintf(l->key, sizeof l->key, "publish:%jd",
		    (intmax_t)j->id);
		r = hub_letter_who(l, by, json_string_value(
		    json_object_get(pub, "note")));
		if (r == 0 && strcmp(n->kind, "publish-to") == 0)
			r = hub_letter_to(l, n->who);
		else if (r == 0)
			r = hub_letter_admins(d->mail, l);
	} else {
		l->kind = MAIL_FAILED;
		/* A job retried that fails again is told again. */
		store_notice_count(d->store, j->id, "failed", n->id, &nth,
		    NULL);
		snprintf(l->key, sizeof l->key, nth > 1 ? "failed:%jd.%jd" :
		    "failed:%jd", (intmax_t)j->id, (intmax_t)nth);
		r = hub_letter_who(l, j->submitter, f->reason != NULL ?
		    f->reason : "no reason was recorded");
		if (r == 0 && sender[0] != '\0')
			r = hub_letter_to(l, sender);
		else if (r == 0)
			r = hub_letter_admins(d->mail, l);
	}
	json_decref(meta);
	return (r);
}

/* A job's letter; caller holds d->mu. */
static int
hub_letter_job(struct ferryd *d, const struct hub_notice *n,
    enum hub_which which, struct hub_letter *l, char **cause)
{
	struct store_job	 j;
	struct hub_files	 f;
	int			 r;

	memset(&f, 0, sizeof f);
	if ((r = store_job_get(d->store, n->job_id, &j, cause)) != 0)
		return (r);
	if ((r = store_job_tasks(d->store, j.id, hub_mail_task, &f,
	    cause)) == 0 && (r = hub_letter_files(l, &j, &f)) == 0)
		r = hub_letter_kind(d, n, which, &j, &f, l);
	hub_files_clear(&f);
	store_job_clear(&j);
	return (r);
}

/* An ACL granted, or a person's agent enrolled; caller holds d->mu. */
static int
hub_letter_access(struct ferryd *d, const struct hub_notice *n,
    struct hub_letter *l)
{
	enum store_clearance	 cl;
	char			 who[256];
	int			 r;

	/* A site has no address; only a person is told. */
	if (n->who == NULL || store_user_get(d->store, n->who, &cl,
	    NULL) != 0)
		return (0);
	l->kind = MAIL_ACCESS;
	snprintf(l->key, sizeof l->key, "access:%jd", (intmax_t)n->id);
	if (strcmp(n->kind, "access") == 0)
		r = asprintf(&l->own[2], "%s (%s)", n->place,
		    n->access != NULL && strcmp(n->access, "write") == 0 ?
		    "read and write" : "read");
	else
		r = asprintf(&l->own[2], "%s from your machine %s",
		    d->conf.site, n->place != NULL ? n->place : "");
	if (r == -1) {
		l->own[2] = NULL;
		return (FERRY_ERR_NOMEM);
	}
	l->v.place = l->own[2];
	snprintf(who, sizeof who, "The studio (%s)", d->conf.site);
	if ((r = hub_letter_who(l, who, NULL)) != 0)
		return (r);
	return (hub_letter_to(l, n->who));
}

/* Whether a job's meta JSON has a "publish" object. */
static int
hub_mail_is_publish(const char *meta)
{
	json_t	*j;
	int	 pub;

	if (meta == NULL || (j = json_loads(meta, 0, NULL)) == NULL)
		return (0);
	pub = json_is_object(json_object_get(j, "publish"));
	json_decref(j);
	return (pub);
}

/*
 * The letters a notice makes (up to two: a publish delivered to a
 * person is both), filled under d->mu. Returns how many, or an error;
 * *keep says to leave the notice pending (a publish-to whose job is not
 * finished yet).
 */
static int
hub_mail_letters(struct ferryd *d, const struct hub_notice *n,
    struct hub_letter l[2], int *keep, char **cause)
{
	struct store_job	 j;
	int			 k = 0, r = 0, done;

	*keep = 0;
	if (strcmp(n->kind, "test") == 0) {
		l[0].kind = MAIL_TEST;
		snprintf(l[0].key, sizeof l[0].key, "test:%jd",
		    (intmax_t)n->id);
		if ((l[0].own[2] = strdup(d->conf.site)) == NULL)
			return (FERRY_ERR_NOMEM);
		l[0].v.place = l[0].own[2];
		if ((r = hub_letter_who(&l[0], n->place, NULL)) != 0 ||
		    (r = hub_letter_to(&l[0], n->who)) != 0)
			return (r);
		return (1);
	}
	if (strcmp(n->kind, "access") == 0 || strcmp(n->kind,
	    "enrolled") == 0) {
		r = hub_letter_access(d, n, &l[0]);
		return (r != 0 ? r : l[0].nto > 0);
	}
	if ((r = store_job_get(d->store, n->job_id, &j, cause)) != 0)
		return (r == FERRY_ERR_NOTFOUND ? 0 : r);
	done = j.state == STORE_DONE;
	if (strcmp(n->kind, "publish-to") == 0) {
		/* Told once the files are there; not for a job that failed. */
		*keep = j.state == STORE_RUNNING || j.state == STORE_PAUSED;
		if (done)
			r = hub_letter_job(d, n, HUB_PUBLISH, &l[k++], cause);
	} else if (n->state != NULL && strcmp(n->state, "failed") == 0)
		r = hub_letter_job(d, n, HUB_FAILED, &l[k++], cause);
	else if (done) {
		if (j.to_user != NULL)
			r = hub_letter_job(d, n, HUB_DELIVERED, &l[k++], cause);
		if (r == 0 && hub_mail_is_publish(j.meta))
			r = hub_letter_job(d, n, HUB_PUBLISH, &l[k++], cause);
	}
	store_job_clear(&j);
	return (r < 0 ? r : k);
}

/*
 * Queues a letter, one message per recipient. A key queued already is
 * done (the notice was read again after a crash). An address the
 * message builder refuses is logged and skipped, since trying again
 * would not mend it; anything else (the outbox's disk) is tried again.
 */
static int
hub_mail_queue(struct ferryd *d, const struct hub_letter *l)
{
	struct hub_mail		*m = d->mail;
	struct mail_notice	 n;
	char			*cause = NULL;
	size_t			 i;
	int			 r = 0, e;

	for (i = 0; r == 0 && i < l->nto; i++) {
		memset(&n, 0, sizeof n);
		n.kind = l->kind;
		n.key = l->key;
		n.to = l->to[i];
		n.vars = l->v;
		e = mail_outbox_add(m->ob, m->t, m->cfg.from, &n,
		    clock_now(), &cause);
		if (e == 0)
			log_info("mail %s to %s: queued", l->key, l->to[i]);
		else if (e == FERRY_ERR_INVAL)
			log_warnx("mail %s to %s: not queued: %s", l->key,
			    l->to[i], cause ? cause : err_str(e));
		else if (e == FERRY_ERR_TOOBIG)
			log_warnx("mail %s to %s: not queued: %s "
			    "(mail-max-per-hour %d)", l->key, l->to[i],
			    cause ? cause : err_str(e), m->per_hour);
		else if (e != FERRY_ERR_EXIST) {
			log_warnx("mail %s to %s: %s", l->key, l->to[i],
			    cause ? cause : err_str(e));
			r = e;
		}
		free(cause);
		cause = NULL;
	}
	return (r);
}

static int
hub_mail_copy(void *arg, const struct store_notice *sn)
{
	json_t	*a = arg;

	return (json_array_append_new(a, json_pack("{s:I, s:s, s:I, s:s?, "
	    "s:s?, s:s?, s:s?}", "id", (json_int_t)sn->id, "kind", sn->kind,
	    "job", (json_int_t)sn->job_id, "state", sn->state, "who", sn->who,
	    "place", sn->place, "access", sn->access)) != 0 ? -1 : 0);
}

static void
hub_notice_from(const json_t *o, struct hub_notice *n)
{
	n->id = json_integer_value(json_object_get(o, "id"));
	n->kind = (char *)json_string_value(json_object_get(o, "kind"));
	n->job_id = json_integer_value(json_object_get(o, "job"));
	n->state = (char *)json_string_value(json_object_get(o, "state"));
	n->who = (char *)json_string_value(json_object_get(o, "who"));
	n->place = (char *)json_string_value(json_object_get(o, "place"));
	n->access = (char *)json_string_value(json_object_get(o, "access"));
}

/*
 * One notice: its letters made under d->mu, queued without it (the
 * outbox is this thread's), then the notice marked, under d->mu again.
 * Returns 0, or -1 when the daemon stops or the store fails.
 */
static int
hub_mail_one(struct ferryd *d, const json_t *o)
{
	struct hub_letter	 l[2];
	struct hub_notice	 n;
	char			*cause = NULL;
	int			 k, i, keep = 0, r = 0;

	memset(l, 0, sizeof l);
	hub_notice_from(o, &n);
	pthread_mutex_lock(&d->mu);
	k = d->stop ? -1 : hub_mail_letters(d, &n, l, &keep, &cause);
	pthread_mutex_unlock(&d->mu);
	if (k < 0 && !d->stop)
		log_warnx("mail: notice %jd: %s", (intmax_t)n.id, cause ?
		    cause : err_str(k));
	for (i = 0; r == 0 && i < k; i++)
		r = hub_mail_queue(d, &l[i]);
	pthread_mutex_lock(&d->mu);
	if (k >= 0 && r == 0 && !keep && !d->stop &&
	    store_notice_done(d->store, n.id, &cause) != 0)
		log_warnx("mail: notice %jd: %s", (intmax_t)n.id, cause ?
		    cause : "cannot mark it queued");
	pthread_mutex_unlock(&d->mu);
	for (i = 0; i < 2; i++)
		hub_letter_clear(&l[i]);
	free(cause);
	return (d->stop || k < 0 ? -1 : 0);
}

/*
 * Every pending notice, a page at a time; with mail off, each is marked
 * without mail, so that turning mail on later does not send a backlog.
 */
static int
hub_mail_notices(struct ferryd *d)
{
	json_t	*page, *o;
	int64_t	 after = 0;
	size_t	 i, n;
	int	 r = 0;

	do {
		if ((page = json_array()) == NULL)
			return (-1);
		pthread_mutex_lock(&d->mu);
		r = d->stop ? -1 : store_notice_pending(d->store, after,
		    HUB_MAIL_PAGE, hub_mail_copy, page, NULL);
		for (i = 0; r == 0 && !d->mail->on &&
		    i < json_array_size(page); i++)
			store_notice_done(d->store, json_integer_value(
			    json_object_get(json_array_get(page, i), "id")),
			    NULL);
		pthread_mutex_unlock(&d->mu);
		n = json_array_size(page);
		json_array_foreach(page, i, o) {
			after = json_integer_value(json_object_get(o, "id"));
			if (r == 0 && d->mail->on)
				r = hub_mail_one(d, o);
		}
		json_decref(page);
	} while (r == 0 && n == HUB_MAIL_PAGE);
	return (r);
}

static void
hub_mail_count(const struct mail_step *st, void *arg)
{
	int64_t	*n = arg;

	if ((int)st->state >= 0 && st->state <= MAIL_FAILED_FOR_GOOD)
		n[st->state]++;
}

/* Sends what is due, logging each try; then the counts for status. */
static void
hub_mail_send(struct ferryd *d)
{
	struct hub_mail		*m = d->mail;
	struct mail_step	 st;
	int64_t			 n[MAIL_FAILED_FOR_GOOD + 1];
	char			*cause = NULL, *last = NULL;
	int			 r, any = 0;

	memset(&st, 0, sizeof st);
	while (!d->stop && (r = mail_outbox_step(m->ob, &m->cfg,
	    clock_now(), &st, &cause)) == 1) {
		any = 1;
		if (st.state == MAIL_SENT)
			log_info("mail %s to %s: sent", st.key, st.to);
		else if (st.state == MAIL_QUEUED)
			log_warnx("mail %s to %s: not sent (try %d), again in "
			    "%jds: %s", st.key, st.to, st.attempts,
			    (intmax_t)(st.next_try - clock_now()),
			    st.error ? st.error : "no reason");
		else
			log_warnx("mail %s to %s: failed for good: %s", st.key,
			    st.to, st.error ? st.error : "no reason");
		/* The last try's error, none once one is sent. */
		free(last);
		last = strdup(st.error != NULL && st.state != MAIL_SENT ?
		    st.error : "");
		mail_step_clear(&st);
	}
	if (r < 0 && !d->stop)
		log_warnx("mail: %s", cause ? cause : err_str(r));
	free(cause);
	memset(n, 0, sizeof n);
	if (any || m->n[MAIL_QUEUED] + m->n[MAIL_SENT] == 0)
		mail_outbox_list(m->ob, hub_mail_count, n, NULL);
	pthread_mutex_lock(&d->mu);
	if (any || m->n[MAIL_QUEUED] + m->n[MAIL_SENT] == 0)
		memcpy(m->n, n, sizeof n);
	if (last != NULL) {
		free(m->last_error);
		m->last_error = *last != '\0' ? last : NULL;
		if (*last == '\0')
			free(last);
	}
	pthread_mutex_unlock(&d->mu);
}

/*
 * The mail thread: notices into the outbox, the outbox to the server,
 * then a sleep of a second (the store's notices are written by other
 * threads' transactions, which do not signal this one) or until "notify"
 * wakes it.
 */
static void *
hub_mail_main(void *arg)
{
	struct ferryd	*d = arg;
	struct timespec	 ts;

	while (!d->stop) {
		hub_mail_notices(d);
		if (d->mail->on && !d->stop)
			hub_mail_send(d);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_mutex_lock(&d->mu);
		if (!d->stop)
			pthread_cond_timedwait(&d->mail->cv, &d->mu, &ts);
		pthread_mutex_unlock(&d->mu);
	}
	return (NULL);
}

/* Gives libmail its lines of ferryd.conf (conf.c kept them). */
static int
hub_mail_conf(struct ferryd *d, struct hub_mail *m, char **cause)
{
	char	 key[64], *msg = NULL;
	size_t	 i, n;
	int	 r = 0;

	for (i = 0; r == 0 && i < d->conf.nmail_lines; i++) {
		const char *line = d->conf.mail_lines[i];

		n = strcspn(line, " ");
		snprintf(key, sizeof key, "%.*s", (int)n, line);
		if (line[n] == '\0' || line[n + 1] == '\0')
			r = err_set(&msg, FERRY_ERR_PARSE, "%s needs a value",
			    key);
		else if ((r = mail_config_set(&m->cfg, key, line + n + 1,
		    &msg)) == FERRY_ERR_NOTFOUND)
			r = err_set(&msg, FERRY_ERR_PARSE, "unknown keyword "
			    "\"%s\"", key);
		if (r != 0)
			r = err_set(cause, r, "%s/%s:%d: %s", d->state,
			    CONF_NAME, d->conf.mail_lineno[i],
			    msg ? msg : err_str(r));
		free(msg);
		msg = NULL;
	}
	return (r);
}

/* Checks the configuration and opens the outbox; mail off without one. */
static int
hub_mail_setup(struct ferryd *d, struct hub_mail *m, char **cause)
{
	struct mail_policy	 p;
	char			 path[4096];
	int			 r;

	if ((r = hub_mail_conf(d, m, cause)) != 0)
		return (r);
	if (m->cfg.server == NULL)
		return (0);
	/* Its range was checked as the file was read (conf.c). */
	m->per_hour = (int)conf_int(d->conf.mail_rate, HUB_MAIL_PER_HOUR);
	if ((r = mail_config_check(&m->cfg, cause)) != 0 ||
	    (r = mail_templates_load(m->cfg.templates, &m->t,
	    cause)) != 0 ||
	    (r = hub_mail_admins(m, d->conf.mail_admins, cause)) != 0 ||
	    (r = mail_global_init(cause)) != 0)
		return (r);
	snprintf(path, sizeof path, "%s/mail.db", d->state);
	if ((r = mail_outbox_open(path, clock_now(), &m->ob, cause)) != 0)
		return (r);
	p.base_s = (int)conf_int(d->conf.mail_retry, 60);
	p.max_s = p.base_s > 3600 ? p.base_s : 3600;
	p.max_attempts = 48;
	p.per_rcpt_hour = m->per_hour;
	mail_outbox_set_policy(m->ob, &p);
	m->on = 1;
	return (0);
}

int
hub_mail_start(struct ferryd *d, char **cause)
{
	struct hub_mail	*m;
	pthread_t	 t;
	int		 r;

	if ((m = calloc(1, sizeof *m)) == NULL)
		return (FERRY_ERR_NOMEM);
	pthread_cond_init(&m->cv, NULL);
	d->mail = m;
	if ((r = hub_mail_setup(d, m, cause)) != 0)
		return (r);
	if (pthread_create(&t, NULL, hub_mail_main, d) != 0)
		return (err_set(cause, FERRY_ERR_INTERNAL, "cannot start the "
		    "mail thread"));
	pthread_detach(t);
	if (m->on)
		log_info("mail: through %s%s%s as %s, %zu admin(s), outbox "
		    "%s/mail.db", m->cfg.server, m->cfg.user ?
		    " with login " : "", m->cfg.user ? m->cfg.user :
		    "", m->cfg.from, m->nadmins, d->state);
	else
		log_info("mail: off (no smtp-server in %s)", CONF_NAME);
	return (0);
}

json_t *
hub_mail_status(struct ferryd *d)
{
	struct hub_mail	*m = d->mail;

	if (m == NULL || !m->on)
		return (json_pack("{s:b}", "on", 0));
	return (json_pack("{s:b, s:I, s:I, s:I, s:s?}", "on", 1, "queued",
	    (json_int_t)(m->n[MAIL_QUEUED] + m->n[MAIL_SENDING]), "sent",
	    (json_int_t)m->n[MAIL_SENT], "failed",
	    (json_int_t)m->n[MAIL_FAILED_FOR_GOOD], "last_error",
	    m->last_error));
}

static json_t *hub_mail_error(const char *, ...)
    __attribute__((format(FERRY_PRINTF_FORMAT, 1, 2)));

static json_t *
hub_mail_error(const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return (json_pack("{s:s, s:b}", "error", msg, "done", 1));
}

/*
 * "notify": {"event": "publish-received", "job": ID, "to": [ADDRESS...]}
 * from ferry-ftrack, which knows the task's assignees: the publish
 * letter to each, once per job and address (the outbox's key), after
 * the job is done.
 */
json_t *
hub_mail_notify(struct ferryd *d, const char *op, const json_t *req,
    uid_t uid)
{
	const char	*ev = json_string_value(json_object_get(req,
			    "event"));
	const json_t	*to = json_object_get(req, "to"), *a;
	json_int_t	 job = json_integer_value(json_object_get(req,
			    "job"));
	struct store_job j;
	char		*cause = NULL, by[300];
	size_t		 i;
	int		 r;

	(void)op;
	if (ev == NULL || strcmp(ev, "publish-received") != 0)
		return (hub_mail_error("notify: event must be "
		    "\"publish-received\", not \"%s\"", ev ? ev : "(none)"));
	/* An empty list (a task nobody is assigned to) asks nothing. */
	if (!json_is_array(to) || json_array_size(to) > HUB_MAIL_NOTIFY_MAX)
		return (hub_mail_error("notify: \"to\" must be a list of up "
		    "to %d addresses", HUB_MAIL_NOTIFY_MAX));
	json_array_foreach(to, i, a) {
		if (!json_is_string(a) || !hub_mail_address_ok(
		    json_string_value(a)))
			return (hub_mail_error("notify: \"%s\" is not an "
			    "e-mail address", json_is_string(a) ?
			    json_string_value(a) : "(not a string)"));
	}
	pthread_mutex_lock(&d->mu);
	r = store_job_get(d->store, job, &j, NULL);
	if (r == 0) {
		store_job_clear(&j);
		if (d->mail == NULL || !d->mail->on) {
			pthread_mutex_unlock(&d->mu);
			return (json_pack("{s:b, s:I, s:b}", "mail", 0,
			    "queued", (json_int_t)0, "done", 1));
		}
		r = store_batch_begin(d->store, &cause);
		json_array_foreach(to, i, a) {
			if (r == 0)
				r = store_notice_add(d->store, "publish-to",
				    job, json_string_value(a), NULL, &cause);
		}
		r = store_batch_end(d->store, r, &cause);
		pthread_cond_signal(&d->mail->cv);
	}
	pthread_mutex_unlock(&d->mu);
	if (r == FERRY_ERR_NOTFOUND) {
		free(cause);
		return (json_pack("{s:s, s:b}", "error", "notify: no such job",
		    "done", 1));
	}
	if (r != 0) {
		json_t *rep = hub_mail_error("notify: %s", cause ? cause :
		    err_str(r));
		free(cause);
		return (rep);
	}
	log_info("notify: publish of job %jd to %zu address(es), by %s",
	    (intmax_t)job, json_array_size(to), caller_uid(req, uid, by,
	    sizeof by));
	return (json_pack("{s:b, s:I, s:b}", "mail", 1, "queued",
	    (json_int_t)json_array_size(to), "done", 1));
}

/*
 * "mail.test": {"to": ADDRESS} (`ferry mail test`): a message through the
 * same outbox and server as every other, to check the configuration.
 */
json_t *
hub_mail_test(struct ferryd *d, const char *op, const json_t *req,
    uid_t uid)
{
	const char	*to = json_string_value(json_object_get(req, "to"));
	char		 who[300], *cause = NULL;
	json_t		*rep;
	int		 r;

	(void)op;
	if (to == NULL || !hub_mail_address_ok(to))
		return (hub_mail_error("mail test: \"%s\" is not an e-mail "
		    "address", to ? to : "(none)"));
	caller_name(req, uid, who, sizeof who);
	pthread_mutex_lock(&d->mu);
	if (d->mail == NULL || !d->mail->on)
		r = err_set(&cause, FERRY_ERR_STATE, "mail is off on this hub: "
		    "set smtp-server and mail-from in %s (docs/mail.md)",
		    CONF_NAME);
	else if ((r = store_notice_add(d->store, "test", 0, to, who,
	    &cause)) == 0)
		pthread_cond_signal(&d->mail->cv);
	pthread_mutex_unlock(&d->mu);
	if (r != 0) {
		rep = hub_mail_error("%s", cause ? cause : err_str(r));
		free(cause);
		return (rep);
	}
	log_info("mail test to %s, by %s", to, who);
	return (json_pack("{s:I, s:b}", "queued", (json_int_t)1, "done", 1));
}
