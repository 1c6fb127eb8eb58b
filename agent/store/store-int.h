/*
 * The store's private parts, shared by its files: store.c (the schema
 * and the tables) and store-seal.c (what protects the store at rest).
 */
#ifndef FERRY_STORE_INT_H
#define FERRY_STORE_INT_H

#include <stdint.h>

#include <sqlite3.h>

/* Prepared statements are kept for the life of the store, by SQL text. */
#define STORE_CACHE	96
#define STORE_BUSY_MS	10000

struct store_cached {
	const char	*sql;
	sqlite3_stmt	*stmt;
};

struct store {
	sqlite3			*db;
	int			 depth;		/* transaction nesting */
	int64_t			 retry_base;
	int64_t			 retry_cap;
	int			 max_attempts;
	struct store_cached	 cache[STORE_CACHE];
	size_t			 ncache;
	int			 sealing;	/* invites are sealed */
	unsigned char		 seal[32];	/* with this key */
};

/*
 * store.c: statements. store_q prepares (cached) and binds by fmt: i
 * int64, t text (NULL: NULL), h a STORE_HASH_LEN blob. store_step
 * answers 1 for a row, 0 at the end; store_exec runs to the end.
 */
int		 store_sqlerr(struct store *st, int rc, char **cause);
void		 store_reset(sqlite3_stmt *s);
int		 store_q(struct store *st, const char *sql, sqlite3_stmt **sp,
		     char **cause, const char *fmt, ...);
int		 store_step(struct store *st, sqlite3_stmt *s, char **cause);
int		 store_exec(struct store *st, sqlite3_stmt *s, char **cause);
int		 store_sql(struct store *st, const char *sql, char **cause);
const char	*store_col_str(sqlite3_stmt *s, int i);
int		 store_nomem(char **cause);
int		 store_begin(struct store *st, char **cause);
int		 store_end(struct store *st, int r, char **cause);

/*
 * store-seal.c: an invite's key as stored: sealed (AES-256 under the
 * store's seal key, set by store_set_seal) or, with no seal key, as is.
 * out may be in.
 */
int		 store_seal_key(struct store *st, const unsigned char *in,
		     unsigned char *out, int seal, char **cause);

#endif
