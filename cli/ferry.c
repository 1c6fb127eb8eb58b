/* ferry: the command-line tool. main() finds the subcommand in a table. */
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
#include "log.h"
#include "statedir.h"

static const struct cmd_entry *cmd_table[] = {
	&cmd_acl_entry,
	&cmd_audit_entry,
	&cmd_cancel_entry,
	&cmd_doctor_entry,
	&cmd_invite_entry,
	&cmd_job_entry,
	&cmd_jobs_entry,
	&cmd_map_entry,
	&cmd_pause_entry,
	&cmd_resume_entry,
	&cmd_retry_entry,
	&cmd_send_entry,
	&cmd_share_entry,
	&cmd_site_entry,
	&cmd_sites_entry,
	&cmd_status_entry,
	&cmd_publish_entry,
	&cmd_root_entry,
	NULL
};

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

static void
print_help(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: ferry COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; cmd_table[i] != NULL; i++)
		fprintf(f, "  %-8s %s\n", cmd_table[i]->name,
		    cmd_table[i]->summary);
	fprintf(f, "\n'ferry COMMAND --help' shows a command's arguments.\n"
	    "ferry talks to the local ferryd through its state directory:\n"
	    "--state DIR, else $FERRY_STATE, else %s.\n", STATEDIR_DEFAULT);
}

static void
print_cmd_help(const struct cmd_entry *cmd)
{
	printf("usage: ferry %s %s\n%s\n", cmd->name, cmd->usage,
	    cmd->summary);
}

/* 1 if an argument before "--" asks for help. */
static int
wants_help(int argc, char **argv)
{
	int	i;

	for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return (1);
	}
	return (0);
}

static void
print_known(void)
{
	size_t	i;

	fprintf(stderr, " (known: ");
	for (i = 0; cmd_table[i] != NULL; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", cmd_table[i]->name);
	fprintf(stderr, ")\n");
}

static const struct cmd_entry *
cmd_find(const char *name)
{
	size_t	i;

	for (i = 0; cmd_table[i] != NULL; i++) {
		if (strcmp(cmd_table[i]->name, name) == 0)
			return (cmd_table[i]);
	}
	return (NULL);
}

int
main(int argc, char **argv)
{
	const struct cmd_entry	*cmd;
	char			 prefix[64];

	log_init("ferry", LOG_LEVEL_WARN, 0);
	if (argc < 2) {
		print_help(stderr);
		return (CLI_EXIT_USAGE);
	}
	if (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		printf("ferry %s\n", PACKAGE_VERSION);
		return (CLI_EXIT_OK);
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		if (argc == 2) {
			print_help(stdout);
			return (CLI_EXIT_OK);
		}
		if ((cmd = cmd_find(argv[2])) == NULL) {
			fprintf(stderr, "ferry: help: unknown command \"%s\"",
			    argv[2]);
			print_known();
			return (CLI_EXIT_USAGE);
		}
		print_cmd_help(cmd);
		return (CLI_EXIT_OK);
	}
	if ((cmd = cmd_find(argv[1])) == NULL) {
		fprintf(stderr, "ferry: unknown command \"%s\"", argv[1]);
		print_known();
		return (CLI_EXIT_USAGE);
	}
	if (wants_help(argc, argv)) {
		print_cmd_help(cmd);
		return (CLI_EXIT_OK);
	}
	/* getopt names argv[0] in its complaints: "ferry: send: ...". */
	snprintf(prefix, sizeof prefix, "ferry: %s", cmd->name);
	argv[1] = prefix;
	return (cmd->exec(argc - 1, argv + 1));
}
