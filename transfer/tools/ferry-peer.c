/*
 * ferry-peer: drives the transfer library between two processes over real
 * TCP and TLS, for tests and benchmarks. Not installed; the agent daemon
 * is what people run.
 *
 *   ferry-peer keygen|fingerprint --state DIR
 *   ferry-peer recv|send --state DIR --peer-fp FP --token-file FILE
 *       (--listen ADDR [--ports LO-HI] --peer-addr ADDR | --connect HOST:PORT)
 *       recv: --dest DIR        send: --src DIR [--basis REL=BASIS]... [REL...]
 *       [--streams N] [--stats FILE] [--progress] [--compare-hash]
 *       [--bwlimit RATE] [--timeout MS] [--stripe N] [--no-pipeline]
 *       [--no-keepalive]
 *       recv: [--flush auto|files|fs] (how files are made durable)
 *       recv: [--umask OCTAL] (bits taken from every mode given)
 *       recv: [--accept REL]... [--no-symlinks] (a hub's receiver: names
 *       and types as asked, no symlinks; refusals and masked modes are
 *       printed as "suspect")
 *
 * Test hooks, for checking the receiver's own defences: send
 * --forge-entry REL=SRC (a file entry named REL, unchecked) and
 * --forge-link REL=TARGET (a symlink entry, unchecked); recv
 * --corrupt-on-plan FILE (overwrite bytes in the middle of FILE as soon as an entry
 * is planned as a delta, as a disk error would).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "human.h"
#include "identity.h"
#include "link.h"
#include "msg-int.h"
#include "tls.h"
#include "transfer.h"

#define PEER_MAX_STREAMS	16

struct peer_opts {
	const char	*state;
	const char	*peer_fp;
	const char	*token_file;
	const char	*listen;
	const char	*ports;
	const char	*peer_addr;
	const char	*connect;
	const char	*dest;
	const char	*src;
	const char	*stats;
	const char	*basis[4096];
	int		 nbasis;
	const char	*forge[64];
	int		 forge_type[64];	/* 'F' or 'L' */
	int		 nforge;
	const char	*corrupt;
	const char	*accept[256];	/* recv: the only names let in */
	int		 naccept;
	uint64_t	 bwlimit;
	int		 streams;
	int		 progress;
	int		 compare_hash;
	int		 stripe;
	int		 flush;		/* TRANSFER_FLUSH_* */
	unsigned	 recv_umask;
	int		 no_pipeline;
	int		 no_keepalive;
	int		 no_symlinks;
	int		 timeout_ms;
};

static void __attribute__((noreturn))
die(const char *what, int r, char *cause)
{
	fprintf(stderr, "ferry-peer: %s: %s\n", what,
	    cause != NULL ? cause : err_str(r));
	free(cause);
	exit(1);
}

/* What the receiver refused or changed, as a hub would audit it. */
static void
peer_suspect(const char *rel, const char *why, void *arg)
{
	fprintf(stderr, "ferry-peer: suspect: %s: %s\n", rel, why);
}

/* The receiver's allow-list, as a hub would give it (--accept). */
static int
peer_accept(const char *rel, int type, const char *basis, void *arg)
{
	const struct peer_opts	*o = arg;
	int			 i;

	for (i = 0; i < o->naccept; i++) {
		if (strcmp(o->accept[i], rel) == 0)
			return (1);
	}
	return (0);
}

static const char peer_usage_text[] =
"usage: ferry-peer keygen --state DIR        (prints the key's fingerprint)\n"
"       ferry-peer fingerprint --state DIR   (prints it again)\n"
"       ferry-peer recv --state DIR --peer-fp FP --token-file FILE\n"
"           --listen ADDR [--ports LO-HI] --peer-addr ADDR --dest DIR\n"
"           (prints \"listening PORT\"; DIR is created if missing)\n"
"       ferry-peer send --state DIR --peer-fp FP --token-file FILE\n"
"           --connect HOST:PORT --src DIR [--basis REL=BASIS]... [REL...]\n"
"   both: [--streams N] [--stats FILE] [--progress] [--timeout MS]\n"
"         [--no-pipeline] (each batch's ACKs before the next batch, as\n"
"         peers before feature PIPELINE)\n"
"         [--no-keepalive] (silent while hashing before an answer, as\n"
"         peers before feature KEEPALIVE)\n"
"   send: [--bwlimit RATE] (bytes/s: 200M; bits/s: 200Mbit) "
"[--compare-hash]\n"
"         [--stripe N] (streams for a large file's chunks; default: from\n"
"         the round trip; 1: never stripe)\n"
"   recv: [--flush auto|files|fs] (durable before the rename: auto, one\n"
"         syncfs a batch where DIR is a file system of its own, else an\n"
"         fsync a file; files: always the latter; fs: always syncfs)\n"
"         [--umask OCTAL] (bits taken from the modes of what arrives,\n"
"         besides the setuid, setgid, sticky and others' write bits)\n";

