/*
 * The outbox on SQLite (mail.h, docs/mail.md "Exactly once"). Each
 * function is one statement, committed with synchronous=FULL before it
 * returns: a message is "sending" on disk before the SMTP transaction
 * starts, and "sent" only after the server took it.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>


#include "db.h"
#include "err.h"
#include "mail-int.h"

#define MAIL_OUTBOX_BUSY_MS	10000

struct mail_outbox {
	struct db		*db;
	char			*path;
	struct mail_policy	 policy;
};

static const char *mail_state_names[] = {
	"queued", "sending", "sent", "failed"
};

/*
 * Schema versions: entry i takes the database from version i to i + 1.
 * Append to change it; never edit an entry that has shipped. One row per
 * notification and recipient.
 */
static const char *const mail_outbox_migrations[] = {
	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY,"
	" key TEXT NOT NULL CHECK (key <> ''),"
	" rcpt TEXT NOT NULL,"
	" message TEXT NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'queued'"
	"  CHECK (state IN ('queued', 'sending', 'sent', 'failed')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" interrupted INTEGER NOT NULL DEFAULT 0,"
	" next_try INTEGER NOT NULL,"
	" created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL,"
	" error TEXT,"
	" UNIQUE (key, rcpt));"
	"CREATE INDEX outbox_due ON outbox(next_try) WHERE state = 'queued';",
	/* For per_rcpt_hour: one address's messages of the last hour. */
	"CREATE INDEX outbox_rcpt ON outbox(rcpt, created);",
};

#define MAIL_OUTBOX_NMIGRATIONS \
	((int)(sizeof mail_outbox_migrations / \
	sizeof mail_outbox_migrations[0]))

const char *
mail_state_name(enum mail_state s)
{
	if ((int)s < 0 || s > MAIL_FAILED_FOR_GOOD)
		return ("unknown");
	return (mail_state_names[s]);
}

static enum mail_state
mail_state_parse(const char *name)
{
	int	i;

	for (i = 0; i <= MAIL_FAILED_FOR_GOOD; i++) {
		if (name != NULL && strcmp(name, mail_state_names[i]) == 0)
			return (i);
	}
	return (MAIL_FAILED_FOR_GOOD);
}

/* Prepares (or finds) sql, binds by fmt (db.h) and runs it to its end. */
static int
mail_outbox_run(struct mail_outbox *ob, char **cause, const char *sql,
    const char *fmt, ...)
{
	struct db_stmt	*s;
	va_list		 ap;
	int		 e;

	va_start(ap, fmt);
	e = db_vq(ob->db, sql, &s, cause, fmt, ap);
	va_end(ap);
	return (e != 0 ? e : db_exec(ob->db, s, cause));
}

int
mail_outbox_open(const char *path, int64_t now, struct mail_outbox **obp,
    char **cause)
{
	struct mail_outbox	*ob;
	int			 e;

	if ((ob = calloc(1, sizeof *ob)) == NULL ||
	    (ob->path = strdup(path)) == NULL) {
		free(ob);
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	}
	ob->policy.base_s = 60;
	ob->policy.max_s = 3600;
	ob->policy.max_attempts = 48;
	e = db_open(path, MAIL_OUTBOX_BUSY_MS, &ob->db, cause);
	if (e == 0)
		e = db_migrate(ob->db, mail_outbox_migrations,
		    MAIL_OUTBOX_NMIGRATIONS, 1, cause);
	/* A message left "sending" died with the process: send it again. */
	if (e == 0)
		e = mail_outbox_run(ob, cause, "UPDATE outbox SET state = "
		    "'queued', next_try = ?1, updated = ?1, interrupted = "
		    "interrupted + 1, error = 'interrupted while sending' "
		    "WHERE state = 'sending'", "i", now);
	if (e != 0) {
		mail_outbox_close(ob);
		return (e);
	}
	*obp = ob;
	return (0);
}

void
mail_outbox_close(struct mail_outbox *ob)
{
	if (ob == NULL)
		return;
	db_close(ob->db);
	free(ob->path);
	free(ob);
}

void
mail_outbox_set_policy(struct mail_outbox *ob, const struct mail_policy *p)
{
	ob->policy = *p;
}

/*
 * Messages of key's kind (its text up to the first ':', "publish" of
 * "publish:12") queued for rcpt after since, in *np.
 */
