/*
 * Runs the plain-text case files under tests/data/share-map/ and
 * tests/data/sequence/. The format is described in tests/data/README.md;
 * adding a case means adding lines to a file, not code.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "sequence.h"
#include "share-map.h"
#include "test.h"

struct case_state {
	const char		*file;
	int			 line;
	char			 dir[1024];
	struct share_map	*map;
	char			*from;		/* NULL: any site */
	char			*to;
	enum share_os		 os;
	int			 by_platform;	/* "platform" given */
	char			*platform;	/* NULL: not known */
	struct buf		 in;
	struct share_map_result	 res;		/* of the last "out" */
	struct sequence		 seq;		/* of the last "seq" */
	int			 have_seq;
	int			 ran;
};

#define CASE_FAIL(st, ...) do {						\
	fprintf(stderr, "%s:%d: ", (st)->file, (st)->line);		\
	TEST_FAIL(__VA_ARGS__);						\
} while (0)

/* Decodes "\xHH" and "\\" so that a case can hold control bytes. */
static int
case_unescape(const char *s, struct buf *out)
{
	unsigned int	v;

	buf_reset(out);
	while (*s != '\0') {
		if (s[0] == '\\' && s[1] == 'x' && isxdigit((unsigned char)s[2])
		    && isxdigit((unsigned char)s[3])) {
			sscanf(s + 2, "%2x", &v);
			buf_addch(out, (char)v);
			s += 4;
		} else if (s[0] == '\\' && s[1] == '\\') {
			buf_addch(out, '\\');
			s += 2;
		} else
			buf_addch(out, *s++);
	}
	return (0);
}

static void
case_load_map(struct case_state *st, const char *name, const char *want_err)
{
	char	 path[2048], *cause = NULL;
	int	 r;

	share_map_free(st->map);
	st->map = NULL;
	snprintf(path, sizeof path, "%s/%s", st->dir, name);
	r = share_map_load_file(path, &st->map, &cause);
	st->ran++;
	test_checks++;
	if (want_err == NULL && r != 0)
		CASE_FAIL(st, "map %s does not load: %s", name, cause);
	else if (want_err != NULL && r == 0)
		CASE_FAIL(st, "map %s loads, expected \"%s\"", name, want_err);
	else if (want_err != NULL && strstr(cause, want_err) == NULL)
		CASE_FAIL(st, "map %s fails with \"%s\", expected \"%s\"",
		    name, cause, want_err);
	free(cause);
}

static void
case_set_to(struct case_state *st, const char *spec)
{
	char	*colon;

	free(st->to);
	st->to = strdup(spec);
	st->os = SHARE_OS_DEFAULT;
	st->by_platform = 0;
	if ((colon = strrchr(st->to, ':')) != NULL &&
	    share_os_parse(colon + 1, &st->os) == 0)
		*colon = '\0';
}

/* One translation of the len bytes at path, through cache c or not. */
static int
case_run(struct case_state *st, struct share_map_cache *c, const char *path,
    size_t len, struct share_map_result *res, char **cause)
{
	if (st->by_platform)
		return (share_map_translate_for_cached(st->map, c, st->from,
		    st->to, st->platform, path, len, res, cause));
	return (share_map_translate_cached(st->map, c, st->from, st->to,
	    st->os, path, len, res, cause));
}

/*
 * The cache gives exactly what the full translation gave (r, cause,
 * result): cold, warmed by a file of the same directory, and warm with
 * the path itself (share_map_cache, share-map-cache.c).
 */
static void
case_cached_same(struct case_state *st, int r, const char *cause)
{
	struct share_map_cache	*c = share_map_cache_new();
	struct share_map_result	 res, warm;
	struct buf		 sib;
	char			*why;
	const char		*slash;
	int			 k, rc;

	buf_init(&sib, 0);
	slash = NULL;
	for (k = (int)st->in.len - 1; k >= 0 && slash == NULL; k--) {
		if (st->in.data[k] == '/' || st->in.data[k] == '\\')
			slash = st->in.data + k;
	}
	if (slash != NULL) {
		buf_add(&sib, st->in.data, (size_t)(slash - st->in.data) + 1);
		buf_addstr(&sib, "sibling.0001.exr");
	}
	for (k = 0; k < 3 && c != NULL; k++) {
		why = NULL;
		if (k == 1 && slash != NULL) {
			/* Warms the slot with another file of the directory. */
			if (case_run(st, c, sib.data, sib.len, &warm,
			    NULL) == 0)
				share_map_result_clear(&warm);
		}
		rc = case_run(st, c, st->in.data, st->in.len, &res, &why);
		test_checks++;
		if (rc != r)
			CASE_FAIL(st, "%s: cached (%d) gave %d, full %d",
			    buf_str(&st->in), k, rc, r);
		else if (r != 0 && strcmp(why ? why : "", cause ? cause : "")
		    != 0)
			CASE_FAIL(st, "%s: cached (%d) said \"%s\", full \"%s\"",
			    buf_str(&st->in), k, why ? why : "", cause ? cause :
			    "");
		else if (r == 0 && (strcmp(res.path, st->res.path) != 0 ||
		    strcmp(res.relative, st->res.relative) != 0 ||
		    strcmp(res.share, st->res.share) != 0 ||
		    res.os != st->res.os))
			CASE_FAIL(st, "%s: cached (%d) gave %s (%s:%s), full %s "
			    "(%s:%s)", buf_str(&st->in), k, res.path, res.share,
			    res.relative, st->res.path, st->res.share,
			    st->res.relative);
		if (rc == 0)
			share_map_result_clear(&res);
		free(why);
	}
	buf_free(&sib);
	share_map_cache_free(c);
}

