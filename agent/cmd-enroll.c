/*
 * ferryd enroll HUB_HOST[:PORT] CODE [--state DIR] [--name NAME]
 *     [--public-address ADDR] [--source-address ADDR]
 *     [--storage-root SHARE=PATH]...
 * Makes this machine's key pair and enrols it with the hub, using the
 * one-time code from `ferry invite` ("-" reads it from standard input, so
 * that it need not appear in the process list).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "enroll.h"
#include "err.h"
#include "ferryd.h"
#include "identity.h"
#include "link.h"
#include "statedir.h"
#include "tls.h"

static int	cmd_enroll_exec(int, char **);

const struct ferryd_cmd ferryd_cmd_enroll = {
	.name = "enroll",
	.usage = "HUB_HOST[:PORT] CODE|- [--state DIR] [--name NAME] "
	    "[--public-address ADDR] [--source-address ADDR] "
	    "[--storage-root SHARE=PATH]...",
	.summary = "join a hub with a one-time code",
	.exec = cmd_enroll_exec,
};

static int
enroll_read_code(const char *arg, char *code, size_t len)
{
	if (strcmp(arg, "-") != 0) {
		snprintf(code, len, "%s", arg);
		return (0);
	}
	if (fgets(code, (int)len, stdin) == NULL)
		return (-1);
	code[strcspn(code, "\r\n")] = '\0';
	return (0);
}

/*
 * --storage-root SHARE=PATH: where a share lies on this machine (the hub
 * learns it at the first hello). Windows paths (D:\work) are for the
 * Windows agent; here a root is an absolute POSIX path.
 */
static int
enroll_root(json_t *roots, const char *arg)
{
	const char	*eq = strchr(arg, '=');
	char		*share, *cause = NULL;
	int		 r;

	if (eq == NULL || eq == arg) {
		ferryd_usage_error(&ferryd_cmd_enroll, "--storage-root %s: "
		    "expected SHARE=PATH, such as storage=/work/studio", arg);
		return (-1);
	}
	if ((share = strndup(arg, (size_t)(eq - arg))) == NULL)
		return (-1);
	if ((r = node_roots_check(share, eq + 1, &cause)) != 0)
		ferryd_usage_error(&ferryd_cmd_enroll, "--storage-root: %s",
		    cause);
	else
		json_object_set_new(roots, share, json_string(eq + 1));
	free(share);
	free(cause);
	return (r);
}

/* Saves what the hub told us; the hub's key is pinned from now on. */
static int
enroll_save(const char *state, const char *hub, const json_t *reply,
    const uint8_t *hub_fp, const char *public_addr, const char *source,
    char **cause)
{
	struct conf	c;
	char		fp[IDENTITY_FP_STRLEN + 1];

	memset(&c, 0, sizeof c);
	identity_fp_format(hub_fp, fp);
	c.role = "agent";
	c.site = (char *)(uintptr_t)json_string_value(json_object_get(reply,
	    "site"));
	c.user = (char *)(uintptr_t)json_string_value(json_object_get(reply,
	    "user"));
	c.name = (char *)(uintptr_t)json_string_value(json_object_get(reply,
	    "name"));
	c.hub = (char *)(uintptr_t)hub;
	c.hub_fp = fp;
	c.public_addr = (char *)(uintptr_t)public_addr;
	c.source_addr = (char *)(uintptr_t)source;
	return (conf_save(state, &c, cause));
}

/*
 * A failed enrolment leaves nothing behind: the key and certificate it
 * made, and the state directory if it made that too.
 */
static void
enroll_undo(const char *state, int created, int made_dir)
{
	char	path[4096];

	if (created) {
		snprintf(path, sizeof path, "%s/%s", state, IDENTITY_KEY_FILE);
		unlink(path);
		snprintf(path, sizeof path, "%s/%s", state,
		    IDENTITY_CERT_FILE);
		unlink(path);
		snprintf(path, sizeof path, "%s/hubs.json", state);
		unlink(path);
	}
	if (made_dir)
		rmdir(state);
}

