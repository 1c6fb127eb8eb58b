/*
 * Bytes on the wire against bytes delivered, per job, for `ferry job`:
 * what the deltas (and unchanged files) saved. In memory only; the caller
 * holds d->mu for each.
 */
#ifndef FERRY_SAVED_H
#define FERRY_SAVED_H

#include <stdint.h>

#include <jansson.h>

/*
 * Transfer xfer_id carries files of job job_id between the agents of
 * keys send_fp and recv_fp (NULL: the hub's end; IDENTITY_FP_LEN bytes).
 */
void	saved_xfer_start(int64_t xfer_id, int64_t job_id,
	    const uint8_t *send_fp, const uint8_t *recv_fp);
/*
 * What transfer xfer_id carries: files of bytes in all (their planned
 * sizes), the bound of what its ends may say it moved. bytes is taken
 * as at most SAVED_BYTES_MAX, so that the bound on wire bytes (bytes and
 * a 64th more, and some per file) never overflows.
 */
#define SAVED_BYTES_MAX	(INT64_MAX / 4)
void	saved_xfer_plan(int64_t xfer_id, int64_t files, int64_t bytes);
/*
 * A job removed (its storing failed): what was kept of its transfers
 * goes, so that a job given its id again starts from nothing.
 */
void	saved_job_forget(int64_t job_id);
/*
 * The transfer.done of the agent of key fp: its bytes and wire_bytes,
 * counted once, and only from one of the transfer's ends (ids follow
 * the run every welcome carries: any agent can name another's), each
 * figure no more than the transfer carries (saved-end-forged.sh).
 */
void	saved_xfer_done(const json_t *msg, const uint8_t *fp);
/* Bytes the hub relayed between the agents for job_id (hub-splice.c). */
void	saved_relayed(int64_t job_id, uint64_t bytes);
/*
 * Adds "wire_bytes" and "sent_bytes" to obj when job_id's are known, and
 * "relayed_bytes" when the hub relayed some of it.
 */
void	saved_job_json(int64_t job_id, json_t *obj);

/*
 * Since the hub started: bytes delivered and on the wire, and how long
 * each transfer took from its start to its first report, as a histogram
 * (buckets[i] counts durations in (bucket_s[i-1], bucket_s[i]]; the last
 * slot those above every bound).
 */
#define SAVED_BUCKETS	10
extern const double saved_bucket_s[SAVED_BUCKETS];
struct saved_totals {
	int64_t	bytes;
	int64_t	wire;
	int64_t	xfers;
	double	sum_s;
	int64_t	buckets[SAVED_BUCKETS + 1];
};
void	saved_totals(struct saved_totals *out);

#endif
