/*
 * Property test of share_map_cache: over random paths that mix the tricky
 * parts (".." and "." at any depth, names Windows cannot hold, control
 * bytes, over-long names, frame patterns, either separator, roots in
 * another case, a share root one name below another's directory), a
 * translation through one long-lived cache gives exactly what the full
 * translation gives: the same error and cause, or the same share, path
 * inside it and target path. Set FERRY_TEST_SEED to replay a failure.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "share-map.h"
#include "test.h"

#define ROUNDS	40000

/*
 * "deep" is one name below a directory of "storage" (/storage/show/x);
 * "root" is the whole POSIX tree at site ny; P: is written in another
 * case than the paths use.
 */
static const char *test_map =
    "{ \"shares\": {"
    "  \"storage\": { \"linux\": \"/storage\", \"windows\": \"S:\","
    "    \"unc\": \"\\\\\\\\fileserver\\\\storage\","
    "    \"sites\": { \"la\": { \"linux\": \"/mnt/la/storage\","
    "      \"windows\": \"L:\\\\la storage\" } } },"
    "  \"deep\": { \"linux\": \"/storage/show/x\", \"windows\": \"X:\\\\\" },"
    "  \"projects\": { \"linux\": \"/storage/projects\","
    "    \"windows\": \"P:\\\\Proj\" },"
    "  \"root\": { \"linux\": \"/nowhere\", \"sites\": { \"ny\": { \"linux\": \"/\" } } } },"
    "  \"sites\": [ \"la\", \"ny\", \"hq\" ] }";

static uint64_t rng_state;

static uint32_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return ((uint32_t)((rng_state * 2685821657736338717ULL) >> 32));
}

static void
random_name(struct buf *b)
{
	static const char	*pieces[] = { "a", "Z", "x", "show", "v001",
	    "%04d", "####", "@@", ".", "..", "CON", "nul", "com1", "a.",
	    "b ", "é", "日本", "\x01", "\x7f", "a:b", "a*b", "PROGRA~1",
	    "proj", "Proj", "shot.1001.exr", "\\", "" };
	size_t			 n = 1 + rng() % 3, i;

	for (i = 0; i < n; i++)
		buf_addstr(b, pieces[rng() % (sizeof pieces / sizeof *pieces)]);
	if (rng() % 40 == 0) {
		for (i = 0; i < 256; i++)
			buf_addch(b, 'l');
	}
}

/* A path under one of the map's roots, or near one, in any spelling. */
static void
random_path(struct buf *b)
{
	static const char	*starts[] = { "/storage", "/storage/show",
	    "/mnt/la/storage", "/storage/projects", "/", "S:", "s:", "P:",
	    "p:\\proj", "P:\\PROJ", "L:\\la storage", "X:", "\\\\fileserver"
	    "\\storage", "//FileServer/Storage", "\\\\fileserver", "C:x",
	    "relative", "/storage/../etc" };
	const char		*start;
	size_t			 depth = rng() % 5, i;
	int			 win;

	buf_reset(b);
	start = starts[rng() % (sizeof starts / sizeof *starts)];
	win = start[0] != '/' || start[1] == '/';
	buf_addstr(b, start);
	for (i = 0; i < depth; i++) {
		buf_addch(b, win && rng() % 2 ? '\\' : '/');
		random_name(b);
	}
	if (rng() % 30 == 0)
		buf_addch(b, '/');
}

static int
same(const char *a, const char *b)
{
	return (strcmp(a ? a : "", b ? b : "") == 0);
}

int
main(void)
{
	static const char	*sites[] = { NULL, "la", "ny", "hq" };
	static const char	*platforms[] = { NULL, "linux", "windows",
	    "macos" };
	struct share_map	*m = NULL;
	struct share_map_cache	*c;
	struct share_map_result	 a, k;
	struct buf		 p, dir;
	char			*ca, *ck, *cause = NULL, *env;
	const char		*from, *to, *plat;
	size_t			 round, sib, ok = 0, siblings;
	int			 ra, rk, os;

	env = getenv("FERRY_TEST_SEED");
	rng_state = env != NULL ? strtoull(env, NULL, 10) : 20261205;
	if (rng_state == 0)
		rng_state = 1;
	fprintf(stderr, "seed %llu\n", (unsigned long long)rng_state);
	if (share_map_load_text(test_map, strlen(test_map), "test", &m,
	    &cause) != 0) {
		TEST_FAIL("map: %s", cause);
		return (1);
	}
	c = share_map_cache_new();
	ASSERT_TRUE(c != NULL);
	buf_init(&p, 0);
	buf_init(&dir, 0);
	for (round = 0; c != NULL && round < ROUNDS; round++) {
		random_path(&dir);
		from = sites[rng() % 4];
		to = sites[1 + rng() % 3];
		os = (int)(rng() % (SHARE_OS_COUNT + 2)) - 1;
		plat = platforms[rng() % 4];
		/* A few files of one directory in a row, as a listing has. */
		siblings = 1 + rng() % 4;
		for (sib = 0; sib < siblings; sib++) {
			buf_reset(&p);
			buf_add(&p, dir.data, dir.len);
			buf_addch(&p, rng() % 3 == 0 && dir.data[0] != '/' ?
			    '\\' : '/');
			random_name(&p);
			ca = ck = NULL;
			if (os == SHARE_OS_COUNT) {
				ra = share_map_translate_for(m, from, to, plat,
				    p.data, p.len, &a, &ca);
				rk = share_map_translate_for_cached(m, c, from,
				    to, plat, p.data, p.len, &k, &ck);
			} else {
				ra = share_map_translate(m, from, to,
				    (enum share_os)os, p.data, p.len, &a, &ca);
				rk = share_map_translate_cached(m, c, from, to,
				    (enum share_os)os, p.data, p.len, &k, &ck);
			}
			test_checks++;
			if (ra != rk || !same(ca, ck) || (ra == 0 &&
			    (strcmp(a.path, k.path) != 0 ||
			    strcmp(a.relative, k.relative) != 0 ||
			    strcmp(a.share, k.share) != 0 || a.os != k.os)))
				TEST_FAIL("%s (from %s to %s os %d %s): full "
				    "%d %s \"%s\", cached %d %s \"%s\"",
				    buf_str(&p), from ? from : "-", to, os,
				    plat ? plat : "-", ra, ra ? "" : a.path,
				    ca ? ca : "", rk, rk ? "" : k.path,
				    ck ? ck : "");
			ok += ra == 0;
			if (ra == 0)
				share_map_result_clear(&a);
			if (rk == 0)
				share_map_result_clear(&k);
			free(ca);
			free(ck);
		}
	}
	/* Both outcomes were exercised, not only refusals. */
	fprintf(stderr, "%zu translated of %d checks, %zu by a join\n", ok,
	    test_checks, share_map_cache_hits(c));
	ASSERT_TRUE(ok > ROUNDS / 10);
	/* And the joins were a good part of them: the cache was used. */
	ASSERT_TRUE(share_map_cache_hits(c) > ok / 4);
	buf_free(&p);
	buf_free(&dir);
	share_map_cache_free(c);
	share_map_free(m);
	return (test_failures != 0);
}
