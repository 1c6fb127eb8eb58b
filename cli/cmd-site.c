/*
 * ferry site set SITE [--bwlimit RATE] [--address ADDR|none] [--state DIR]:
 * cap what the hub sends to a site, in bytes per second (suffixes K, M,
 * G: powers of 1024; 0 lifts the cap), or in bits per second ("200Mbit"),
 * and say where its agents can be reached (docs/security.md: an agent's
 * own claim is not enough).
 *
 * ferry site add NAME --sftp USER@HOST[:PORT]:ROOT --key FILE
 * --known-hosts FILE [--passphrase-file FILE] [--via AGENT]: an agentless
 * site on an SFTP server (docs/sftp.md). The files are named by absolute
 * path; their content never leaves the hub's machine.
 *
 * ferry site check NAME: connects to an SFTP site's server as a job
 * would, and prints the host key's fingerprint (to compare with the
 * vendor's) and how files will be verified.
 */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "human.h"

static int	cmd_site_exec(int, char **);

const struct cmd_entry cmd_site_entry = {
	.name = "site",
	.usage = "set SITE [--bwlimit RATE] [--address ADDR|none] "
	    "[--state DIR]\n"
	    "       ferry site add NAME --sftp USER@HOST[:PORT]:ROOT --key FILE "
	    "--known-hosts FILE\n"
	    "           [--passphrase-file FILE] [--via AGENT] [--state DIR]\n"
	    "       ferry site check NAME [--state DIR]",
	.summary = "add an SFTP site; set a site's bandwidth cap or address",
	.exec = cmd_site_exec,
};

/* A file named on the command line, as the hub (another cwd) finds it. */
static json_t *
cmd_site_path(const char *path)
{
	char	abs[PATH_MAX];

	if (path == NULL)
		return (NULL);
	if (*path != '/' && realpath(path, abs) != NULL)
		return (json_string(abs));
	return (json_string(path));
}

struct cmd_site_sftp {
	const char	*sftp, *key, *known, *pass, *via;
};

static int
cmd_site_add(const char *state, const char *name,
    const struct cmd_site_sftp *o)
{
	json_t	*req, *rep = NULL;
	int	 r;

	if (o->sftp == NULL || o->key == NULL || o->known == NULL) {
		cli_error(&cmd_site_entry, "site add needs --sftp "
		    "USER@HOST[:PORT]:ROOT, --key FILE and --known-hosts FILE");
		return (cli_usage(&cmd_site_entry));
	}
	req = json_pack("{s:s, s:s, s:s, s:o, s:o}", "op", "site.add", "site",
	    name, "sftp", o->sftp, "key", cmd_site_path(o->key),
	    "known_hosts", cmd_site_path(o->known));
	if (o->pass != NULL)
		json_object_set_new(req, "passphrase_file",
		    cmd_site_path(o->pass));
	if (o->via != NULL)
		json_object_set_new(req, "via", json_string(o->via));
	r = cli_request(&cmd_site_entry, state, req, &rep);
	json_decref(req);
	if (r == 0)
		printf("site %s: SFTP %s, reached by the hub; grant it what it "
		    "may receive with 'ferry acl set %s SHARE:PATH read'\n",
		    name, o->sftp, name);
	json_decref(rep);
	return (r);
}

static int
cmd_site_check(const char *state, const char *name)
{
	json_t	*req, *rep = NULL;
	int	 r;

	req = json_pack("{s:s, s:s}", "op", "site.check", "site", name);
	r = cli_request(&cmd_site_entry, state, req, &rep);
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

static int
cmd_site_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "bwlimit", required_argument, NULL, 'b' },
		{ "address", required_argument, NULL, 'a' },
		{ "state", required_argument, NULL, 'S' },
		{ "sftp", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "known-hosts", required_argument, NULL, 'K' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "via", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_site_sftp	 so = { NULL, NULL, NULL, NULL, NULL };
	const char	*state = NULL, *addr = NULL;
	uint64_t	 rate = 0;
	char		*cause = NULL, r1[HUMAN_LEN];
	json_t		*req, *rep = NULL;
	int		 ch, r, have = 0;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			if (human_parse_rate(optarg, &rate, &cause) != 0) {
				cli_error(&cmd_site_entry, "--bwlimit: %s",
				    cause);
				free(cause);
				return (CLI_EXIT_USAGE);
			}
			have = 1;
			break;
		case 'a': addr = optarg; break;
		case 'S': state = optarg; break;
		case 's': so.sftp = optarg; break;
		case 'k': so.key = optarg; break;
		case 'K': so.known = optarg; break;
		case 'p': so.pass = optarg; break;
		case 'v': so.via = optarg; break;
		default: return (cli_usage(&cmd_site_entry));
		}
	}
	if (argc - optind == 2 && strcmp(argv[optind], "add") == 0 && !have &&
	    addr == NULL)
		return (cmd_site_add(state, argv[optind + 1], &so));
	if (argc - optind == 2 && strcmp(argv[optind], "check") == 0 &&
	    !have && addr == NULL && so.sftp == NULL && so.key == NULL &&
	    so.known == NULL && so.pass == NULL && so.via == NULL)
		return (cmd_site_check(state, argv[optind + 1]));
	if (so.sftp != NULL || so.key != NULL || so.known != NULL ||
	    so.pass != NULL || so.via != NULL) {
		cli_error(&cmd_site_entry, "--sftp, --key, --known-hosts, "
		    "--passphrase-file and --via are for 'site add'");
		return (cli_usage(&cmd_site_entry));
	}
	if (argc - optind != 2 || strcmp(argv[optind], "set") != 0 ||
	    (!have && addr == NULL)) {
		cli_error(&cmd_site_entry, "expected: set SITE --bwlimit RATE "
		    "and/or --address ADDR|none, add NAME --sftp ..., or "
		    "check NAME");
		return (cli_usage(&cmd_site_entry));
	}
	req = json_pack("{s:s, s:s}", "op", "site.set", "site",
	    argv[optind + 1]);
	if (have)
		json_object_set_new(req, "bwlimit", json_integer(
		    (json_int_t)rate));
	if (addr != NULL)
		json_object_set_new(req, "address", json_string(
		    strcmp(addr, "none") == 0 ? "" : addr));
	r = cli_request(&cmd_site_entry, state, req, &rep);
	json_decref(req);
	if (r == 0 && have)
		printf("site %s: bandwidth cap %s\n", argv[optind + 1],
		    rate == 0 ? "none" : human_rate((double)rate, r1,
		    sizeof r1));
	if (r == 0 && addr != NULL)
		printf("site %s: agents reached at %s\n", argv[optind + 1],
		    strcmp(addr, "none") == 0 ? "the address they connect "
		    "from, if they claim it" : addr);
	json_decref(rep);
	return (r);
}
