/*
 * A tiny assertion helper for ferry's C tests (the OpenSSH test_helper and
 * libuv ASSERT idea). A failed assertion prints where and what, and the
 * test program exits 1 at the end; TEST_SKIP exits 77, which automake's
 * harness reports as skipped.
 */
#ifndef FERRY_TEST_H
#define FERRY_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	test_failures;
static int	test_checks;

#define TEST_FAIL(...) do {						\
	fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);		\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
	test_failures++;						\
} while (0)

#define ASSERT_TRUE(c) do {						\
	test_checks++;							\
	if (!(c))							\
		TEST_FAIL("%s", #c);					\
} while (0)

#define ASSERT_INT_EQ(a, b) do {					\
	intmax_t _a = (a), _b = (b);					\
	test_checks++;							\
	if (_a != _b)							\
		TEST_FAIL("%s == %jd, expected %s == %jd", #a, _a, #b, _b); \
} while (0)

#define ASSERT_STR_EQ(a, b) do {					\
	const char *_a = (a), *_b = (b);				\
	test_checks++;							\
	if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0)		\
		TEST_FAIL("%s is \"%s\", expected \"%s\"", #a,		\
		    _a ? _a : "(null)", _b ? _b : "(null)");		\
} while (0)

/* Whether needle occurs in haystack (NULL haystack never matches). */
#define ASSERT_STR_CONTAINS(h, n) do {					\
	const char *_h = (h), *_n = (n);				\
	test_checks++;							\
	if (_h == NULL || strstr(_h, _n) == NULL)			\
		TEST_FAIL("%s is \"%s\", expected it to contain \"%s\"",	\
		    #h, _h ? _h : "(null)", _n);				\
} while (0)

#define TEST_SKIP(why) do {						\
	fprintf(stderr, "SKIP: %s\n", why);				\
	exit(77);							\
} while (0)

/* Ends main(): prints a summary and returns the exit status. */
#define TEST_DONE() (							\
	fprintf(stderr, "%d checks, %d failed\n", test_checks,		\
	    test_failures),						\
	test_failures == 0 ? 0 : 1)

#endif
