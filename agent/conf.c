#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "err.h"

/*
 * The keywords, and where each value goes: a new one is one line here.
 * A number's keyword gives its range, checked as the file is read: a
 * value out of it, or not a whole number, stops the start naming the
 * line (it used to fall back to the default without a word, so a typo
 * in max-job-files quietly gave a vendor ten million). max 0: not a
 * number, or one checked where it is used (umask, relay-bwlimit).
 */
#define CONF_DAY	86400L
static const struct {
	const char	*key;
	size_t		 off;
	long		 min, max;
} conf_keys[] = {
	{ "role", offsetof(struct conf, role), 0, 0 },
	{ "site", offsetof(struct conf, site), 0, 0 },
	{ "user", offsetof(struct conf, user), 0, 0 },
	{ "name", offsetof(struct conf, name), 0, 0 },
	{ "listen", offsetof(struct conf, listen), 0, 0 },
	{ "hub", offsetof(struct conf, hub), 0, 0 },
	{ "hub-fingerprint", offsetof(struct conf, hub_fp), 0, 0 },
	{ "public-address", offsetof(struct conf, public_addr), 0, 0 },
	{ "source-address", offsetof(struct conf, source_addr), 0, 0 },
	{ "retry-base", offsetof(struct conf, retry_base),
	    1, CONF_DAY },
	{ "retry-limit", offsetof(struct conf, retry_limit),
	    1, 1000 },
	{ "stall-timeout", offsetof(struct conf, stall_timeout),
	    1, 7 * CONF_DAY },
	{ "transfers-per-agent", offsetof(struct conf, per_agent),
	    1, 64 },
	{ "compare-first", offsetof(struct conf, compare_first), 0, 1 },
	{ "partial-max-age", offsetof(struct conf, partial_age),
	    1, 3650 * CONF_DAY },
	{ "recv-min-rate", offsetof(struct conf, recv_min_rate),
	    0, 1L << 30 },
	{ "recv-rate-window", offsetof(struct conf, recv_rate_window),
	    5, 3600 },
	{ "umask", offsetof(struct conf, umask), 0, 0 },
	{ "receive-flush", offsetof(struct conf, recv_flush), 0, 0 },
	{ "receive-umask", offsetof(struct conf, recv_umask), 0, 0 },
	{ "relay-bwlimit", offsetof(struct conf, relay_bwlimit), 0, 0 },
	{ "web", offsetof(struct conf, web), 0, 0 },
	{ "web-cert", offsetof(struct conf, web_cert), 0, 0 },
	{ "web-key", offsetof(struct conf, web_key), 0, 0 },
	{ "web-token-file", offsetof(struct conf, web_token_file), 0, 0 },
	{ "test-clock-file", offsetof(struct conf, test_clock), 0, 0 },
	{ "test-store-hold", offsetof(struct conf, test_store_hold), 0, 0 },
	{ "home-folder", offsetof(struct conf, home_folder), 0, 0 },
	{ "employee-home-folder", offsetof(struct conf, home_folder_emp),
	    0, 0 },
	{ "mail-admins", offsetof(struct conf, mail_admins), 0, 0 },
	{ "mail-retry-base", offsetof(struct conf, mail_retry),
	    1, CONF_DAY },
	{ "mail-max-per-hour", offsetof(struct conf, mail_rate),
	    1, 1000000 },
	{ "store", offsetof(struct conf, store), 0, 0 },
	{ "store-password-file", offsetof(struct conf, store_pwfile), 0, 0 },
	{ "hub-standby", offsetof(struct conf, hub_standby), 0, 0 },
	{ "max-job-files", offsetof(struct conf, max_job_files),
	    1, 1000000000 },
	{ "max-list-time", offsetof(struct conf, max_list_time),
	    1, 7 * CONF_DAY },
	{ "max-agent-jobs", offsetof(struct conf, max_agent_jobs),
	    1, 1000000 },
	{ "max-agent-messages", offsetof(struct conf, max_agent_msgs),
	    1, 1000000 },
};
#define CONF_NKEYS (sizeof conf_keys / sizeof conf_keys[0])

