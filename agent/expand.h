/*
 * What a path given to `ferry send` names: the file itself, every regular
 * file below a directory, or every frame of an image sequence. The hub
 * expands paths of its own site; an agent expands paths of its own when
 * the hub asks it to list them.
 */
#ifndef FERRY_EXPAND_H
#define FERRY_EXPAND_H

#include <sys/stat.h>

typedef int (*expand_fn)(const char *path, const struct stat *sb,
    void *arg);

/*
 * Calls add for every regular file path names, in directory order. Stops
 * at the first nonzero return of add and returns it. Anything that is
 * neither a file nor a directory fails with a cause naming it.
 */
int	expand_path(const char *path, expand_fn add, void *arg, char **cause);

#endif
