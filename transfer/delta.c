#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librsync.h>

#include "delta-int.h"
#include "err.h"
#include "iobuf-int.h"

#define DELTA_OUT_SIZE	(64 * 1024)

struct delta {
	/*
	 * First, so that it starts a page (delta_alloc): librsync's patch
	 * reads the basis into it (iobuf-int.h).
	 */
	char		 out[DELTA_OUT_SIZE];
	rs_job_t	*job;
	const char	*what;		/* "signature", "delta", "patch" */
	int		 basis_fd;	/* patch only */
	int		 basis_errno;	/* set when reading the basis failed */
	int		 done;
};

struct delta_sig {
	rs_signature_t	*sums;
	size_t		 block_len;
};

static int
delta_alloc(const char *what, struct delta **out)
{
	struct delta	*d;

	/* Errors reach the caller as causes; librsync need not print them. */
	rs_trace_set_level(RS_LOG_EMERG);

	if ((d = iobuf_alloc(sizeof *d)) == NULL)
		return (FERRY_ERR_NOMEM);
	memset(d, 0, sizeof *d);
	d->what = what;
	d->basis_fd = -1;
	*out = d;
	return (0);
}

int
delta_sig_new(off_t basis_size, struct delta **out, char **cause)
{
	rs_magic_number	 magic = 0;
	size_t		 block_len = 0, strong_len = (size_t)-1;
	struct delta	*d;
	int		 r;

	*out = NULL;
	if (rs_sig_args(basis_size, &magic, &block_len, &strong_len) != RS_DONE)
		return (err_set(cause, FERRY_ERR_INTERNAL,
		    "librsync refused signature arguments for %jd bytes",
		    (intmax_t)basis_size));
	if ((r = delta_alloc("signature", &d)) != 0)
		return (r);
	if ((d->job = rs_sig_begin(block_len, strong_len, magic)) == NULL) {
		free(d);
		return (FERRY_ERR_NOMEM);
	}
	*out = d;
	return (0);
}

int
delta_sig_load(const void *data, size_t len, struct delta_sig **out,
    char **cause)
{
	struct delta_sig	*sig;
	rs_buffers_t		 b;
	rs_job_t		*job;
	rs_result		 res;

	*out = NULL;
	rs_trace_set_level(RS_LOG_EMERG);	/* as in delta_alloc */
	if ((sig = calloc(1, sizeof *sig)) == NULL)
		return (FERRY_ERR_NOMEM);
	if ((job = rs_loadsig_begin(&sig->sums)) == NULL) {
		free(sig);
		return (FERRY_ERR_NOMEM);
	}
	memset(&b, 0, sizeof b);
	b.next_in = (char *)(uintptr_t)data;
	b.avail_in = len;
	b.eof_in = 1;
	res = rs_job_iter(job, &b);
	rs_job_free(job);
	if (res == RS_DONE)
		res = rs_build_hash_table(sig->sums);
	if (res != RS_DONE) {
		delta_sig_free(sig);
		return (err_set(cause, FERRY_ERR_PARSE,
		    "bad signature (%zu bytes): %s", len, rs_strerror(res)));
	}
	/* The header is magic, block length, strong length: 32-bit BE. */
	if (len >= 8) {
		const unsigned char *h = data;

		sig->block_len = (size_t)h[4] << 24 | (size_t)h[5] << 16 |
		    (size_t)h[6] << 8 | h[7];
	}
	*out = sig;
	return (0);
}

void
delta_sig_free(struct delta_sig *sig)
{
	if (sig == NULL)
		return;
	if (sig->sums != NULL)
		rs_free_sumset(sig->sums);
	free(sig);
}

size_t
delta_sig_block_len(const struct delta_sig *sig)
{
	return (sig->block_len);
}

int
delta_delta_new(struct delta_sig *sig, struct delta **out, char **cause)
{
	struct delta	*d;
	int		 r;

	*out = NULL;
	if ((r = delta_alloc("delta", &d)) != 0)
		return (r);
	if ((d->job = rs_delta_begin(sig->sums)) == NULL) {
		free(d);
		return (err_set(cause, FERRY_ERR_NOMEM,
		    "cannot start a delta job"));
	}
	*out = d;
	return (0);
}

/* librsync asks for basis data at pos; we read it from the basis file. */
static rs_result
delta_copy_basis(void *arg, rs_long_t pos, size_t *len, void **buf)
{
	struct delta	*d = arg;
	ssize_t		 n;

	do
		n = pread(d->basis_fd, *buf, *len, (off_t)pos);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		d->basis_errno = errno;
		return (RS_IO_ERROR);
	}
	if (n == 0)
		return (RS_INPUT_ENDED);
	*len = (size_t)n;
	return (RS_DONE);
}

int
delta_patch_new(int basis_fd, struct delta **out, char **cause)
{
	struct delta	*d;
	int		 r;

	*out = NULL;
	if ((r = delta_alloc("patch", &d)) != 0)
		return (r);
	d->basis_fd = basis_fd;
	if ((d->job = rs_patch_begin(delta_copy_basis, d)) == NULL) {
		free(d);
		return (err_set(cause, FERRY_ERR_NOMEM,
		    "cannot start a patch job"));
	}
	*out = d;
	return (0);
}

int
delta_push(struct delta *d, const void *in, size_t len, int eof,
    delta_sink sink, void *arg, char **cause)
{
	rs_buffers_t	b;
	rs_result	res;
	size_t		produced, before;
	int		r;

	memset(&b, 0, sizeof b);
	b.next_in = (char *)(uintptr_t)in;
	b.avail_in = len;
	b.eof_in = eof;
	while (!d->done) {
		b.next_out = d->out;
		b.avail_out = sizeof d->out;
		before = b.avail_in;
		res = rs_job_iter(d->job, &b);
		produced = sizeof d->out - b.avail_out;
		if (produced > 0 && sink != NULL &&
		    (r = sink(arg, d->out, produced)) != 0)
			return (r);
		if (res == RS_DONE) {
			d->done = 1;
			break;
		}
		if (res != RS_BLOCKED) {
			if (d->basis_errno != 0)
				return (err_set(cause, FERRY_ERR_IO,
				    "reading the basis file: %s",
				    strerror(d->basis_errno)));
			return (err_set(cause, FERRY_ERR_PARSE, "%s: %s",
			    d->what, rs_strerror(res)));
		}
		/* Blocked: go on while it makes progress, else await input. */
		if (produced == 0 && b.avail_in == before) {
			if (eof)
				return (err_set(cause, FERRY_ERR_PARSE,
				    "%s: input ended early", d->what));
			break;
		}
	}
	if (d->done && b.avail_in > 0)
		return (err_set(cause, FERRY_ERR_PARSE,
		    "%s: %zu bytes of trailing data", d->what, b.avail_in));
	return (0);
}

int
delta_done(const struct delta *d)
{
	return (d->done);
}

void
delta_free(struct delta *d)
{
	if (d == NULL)
		return;
	if (d->job != NULL)
		rs_job_free(d->job);
	free(d);
}
