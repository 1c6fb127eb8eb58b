/*
 * `ferry site add NAME --sftp ...` and `ferry site check NAME` for
 * cmd-site.c: an agentless site on an SFTP server, which the hub reaches
 * as the client (docs/sftp.md). The key, known_hosts and passphrase
 * files are sent by absolute path; their content never leaves the
 * machine.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

/* A file named on the command line, as the hub (another cwd) finds it. */
static json_t *
site_sftp_path(const char *path)
{
	char	abs[PATH_MAX];

	if (*path != '/' && realpath(path, abs) != NULL)
		return (json_string(abs));
	return (json_string(path));
}

int
site_sftp_add(const struct cmd_entry *cmd, const char *state,
    const char *name, const struct site_sftp *o)
{
	json_t	*req, *rep = NULL;
	int	 r;

	if (o->sftp == NULL || o->key == NULL || o->known == NULL) {
		cli_error(cmd, "site add needs --sftp USER@HOST[:PORT]:ROOT, "
		    "--key FILE and --known-hosts FILE");
		return (cli_usage(cmd));
	}
	req = json_pack("{s:s, s:s, s:s, s:o, s:o}", "op", "site.add", "site",
	    name, "sftp", o->sftp, "key", site_sftp_path(o->key),
	    "known_hosts", site_sftp_path(o->known));
	if (req != NULL && o->pass != NULL)
		json_object_set_new(req, "passphrase_file",
		    site_sftp_path(o->pass));
	if (req != NULL && o->via != NULL)
		json_object_set_new(req, "via", json_string(o->via));
	r = cli_request(cmd, state, req, &rep);
	json_decref(req);
	if (r == 0)
		printf("site %s: SFTP %s, reached by the hub; grant it what it "
		    "may receive with 'ferry acl set %s SHARE:PATH read'\n",
		    name, o->sftp, name);
	json_decref(rep);
	return (r);
}

int
site_sftp_check(const struct cmd_entry *cmd, const char *state,
    const char *name)
{
	json_t	*req, *rep = NULL;
	int	 r;

	req = json_pack("{s:s, s:s}", "op", "site.check", "site", name);
	r = cli_request(cmd, state, req, &rep);
	json_decref(req);
	if (r == 0)
		printf("site %s: %s answers, host key %s; files verified by "
		    "%s\n", name, json_string_value(json_object_get(rep,
		    "target")), json_string_value(json_object_get(rep,
		    "fingerprint")), json_is_true(json_object_get(rep,
		    "remote_hash")) ? "the server's sha256sum (8 MiB and up)" :
		    "reading them back");
	json_decref(rep);
	return (r);
}
