/*
 * libFuzzer target for the WebSocket frame parser and the reassembly of
 * messages. The first input byte picks the chunk size (how the bytes are
 * split across reads) and whose frames they are; the second the message
 * limit. Each chunk is copied into an allocation of exactly its size, so
 * that ASan catches any read past it. Every message handed out must keep
 * the parser's promises.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ws-frame-int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_check(const struct ws_parser *p, const struct ws_msg *m)
{
	volatile uint8_t	sink = 0;
	size_t			i;

	for (i = 0; i <= m->len; i++)	/* the NUL after the data too */
		sink ^= m->data[i];
	if (m->data[m->len] != '\0')
		abort();
	switch (m->opcode) {
	case WS_OP_TEXT:
		if (!ws_utf8_valid(m->data, m->len) || m->len > p->max_msg)
			abort();
		break;
	case WS_OP_BINARY:
		if (m->len > p->max_msg)
			abort();
		break;
	case WS_OP_CLOSE:
		if (m->close_reason == NULL || (m->close_code != 1005 &&
		    (m->close_code < 1000 || m->close_code > 4999)))
			abort();
		/* FALLTHROUGH */
	case WS_OP_PING:
	case WS_OP_PONG:
		if (m->len > WS_CONTROL_MAX)
			abort();
		break;
	default:
		abort();
	}
	(void)sink;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ws_parser	 p;
	struct ws_msg		 m;
	uint8_t			*chunk;
	size_t			 step, n, off = 2;
	int			 r = 0;

	if (size < 2)
		return (0);
	step = (size_t)(data[0] & 0x7f) + 1;
	ws_parser_init(&p, (data[0] & 0x80) ? WS_FROM_CLIENT : WS_FROM_SERVER,
	    (size_t)data[1] * 64);
	while (off < size && r >= 0) {
		n = size - off < step ? size - off : step;
		if ((chunk = malloc(n)) == NULL)
			break;
		memcpy(chunk, data + off, n);
		r = ws_parser_feed(&p, chunk, n, NULL);
		free(chunk);
		off += n;
		while (r >= 0 && (r = ws_parser_next(&p, &m, NULL)) == 1)
			fuzz_check(&p, &m);
	}
	/* A failure is sticky, with a close status to send. */
	if (r < 0 && (ws_parser_next(&p, &m, NULL) != r ||
	    ws_parser_close_status(&p) < 1000))
		abort();
	ws_parser_free(&p);
	return (0);
}
