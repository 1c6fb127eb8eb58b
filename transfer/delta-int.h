/*
 * Streaming librsync jobs: a signature of a basis file, a delta of a new
 * file against a signature, and a patch of a basis with a delta. Each job
 * takes input in chunks of any size and hands its output to a sink as it
 * is produced, so no file is ever held whole in memory.
 *
 * Signatures use the block and strong-sum lengths rs_sig_args() recommends
 * for the basis size (never librsync's fixed 2 KiB default), with the
 * shortest safe strong sum: the end-to-end file checksum catches the rare
 * collision, and the transfer then resends the file whole.
 */
#ifndef FERRY_DELTA_H
#define FERRY_DELTA_H

#include <stddef.h>
#include <sys/types.h>

struct delta;
struct delta_sig;

/* Receives output; returns 0 or a negative FERRY_ERR_* code to stop. */
typedef int (*delta_sink)(void *arg, const void *data, size_t len);

/* A job that turns basis bytes (basis_size in all) into a signature. */
int	 delta_sig_new(off_t basis_size, struct delta **out, char **cause);

/*
 * Loads a whole signature (as made by delta_sig_new or `rdiff signature`)
 * and indexes it for delta_delta_new. Malformed input is refused.
 */
int	 delta_sig_load(const void *data, size_t len, struct delta_sig **out,
	     char **cause);
void	 delta_sig_free(struct delta_sig *sig);
/* The block length the signature was made with. */
size_t	 delta_sig_block_len(const struct delta_sig *sig);

/* A job that turns new-file bytes into a delta against sig (borrowed). */
int	 delta_delta_new(struct delta_sig *sig, struct delta **out,
	     char **cause);

/*
 * A job that turns delta bytes into the new file, copying unchanged data
 * from basis_fd (borrowed, read with pread).
 */
int	 delta_patch_new(int basis_fd, struct delta **out, char **cause);

/*
 * Feeds len bytes of input to the job (eof: this is the last of it) and
 * passes all output produced to sink. Returns 0, the sink's error, or
 * FERRY_ERR_PARSE with a cause for bad input (a truncated or corrupt
 * signature or delta, or a basis that is too short).
 */
int	 delta_push(struct delta *d, const void *in, size_t len, int eof,
	     delta_sink sink, void *arg, char **cause);
/* Whether the job has produced all its output. */
int	 delta_done(const struct delta *d);
void	 delta_free(struct delta *d);

#endif
