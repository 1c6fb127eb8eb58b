/*
 * ferry-sftp: drives the SFTP library from shell tests and bench/, as
 * ferry-peer drives the transfer core. Not installed: the agent is what
 * people run (docs/sftp.md).
 *
 *   ferry-sftp --target USER@HOST[:PORT]:ROOT --key FILE --known-hosts FILE
 *       [--passphrase-file FILE | --passphrase-env VAR] [--timeout MS]
 *       [--bwlimit RATE] [--no-remote-hash] [--stats FILE]
 *       check | list [DIR] | send --local DIR REL... | pull --local DIR REL...
 *
 * The passphrase is taken from a file (mode 0600 or stricter) or an
 * environment variable, never from the command line.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "human.h"
#include "sftp.h"

struct fs_opts {
	const char	*target;
	const char	*key;
	const char	*known_hosts;
	const char	*pass_file;
	const char	*pass_env;
	const char	*local;
	const char	*stats;
	long		 timeout;
	uint64_t	 rate;
	int		 no_remote_hash;
	unsigned	 recv_umask;
};

static void
usage(void)
{
	fprintf(stderr, "usage: ferry-sftp --target USER@HOST[:PORT]:ROOT "
	    "--key FILE --known-hosts FILE\n"
	    "\t[--passphrase-file FILE | --passphrase-env VAR] "
	    "[--timeout MS]\n"
	    "\t[--bwlimit RATE] [--no-remote-hash] [--stats FILE] "
	    "[--umask OCTAL]\n"
	    "\tcheck | list [DIR] | send --local DIR REL... | "
	    "pull --local DIR REL...\n");
	exit(2);
}

static int
fs_die(const char *cause)
{
	fprintf(stderr, "ferry-sftp: %s\n", cause);
	return (1);
}

/* The first line of a file only its owner can read. */
static char *
fs_read_pass(const char *path)
{
	struct stat	 sb;
	char		 line[1024];
	FILE		*f;

	if ((f = fopen(path, "re")) == NULL || fstat(fileno(f), &sb) == -1) {
		fprintf(stderr, "ferry-sftp: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if (sb.st_mode & 077) {
		fprintf(stderr, "ferry-sftp: %s: readable by others; "
		    "chmod 600 it\n", path);
		exit(1);
	}
	if (fgets(line, sizeof line, f) == NULL)
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	return (strdup(line));
}

static void
fs_parse(int argc, char **argv, struct fs_opts *o)
{
	static const struct option longopts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "key", required_argument, NULL, 'k' },
		{ "known-hosts", required_argument, NULL, 'h' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "passphrase-env", required_argument, NULL, 'e' },
		{ "local", required_argument, NULL, 'l' },
		{ "stats", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "bwlimit", required_argument, NULL, 'b' },
		{ "no-remote-hash", no_argument, NULL, 'n' },
		{ "umask", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 }
	};
	char	*cause = NULL;
	int	 ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 't': o->target = optarg; break;
		case 'k': o->key = optarg; break;
		case 'h': o->known_hosts = optarg; break;
		case 'p': o->pass_file = optarg; break;
		case 'e': o->pass_env = optarg; break;
		case 'l': o->local = optarg; break;
		case 's': o->stats = optarg; break;
		case 'n': o->no_remote_hash = 1; break;
		case 'u':
			/* As ferryd.conf's receive-umask: not the owner's. */
			if (human_parse_mask(optarg, 077, &o->recv_umask) != 0) {
				fs_die("--umask: an octal number from 0 to 077");
				exit(2);
			}
			break;
		case 'T':
			if (human_parse_long(optarg, 1, 3600000, &o->timeout))
				usage();
			break;
		case 'b':
			if (human_parse_rate(optarg, &o->rate, &cause) != 0) {
				fs_die(cause);
				exit(2);
			}
			break;
		default:
			usage();
		}
	}
	if (o->target == NULL || o->key == NULL || o->known_hosts == NULL ||
	    optind >= argc)
		usage();
}

