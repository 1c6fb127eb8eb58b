/*
 * evil-data: an enrolled vendor's agent that sends what it likes on the
 * data plane, for the attack tests in tests/security/ (docs/security.md,
 * "Data plane"). It speaks the real protocols (evil.h for the control
 * link, transfer/ for the session) but forges the entries it offers.
 *
 *   evil-data send STATE [--symlink REL=TARGET]... [--dir REL]...
 *       [--mode REL=OCTAL]... [--basis REL=BASIS]...
 *       [--extra-symlink REL=TARGET]... [--extra-file REL=SRC]...
 *       [--hold MS] [--linger MS]
 *     Connects as the agent of STATE and waits (MS, default 20000) for
 *     the hub. A "list" is answered with each path asked for and its
 *     size, as a real agent would. For the first transfer.start that
 *     makes it the sender it connects to the data port and offers every
 *     file asked for, except: --symlink offers REL as a symlink to
 *     TARGET, --dir as a directory, --mode as a file with that mode,
 *     --basis with that basis hint (whatever the hub said); and --extra-*
 *     entries are offered too, though never asked for. It reports each
 *     file's fate and the end to the hub as an agent does, prints "sent:
 *     ok" or "sent: CAUSE" and "stats: whole=N delta=N wire=N", and exits.
 *     With --linger MS it never reports the end: it says "lingering", then
 *     keeps its link and reports the first file's progress every second
 *     for MS, as a sender still at work would, and goes without a word.
 *     With --drip MS it sends no file: on each data stream it writes the
 *     header of a HELLO frame of the largest size, then one byte of it a
 *     second (each its own TLS record: the receiver sees progress on the
 *     wire, never a whole frame), reporting the first file's progress to
 *     the hub each second, for MS; it says "dripping" first.
 *     With --list-size N each file's size in its answers to "list" is N,
 *     whatever the file holds (the file itself is sent as it is).
 */
#include "config.h"

#include <dirent.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "evil.h"
#include "frame.h"
#include "hex.h"
#include "identity.h"
#include "link.h"
#include "msg-int.h"
#include "tls.h"
#include "transfer.h"

#define EVIL_MAX_RULES	64
#define EVIL_STREAMS	8

/* A forging rule: what to offer for REL (or in addition). */
struct evil_forge {
	int		 kind;	/* 's'ymlink, 'd'ir, 'm'ode, 'b'asis;
				   'S', 'F' extra */
	char		*rel;
	const char	*value;
};

struct evil_data {
	struct evil		 e;
	struct evil_forge	 rules[EVIL_MAX_RULES];
	size_t			 nrules;
	json_int_t		 id;
	int			 linger_ms;
	int			 drip_ms;
};

static void __attribute__((noreturn))
evil_die(const char *what, int r, char *cause)
{
	fprintf(stderr, "evil-data: %s: %s\n", what, cause ? cause :
	    err_str(r));
	exit(1);
}

static const struct evil_forge *
evil_rule_for(const struct evil_data *x, const char *rel)
{
	size_t	i;

	for (i = 0; i < x->nrules; i++) {
		if (strchr("sdmb", x->rules[i].kind) != NULL &&
		    strcmp(x->rules[i].rel, rel) == 0)
			return (&x->rules[i]);
	}
	return (NULL);
}

/* Fills tf as a real sender would (src, stat), then forges it. */
static void
evil_entry(struct transfer_file *tf, const char *src, const char *rel,
    const struct evil_forge *f)
{
	struct stat	sb;

	memset(tf, 0, sizeof *tf);
	tf->src = strdup(src);
	tf->rel = strdup(rel);
	tf->type = MSG_ENTRY_FILE;
	tf->mode = 0644;
	if (stat(src, &sb) == 0) {
		tf->mode = sb.st_mode & 07777;
		tf->size = (uint64_t)sb.st_size;
		tf->mtime_sec = sb.st_mtim.tv_sec;
		tf->mtime_nsec = (uint32_t)sb.st_mtim.tv_nsec;
	}
	if (f == NULL)
		return;
	if (f->kind == 's' || f->kind == 'S') {
		tf->type = MSG_ENTRY_SYMLINK;
		tf->link = strdup(f->value);
		tf->size = 0;
	} else if (f->kind == 'd') {
		tf->type = MSG_ENTRY_DIR;
		tf->size = 0;
	} else if (f->kind == 'm')
		tf->mode = (uint32_t)strtoul(f->value, NULL, 8);
	else if (f->kind == 'b')
		tf->basis = strdup(f->value);
}

