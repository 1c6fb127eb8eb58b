#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "msg-int.h"
#include "wire-int.h"

/* Wraps the payload in p as one frame of type at the end of out. */
static int
msg_frame(struct buf *out, int type, struct buf *p)
{
	int	r;

	r = frame_encode(out, type, 0, p->data, p->len, NULL);
	buf_free(p);
	return (r);
}

static int
msg_bad(const struct frame *f, char **cause, const char *why)
{
	return (err_set(cause, FERRY_ERR_PROTO, "malformed %s frame (%u "
	    "bytes): %s", frame_type_name(f->type), f->len, why));
}

int
msg_entry_encode(struct buf *out, const struct msg_entry *m)
{
	struct buf	p;
	int		r;

	buf_init(&p, 0);
	if ((r = wire_put_u32(&p, m->id)) != 0 ||
	    (r = wire_put_u8(&p, m->type)) != 0 ||
	    (r = wire_put_u8(&p, m->flags)) != 0 ||
	    (r = wire_put_u32(&p, m->mode)) != 0 ||
	    (r = wire_put_u64(&p, m->size)) != 0 ||
	    (r = wire_put_u64(&p, (uint64_t)m->mtime_sec)) != 0 ||
	    (r = wire_put_u32(&p, m->mtime_nsec)) != 0 ||
	    (r = wire_put_str(&p, m->path)) != 0 ||
	    (r = wire_put_str(&p, m->link)) != 0 ||
	    (r = wire_put_str(&p, m->basis)) != 0 ||
	    (r = buf_add(&p, m->hash, MSG_HASH_LEN)) != 0) {
		buf_free(&p);
		return (r);
	}
	return (msg_frame(out, FRAME_FILE_ENTRY, &p));
}

int
msg_entry_decode(const struct frame *f, struct msg_entry *m, char **cause)
{
	struct wire_reader	r;

	memset(m, 0, sizeof *m);
	wire_reader_init(&r, f->payload, f->len);
	m->id = wire_get_u32(&r);
	m->type = wire_get_u8(&r);
	m->flags = wire_get_u8(&r);
	m->mode = wire_get_u32(&r);
	m->size = wire_get_u64(&r);
	m->mtime_sec = (int64_t)wire_get_u64(&r);
	m->mtime_nsec = wire_get_u32(&r);
	m->path = wire_get_str(&r);
	m->link = wire_get_str(&r);
	m->basis = wire_get_str(&r);
	wire_get_bytes(&r, m->hash, MSG_HASH_LEN);
	if (!wire_reader_ok(&r)) {
		msg_entry_clear(m);
		return (msg_bad(f, cause, "short, long or holds a NUL"));
	}
	if (m->type < MSG_ENTRY_FILE || m->type > MSG_ENTRY_SYMLINK ||
	    (m->flags & ~(MSG_ENTRY_FORCE_WHOLE | MSG_ENTRY_HAS_HASH |
	    MSG_ENTRY_WANT_RSYNC | MSG_ENTRY_STRIPE)) != 0 ||
	    (m->mode & ~07777u) != 0 || m->mtime_nsec >= 1000000000u) {
		msg_entry_clear(m);
		return (msg_bad(f, cause, "unknown type, flags or mode bits"));
	}
	return (0);
}

void
msg_entry_clear(struct msg_entry *m)
{
	free(m->path);
	free(m->link);
	free(m->basis);
	memset(m, 0, sizeof *m);
}

int
msg_plan_encode(struct buf *out, const struct msg_plan *m)
{
	struct buf	p;
	int		r;

	buf_init(&p, 0);
	if ((r = wire_put_u32(&p, m->id)) != 0 ||
	    (r = wire_put_u8(&p, m->action)) != 0 ||
	    (r = wire_put_u64(&p, m->offset)) != 0 ||
	    (r = buf_add(&p, m->prefix_hash, MSG_HASH_LEN)) != 0 ||
	    (r = wire_put_str(&p, m->reason)) != 0) {
		buf_free(&p);
		return (r);
	}
	return (msg_frame(out, FRAME_PLAN, &p));
}

int
msg_plan_decode(const struct frame *f, struct msg_plan *m, char **cause)
{
	struct wire_reader	r;

	memset(m, 0, sizeof *m);
	wire_reader_init(&r, f->payload, f->len);
	m->id = wire_get_u32(&r);
	m->action = wire_get_u8(&r);
	m->offset = wire_get_u64(&r);
	wire_get_bytes(&r, m->prefix_hash, MSG_HASH_LEN);
	m->reason = wire_get_str(&r);
	if (!wire_reader_ok(&r) || m->action > MSG_PLAN_STRIPE) {
		msg_plan_clear(m);
		return (msg_bad(f, cause, "bad length or unknown action"));
	}
	return (0);
}

void
msg_plan_clear(struct msg_plan *m)
{
	free(m->reason);
	memset(m, 0, sizeof *m);
}

int
msg_begin_encode(struct buf *out, const struct msg_begin *m)
{
	struct buf	p;
	int		r;

	buf_init(&p, 0);
	if ((r = wire_put_u32(&p, m->id)) != 0 ||
	    (r = wire_put_u8(&p, m->action)) != 0 ||
	    (r = wire_put_u64(&p, m->offset)) != 0) {
		buf_free(&p);
		return (r);
	}
	return (msg_frame(out, FRAME_FILE_BEGIN, &p));
}

