/*
 * The table of control messages (agent/proto/proto-check.c): every message the
 * two sides really send passes, in its own direction only; each kind of
 * malformation is refused with a cause naming the op and the field.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "proto-check.h"
#include "test.h"

#define ID	"\"0123456789abcdef0123456789abcdef\""

/* Checks text as a message for dir: 0, or an error whose cause has want. */
static void
check(enum proto_dir dir, const char *text, const char *want)
{
	json_t	*m = json_loads(text, 0, NULL);
	char	*cause = NULL;
	int	 r;

	ASSERT_TRUE(m != NULL);
	r = proto_check(m, dir, &cause);
	if (want == NULL) {
		if (r != 0)
			TEST_FAIL("%s refused: %s", text, cause);
	} else {
		ASSERT_INT_EQ(r, FERRY_ERR_PROTO);
		ASSERT_STR_CONTAINS(cause ? cause : "", want);
	}
	free(cause);
	json_decref(m);
}

static void
test_good(void)
{
	check(PROTO_FIRST, "{\"op\":\"hello\",\"name\":\"la\"}", NULL);
	check(PROTO_FIRST, "{\"op\":\"hello\",\"name\":\"la\","
	    "\"address\":null}", NULL);
	check(PROTO_FIRST, "{\"op\":\"hello\",\"name\":\"la\","
	    "\"address\":\"10.0.0.2\"}", NULL);
	check(PROTO_FIRST, "{\"op\":\"enroll\",\"proof\":\"ab\","
	    "\"name\":\"la\"}", NULL);
	/* A standby hub's forwarded request (hub-forward.c). */
	check(PROTO_FIRST, "{\"op\":\"forward\",\"uid\":0,"
	    "\"user\":\"root\"}", NULL);
	check(PROTO_FIRST, "{\"op\":\"forward\",\"uid\":0}", NULL);
	check(PROTO_TO_HUB, "{\"op\":\"ping\"}", NULL);
	check(PROTO_TO_HUB, "{\"re\":" ID ",\"files\":[{\"path\":\"/a\","
	    "\"size\":3}]}", NULL);
	check(PROTO_TO_HUB, "{\"re\":" ID ",\"files\":[],\"error\":\"x\"}",
	    NULL);
	check(PROTO_TO_HUB, "{\"op\":\"api\",\"req\":" ID ",\"request\":"
	    "{\"op\":\"jobs\"}}", NULL);
	check(PROTO_TO_HUB, "{\"op\":\"transfer.done\",\"id\":7,\"ok\":false,"
	    "\"error\":\"cut\",\"bytes\":0,\"wire_bytes\":0}", NULL);
	check(PROTO_TO_AGENT, "{\"op\":\"transfer.start\",\"id\":7,\"role\":"
	    "\"send\",\"token\":\"t\",\"streams\":2,\"peer_fp\":\"F\","
	    "\"files\":[{\"src\":\"/a\",\"rel\":\"a\"}],\"bwlimit\":0,"
	    "\"connect\":\"h:1\"}", NULL);
	check(PROTO_TO_AGENT, "{\"op\":\"list\",\"req\":" ID ",\"paths\":"
	    "[\"/a\"]}", NULL);
	check(PROTO_TO_AGENT, "{\"re\":" ID ",\"reply\":{\"done\":true}}",
	    NULL);
	check(PROTO_TO_AGENT, "{\"op\":\"transfer.rate\",\"id\":7,"
	    "\"bwlimit\":4194304}", NULL);
	/* Fields a newer peer adds are ignored. */
	check(PROTO_TO_HUB, "{\"op\":\"ping\",\"new\":1}", NULL);
}

static void
test_bad(void)
{
	check(PROTO_TO_HUB, "{\"op\":\"list\",\"req\":" ID ",\"paths\":[]}",
	    "not a message the hub takes");
	check(PROTO_TO_AGENT, "{\"op\":\"ping\"}", "not a message");
	/* A new cap comes from the hub only, and is a byte rate. */
	check(PROTO_TO_HUB, "{\"op\":\"transfer.rate\",\"id\":7,"
	    "\"bwlimit\":1}", "not a message the hub takes");
	check(PROTO_TO_AGENT, "{\"op\":\"transfer.rate\",\"id\":7,"
	    "\"bwlimit\":-1}", "transfer.rate: \"bwlimit\"");
	check(PROTO_TO_AGENT, "{\"op\":\"transfer.rate\",\"id\":7}",
	    "transfer.rate: no \"bwlimit\"");
	check(PROTO_FIRST, "{\"op\":\"ping\"}", "a new connection");
	check(PROTO_FIRST, "{\"op\":\"forward\",\"uid\":-1}",
	    "forward: \"uid\"");
	check(PROTO_FIRST, "{\"op\":\"forward\",\"user\":\"root\"}",
	    "forward: no \"uid\"");
	check(PROTO_FIRST, "{\"op\":\"hello\",\"name\":\"la\",\"address\":"
	    "[\"x\"]}", "hello: \"address\"");
	check(PROTO_TO_HUB, "{\"op\":\"transfer.file\",\"id\":\"1\","
	    "\"index\":0,\"ok\":true}", "transfer.file: \"id\"");
	check(PROTO_TO_HUB, "{\"op\":\"transfer.file\",\"id\":1,\"index\":-1,"
	    "\"ok\":true}", "\"index\"");
	check(PROTO_TO_HUB, "{\"op\":\"transfer.file\",\"id\":1,\"index\":0}",
	    "no \"ok\"");
	check(PROTO_TO_HUB, "{\"op\":\"transfer.listening\",\"id\":1,"
	    "\"port\":1.5}", "\"port\"");
	check(PROTO_TO_HUB, "{\"re\":7}", "answer: \"re\"");
	check(PROTO_TO_HUB, "{\"re\":\"0123456789ABCDEF0123456789ABCDEF\"}",
	    "\"re\"");
	check(PROTO_TO_HUB, "{\"op\":\"ping\",\"re\":" ID "}", "both");
	check(PROTO_TO_HUB, "{\"op\":[\"ping\"]}", "not a string");
	check(PROTO_TO_HUB, "{\"x\":1}", "neither");
	check(PROTO_TO_HUB, "{\"re\":" ID ",\"files\":[{\"path\":3,"
	    "\"size\":1}]}", "\"files\"");
	check(PROTO_TO_HUB, "{\"re\":" ID ",\"files\":[\"a\"]}", "\"files\"");
	check(PROTO_TO_HUB, "{\"op\":\"transfer.done\",\"id\":1,\"ok\":true,"
	    "\"error\":7}", "\"error\"");
}

static void
test_long(void)
{
	char	*text = malloc(9100);

	ASSERT_TRUE(text != NULL);
	memcpy(text, "{\"op\":\"transfer.done\",\"id\":1,\"ok\":false,"
	    "\"error\":\"", 49);
	memset(text + 49, 'a', 9000);
	memcpy(text + 9049, "\"}", 3);
	check(PROTO_TO_HUB, text, "\"error\"");
	free(text);
}

int
main(void)
{
	test_good();
	test_bad();
	test_long();
	return (TEST_DONE());
}
