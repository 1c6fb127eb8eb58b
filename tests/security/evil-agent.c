/*
 * evil-agent: an enrolled agent that misbehaves on command, for the
 * attack tests in tests/security/ (docs/security.md lists them).
 *
 *   evil-agent talk STATE [--address ADDR] [--hold MS]
 *       [--send JSON]... [--on OP=JSON]... [--repeat N [--repeat-on OP]]
 *     Connects as the agent of STATE, says hello (claiming ADDR), prints
 *     the hub's welcome, sends each --send message, then for MS
 *     milliseconds prints every message from the hub, one JSON line
 *     each, and answers a message whose op is OP with JSON (its "@req",
 *     "@id", "@token" and "@port" strings replaced by that message's;
 *     OP=@FILE takes JSON from FILE).
 *     With --repeat N each answer goes N times (a replay; with
 *     --repeat-on OP only the answers to OP; a top-level "@n" in it
 *     becomes the count, 1 to N), --pace MS
 *     apart (a slow agent's drip; 0, at once, by default); --first JSON
 *     is sent instead of the hello; --send-file FILE sends FILE's JSON
 *     (too long for an argument); --send-pace MS puts MS between the
 *     --send messages.
 *     Exits 0 when the time is up, 3 when the hub hangs up first, 1
 *     when it refuses the hello.
 *
 *   evil-agent flood STATE --count N [--mode tcp|tls|half] [--hold S]
 *     Opens N connections to STATE's hub and holds them S seconds: bare
 *     TCP, a finished TLS handshake, or a handshake and then half of a
 *     1 MiB CONTROL frame. Prints "ready OPEN REFUSED" once all were
 *     tried, then "closed N" for those the hub closed while held.
 *
 *   evil-agent enroll-key STATE HOST:PORT HEXKEY
 *     Enrols with the key of an invite code (as stored in a copy of the
 *     hub's database) instead of the code.
 *
 *   evil-agent api SOCKET JSON
 *     Sends one request line, as is, to a local API socket and prints
 *     what comes back until the socket closes or 5 s pass.
 *
 *   evil-agent drip SOCKET --every MS [--hold S]
 *     A local client that sends a request one byte every MS
 *     milliseconds, for S seconds at most.
 */
#include "config.h"

#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "enroll.h"
#include "err.h"
#include "evil.h"
#include "frame.h"
#include "hex.h"
#include "identity.h"
#include "link.h"
#include "tls.h"

#define EVIL_EXIT_USAGE	2
#define EVIL_EXIT_HUNG	3

static void
evil_print(const json_t *m)
{
	char	*s = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);

	if (s != NULL)
		printf("%s\n", s);
	free(s);
	fflush(stdout);
}

