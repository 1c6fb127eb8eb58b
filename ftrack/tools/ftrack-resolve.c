/*
 * ftrack-resolve: resolves a selection as ferry-ftrack's Send does and
 * prints the files, one JSON object a line (component_id, container_id,
 * path, basis). With --repeat N it resolves N times and prints how long
 * each took instead (for bench/ftrack). For TDs checking a setup; not
 * installed. Exit status: 0 done, 1 ftrack or the resolution failed, 2
 * bad usage or credentials.
 *
 *	ftrack-resolve --from hq --to la [--latest] assetversion:ID task:ID
 */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "credentials.h"
#include "err.h"
#include "ftq.h"
#include "log.h"
#include "resolve.h"
#include "rest.h"
#include "statedir.h"

#define EXIT_FAILED	1
#define EXIT_USAGE	2
#define REPEAT_MAX	10000

enum { OPT_STATE = 1, OPT_FROM, OPT_TO, OPT_PREFIX, OPT_LATEST,
    OPT_REPEAT };

static const struct option resolve_options[] = {
	CREDENTIALS_LONG_OPTIONS,
	{ "state", required_argument, NULL, OPT_STATE },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "prefix", required_argument, NULL, OPT_PREFIX },
	{ "latest", no_argument, NULL, OPT_LATEST },
	{ "repeat", required_argument, NULL, OPT_REPEAT },
	{ NULL, 0, NULL, 0 }
};

struct resolve_args {
	struct credentials_args	 cred;
	const char		*state;
	const char		*from;
	const char		*to;
	const char		*prefix;
	int			 latest;
	long			 repeat;	/* 0: print the files */
	json_t			*selection;
};

static int
resolve_usage(void)
{
	fprintf(stderr, "usage: ftrack-resolve %s\n"
	    "\t[--state DIR] --from LOCATION [--to LOCATION] [--prefix P]\n"
	    "\t[--latest] [--repeat N] TYPE:ID...\n", CREDENTIALS_USAGE);
	return (EXIT_USAGE);
}

/* "assetversion:ID" as a selection item. */
static int
resolve_item(json_t *selection, const char *arg)
{
	const char	*colon = strchr(arg, ':');
	json_t		*item;

	if (colon == NULL || colon == arg || colon[1] == '\0') {
		log_error("\"%s\" is not TYPE:ID", arg);
		return (-1);
	}
	item = json_pack("{s:s, s:s%}", "entityId", colon + 1, "entityType",
	    arg, (size_t)(colon - arg));
	if (item == NULL || json_array_append_new(selection, item) != 0) {
		log_error("\"%s\" is not UTF-8", arg);
		return (-1);
	}
	return (0);
}

static int
resolve_option(struct resolve_args *a, int opt, const char *arg)
{
	char	*end;

	if (credentials_option(&a->cred, opt, arg))
		return (0);
	switch (opt) {
	case OPT_STATE:
		a->state = arg;
		return (0);
	case OPT_FROM:
		a->from = arg;
		return (0);
	case OPT_TO:
		a->to = arg;
		return (0);
	case OPT_PREFIX:
		a->prefix = arg;
		return (0);
	case OPT_LATEST:
		a->latest = 1;
		return (0);
	case OPT_REPEAT:
		a->repeat = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || a->repeat < 1 ||
		    a->repeat > REPEAT_MAX) {
			log_error("--repeat: \"%s\" is not 1 to %d", arg,
			    REPEAT_MAX);
			return (-1);
		}
		return (0);
	}
	return (-1);
}

static int
resolve_parse(struct resolve_args *a, int argc, char **argv)
{
	int	opt, i;

	memset(a, 0, sizeof *a);
	credentials_args_init(&a->cred);
	while ((opt = getopt_long(argc, argv, "", resolve_options, NULL)) != -1)
		if (resolve_option(a, opt, optarg) != 0)
			return (-1);
	if (a->from == NULL || optind == argc ||
	    (a->selection = json_array()) == NULL)
		return (-1);
	for (i = optind; i < argc; i++) {
		if (resolve_item(a->selection, argv[i]) != 0)
			return (-1);
	}
	return (0);
}

