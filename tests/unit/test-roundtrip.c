/*
 * Property test: for every mappable path, Windows -> Linux -> Windows gives
 * back the same path, written canonically (the map's root, backslashes),
 * and Linux -> Windows -> Linux likewise. Paths are generated from a seeded
 * PRNG: set FERRY_TEST_SEED to replay a failure.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "path.h"
#include "share-map.h"
#include "test.h"

#define ROUNDS	20000

static const char *test_map =
    "{ \"shares\": {"
    "  \"storage\": { \"linux\": \"/storage\", \"windows\": \"S:\","
    "    \"unc\": \"\\\\\\\\fileserver\\\\storage\","
    "    \"sites\": { \"la\": { \"linux\": \"/mnt/la/storage\","
    "      \"windows\": \"L:\\\\la storage\" } } },"
    "  \"projects\": { \"linux\": \"/storage/projects\","
    "    \"windows\": \"P:\\\\\" } } }";

static uint64_t rng_state;

static uint32_t
rng(void)
{
	/* xorshift64*: small, seedable, and good enough for test data. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return ((uint32_t)((rng_state * 2685821657736338717ULL) >> 32));
}

/* Appends a random name that Windows and Linux can both hold, or not. */
static void
random_name(struct buf *b)
{
	static const char	*pieces[] = { "a", "Z", "9", "-", "_", " ", ".",
	    "shot", "v001", "%04d", "####", "é", "ß", "日本", "😀", "(1)",
	    "[x]", "~", "'", "CON", "nul", "aux", ",", "+", "=", "#", "@" };
	size_t			 n = 1 + rng() % 6, i, start = b->len;

	for (i = 0; i < n; i++)
		buf_addstr(b, pieces[rng() % (sizeof pieces / sizeof *pieces)]);
	/* "." and ".." have their own meaning; keep them out of names. */
	if (strcmp(b->data + start, ".") == 0 ||
	    strcmp(b->data + start, "..") == 0)
		buf_addch(b, 'x');
}

/* A Windows path under S:, P: or L:, in a random spelling. */
static void
random_windows(struct buf *spelled, struct buf *canon, const char **site)
{
	static const char	*roots[] = { "S:", "P:", "L:\\la storage" };
	static const char	*sites[] = { "hq", "hq", "la" };
	size_t			 r = rng() % 3, n = rng() % 6, i;
	struct buf		 name;

	*site = sites[r];
	buf_reset(spelled);
	buf_reset(canon);
	buf_addstr(canon, roots[r]);
	buf_addstr(spelled, roots[r]);
	if (rng() % 2)
		spelled->data[0] = (char)(spelled->data[0] + ('a' - 'A'));
	buf_init(&name, 0);
	for (i = 0; i < n; i++) {
		buf_reset(&name);
		random_name(&name);
		buf_addstr(spelled, rng() % 2 ? "\\" : "/");
		if (rng() % 4 == 0)
			buf_addstr(spelled, rng() % 2 ? "\\" : "./");
		buf_addstr(spelled, name.data);
		buf_addch(canon, '\\');
		buf_addstr(canon, name.data);
	}
	if (n == 0 && strlen(roots[r]) == 2)	/* a bare drive: "S:\" */
		buf_addch(canon, '\\');
	buf_free(&name);
}

static int
translate(const struct share_map *m, const char *from, const char *to,
    enum share_os os, const char *path, struct share_map_result *res,
    char **cause)
{
	return (share_map_translate(m, from, to, os, path, strlen(path), res,
	    cause));
}

int
main(void)
{
	struct share_map	*m;
	struct share_map_result	 lin, win, back;
	struct buf		 spelled, canon;
	const char		*site, *seed = getenv("FERRY_TEST_SEED");
	char			*cause = NULL;
	int			 i, mapped = 0, refused = 0;

	rng_state = seed ? strtoull(seed, NULL, 10) : 20261121;
	fprintf(stderr, "seed %llu\n", (unsigned long long)rng_state);
	if (share_map_load_text(test_map, strlen(test_map), "test-map", &m,
	    &cause) != 0) {
		TEST_FAIL("map does not load: %s", cause);
		return (TEST_DONE());
	}
	buf_init(&spelled, 0);
	buf_init(&canon, 0);
	for (i = 0; i < ROUNDS; i++) {
		random_windows(&spelled, &canon, &site);
		if (translate(m, NULL, site, SHARE_OS_LINUX, spelled.data, &lin,
		    &cause) != 0) {
			/* Only names Windows cannot hold may be refused. */
			ASSERT_STR_CONTAINS(cause, "Windows");
			refused++;
			continue;
		}
		test_checks++;
		if (translate(m, site, site, SHARE_OS_WINDOWS, lin.path, &win,
		    &cause) != 0) {
			TEST_FAIL("%s -> %s -> windows: %s", spelled.data,
			    lin.path, cause);
		} else {
			ASSERT_STR_EQ(win.path, canon.data);
			/* And Linux -> Windows -> Linux. */
			if (translate(m, site, site, SHARE_OS_LINUX, win.path,
			    &back, &cause) != 0)
				TEST_FAIL("%s -> linux: %s", win.path, cause);
			else
				ASSERT_STR_EQ(back.path, lin.path);
			share_map_result_clear(&back);
			mapped++;
		}
		share_map_result_clear(&win);
		share_map_result_clear(&lin);
	}
	fprintf(stderr, "%d round trips, %d paths refused for Windows\n",
	    mapped, refused);
	/* Both outcomes must actually occur for the test to mean anything. */
	ASSERT_TRUE(mapped > ROUNDS / 2);
	ASSERT_TRUE(refused > 0);
	free(cause);
	buf_free(&spelled);
	buf_free(&canon);
	share_map_free(m);
	return (TEST_DONE());
}
