/*
 * An agent's own share roots: where each share lies on this machine.
 * Set with `ferryd enroll ... --storage-root SHARE=PATH` or `ferry root
 * set SHARE PATH` (kept in STATE/roots.json), or with FERRY_<SHARE>_PATH
 * in ferryd's environment (FERRY_STORAGE_PATH for the share storage;
 * it wins over the file while it is set). Where none is set, a person's
 * deliveries go to the home base STATE/home, a folder per share. The
 * hub learns all of it at each hello and at each `ferry root set`
 * (hub-roots.c), and translates this agent's paths with it.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compat.h"
#include "err.h"
#include "ferryd.h"
#include "log.h"

#define ROOTS_FILE	"roots.json"

extern char	**environ;

/*
 * The separators of this machine's paths: Windows takes '\\' and '/'
 * alike, so a root written C:\\studio is split as the hub's share map
 * splits it.
 */
static const char *
node_roots_seps(void)
{
	return (compat_windows_names() ? "/\\" : "/");
}

/*
 * Whether a root given here is absolute: '/' on POSIX; on Windows a drive
 * or UNC path (compat_path_absolute), or '/' too, which Windows takes on
 * the current drive (wine's Z: is the Linux tree: tests/win/agent.sh).
 */
static int
node_roots_absolute(const char *path)
{
	return (path[0] == '/' || compat_path_absolute(path));
}

