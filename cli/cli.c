/*
 * What every subcommand shares (cli.h): its messages and usage line, the
 * local API request, JSON output and ferryd.conf lookups. Below the
 * commands, which call it, and ferry.c, which calls the commands.
 */
#include "config.h"

#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "err.h"
#include "jsonline.h"
#include "statedir.h"

void
cli_error(const struct cmd_entry *cmd, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "ferry: %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_usage(const struct cmd_entry *cmd)
{
	fprintf(stderr, "ferry: %s: usage: ferry %s %s\n", cmd->name,
	    cmd->name, cmd->usage);
	return (CLI_EXIT_USAGE);
}

char *
cli_conf_get(const char *state, const char *key)
{
	char	 path[4096], line[1024], *v, *out = NULL;
	FILE	*f;

	snprintf(path, sizeof path, "%s/ferryd.conf", statedir_choose(state));
	if ((f = fopen(path, "r")) == NULL)
		return (NULL);
	while (out == NULL && fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n#")] = '\0';
		if ((v = strchr(line, ' ')) == NULL)
			continue;
		*v++ = '\0';
		if (strcmp(line, key) == 0)
			out = strdup(v + strspn(v, " \t"));
	}
	fclose(f);
	return (out);
}

void
cli_json_print(const json_t *obj)
{
	json_t		*copy = json_deep_copy(obj);
	const char	*st;
	char		*text;

	if (copy != NULL && json_is_object(copy)) {
		st = json_string_value(json_object_get(copy, "state"));
		if (st != NULL && json_object_get(copy, "files") != NULL)
			json_object_set_new(copy, "done", json_boolean(
			    strcmp(st, "done") == 0));
		else
			json_object_del(copy, "done");
	}
	text = copy != NULL ? json_dumps(copy, JSON_COMPACT) : NULL;
	printf("%s\n", text ? text : "{}");
	free(text);
	json_decref(copy);
}

const char *
cli_who(const char *who, char *buf, size_t n)
{
	struct passwd	*pw;
	char		*end;
	unsigned long	 uid;

	if (who == NULL)
		return ("");
	if (strncmp(who, "uid ", 4) != 0)
		return (who);
	uid = strtoul(who + 4, &end, 10);
	if (end == who + 4 || *end != '\0' || (pw = getpwuid((uid_t)uid)) ==
	    NULL)
		return (who);
	snprintf(buf, n, "%s", pw->pw_name);
	return (buf);
}

/*
 * One daemon's answer: FERRY_ERR_UNREACHABLE before anything was asked
 * (no socket, nobody on it) or when it is a standby hub, which takes
 * nothing but status.
 */
static int
cli_request_one(const char *state, const json_t *req, json_t **rep,
    char **cause)
{
	struct jsonline_conn	*c = NULL;
	char			 path[4096];
	int			 r;

	snprintf(path, sizeof path, "%s/%s", state, JSONLINE_SOCKET_NAME);
	if ((r = jsonline_connect(path, &c, cause)) != 0) {
		jsonline_free(c);
		return (FERRY_ERR_UNREACHABLE);
	}
	if ((r = jsonline_request(c, req, cause)) == 0) {
		/* Progress lines may come first; the last says "done". */
		do {
			json_decref(*rep);
			*rep = NULL;
		} while ((r = jsonline_recv(c, rep, cause)) == 0 &&
		    !jsonline_done(*rep) &&
		    json_object_get(*rep, "error") == NULL);
	}
	jsonline_free(c);
	if (r == 0 && json_is_true(json_object_get(*rep, "standby")))
		r = FERRY_ERR_UNREACHABLE;
	return (r);
}

/*
 * state may name several hubs' state directories, comma-separated (an
 * active and a standby hub on one machine, docs/operations.md): the
 * request goes to the first that takes it. A request a daemon took and
 * then failed is never sent to the next.
 */
int
cli_request(const struct cmd_entry *cmd, const char *state,
    const json_t *req, json_t **rep)
{
	char		*cause = NULL, *dirs, *one, *save = NULL;
	const char	*err;
	int		 r;

	*rep = NULL;
	state = statedir_choose(state);
	if (strchr(state, ',') == NULL)
		r = cli_request_one(state, req, rep, &cause);
	else if ((dirs = strdup(state)) == NULL)
		r = FERRY_ERR_NOMEM;
	else {
		r = FERRY_ERR_UNREACHABLE;
		for (one = strtok_r(dirs, ",", &save); one != NULL &&
		    r == FERRY_ERR_UNREACHABLE; one = strtok_r(NULL, ",",
		    &save)) {
			free(cause);
			cause = NULL;
			r = cli_request_one(one, req, rep, &cause);
		}
		free(dirs);
	}
	if (r == FERRY_ERR_UNREACHABLE && *rep != NULL)
		r = 0;		/* only standbys: say what the last said */
	if (r == 0 && (err = json_string_value(json_object_get(*rep,
	    "error"))) != NULL) {
		if (cmd != NULL)
			cli_error(cmd, "%s", err);
		json_decref(*rep);
		*rep = NULL;
		free(cause);
		return (CLI_EXIT_FAILED);
	}
	if (r != 0) {
		if (cmd != NULL)
			cli_error(cmd, "%s", cause ? cause : err_str(r));
		free(cause);
		json_decref(*rep);
		*rep = NULL;
		return (CLI_EXIT_FAILED);
	}
	free(cause);
	return (CLI_EXIT_OK);
}

int
cli_request_quiet(const char *state, const json_t *req, json_t **rep)
{
	return (cli_request(NULL, state, req, rep));
}

int
cli_sub_request(const struct cmd_entry *cmd, int argc, char **argv,
    const char *sub, const char *op, const char *key, const char *hint,
    json_t **rep)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*state = NULL;
	json_t		*req;
	int		 ch, r;

	*rep = NULL;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 'S')
			return (cli_usage(cmd));
		state = optarg;
	}
	if (argc - optind != 2 || strcmp(argv[optind], sub) != 0) {
		cli_error(cmd, "the one subcommand is: %s", hint);
		return (cli_usage(cmd));
	}
	req = json_pack("{s:s, s:s}", "op", op, key, argv[optind + 1]);
	r = cli_request(cmd, state, req, rep);
	json_decref(req);
	return (r);
}
