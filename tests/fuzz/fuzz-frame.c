/*
 * libFuzzer target for the frame decoder. The first input byte picks a
 * chunk size, so that the fuzzer explores how frames are split across
 * reads as well as what they contain. Each chunk is copied into an
 * allocation of exactly its size, so that ASan catches any read past it.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blockmap-int.h"
#include "err.h"
#include "frame.h"
#include "msg-int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The session's message decoders must refuse, never misread, any payload. */
static void
fuzz_messages(const struct frame *f)
{
	struct msg_entry	 e;
	struct msg_plan		 p;
	struct msg_begin	 b;
	struct msg_end		 end;
	struct msg_ack		 a;
	struct msg_keepalive	 k;
	struct blockmap		*m;

	switch (f->type) {
	case FRAME_FILE_ENTRY:
		if (msg_entry_decode(f, &e, NULL) == 0)
			msg_entry_clear(&e);
		break;
	case FRAME_PLAN:
		if (msg_plan_decode(f, &p, NULL) == 0)
			msg_plan_clear(&p);
		break;
	case FRAME_FILE_BEGIN:
		(void)msg_begin_decode(f, &b, NULL);
		break;
	case FRAME_FILE_END:
		if (msg_end_decode(f, &end, NULL) == 0)
			msg_end_clear(&end);
		break;
	case FRAME_ACK:
		if (msg_ack_decode(f, &a, NULL) == 0)
			msg_ack_clear(&a);
		break;
	case FRAME_KEEPALIVE:
		(void)msg_keepalive_decode(f, &k, NULL);
		break;
	case FRAME_SIGNATURE:
		if (blockmap_parse(f->payload, f->len, &m, NULL) == 0)
			blockmap_free(m);
		break;
	default:
		break;
	}
}

static int
fuzz_check(const struct frame *f)
{
	struct frame_hello	h;
	volatile uint8_t	sink = 0;
	uint32_t		i;

	if (f->len > frame_type_max_len(f->type))
		abort();
	/* Touch every payload byte: ASan checks they are all in bounds. */
	for (i = 0; i < f->len; i++)
		sink ^= f->payload[i];
	if (f->type == FRAME_HELLO)
		(void)frame_hello_decode(f, &h, NULL);
	fuzz_messages(f);
	return (sink);
}

/* Feeds one exactly-sized chunk; returns the decoder's last result. */
static int
fuzz_chunk(struct frame_decoder *d, const uint8_t *chunk, size_t n)
{
	struct frame	f;
	size_t		used;
	int		r = 0;

	while (n > 0) {
		if ((r = frame_decode(d, chunk, n, &used, &f, NULL)) < 0)
			return (r);
		if (used > n)
			abort();
		if (r == 1)
			(void)fuzz_check(&f);
		else if (used != n)
			abort();	/* "need more" must take everything */
		chunk += used;
		n -= used;
	}
	return (r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_decoder	 d;
	uint8_t			*chunk;
	size_t			 step, n, off = 1;
	int			 r = 0;

	if (size < 1)
		return (0);
	step = (size_t)data[0] + 1;
	frame_decoder_init(&d);
	while (off < size && r >= 0) {
		n = size - off < step ? size - off : step;
		if ((chunk = malloc(n)) == NULL)
			break;
		memcpy(chunk, data + off, n);
		r = fuzz_chunk(&d, chunk, n);
		free(chunk);
		off += n;
	}
	frame_decoder_free(&d);
	return (0);
}