static int
cmd_enroll_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 'S' },
		{ "name", required_argument, NULL, 'n' },
		{ "public-address", required_argument, NULL, 'p' },
		{ "source-address", required_argument, NULL, 's' },
		{ "storage-root", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	json_t		*roots = json_object();
	struct identity	*id = NULL;
	struct tls_conn	*c = NULL;
	json_t		*reply = NULL;
	const char	*state = NULL, *name = NULL, *pub = NULL, *src = NULL;
	char		 code[256], hostname[256], hub[300], *host = NULL;
	char		*cause = NULL;
	struct stat	 sb;
	int		 ch, port, fd = -1, r, created = 0, made_dir;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'S': state = optarg; break;
		case 'n': name = optarg; break;
		case 'p': pub = optarg; break;
		case 's': src = optarg; break;
		case 'r':
			if (enroll_root(roots, optarg) != 0) {
				json_decref(roots);
				return (FERRYD_EXIT_USAGE);
			}
			break;
		default:
			ferryd_usage_error(&ferryd_cmd_enroll, "bad option");
			return (FERRYD_EXIT_USAGE);
		}
	}
	if (argc - optind != 2) {
		ferryd_usage_error(&ferryd_cmd_enroll, "the hub's address and "
		    "the code are needed");
		return (FERRYD_EXIT_USAGE);
	}
	if (conf_split_addr(argv[optind], CONF_CONTROL_PORT, &host, &port,
	    &cause) != 0 || enroll_read_code(argv[optind + 1], code,
	    sizeof code) != 0) {
		ferryd_usage_error(&ferryd_cmd_enroll, "%s", cause ? cause :
		    "no code on standard input");
		free(cause);
		return (FERRYD_EXIT_USAGE);
	}
	if (name == NULL && gethostname(hostname, sizeof hostname) == 0)
		name = hostname;
	snprintf(hub, sizeof hub, "%s:%d", host, port);
	state = statedir_choose(state);
	made_dir = stat(state, &sb) == -1 && errno == ENOENT;
	if ((r = statedir_open(state, &cause)) != 0 ||
	    (r = identity_init_dir(state, name, &id, &created, &cause)) != 0 ||
	    (r = link_dial(host, port, src ? src : pub, &fd, &cause)) != 0 ||
	    (r = tls_connect(fd, id, NULL, FERRYD_TIMEOUT_MS, &c,
	    &cause)) != 0 ||
	    (r = enroll_agent(c, code, name, &reply, &cause)) != 0 ||
	    (r = enroll_save(state, hub, reply, tls_peer_fp(c), pub,
	    src, &cause)) != 0 ||
	    (json_is_array(json_object_get(reply, "hubs")) &&
	    (r = node_hubs_enrolled(state, json_object_get(reply, "hubs"),
	    tls_peer_fp(c), &cause)) != 0) ||
	    (json_object_size(roots) > 0 &&
	    (r = node_roots_save(state, roots, &cause)) != 0)) {
		fprintf(stderr, "ferryd: enroll: %s\n", cause ? cause :
		    err_str(r));
		enroll_undo(state, created, made_dir);
	} else
		printf("enrolled as %s (%s %s) with the hub at %s\n", name,
		    json_string_value(json_object_get(reply, "role")),
		    json_string_value(json_object_get(reply, "site")) ?
		    json_string_value(json_object_get(reply, "site")) :
		    json_string_value(json_object_get(reply, "user")), hub);
	explicit_bzero(code, sizeof code);
	json_decref(reply);
	json_decref(roots);
	if (c != NULL)
		tls_shutdown(c, NULL);
	tls_free(c);
	if (fd != -1)
		close(fd);
	identity_free(id);
	free(host);
	free(cause);
	return (r == 0 ? FERRYD_EXIT_OK : FERRYD_EXIT_FAILED);
}