/* Translates st->in and checks the outcome against "out" or "err". */
static void
case_translate(struct case_state *st, const char *want, int want_ok)
{
	char	*cause = NULL;
	int	 r;

	share_map_result_clear(&st->res);
	if (st->map == NULL || st->to == NULL) {
		CASE_FAIL(st, "a case needs \"map\" and \"to\" before it");
		return;
	}
	if (st->by_platform)
		r = share_map_translate_for(st->map, st->from, st->to,
		    st->platform, st->in.data, st->in.len, &st->res, &cause);
	else
		r = share_map_translate(st->map, st->from, st->to, st->os,
		    st->in.data, st->in.len, &st->res, &cause);
	st->ran++;
	case_cached_same(st, r, cause);
	test_checks++;
	if (want_ok && r != 0)
		CASE_FAIL(st, "%s: failed (%s), expected %s", buf_str(&st->in),
		    cause ? cause : err_str(r), want);
	else if (want_ok && strcmp(st->res.path, want) != 0)
		CASE_FAIL(st, "%s: gave %s, expected %s", buf_str(&st->in),
		    st->res.path, want);
	else if (!want_ok && r == 0)
		CASE_FAIL(st, "%s: gave %s, expected an error \"%s\"",
		    buf_str(&st->in), st->res.path, want);
	else if (!want_ok && (cause == NULL || strstr(cause, want) == NULL))
		CASE_FAIL(st, "%s: error \"%s\", expected \"%s\"",
		    buf_str(&st->in), cause ? cause : err_str(r), want);
	free(cause);
}

static void
case_check_seq(struct case_state *st, const char *key, const char *want)
{
	struct buf	 b;
	const char	*got;

	test_checks++;
	if (!st->have_seq) {
		CASE_FAIL(st, "\"%s\" needs a \"seq\" that parsed", key);
		return;
	}
	buf_init(&b, 0);
	if (strcmp(key, "pattern") == 0)
		buf_printf(&b, "%s%s%s", st->seq.head, st->seq.token,
		    st->seq.tail);
	else if (strcmp(key, "list") == 0)
		sequence_format_ranges(&st->seq, &b);
	else if (strcmp(key, "padding") == 0)
		buf_printf(&b, "%d", st->seq.padding);
	else if (strcmp(key, "count") == 0)
		buf_printf(&b, "%zu", sequence_count(&st->seq));
	else if (strcmp(key, "first") == 0 && st->seq.nranges > 0)
		sequence_frame_path(&st->seq, st->seq.ranges[0].first, &b);
	else if (strcmp(key, "last") == 0 && st->seq.nranges > 0)
		sequence_frame_path(&st->seq,
		    st->seq.ranges[st->seq.nranges - 1].last, &b);
	got = buf_str(&b);
	if (strcmp(got, want) != 0)
		CASE_FAIL(st, "%s is \"%s\", expected \"%s\"", key, got, want);
	buf_free(&b);
}

/* "seq INPUT", "seq-err TEXT" (after seq-in) and "not-seq INPUT". */
static void
case_seq(struct case_state *st, const char *key, const char *arg)
{
	char	*cause = NULL;
	int	 r;

	if (st->have_seq)
		sequence_clear(&st->seq);
	st->have_seq = 0;
	r = sequence_parse(arg, &st->seq, &cause);
	st->ran++;
	test_checks++;
	if (strcmp(key, "seq") == 0 && r != 1)
		CASE_FAIL(st, "%s: not parsed as a sequence (%s)", arg,
		    cause ? cause : "no frame token");
	else if (strcmp(key, "not-seq") == 0 && r != 0)
		CASE_FAIL(st, "%s: parsed as a sequence, or failed (%d)", arg,
		    r);
	st->have_seq = (r == 1);
	free(cause);
}

static void
case_seq_err(struct case_state *st, const char *input, const char *want)
{
	struct sequence	 seq;
	char		*cause = NULL;
	int		 r;

	r = sequence_parse(input, &seq, &cause);
	st->ran++;
	test_checks++;
	if (r >= 0) {
		CASE_FAIL(st, "%s: parsed, expected error \"%s\"", input, want);
		if (r == 1)
			sequence_clear(&seq);
	} else if (cause == NULL || strstr(cause, want) == NULL)
		CASE_FAIL(st, "%s: error \"%s\", expected \"%s\"", input,
		    cause ? cause : err_str(r), want);
	free(cause);
}

