/*
 * What every subcommand shares (cli.h): its messages and usage line, the
 * local API request, JSON output and ferryd.conf lookups. Below the
 * commands, which call it, and ferry.c, which calls the commands.
 */
#include "config.h"

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

int
cli_request(const struct cmd_entry *cmd, const char *state,
    const json_t *req, json_t **rep)
{
	struct jsonline_conn	*c = NULL;
	char			 path[4096], *cause = NULL;
	const char		*err;
	int			 r;

	*rep = NULL;
	snprintf(path, sizeof path, "%s/%s", statedir_choose(state),
	    JSONLINE_SOCKET_NAME);
	if ((r = jsonline_connect(path, &c, &cause)) == 0 &&
	    (r = jsonline_request(c, req, &cause)) == 0) {
		/* Progress lines may come first; the last says "done". */
		do {
			json_decref(*rep);
			*rep = NULL;
		} while ((r = jsonline_recv(c, rep, &cause)) == 0 &&
		    !jsonline_done(*rep) &&
		    json_object_get(*rep, "error") == NULL);
	}
	jsonline_free(c);
	if (r == 0 && (err = json_string_value(json_object_get(*rep,
	    "error"))) != NULL) {
		if (cmd != NULL)
			cli_error(cmd, "%s", err);
		json_decref(*rep);
		*rep = NULL;
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
	return (CLI_EXIT_OK);
}

int
cli_request_quiet(const char *state, const json_t *req, json_t **rep)
{
	return (cli_request(NULL, state, req, rep));
}
