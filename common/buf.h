/*
 * A growable, always NUL-terminated byte buffer (the sshbuf / curl dynbuf
 * idea). Functions return 0 or FERRY_ERR_NOMEM / FERRY_ERR_TOOBIG and never
 * abort. A zeroed struct buf is a valid empty buffer.
 */
#ifndef FERRY_BUF_H
#define FERRY_BUF_H

#include <stddef.h>

struct buf {
	char	*data;	/* NUL-terminated; NULL while nothing was added */
	size_t	 len;	/* bytes used, not counting the NUL */
	size_t	 cap;	/* bytes allocated */
	size_t	 max;	/* refuse to grow past this many bytes; 0: no limit */
};

void	 buf_init(struct buf *b, size_t max);
int	 buf_add(struct buf *b, const void *data, size_t len);
int	 buf_addstr(struct buf *b, const char *s);
int	 buf_addch(struct buf *b, char c);
int	 buf_printf(struct buf *b, const char *fmt, ...)
	     __attribute__((format(FERRY_PRINTF_FORMAT, 2, 3)));
void	 buf_reset(struct buf *b);
/* Returns the string (never NULL: "" when empty) and hands it to the caller. */
char	*buf_detach(struct buf *b);
void	 buf_free(struct buf *b);
/* The contents as a string; "" when empty. Valid until the next change. */
const char *buf_str(const struct buf *b);

#endif
