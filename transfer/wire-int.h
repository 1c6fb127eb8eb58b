/*
 * Big-endian integers and length-prefixed strings in frame payloads. A
 * reader never reads past its input: once a read would, the reader is
 * marked bad and every later read returns zero, so a decoder checks
 * wire_reader_ok() once at the end.
 */
#ifndef FERRY_WIRE_H
#define FERRY_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct wire_reader {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
	int		 bad;
};

void		 wire_reader_init(struct wire_reader *r, const void *p,
		     size_t len);
uint8_t		 wire_get_u8(struct wire_reader *r);
uint16_t	 wire_get_u16(struct wire_reader *r);
uint32_t	 wire_get_u32(struct wire_reader *r);
uint64_t	 wire_get_u64(struct wire_reader *r);
/* Copies n bytes to out (zeroes if they are not there). */
void		 wire_get_bytes(struct wire_reader *r, void *out, size_t n);
/*
 * A u16 length then that many bytes, returned as a new NUL-terminated
 * string (NULL and the reader marked bad if short, if the bytes hold a NUL,
 * or if memory runs out).
 */
char		*wire_get_str(struct wire_reader *r);
/* Whether every read succeeded and the whole input was consumed. */
int		 wire_reader_ok(const struct wire_reader *r);

int		 wire_put_u8(struct buf *b, uint8_t v);
int		 wire_put_u16(struct buf *b, uint16_t v);
int		 wire_put_u32(struct buf *b, uint32_t v);
int		 wire_put_u64(struct buf *b, uint64_t v);
/* s may be NULL (written as ""). FERRY_ERR_TOOBIG past 65535 bytes. */
int		 wire_put_str(struct buf *b, const char *s);

#endif