/* The list the hub asked for, forged; extras at the end. */
static void
evil_list(struct evil_data *x, const json_t *msg, struct transfer_list *l)
{
	const json_t	*files = json_object_get(msg, "files"), *f;
	const char	*root = json_string_value(json_object_get(msg,
			    "root"));
	size_t		 i, n = json_array_size(files);
	char		 src[4096];

	memset(l, 0, sizeof *l);
	l->root = strdup(root != NULL ? root : "/");
	l->v = calloc(n + x->nrules + 1, sizeof *l->v);
	if (l->v == NULL || l->root == NULL)
		evil_die("list", FERRY_ERR_NOMEM, NULL);
	json_array_foreach(files, i, f) {
		const char *rel = json_string_value(json_object_get(f, "rel"));

		const char *basis = json_string_value(json_object_get(f,
		    "basis"));

		evil_entry(&l->v[l->n], json_string_value(json_object_get(f,
		    "src")), rel, evil_rule_for(x, rel));
		if (l->v[l->n].basis == NULL && basis != NULL)
			l->v[l->n].basis = strdup(basis);
		l->n++;
	}
	for (i = 0; i < x->nrules; i++) {
		if (x->rules[i].kind != 'S' && x->rules[i].kind != 'F')
			continue;
		snprintf(src, sizeof src, "%s/%s", l->root, x->rules[i].kind ==
		    'F' ? x->rules[i].value : x->rules[i].rel);
		evil_entry(&l->v[l->n++], src, x->rules[i].rel,
		    &x->rules[i]);
	}
}

static void
evil_file_done(size_t i, int ok, const char *why, void *arg)
{
	struct evil_data	*x = arg;
	json_t			*m;

	m = json_pack("{s:s, s:I, s:I, s:b, s:s?}", "op", "transfer.file",
	    "id", x->id, "index", (json_int_t)i, "ok", ok, "error", ok ? NULL :
	    why);
	if (m != NULL)
		evil_send(&x->e, m, NULL);
	json_decref(m);
}

/*
 * A byte a second on every stream, in a frame that never ends, while the
 * hub hears "still at work": the slot a receiver gives this transfer is
 * held for as long as it lasts, unless the receiver judges by what it
 * gets rather than by the wire's being alive.
 */
static void
evil_drip(struct evil_data *x, struct tls_conn **conns, int n)
{
	uint8_t	 hdr[FRAME_HEADER_LEN], b = 0;
	json_t	*m, *p;
	int	 i, left, r;

	frame_header_encode(hdr, FRAME_HELLO, 0,
	    frame_type_max_len(FRAME_HELLO), NULL);
	for (i = 0; i < n; i++)
		tls_write(conns[i], hdr, sizeof hdr, NULL);
	printf("dripping\n");
	fflush(stdout);
	p = json_pack("{s:s, s:I, s:i, s:i}", "op", "transfer.progress", "id",
	    x->id, "index", 0, "bytes", 1);
	for (left = x->drip_ms; p != NULL && left > 0; left -= 1000) {
		for (i = 0; i < n; i++) {
			if (tls_write(conns[i], &b, 1, NULL) != 0) {
				printf("cut after %d ms\n", x->drip_ms - left);
				fflush(stdout);
				left = 0;
				break;
			}
		}
		if (left == 0 || evil_send(&x->e, p, NULL) != 0)
			break;
		if ((r = evil_recv(&x->e, 1000, &m, NULL)) == 0)
			json_decref(m);
		else if (r != FERRY_ERR_TIMEOUT)
			break;
	}
	json_decref(p);
}