int
node_roots_check(const char *share, const char *path, char **cause)
{
	const char	*p;
	size_t		 n = strlen(share);

	if (n == 0 || n > 64 || strspn(share, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
		return (err_set(cause, FERRY_ERR_BADNAME, "%s: not a share's "
		    "name (letters, digits, '.', '_', '-')", share));
	if (!node_roots_absolute(path))
		return (err_set(cause, FERRY_ERR_INVAL, "%s: not an absolute "
		    "path on this machine%s", path, compat_windows_names() ?
		    " (C:\\..., \\\\host\\share\\...)" : ""));
	for (p = path; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return (err_set(cause, FERRY_ERR_BADNAME, "%s: has a "
			    "control character", share));
	}
	for (p = path; *p != '\0'; p += n) {
		p += strspn(p, node_roots_seps());
		n = strcspn(p, node_roots_seps());
		if (n == 2 && strncmp(p, "..", 2) == 0)
			return (err_set(cause, FERRY_ERR_TRAVERSAL, "%s: has a "
			    "\"..\"", path));
	}
	if (strlen(path) > 4000)
		return (err_set(cause, FERRY_ERR_TOOBIG, "%s...: too long",
		    share));
	return (0);
}

int
node_roots_load(const char *state, json_t **set, char **cause)
{
	char		 path[4096];
	json_error_t	 e;

	snprintf(path, sizeof path, "%s/%s", state, ROOTS_FILE);
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		*set = json_object();
		return (*set != NULL ? 0 : FERRY_ERR_NOMEM);
	}
	if ((*set = json_load_file(path, 0, &e)) == NULL ||
	    !json_is_object(*set)) {
		json_decref(*set);
		*set = NULL;
		return (err_set(cause, FERRY_ERR_PARSE, "%s:%d: %s", path,
		    e.line, e.text));
	}
	return (0);
}

int
node_roots_save(const char *state, const json_t *set, char **cause)
{
	char	*text;
	int	 r;

	if ((text = json_dumps(set, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL)
		return (FERRY_ERR_NOMEM);
	r = conf_write_file(state, ROOTS_FILE, text, strlen(text), cause);
	free(text);
	return (r);
}

/* FERRY_<SHARE>_PATH from the environment: {SHARE: PATH}. */
static json_t *
node_roots_env(void)
{
	json_t		*env = json_object();
	char		**e, key[80];
	const char	*eq;
	size_t		 n;

	for (e = environ; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, "FERRY_", 6) != 0 ||
		    (eq = strchr(*e, '=')) == NULL)
			continue;
		n = (size_t)(eq - *e);
		if (n <= 11 || n - 11 >= sizeof key ||
		    strncmp(eq - 5, "_PATH", 5) != 0)
			continue;
		memcpy(key, *e + 6, n - 11);
		key[n - 11] = '\0';
		if (strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
		    strlen(key) || !node_roots_absolute(eq + 1)) {
			log_warnx("%.*s: ignored: not FERRY_<SHARE>_PATH with "
			    "an absolute path", (int)n, *e);
			continue;
		}
		json_object_set_new(env, key, json_string(eq + 1));
	}
	return (env);
}

/* STATE/home, absolute: a person's deliveries where no root is set. */
static char *
node_roots_home(struct ferryd *d)
{
	char	cwd[PATH_MAX], *home = NULL;

	if (compat_path_absolute(d->state))
		return (asprintf(&home, "%s/home", d->state) == -1 ? NULL :
		    home);
	if (getcwd(cwd, sizeof cwd) == NULL)
		return (NULL);
	return (asprintf(&home, "%s/%s/home", cwd, d->state) == -1 ? NULL :
	    home);
}

/* The report with set as the roots set (NULL: roots.json's). */
static json_t *
node_roots_build(struct ferryd *d, const json_t *set)
{
	json_t	*loaded = NULL, *rep;
	char	*home = node_roots_home(d), *cause = NULL;

	if (set == NULL && node_roots_load(d->state, &loaded, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
		loaded = json_object();
	}
	/* Its parent must be there for a share's folder to be made in it. */
	if (home != NULL && mkdir(home, 0777) != 0 && errno != EEXIST)
		log_warnx("%s: %s", home, strerror(errno));
	rep = json_pack("{s:O?, s:o, s:s?}", "set", set ? set : loaded,
	    "env", node_roots_env(), "home", home);
	json_decref(loaded);
	free(home);
	return (rep);
}

json_t *
node_roots_report(struct ferryd *d)
{
	return (node_roots_build(d, NULL));
}

/*
 * Where the folders to make start in an absolute path: after "/", "C:\\",
 * or "\\\\host\\share\\" (a drive or a server's share is not made).
 */
static size_t
node_roots_prefix_len(const char *path)
{
	const char	*seps = node_roots_seps();
	size_t		 n = 0;
	int		 k;

	if (path[0] != '\0' && path[1] == ':')
		return (3);
	if (path[0] != '\0' && strchr(seps, path[0]) != NULL &&
	    path[1] != '\0' && strchr(seps, path[1]) != NULL &&
	    compat_windows_names()) {
		for (n = 2, k = 0; path[n] != '\0' && k < 2; n++)
			k += strchr(seps, path[n]) != NULL;
		return (n);
	}
	return (1);
}

/* Makes path (and its parents) if missing; ferryd must write there. */
static int
node_roots_mkdir(const char *path, char **cause)
{
	char		*copy, *p;
	struct stat	 sb;
	int		 r = 0;

	if ((copy = strdup(path)) == NULL)
		return (FERRY_ERR_NOMEM);
	for (p = copy + node_roots_prefix_len(copy); r == 0; p++) {
		if (*p != '\0' && strchr(node_roots_seps(), *p) == NULL)
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(copy, 0777) != 0 && errno != EEXIST)
			r = err_set(cause, FERRY_ERR_IO, "%s: %s", copy,
			    strerror(errno));
		*p = c;
		if (c == '\0')
			break;
	}
	free(copy);
	if (r == 0 && (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)))
		r = err_set(cause, FERRY_ERR_IO, "%s: not a folder", path);
	if (r == 0 && access(path, W_OK | X_OK) != 0)
		r = err_set(cause, FERRY_ERR_DENIED, "%s: ferryd (uid %u) "
		    "cannot write there", path, (unsigned)geteuid());
	return (r);
}

/*
 * root.set {"share", "path"} ("path" absent: unset): on an agent only.
 * The hub must take it (a share it knows) before it is kept here.
 */
