/*
 * UTF-8 <-> UTF-16 (compat/utf16.h), which every Windows file name goes
 * through. Pure: tests/win/pure.sh runs it under wine too.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf16.h"
#include "test.h"

static void
test_utf16_round_trip(void)
{
	/* ASCII, Latin-1, CJK and a pair (U+1F600). */
	const char	*s = "a\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80";
	const uint16_t	 want[] = { 0x61, 0xe9, 0x65e5, 0xd83d, 0xde00, 0 };
	uint16_t	*w;
	size_t		 n = 0;
	char		*back;

	w = utf16_from_utf8(s, strlen(s), &n);
	ASSERT_TRUE(w != NULL);
	if (w == NULL)
		return;
	ASSERT_INT_EQ(n, 5);
	ASSERT_TRUE(memcmp(w, want, sizeof want) == 0);
	back = utf16_to_utf8(w, n);
	ASSERT_STR_EQ(back, s);
	free(back);
	free(w);
}

static void
expect_bad8(const char *s, size_t len)
{
	uint16_t	*w;

	errno = 0;
	w = utf16_from_utf8(s, len, NULL);
	ASSERT_TRUE(w == NULL);
	ASSERT_INT_EQ(errno, EILSEQ);
	free(w);
}

static void
expect_bad16(const uint16_t *w, size_t n)
{
	char	*s;

	errno = 0;
	s = utf16_to_utf8(w, n);
	ASSERT_TRUE(s == NULL);
	ASSERT_INT_EQ(errno, EILSEQ);
	free(s);
}

static void
test_utf16_refusals(void)
{
	const uint16_t	 lone_hi[] = { 0x61, 0xd800 };
	const uint16_t	 lone_lo[] = { 0xdc00, 0x61 };
	const uint16_t	 reversed[] = { 0xdc00, 0xd800 };
	const uint16_t	 nul[] = { 0x61, 0 };

	expect_bad8("\xc0\xaf", 2);		/* overlong '/' */
	expect_bad8("\xed\xa0\x80", 3);		/* a surrogate */
	expect_bad8("\xf4\x90\x80\x80", 4);	/* past U+10FFFF */
	expect_bad8("a\xe6\x97", 3);		/* cut short */
	expect_bad8("a\0b", 3);			/* NUL inside */
	expect_bad16(lone_hi, 2);
	expect_bad16(lone_lo, 2);
	expect_bad16(reversed, 2);
	expect_bad16(nul, 2);
}

int
main(void)
{
	test_utf16_round_trip();
	test_utf16_refusals();
	return (TEST_DONE());
}