static int
mail_outbox_recent(struct mail_outbox *ob, const char *rcpt, const char *key,
    int64_t since, int64_t *np, char **cause)
{
	struct db_stmt	*s;
	char		*kind;
	int		 e;

	if ((kind = strndup(key, strcspn(key, ":") + 1)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	/* Without a ':', the kind is the whole key. */
	e = db_q(ob->db, "SELECT count(*) FROM outbox WHERE rcpt = ?1 AND "
	    "created > ?2 AND substr(key, 1, length(?3)) = ?3", &s, cause,
	    "tit", rcpt, since, kind);
	/* Bound, not copied: kind lives until the step is done. */
	if (e == 0 && (e = db_step(ob->db, s, cause)) >= 0) {
		*np = e == 1 ? db_col_int64(s, 0) : 0;
		db_reset(s);
		e = 0;
	}
	free(kind);
	return (e);
}

int
mail_outbox_add(struct mail_outbox *ob, const struct mail_templates *t,
    const char *from, const struct mail_notice *n, int64_t now,
    char **cause)
{
	char	*msg = NULL, *why = NULL;
	int64_t	 recent = 0;
	int	 e;

	/*
	 * Counted from the outbox, so that a restart does not open the
	 * window again; a message refused here is not queued later, or a
	 * flood would only be put off. Counted by kind: a vendor's
	 * publishes (mailed to the admins) must not use up the hour of the
	 * admins' failure notices (tests/security/mail-starve.sh).
	 */
	if (ob->policy.per_rcpt_hour > 0) {
		if ((e = mail_outbox_recent(ob, n->to, n->key, now - 3600,
		    &recent, cause)) != 0)
			return (e);
		if (recent >= ob->policy.per_rcpt_hour)
			return (err_set(cause, FERRY_ERR_TOOBIG, "%s had %jd "
			    "messages in the last hour", n->to,
			    (intmax_t)recent));
	}
	if ((e = mail_compose(t, from, n, now, &msg, cause)) != 0)
		return (e);
	e = mail_outbox_run(ob, &why, "INSERT INTO outbox (key, rcpt, "
	    "message, next_try, created, updated) VALUES (?1, ?2, ?3, ?4, ?4, "
	    "?4)", "ttti", n->key, n->to, msg, now);
	free(msg);
	if (e == FERRY_ERR_EXIST)
		e = err_set(cause, e, "mail %s to %s is queued already",
		    n->key, n->to);
	else if (e != 0)
		e = err_set(cause, e, "%s: cannot queue mail %s: %s",
		    ob->path, n->key, why != NULL ? why : err_str(e));
	free(why);
	return (e);
}

/* Fills st from a row of (key, rcpt, state, attempts, next_try, error). */
static int
mail_outbox_row(struct db_stmt *s, struct mail_step *st)
{
	const char	*error = db_col_str(s, 5);

	memset(st, 0, sizeof *st);
	st->key = strdup(db_col_str(s, 0));
	st->to = strdup(db_col_str(s, 1));
	st->state = mail_state_parse(db_col_str(s, 2));
	st->attempts = db_col_int(s, 3);
	st->next_try = db_col_int64(s, 4);
	st->error = error != NULL ? strdup(error) : NULL;
	if (st->key == NULL || st->to == NULL || (error != NULL &&
	    st->error == NULL)) {
		mail_step_clear(st);
		return (FERRY_ERR_NOMEM);
	}
	return (0);
}

/* Takes the row that is due first into cl; no statement is left open. */
static int
mail_outbox_pick(struct mail_outbox *ob, int64_t now, struct mail_claim *cl,
    char **cause)
{
	struct db_stmt	*s;
	int		 e;

	e = db_q(ob->db, "SELECT id, rcpt, message, attempts FROM outbox "
	    "WHERE state = 'queued' AND next_try <= ?1 ORDER BY next_try, id "
	    "LIMIT 1", &s, cause, "i", now);
	if (e != 0)
		return (e);
	if ((e = db_step(ob->db, s, cause)) < 0)
		return (e);
	if (e == 0)
		return (FERRY_ERR_NOTFOUND);
	cl->id = db_col_int64(s, 0);
	cl->rcpt = strdup(db_col_str(s, 1));
	cl->message = strdup(db_col_str(s, 2));
	cl->attempts = db_col_int(s, 3) + 1;
	db_reset(s);
	if (cl->rcpt == NULL || cl->message == NULL) {
		mail_claim_clear(cl);
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	}
	return (0);
}

int
mail_outbox_claim(struct mail_outbox *ob, int64_t now, struct mail_claim *cl,
    char **cause)
{
	struct mail_claim	c;
	int			e;

	memset(&c, 0, sizeof c);
	if ((e = db_begin(ob->db, cause)) != 0)
		return (e);
	e = mail_outbox_pick(ob, now, &c, cause);
	if (e == 0)
		e = mail_outbox_run(ob, cause, "UPDATE outbox SET state = "
		    "'sending', attempts = ?1, updated = ?2 WHERE id = ?3",
		    "iii", (int64_t)c.attempts, now, c.id);
	/* "sending" is on disk before a byte goes to the SMTP server. */
	if ((e = db_end(ob->db, e, cause)) != 0) {
		mail_claim_clear(&c);
		return (e);
	}
	*cl = c;
	return (0);
}

void
mail_claim_clear(struct mail_claim *cl)
{
	free(cl->rcpt);
	free(cl->message);
	memset(cl, 0, sizeof *cl);
}

/* The wait before attempt n + 1: base doubling, at most max. */
static int64_t
mail_outbox_backoff(const struct mail_policy *p, int attempts)
{
	int64_t	d = p->base_s;

	while (--attempts > 0 && d < p->max_s)
		d *= 2;
	return (d < p->max_s ? d : p->max_s);
}

int
mail_outbox_finish(struct mail_outbox *ob, const struct mail_claim *cl,
    int result, const char *error, int64_t now, char **cause)
{
	const char	*state = "queued";
	int64_t		 next = now;

	if (result == 0)
		state = "sent";
	else if (result == FERRY_ERR_DENIED ||
	    cl->attempts >= ob->policy.max_attempts)
		state = "failed";
	else
		next = now + mail_outbox_backoff(&ob->policy, cl->attempts);
	return (mail_outbox_run(ob, cause, "UPDATE outbox SET state = ?1, "
	    "next_try = ?2, updated = ?3, error = ?4 WHERE id = ?5 AND state = "
	    "'sending'", "tiiti", state, next, now, error, cl->id));
}

/* Reads back what the step left, for the caller. */
static int
mail_outbox_report(struct mail_outbox *ob, int64_t id, struct mail_step *st,
    char **cause)
{
	struct db_stmt	*s;
	int		 e;

	e = db_q(ob->db, "SELECT key, rcpt, state, attempts, next_try, error "
	    "FROM outbox WHERE id = ?1", &s, cause, "i", id);
	if (e != 0)
		return (e);
	if ((e = db_step(ob->db, s, cause)) < 0)
		return (e);
	e = e == 0 ? err_set(cause, FERRY_ERR_NOTFOUND, "%s: mail %jd is "
	    "gone", ob->path, (intmax_t)id) : mail_outbox_row(s, st);
	db_reset(s);
	if (e == FERRY_ERR_NOMEM)
		e = err_set(cause, e, "out of memory");
	return (e);
}

int
mail_outbox_step(struct mail_outbox *ob, const struct mail_config *c,
    int64_t now, struct mail_step *st, char **cause)
{
	struct mail_claim	 cl;
	char			*why = NULL;
	int			 e, se;

	if ((e = mail_outbox_claim(ob, now, &cl, cause)) != 0)
		return (e == FERRY_ERR_NOTFOUND ? 0 : e);
	se = mail_send(c, cl.rcpt, cl.message, &why);
	e = mail_outbox_finish(ob, &cl, se, se == 0 ? NULL : why != NULL ?
	    why : err_str(se), now, cause);
	free(why);
	if (e == 0)
		e = mail_outbox_report(ob, cl.id, st, cause);
	mail_claim_clear(&cl);
	return (e == 0 ? 1 : e);
}

void
mail_step_clear(struct mail_step *st)
{
	free(st->key);
	free(st->to);
	free(st->error);
	memset(st, 0, sizeof *st);
}

int
mail_outbox_next(struct mail_outbox *ob, int64_t *whenp, char **cause)
{
	struct db_stmt	*s;
	int		 e;

	e = db_q(ob->db, "SELECT min(next_try) FROM outbox WHERE state = "
	    "'queued'", &s, cause, "");
	if (e != 0)
		return (e);
	if ((e = db_step(ob->db, s, cause)) < 0)
		return (e);
	if (db_col_null(s, 0))
		e = FERRY_ERR_NOTFOUND;
	else
		*whenp = db_col_int64(s, 0);
	db_reset(s);
	return (e == FERRY_ERR_NOTFOUND ? e : 0);
}

int
mail_outbox_list(struct mail_outbox *ob,
    void (*fn)(const struct mail_step *, void *), void *arg, char **cause)
{
	struct mail_step	 st;
	struct db_stmt		*s;
	int			 e;

	e = db_q(ob->db, "SELECT key, rcpt, state, attempts, next_try, error "
	    "FROM outbox ORDER BY id", &s, cause, "");
	if (e != 0)
		return (e);
	while ((e = db_step(ob->db, s, cause)) == 1) {
		if (mail_outbox_row(s, &st) != 0) {
			db_reset(s);
			return (err_set(cause, FERRY_ERR_NOMEM, "out of "
			    "memory"));
		}
		fn(&st, arg);
		mail_step_clear(&st);
	}
	return (e);
}