static int
fs_list_one(const char *rel, uint64_t size, int refused, void *arg)
{
	(void)arg;
	if (refused)
		printf("refused %s\n", rel);
	else
		printf("file %" PRIu64 " %s\n", size, rel);
	return (0);
}

static void
fs_stats(const char *path, int files, const struct sftp_stats *st)
{
	FILE	*f;

	if (path == NULL || (f = fopen(path, "we")) == NULL)
		return;
	fprintf(f, "{\"files\":%d,\"size\":%" PRIu64 ",\"bytes\":%" PRIu64
	    ",\"resumed\":%" PRIu64 ",\"verified\":%" PRIu64
	    ",\"remote_hash\":%d}\n", files, st->size, st->bytes, st->resumed,
	    st->verified, st->remote_hash);
	fclose(f);
}

/* send or pull each REL below --local. */
static int
fs_move(struct sftp *s, const struct fs_opts *o, int pull, char **rel,
    int n)
{
	struct sftp_stats	st;
	char			*cause = NULL;
	int			 fd, i, r = 0, files = 0;

	memset(&st, 0, sizeof st);
	if (o->local == NULL)
		usage();
	if ((fd = open(o->local, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "ferry-sftp: %s: %s\n", o->local,
		    strerror(errno));
		return (1);
	}
	for (i = 0; i < n && r == 0; i++) {
		r = pull ? sftp_pull(s, rel[i], fd, &st, &cause) :
		    sftp_send(s, fd, rel[i], &st, &cause);
		if (r == 0)
			files++;
	}
	close(fd);
	fs_stats(o->stats, files, &st);
	if (r != 0) {
		fs_die(cause != NULL ? cause : err_str(r));
		free(cause);
		return (1);
	}
	return (0);
}

int
main(int argc, char **argv)
{
	struct fs_opts		 o;
	struct sftp_target	 t;
	struct sftp_opts	 so;
	struct sftp		*s = NULL;
	char			*cause = NULL, *pass = NULL, *cmd;
	int			 r;

	/* A dropped connection is an error to report, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	memset(&o, 0, sizeof o);
	fs_parse(argc, argv, &o);
	if (sftp_target_parse(o.target, &t, &cause) != 0)
		return (fs_die(cause));
	if (o.pass_file != NULL)
		pass = fs_read_pass(o.pass_file);
	else if (o.pass_env != NULL && getenv(o.pass_env) != NULL)
		pass = strdup(getenv(o.pass_env));
	memset(&so, 0, sizeof so);
	so.target = &t;
	so.key_file = o.key;
	so.passphrase = pass;
	so.known_hosts = o.known_hosts;
	so.timeout_ms = (int)o.timeout;
	so.no_remote_hash = o.no_remote_hash;
	so.rate = o.rate;
	so.recv_umask = o.recv_umask;
	r = sftp_connect(&so, &s, &cause);
	if (pass != NULL) {
		explicit_bzero(pass, strlen(pass));
		free(pass);
	}
	if (r != 0) {
		r = fs_die(cause);
		goto out;
	}
	cmd = argv[optind];
	if (strcmp(cmd, "check") == 0) {
		printf("fingerprint %s\nremote-hash %s\n", sftp_fingerprint(s),
		    sftp_has_remote_hash(s) ? "yes" : "no");
		r = 0;
	} else if (strcmp(cmd, "list") == 0) {
		r = sftp_list(s, optind + 1 < argc ? argv[optind + 1] : "",
		    fs_list_one, NULL, &cause);
		if (r != 0)
			r = fs_die(cause);
	} else if (strcmp(cmd, "send") == 0 || strcmp(cmd, "pull") == 0)
		r = fs_move(s, &o, cmd[0] == 'p', argv + optind + 1,
		    argc - optind - 1);
	else
		usage();
out:
	sftp_free(s);
	sftp_target_clear(&t);
	free(cause);
	return (r);
}