static char **
conf_field(struct conf *c, size_t i)
{
	return ((char **)((char *)c + conf_keys[i].off));
}

void
conf_clear(struct conf *c)
{
	size_t	i;

	for (i = 0; i < CONF_NKEYS; i++)
		free(*conf_field(c, i));
	for (i = 0; i < c->nmail_lines; i++)
		free(c->mail_lines[i]);
	free(c->mail_lines);
	free(c->mail_lineno);
	memset(c, 0, sizeof *c);
}

/*
 * Keeps a line of libmail's keywords (docs/mail.md) for the hub, which
 * checks it when it starts: libmail knows its keywords, and an agent,
 * which sends no mail, need not link it.
 */
static int
conf_mail(struct conf *c, const char *key, const char *val, int n)
{
	char	**v;
	int	 *ln;

	v = reallocarray(c->mail_lines, c->nmail_lines + 1, sizeof *v);
	if (v == NULL)
		return (FERRY_ERR_NOMEM);
	c->mail_lines = v;
	ln = reallocarray(c->mail_lineno, c->nmail_lines + 1, sizeof *ln);
	if (ln == NULL)
		return (FERRY_ERR_NOMEM);
	c->mail_lineno = ln;
	if (asprintf(&v[c->nmail_lines], "%s %s", key, val) == -1)
		return (FERRY_ERR_NOMEM);
	ln[c->nmail_lines++] = n;
	return (0);
}

/* Whether val is a whole number, in decimal, from min to max. */
static int
conf_in_range(const char *val, long min, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(val, &end, 10);
	return (end != val && *end == '\0' && errno == 0 && v >= min &&
	    v <= max);
}

/* Applies one line; returns 0 or an error naming file and line. */
static int
conf_line(struct conf *c, char *line, const char *file, int n, char **cause)
{
	char	*key, *val, *end;
	size_t	 i;

	line[strcspn(line, "#\r\n")] = '\0';
	key = line + strspn(line, " \t");
	if (*key == '\0')
		return (0);
	val = key + strcspn(key, " \t");
	if (*val != '\0')
		*val++ = '\0';
	val += strspn(val, " \t");
	for (end = val + strlen(val); end > val && (end[-1] == ' ' ||
	    end[-1] == '\t'); end--)
		end[-1] = '\0';
	for (i = 0; i < CONF_NKEYS; i++) {
		if (strcmp(key, conf_keys[i].key) != 0)
			continue;
		if (*val == '\0')
			return (err_set(cause, FERRY_ERR_PARSE, "%s:%d: %s "
			    "needs a value", file, n, key));
		if (conf_keys[i].max != 0 && !conf_in_range(val,
		    conf_keys[i].min, conf_keys[i].max))
			return (err_set(cause, FERRY_ERR_PARSE, "%s:%d: %s "
			    "must be a whole number from %ld to %ld, not "
			    "\"%s\"", file, n, key, conf_keys[i].min,
			    conf_keys[i].max, val));
		free(*conf_field(c, i));
		if ((*conf_field(c, i) = strdup(val)) == NULL)
			return (FERRY_ERR_NOMEM);
		return (0);
	}
	if (strncmp(key, "smtp-", 5) == 0 || strncmp(key, "mail-", 5) == 0)
		return (conf_mail(c, key, val, n));
	return (err_set(cause, FERRY_ERR_PARSE, "%s:%d: unknown keyword "
	    "\"%s\"", file, n, key));
}

