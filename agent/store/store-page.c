/*
 * Pages of a job's tasks and of the job list: a reader (`ferry job ID`,
 * `ferry jobs --all`) asks for what follows a cursor, so that neither
 * the hub nor the reader ever holds a million rows at once.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include "db.h"
#include "err.h"
#include "store.h"
#include "store-int.h"

int
store_job_task_page(struct store *st, int64_t id, int64_t after,
    size_t limit, int (*cb)(void *, const struct store_task *), void *arg,
    char **cause)
{
	/* tasks_job (job_id, id) serves it: no sort, no scan of the job. */
	static const char	 sql[] = "SELECT id, job_id, dest, src_path,"
	    " dst_path, basis, size, priority, state, attempts, max_attempts,"
	    " next_try, bytes_done, last_progress, error, started, finished"
	    " FROM tasks WHERE job_id = ? AND id > ? ORDER BY id LIMIT ?";
	struct store_task	 t;
	struct db_stmt		*s;
	int			 r;

	if ((r = db_q(st->db, sql, &s, cause, "iii", id, after,
	    limit == 0 ? INT64_MAX : (int64_t)limit)) != 0)
		return (r);
	while ((r = db_step(st->db, s, cause)) == 1) {
		store_task_row(s, &t);
		if (cb(arg, &t) != 0) {
			db_reset(s);
			return (0);
		}
	}
	return (r);
}
