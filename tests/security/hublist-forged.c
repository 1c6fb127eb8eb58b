/*
 * Attack: a forged list of hubs (agent/proto/hublist.c, issue 17). An
 * agent pins every key on the list its hub sends, so the list is the
 * way in for a stranger's key. Refused: a list that does not name its
 * sender (a hub vouching only for others, or a list replayed from
 * elsewhere), one over HUBLIST_MAX hubs, keys that are not keys, a key
 * twice, addresses too long or carrying separators and control bytes
 * (a newline would forge a line of ferryd.conf-like text; a comma a
 * second hub-standby entry), and values of the wrong type. A good list
 * passes, reduced to the two fields.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "hublist.h"
#include "identity.h"
#include "test.h"

static uint8_t	sender[IDENTITY_FP_LEN], other[IDENTITY_FP_LEN];
static char	sender_s[IDENTITY_FP_STRLEN + 1], other_s[IDENTITY_FP_STRLEN + 1];

static json_t *
hub(const char *fp, const char *addr)
{
	return (json_pack("{s:s, s:s}", "fingerprint", fp, "address", addr));
}

/* Checks list (taken) from sender: 0, or refused with want in the cause. */
static void
check(json_t *list, const char *want)
{
	json_t	*out = NULL;
	char	*cause = NULL;
	int	 r;

	r = hublist_check(list, sender, &out, &cause);
	if (want == NULL) {
		if (r != 0)
			TEST_FAIL("refused: %s", cause);
		ASSERT_TRUE(out != NULL);
	} else {
		ASSERT_INT_EQ(r, FERRY_ERR_PROTO);
		ASSERT_TRUE(out == NULL);
		ASSERT_STR_CONTAINS(cause ? cause : "", want);
	}
	free(cause);
	json_decref(out);
	json_decref(list);
}

static void
test_good(void)
{
	json_t	*l = json_pack("[o, o]", hub(sender_s, "127.0.0.1:45190"),
		    hub(other_s, "[::1]:45190")), *out = NULL;
	char	*cause = NULL;

	json_object_set_new(json_array_get(l, 0), "extra", json_true());
	ASSERT_INT_EQ(hublist_check(l, sender, &out, &cause), 0);
	ASSERT_INT_EQ((int)json_array_size(out), 2);
	ASSERT_TRUE(json_object_get(json_array_get(out, 0), "extra") == NULL);
	ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(out,
	    1), "fingerprint")), other_s);
	json_decref(out);
	json_decref(l);
}

static void
test_forged(void)
{
	char	 big[HUBLIST_ADDR_MAX + 2], fp[IDENTITY_FP_STRLEN + 1];
	uint8_t	 k[IDENTITY_FP_LEN];
	json_t	*l;
	int	 i;

	/* Only a stranger's key: the sender leaves itself out. */
	check(json_pack("[o]", hub(other_s, "10.0.0.9:45190")),
	    "leaves out the hub that sent it");
	/* Oversized: one hub more than any store has. */
	l = json_array();
	json_array_append_new(l, hub(sender_s, "10.0.0.1:45190"));
	for (i = 0; i < HUBLIST_MAX; i++) {
		memset(k, i + 1, sizeof k);
		identity_fp_format(k, fp);
		json_array_append_new(l, hub(fp, "10.0.0.2:45190"));
	}
	check(l, "hubs (1 to 16 taken)");
	check(json_array(), "has 0 hubs");
	check(json_pack("{s:s}", "fingerprint", sender_s), "not an array");
	check(json_pack("[o, o]", hub(sender_s, "a:1"), hub(sender_s, "b:2")),
	    "twice");
	check(json_pack("[o, o]", hub(sender_s, "a:1"), hub("SHA256:nope",
	    "b:2")), "hub 1 of the list");
	check(json_pack("[o, {s:s}]", hub(sender_s, "a:1"), "fingerprint",
	    other_s), "lacks a fingerprint or an address");
	check(json_pack("[o, {s:s, s:i}]", hub(sender_s, "a:1"),
	    "fingerprint", other_s, "address", 7),
	    "lacks a fingerprint or an address");
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	check(json_pack("[o, o]", hub(sender_s, "a:1"), hub(other_s, big)),
	    "not an address");
	check(json_pack("[o]", hub(sender_s, "a:1\nhub-standby evil:1")),
	    "not an address");
	check(json_pack("[o]", hub(sender_s, "a:1,evil:1")), "not an address");
	check(json_pack("[o]", hub(sender_s, "")), "not an address");
}

int
main(void)
{
	memset(sender, 0x5a, sizeof sender);
	memset(other, 0xa5, sizeof other);
	identity_fp_format(sender, sender_s);
	identity_fp_format(other, other_s);
	test_good();
	test_forged();
	return (TEST_DONE());
}