/*
 * keygen makes the key pair and prints its fingerprint; run again, or as
 * "fingerprint", it prints the existing key's fingerprint.
 */
static int
peer_keygen(const struct peer_opts *o, int make)
{
	struct identity	*id;
	char		 fp[IDENTITY_FP_STRLEN + 1], *cause = NULL;
	int		 r, created;

	if (!make) {
		if ((r = identity_load_dir(o->state, &id, &cause)) != 0)
			die("fingerprint", r, cause);
		created = 0;
	} else {
		if (mkdir(o->state, 0700) == -1 && errno != EEXIST)
			die(o->state, FERRY_ERR_IO, strdup(strerror(errno)));
		if ((r = identity_init_dir(o->state, "ferry-peer", &id,
		    &created, &cause)) != 0)
			die("keygen", r, cause);
	}
	if (make && !created)
		fprintf(stderr, "ferry-peer: keygen: %s holds a key already; "
		    "its fingerprint:\n", o->state);
	identity_fp_format(identity_fp(id), fp);
	printf("%s\n", fp);
	identity_free(id);
	return (0);
}

/* Reads the token file: LINK_TOKEN_LEN bytes, or hex for them. */
static void
peer_token(const char *file, uint8_t *tok)
{
	char	text[256];
	ssize_t	n;
	int	fd, i;

	if ((fd = open(file, O_RDONLY)) == -1 ||
	    (n = read(fd, text, sizeof text - 1)) < 0)
		die(file, FERRY_ERR_IO, strdup(strerror(errno)));
	close(fd);
	text[n] = '\0';
	text[strcspn(text, "\r\n")] = '\0';
	if (strlen(text) != 2 * LINK_TOKEN_LEN)
		die(file, FERRY_ERR_PARSE, strdup("the token must be 64 hex "
		    "digits"));
	for (i = 0; i < LINK_TOKEN_LEN; i++) {
		unsigned int	v;

		if (sscanf(text + 2 * i, "%2x", &v) != 1)
			die(file, FERRY_ERR_PARSE, strdup("bad hex digit"));
		tok[i] = (uint8_t)v;
	}
}

/*
 * "progress 12.0 MiB/22.9 MiB 3/10 files 5.2 MiB/s ETA 2s FILE", or
 * "stalled" for the rate and ETA; cut to the terminal's width.
 */
static void
peer_progress(const struct transfer_progress *p, void *arg)
{
	char	b1[HUMAN_LEN], b2[HUMAN_LEN], r[HUMAN_LEN], e[HUMAN_LEN];
	char	line[1024];
	int	cols;

	(void)arg;
	if (p->stalled)
		snprintf(r, sizeof r, "stalled");
	else
		snprintf(e, sizeof e, "%s ETA", human_rate(p->rate, r,
		    sizeof r));
	snprintf(line, sizeof line, "progress %s/%s %ju/%ju files %s %s %s",
	    human_bytes((double)p->bytes_done, b1, sizeof b1),
	    human_bytes((double)p->bytes_total, b2, sizeof b2),
	    (uintmax_t)p->files_done, (uintmax_t)p->files_total,
	    p->stalled ? r : e, p->stalled ? "" : human_duration(p->eta, r,
	    sizeof r), p->file ? p->file : "");
	if (isatty(STDERR_FILENO) && (cols = human_columns(STDERR_FILENO)) <
	    (int)sizeof line)
		line[cols - 1] = '\0';
	fprintf(stderr, "%s\n", line);
}

/* --flush's word as TRANSFER_FLUSH_*, or -1. */
static int
peer_flush_mode(const char *w)
{
	if (strcmp(w, "auto") == 0)
		return (TRANSFER_FLUSH_AUTO);
	if (strcmp(w, "files") == 0)
		return (TRANSFER_FLUSH_FILES);
	if (strcmp(w, "fs") == 0)
		return (TRANSFER_FLUSH_FS);
	return (-1);
}