static void
case_line(struct case_state *st, char *key, char *arg)
{
	if (strcmp(key, "map") == 0)
		case_load_map(st, arg, NULL);
	else if (strcmp(key, "bad-map") == 0) {
		char *sp = strchr(arg, ' ');

		if (sp == NULL) {
			CASE_FAIL(st, "bad-map needs FILE and TEXT");
			return;
		}
		*sp++ = '\0';
		case_load_map(st, arg, sp);
	} else if (strcmp(key, "from") == 0) {
		free(st->from);
		st->from = strcmp(arg, "*") == 0 ? NULL : strdup(arg);
	} else if (strcmp(key, "to") == 0)
		case_set_to(st, arg);
	else if (strcmp(key, "platform") == 0) {
		/* After "to": its roots as an agent of that platform takes. */
		free(st->platform);
		st->platform = strcmp(arg, "unknown") == 0 ? NULL :
		    strdup(arg);
		st->by_platform = 1;
		test_checks++;
		if (st->platform != NULL &&
		    !share_platform_known(st->platform))
			CASE_FAIL(st, "%s: not a platform", arg);
	}
	else if (strcmp(key, "in") == 0) {
		buf_reset(&st->in);
		buf_addstr(&st->in, arg);
	} else if (strcmp(key, "in-escaped") == 0)
		case_unescape(arg, &st->in);
	else if (strcmp(key, "out") == 0)
		case_translate(st, arg, 1);
	else if (strcmp(key, "err") == 0)
		case_translate(st, arg, 0);
	else if (strcmp(key, "share") == 0 || strcmp(key, "rel") == 0) {
		test_checks++;
		if (st->res.path == NULL)
			CASE_FAIL(st, "\"%s\" must follow a passing \"out\"",
			    key);
		else if (strcmp(key[0] == 's' ? st->res.share :
		    st->res.relative, arg) != 0)
			CASE_FAIL(st, "%s is \"%s\", expected \"%s\"", key,
			    key[0] == 's' ? st->res.share : st->res.relative,
			    arg);
	} else if (strcmp(key, "seq") == 0 || strcmp(key, "not-seq") == 0)
		case_seq(st, key, arg);
	else if (strcmp(key, "seq-err") == 0)
		case_seq_err(st, buf_str(&st->in), arg);
	else if (strcmp(key, "pattern") == 0 || strcmp(key, "list") == 0 ||
	    strcmp(key, "padding") == 0 || strcmp(key, "count") == 0 ||
	    strcmp(key, "first") == 0 || strcmp(key, "last") == 0)
		case_check_seq(st, key, arg);
	else
		CASE_FAIL(st, "unknown directive \"%s\"", key);
}

static void
case_run_file(const char *dir, const char *path)
{
	struct case_state	 st;
	FILE			*f;
	char			*line = NULL, *key, *arg;
	size_t			 cap = 0;
	ssize_t			 n;

	memset(&st, 0, sizeof st);
	st.file = path;
	snprintf(st.dir, sizeof st.dir, "%s", dir);
	buf_init(&st.in, 0);
	if ((f = fopen(path, "r")) == NULL) {
		TEST_FAIL("%s: %s", path, strerror(errno));
		return;
	}
	while ((n = getline(&line, &cap, f)) != -1) {
		st.line++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		key = line;
		arg = line + strcspn(line, " ");
		if (*arg != '\0')
			*arg++ = '\0';
		case_line(&st, key, arg);
	}
	if (st.ran == 0)
		TEST_FAIL("%s: holds no case", path);
	fprintf(stderr, "%s: %d cases\n", path, st.ran);
	free(line);
	fclose(f);
	share_map_free(st.map);
	share_map_result_clear(&st.res);
	if (st.have_seq)
		sequence_clear(&st.seq);
	buf_free(&st.in);
	free(st.from);
	free(st.to);
	free(st.platform);
}

static int
case_name_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Runs every *.test file in dir, in name order; returns how many. */
static int
case_run_dir(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	char		*names[512], path[2048];
	size_t		 n = 0, i, len;

	if ((d = opendir(dir)) == NULL) {
		TEST_FAIL("%s: %s", dir, strerror(errno));
		return (0);
	}
	while ((e = readdir(d)) != NULL && n < 512) {
		len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".test") == 0)
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof names[0], case_name_cmp);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		case_run_file(dir, path);
		free(names[i]);
	}
	return ((int)n);
}

int
main(void)
{
	const char	*srcdir = getenv("srcdir");
	char		 dir[1024];

	if (srcdir == NULL)
		srcdir = ".";
	snprintf(dir, sizeof dir, "%s/tests/data/share-map", srcdir);
	if (case_run_dir(dir) == 0)
		TEST_FAIL("no case files in %s", dir);
	snprintf(dir, sizeof dir, "%s/tests/data/sequence", srcdir);
	if (case_run_dir(dir) == 0)
		TEST_FAIL("no case files in %s", dir);
	return (TEST_DONE());
}
