/*
 * Where the store tests keep a store: the SQLite file they name, or,
 * with FERRY_TEST_PG_URL set (tests/pg/store.sh sets it, after starting
 * a PostgreSQL of its own), a schema of that database named after the
 * file and its directory (mkdtemp's, so that runs never share one),
 * made on first use and chosen with search_path in the URL. The same
 * tests then run on both back ends.
 */
#ifndef FERRY_TEST_STORE_TARGET_H
#define FERRY_TEST_STORE_TARGET_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"

static inline int
test_store_pg(void)
{
	const char	*u = getenv("FERRY_TEST_PG_URL");

	return (u != NULL && *u != '\0');
}

/* The target for the file at path; a static buffer, like db_path's. */
static inline const char *
test_store_target(const char *path)
{
	static char	 out[4][1024];
	static int	 next;
	struct db	*db = NULL;
	const char	*url = getenv("FERRY_TEST_PG_URL");
	char		 schema[64], sql[160], *cause = NULL, *o;
	const char	*p;
	size_t		 n = 0;

	if (!test_store_pg())
		return (path);
	/* The last two components of path, in [a-z0-9_]. */
	p = path + strlen(path);
	while (p > path && n < 2)
		if (*--p == '/')
			n++;
	snprintf(schema, sizeof schema, "t_");
	for (o = schema + 2; *p != '\0' && o < schema + sizeof schema - 1;
	    p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
			*o++ = *p;
		else if (*p >= 'A' && *p <= 'Z')
			*o++ = (char)(*p - 'A' + 'a');
		else if (o[-1] != '_')
			*o++ = '_';
	}
	*o = '\0';
	snprintf(sql, sizeof sql, "CREATE SCHEMA IF NOT EXISTS %s", schema);
	if (db_open(url, 0, &db, &cause) != 0 ||
	    db_sql(db, sql, &cause) != 0) {
		fprintf(stderr, "%s: %s\n", url, cause ? cause : "failed");
		exit(1);
	}
	db_close(db);
	o = out[next++ % 4];
	snprintf(o, sizeof out[0], "%s%soptions=-csearch_path%%3D%s", url,
	    strchr(url, '?') != NULL ? "&" : "?", schema);
	return (o);
}

#endif
