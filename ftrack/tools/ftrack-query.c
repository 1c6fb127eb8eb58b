/*
 * ftrack-query: runs one query, or a batch of operations read from stdin,
 * against ftrack with the credentials ferry-ftrack would use, and prints
 * the JSON answer. For TDs checking a setup, and for the tests. Exit
 * status: 0 done, 1 ftrack or the network failed, 2 bad usage or
 * credentials.
 */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "credentials.h"
#include "err.h"
#include "log.h"
#include "rest.h"
#include "statedir.h"

#define EXIT_FAILED	1
#define EXIT_USAGE	2

enum { OPT_STATE = 1, OPT_ALL, OPT_PAGE_SIZE, OPT_TIMEOUT, OPT_RETRIES,
    OPT_INFO, OPT_BATCH };

static const struct option query_options[] = {
	CREDENTIALS_LONG_OPTIONS,
	{ "state", required_argument, NULL, OPT_STATE },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "page-size", required_argument, NULL, OPT_PAGE_SIZE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "server-info", no_argument, NULL, OPT_INFO },
	{ "batch", no_argument, NULL, OPT_BATCH },
	{ NULL, 0, NULL, 0 }
};

/* What to run, from the command line. */
struct query_args {
	struct credentials_args	 cred;
	struct rest_opts	 opts;
	const char		*state;
	const char		*expr;
	int			 all;
	int			 info;
	int			 batch;
};

static int
query_usage(void)
{
	fprintf(stderr, "usage: ftrack-query %s\n"
	    "\t[--state DIR] [--timeout MS] [--retries N]\n"
	    "\t[--all [--page-size N]] EXPRESSION | --server-info | --batch\n",
	    CREDENTIALS_USAGE);
	return (EXIT_USAGE);
}

/* A whole non-negative number for option name, or -1. */
static long
query_number(const char *name, const char *s)
{
	char	*end;
	long	 n;

	n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || n < 0 || n > INT_MAX) {
		log_error("--%s: \"%s\" is not a whole number", name, s);
		return (-1);
	}
	return (n);
}

static int
query_option(struct query_args *q, int opt, const char *arg)
{
	long	n;

	if (credentials_option(&q->cred, opt, arg))
		return (0);
	switch (opt) {
	case OPT_STATE:
		q->state = arg;
		return (0);
	case OPT_ALL:
		q->all = 1;
		return (0);
	case OPT_INFO:
		q->info = 1;
		return (0);
	case OPT_BATCH:
		q->batch = 1;
		return (0);
	case OPT_PAGE_SIZE:
		if ((n = query_number("page-size", arg)) == -1)
			return (-1);
		q->opts.page_size = (int)n;
		return (0);
	case OPT_TIMEOUT:
		if ((n = query_number("timeout", arg)) <= 0)
			return (-1);
		q->opts.timeout_ms = n;
		return (0);
	case OPT_RETRIES:
		if ((n = query_number("retries", arg)) == -1)
			return (-1);
		q->opts.retries = (int)n;
		return (0);
	}
	return (-1);
}

static int
query_parse(struct query_args *q, int argc, char **argv)
{
	int	opt;

	memset(q, 0, sizeof *q);
	credentials_args_init(&q->cred);
	rest_opts_init(&q->opts);
	q->opts.page_size = 0;
	while ((opt = getopt_long(argc, argv, "", query_options, NULL)) != -1)
		if (query_option(q, opt, optarg) != 0)
			return (-1);
	argc -= optind;
	argv += optind;
	if (q->info + q->batch + (argc == 1) != 1 || argc > 1)
		return (-1);
	q->expr = argc == 1 ? argv[0] : NULL;
	if (q->all && q->opts.page_size == 0)
		q->opts.page_size = REST_PAGE_SIZE;
	return (0);
}

/* Reads a JSON array of operations from stdin and runs it. */
static int
query_batch(struct rest *r, json_t **outp, char **cause)
{
	json_error_t	 jerr;
	json_t		*ops;
	int		 e;

	if ((ops = json_loadf(stdin, 0, &jerr)) == NULL)
		return (err_set(cause, FERRY_ERR_PARSE, "stdin: line %d, "
		    "column %d: %s", jerr.line, jerr.column, jerr.text));
	e = rest_call(r, ops, outp, cause);
	json_decref(ops);
	return (e);
}

static int
query_run(const struct query_args *q, struct rest *r)
{
	json_t	*out = NULL;
	char	*cause = NULL;
	int	 e;

	if (q->info)
		e = rest_server_info(r, &out, &cause);
	else if (q->batch)
		e = query_batch(r, &out, &cause);
	else if (q->all)
		e = rest_query_all(r, q->expr, &out, &cause);
	else
		e = rest_query(r, q->expr, &out, &cause);
	if (e != 0) {
		log_error("%s", cause != NULL ? cause : err_str(e));
		free(cause);
		return (e == FERRY_ERR_AUTH ? EXIT_USAGE : EXIT_FAILED);
	}
	json_dumpf(out, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(out);
	return (0);
}

int
main(int argc, char **argv)
{
	struct query_args	 q;
	struct credentials	 c;
	struct rest		*r = NULL;
	char			*cause = NULL;
	int			 e, status;

	log_init("ftrack-query", LOG_LEVEL_INFO, 0);
	if (query_parse(&q, argc, argv) != 0)
		return (query_usage());
	if (credentials_key_in_argv(&q.cred))
		log_warnx("%s", CREDENTIALS_ARGV_WARNING);
	if (credentials_resolve(&q.cred, statedir_choose(q.state), &c,
	    &cause) != 0) {
		log_error("%s", cause);
		free(cause);
		return (EXIT_USAGE);
	}
	q.opts.url = c.url;
	q.opts.user = c.user;
	q.opts.api_key = c.api_key;
	if ((e = rest_global_init(&cause)) == 0)
		e = rest_new(&q.opts, &r, &cause);
	if (e != 0) {
		log_error("%s", cause != NULL ? cause : err_str(e));
		free(cause);
		credentials_clear(&c);
		return (EXIT_USAGE);
	}
	status = query_run(&q, r);
	rest_free(r);
	credentials_clear(&c);
	rest_global_cleanup();
	return (status);
}
