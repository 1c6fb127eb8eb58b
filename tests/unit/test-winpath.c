/*
 * The Windows path rules (common/winpath.h) over the case files in
 * tests/data/winpath/. One directive per line ('#' starts a comment):
 *   name TEXT / name-escaped TEXT   a file name (\xHH and \\ decoded)
 *   rel TEXT / rel-escaped TEXT     a relative path
 *   path TEXT / path-escaped TEXT   an absolute Windows path
 *   ok                              the last input is accepted
 *   err TEXT                        it is refused, the cause holding TEXT
 *   out TEXT                        (path) it parses to TEXT: "drive C a/b"
 *                                   or "unc HOST SHARE a/b" ("-" for none)
 *   fold TEXT                       a name whose case key is compared by
 *   same TEXT / differs TEXT        the same or another key
 * The escaped forms keep trailing spaces and control bytes, which an
 * editor would strip or a line could not hold.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "winpath.h"
#include "test.h"

enum input { IN_NONE, IN_NAME, IN_REL, IN_PATH };

struct state {
	const char	*file;
	int		 line;
	enum input	 kind;
	char		 in[4096];
	size_t		 inlen;
	char		*key;		/* fold */
};

#define CASE_FAIL(st, ...) do {						\
	fprintf(stderr, "%s:%d: ", (st)->file, (st)->line);		\
	TEST_FAIL(__VA_ARGS__);						\
} while (0)

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

static void
set_input(struct state *st, enum input kind, const char *arg, int escaped)
{
	size_t	 i, o = 0;

	st->kind = kind;
	for (i = 0; arg[i] != '\0' && o < sizeof st->in; i++) {
		if (escaped && arg[i] == '\\' && arg[i + 1] == '\\') {
			st->in[o++] = '\\';
			i++;
		} else if (escaped && arg[i] == '\\' && arg[i + 1] == 'x' &&
		    hexval(arg[i + 2]) >= 0 && hexval(arg[i + 3]) >= 0) {
			st->in[o++] = (char)(hexval(arg[i + 2]) * 16 +
			    hexval(arg[i + 3]));
			i += 3;
		} else
			st->in[o++] = arg[i];
	}
	st->inlen = o;
}

/* The parsed path as "drive C a/b" or "unc HOST SHARE a/b". */
static void
describe(const struct winpath *wp, char *out, size_t size)
{
	size_t	 i, o;

	if (wp->kind == WINPATH_DRIVE)
		o = (size_t)snprintf(out, size, "drive %c ", wp->drive);
	else
		o = (size_t)snprintf(out, size, "unc %s %s ", wp->host,
		    wp->share);
	if (wp->ncomp == 0)
		snprintf(out + o, size - o, "-");
	for (i = 0; i < wp->ncomp && o < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%s%s",
		    i > 0 ? "/" : "", wp->comp[i]);
}

/*
 * Runs the last input; *got is what "out" compares with.  The input goes in
 * a heap copy of exactly its length, with no NUL after it, as the fuzzer
 * gives it: a read past the end then fails under ASan here too.
 */
static int
run_exact(struct state *st, const char *in, char *got, size_t size,
    char **cause)
{
	struct winpath	 wp;
	int		 r;

	switch (st->kind) {
	case IN_NAME:
		return (winpath_check_name(in, st->inlen, cause));
	case IN_REL:
		return (winpath_check_rel(in, st->inlen, cause));
	case IN_PATH:
		if ((r = winpath_parse(in, st->inlen, &wp, cause)) != 0)
			return (r);
		describe(&wp, got, size);
		winpath_clear(&wp);
		return (0);
	default:
		return (FERRY_ERR_INVAL);
	}
}

static int
run_input(struct state *st, char *got, size_t size, char **cause)
{
	char	*in;
	int	 r;

	got[0] = '\0';
	if ((in = malloc(st->inlen > 0 ? st->inlen : 1)) == NULL)
		return (FERRY_ERR_NOMEM);
	memcpy(in, st->in, st->inlen);
	r = run_exact(st, in, got, size, cause);
	free(in);
	return (r);
}

