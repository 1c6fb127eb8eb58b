/*
 * Notifications by e-mail (docs/mail.md): the public API of libmail.
 *
 *   - configuration: the hub's ferryd.conf keywords (smtp-server, ...),
 *     given one at a time to mail_config_set();
 *   - templates: one per kind of notification, built in and overridable
 *     file by file from a directory, with {{name}} placeholders;
 *   - the message: headers and a quoted-printable or 7bit UTF-8 body,
 *     with a Message-ID and a Date fixed when it is queued;
 *   - SMTP through libcurl (STARTTLS required or off, or implicit TLS);
 *   - the outbox: a SQLite table where a message is queued durably with
 *     an idempotency key, and sent by mail_outbox_step(), retried with
 *     backoff while the server is down, and not sent again once sent.
 *
 * Everything else in mail/ (mail-int.h) is for the library's own files
 * and its tests. The library never prints, logs or exits: functions
 * return 0 or a negative FERRY_ERR_* (common/err.h) with a cause. A
 * password never appears in a cause.
 */
#ifndef FERRY_MAIL_H
#define FERRY_MAIL_H

#include <stddef.h>
#include <stdint.h>

/* The kinds of notification, one template each. */
enum mail_kind {
	MAIL_DELIVERED,		/* a job delivered to a person */
	MAIL_FAILED,		/* a job failed, to its sender */
	MAIL_PUBLISH,		/* a publish received, to admins, assignees */
	MAIL_ACCESS,		/* access granted */
	MAIL_TEST,		/* `ferry mail test`: does mail work? */
	MAIL_NKINDS
};

/* Its template's file name ("delivered.txt"), NULL when out of range. */
const char	*mail_kind_file(enum mail_kind);
/* The kind a name ("delivered", "failed", ...) means; -1 if none. */
int		 mail_kind_parse(const char *name);

enum mail_security {
	MAIL_STARTTLS,		/* STARTTLS required (the default) */
	MAIL_PLAIN,		/* no TLS at all: a test or a local relay */
	MAIL_SMTPS		/* implicit TLS from the first byte */
};

/* The hub's mail settings; mail_config_clear() frees the strings. */
struct mail_config {
	char			*server;	/* smtp-server; NULL: no mail */
	int			 port;		/* smtp-port; 0: by security */
	enum mail_security	 security;	/* smtp-starttls, smtp-tls */
	char			*ca_file;	/* smtp-ca-file */
	char			*user;		/* smtp-user */
	char			*password_file;	/* smtp-password-file */
	char			*from;		/* mail-from: "Name <addr>" */
	char			*templates;	/* mail-templates: a dir */
	long			 timeout_ms;	/* smtp-timeout (seconds) */
};

/*
 * Takes one ferryd.conf line's keyword and value. FERRY_ERR_NOTFOUND
 * (without a cause) when keyword is not one of mail's, so that a
 * configuration reader can try it after its own.
 */
int	mail_config_set(struct mail_config *c, const char *keyword,
	    const char *value, char **cause);
/* Whether what was set makes sense together (mail-from with a server). */
int	mail_config_check(const struct mail_config *c, char **cause);
void	mail_config_clear(struct mail_config *c);

/* What a template may name: {{job}}, {{files}}, ... NULL shows as "". */
struct mail_vars {
	const char	*job;		/* the job's id */
	const char	*files;		/* the files, or a summary of them */
	const char	*place;		/* where they are: site, share, path */
	const char	*who;		/* the person who sent, published... */
	const char	*reason;	/* why it failed */
	const char	*count;		/* how many files */
};

struct mail_templates;

/*
 * Loads the four templates: each from dir/KIND.txt when dir is not NULL
 * and the file exists, else the built-in one. Every template is checked
 * here, so that an unknown {{placeholder}} is found at start-up; the
 * cause names the file and the line.
 */
int	mail_templates_load(const char *dir, struct mail_templates **tp,
	    char **cause);
void	mail_templates_free(struct mail_templates *t);

/* A notification before it is queued; borrowed strings. */
struct mail_notice {
	enum mail_kind		 kind;
	const char		*key;	/* idempotency key, e.g. "failed:42" */
	const char		*to;	/* one recipient's address */
	struct mail_vars	 vars;
};