static int
evil_ms_since(const struct timespec *t0)
{
	struct timespec	t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return ((int)((t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000));
}

/* A --on rule: the op it fires on and the answer's template. */
struct evil_rule {
	char	*op;
	json_t	*reply;
};

static int
evil_rule_parse(const char *arg, struct evil_rule *rule)
{
	const char	*eq = strchr(arg, '=');
	json_error_t	 jerr;

	/* OP=@FILE: the answer is FILE's JSON (too long for an argument). */
	if (eq == NULL || (rule->reply = eq[1] == '@' ?
	    json_load_file(eq + 2, 0, &jerr) : json_loads(eq + 1, 0,
	    &jerr)) == NULL) {
		fprintf(stderr, "evil-agent: --on OP=JSON: %s\n", eq ?
		    jerr.text : "no '='");
		return (-1);
	}
	rule->op = strndup(arg, (size_t)(eq - arg));
	return (0);
}

/* ans, sent as the n-th (from 1) of its repeats: "@n" replaced by n. */
static int
evil_send_nth(struct evil *e, const json_t *ans, int n, char **cause)
{
	json_t		*one = json_deep_copy(ans), *v;
	const char	*k;
	int		 r;

	if (one == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	json_object_foreach(one, k, v) {
		if (json_is_string(v) && strcmp(json_string_value(v),
		    "@n") == 0)
			json_object_set_new(one, k, json_integer(n));
	}
	r = evil_send(e, one, cause);
	json_decref(one);
	return (r);
}

/* Prints and answers what the hub says until hold_ms have passed. */
static int
evil_talk_loop(struct evil *e, int hold_ms, int repeat, const char *rop,
    int pace_ms, struct evil_rule *rules, size_t nrules, char **cause)
{
	struct timespec	 t0;
	const char	*op;
	json_t		*m, *ans;
	size_t		 i;
	int		 left, n, times, r = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((left = hold_ms - evil_ms_since(&t0)) > 0) {
		if ((r = evil_recv(e, left, &m, cause)) == FERRY_ERR_TIMEOUT) {
			free(*cause);
			*cause = NULL;
			break;
		}
		if (r != 0)
			return (r);
		evil_print(m);
		op = json_string_value(json_object_get(m, "op"));
		for (i = 0; i < nrules && op != NULL; i++) {
			if (strcmp(rules[i].op, op) != 0)
				continue;
			ans = evil_fill(rules[i].reply, m);
			times = rop == NULL || strcmp(rop, op) == 0 ? repeat : 1;
			for (n = 0; n < times && r == 0; n++) {
				if (n > 0 && pace_ms > 0)
					usleep((useconds_t)pace_ms * 1000);
				r = evil_send_nth(e, ans, n + 1, cause);
			}
			json_decref(ans);
			if (r != 0) {
				json_decref(m);
				return (r);
			}
		}
		json_decref(m);
	}
	return (0);
}

static int
evil_talk(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "address", required_argument, NULL, 'a' },
		{ "hold", required_argument, NULL, 'h' },
		{ "send", required_argument, NULL, 's' },
		{ "on", required_argument, NULL, 'o' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "repeat-on", required_argument, NULL, 'R' },
		{ "pace", required_argument, NULL, 'p' },
		{ "send-pace", required_argument, NULL, 'P' },
		{ "first", required_argument, NULL, 'f' },
		{ "send-file", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	struct evil		 e;
	struct evil_rule	 rules[16];
	json_t			*sends = json_array(), *m, *w = NULL;
	json_t			*first = NULL;
	json_error_t		 jerr;
	const char		*addr = NULL, *rop = NULL;
	char			*cause = NULL;
	size_t			 nrules = 0, i;
	int			 ch, hold = 1000, repeat = 1, pace = 0, r;
	int			 send_pace = 0;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a': addr = optarg; break;
		case 'h': hold = atoi(optarg); break;
		case 'r': repeat = atoi(optarg); break;
		case 'R': rop = optarg; break;
		case 'p': pace = atoi(optarg); break;
		case 'P': send_pace = atoi(optarg); break;
		case 'f':
			json_decref(first);
			if ((first = json_loads(optarg, 0, &jerr)) == NULL) {
				fprintf(stderr, "evil-agent: --first: %s\n",
				    jerr.text);
				return (EVIL_EXIT_USAGE);
			}
			break;
		case 's':
			if ((m = json_loads(optarg, 0, &jerr)) == NULL) {
				fprintf(stderr, "evil-agent: --send: %s\n",
				    jerr.text);
				return (EVIL_EXIT_USAGE);
			}
			json_array_append_new(sends, m);
			break;
		case 'F':
			if ((m = json_load_file(optarg, 0, &jerr)) == NULL) {
				fprintf(stderr, "evil-agent: --send-file: "
				    "%s\n", jerr.text);
				return (EVIL_EXIT_USAGE);
			}
			json_array_append_new(sends, m);
			break;
		case 'o':
			if (nrules == sizeof rules / sizeof rules[0] ||
			    evil_rule_parse(optarg, &rules[nrules]) != 0)
				return (EVIL_EXIT_USAGE);
			nrules++;
			break;
		default:
			return (EVIL_EXIT_USAGE);
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: evil-agent talk STATE [options]\n");
		return (EVIL_EXIT_USAGE);
	}
	if ((r = evil_load(&e, argv[optind], &cause)) == 0 &&
	    (r = evil_connect(&e, 10000, &cause)) == 0 &&
	    (r = first != NULL ? evil_send(&e, first, &cause) : evil_hello(&e,
	    addr, &w, &cause)) == 0 &&
	    (first == NULL || (r = evil_recv(&e, 10000, &w, &cause)) == 0)) {
		evil_print(w);
		if (json_object_get(w, "error") != NULL)
			r = err_set(&cause, FERRY_ERR_AUTH, "refused: %s",
			    json_string_value(json_object_get(w, "error")));
		json_array_foreach(sends, i, m) {
			if (i > 0 && send_pace > 0)
				usleep((useconds_t)send_pace * 1000);
			if (r != 0 || (r = evil_send(&e, m, &cause)) != 0)
				break;
		}
		if (r == 0)
			r = evil_talk_loop(&e, hold, repeat, rop, pace,
			    rules, nrules, &cause);
		if (r != 0 && r != FERRY_ERR_AUTH)
			r = EVIL_EXIT_HUNG;
	}
	if (cause != NULL)
		fprintf(stderr, "evil-agent: %s\n", cause);
	json_decref(w);
	json_decref(first);
	json_decref(sends);
	for (i = 0; i < nrules; i++) {
		free(rules[i].op);
		json_decref(rules[i].reply);
	}
	free(cause);
	evil_free(&e);
	return (r == 0 ? 0 : r == EVIL_EXIT_HUNG ? r : 1);
}

/* One flood connection: how far it got. */
static int
evil_flood_one(struct evil *proto, const char *mode, int *fd,
    struct tls_conn **c)
{
	static uint8_t	 junk[FRAME_HEADER_LEN + 512 * 1024];
	char		*cause = NULL;
	int		 r;

	*c = NULL;
	if ((r = link_dial(proto->host, proto->port, proto->source, fd,
	    &cause)) != 0) {
		free(cause);
		return (-1);
	}
	if (strcmp(mode, "tcp") == 0)
		return (0);
	if (tls_connect(*fd, proto->id, proto->hub_fp, 1000, c, &cause) != 0) {
		free(cause);
		return (-1);
	}
	if (strcmp(mode, "half") != 0)
		return (0);
	/* A CONTROL frame announcing 1 MiB, and half of it. */
	memset(junk, ' ', sizeof junk);
	frame_header_encode(junk, FRAME_CONTROL, 0, 1024 * 1024, NULL);
	if (tls_write(*c, junk, sizeof junk, &cause) != 0) {
		free(cause);
		return (-1);
	}
	return (0);
}

static int
evil_flood(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "mode", required_argument, NULL, 'm' },
		{ "hold", required_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct evil		  e;
	struct tls_conn		**conns;
	struct pollfd		 *pfd;
	const char		 *mode = "half";
	char			 *cause = NULL;
	int			  ch, n = 100, hold = 5, i, open = 0, closed = 0;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n': n = atoi(optarg); break;
		case 'm': mode = optarg; break;
		case 'h': hold = atoi(optarg); break;
		default: return (EVIL_EXIT_USAGE);
		}
	}
	if (argc - optind != 1 || n < 1) {
		fprintf(stderr, "usage: evil-agent flood STATE --count N\n");
		return (EVIL_EXIT_USAGE);
	}
	if (evil_load(&e, argv[optind], &cause) != 0) {
		fprintf(stderr, "evil-agent: %s\n", cause);
		free(cause);
		return (1);
	}
	conns = calloc((size_t)n, sizeof *conns);
	pfd = calloc((size_t)n, sizeof *pfd);
	for (i = 0; i < n; i++) {
		pfd[i].events = POLLIN;
		if (evil_flood_one(&e, mode, &pfd[i].fd, &conns[i]) == 0)
			open++;
		else if (pfd[i].fd > 0) {
			close(pfd[i].fd);
			pfd[i].fd = -1;
		}
	}
	printf("ready %d %d\n", open, n - open);
	fflush(stdout);
	sleep((unsigned)hold);
	/* Whatever the hub closed reads as the end of the stream. */
	poll(pfd, (nfds_t)n, 0);
	for (i = 0; i < n; i++) {
		if (pfd[i].fd > 0 && (pfd[i].revents & (POLLIN | POLLHUP)))
			closed++;
		tls_free(conns[i]);
		if (pfd[i].fd > 0)
			close(pfd[i].fd);
	}
	printf("closed %d\n", closed);
	free(conns);
	free(pfd);
	evil_free(&e);
	return (0);
}

