/*
 * hub-liststat.c: what a send's listing found of each file the hub sends
 * (size, mtime, mode), kept in memory for a few seconds so that the
 * dispatcher, planning the job right after, need not stat each source
 * again (docs/agent.md, "The listing's stat"). Never stored: a hub
 * restarted, a job queued longer than LISTSTAT_MS, a retry or anything
 * not found here is stat'ed as before. The hub's own; not for agents.
 */
#ifndef FERRY_HUB_LISTSTAT_H
#define FERRY_HUB_LISTSTAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/*
 * How long after its listing began a stat may stand for the file's:
 * rsync's quick check trusts its file list's stat for the whole run; the
 * sender here checks size and mtime against the file it opens anyway
 * (transfer/send.c, send_unchanged), so what this bounds is only how old
 * a version a no-op may take as delivered. 5 s covers a 20,000-file send
 * (listed and stored in well under a second) with room for a busy hub.
 */
#define LISTSTAT_MS		5000
/*
 * The memory all listings kept may hold at once, paths included: past it
 * a listing keeps no more (its later files are stat'ed by the
 * dispatcher). 32 MiB is some 300,000 files of 60-byte paths.
 */
#define LISTSTAT_MAX_BYTES	(32L << 20)

/* One listing's stats, built by its thread alone. */
struct liststat;

/* A listing beginning now; NULL when out of memory (nothing is kept). */
struct liststat	*liststat_new(void);
void		 liststat_free(struct liststat *ls);
/*
 * Notes that the listing found path (below root, a share root as
 * expand_path had it) a regular file with sb. Quietly keeps no more past
 * LISTSTAT_MAX_BYTES or on a lack of memory.
 */
void		 liststat_note(struct liststat *ls, const char *root,
		     const char *path, const struct stat *sb);
/*
 * Indexes ls for the dispatcher, once all is noted (liststat_publish
 * does it if need be; here without d->mu held). Notes after it are
 * not kept.
 */
void		 liststat_seal(struct liststat *ls);
/*
 * Hands ls (taken; NULL is fine) to the dispatcher as job's listing,
 * before that job can be planned (its row is there, its tasks not yet).
 * Caller holds d->mu.
 */
void		 liststat_publish(struct liststat *ls, int64_t job);
/*
 * The same for the next part of job's listing, stored while it is
 * listed (hub-jobstream.c): what was published of it before stays.
 */
void		 liststat_publish_more(struct liststat *ls, int64_t job);
/*
 * The size, mtime and mode job's own listing found for path below root,
 * within LISTSTAT_MS, into sb (only those fields): 0, and the note is
 * forgotten (a retry stats); -1 if there is none. Never another job's
 * note: a listing older than job's may have seen an older version of the
 * file than job's listing did (tests/agent/list-stat-two.sh). Caller
 * holds d->mu.
 */
int		 liststat_take(int64_t job, const char *root, const char *path,
		     struct stat *sb);

#endif