static void
peer_write_stats(const char *file, const struct transfer_stats *st)
{
	FILE	*f;

	if ((f = fopen(file, "w")) == NULL)
		die(file, FERRY_ERR_IO, strdup(strerror(errno)));
	fprintf(f, "{\"files\":%ju,\"skipped\":%ju,\"whole\":%ju,"
	    "\"delta\":%ju,\"failed\":%ju,\"bytes\":%ju,\"wire_bytes\":%ju,"
	    "\"resumed_bytes\":%ju,\"seconds\":%.6f,\"striped\":%ju,"
	    "\"fs_syncs\":%ju,\"tmp_links\":%ju,\"tmp_aside\":%ju,"
	    "\"tmp_chmods\":%ju}\n",
	    (uintmax_t)st->files, (uintmax_t)st->skipped,
	    (uintmax_t)st->whole, (uintmax_t)st->delta,
	    (uintmax_t)st->failed, (uintmax_t)st->bytes,
	    (uintmax_t)st->wire_bytes, (uintmax_t)st->resumed_bytes,
	    st->seconds, (uintmax_t)st->striped, (uintmax_t)st->fs_syncs,
	    (uintmax_t)st->tmp_links, (uintmax_t)st->tmp_aside,
	    (uintmax_t)st->tmp_chmods);
	fclose(f);
}

/* Adds "REL=TARGET" as a symlink ('L') or "REL=SRC" as a file ('F'). */
static void
peer_forge(struct transfer_list *l, int type, const char *spec)
{
	struct transfer_file	*tf, *v;
	struct stat		 sb;
	char			*rel, *eq;

	if ((rel = strdup(spec)) == NULL ||
	    (eq = strchr(rel, '=')) == NULL ||
	    (v = realloc(l->v, (l->n + 1) * sizeof *v)) == NULL)
		die("--forge", FERRY_ERR_INVAL, strdup("expected REL=VALUE"));
	*eq++ = '\0';
	l->v = v;
	l->cap = l->n + 1;
	tf = &l->v[l->n++];
	memset(tf, 0, sizeof *tf);
	tf->rel = rel;
	tf->mode = 0644;
	if (type == 'L') {
		tf->type = MSG_ENTRY_SYMLINK;
		tf->link = strdup(eq);
		tf->src = strdup(eq);
	} else {
		if (stat(eq, &sb) == -1)
			die(eq, FERRY_ERR_IO, strdup(strerror(errno)));
		tf->type = MSG_ENTRY_FILE;
		tf->src = strdup(eq);
		tf->size = (uint64_t)sb.st_size;
		tf->mtime_sec = sb.st_mtim.tv_sec;
		tf->mtime_nsec = (uint32_t)sb.st_mtim.tv_nsec;
	}
}

/* --corrupt-on-plan: damage the basis once a delta has been planned. */
static void
peer_corrupt(const char *rel, int action, void *arg)
{
	const char	*file = arg;
	struct stat	 sb;
	int		 fd;

	(void)rel;
	if (action != MSG_PLAN_DELTA || (fd = open(file, O_WRONLY)) == -1)
		return;
	/* The middle: data the delta will copy from the basis. */
	if (fstat(fd, &sb) == -1 || pwrite(fd, "CORRUPTED BY THE TEST", 21,
	    sb.st_size / 2) != 21)
		fprintf(stderr, "ferry-peer: corrupting %s failed\n", file);
	close(fd);
}

/* --bwlimit: bytes per second (200M) or bits (200Mbit). */
static uint64_t
peer_rate(const char *s)
{
	uint64_t	 v;
	char		*cause = NULL;
	int		 r;

	if ((r = human_parse_rate(s, &v, &cause)) != 0)
		die("--bwlimit", r, cause);
	return (v);
}

/* Makes the connections, listening or connecting as asked. */
static void
peer_link(const struct peer_opts *o, const struct link_params *p,
    struct tls_conn **conns, int *fds)
{
	struct link_listener	*l;
	char			*cause = NULL, *colon, host[256];
	int			 r, port, lo = LINK_PORT_FIRST,
				     hi = LINK_PORT_LAST;

	if (o->connect != NULL) {
		snprintf(host, sizeof host, "%s", o->connect);
		if ((colon = strrchr(host, ':')) == NULL)
			die("--connect", FERRY_ERR_INVAL,
			    strdup("expected HOST:PORT"));
		*colon = '\0';
		if ((r = link_connect(host, atoi(colon + 1), p, conns, fds,
		    &cause)) != 0)
			die("connect", r, cause);
		return;
	}
	if (o->ports != NULL && sscanf(o->ports, "%d-%d", &lo, &hi) != 2)
		die("--ports", FERRY_ERR_INVAL, strdup("expected LO-HI"));
	if ((r = link_listen(o->listen, lo, hi, o->peer_addr, &l, &port,
	    &cause)) != 0)
		die("listen", r, cause);
	printf("listening %d\n", port);
	fflush(stdout);
	r = link_accept(l, p, conns, fds, &cause);
	link_listener_free(l);
	if (r != 0)
		die("accept", r, cause);
}

