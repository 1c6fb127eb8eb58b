/*
 * The ftrack query builder: values are quoted and escaped as ftrack's
 * parser reads them, names are checked, and what cannot be quoted is
 * refused without adding anything. Long lists are cut into chunks.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "ftq.h"
#include "test.h"

/* Formats with one %q argument; returns the expression or NULL. */
static char *
fmt_q(const char *fmt, const char *value, int *errp, char **cause)
{
	char	*expr = NULL;

	*errp = ftq_format(&expr, cause, fmt, value);
	return (expr);
}

static void
check_q(const char *value, const char *want)
{
	char	*expr, *cause = NULL;
	int	 e;

	expr = fmt_q("name is %q", value, &e, &cause);
	ASSERT_INT_EQ(e, 0);
	ASSERT_STR_EQ(expr, want);
	free(expr);
	free(cause);
}

static void
check_refused(const char *value, size_t len, const char *why)
{
	struct buf	 b;
	char		*cause = NULL;

	buf_init(&b, 0);
	buf_addstr(&b, "x = ");
	ASSERT_INT_EQ(ftq_quote(&b, value, len, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, why);
	/* A refused value adds nothing. */
	ASSERT_STR_EQ(buf_str(&b), "x = ");
	buf_free(&b);
	free(cause);
}

static void
test_quoting(void)
{
	check_q("abc", "name is \"abc\"");
	check_q("", "name is \"\"");
	check_q("say \"hi\"", "name is \"say \\\"hi\\\"\"");
	check_q("C:\\show\\sh010", "name is \"C:\\\\show\\\\sh010\"");
	check_q("\\\"", "name is \"\\\\\\\"\"");
	check_q("it's", "name is \"it's\"");
	check_q("\") or (id is_not none", "name is \"\\\") or (id is_not "
	    "none\"");
	/* UTF-8 passes as it is: é, ✓, and a character beyond the BMP. */
	check_q("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9d\x84\x9e",
	    "name is \"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9d\x84\x9e\"");
}

static void
test_refusals(void)
{
	check_refused("a\nb", 3, "control character 0x0a at offset 1");
	check_refused("a\tb", 3, "control character 0x09");
	check_refused("\r", 1, "control character 0x0d");
	check_refused("a\x01", 2, "control character 0x01");
	check_refused("del\x7f", 4, "control character 0x7f");
	check_refused("a\0b", 3, "NUL byte at offset 1");
	check_refused("\xff", 1, "not UTF-8 (byte 0xff at offset 0)");
	check_refused("ab\xc3", 3, "not UTF-8 (byte 0xc3 at offset 2)");
	/* Overlong forms, a surrogate, past U+10FFFF, cut short. */
	check_refused("\xc0\xaf", 2, "not UTF-8");
	check_refused("\xe0\x80\xaf", 3, "not UTF-8");
	check_refused("\xed\xa0\x80", 3, "not UTF-8");
	check_refused("\xf4\x90\x80\x80", 4, "not UTF-8");
	check_refused("\xe2\x82", 2, "not UTF-8");
	check_refused("\x80", 1, "not UTF-8");
}

/* ftq_add() keeps the first error; ftq_finish() reports it. */
static void
test_builder(void)
{
	struct ftq	 q;
	json_t		*ids = json_pack("[s,s]", "a", "b");
	char		*expr = NULL, *cause = NULL;

	ftq_init(&q);
	ftq_add(&q, "select id from %n where id in (%L)", "Component", ids);
	ftq_add(&q, " and name is %q", "main");
	ftq_add(&q, " limit %d", 5);
	ASSERT_INT_EQ(ftq_finish(&q, &expr, &cause), 0);
	ASSERT_STR_EQ(expr, "select id from Component where id in (\"a\", "
	    "\"b\") and name is \"main\" limit 5");
	free(expr);
	expr = NULL;

	ftq_init(&q);
	ftq_add(&q, "select id from Component where name is %q", "a\nb");
	ftq_add(&q, " and id is %q", "fine");
	ASSERT_INT_EQ(ftq_finish(&q, &expr, &cause), FERRY_ERR_INVAL);
	ASSERT_TRUE(expr == NULL);
	ASSERT_STR_CONTAINS(cause, "control character");
	free(cause);
	cause = NULL;
	/* A finished builder is clear and can be used again. */
	ftq_add(&q, "Location");
	ASSERT_INT_EQ(ftq_finish(&q, &expr, &cause), 0);
	ASSERT_STR_EQ(expr, "Location");
	free(expr);
	json_decref(ids);
}

static void
check_fmt_error(int e, char *expr, char *cause, const char *why)
{
	ASSERT_INT_EQ(e, FERRY_ERR_INVAL);
	ASSERT_TRUE(expr == NULL);
	ASSERT_STR_CONTAINS(cause, why);
	free(cause);
}

static void
test_lists(void)
{
	json_t	*mixed, *empty, *bad;
	char	*expr = NULL, *cause = NULL;
	int	 e;

	mixed = json_pack("[s,s,I,s]", "a", "b\"c", (json_int_t)3, "d\\");
	empty = json_array();
	bad = json_pack("[s,{}]", "a");
	ASSERT_INT_EQ(ftq_format(&expr, &cause, "id in (%L)", mixed), 0);
	ASSERT_STR_EQ(expr, "id in (\"a\", \"b\\\"c\", 3, \"d\\\\\")");
	free(expr);
	expr = NULL;
	e = ftq_format(&expr, &cause, "id in (%L)", empty);
	check_fmt_error(e, expr, cause, "empty list");
	cause = NULL;
	e = ftq_format(&expr, &cause, "id in (%L)", bad);
	check_fmt_error(e, expr, cause, "element 1 is neither");
	cause = NULL;
	e = ftq_format(&expr, &cause, "id in (%L)", json_object_get(bad,
	    "x"));
	check_fmt_error(e, expr, cause, "needs a JSON array");
	cause = NULL;
	/* A string with a NUL inside, which a C string could not carry. */
	json_array_set_new(bad, 1, json_stringn("x\0y", 3));
	e = ftq_format(&expr, &cause, "id in (%L)", bad);
	check_fmt_error(e, expr, cause, "NUL byte");
	json_decref(mixed);
	json_decref(empty);
	json_decref(bad);
}

static void
test_names_and_numbers(void)
{
	static const char *bad_names[] = {
		"", "a b", "1abc", "a..b", "a.", ".a", "a\"", "Task]", "a-b",
	};
	char	*expr = NULL, *cause = NULL;
	size_t	 i;
	int	 e;

	e = ftq_format(&expr, &cause, "select %n from %n offset %zu limit %d "
	    "where x like %q%%", "asset.parent.name", "AssetVersion",
	    (size_t)1000, 500, "sh");
	ASSERT_INT_EQ(e, 0);
	ASSERT_STR_EQ(expr, "select asset.parent.name from AssetVersion "
	    "offset 1000 limit 500 where x like \"sh\"%");
	free(expr);
	for (i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
		expr = NULL;
		e = ftq_format(&expr, &cause, "select id from %n",
		    bad_names[i]);
		check_fmt_error(e, expr, cause, "is not an entity type");
		cause = NULL;
	}
	/* %s would paste a value: it is not a directive here. */
	e = ftq_format(&expr, &cause, "name is %s", "x");
	check_fmt_error(e, expr, cause, "unknown directive %s");
	cause = NULL;
	e = ftq_format(&expr, &cause, "name is %q", (const char *)NULL);
	check_fmt_error(e, expr, cause, "NULL");
}

/*
 * Reads back a quoted string the way ftrack's parser does (backslash
 * escapes \" \' \\); returns the value or NULL if the quoting is broken.
 */
static char *
unquote(const char *s)
{
	struct buf	b;

	if (*s++ != '"')
		return (NULL);
	buf_init(&b, 0);
	buf_addstr(&b, "");
	for (; *s != '"'; s++) {
		if (*s == '\0' || (*s == '\\' && s[1] == '\0')) {
			buf_free(&b);
			return (NULL);
		}
		if (*s == '\\')
			s++;
		buf_addch(&b, *s);
	}
	if (s[1] != '\0') {
		buf_free(&b);
		return (NULL);
	}
	return (buf_detach(&b));
}

/* Random strings full of quotes and backslashes survive the round trip. */
static void
test_round_trip(void)
{
	static const char *atoms[] = {
		"\"", "\\", "'", "a", " ", "%", "(", ")", ",", "\xc3\xa9",
		"\xe2\x9c\x93", "\\\"", "or", "\xf0\x9f\x8e\xac",
	};
	struct buf	 v, q;
	char		*back, *cause = NULL;
	int		 i, j, ok = 1;

	srandom(42);
	for (i = 0; i < 2000 && ok; i++) {
		buf_init(&v, 0);
		buf_init(&q, 0);
		buf_addstr(&v, "");
		for (j = random() % 12; j > 0; j--)
			buf_addstr(&v, atoms[random() % (sizeof atoms /
			    sizeof atoms[0])]);
		ok = ftq_quote(&q, buf_str(&v), v.len, &cause) == 0;
		back = ok ? unquote(buf_str(&q)) : NULL;
		ok = back != NULL && strcmp(back, buf_str(&v)) == 0;
		if (!ok)
			TEST_FAIL("round trip of [%s] gave [%s]", buf_str(&v),
			    buf_str(&q));
		free(back);
		buf_free(&v);
		buf_free(&q);
	}
	ASSERT_TRUE(ok);
	free(cause);
}

/* Counts the quoted ids in expr and checks they are first..first+n-1. */
static void
check_chunk(const char *expr, int first, int n)
{
	const char	*prefix = "select id from Component where name is "
			    "\"main\" and version_id in (\"id-";
	const char	*p = expr;
	char		 want[64];
	int		 i;

	for (i = first; i < first + n; i++) {
		snprintf(want, sizeof want, "\"id-%04d\"", i);
		p = strstr(p, want);
		if (p == NULL) {
			TEST_FAIL("%s missing from chunk at %d", want, first);
			return;
		}
	}
	snprintf(want, sizeof want, "\"id-%04d\"", first + n);
	ASSERT_TRUE(strstr(expr, want) == NULL);
	ASSERT_TRUE(strncmp(expr, prefix, strlen(prefix)) == 0);
	ASSERT_TRUE(strcmp(expr + strlen(expr) - 9, ") limit 7") == 0);
}

static void
test_chunks(void)
{
	json_t	*ids = json_array(), *exprs = NULL, *none = json_array();
	char	 id[16], *cause = NULL;
	int	 i;

	for (i = 0; i < 250; i++) {
		snprintf(id, sizeof id, "id-%04d", i);
		json_array_append_new(ids, json_string(id));
	}
	ASSERT_INT_EQ(ftq_format_chunks(&exprs, 100, &cause, "select id from "
	    "Component where name is %q and version_id in (%L) limit %d",
	    "main", ids, 7), 0);
	ASSERT_INT_EQ(json_array_size(exprs), 3);
	check_chunk(json_string_value(json_array_get(exprs, 0)), 0, 100);
	check_chunk(json_string_value(json_array_get(exprs, 1)), 100, 100);
	check_chunk(json_string_value(json_array_get(exprs, 2)), 200, 50);
	json_decref(exprs);
	/* 0 means FTQ_CHUNK. */
	ASSERT_INT_EQ(ftq_format_chunks(&exprs, 0, &cause, "id in (%L)", ids),
	    0);
	ASSERT_INT_EQ(json_array_size(exprs), (250 + FTQ_CHUNK - 1) /
	    FTQ_CHUNK);
	json_decref(exprs);
	/* An empty list needs no query at all. */
	ASSERT_INT_EQ(ftq_format_chunks(&exprs, 10, &cause, "id in (%L)",
	    none), 0);
	ASSERT_INT_EQ(json_array_size(exprs), 0);
	json_decref(exprs);
	exprs = NULL;
	ASSERT_INT_EQ(ftq_format_chunks(&exprs, 10, &cause, "a in (%L) and b "
	    "in (%L)", ids, ids), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "exactly one %L, not 2");
	ASSERT_INT_EQ(ftq_format_chunks(&exprs, 10, &cause, "name is %q",
	    "x"), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "not 0");
	ASSERT_TRUE(exprs == NULL);
	/* A refused id in the third chunk fails the whole call. */
	json_array_set_new(ids, 230, json_string("bad\nid"));
	ASSERT_INT_EQ(ftq_format_chunks(&exprs, 100, &cause, "id in (%L)",
	    ids), FERRY_ERR_INVAL);
	ASSERT_TRUE(exprs == NULL);
	free(cause);
	json_decref(ids);
	json_decref(none);
}

/* A list past FTQ_MAX is refused rather than sent. */
static void
test_too_long(void)
{
	json_t	*ids = json_array();
	char	*expr = NULL, *cause = NULL, *big;
	size_t	 i;

	big = malloc(1024);
	memset(big, 'x', 1023);
	big[1023] = '\0';
	for (i = 0; i < FTQ_MAX / 1000; i++)
		json_array_append_new(ids, json_string(big));
	ASSERT_INT_EQ(ftq_format(&expr, &cause, "id in (%L)", ids),
	    FERRY_ERR_TOOBIG);
	ASSERT_STR_CONTAINS(cause, "longer than");
	ASSERT_TRUE(expr == NULL);
	free(cause);
	free(big);
	json_decref(ids);
}

int
main(void)
{
	test_quoting();
	test_refusals();
	test_builder();
	test_lists();
	test_names_and_numbers();
	test_round_trip();
	test_chunks();
	test_too_long();
	return (TEST_DONE());
}
