/*
 * A streaming reader of librsync deltas that patches a cloned file in
 * place; see inplace.h.
 */
#define _GNU_SOURCE
#include "config.h"

#include <sys/ioctl.h>
#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/fs.h>
#endif

#include "blockmap-int.h"
#include "err.h"
#include "inplace.h"

#define RS_DELTA_MAGIC		0x72730236u	/* "rs\0026" */
#define RS_OP_END		0x00
#define RS_OP_LITERAL_64	0x40	/* 0x01-0x40: that many bytes follow */
#define RS_OP_LITERAL_N1	0x41	/* 0x41-0x44: a 1, 2, 4, 8-byte length */
#define RS_OP_COPY_N1_N1	0x45	/* 0x45-0x54: offset and length widths */
#define RS_OP_COPY_N8_N8	0x54

enum inplace_state {
	IP_MAGIC,		/* gathering the 4-byte magic */
	IP_CMD,			/* gathering a command and its parameters */
	IP_LITERAL,		/* lit bytes of literal data to come */
	IP_END
};

struct inplace {
	int		 basis_fd, out_fd;
	struct hash	*h;
	enum inplace_state st;
	uint8_t		 cmd[17];	/* op, then up to two 8-byte numbers */
	size_t		 ncmd, need;
	uint64_t	 lit;
	uint64_t	 pos;		/* offset of the next output byte */
	uint64_t	 written;
};

static const int width[4] = { 1, 2, 4, 8 };

int
inplace_clone(int out_fd, int basis_fd)
{
#ifdef FICLONE
	return (ioctl(out_fd, FICLONE, basis_fd));
#else
	(void)out_fd;
	(void)basis_fd;
	errno = EOPNOTSUPP;
	return (-1);
#endif
}

struct inplace *
inplace_new(int basis_fd, int out_fd, struct hash *h)
{
	struct inplace	*ip;

	if ((ip = calloc(1, sizeof *ip)) == NULL)
		return (NULL);
	ip->basis_fd = basis_fd;
	ip->out_fd = out_fd;
	ip->h = h;
	ip->need = 4;
	return (ip);
}

static int
inplace_write(struct inplace *ip, const uint8_t *p, size_t len, char **cause)
{
	ssize_t	n;

	hash_update(ip->h, p, len);
	while (len > 0) {
		if ((n = pwrite(ip->out_fd, p, len, (off_t)ip->pos)) == -1) {
			if (errno == EINTR)
				continue;
			return (err_set(cause, FERRY_ERR_IO, "writing: %s",
			    strerror(errno)));
		}
		p += n;
		len -= (size_t)n;
		ip->pos += (uint64_t)n;
		ip->written += (uint64_t)n;
	}
	return (0);
}

/*
 * COPY from the basis. In place, the clone holds the bytes already; they
 * are only read, for the checksum. Elsewhere the kernel copies them
 * (sharing extents where it can).
 */
static int
inplace_copy(struct inplace *ip, uint64_t from, uint64_t len, char **cause)
{
	loff_t	 in, out;
	ssize_t	 n;
	uint64_t left;

	if (from != ip->pos) {
		in = (loff_t)from;
		out = (loff_t)ip->pos;
		for (left = len; left > 0; left -= (uint64_t)n) {
			n = copy_file_range(ip->basis_fd, &in, ip->out_fd, &out,
			    left, 0);
			if (n == -1 && errno == EINTR) {
				n = 0;
				continue;
			}
			if (n <= 0)
				return (err_set(cause, n == 0 ? FERRY_ERR_PARSE :
				    FERRY_ERR_IO, "copying from the basis: %s",
				    n == 0 ? "the basis is too short" :
				    strerror(errno)));
		}
		ip->written += len;
	}
	if (hash_fd_range(ip->h, ip->basis_fd, from, len) != 0)
		return (err_set(cause, FERRY_ERR_PARSE, "reading the basis at "
		    "%ju: %s", (uintmax_t)from, errno ? strerror(errno) :
		    "too short"));
	ip->pos += len;
	return (0);
}