static int
peer_run(const struct peer_opts *o, int sending, char **paths, int npaths)
{
	struct identity		*id;
	struct link_params	 p;
	struct transfer_opts	 to;
	struct transfer_stats	 st;
	struct transfer_list	 l;
	struct tls_conn		*conns[PEER_MAX_STREAMS];
	uint8_t			 fp[IDENTITY_FP_LEN], tok[LINK_TOKEN_LEN];
	char			*cause = NULL, *eq;
	int			 fds[PEER_MAX_STREAMS], r, i;

	if ((r = identity_load_dir(o->state, &id, &cause)) != 0)
		die("identity", r, cause);
	if ((r = identity_fp_parse(o->peer_fp, fp, &cause)) != 0)
		die("--peer-fp", r, cause);
	peer_token(o->token_file, tok);
	memset(&l, 0, sizeof l);
	if (sending) {
		for (i = 0; i < npaths || (i == 0 && npaths == 0); i++) {
			if ((r = transfer_list_add(&l, o->src, npaths ?
			    paths[i] : NULL, &cause)) != 0)
				die("source", r, cause);
		}
		for (i = 0; i < o->nbasis; i++) {
			char *spec = strdup(o->basis[i]);

			if (spec == NULL || (eq = strchr(spec, '=')) == NULL)
				die("--basis", FERRY_ERR_INVAL,
				    strdup("expected REL=BASIS"));
			*eq = '\0';
			if ((r = transfer_list_set_basis(&l, spec, eq + 1,
			    &cause)) != 0)
				die("--basis", r, cause);
			free(spec);
		}
		for (i = 0; i < o->nforge; i++)
			peer_forge(&l, o->forge_type[i], o->forge[i]);
	}
	memset(&p, 0, sizeof p);
	p.id = id;
	p.peer_fp = fp;
	p.token = tok;
	p.streams = o->streams;
	p.timeout_ms = o->timeout_ms;
	peer_link(o, &p, conns, fds);
	memset(&to, 0, sizeof to);
	to.progress = o->progress ? peer_progress : NULL;
	to.compare_hash = o->compare_hash;
	to.stripe = o->stripe;
	to.flush = o->flush;
	to.no_pipeline = o->no_pipeline;
	to.no_keepalive = o->no_keepalive;
	to.bwlimit = o->bwlimit;
	to.recv_umask = o->recv_umask;
	if (o->naccept > 0) {
		to.accept = peer_accept;
		to.accept_arg = (void *)(uintptr_t)o;
	}
	to.suspect = peer_suspect;
	to.allow_symlinks = !o->no_symlinks;
	if (o->corrupt != NULL) {
		to.planned = peer_corrupt;
		to.planned_arg = (void *)(uintptr_t)o->corrupt;
	}
	if (sending)
		r = transfer_send(conns, o->streams, &l, &to, &st, &cause);
	else
		r = transfer_receive(conns, o->streams, o->dest, &to, &st,
		    &cause);
	link_close(conns, fds, o->streams);
	if (o->stats != NULL)
		peer_write_stats(o->stats, &st);
	transfer_list_clear(&l);
	identity_free(id);
	if (r != 0)
		die(sending ? "send" : "receive", r, cause);
	return (0);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "peer-fp", required_argument, NULL, 'f' },
		{ "token-file", required_argument, NULL, 't' },
		{ "listen", required_argument, NULL, 'l' },
		{ "ports", required_argument, NULL, 'P' },
		{ "peer-addr", required_argument, NULL, 'a' },
		{ "connect", required_argument, NULL, 'c' },
		{ "dest", required_argument, NULL, 'd' },
		{ "src", required_argument, NULL, 'S' },
		{ "basis", required_argument, NULL, 'b' },
		{ "streams", required_argument, NULL, 'n' },
		{ "stats", required_argument, NULL, 'j' },
		{ "progress", no_argument, NULL, 'p' },
		{ "compare-hash", no_argument, NULL, 'H' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "bwlimit", required_argument, NULL, 'B' },
		{ "forge-entry", required_argument, NULL, 'F' },
		{ "forge-link", required_argument, NULL, 'L' },
		{ "corrupt-on-plan", required_argument, NULL, 'C' },
		{ "accept", required_argument, NULL, 'A' },
		{ "no-symlinks", no_argument, NULL, 'N' },
		{ "stripe", required_argument, NULL, 'R' },
		{ "flush", required_argument, NULL, 'Y' },
		{ "no-pipeline", no_argument, NULL, 'O' },
		{ "no-keepalive", no_argument, NULL, 'K' },
		{ "umask", required_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 }
	};
	struct peer_opts	 o;
	const char		*cmd;
	char			 why[512];
	int			 ch;

	signal(SIGPIPE, SIG_IGN);
	if (tls_library_init() != 0) {
		fprintf(stderr, "%s: OpenSSL did not start\n", argv[0]);
		return (1);
	}
	memset(&o, 0, sizeof o);
	o.streams = 2;
	o.timeout_ms = 30000;
	if (argc < 2) {
		fputs(peer_usage_text, stderr);
		return (2);
	}
	for (ch = 1; ch < argc; ch++) {
		if (strcmp(argv[ch], "--help") == 0 ||
		    strcmp(argv[ch], "-h") == 0 ||
		    strcmp(argv[ch], "help") == 0) {
			fputs(peer_usage_text, stdout);
			return (0);
		}
	}
	cmd = argv[1];
	argv++;
	argc--;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': o.state = optarg; break;
		case 'f': o.peer_fp = optarg; break;
		case 't': o.token_file = optarg; break;
		case 'l': o.listen = optarg; break;
		case 'P': o.ports = optarg; break;
		case 'a': o.peer_addr = optarg; break;
		case 'c': o.connect = optarg; break;
		case 'd': o.dest = optarg; break;
		case 'S': o.src = optarg; break;
		case 'b':
			if (o.nbasis < 4096)
				o.basis[o.nbasis++] = optarg;
			break;
		case 'n': o.streams = atoi(optarg); break;
		case 'j': o.stats = optarg; break;
		case 'p': o.progress = 1; break;
		case 'H': o.compare_hash = 1; break;
		case 'T': o.timeout_ms = atoi(optarg); break;
		case 'B': o.bwlimit = peer_rate(optarg); break;
		case 'C': o.corrupt = optarg; break;
		case 'N': o.no_symlinks = 1; break;
		case 'R': o.stripe = atoi(optarg); break;
		case 'O': o.no_pipeline = 1; break;
		case 'K': o.no_keepalive = 1; break;
		case 'U':
			if (human_parse_mask(optarg, 077, &o.recv_umask) != 0)
				die(cmd, FERRY_ERR_INVAL, strdup("--umask: an "
				    "octal number from 0 to 077 (the owner's "
				    "bits stay)"));
			break;
		case 'Y':
			if ((o.flush = peer_flush_mode(optarg)) == -1)
				die(cmd, FERRY_ERR_INVAL, strdup("--flush: "
				    "auto, files or fs"));
			break;
		case 'A':
			if (o.naccept < 256)
				o.accept[o.naccept++] = optarg;
			break;
		case 'F':
		case 'L':
			if (o.nforge < 64) {
				o.forge_type[o.nforge] = ch;
				o.forge[o.nforge++] = optarg;
			}
			break;
		default:
			fputs(peer_usage_text, stderr);
			return (2);
		}
	}
	if (o.state == NULL)
		die(cmd, FERRY_ERR_INVAL, strdup("--state DIR is required"));
	if (strcmp(cmd, "keygen") == 0 || strcmp(cmd, "fingerprint") == 0)
		return (peer_keygen(&o, strcmp(cmd, "keygen") == 0));
	if (o.streams < 1 || o.streams > PEER_MAX_STREAMS || !o.peer_fp ||
	    !o.token_file || (!o.connect && (!o.listen || !o.peer_addr)))
		die(cmd, FERRY_ERR_INVAL, strdup("needs --peer-fp, "
		    "--token-file, and --connect or --listen with --peer-addr; "
		    "--streams from 1 to 16"));
	if (strcmp(cmd, "recv") == 0 && o.dest != NULL) {
		/* Made before listening: the sender would only see a reset. */
		if (mkdir(o.dest, 0755) == -1 && errno != EEXIST) {
			snprintf(why, sizeof why, "cannot create the "
			    "destination: %s", strerror(errno));
			die(o.dest, FERRY_ERR_IO, strdup(why));
		}
		return (peer_run(&o, 0, NULL, 0));
	}
	if (strcmp(cmd, "send") == 0 && o.src != NULL)
		return (peer_run(&o, 1, argv + optind, argc - optind));
	die(cmd, FERRY_ERR_INVAL, strdup("unknown command, or recv without "
	    "--dest or send without --src"));
}