/*
 * Enrols STATE's key (made if missing) at HOST:PORT with a code's key in
 * hex, as someone who read it from a copy of the hub's database would.
 */
static int
evil_enroll_key(int argc, char **argv)
{
	struct identity	*id = NULL;
	struct tls_conn	*c = NULL;
	uint8_t		 key[ENROLL_KEY_LEN];
	json_t		*reply = NULL;
	char		*host = NULL, *cause = NULL;
	int		 port, fd = -1, created, r;

	if (argc != 4 || strlen(argv[3]) != 2 * ENROLL_KEY_LEN ||
	    hex_decode(argv[3], key, sizeof key) != 0) {
		fprintf(stderr, "usage: evil-agent enroll-key STATE HOST:PORT "
		    "HEXKEY\n");
		return (EVIL_EXIT_USAGE);
	}
	if ((r = conf_split_addr(argv[2], CONF_CONTROL_PORT, &host, &port,
	    &cause)) == 0 &&
	    (r = identity_init_dir(argv[1], "thief", &id, &created,
	    &cause)) == 0 &&
	    (r = link_dial(host, port, NULL, &fd, &cause)) == 0 &&
	    (r = tls_connect(fd, id, NULL, 10000, &c, &cause)) == 0 &&
	    (r = enroll_agent_key(c, key, "thief", &reply, &cause)) == 0)
		evil_print(reply);
	else
		fprintf(stderr, "evil-agent: enroll-key: %s\n", cause ?
		    cause : err_str(r));
	json_decref(reply);
	tls_free(c);
	if (fd != -1)
		close(fd);
	identity_free(id);
	free(host);
	free(cause);
	return (r == 0 ? 0 : 1);
}