/* A location's id from its name (or the id itself, if no name matches). */
static int
resolve_location(struct rest *r, const char *name, char **idp)
{
	json_t	*rows = NULL;
	char	*expr = NULL, *cause = NULL;
	int	 e;

	if ((e = ftq_format(&expr, &cause, "select id from Location where "
	    "name is %q", name)) == 0)
		e = rest_query(r, expr, &rows, &cause);
	free(expr);
	if (e != 0) {
		log_error("%s", cause != NULL ? cause : err_str(e));
		free(cause);
		return (-1);
	}
	*idp = strdup(json_array_size(rows) == 1 ? json_string_value(
	    json_object_get(json_array_get(rows, 0), "id")) : name);
	json_decref(rows);
	return (*idp == NULL ? -1 : 0);
}

static void
resolve_print(const struct resolve_result *res)
{
	json_t	*o;
	size_t	 i;

	for (i = 0; i < res->n; i++) {
		o = json_pack("{s:s, s:s?, s:s, s:s?}", "component_id",
		    res->v[i].component_id, "container_id",
		    res->v[i].container_id, "path", res->v[i].path, "basis",
		    res->v[i].basis);
		if (o != NULL)
			json_dumpf(o, stdout, 0);
		fputc('\n', stdout);
		json_decref(o);
	}
}

static size_t
resolve_bases(const struct resolve_result *res)
{
	size_t	i, n = 0;

	for (i = 0; i < res->n; i++)
		n += res->v[i].basis != NULL;
	return (n);
}

static double
resolve_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6);
}

/* One resolution; its time and requests go to stdout with --repeat. */
static int
resolve_once(struct rest *r, const struct resolve_args *a,
    const struct resolve_opts *o)
{
	struct resolve_result	res;
	struct rest_stats	before, after;
	char			*cause = NULL;
	double			 t;
	int			 e;

	rest_get_stats(r, &before);
	t = resolve_now_ms();
	e = resolve_selection(r, a->selection, o, &res, &cause);
	t = resolve_now_ms() - t;
	rest_get_stats(r, &after);
	if (e != 0) {
		log_error("%s", cause != NULL ? cause : err_str(e));
		free(cause);
		return (EXIT_FAILED);
	}
	if (a->repeat == 0)
		resolve_print(&res);
	else
		printf("{\"ms\": %.3f, \"files\": %zu, \"bases\": %zu, "
		    "\"requests\": %lu}\n", t, res.n, resolve_bases(&res),
		    after.requests - before.requests);
	resolve_result_clear(&res);
	return (0);
}

static int
resolve_run(const struct resolve_args *a, struct rest *r)
{
	struct resolve_opts	 o;
	char			*from = NULL, *to = NULL;
	long			 i;
	int			 status = EXIT_FAILED;

	memset(&o, 0, sizeof o);
	if (resolve_location(r, a->from, &from) != 0 || (a->to != NULL &&
	    resolve_location(r, a->to, &to) != 0))
		goto out;
	o.source_location_id = from;
	o.dest_location_id = to;
	o.source_prefix = a->prefix;
	o.latest_only = a->latest;
	status = 0;
	for (i = 0; i < (a->repeat > 0 ? a->repeat : 1) && status == 0; i++)
		status = resolve_once(r, a, &o);
out:
	free(from);
	free(to);
	return (status);
}

int
main(int argc, char **argv)
{
	struct resolve_args	 a;
	struct credentials	 c;
	struct rest_opts	 opts;
	struct rest		*r = NULL;
	char			*cause = NULL;
	int			 e, status;

	log_init("ftrack-resolve", LOG_LEVEL_INFO, 0);
	if (resolve_parse(&a, argc, argv) != 0) {
		json_decref(a.selection);
		return (resolve_usage());
	}
	if (credentials_key_in_argv(&a.cred))
		log_warnx("%s", CREDENTIALS_ARGV_WARNING);
	if (credentials_resolve(&a.cred, statedir_choose(a.state), &c,
	    &cause) != 0) {
		log_error("%s", cause);
		free(cause);
		json_decref(a.selection);
		return (EXIT_USAGE);
	}
	rest_opts_init(&opts);
	opts.url = c.url;
	opts.user = c.user;
	opts.api_key = c.api_key;
	if ((e = rest_global_init(&cause)) == 0)
		e = rest_new(&opts, &r, &cause);
	if (e != 0) {
		log_error("%s", cause != NULL ? cause : err_str(e));
		status = EXIT_USAGE;
	} else
		status = resolve_run(&a, r);
	free(cause);
	rest_free(r);
	credentials_clear(&c);
	json_decref(a.selection);
	rest_global_cleanup();
	return (status);
}
