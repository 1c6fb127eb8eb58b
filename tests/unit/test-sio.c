/* socket.io 0.9 packets: every type, ids, endpoints, data, and errors. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "sio-int.h"
#include "test.h"

static const struct good {
	const char	*text;
	int		 type;
	int		 has_id;
	unsigned long	 id;
	int		 ack_data;
	const char	*endpoint;
	int		 has_data;
	const char	*data;
} goods[] = {
	{ "0::", SIO_DISCONNECT, 0, 0, 0, "", 0, "" },
	{ "1::", SIO_CONNECT, 0, 0, 0, "", 0, "" },
	{ "1::/chat?x=1", SIO_CONNECT, 0, 0, 0, "/chat?x=1", 0, "" },
	{ "2::", SIO_HEARTBEAT, 0, 0, 0, "", 0, "" },
	{ "2:::", SIO_HEARTBEAT, 0, 0, 0, "", 1, "" },	/* Python's */
	{ "3:::hello: world", SIO_MESSAGE, 0, 0, 0, "", 1, "hello: world" },
	{ "4:::{\"a\":1}", SIO_JSON, 0, 0, 0, "", 1, "{\"a\":1}" },
	{ "5:::{\"name\":\"x\",\"args\":[\"a:b:c\"]}", SIO_EVENT, 0, 0, 0, "",
	    1, "{\"name\":\"x\",\"args\":[\"a:b:c\"]}" },
	{ "5:12+::{}", SIO_EVENT, 1, 12, 1, "", 1, "{}" },
	{ "5:7::{}", SIO_EVENT, 1, 7, 0, "", 1, "{}" },
	{ "6:::1+[{\"success\":true}]", SIO_ACK, 0, 0, 0, "", 1,
	    "1+[{\"success\":true}]" },
	{ "7:::2+0", SIO_ERROR, 0, 0, 0, "", 1, "2+0" },
	{ "8::", SIO_NOOP, 0, 0, 0, "", 0, "" },
	{ "5:999999999+:/ns:", SIO_EVENT, 1, 999999999, 1, "/ns", 1, "" },
};

static void
test_parse_good(void)
{
	struct sio_packet	 p;
	struct buf		 b;
	size_t			 i;
	char			*cause = NULL;

	buf_init(&b, 0);
	for (i = 0; i < sizeof goods / sizeof goods[0]; i++) {
		const struct good *g = &goods[i];

		if (sio_packet_parse(g->text, strlen(g->text), &p,
		    &cause) != 0) {
			TEST_FAIL("%s: %s", g->text, cause);
			free(cause);
			cause = NULL;
			continue;
		}
		ASSERT_INT_EQ(p.type, g->type);
		ASSERT_INT_EQ(p.has_id, g->has_id);
		ASSERT_INT_EQ(p.id, g->id);
		ASSERT_INT_EQ(p.ack_data, g->ack_data);
		ASSERT_INT_EQ(p.endpoint_len, strlen(g->endpoint));
		ASSERT_TRUE(memcmp(p.endpoint, g->endpoint,
		    p.endpoint_len) == 0);
		ASSERT_INT_EQ(p.has_data, g->has_data);
		ASSERT_INT_EQ(p.data_len, strlen(g->data));
		ASSERT_TRUE(memcmp(p.data, g->data, p.data_len) == 0);
		/* Formatting gives back the very same text. */
		buf_reset(&b);
		ASSERT_INT_EQ(sio_packet_format(&b, &p, NULL), 0);
		ASSERT_STR_EQ(buf_str(&b), g->text);
	}
	buf_free(&b);
}

static void
test_parse_bad(void)
{
	static const struct {
		const char	*text;
		const char	*cause;
	} bads[] = {
		{ "", "not a digit 0-8" },
		{ "9::", "not a digit 0-8" },
		{ "x::", "not a digit 0-8" },
		{ "2", "no ':' after its type" },
		{ "22::", "no ':' after its type" },
		{ "2:", "no ':' after its id field" },
		{ "5:1", "no ':' after its id field" },
		{ "5:abc::{}", "not a number" },
		{ "5:+::{}", "not a number" },
		{ "5:1+1::{}", "not a number" },
		{ "5:1234567890::{}", "at most 9 digits" },
	};
	struct sio_packet	 p;
	char			*cause;
	size_t			 i;

	for (i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		cause = NULL;
		ASSERT_INT_EQ(sio_packet_parse(bads[i].text,
		    strlen(bads[i].text), &p, &cause), FERRY_ERR_PARSE);
		ASSERT_STR_CONTAINS(cause, bads[i].cause);
		free(cause);
	}
	/* A NUL inside is data like any other byte. */
	ASSERT_INT_EQ(sio_packet_parse("3:::a\0b", 7, &p, NULL), 0);
	ASSERT_INT_EQ(p.data_len, 3);
}