int
conf_load(const char *dir, struct conf *c, char **cause)
{
	char	 path[4096], *line = NULL;
	size_t	 cap = 0;
	FILE	*f;
	int	 n = 0, r = 0;

	memset(c, 0, sizeof *c);
	snprintf(path, sizeof path, "%s/%s", dir, CONF_NAME);
	if ((f = fopen(path, "r")) == NULL)
		return (err_set(cause, FERRY_ERR_IO, "%s: %s%s", path,
		    strerror(errno), errno == ENOENT ? " (run 'ferryd init' "
		    "or 'ferryd enroll' first)" : ""));
	while (r == 0 && getline(&line, &cap, f) != -1)
		r = conf_line(c, line, path, ++n, cause);
	free(line);
	fclose(f);
	if (r == 0 && (c->role == NULL || (strcmp(c->role, "hub") != 0 &&
	    strcmp(c->role, "agent") != 0)))
		r = err_set(cause, FERRY_ERR_PARSE, "%s: role must be hub or "
		    "agent", path);
	if (r != 0)
		conf_clear(c);
	return (r);
}

int
conf_save(const char *dir, const struct conf *c, char **cause)
{
	struct buf	 b;
	size_t		 i;
	int		 r;

	buf_init(&b, 0);
	buf_addstr(&b, "# ferryd state; written by ferryd init/enroll\n");
	for (i = 0; i < CONF_NKEYS; i++) {
		const char *v = *conf_field((struct conf *)(uintptr_t)c, i);

		if (v != NULL)
			buf_printf(&b, "%s %s\n", conf_keys[i].key, v);
	}
	for (i = 0; i < c->nmail_lines; i++)
		buf_printf(&b, "%s\n", c->mail_lines[i]);
	r = conf_write_file(dir, CONF_NAME, b.data, b.len, cause);
	buf_free(&b);
	return (r);
}

int
conf_write_file(const char *dir, const char *name, const char *text,
    size_t n, char **cause)
{
	char	 path[4096], tmp[4200];
	int	 fd, r = 0;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	/* Whole or not at all: never half a file under the final name. */
	if (fd == -1 || write(fd, text, n) != (ssize_t)n || (n > 0 &&
	    text[n - 1] != '\n' && write(fd, "\n", 1) != 1) ||
	    fsync(fd) == -1 || rename(tmp, path) == -1)
		r = err_set(cause, FERRY_ERR_IO, "%s: %s", path,
		    strerror(errno));
	if (fd != -1)
		close(fd);
	if (r != 0)
		unlink(tmp);
	return (r);
}

int
conf_split_addr(const char *spec, int def, char **host, int *port,
    char **cause)
{
	const char	*colon, *h = spec;
	size_t		 n = 0;	/* set on every path; gcc -O1 cannot tell */
	char		*end;
	long		 p = def;

	if (*spec == '[') {
		/* [v6]:port */
		if ((colon = strchr(spec, ']')) == NULL)
			return (err_set(cause, FERRY_ERR_INVAL, "%s: missing "
			    "']'", spec));
		h = spec + 1;
		n = (size_t)(colon - h);
		colon = colon[1] == ':' ? colon + 1 : NULL;
	} else if ((colon = strrchr(spec, ':')) != NULL &&
	    strchr(spec, ':') != colon)
		colon = NULL;	/* a bare IPv6 address */
	if (*spec != '[')
		n = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
	if (colon != NULL) {
		p = strtol(colon + 1, &end, 10);
		if (*end != '\0' || p < 1 || p > 65535)
			return (err_set(cause, FERRY_ERR_INVAL, "%s: bad port",
			    spec));
	}
	if (n == 0)
		return (err_set(cause, FERRY_ERR_INVAL, "%s: no host", spec));
	if ((*host = strndup(h, n)) == NULL)
		return (FERRY_ERR_NOMEM);
	*port = (int)p;
	return (0);
}

long
conf_int(const char *value, long def)
{
	char	*end;
	long	 v;

	if (value == NULL)
		return (def);
	v = strtol(value, &end, 10);
	return (end != value && *end == '\0' && v > 0 ? v : def);
}
