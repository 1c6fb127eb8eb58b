/*
 * Opening the SQLite databases ferry keeps its durable state in (the
 * hub's store, ferry-ftrack's spool) the one way both need: the file
 * made 0600 before SQLite touches it, WAL mode (checked, not assumed),
 * synchronous=FULL so that a commit is on disk before anyone acts on it,
 * foreign keys on, and a busy timeout.
 */
#ifndef FERRY_DB_H
#define FERRY_DB_H

#include <sqlite3.h>

/* On failure *dbp is NULL and the cause names path. */
int	db_open(const char *path, int busy_ms, sqlite3 **dbp, char **cause);

#endif
