/*
 * What a receiver already holds for an entry: the file itself, identical
 * to what is offered; a partial file from an earlier, interrupted try; a
 * basis for a delta. Private to recv.c.
 */
#ifndef FERRY_HELD_H
#define FERRY_HELD_H

#include <stdint.h>
#include <sys/stat.h>

#include "hash-int.h"
#include "msg-int.h"

/*
 * Whether the file at dirfd/base (sb) is the entry already. fn (may be
 * NULL) is told of each read of a content hash; when it stops the
 * hashing, the answer is 0.
 */
int		 held_identical(int dirfd, const char *base,
		     const struct stat *sb, const struct msg_entry *e,
		     hash_beat_fn fn, void *arg);
/*
 * The bytes held in base's partial file, if its sidecar says they belong
 * to this version of e, and their checksum in prefix; 0 otherwise (and
 * the partial file is removed). fn as for held_identical: when it stops
 * the hashing, 0, and the partial file stays.
 */
uint64_t	 held_partial(int dirfd, const char *base,
		     const struct msg_entry *e, uint8_t prefix[HASH_LEN],
		     hash_beat_fn fn, void *arg);
int		 held_basis(int rootfd, const char *rel, int flags, int *code,
		     char **why);
/*
 * ferry's own files in flight (partial file, sidecar) below dirfd, which
 * others may write in. held_create removes whatever has the name (a file,
 * a hard link, a symlink someone planted) and makes a new file, 0600, with
 * O_EXCL: flags is the access mode, with O_APPEND if wanted. held_reopen
 * opens one for resuming, only if the receiver made it: a regular file of
 * its uid with one link (else -1, errno EPERM). Both follow no symlink.
 */
int		 held_create(int dirfd, const char *name, int flags);
int		 held_reopen(int dirfd, const char *name, int flags);
/*
 * Whether name below dirfd is still the file sb describes (st_dev and
 * st_ino), so that a rename by name moves the file that was checked.
 */
int		 held_same(int dirfd, const char *name, const struct stat *sb);

#endif
