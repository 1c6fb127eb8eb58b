/*
 * ferryd init --hub --site SITE --listen ADDR[:PORT] [--state DIR]
 *     [--store postgresql://... [--store-password-file FILE]]
 * Makes this machine the hub: state directory, identity, configuration,
 * an empty database with its own site, and hub.secret (secret.c). The
 * database is hub.db in the state directory, or with --store one on
 * PostgreSQL (docs/operations.md), whose password is never on argv.
 * --join makes a second hub of an existing PostgreSQL store, with a key
 * of its own and the store's hub.secret (--hub-secret FILE, copied).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "conf.h"
#include "db.h"
#include "err.h"
#include "ferryd.h"
#include "identity.h"
#include "statedir.h"
#include "store.h"

static int	cmd_init_exec(int, char **);

const struct ferryd_cmd ferryd_cmd_init = {
	.name = "init",
	.usage = "--hub --site SITE --listen ADDR[:PORT] [--state DIR] "
	    "[--store URL [--store-password-file FILE] "
	    "[--join --hub-secret FILE]]",
	.summary = "make this machine the hub",
	.exec = cmd_init_exec,
};

/* Creates and saves a new identity in state; prints its fingerprint. */
static int
init_identity(const char *state, const char *name, char **cause)
{
	struct identity	*id;
	char		 fp[IDENTITY_FP_STRLEN + 1];
	int		 r, created;

	if ((r = identity_init_dir(state, name, &id, &created, cause)) != 0)
		return (r);
	identity_fp_format(identity_fp(id), fp);
	identity_free(id);
	if (!created)
		return (err_set(cause, FERRY_ERR_EXIST, "%s holds an identity "
		    "already: this machine was set up before", state));
	printf("fingerprint %s\n", fp);
	return (0);
}

/* hub.secret, and hub.db's record of whose it is. */
static int
init_secret(const char *state, struct store *st, char **cause)
{
	struct identity	*id;
	int		 r;

	if ((r = identity_load_dir(state, &id, cause)) != 0)
		return (r);
	r = secret_init(state, st, identity_fp(id), cause);
	identity_free(id);
	return (r);
}

/*
 * This hub in the store's set of hubs, which agents pin (issue 17); its
 * address is updated at each start (public-address, hub-hubs.c).
 */
static int
init_register(const char *state, struct store *st, const char *addr,
    char **cause)
{
	struct identity	*id;
	char		 fp[IDENTITY_FP_STRLEN + 1];
	int		 r;

	if ((r = identity_load_dir(state, &id, cause)) != 0)
		return (r);
	identity_fp_format(identity_fp(id), fp);
	identity_free(id);
	return (store_hub_add(st, fp, addr, clock_now(), cause));
}

/*
 * A PostgreSQL store must answer and be empty of ferry, unless this hub
 * joins it (--join): then it must hold a ferry store already.
 */
static int
init_store_check(const char *target, const char *pwfile, int join,
    char **cause)
{
	struct store	*st = NULL;
	char		*why = NULL;
	int		 r;

	if (!db_is_url(target))
		return (0);
	r = store_open_with(target, pwfile, 0, &st, &why);
	store_close(st);
	if (r == 0 && join)
		return (0);
	if (r == FERRY_ERR_STATE && join) {
		free(why);
		return (err_set(cause, FERRY_ERR_NOTFOUND, "%s holds no ferry "
		    "hub store to join: make the first hub without --join",
		    target));
	}
	if (r == 0)
		return (err_set(cause, FERRY_ERR_EXIST, "%s holds a ferry hub "
		    "store already: a second hub of it is made with --join "
		    "and --hub-secret (docs/operations.md)", target));
	if (r == FERRY_ERR_STATE) {
		free(why);
		return (0);
	}
	err_set(cause, r, "%s", why);
	free(why);
	return (r);
}

