/*
 * ferry root set SHARE PATH | unset SHARE | [list] [--json] [--state DIR]
 * Where a share lies on this machine (an agent's): the hub then
 * translates this machine's paths with it, and deliveries land below it
 * mirroring the studio's folders. `ferry root` lists every share's root
 * as the hub sees it for this machine, and why. On the hub, `ferry root
 * list SITE|EMAIL` shows an agent's.
 */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "compat.h"

static int	cmd_root_exec(int, char **);

const struct cmd_entry cmd_root_entry = {
	.name = "root",
	.usage = "set SHARE PATH | unset SHARE | [list [SITE|EMAIL]] [--json] "
	    "[--state DIR]",
	.summary = "set where a share lies on this machine",
	.exec = cmd_root_exec,
};

/* Why a share lies where it does, for people. */
static const char *
root_why(const char *from, const char *share, char *buf, size_t n)
{
	char	*p;

	if (strcmp(from, "env") == 0) {
		snprintf(buf, n, "from FERRY_%s_PATH in ferryd's environment",
		    share);
		for (p = buf + 11; *p != '_' || strncmp(p, "_PATH", 5) != 0;
		    p++) {
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
			else if (!((*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9')))
				*p = '_';
		}
		return (buf);
	}
	if (strcmp(from, "set") == 0)
		return ("set with 'ferry root set'");
	if (strcmp(from, "map") == 0)
		return ("the share map's");
	if (strcmp(from, "nested") == 0)
		return ("inside another share's root, as on-prem");
	if (strcmp(from, "home") == 0)
		return ("no root set: the home folder");
	return ("the share's default");
}

void
cli_roots_print(const json_t *roots)
{
	const char	*share, *path;
	json_t		*v;
	char		 buf[200];

	json_object_foreach((json_t *)roots, share, v) {
		path = json_string_value(json_object_get(v, "path"));
		printf("%-12s %s  (%s)\n", share, path ? path : "-",
		    root_why(json_string_value(json_object_get(v, "from")),
		    share, buf, sizeof buf));
	}
}

static int
root_set(const char *state, const char *share, const char *path)
{
	char	 cwd[PATH_MAX], *abs = NULL;
	json_t	*req, *rep = NULL;
	int	 r;

	/* ferryd takes absolute paths: this shell's folder is not its. */
	if (path != NULL && path[0] != '/' && !compat_path_absolute(path) &&
	    getcwd(cwd, sizeof cwd) != NULL &&
	    asprintf(&abs, "%s/%s", cwd, path) != -1)
		path = abs;
	req = json_pack("{s:s, s:s, s:s?}", "op", "root.set", "share", share,
	    "path", path);
	r = cli_request(&cmd_root_entry, state, req, &rep);
	json_decref(req);
	if (r == 0 && path != NULL)
		printf("%s lies at %s on this machine\n", share, path);
	else if (r == 0)
		printf("%s: root unset\n", share);
	json_decref(rep);
	free(abs);
	return (r);
}

static int
cmd_root_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*state = NULL, *verb;
	json_t		*req, *rep = NULL;
	int		 ch, json = 0, n, r;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 'S': state = optarg; break;
		default: return (cli_usage(&cmd_root_entry));
		}
	}
	n = argc - optind;
	verb = n > 0 ? argv[optind] : "list";
	if (strcmp(verb, "set") == 0 && n == 3)
		return (root_set(state, argv[optind + 1], argv[optind + 2]));
	if (strcmp(verb, "unset") == 0 && n == 2)
		return (root_set(state, argv[optind + 1], NULL));
	if (strcmp(verb, "list") != 0 || n > 2) {
		cli_error(&cmd_root_entry, "expected: set SHARE PATH, unset "
		    "SHARE, or list");
		return (cli_usage(&cmd_root_entry));
	}
	req = json_pack("{s:s, s:s?}", "op", "roots", "endpoint", n == 2 ?
	    argv[optind + 1] : NULL);
	r = cli_request(&cmd_root_entry, state, req, &rep);
	json_decref(req);
	if (r == 0 && json)
		cli_json_print(rep);
	else if (r == 0)
		cli_roots_print(json_object_get(rep, "roots"));
	json_decref(rep);
	return (r);
}
