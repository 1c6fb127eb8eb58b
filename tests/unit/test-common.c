/*
 * Tests of common/: errors, the growable buffer, hex text, name sets,
 * numbers for people.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "hex.h"
#include "human.h"
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

static void
test_human(void)
{
	struct human_meter	 m;
	char			 b[HUMAN_LEN];
	uint64_t		 v;
	long			 l;
	unsigned		 u;
	char			*cause = NULL;

	ASSERT_STR_EQ(human_bytes(0, b, sizeof b), "0 B");
	ASSERT_STR_EQ(human_bytes(1023, b, sizeof b), "1023 B");
	ASSERT_STR_EQ(human_bytes(1024, b, sizeof b), "1.0 KiB");
	ASSERT_STR_EQ(human_bytes(1.4 * 1073741824.0, b, sizeof b),
	    "1.4 GiB");
	ASSERT_STR_EQ(human_bytes(212.0 * 1048576, b, sizeof b), "212 MiB");
	ASSERT_STR_EQ(human_bytes(99.97 * 1048576, b, sizeof b), "100 MiB");
	ASSERT_STR_EQ(human_rate(212.0 * 1048576, b, sizeof b), "212 MiB/s");
	ASSERT_STR_EQ(human_duration(-1, b, sizeof b), "--");
	ASSERT_STR_EQ(human_duration(0.2, b, sizeof b), "0s");
	ASSERT_STR_EQ(human_duration(45, b, sizeof b), "45s");
	ASSERT_STR_EQ(human_duration(185, b, sizeof b), "3m05s");
	ASSERT_STR_EQ(human_duration(7620, b, sizeof b), "2h07m");
	ASSERT_STR_EQ(human_duration(273600, b, sizeof b), "3d04h");

	/* Typed rates: bytes in powers of 1024, bits in powers of 1000. */
	ASSERT_INT_EQ(human_parse_rate("200M", &v, NULL), 0);
	ASSERT_TRUE(v == 200ULL << 20);
	ASSERT_INT_EQ(human_parse_rate("200MiB", &v, NULL), 0);
	ASSERT_TRUE(v == 200ULL << 20);
	ASSERT_INT_EQ(human_parse_rate("0", &v, NULL), 0);
	ASSERT_TRUE(v == 0);
	ASSERT_INT_EQ(human_parse_rate("200Mbit", &v, NULL), 0);
	ASSERT_TRUE(v == 25000000);
	ASSERT_INT_EQ(human_parse_rate("1Gbps", &v, NULL), 0);
	ASSERT_TRUE(v == 125000000);
	ASSERT_INT_EQ(human_parse_rate("200X", &v, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "200X is not a rate");
	free(cause);
	ASSERT_INT_EQ(human_parse_rate("-1", &v, NULL), FERRY_ERR_INVAL);
	ASSERT_INT_EQ(human_parse_rate("", &v, NULL), FERRY_ERR_INVAL);
	ASSERT_INT_EQ(human_parse_rate("99999999999T", &v, NULL),
	    FERRY_ERR_INVAL);
	ASSERT_INT_EQ(human_parse_long("12", 1, 100, &l), 0);
	ASSERT_INT_EQ(l, 12);
	ASSERT_INT_EQ(human_parse_long("x", 1, 100, &l), FERRY_ERR_INVAL);
	ASSERT_INT_EQ(human_parse_long("0", 1, 100, &l), FERRY_ERR_INVAL);
	ASSERT_INT_EQ(human_parse_long("5x", 1, 100, &l), FERRY_ERR_INVAL);
	/* Masks: octal digits only, within max (the --umask values refused). */
	ASSERT_INT_EQ(human_parse_mask("027", 077, &u), 0);
	ASSERT_INT_EQ(u, 027);
	ASSERT_INT_EQ(human_parse_mask("0", 077, &u), 0);
	ASSERT_INT_EQ(u, 0);
	ASSERT_INT_EQ(human_parse_mask("0700", 077, &u), FERRY_ERR_INVAL);
	ASSERT_INT_EQ(human_parse_mask("0700", 0777, &u), 0);
	ASSERT_INT_EQ(u, 0700);
	ASSERT_INT_EQ(human_parse_mask(" 027", 077, &u), FERRY_ERR_INVAL);
	ASSERT_INT_EQ(human_parse_mask("+27", 077, &u), FERRY_ERR_INVAL);
	ASSERT_INT_EQ(human_parse_mask("8", 077, &u), FERRY_ERR_INVAL);
	ASSERT_INT_EQ(human_parse_mask("0x7", 077, &u), FERRY_ERR_INVAL);
	ASSERT_INT_EQ(human_parse_mask("", 077, &u), FERRY_ERR_INVAL);
	ASSERT_INT_EQ(human_parse_mask("77777777777777777777777", 0777, &u),
	    FERRY_ERR_INVAL);

	/* A steady 1 MiB/s, then a stall: the rate holds, then "stalled". */
	memset(&m, 0, sizeof m);
	for (l = 0; l <= 10; l++)
		human_meter_add(&m, (double)l, (uint64_t)l << 20);
	ASSERT_TRUE(m.rate > 0.99 * 1048576 && m.rate < 1.01 * 1048576);
	ASSERT_TRUE(human_meter_eta(&m, 10, 10ULL << 20) > 9.9);
	ASSERT_TRUE(human_meter_eta(&m, 10, 10ULL << 20) < 10.1);
	human_meter_add(&m, 11, 10ULL << 20);
	human_meter_add(&m, 12, 10ULL << 20);
	ASSERT_TRUE(m.rate > 0.99 * 1048576);
	ASSERT_TRUE(!human_meter_stalled(&m, 12));
	ASSERT_TRUE(human_meter_stalled(&m, 15));
	ASSERT_TRUE(human_meter_eta(&m, 15, 1) < 0);
	ASSERT_TRUE(human_meter_eta(&m, 15, 0) == 0);
}

int
main(void)
{
	test_err();
	test_buf();
	test_hex();
	test_nameset();
	test_human();
	return (TEST_DONE());
}