/*
 * Renders n with t into a whole RFC 5322 message (CRLF lines, not
 * dot-stuffed: libcurl does that) into *msgp. Its Message-ID is made
 * from n->key and the From domain, and its Date from now, so that the
 * same notice rendered twice is the same message.
 */
int	mail_compose(const struct mail_templates *t, const char *from,
	    const struct mail_notice *n, int64_t now, char **msgp,
	    char **cause);

/*
 * Initialises libcurl: once, before any thread sends (libcurl's global
 * set-up is not thread-safe). A program that also uses ftrack/rest may
 * call either this or rest_global_init(); both are curl_global_init().
 */
int	mail_global_init(char **cause);

/*
 * Sends msg (a whole message) to one recipient through the server in c.
 * FERRY_ERR_DENIED when the server refused it for good (a 5xx answer):
 * trying again will not help; any other error may pass (the server
 * down, a timeout, a 4xx).
 */
int	mail_send(const struct mail_config *c, const char *to,
	    const char *msg, char **cause);

/* The outbox; one thread at a time uses it. */
struct mail_outbox;

enum mail_state {
	MAIL_QUEUED,
	MAIL_SENDING,
	MAIL_SENT,
	MAIL_FAILED_FOR_GOOD
};

const char	*mail_state_name(enum mail_state);

/* Retry policy: the delay doubles from base_s up to max_s. */
struct mail_policy {
	int	base_s;		/* first retry after this; default 60 */
	int	max_s;		/* longest wait; default 3600 */
	int	max_attempts;	/* then failed; default 48 */
	/*
	 * Messages of one kind (a key's text up to its first ':') queued
	 * for one address in the last hour, beyond which mail_outbox_add()
	 * refuses (FERRY_ERR_TOOBIG): whoever can cause notices cannot make
	 * the outbox mail one inbox without end, nor, with notices of one
	 * kind, hold back those of another. 0: no limit (the default).
	 */
	int	per_rcpt_hour;
};

/*
 * Opens (creating) the outbox database at path (common/db.h: 0600, WAL,
 * synchronous FULL). A message found "sending" was being sent when the
 * process died: it goes back to "queued", due now, to be sent again
 * with the same Message-ID (docs/mail.md says why).
 */
int	mail_outbox_open(const char *path, int64_t now,
	    struct mail_outbox **obp, char **cause);
void	mail_outbox_close(struct mail_outbox *ob);
void	mail_outbox_set_policy(struct mail_outbox *ob,
	    const struct mail_policy *p);

/*
 * Composes n and queues it, committed before it returns. A key already
 * queued (in any state) is not queued again: FERRY_ERR_EXIST, which a
 * caller re-announcing after a crash treats as done. FERRY_ERR_TOOBIG
 * when n->to had the policy's per_rcpt_hour messages of n's kind (its
 * key up to the first ':') in the hour before now (the cause says how
 * many).
 */
int	mail_outbox_add(struct mail_outbox *ob, const struct mail_templates *t,
	    const char *from, const struct mail_notice *n, int64_t now,
	    char **cause);

/* What one step did, for the caller's log; mail_step_clear() frees. */
struct mail_step {
	char		*key;
	char		*to;
	enum mail_state	 state;		/* after the step */
	int		 attempts;
	int64_t		 next_try;	/* when queued again */
	char		*error;		/* the SMTP error, if any */
};

/*
 * Sends the message that is due first (queued, next try <= now): marks
 * it sending (committed), sends it, and marks it sent, queued again with
 * backoff, or failed. Returns 1 with *st filled when it handled one,
 * 0 when nothing is due, or an error of the database (an SMTP error is
 * not one: it is in st->error).
 */
int	mail_outbox_step(struct mail_outbox *ob, const struct mail_config *c,
	    int64_t now, struct mail_step *st, char **cause);
void	mail_step_clear(struct mail_step *st);

/* When the next queued message is due; FERRY_ERR_NOTFOUND if none. */
int	mail_outbox_next(struct mail_outbox *ob, int64_t *whenp,
	    char **cause);

/* Calls fn for each message, oldest first (for `ferry` and the tests). */
int	mail_outbox_list(struct mail_outbox *ob,
	    void (*fn)(const struct mail_step *, void *), void *arg,
	    char **cause);

#endif
