/*
 * libFuzzer target for the socket.io packet parser, the event decoder and
 * the event-hub expression parser: any bytes give a packet or an error
 * with a cause; a parsed packet formats to text that parses back to the
 * same fields; an expression compiles or is refused, and matches without
 * crashing.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "sio-int.h"
#include "subexpr-int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_same(const struct sio_packet *a, const struct sio_packet *b)
{
	if (a->type != b->type || a->has_id != b->has_id || a->id != b->id ||
	    a->ack_data != b->ack_data || a->has_data != b->has_data ||
	    a->endpoint_len != b->endpoint_len ||
	    a->data_len != b->data_len ||
	    memcmp(a->endpoint, b->endpoint, a->endpoint_len) != 0 ||
	    memcmp(a->data, b->data, a->data_len) != 0)
		abort();
}

static void
fuzz_packet(const char *text, size_t size)
{
	struct sio_packet	 p, q;
	struct buf		 b;
	json_t			*event;
	char			*cause = NULL, why[64];

	if (sio_packet_parse(text, size, &p, &cause) != 0) {
		if (cause == NULL)
			abort();
		free(cause);
		return;
	}
	buf_init(&b, 0);
	if (sio_packet_format(&b, &p, NULL) != 0 ||
	    sio_packet_parse(b.data, b.len, &q, NULL) != 0)
		abort();
	fuzz_same(&p, &q);
	buf_free(&b);
	if (p.type == SIO_EVENT) {
		if (sio_event_decode(p.data, p.data_len, &event, &cause) == 0) {
			if (!json_is_array(json_object_get(event, "args")))
				abort();
			json_decref(event);
		} else if (cause == NULL)
			abort();
		free(cause);
	}
	if (p.type == SIO_ERROR)
		sio_error_describe(&p, why, sizeof why);
}

static void
fuzz_expression(const char *text)
{
	static json_t	*event;
	struct subexpr	*e;
	char		*cause = NULL;

	if (event == NULL)
		event = json_pack("{s:s, s:{s:s, s:i}, s:{s:s}}", "topic",
		    "ftrack.action.launch", "data", "actionIdentifier",
		    "ferry.send", "n", 5, "source", "id", "web-1");
	if (subexpr_parse(text, &e, &cause) != 0) {
		if (cause == NULL)
			abort();
		free(cause);
		return;
	}
	(void)subexpr_match(e, event);
	subexpr_free(e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*copy;

	/* An exact-size copy: ASan sees any read past the end. */
	if ((copy = malloc(size > 0 ? size : 1)) == NULL)
		return (0);
	memcpy(copy, data, size);
	fuzz_packet(copy, size);
	free(copy);
	if ((copy = strndup((const char *)data, size)) == NULL)
		return (0);
	fuzz_expression(copy);
	free(copy);
	return (0);
}