static void
test_format_bad(void)
{
	struct sio_packet	p;
	struct buf		b;

	buf_init(&b, 0);
	memset(&p, 0, sizeof p);
	p.endpoint = "";
	p.type = (enum sio_type)9;
	ASSERT_INT_EQ(sio_packet_format(&b, &p, NULL), FERRY_ERR_INVAL);
	p.type = SIO_EVENT;
	p.endpoint = "a:b";
	p.endpoint_len = 3;
	ASSERT_INT_EQ(sio_packet_format(&b, &p, NULL), FERRY_ERR_INVAL);
	p.endpoint_len = 0;
	p.has_id = 1;
	p.id = SIO_ID_MAX + 1;
	ASSERT_INT_EQ(sio_packet_format(&b, &p, NULL), FERRY_ERR_INVAL);
	ASSERT_INT_EQ(b.len, 0);
	buf_free(&b);
}

static void
test_event_decode(void)
{
	static const struct {
		const char	*data;
		const char	*cause;
	} bads[] = {
		{ "", "not JSON" },
		{ "{\"name\":", "not JSON" },
		{ "[1]", "not a JSON object" },
		{ "{\"args\":[]}", "no string \"name\"" },
		{ "{\"name\":5}", "no string \"name\"" },
		{ "{\"name\":\"x\",\"args\":{}}", "\"args\" is not an array" },
		{ "{\"name\":\"x\",\"name\":\"y\"}", "duplicate" },
	};
	json_t	*e;
	char	*cause;
	size_t	 i;

	for (i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		cause = NULL;
		ASSERT_INT_EQ(sio_event_decode(bads[i].data,
		    strlen(bads[i].data), &e, &cause), FERRY_ERR_PARSE);
		ASSERT_STR_CONTAINS(cause, bads[i].cause);
		free(cause);
	}
	ASSERT_INT_EQ(sio_event_decode("{\"name\":\"n\"}", 12, &e, NULL), 0);
	ASSERT_INT_EQ(json_array_size(json_object_get(e, "args")), 0);
	ASSERT_TRUE(json_is_array(json_object_get(e, "args")));
	json_decref(e);
}

static void
test_event_roundtrip(void)
{
	struct sio_packet	 p;
	struct buf		 b;
	json_t			*args, *e;
	const char		*topic;

	buf_init(&b, 0);
	args = json_pack("[{s:s, s:{s:s}}]", "topic", "ftrack.action.launch",
	    "data", "note", "caf\xc3\xa9: \"quoted\"");
	ASSERT_INT_EQ(sio_event_format(&b, "ftrack.event", args, NULL), 0);
	ASSERT_STR_EQ(buf_str(&b), "5:::{\"name\":\"ftrack.event\",\"args\":"
	    "[{\"topic\":\"ftrack.action.launch\",\"data\":{\"note\":"
	    "\"caf\xc3\xa9: \\\"quoted\\\"\"}}]}");
	ASSERT_INT_EQ(sio_packet_parse(b.data, b.len, &p, NULL), 0);
	ASSERT_INT_EQ(p.type, SIO_EVENT);
	ASSERT_INT_EQ(sio_event_decode(p.data, p.data_len, &e, NULL), 0);
	ASSERT_TRUE(json_equal(json_object_get(e, "args"), args));
	topic = json_string_value(json_object_get(json_array_get(
	    json_object_get(e, "args"), 0), "topic"));
	ASSERT_STR_EQ(topic, "ftrack.action.launch");
	json_decref(e);
	buf_reset(&b);
	ASSERT_INT_EQ(sio_event_format(&b, "x", json_object_get(
	    json_array_get(args, 0), "data"), NULL), FERRY_ERR_INVAL);
	ASSERT_INT_EQ(sio_event_format(&b, "\xff", args, NULL),
	    FERRY_ERR_INVAL);
	json_decref(args);
	buf_free(&b);
}

static void
test_error_describe(void)
{
	struct sio_packet	p;
	char			out[64];

	ASSERT_INT_EQ(sio_packet_parse("7:::2+0", 7, &p, NULL), 0);
	sio_error_describe(&p, out, sizeof out);
	ASSERT_STR_EQ(out, "unauthorized (advice: reconnect)");
	ASSERT_INT_EQ(sio_packet_parse("7:::1", 5, &p, NULL), 0);
	sio_error_describe(&p, out, sizeof out);
	ASSERT_STR_EQ(out, "client not handshaken");
	ASSERT_INT_EQ(sio_packet_parse("7:::malformed\npacket", 20, &p, NULL),
	    0);
	sio_error_describe(&p, out, sizeof out);
	ASSERT_STR_EQ(out, "malformed?packet");
	ASSERT_STR_EQ(sio_type_name(SIO_ACK), "ack");
	ASSERT_STR_EQ(sio_type_name(42), "unknown");
}

int
main(void)
{
	test_parse_good();
	test_parse_bad();
	test_format_bad();
	test_event_decode();
	test_event_roundtrip();
	test_error_describe();
	return (TEST_DONE());
}
