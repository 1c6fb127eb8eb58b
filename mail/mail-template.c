/*
 * Templates: "Subject: ..." on the first line, a blank line, the body,
 * with {{name}} placeholders (docs/mail.md). The built-in ones are here;
 * a studio's directory overrides them file by file.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "mail-int.h"

/* The longest template file read. */
#define MAIL_TEMPLATE_MAX	65536

static const struct {
	const char	*name;
	const char	*text;
} mail_builtins[MAIL_NKINDS] = {
	[MAIL_DELIVERED] = { "delivered",
	    "Subject: ferry: {{count}} file(s) delivered to you (job {{job}})\n"
	    "\n"
	    "{{who}} sent you {{count}} file(s) with ferry (job {{job}}).\n"
	    "They are in {{place}}:\n"
	    "\n"
	    "{{files}}\n" },
	[MAIL_FAILED] = { "failed",
	    "Subject: ferry: job {{job}} failed\n"
	    "\n"
	    "Your ferry job {{job}} to {{place}} failed:\n"
	    "{{reason}}\n"
	    "\n"
	    "Files ({{count}}):\n"
	    "{{files}}\n"
	    "\n"
	    "`ferry jobs {{job}}` shows what happened to each file.\n" },
	[MAIL_PUBLISH] = { "publish",
	    "Subject: ferry: {{who}} published {{count}} file(s) "
	    "(job {{job}})\n"
	    "\n"
	    "{{who}} published {{count}} file(s) with ferry (job {{job}}).\n"
	    "They are in {{place}}:\n"
	    "\n"
	    "{{files}}\n" },
	[MAIL_ACCESS] = { "access",
	    "Subject: ferry: you have access to {{place}}\n"
	    "\n"
	    "{{who}} gave you access to {{place}} with ferry.\n" },
	[MAIL_TEST] = { "test",
	    "Subject: ferry: a test message from {{place}}\n"
	    "\n"
	    "{{who}} asked ferry at {{place}} to send this message, to check\n"
	    "that its mail works. Nothing needs doing.\n" },
};

/* The placeholders, in struct mail_vars order. */
static const char *mail_var_names[] = {
	"job", "files", "place", "who", "reason", "count"
};
#define MAIL_NVARS	(sizeof mail_var_names / sizeof mail_var_names[0])

const char *
mail_kind_file(enum mail_kind k)
{
	static const char	*files[MAIL_NKINDS] = { "delivered.txt",
	    "failed.txt", "publish.txt", "access.txt", "test.txt" };

	if ((int)k < 0 || k >= MAIL_NKINDS)
		return (NULL);
	return (files[k]);
}

int
mail_kind_parse(const char *name)
{
	int	k;

	for (k = 0; k < MAIL_NKINDS; k++) {
		if (strcmp(name, mail_builtins[k].name) == 0)
			return (k);
	}
	return (-1);
}

const char *
mail_template_builtin(enum mail_kind k)
{
	return (mail_builtins[k].text);
}

static const char *
mail_var_value(const struct mail_vars *v, size_t i)
{
	const char	*values[MAIL_NVARS] = { v->job, v->files, v->place,
	    v->who, v->reason, v->count };

	return (values[i] != NULL ? values[i] : "");
}

/* Replaces the placeholder at p ("{{" onwards); *endp is after "}}". */
static int
mail_template_var(const char *p, const char *file, int line,
    const struct mail_vars *v, struct buf *b, const char **endp,
    char **cause)
{
	const char	*end = strstr(p + 2, "}}"), *nl = strchr(p, '\n');
	size_t		 i, n;

	if (end == NULL || (nl != NULL && nl < end))
		return (err_set(cause, FERRY_ERR_PARSE, "%s:%d: \"{{\" without "
		    "\"}}\" on the same line", file, line));
	n = (size_t)(end - p - 2);
	for (i = 0; i < MAIL_NVARS; i++) {
		if (strlen(mail_var_names[i]) == n &&
		    strncmp(p + 2, mail_var_names[i], n) == 0)
			break;
	}
	if (i == MAIL_NVARS)
		return (err_set(cause, FERRY_ERR_PARSE, "%s:%d: unknown "
		    "placeholder {{%.*s}} (known: job, files, place, who, "
		    "reason, count)", file, line, (int)(n > 64 ? 64 : n),
		    p + 2));
	*endp = end + 2;
	return (buf_addstr(b, mail_var_value(v, i)));
}

int
mail_template_expand(const char *text, const char *file, int line,
    const struct mail_vars *v, struct buf *b, char **cause)
{
	const char	*p;
	int		 e = 0;

	for (p = text; *p != '\0' && e == 0; ) {
		if (p[0] == '{' && p[1] == '{')
			e = mail_template_var(p, file, line, v, b, &p, cause);
		else {
			if (*p == '\n')
				line++;
			e = buf_addch(b, *p++);
		}
	}
	if (e != 0 && cause != NULL && *cause == NULL)
		e = err_set(cause, e, "%s: %s", file, err_str(e));
	return (e);
}

int
mail_template_parse(const char *text, const char *file,
    struct mail_template *t, char **cause)
{
	struct mail_vars	 none = { 0 };
	struct buf		 scratch;
	const char		*nl;
	int			 e;

