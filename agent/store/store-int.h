/*
 * The store's private parts, shared by its files: store.c (the schema
 * and the tables) and store-seal.c (what protects the store at rest).
 */
#ifndef FERRY_STORE_INT_H
#define FERRY_STORE_INT_H

#include <stdint.h>

#include <sqlite3.h>

#include "db.h"

#define STORE_BUSY_MS	10000

struct store {
	struct db		*db;
	int64_t			 retry_base;
	int64_t			 retry_cap;
	int			 max_attempts;
	int			 sealing;	/* invites are sealed */
	unsigned char		 seal[32];	/* with this key */
};

int		 store_nomem(char **cause);

/*
 * store-seal.c: an invite's key as stored: sealed (AES-256 under the
 * store's seal key, set by store_set_seal) or, with no seal key, as is.
 * out may be in.
 */
int		 store_seal_key(struct store *st, const unsigned char *in,
		     unsigned char *out, int seal, char **cause);

#endif