json_t *
node_root_set(struct ferryd *d, const char *op, const json_t *req,
    uid_t uid)
{
	const char	*share = json_string_value(json_object_get(req,
			    "share"));
	const char	*path = json_string_value(json_object_get(req,
			    "path"));
	json_t		*set = NULL, *report = NULL, *ask, *rep = NULL;
	char		*cause = NULL, env[100], *e;
	size_t		 i;
	int		 r = 0;

	if (d->store != NULL)
		return (json_pack("{s:s, s:b}", "error", "on the hub, roots "
		    "are the share map's: edit it and run 'ferry share "
		    "import'", "done", 1));
	if (share == NULL)
		return (json_pack("{s:s, s:b}", "error", "root.set needs a "
		    "share", "done", 1));
	/* FERRY_<SHARE>_PATH: the share's name in capitals, '_' for others. */
	snprintf(env, sizeof env, "FERRY_%.64s", share);
	for (e = env + 6; *e != '\0'; e++)
		*e = (char)(isalnum((unsigned char)*e) ?
		    toupper((unsigned char)*e) : '_');
	i = strlen(env);
	snprintf(env + i, sizeof env - i, "_PATH");
	if ((r = node_roots_check(share, path ? path : "/", &cause)) == 0 &&
	    getenv(env) != NULL)
		r = err_set(&cause, FERRY_ERR_STATE, "%s is set in ferryd's "
		    "environment (%s) and wins over 'ferry root set': unset it "
		    "and restart ferryd", env, getenv(env));
	if (r == 0 && path != NULL)
		r = node_roots_mkdir(path, &cause);
	if (r == 0)
		r = node_roots_load(d->state, &set, &cause);
	if (r == 0) {
		if (path != NULL)
			json_object_set_new(set, share, json_string(path));
		else
			json_object_del(set, share);
		report = node_roots_build(d, set);
		ask = json_pack("{s:s, s:O}", "op", "roots.report", "roots",
		    report);
		rep = relay_to_hub(d, ask);
		json_decref(ask);
		if (rep != NULL && json_object_get(rep, "error") == NULL)
			r = node_roots_save(d->state, set, &cause);
	}
	if (r != 0) {
		json_decref(rep);
		rep = json_pack("{s:s, s:b}", "error", cause ? cause :
		    err_str(r), "done", 1);
	} else if (rep != NULL && json_object_get(rep, "error") == NULL)
		log_info("root of %s %s%s, by uid %u", share, path ? "set to " :
		    "unset", path ? path : "", (unsigned)uid);
	json_decref(set);
	json_decref(report);
	free(cause);
	return (rep);
}

/*
 * The length of root in path if path is root or below it, else 0. On
 * Windows '\\' and '/' are one separator: the hub writes a root it was
 * given as C:\\ferry/home in its own canonical C:\\ferry\\home.
 */
static size_t
node_roots_under(const char *root, const char *path)
{
	const char	*seps = node_roots_seps();
	size_t		 n = strlen(root), i;

	while (n > 1 && strchr(seps, root[n - 1]) != NULL)
		n--;
	for (i = 0; i < n; i++) {
		if (root[i] != path[i] && (strchr(seps, root[i]) == NULL ||
		    path[i] == '\0' || strchr(seps, path[i]) == NULL))
			return (0);
	}
	if (path[n] != '\0' && strchr(seps, path[n]) == NULL)
		return (0);
	return (n);
}

/* Whether path is root or below it, with no ".." (root set checked it). */
static int
node_roots_within(const char *root, const char *path)
{
	size_t		 n = node_roots_under(root, path);
	const char	*p;

	if (n == 0)
		return (0);
	for (p = path + n; *p != '\0'; p++) {
		if (strchr(node_roots_seps(), *p) != NULL && p[1] == '.' &&
		    p[2] == '.' && (p[3] == '\0' ||
		    strchr(node_roots_seps(), p[3]) != NULL))
			return (0);
	}
	return (1);
}

/*
 * Before receiving into root: a root of this agent's own (set, from the
 * environment, or a share's folder in the home base) is made if it is
 * missing. Any other root (a site's mount) is left alone: making it
 * would fill the disk below an unmounted share.
 */
void
node_roots_make(struct ferryd *d, const char *root)
{
	json_t		*rep = node_roots_report(d), *v;
	const char	*key, *home;
	char		*cause = NULL;
	size_t		 n;
	int		 ours = 0;

	/* A root given here, or one inside it (a nested share's). */
	json_object_foreach(json_object_get(rep, "set"), key, v)
		ours |= node_roots_within(json_string_value(v), root);
	json_object_foreach(json_object_get(rep, "env"), key, v)
		ours |= node_roots_within(json_string_value(v), root);
	/* A share's folder in the home base: one name below it. */
	home = json_string_value(json_object_get(rep, "home"));
	if (home != NULL && (n = node_roots_under(home, root)) != 0 &&
	    root[n] != '\0' && root[n + 1] != '.' && root[n + 1] != '\0' &&
	    root[n + 1 + strcspn(root + n + 1, node_roots_seps())] == '\0')
		ours = 1;
	if (ours && access(root, F_OK) != 0 && node_roots_mkdir(root,
	    &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
	}
	json_decref(rep);
}