static int
cmd_init_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "hub", no_argument, NULL, 'h' },
		{ "site", required_argument, NULL, 's' },
		{ "listen", required_argument, NULL, 'l' },
		{ "state", required_argument, NULL, 'S' },
		{ "store", required_argument, NULL, 'D' },
		{ "store-password-file", required_argument, NULL, 'P' },
		{ "join", no_argument, NULL, 'J' },
		{ "hub-secret", required_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 }
	};
	struct conf	 c;
	struct store	*st = NULL;
	const char	*state = NULL, *secret = NULL;
	char		 db[4096], host[256], *cause = NULL, *h = NULL;
	int		 ch, hub = 0, port, r, join = 0;

	memset(&c, 0, sizeof c);
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h': hub = 1; break;
		case 's': c.site = optarg; break;
		case 'l': c.listen = optarg; break;
		case 'S': state = optarg; break;
		case 'D': c.store = optarg; break;
		case 'P': c.store_pwfile = optarg; break;
		case 'J': join = 1; break;
		case 'K': secret = optarg; break;
		default:
			ferryd_usage_error(&ferryd_cmd_init, "bad option");
			return (FERRYD_EXIT_USAGE);
		}
	}
	if (!hub || c.site == NULL || c.listen == NULL || optind != argc) {
		ferryd_usage_error(&ferryd_cmd_init, "%s", !hub ? "only a hub "
		    "is made with init; other agents use 'ferryd enroll'" :
		    "--site and --listen are needed");
		return (FERRYD_EXIT_USAGE);
	}
	if (conf_split_addr(c.listen, CONF_CONTROL_PORT, &h, &port,
	    &cause) != 0) {
		ferryd_usage_error(&ferryd_cmd_init, "--listen: %s", cause);
		return (FERRYD_EXIT_USAGE);
	}
	/* Kept as text at once, so that no refusal below leaks h. */
	snprintf(host, sizeof host, "%s:%d", h, port);
	free(h);
	if (c.store != NULL && !db_is_url(c.store)) {
		ferryd_usage_error(&ferryd_cmd_init, "--store takes a "
		    "postgresql:// URL (without it, the store is hub.db in the "
		    "state directory)");
		return (FERRYD_EXIT_USAGE);
	}
	if (c.store_pwfile != NULL && c.store == NULL) {
		ferryd_usage_error(&ferryd_cmd_init, "--store-password-file "
		    "goes with --store");
		return (FERRYD_EXIT_USAGE);
	}
	if (join != (secret != NULL) || (join && c.store == NULL)) {
		ferryd_usage_error(&ferryd_cmd_init, "--join (a second hub of "
		    "a PostgreSQL store) needs --store and --hub-secret, the "
		    "store's hub.secret copied from a hub of it");
		return (FERRYD_EXIT_USAGE);
	}
	if (c.store != NULL && !db_have_postgresql()) {
		fprintf(stderr, "ferryd: init: this ferryd was built without "
		    "PostgreSQL (configure --with-postgresql, libpq-dev)\n");
		return (FERRYD_EXIT_FAILED);
	}
	c.listen = host;
	c.role = "hub";
	c.name = c.site;
	state = statedir_choose(state);
	snprintf(db, sizeof db, "%s/hub.db", state);
	if (c.store != NULL)
		snprintf(db, sizeof db, "%s", c.store);
	/* The database first: a bad URL or password leaves nothing behind. */
	if ((r = init_store_check(db, c.store_pwfile, join, &cause)) != 0 ||
	    (r = statedir_open(state, &cause)) != 0 ||
	    (r = init_identity(state, c.site, &cause)) != 0 ||
	    (r = conf_save(state, &c, &cause)) != 0 ||
	    (r = store_open_with(db, c.store_pwfile, !join, &st,
	    &cause)) != 0 ||
	    (r = join ? secret_join(state, st, secret, &cause) :
	    init_secret(state, st, &cause)) != 0 ||
	    (!join && (r = store_site_add(st, c.site, clock_now(),
	    &cause)) != 0) ||
	    (r = init_register(state, st, host, &cause)) != 0) {
		fprintf(stderr, "ferryd: init: %s\n", cause ? cause :
		    err_str(r));
		free(cause);
		store_close(st);
		return (FERRYD_EXIT_FAILED);
	}
	store_close(st);
	if (join)
		printf("hub %s joined the store's hubs (agents learn it from "
		    "the active hub)\n", c.site);
	printf("hub %s ready in %s; start it with: ferryd run --state %s\n",
	    c.site, state, state);
	return (FERRYD_EXIT_OK);
}
