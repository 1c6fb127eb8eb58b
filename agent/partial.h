/*
 * A destination's partial files, ".NAME.ferry-part" and ".NAME.ferry-meta"
 * beside NAME: removed when their job is cancelled, swept when old.
 */
#ifndef FERRY_PARTIAL_H
#define FERRY_PARTIAL_H

#include <stdint.h>

#include <jansson.h>

struct ferryd;

/* The default of partial-max-age (ferryd.conf): seven days. */
#define PARTIAL_MAX_AGE		(7 * 24 * 3600)

/* Removes the partial files of dst_path (absolute); how many. */
int	partial_discard(const char *dst_path);
/*
 * The same for each path of the JSON array paths (a page of a cancelled
 * job's), in one worker thread that takes the pages in turn, once this
 * daemon's transfers have ended (10 s at most), so that an aborting
 * receiver is not raced.
 */
void	partial_discard_later(struct ferryd *d, const json_t *paths);
/* Removes partial files in dir older than max_age seconds; how many. */
int	partial_sweep_dir(const char *dir, int64_t max_age);

/*
 * Before files arrive below root, the partial files older than max_age in
 * the directories they go to are swept: an interrupted job's that no one
 * resumed. Fed each file's name below root in turn (names of a directory
 * come together), it sweeps each directory once.
 */
struct partial_sweep {
	const char	*root;
	int64_t		 max_age;
	char		 last[4096];
};
void	partial_sweep_rel(struct partial_sweep *ps, const char *rel);

#endif
