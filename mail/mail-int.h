/*
 * libmail's internals (mail.h is the API): for mail/'s own files and its
 * tests only.
 */
#ifndef FERRY_MAIL_INT_H
#define FERRY_MAIL_INT_H

#include <stdint.h>

#include "buf.h"
#include "mail.h"

/* The longest subject kept, in bytes, before it is cut at a character. */
#define MAIL_SUBJECT_MAX	200
/* The longest message composed. */
#define MAIL_MESSAGE_MAX	(1024 * 1024)

/* One template: its subject line and body, and where it came from. */
struct mail_template {
	char	*file;		/* "DIR/failed.txt" or "built-in failed.txt" */
	char	*subject;
	int	 body_line;	/* the file's line the body starts on */
	char	*body;
};

struct mail_templates {
	struct mail_template	t[MAIL_NKINDS];
};

/* The built-in text of kind's template. */
const char	*mail_template_builtin(enum mail_kind);
/* Parses text ("Subject: ...", a blank line, the body) into t. */
int	mail_template_parse(const char *text, const char *file,
	    struct mail_template *t, char **cause);
/*
 * Appends text with its placeholders replaced by v to b; file and line
 * (the line text starts on) name an error.
 */
int	mail_template_expand(const char *text, const char *file, int line,
	    const struct mail_vars *v, struct buf *b, char **cause);
void	mail_template_clear(struct mail_template *t);

/* "Name <addr>" or "addr": the address, and the name (NULL if none). */
int	mail_addr_parse(const char *spec, char **namep, char **addrp,
	    char **cause);

/* A message's parts; borrowed strings. */
struct mail_parts {
	const char	*from;		/* "Name <addr>" or "addr" */
	const char	*to;		/* an address */
	const char	*subject;	/* UTF-8, one line */
	const char	*body;		/* UTF-8, LF or CRLF lines */
	const char	*key;		/* makes the Message-ID */
	int64_t		 date;		/* seconds since the epoch */
};

/* How many bytes of s (at most max) end on a UTF-8 character boundary. */
size_t	mail_utf8_cut(const char *s, size_t max);
/* Builds the whole message into *msgp. */
int	mail_build(const struct mail_parts *p, char **msgp, char **cause);
/* Appends "Name: value" with value RFC 2047-encoded when not ASCII. */
int	mail_header_add(struct buf *b, const char *name, const char *value);
/* Appends text quoted-printable, CRLF lines (RFC 2045). */
int	mail_qp_add(struct buf *b, const char *text);
/* Writes the RFC 5322 date of t (UTC) into out (at least 32 bytes). */
void	mail_date(int64_t t, char *out, size_t len);
/* Appends "<HASH.ferry@domain>", HASH from key and to. */
int	mail_message_id(struct buf *b, const char *key, const char *to,
	    const char *domain);

/* The port of c: smtp-port, else 465 for smtps and 587 for the others. */
int	mail_smtp_port(const struct mail_config *c);
/* The first line of the password file (0600: see secretfile.h). */
int	mail_smtp_password(const char *path, char **pwp, char **cause);

/*
 * The outbox's step in its two halves, for a test that dies between them
 * as a crash would. A claim is a row marked "sending" (committed).
 */
struct mail_claim {
	int64_t	 id;
	char	*rcpt;
	char	*message;
	int	 attempts;	/* this one included */
};

/* FERRY_ERR_NOTFOUND when nothing is due. */
int	mail_outbox_claim(struct mail_outbox *ob, int64_t now,
	    struct mail_claim *cl, char **cause);
/*
 * Records how sending cl went: result 0 (sent), FERRY_ERR_DENIED
 * (failed for good) or another error (queued again with backoff, or
 * failed after the policy's last attempt); error is kept with the row.
 */
int	mail_outbox_finish(struct mail_outbox *ob, const struct mail_claim *cl,
	    int result, const char *error, int64_t now, char **cause);
void	mail_claim_clear(struct mail_claim *cl);

#endif
