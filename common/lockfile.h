/*
 * A daemon's lock (docs/agent.md): an flock(2) on DIR/PROGRAM.lock that
 * holds the running daemon's pid, so that a second daemon on the same state
 * directory refuses to start and says who has it. The kernel drops the lock
 * when the holder dies, even by SIGKILL, so a restart needs no clean-up and
 * a stale pid in the file means nothing.
 */
#ifndef FERRY_LOCKFILE_H
#define FERRY_LOCKFILE_H

/*
 * Takes the lock on dir/program.lock (created mode 0600) without waiting,
 * writes our pid into it and stores its descriptor (close-on-exec) in
 * *fdp; keep it open for as long as the lock is needed. If another process
 * holds it, returns FERRY_ERR_EXIST with a cause such as
 * "another ferryd (pid 1234) is running on DIR" (program: "ferryd").
 * Other failures return FERRY_ERR_IO or FERRY_ERR_TOOBIG.
 */
int	lockfile_take(const char *dir, const char *program, int *fdp,
	    char **cause);

/* Releases the lock by closing fd; -1 is ignored. The file stays. */
void	lockfile_release(int fd);

#endif
