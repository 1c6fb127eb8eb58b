/* Pieces of the session protocol that both sides use. */
#include "config.h"

#include <string.h>

#include "err.h"
#include "session-int.h"

int
session_hello(struct conn *c, uint64_t leave_out, uint64_t *features,
    char **cause)
{
	struct frame_hello	 ours = { FRAME_PROTO_VERSION,
				     FRAME_FEATURES & ~leave_out };
	struct frame_hello	 peer, agreed;
	struct frame		 f;
	struct buf		 b;
	int			 r;

	buf_init(&b, 0);
	r = frame_hello_encode(&b, &ours, cause);
	if (r == 0)
		r = conn_put(c, b.data, b.len, cause);
	buf_free(&b);
	if (r != 0 || (r = conn_flush(c, cause)) != 0)
		return (r);
	if ((r = conn_expect(c, FRAME_HELLO, &f, cause)) != 0 ||
	    (r = frame_hello_decode(&f, &peer, cause)) != 0)
		return (r);
	if ((r = frame_hello_negotiate(&ours, &peer, &agreed, cause)) != 0)
		return (r);
	if (features != NULL)
		*features = agreed.features;
	return (0);
}

void
session_error(struct conn *c, const char *msg)
{
	struct buf	b;
	size_t		n = strlen(msg);

	if (n > FRAME_MAX_CONTROL)
		n = FRAME_MAX_CONTROL;
	buf_init(&b, 0);
	if (frame_encode(&b, FRAME_ERROR, 0, msg, n, NULL) == 0 &&
	    conn_put(c, b.data, b.len, NULL) == 0)
		conn_flush(c, NULL);
	buf_free(&b);
}

void
session_note_failure(struct buf *failures, pthread_mutex_t *mu,
    const char *rel, const char *reason)
{
	pthread_mutex_lock(mu);
	/* Keep the message readable: the first few failures say enough. */
	if (failures->len < 2048)
		buf_printf(failures, "%s%s: %s", failures->len ? "; " : "",
		    rel, reason);
	pthread_mutex_unlock(mu);
}
