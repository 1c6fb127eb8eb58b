/* Tests of common/: errors, the growable buffer, hex text, name sets. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "hex.h"
#include "nameset.h"
#include "test.h"

static void
test_err(void)
{
	char	*cause = NULL;

	ASSERT_STR_EQ(err_str(FERRY_OK), "success");
	ASSERT_STR_EQ(err_str(FERRY_ERR_TRAVERSAL),
	    "path climbs out of its share");
	ASSERT_STR_EQ(err_str(12345), "unknown error");
	/* Every code in the table has its own text. */
#define CHECK_ROW(name, value, text) ASSERT_STR_EQ(err_str(value), text);
	FERRY_ERR_TABLE(CHECK_ROW)
#undef CHECK_ROW
	ASSERT_INT_EQ(err_set(&cause, FERRY_ERR_PARSE, "line %d", 7),
	    FERRY_ERR_PARSE);
	ASSERT_STR_EQ(cause, "line 7");
	/* A second message replaces the first without leaking it. */
	err_set(&cause, FERRY_ERR_IO, "%s", "again");
	ASSERT_STR_EQ(cause, "again");
	free(cause);
	ASSERT_INT_EQ(err_set(NULL, FERRY_ERR_INVAL, "ignored"),
	    FERRY_ERR_INVAL);
}

static void
test_buf(void)
{
	struct buf	 b;
	char		*s;
	int		 i;

	buf_init(&b, 0);
	ASSERT_STR_EQ(buf_str(&b), "");
	for (i = 0; i < 1000; i++)
		ASSERT_INT_EQ(buf_printf(&b, "%d,", i % 10), 0);
	ASSERT_INT_EQ(b.len, 2000);
	ASSERT_TRUE(strncmp(b.data, "0,1,2,", 6) == 0);
	ASSERT_INT_EQ(b.data[b.len], '\0');
	buf_reset(&b);
	ASSERT_STR_EQ(buf_str(&b), "");
	ASSERT_INT_EQ(buf_add(&b, "a\0b", 3), 0);
	ASSERT_INT_EQ(b.len, 3);
	s = buf_detach(&b);
	ASSERT_TRUE(memcmp(s, "a\0b", 4) == 0);
	ASSERT_TRUE(b.data == NULL && b.len == 0);
	free(s);
	s = buf_detach(&b);	/* an empty buffer detaches as "" */
	ASSERT_STR_EQ(s, "");
	free(s);

	/* A limit is enforced and leaves the contents intact. */
	buf_init(&b, 8);
	ASSERT_INT_EQ(buf_addstr(&b, "12345678"), 0);
	ASSERT_INT_EQ(buf_addch(&b, '9'), FERRY_ERR_TOOBIG);
	ASSERT_INT_EQ(buf_printf(&b, "%s", "x"), FERRY_ERR_TOOBIG);
	ASSERT_STR_EQ(buf_str(&b), "12345678");
	buf_free(&b);
}

static void
test_hex(void)
{
	uint8_t	v[256], back[256];
	char	text[513];
	int	i;

	for (i = 0; i < 256; i++)
		v[i] = (uint8_t)i;
	hex_encode(v, 3, text);
	ASSERT_STR_EQ(text, "000102");
	hex_encode(v + 250, 6, text);
	ASSERT_STR_EQ(text, "fafbfcfdfeff");
	/* Every byte value round-trips. */
	hex_encode(v, sizeof v, text);
	ASSERT_INT_EQ(hex_decode(text, back, sizeof back), 0);
	ASSERT_TRUE(memcmp(v, back, sizeof v) == 0);
	ASSERT_INT_EQ(hex_decode("ABcd", back, 2), 0);
	ASSERT_INT_EQ(back[0], 0xab);
	ASSERT_INT_EQ(back[1], 0xcd);
	/* Wrong length, a non-digit, or nothing: refused. */
	ASSERT_INT_EQ(hex_decode("abc", back, 2), -1);
	ASSERT_INT_EQ(hex_decode("abcdef", back, 2), -1);
	ASSERT_INT_EQ(hex_decode("0g", back, 1), -1);
	ASSERT_INT_EQ(hex_decode(" 0", back, 1), -1);
	ASSERT_INT_EQ(hex_decode(NULL, back, 1), -1);
}

static void
test_nameset(void)
{
	const char	*names[] = { "b/2.exr", NULL, "a.mov", "b/10.exr",
			    "c" };
	struct nameset	 s;

	ASSERT_INT_EQ(nameset_build(&s, names, 5), 0);
	ASSERT_INT_EQ((int)s.n, 4);	/* the NULL left out */
	ASSERT_TRUE(nameset_has(&s, "a.mov"));
	ASSERT_TRUE(nameset_has(&s, "b/10.exr"));
	ASSERT_TRUE(nameset_accept("c", &s));
	ASSERT_TRUE(!nameset_has(&s, "b"));
	ASSERT_TRUE(!nameset_has(&s, "a.mo"));
	ASSERT_TRUE(!nameset_accept("d", &s));
	nameset_clear(&s);
	ASSERT_INT_EQ(nameset_build(&s, names, 0), 0);
	ASSERT_TRUE(!nameset_has(&s, "a.mov"));
	nameset_clear(&s);
}

int
main(void)
{
	test_err();
	test_buf();
	test_hex();
	test_nameset();
	return (TEST_DONE());
}