/* The sender's part of msg, with forged entries. */
static int
evil_transfer(struct evil_data *x, const json_t *msg, char **cause)
{
	struct link_params	 p;
	struct transfer_opts	 o;
	struct transfer_stats	 st;
	struct transfer_list	 l;
	struct tls_conn		*conns[EVIL_STREAMS];
	uint8_t			 fp[IDENTITY_FP_LEN], tok[LINK_TOKEN_LEN];
	const char		*addr;
	char			*host = NULL;
	int			 fds[EVIL_STREAMS], port, r;

	memset(&p, 0, sizeof p);
	p.streams = (int)json_integer_value(json_object_get(msg, "streams"));
	addr = json_string_value(json_object_get(msg, "connect"));
	if (p.streams < 1 || p.streams > EVIL_STREAMS || addr == NULL ||
	    hex_decode(json_string_value(json_object_get(msg, "token")), tok,
	    sizeof tok) != 0)
		return (err_set(cause, FERRY_ERR_PROTO, "a transfer.start this "
		    "agent cannot follow"));
	if ((r = identity_fp_parse(json_string_value(json_object_get(msg,
	    "peer_fp")), fp, cause)) != 0 ||
	    (r = conf_split_addr(addr, 0, &host, &port, cause)) != 0)
		return (r);
	p.id = x->e.id;
	p.peer_fp = fp;
	p.token = tok;
	p.timeout_ms = 10000;
	p.source = x->e.source;
	evil_list(x, msg, &l);
	if (x->drip_ms > 0 && (r = link_connect(host, port, &p, conns, fds,
	    cause)) == 0) {
		evil_drip(x, conns, p.streams);
		link_close(conns, fds, p.streams);
	} else if ((r = link_connect(host, port, &p, conns, fds, cause)) == 0) {
		memset(&o, 0, sizeof o);
		o.file_done = evil_file_done;
		o.file_done_arg = x;
		r = transfer_send(conns, p.streams, &l, &o, &st, cause);
		link_close(conns, fds, p.streams);
		printf("stats: whole=%ju delta=%ju wire=%ju\n",
		    (uintmax_t)st.whole, (uintmax_t)st.delta,
		    (uintmax_t)st.wire_bytes);
	}
	transfer_list_clear(&l);
	free(host);
	return (r);
}

/* --list-size: the size every listed file is said to have (-1: its own). */
static json_int_t evil_list_size = -1;

/* Adds path to files, or the files of directory path (one level). */
static void
evil_list_path(json_t *files, const char *path)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	char		 sub[4096];

	if (stat(path, &sb) == -1)
		return;
	if (S_ISREG(sb.st_mode)) {
		json_array_append_new(files, json_pack("{s:s, s:I}", "path",
		    path, "size", evil_list_size >= 0 ? evil_list_size :
		    (json_int_t)sb.st_size));
		return;
	}
	if (!S_ISDIR(sb.st_mode) || (d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
		if (de->d_name[0] != '.' && stat(sub, &sb) == 0 &&
		    S_ISREG(sb.st_mode))
			evil_list_path(files, sub);
	}
	closedir(d);
}

/* Answers "list" with each path and its size, as an agent does. */
static void
evil_answer_list(struct evil_data *x, const json_t *msg)
{
	const json_t	*p;
	json_t		*files = json_array(), *rep;
	size_t		 i;

	json_array_foreach(json_object_get(msg, "paths"), i, p)
		evil_list_path(files, json_string_value(p));
	rep = json_pack("{s:O?, s:o}", "re", json_object_get(msg, "req"),
	    "files", files);
	if (rep != NULL)
		evil_send(&x->e, rep, NULL);
	json_decref(rep);
}

/*
 * Files sent, but the end never reported: "still at work" once a second,
 * which is all the hub hears from a sender between its files.
 */
static void
evil_linger(struct evil_data *x)
{
	json_t	*m, *p;
	int	 left, r;

	printf("lingering\n");
	fflush(stdout);
	p = json_pack("{s:s, s:I, s:i, s:i}", "op", "transfer.progress", "id",
	    x->id, "index", 0, "bytes", 1);
	for (left = x->linger_ms; p != NULL && left > 0; left -= 1000) {
		if (evil_send(&x->e, p, NULL) != 0)
			break;
		/* What the hub says meanwhile (a ping, an abort) is let be. */
		if ((r = evil_recv(&x->e, 1000, &m, NULL)) == 0)
			json_decref(m);
		else if (r != FERRY_ERR_TIMEOUT)
			break;
	}
	json_decref(p);
}