static void
check(struct state *st, const char *key, const char *arg)
{
	char	 got[8192], *cause = NULL;
	int	 r;

	test_checks++;
	if (st->kind == IN_NONE) {
		CASE_FAIL(st, "\"%s\" before any input", key);
		return;
	}
	r = run_input(st, got, sizeof got, &cause);
	if (strcmp(key, "err") == 0) {
		if (r == 0)
			CASE_FAIL(st, "\"%.*s\" accepted, expected: %s",
			    (int)st->inlen, st->in, arg);
		else if (cause == NULL || strstr(cause, arg) == NULL)
			CASE_FAIL(st, "cause \"%s\", expected it to hold \"%s\"",
			    cause ? cause : "(none)", arg);
	} else if (r != 0)
		CASE_FAIL(st, "\"%.*s\" refused: %s", (int)st->inlen, st->in,
		    cause ? cause : "(no cause)");
	else if (strcmp(key, "out") == 0 && strcmp(got, arg) != 0)
		CASE_FAIL(st, "parsed as \"%s\", expected \"%s\"", got, arg);
	free(cause);
}

static void
fold_check(struct state *st, const char *key, const char *arg)
{
	char	*k = NULL, *cause = NULL;
	int	 same;

	test_checks++;
	if (st->key == NULL) {
		CASE_FAIL(st, "\"%s\" without a \"fold\" before it", key);
		return;
	}
	if (winpath_fold(arg, strlen(arg), &k, &cause) != 0) {
		CASE_FAIL(st, "fold \"%s\": %s", arg, cause);
		free(cause);
		return;
	}
	same = strcmp(k, st->key) == 0;
	if (same != (strcmp(key, "same") == 0))
		CASE_FAIL(st, "keys \"%s\" and \"%s\": expected %s", st->key,
		    k, key);
	free(k);
}

static void
directive(struct state *st, const char *key, const char *arg)
{
	char	*cause = NULL;

	if (strcmp(key, "name") == 0 || strcmp(key, "name-escaped") == 0)
		set_input(st, IN_NAME, arg, key[4] != '\0');
	else if (strcmp(key, "rel") == 0 || strcmp(key, "rel-escaped") == 0)
		set_input(st, IN_REL, arg, key[3] != '\0');
	else if (strcmp(key, "path") == 0 || strcmp(key, "path-escaped") == 0)
		set_input(st, IN_PATH, arg, key[4] != '\0');
	else if (strcmp(key, "ok") == 0 || strcmp(key, "err") == 0 ||
	    strcmp(key, "out") == 0)
		check(st, key, arg);
	else if (strcmp(key, "fold") == 0) {
		free(st->key);
		st->key = NULL;
		if (winpath_fold(arg, strlen(arg), &st->key, &cause) != 0)
			CASE_FAIL(st, "fold \"%s\": %s", arg, cause);
		free(cause);
	} else if (strcmp(key, "same") == 0 || strcmp(key, "differs") == 0)
		fold_check(st, key, arg);
	else
		CASE_FAIL(st, "unknown directive \"%s\"", key);
}

static void
run_file(const char *path)
{
	struct state	 st;
	FILE		*f;
	char		 line[8192], *arg;
	size_t		 n;

	memset(&st, 0, sizeof st);
	st.file = path;
	if ((f = fopen(path, "r")) == NULL) {
		TEST_FAIL("%s: %s", path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		st.line++;
		n = strcspn(line, "\n");
		line[n] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		arg = line + strcspn(line, " ");
		if (*arg == ' ')
			*arg++ = '\0';
		directive(&st, line, arg);
	}
	fclose(f);
	free(st.key);
}

static int
name_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

int
main(void)
{
	const char	*srcdir = getenv("srcdir");
	char		 dir[1024], path[2048], *names[128];
	DIR		*d;
	struct dirent	*e;
	size_t		 n = 0, i, len;

	snprintf(dir, sizeof dir, "%s/tests/data/winpath",
	    srcdir != NULL ? srcdir : ".");
	if ((d = opendir(dir)) == NULL) {
		TEST_FAIL("%s: %s", dir, strerror(errno));
		return (TEST_DONE());
	}
	while ((e = readdir(d)) != NULL && n < 128) {
		len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".test") == 0 &&
		    (names[n] = strdup(e->d_name)) != NULL)
			n++;
	}
	closedir(d);
	if (n == 0)
		TEST_FAIL("no case files in %s", dir);
	qsort(names, n, sizeof names[0], name_cmp);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		run_file(path);
		free(names[i]);
	}
	return (TEST_DONE());
}