/* Sets how many parameter bytes the command in ip->cmd[0] needs. */
static int
inplace_op(struct inplace *ip, char **cause)
{
	uint8_t	op = ip->cmd[0];

	if (op == RS_OP_END) {
		ip->st = IP_END;
		return (0);
	}
	if (op <= RS_OP_LITERAL_64) {
		ip->lit = op;
		ip->st = IP_LITERAL;
		return (0);
	}
	if (op < RS_OP_COPY_N1_N1)
		ip->need = 1 + (size_t)width[op - RS_OP_LITERAL_N1];
	else if (op <= RS_OP_COPY_N8_N8)
		ip->need = 1 + (size_t)width[(op - RS_OP_COPY_N1_N1) / 4] +
		    (size_t)width[(op - RS_OP_COPY_N1_N1) % 4];
	else
		return (err_set(cause, FERRY_ERR_PARSE, "delta: unknown "
		    "command 0x%02x", op));
	return (0);
}

/* Runs the command in ip->cmd, whose parameters are all there. */
static int
inplace_cmd(struct inplace *ip, char **cause)
{
	uint8_t	op = ip->cmd[0];
	int	wa, wb;

	ip->ncmd = 0;
	if (op < RS_OP_COPY_N1_N1) {
		ip->lit = get_be(ip->cmd + 1, width[op - RS_OP_LITERAL_N1]);
		ip->st = IP_LITERAL;
		return (0);
	}
	wa = width[(op - RS_OP_COPY_N1_N1) / 4];
	wb = width[(op - RS_OP_COPY_N1_N1) % 4];
	ip->st = IP_CMD;
	ip->need = 1;
	return (inplace_copy(ip, get_be(ip->cmd + 1, wa),
	    get_be(ip->cmd + 1 + wa, wb), cause));
}

int
inplace_push(struct inplace *ip, const void *data, size_t len, char **cause)
{
	const uint8_t	*p = data;
	size_t		 n;
	int		 r;

	while (len > 0) {
		switch (ip->st) {
		case IP_END:
			return (err_set(cause, FERRY_ERR_PARSE, "delta: data "
			    "after its end"));
		case IP_LITERAL:
			n = ip->lit < len ? (size_t)ip->lit : len;
			if ((r = inplace_write(ip, p, n, cause)) != 0)
				return (r);
			p += n;
			len -= n;
			if ((ip->lit -= n) == 0) {
				ip->st = IP_CMD;
				ip->need = 1;
			}
			continue;
		case IP_MAGIC:
		case IP_CMD:
			break;
		}
		n = ip->need - ip->ncmd < len ? ip->need - ip->ncmd : len;
		memcpy(ip->cmd + ip->ncmd, p, n);
		ip->ncmd += n;
		p += n;
		len -= n;
		if (ip->ncmd < ip->need)
			continue;
		if (ip->st == IP_MAGIC) {
			if (get_be(ip->cmd, 4) != RS_DELTA_MAGIC)
				return (err_set(cause, FERRY_ERR_PARSE,
				    "delta: bad magic"));
			ip->st = IP_CMD;
			ip->ncmd = 0;
			ip->need = 1;
		} else if (ip->ncmd == 1) {
			if ((r = inplace_op(ip, cause)) != 0)
				return (r);
			if (ip->st != IP_CMD)
				ip->ncmd = 0;
		} else if ((r = inplace_cmd(ip, cause)) != 0)
			return (r);
	}
	/* A literal of length 0 (LITERAL_N with 0) ends at once. */
	if (ip->st == IP_LITERAL && ip->lit == 0) {
		ip->st = IP_CMD;
		ip->need = 1;
	}
	return (0);
}

int
inplace_finish(struct inplace *ip, char **cause)
{
	if (ip->st != IP_END)
		return (err_set(cause, FERRY_ERR_PARSE, "the delta ended "
		    "early"));
	if (ftruncate(ip->out_fd, (off_t)ip->pos) == -1)
		return (err_set(cause, FERRY_ERR_IO, "truncating: %s",
		    strerror(errno)));
	return (0);
}

uint64_t
inplace_size(const struct inplace *ip)
{
	return (ip->pos);
}

uint64_t
inplace_written(const struct inplace *ip)
{
	return (ip->written);
}

void
inplace_free(struct inplace *ip)
{
	free(ip);
}