static int
evil_serve(struct evil_data *x, int hold_ms, char **cause)
{
	const char	*op, *role;
	json_t		*m, *welcome = NULL, *done;
	char		*why = NULL;
	int		 r;

	if ((r = evil_connect(&x->e, 5000, cause)) != 0 ||
	    (r = evil_hello(&x->e, NULL, &welcome, cause)) != 0)
		return (r);
	json_decref(welcome);
	printf("linked\n");
	fflush(stdout);
	for (;;) {
		if ((r = evil_recv(&x->e, hold_ms, &m, cause)) != 0)
			return (r);
		op = json_string_value(json_object_get(m, "op"));
		role = json_string_value(json_object_get(m, "role"));
		if (op != NULL && strcmp(op, "list") == 0)
			evil_answer_list(x, m);
		if (op != NULL && strcmp(op, "transfer.start") == 0 &&
		    role != NULL && strcmp(role, "send") == 0)
			break;
		json_decref(m);
	}
	x->id = json_integer_value(json_object_get(m, "id"));
	r = evil_transfer(x, m, &why);
	json_decref(m);
	printf("sent: %s\n", r == 0 ? "ok" : why ? why : err_str(r));
	if (x->linger_ms > 0) {
		evil_linger(x);
		free(why);
		evil_close(&x->e);
		return (0);
	}
	done = json_pack("{s:s, s:I, s:b, s:s?, s:I, s:I}", "op",
	    "transfer.done", "id", x->id, "ok", r == 0, "error", r != 0 ?
	    (why ? why : err_str(r)) : NULL, "bytes", (json_int_t)0,
	    "wire_bytes", (json_int_t)0);
	if (done != NULL)
		evil_send(&x->e, done, NULL);
	json_decref(done);
	free(why);
	/*
	 * Gone at once, with close_notify after the last words: a retry of
	 * the failed file must not find this agent and start a transfer that
	 * nobody will take part in.
	 */
	evil_close(&x->e);
	return (0);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "symlink", required_argument, NULL, 's' },
		{ "dir", required_argument, NULL, 'd' },
		{ "mode", required_argument, NULL, 'm' },
		{ "basis", required_argument, NULL, 'b' },
		{ "extra-symlink", required_argument, NULL, 'S' },
		{ "extra-file", required_argument, NULL, 'F' },
		{ "hold", required_argument, NULL, 'h' },
		{ "linger", required_argument, NULL, 'L' },
		{ "drip", required_argument, NULL, 'D' },
		{ "list-size", required_argument, NULL, 'Z' },
		{ NULL, 0, NULL, 0 }
	};
	struct evil_data	 x;
	struct evil_forge	*f;
	char			*cause = NULL, *eq;
	int			 ch, r, hold_ms = 20000;

	memset(&x, 0, sizeof x);
	if (argc < 3 || strcmp(argv[1], "send") != 0) {
		fprintf(stderr, "usage: evil-data send STATE [forgeries]\n");
		return (2);
	}
	optind = 3;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 'h') {
			hold_ms = atoi(optarg);
			continue;
		}
		if (ch == 'L') {
			x.linger_ms = atoi(optarg);
			continue;
		}
		if (ch == 'D') {
			x.drip_ms = atoi(optarg);
			continue;
		}
		if (ch == 'Z') {
			evil_list_size = strtoll(optarg, NULL, 10);
			continue;
		}
		if (ch == '?' || x.nrules == EVIL_MAX_RULES)
			return (2);
		f = &x.rules[x.nrules++];
		f->kind = ch;
		if ((f->rel = strdup(optarg)) == NULL)
			return (1);
		if ((eq = strchr(f->rel, '=')) != NULL) {
			*eq = '\0';
			f->value = eq + 1;
		} else if (ch != 'd')
			return (2);
	}
	if ((r = evil_load(&x.e, argv[2], &cause)) != 0)
		evil_die("load", r, cause);
	if ((r = evil_serve(&x, hold_ms, &cause)) != 0)
		evil_die("serve", r, cause);
	evil_free(&x.e);
	while (x.nrules > 0)
		free(x.rules[--x.nrules].rel);
	return (0);
}