/* A connection to a local API socket. */
static int
evil_unix(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	memcpy(sun.sun_path, path, strlen(path));
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

static int
evil_api(int argc, char **argv)
{
	struct pollfd	pfd;
	char		buf[4096];
	ssize_t		n;

	if (argc != 3 || (pfd.fd = evil_unix(argv[1])) == -1) {
		fprintf(stderr, "usage: evil-agent api SOCKET JSON\n");
		return (EVIL_EXIT_USAGE);
	}
	pfd.events = POLLIN;
	if (write(pfd.fd, argv[2], strlen(argv[2])) == -1 ||
	    write(pfd.fd, "\n", 1) == -1)
		return (1);
	while (poll(&pfd, 1, 5000) > 0 && (n = read(pfd.fd, buf,
	    sizeof buf)) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(pfd.fd);
	return (0);
}

static int
evil_drip(int argc, char **argv)
{
	static const char	 req[] = "{\"op\": \"status\"}\n";
	struct timespec		 t0;
	int			 fd, every, hold = 60;
	size_t			 i;

	if (argc < 4 || strcmp(argv[2], "--every") != 0 ||
	    (every = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: evil-agent drip SOCKET --every MS "
		    "[--hold S]\n");
		return (EVIL_EXIT_USAGE);
	}
	if (argc == 6 && strcmp(argv[4], "--hold") == 0)
		hold = atoi(argv[5]);
	if ((fd = evil_unix(argv[1])) == -1) {
		fprintf(stderr, "evil-agent: %s: cannot connect\n", argv[1]);
		return (1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	printf("dripping\n");
	fflush(stdout);
	for (i = 0; i < sizeof req - 2 && evil_ms_since(&t0) < hold * 1000;
	    i++) {
		if (write(fd, req + i, 1) != 1)
			break;
		usleep((useconds_t)every * 1000);
	}
	printf("%s after %zu bytes\n", i < sizeof req - 2 ? "cut" : "held",
	    i);
	close(fd);
	return (0);
}

int
main(int argc, char **argv)
{
	/* The hub hanging up on a write is an outcome, not a crash. */
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && strcmp(argv[1], "talk") == 0)
		return (evil_talk(argc - 1, argv + 1));
	if (argc >= 2 && strcmp(argv[1], "flood") == 0)
		return (evil_flood(argc - 1, argv + 1));
	if (argc >= 2 && strcmp(argv[1], "enroll-key") == 0)
		return (evil_enroll_key(argc - 1, argv + 1));
	if (argc >= 2 && strcmp(argv[1], "api") == 0)
		return (evil_api(argc - 1, argv + 1));
	if (argc >= 2 && strcmp(argv[1], "drip") == 0)
		return (evil_drip(argc - 1, argv + 1));
	fprintf(stderr, "usage: evil-agent talk|flood|enroll-key|api|drip "
	    "...\n");
	return (EVIL_EXIT_USAGE);
}
