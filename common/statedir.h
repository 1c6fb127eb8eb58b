/*
 * The daemon's state directory (docs/agent.md): chosen from --state, then
 * FERRY_STATE, then the default; created mode 0700, and refused when it is
 * open to group or others or owned by someone else, because it holds the
 * agent's private key and the local API socket.
 */
#ifndef FERRY_STATEDIR_H
#define FERRY_STATEDIR_H

#define STATEDIR_DEFAULT	"/var/lib/ferry"
#define STATEDIR_ENV		"FERRY_STATE"

/*
 * Returns arg if it is not NULL, else $FERRY_STATE if set and not empty,
 * else STATEDIR_DEFAULT. The string is borrowed: do not free it.
 */
const char	*statedir_choose(const char *arg);

/*
 * Creates dir with mode 0700 if it does not exist (its parent must), or
 * checks an existing one: a directory owned by the effective uid with no
 * group or other permission bits. Returns 0, FERRY_ERR_AUTH (wrong owner
 * or mode), FERRY_ERR_INVAL (not a directory) or FERRY_ERR_IO, with a
 * cause that names the path (and the mode or owner).
 */
int		 statedir_open(const char *dir, char **cause);

/*
 * Stores "dir/name" in *pathp, newly allocated. Returns 0,
 * FERRY_ERR_TOOBIG if the path would be longer than PATH_MAX, or
 * FERRY_ERR_NOMEM.
 */
int		 statedir_path(const char *dir, const char *name,
		     char **pathp, char **cause);

#endif