	if (strncmp(text, "Subject: ", 9) != 0 || (nl = strchr(text,
	    '\n')) == NULL || nl[1] != '\n')
		return (err_set(cause, FERRY_ERR_PARSE, "%s:1: a template is "
		    "a \"Subject: \" line, a blank line, then the body", file));
	memset(t, 0, sizeof *t);
	t->file = strdup(file);
	t->subject = strndup(text + 9, (size_t)(nl - text - 9));
	t->body = strdup(nl + 2);
	t->body_line = 3;
	if (t->file == NULL || t->subject == NULL || t->body == NULL) {
		mail_template_clear(t);
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	}
	/* Expanded once now, so that a mistake shows at start-up. */
	buf_init(&scratch, 0);
	e = mail_template_expand(t->subject, file, 1, &none, &scratch, cause);
	if (e == 0)
		e = mail_template_expand(t->body, file, 3, &none, &scratch,
		    cause);
	buf_free(&scratch);
	if (e != 0)
		mail_template_clear(t);
	return (e);
}

void
mail_template_clear(struct mail_template *t)
{
	free(t->file);
	free(t->subject);
	free(t->body);
	memset(t, 0, sizeof *t);
}

/* Reads dir/name into *textp; FERRY_ERR_NOTFOUND when it is not there. */
static int
mail_template_read(const char *path, char **textp, char **cause)
{
	struct buf	 b;
	char		 chunk[4096];
	FILE		*f;
	size_t		 n;
	int		 e = 0;

	if ((f = fopen(path, "re")) == NULL)
		return (errno == ENOENT ? FERRY_ERR_NOTFOUND : err_set(cause,
		    FERRY_ERR_IO, "%s: %s", path, strerror(errno)));
	buf_init(&b, MAIL_TEMPLATE_MAX);
	while (e == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		e = buf_add(&b, chunk, n);
	if (e == 0 && ferror(f))
		e = err_set(cause, FERRY_ERR_IO, "%s: read error", path);
	else if (e != 0)
		e = err_set(cause, e, "%s: larger than %d bytes", path,
		    MAIL_TEMPLATE_MAX);
	fclose(f);
	if (e == 0 && strlen(buf_str(&b)) != b.len)
		e = err_set(cause, FERRY_ERR_PARSE, "%s: holds a NUL byte",
		    path);
	if (e != 0) {
		buf_free(&b);
		return (e);
	}
	*textp = buf_detach(&b);
	return (0);
}

/* Loads kind k from dir, or the built-in one. */
static int
mail_templates_one(const char *dir, enum mail_kind k, struct mail_template *t,
    char **cause)
{
	char	 path[4096], *text = NULL;
	int	 e = FERRY_ERR_NOTFOUND;

	if (dir != NULL) {
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir,
		    mail_kind_file(k)) >= sizeof path)
			return (err_set(cause, FERRY_ERR_TOOBIG, "template "
			    "directory name too long"));
		e = mail_template_read(path, &text, cause);
	}
	if (e == FERRY_ERR_NOTFOUND) {
		snprintf(path, sizeof path, "built-in %s", mail_kind_file(k));
		return (mail_template_parse(mail_template_builtin(k), path, t,
		    cause));
	}
	if (e == 0)
		e = mail_template_parse(text, path, t, cause);
	free(text);
	return (e);
}

int
mail_templates_load(const char *dir, struct mail_templates **tp,
    char **cause)
{
	struct mail_templates	*t;
	int			 k, e = 0;

	if ((t = calloc(1, sizeof *t)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	for (k = 0; k < MAIL_NKINDS && e == 0; k++)
		e = mail_templates_one(dir, k, &t->t[k], cause);
	if (e != 0) {
		mail_templates_free(t);
		return (e);
	}
	*tp = t;
	return (0);
}

void
mail_templates_free(struct mail_templates *t)
{
	int	k;

	if (t == NULL)
		return;
	for (k = 0; k < MAIL_NKINDS; k++)
		mail_template_clear(&t->t[k]);
	free(t);
}

/* A subject is one line: a file name's newline must not break it. */
static int
mail_compose_subject(const struct mail_template *t, const struct mail_vars *v,
    struct buf *b, char **cause)
{
	size_t	i;
	int	e;

	if ((e = mail_template_expand(t->subject, t->file, 1, v, b,
	    cause)) != 0)
		return (e);
	for (i = 0; i < b->len; i++) {
		if ((unsigned char)b->data[i] < 0x20 || b->data[i] == 0x7f)
			b->data[i] = ' ';
	}
	if (b->len > MAIL_SUBJECT_MAX) {
		b->len = mail_utf8_cut(b->data, MAIL_SUBJECT_MAX - 3);
		b->data[b->len] = '\0';
		return (buf_addstr(b, "..."));
	}
	return (0);
}

int
mail_compose(const struct mail_templates *t, const char *from,
    const struct mail_notice *n, int64_t now, char **msgp, char **cause)
{
	const struct mail_template	*tpl;
	struct mail_parts		 p;
	struct buf			 subject, body;
	int				 e;

	if ((int)n->kind < 0 || n->kind >= MAIL_NKINDS || n->key == NULL ||
	    *n->key == '\0' || n->to == NULL || from == NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "a notice needs a kind, "
		    "a key, a recipient and a sender"));
	tpl = &t->t[n->kind];
	buf_init(&subject, 0);
	buf_init(&body, MAIL_MESSAGE_MAX);
	e = mail_compose_subject(tpl, &n->vars, &subject, cause);
	if (e == 0)
		e = mail_template_expand(tpl->body, tpl->file, tpl->body_line,
		    &n->vars, &body, cause);
	if (e == 0) {
		memset(&p, 0, sizeof p);
		p.from = from;
		p.to = n->to;
		p.subject = buf_str(&subject);
		p.body = buf_str(&body);
		p.key = n->key;
		p.date = now;
		e = mail_build(&p, msgp, cause);
	}
	buf_free(&subject);
	buf_free(&body);
	return (e);
}