int
msg_begin_decode(const struct frame *f, struct msg_begin *m, char **cause)
{
	struct wire_reader	r;

	memset(m, 0, sizeof *m);
	wire_reader_init(&r, f->payload, f->len);
	m->id = wire_get_u32(&r);
	m->action = wire_get_u8(&r);
	m->offset = wire_get_u64(&r);
	if (!wire_reader_ok(&r) || (m->action != MSG_PLAN_WHOLE &&
	    m->action != MSG_PLAN_DELTA && m->action != MSG_PLAN_STRIPE))
		return (msg_bad(f, cause, "bad length or unknown action"));
	return (0);
}

int
msg_end_encode(struct buf *out, const struct msg_end *m)
{
	struct buf	p;
	int		r;

	buf_init(&p, 0);
	if ((r = wire_put_u32(&p, m->id)) != 0 ||
	    (r = wire_put_u8(&p, m->status)) != 0 ||
	    (r = wire_put_u64(&p, m->size)) != 0 ||
	    (r = buf_add(&p, m->hash, MSG_HASH_LEN)) != 0 ||
	    (r = wire_put_str(&p, m->reason)) != 0) {
		buf_free(&p);
		return (r);
	}
	return (msg_frame(out, FRAME_FILE_END, &p));
}

int
msg_end_decode(const struct frame *f, struct msg_end *m, char **cause)
{
	struct wire_reader	r;

	memset(m, 0, sizeof *m);
	wire_reader_init(&r, f->payload, f->len);
	m->id = wire_get_u32(&r);
	m->status = wire_get_u8(&r);
	m->size = wire_get_u64(&r);
	wire_get_bytes(&r, m->hash, MSG_HASH_LEN);
	m->reason = wire_get_str(&r);
	if (!wire_reader_ok(&r) || m->status > MSG_END_RESCAN) {
		msg_end_clear(m);
		return (msg_bad(f, cause, "bad length or unknown status"));
	}
	return (0);
}

void
msg_end_clear(struct msg_end *m)
{
	free(m->reason);
	memset(m, 0, sizeof *m);
}

int
msg_ack_encode(struct buf *out, const struct msg_ack *m)
{
	struct buf	p;
	int		r;

	buf_init(&p, 0);
	if ((r = wire_put_u32(&p, m->id)) != 0 ||
	    (r = wire_put_u8(&p, m->status)) != 0 ||
	    (r = wire_put_str(&p, m->reason)) != 0) {
		buf_free(&p);
		return (r);
	}
	return (msg_frame(out, FRAME_ACK, &p));
}

int
msg_ack_decode(const struct frame *f, struct msg_ack *m, char **cause)
{
	struct wire_reader	r;

	memset(m, 0, sizeof *m);
	wire_reader_init(&r, f->payload, f->len);
	m->id = wire_get_u32(&r);
	m->status = wire_get_u8(&r);
	m->reason = wire_get_str(&r);
	if (!wire_reader_ok(&r) || m->status > MSG_ACK_FAILED) {
		msg_ack_clear(m);
		return (msg_bad(f, cause, "bad length or unknown status"));
	}
	return (0);
}

void
msg_ack_clear(struct msg_ack *m)
{
	free(m->reason);
	memset(m, 0, sizeof *m);
}

int
msg_end_of_batch(struct buf *out, int type)
{
	return (frame_encode(out, type, 0, NULL, 0, NULL));
}

int
msg_chunk_encode(struct buf *out, const struct msg_chunk *m)
{
	struct buf	p;
	int		r;

	buf_init(&p, 0);
	if ((r = wire_put_u32(&p, m->id)) != 0 ||
	    (r = wire_put_u32(&p, m->index)) != 0 ||
	    (r = wire_put_u64(&p, m->offset)) != 0 ||
	    (r = wire_put_u32(&p, m->length)) != 0) {
		buf_free(&p);
		return (r);
	}
	return (msg_frame(out, FRAME_CHUNK, &p));
}

int
msg_chunk_decode(const struct frame *f, struct msg_chunk *m, char **cause)
{
	struct wire_reader	r;

	memset(m, 0, sizeof *m);
	wire_reader_init(&r, f->payload, f->len);
	m->id = wire_get_u32(&r);
	m->index = wire_get_u32(&r);
	m->offset = wire_get_u64(&r);
	m->length = wire_get_u32(&r);
	if (!wire_reader_ok(&r) || m->length == 0)
		return (msg_bad(f, cause, "bad length"));
	return (0);
}

int
msg_keepalive_encode(struct buf *out, const struct msg_keepalive *m)
{
	struct buf	p;
	int		r;

	buf_init(&p, 0);
	if ((r = wire_put_u32(&p, m->id)) != 0 ||
	    (r = wire_put_u64(&p, m->done)) != 0) {
		buf_free(&p);
		return (r);
	}
	return (msg_frame(out, FRAME_KEEPALIVE, &p));
}

int
msg_keepalive_decode(const struct frame *f, struct msg_keepalive *m,
    char **cause)
{
	struct wire_reader	r;

	memset(m, 0, sizeof *m);
	wire_reader_init(&r, f->payload, f->len);
	m->id = wire_get_u32(&r);
	m->done = wire_get_u64(&r);
	if (!wire_reader_ok(&r))
		return (msg_bad(f, cause, "bad length"));
	return (0);
}
