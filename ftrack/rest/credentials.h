/*
 * ftrack credentials, as ftrack pipelines pass them (docs/ftrack-rest.md):
 * the server URL, the API user and the API key, each taken from the first
 * of these that has it:
 *
 *   1. flags: --ftrack-url, --ftrack-user, --ftrack-api-key-file FILE
 *      (or --ftrack-api-key KEY, which other users can read in the
 *      process list: callers warn when credentials_key_in_argv());
 *   2. the environment: FTRACK_SERVER, FTRACK_API_USER, FTRACK_API_KEY
 *      (FTRACK_APIKEY, the old name, after it); empty means unset;
 *   3. the stored file STATEDIR/ftrack-credentials, written by an earlier
 *      run with --store-credentials, unless --no-stored-credentials. It is
 *      read only when 1 and 2 leave something missing, and refused when it
 *      is open to group or others or owned by someone else.
 *
 * --store-credentials saves the three values found (whatever their
 * source) in that file, mode 0600 from its creation, replaced atomically.
 * The key never appears in a cause.
 *
 * Public API of libftrackrest (with rest.h and ftq.h).
 */
#ifndef FERRY_CREDENTIALS_H
#define FERRY_CREDENTIALS_H

#include "secretfile.h"

#define CREDENTIALS_FILE	"ftrack-credentials"
/* The longest key file or stored file read. */
#define CREDENTIALS_MAX_FILE	SECRETFILE_MAX

#define CREDENTIALS_ARGV_WARNING "the API key given with --ftrack-api-key " \
	"can be read by other users of this machine in the process list; " \
	"use --ftrack-api-key-file FILE or FTRACK_API_KEY instead"

/* What the command line said; borrowed strings. */
struct credentials_args {
	const char	*url;
	const char	*user;
	const char	*api_key;
	const char	*api_key_file;
	int		 store;
	int		 no_stored;
};

/* The values found, and where each came from (for messages). */
struct credentials {
	char	*url;
	char	*user;
	char	*api_key;	/* never log it */
	char	*url_from;	/* "--ftrack-url", "FTRACK_SERVER"... */
	char	*user_from;
	char	*key_from;
};

/* getopt_long() values, for programs that take these options. */
enum credentials_opt {
	CREDENTIALS_OPT_URL = 0x1000,
	CREDENTIALS_OPT_USER,
	CREDENTIALS_OPT_KEY,
	CREDENTIALS_OPT_KEY_FILE,
	CREDENTIALS_OPT_STORE,
	CREDENTIALS_OPT_NO_STORED,
};

/* Entries for a struct option array (include <getopt.h>). */
#define CREDENTIALS_LONG_OPTIONS \
	{ "ftrack-url", required_argument, NULL, CREDENTIALS_OPT_URL }, \
	{ "ftrack-user", required_argument, NULL, CREDENTIALS_OPT_USER }, \
	{ "ftrack-api-key", required_argument, NULL, CREDENTIALS_OPT_KEY }, \
	{ "ftrack-api-key-file", required_argument, NULL, \
	    CREDENTIALS_OPT_KEY_FILE }, \
	{ "store-credentials", no_argument, NULL, CREDENTIALS_OPT_STORE }, \
	{ "no-stored-credentials", no_argument, NULL, \
	    CREDENTIALS_OPT_NO_STORED }

#define CREDENTIALS_USAGE "[--ftrack-url URL] [--ftrack-user USER] " \
	"[--ftrack-api-key-file FILE] [--store-credentials] " \
	"[--no-stored-credentials]"

void	 credentials_args_init(struct credentials_args *a);
/* Takes one getopt_long() result; returns 1 if it was one of ours. */
int	 credentials_option(struct credentials_args *a, int opt,
	    const char *arg);
/* Whether the key was given on the command line (warn about it). */
int	 credentials_key_in_argv(const struct credentials_args *a);

/*
 * Finds the three values (statedir may be NULL: nothing stored) and, if
 * a->store, stores them. Returns 0, FERRY_ERR_NOTFOUND naming every value
 * missing and where it can come from, FERRY_ERR_AUTH for a stored or key
 * file open to others, FERRY_ERR_INVAL or FERRY_ERR_PARSE for a bad value
 * or file, FERRY_ERR_IO.
 */
int	 credentials_resolve(const struct credentials_args *a,
	    const char *statedir, struct credentials *c, char **cause);
/* Saves c in STATEDIR/ftrack-credentials (0600, atomically). */
int	 credentials_store(const char *statedir, const struct credentials *c,
	    char **cause);
/* Frees the strings and wipes the key; safe on a zeroed struct. */
void	 credentials_clear(struct credentials *c);

/*
 * credentials-file.c, the files themselves. A key file must not be open
 * to others; it holds the key on one line (trailing blanks dropped). The
 * stored file is JSON {"server_url", "api_user", "api_key"}, owned by us
 * with no group or other permission bits. Loading fills what the file has
 * (FERRY_ERR_NOTFOUND if there is no file); storing writes PATH.tmp with
 * mode 0600 and renames it over PATH.
 */
int	 credentials_file_read_key(const char *path, char **keyp,
	    char **cause);
int	 credentials_file_load(const char *path, struct credentials *c,
	    char **cause);
int	 credentials_file_store(const char *path,
	    const struct credentials *c, char **cause);

#endif
