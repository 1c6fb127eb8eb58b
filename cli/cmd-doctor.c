/*
 * ferry doctor [--json] [--map FILE] [--unit FILE] [--ftrack-state DIR]
 *     [--state DIR]
 * Checks this machine's ferry set-up and prints one line per check, with
 * the fix for each failure: the state directory, the daemon, the hub, the
 * share roots (and the systemd unit's ReadWritePaths), the clock, the
 * ports and ferry-ftrack's credentials. Exits 1 when something is wrong.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "cli.h"
#include "jsonline.h"
#include "share-map.h"
#include "statedir.h"

static int	cmd_doctor_exec(int, char **);

const struct cmd_entry cmd_doctor_entry = {
	.name = "doctor",
	.usage = "[--json] [--map FILE] [--unit FILE] [--ftrack-state DIR] "
	    "[--state DIR]",
	.summary = "check this machine's set-up, with a fix for each problem",
	.exec = cmd_doctor_exec,
};

#define DOCTOR_PORT_CONTROL	45190
#define DOCTOR_PORT_FIRST	45191
#define DOCTOR_PORT_LAST	45210
#define DOCTOR_CLOCK_SKEW	30	/* seconds the clocks may differ */

enum doctor_status { DOCTOR_OK, DOCTOR_FAIL, DOCTOR_SKIP };

struct doctor {
	const char	*state;
	const char	*map_file;
	const char	*unit_file;
	const char	*ff_state;
	int		 json;
	int		 failed;
	json_t		*checks;
	json_t		*status;	/* the daemon's answer; NULL */
	char		*conf_role;	/* from ferryd.conf */
	char		*conf_listen;
	char		*conf_hub;
	char		*conf_hub_fp;
	char		*conf_site;
	char		*conf_flush;	/* receive-flush */
	char		**rw;		/* the unit's ReadWritePaths */
	size_t		 nrw;
	int		 strict;	/* ProtectSystem=strict */
};

static void	doctor_say(struct doctor *, const char *, enum doctor_status,
		    const char *, const char *, ...)
		    __attribute__((format(FERRY_PRINTF_FORMAT, 5, 6)));

/* One line: "ok   NAME  what", and below a failure, "     fix: how". */
static void
doctor_say(struct doctor *dr, const char *check, enum doctor_status st,
    const char *fix, const char *fmt, ...)
{
	static const char	*word[] = { "ok", "FAIL", "skip" };
	char			 msg[1024];
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (st == DOCTOR_FAIL)
		dr->failed = 1;
	if (dr->json) {
		json_array_append_new(dr->checks, json_pack("{s:s, s:s, s:s, "
		    "s:s?}", "check", check, "status", st == DOCTOR_FAIL ?
		    "fail" : word[st], "detail", msg,
		    "fix", st == DOCTOR_FAIL ? fix : NULL));
		return;
	}
	printf("%-4s  %-8s  %s\n", word[st], check, msg);
	if (st == DOCTOR_FAIL && fix != NULL)
		printf("%-4s  %-8s  fix: %s\n", "", "", fix);
}

/* Reads the keywords the checks need from ferryd.conf. */
static void
doctor_conf(struct doctor *dr, const char *dir)
{
	dr->conf_role = cli_conf_get(dir, "role");
	dr->conf_listen = cli_conf_get(dir, "listen");
	dr->conf_hub = cli_conf_get(dir, "hub");
	dr->conf_hub_fp = cli_conf_get(dir, "hub-fingerprint");
	if ((dr->conf_site = cli_conf_get(dir, "site")) == NULL)
		dr->conf_site = cli_conf_get(dir, "user");
	dr->conf_flush = cli_conf_get(dir, "receive-flush");
}

static int
doctor_state(struct doctor *dr, const char *dir)
{
	struct stat	sb;
	char		path[4096], fix[4200];

	snprintf(fix, sizeof fix, "ferryd init --hub --site SITE --listen "
	    "ADDR --state %s (a hub) or ferryd enroll HUB CODE --state %s (an "
	    "agent); or point ferry at the right one with --state DIR or "
	    "FERRY_STATE", dir, dir);
	if (stat(dir, &sb) == -1) {
		doctor_say(dr, "state", DOCTOR_FAIL, fix, "%s: %s", dir,
		    strerror(errno));
		return (-1);
	}
	if (!S_ISDIR(sb.st_mode) || sb.st_uid != geteuid() ||
	    (sb.st_mode & 077) != 0) {
		snprintf(fix, sizeof fix, "chown %ld %s && chmod 700 %s (run "
		    "ferry as the user ferryd runs as)", (long)geteuid(), dir,
		    dir);
		doctor_say(dr, "state", DOCTOR_FAIL, fix, "%s: mode %03o, "
		    "owner uid %ld: it must be a directory of yours, mode 700",
		    dir,
		    (unsigned)(sb.st_mode & 0777), (long)sb.st_uid);
		return (-1);
	}
	snprintf(path, sizeof path, "%s/ferryd.conf", dir);
	if (stat(path, &sb) == -1) {
		doctor_say(dr, "state", DOCTOR_FAIL, fix, "%s has no "
		    "ferryd.conf: this machine is not set up", dir);
		return (-1);
	}
	snprintf(path, sizeof path, "%s/key.pem", dir);
	if (stat(path, &sb) == 0 && (sb.st_mode & 077) != 0) {
		snprintf(fix, sizeof fix, "chmod 600 %s", path);
		doctor_say(dr, "state", DOCTOR_FAIL, fix, "%s is mode %03o: "
		    "others may read the private key", path,
		    (unsigned)(sb.st_mode & 0777));
		return (-1);
	}
	doctor_conf(dr, dir);
	doctor_say(dr, "state", DOCTOR_OK, NULL, "%s (mode 700, yours), %s "
	    "of site %s", dir, dr->conf_role ? dr->conf_role : "?",
	    dr->conf_site ? dr->conf_site : "?");
	return (0);
}

/* The daemon's status, asked quietly: its absence is a finding. */
static void
doctor_daemon(struct doctor *dr, const char *dir)
{
	struct jsonline_conn	*c = NULL;
	json_t			*req = json_pack("{s:s}", "op", "status");
	char			 path[4096], fix[4200], *cause = NULL;
	int			 r;

	snprintf(path, sizeof path, "%s/%s", dir, JSONLINE_SOCKET_NAME);
	if ((r = jsonline_connect(path, &c, &cause)) == 0 &&
	    (r = jsonline_request(c, req, &cause)) == 0)
		r = jsonline_recv(c, &dr->status, &cause);
	jsonline_free(c);
	json_decref(req);
	if (r != 0) {
		snprintf(fix, sizeof fix, "systemctl start ferryd, or ferryd "
		    "run --state %s", dir);
		doctor_say(dr, "daemon", DOCTOR_FAIL, fix, "not running: %s",
		    cause ? cause : "no answer");
		free(cause);
		return;
	}
	doctor_say(dr, "daemon", DOCTOR_OK, NULL, "ferryd %s %s running, key "
	    "%s", json_string_value(json_object_get(dr->status, "role")),
	    json_string_value(json_object_get(dr->status, "name")),
	    json_string_value(json_object_get(dr->status, "fingerprint")));
}

static int	doctor_reach(const char *, const char *);

/* Without the daemon: can this machine reach the hub's control port? */
static void
doctor_hub_reach(struct doctor *dr)
{
	char	host[512], *port, *rb;

	snprintf(host, sizeof host, "%s", dr->conf_hub ? dr->conf_hub : "");
	port = strrchr(host, ':');
	rb = strchr(host, ']');
	if (port != NULL && (rb == NULL || rb < port))
		*port++ = '\0';
	else
		port = NULL;
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	if (doctor_reach(host, port ? port : "45190") != 0)
		doctor_say(dr, "hub", DOCTOR_FAIL, "check the hub runs, and "
		    "that a firewall lets this machine reach its TCP port 45190",
		    "key pinned, but hub %s cannot be reached", dr->conf_hub);
	else
		doctor_say(dr, "hub", DOCTOR_OK, NULL, "hub %s reachable, its "
		    "key pinned (the link needs the daemon)", dr->conf_hub);
}

static void
doctor_hub(struct doctor *dr)
{
	const char	*err;

	if (dr->conf_role != NULL && strcmp(dr->conf_role, "hub") == 0) {
		doctor_say(dr, "hub", DOCTOR_OK, NULL, "this is the hub, "
		    "listening on %s", dr->conf_listen ? dr->conf_listen :
		    "?");
		return;
	}
	if (dr->conf_hub_fp == NULL) {
		doctor_say(dr, "hub", DOCTOR_FAIL, "ferryd enroll HUB CODE "
		    "--state DIR (a code from 'ferry invite' on the hub)",
		    "no hub key pinned: this agent is not enrolled");
		return;
	}
	if (dr->status == NULL) {
		doctor_hub_reach(dr);
		return;
	}
	err = json_string_value(json_object_get(dr->status, "link_error"));
	if (json_is_true(json_object_get(dr->status, "connected")))
		doctor_say(dr, "hub", DOCTOR_OK, NULL, "connected to %s, its "
		    "key pinned", dr->conf_hub);
	else
		doctor_say(dr, "hub", DOCTOR_FAIL, "check that the hub runs "
		    "and that this machine reaches its port 45190 (firewall)",
		    "not connected to %s: %s", dr->conf_hub, err ? err :
		    "no link yet");
}

/*
 * The hub's outbox (docs/mail.md): mail waiting with an error is a
 * finding (it is retried on its own, but nobody is told meanwhile).
 */
static void
doctor_mail(struct doctor *dr)
{
	json_t		*m = json_object_get(dr->status, "mail");
	const char	*err;
	json_int_t	 queued, sent, failed;

	if (m == NULL)
		return;
	if (!json_is_true(json_object_get(m, "on"))) {
		doctor_say(dr, "mail", DOCTOR_SKIP, NULL, "off: no smtp-server "
		    "in ferryd.conf (docs/mail.md)");
		return;
	}
	queued = json_integer_value(json_object_get(m, "queued"));
	sent = json_integer_value(json_object_get(m, "sent"));
	failed = json_integer_value(json_object_get(m, "failed"));
	err = json_string_value(json_object_get(m, "last_error"));
	if (queued > 0 && err != NULL)
		doctor_say(dr, "mail", DOCTOR_FAIL, "check smtp-server, "
		    "smtp-port, the login and the server itself; waiting mail "
		    "is retried on its own", "%lld message(s) waiting: %s",
		    (long long)queued, err);
	else
		doctor_say(dr, "mail", DOCTOR_OK, NULL, "%lld sent, %lld "
		    "waiting, %lld failed for good", (long long)sent,
		    (long long)queued, (long long)failed);
}

/* 1 if path is below one of the unit's ReadWritePaths. */
static int
doctor_in_rw(const struct doctor *dr, const char *path)
{
	size_t	i, n;

	for (i = 0; i < dr->nrw; i++) {
		n = strlen(dr->rw[i]);
		while (n > 1 && dr->rw[i][n - 1] == '/')
			n--;
		if (strncmp(path, dr->rw[i], n) == 0 && (path[n] == '\0' ||
		    path[n] == '/' || n == 1))
			return (1);
	}
	return (0);
}

/*
 * How files received under root are made durable (receive-flush,
 * docs/operations.md): a folder of a larger file system gets a flush
 * per file by default, half as fast for small files. The same test as
 * the receiver's flush_fs_own (transfer/flush.c) for its root; the CLI
 * does not link the transfer library for it.
 */
static const char *
doctor_flush(const struct doctor *dr, const char *root)
{
#ifdef HAVE_SYNCFS
	struct stat	sb, up;
	char		parent[4200];

	if (dr->conf_flush != NULL && strcmp(dr->conf_flush, "fs") == 0)
		return ("; files received there are flushed a batch at once "
		    "(receive-flush fs)");
	if (dr->conf_flush != NULL && strcmp(dr->conf_flush, "files") == 0)
		return ("; files received there are flushed one by one "
		    "(receive-flush files)");
	snprintf(parent, sizeof parent, "%s/..", root);
	if (stat(root, &sb) == 0 && stat(parent, &up) == 0 &&
	    sb.st_dev != up.st_dev)
		return ("; a file system of its own: files received there are "
		    "flushed a batch at once");
	return ("; a folder of a larger file system: files received there "
	    "are flushed one by one (receive-flush fs in ferryd.conf "
	    "flushes a batch at once: docs/operations.md)");
#else
	/* No syncfs (Windows): a flush of each file, always. */
	(void)dr;
	(void)root;
	return ("");
#endif
}

static int
doctor_root_cb(void *arg, const char *share, const char *root)
{
	struct doctor	*dr = arg;
	struct stat	 sb;
	char		 fix[4200];

	errno = 0;
	if (stat(root, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		snprintf(fix, sizeof fix, "mkdir -p %s (or mount it), owned by "
		    "the user ferryd runs as", root);
		doctor_say(dr, "share", DOCTOR_FAIL, fix, "%s: root %s: %s",
		    share, root, errno ? strerror(errno) : "not a directory");
	} else if (access(root, W_OK) != 0) {
		snprintf(fix, sizeof fix, "chown -R ferry %s, or give the user "
		    "ferryd runs as write access to it", root);
		doctor_say(dr, "share", DOCTOR_FAIL, fix, "%s: root %s is not "
		    "writable by uid %ld", share, root, (long)geteuid());
	} else if (dr->strict && !doctor_in_rw(dr, root)) {
		snprintf(fix, sizeof fix, "systemctl edit ferryd: add "
		    "[Service] ReadWritePaths=%s", root);
		doctor_say(dr, "share", DOCTOR_FAIL, fix, "%s: root %s is "
		    "read-only for the unit (ProtectSystem=strict)", share,
		    root);
	} else
		doctor_say(dr, "share", DOCTOR_OK, NULL, "%s: root %s exists, "
		    "writable%s%s", share, root, dr->strict ? ", in the unit's "
		    "ReadWritePaths" : "", doctor_flush(dr, root));
	return (0);
}

/* The unit's ProtectSystem and ReadWritePaths, if one is installed. */
static void
doctor_unit(struct doctor *dr)
{
	static const char	*where[] = {
	    "/etc/systemd/system/ferryd.service",
	    "/usr/local/lib/systemd/system/ferryd.service",
	    "/lib/systemd/system/ferryd.service", NULL };
	char			 line[4096], *v, *tok, *save;
	FILE			*f = NULL;
	size_t			 i;

	if (dr->unit_file != NULL)
		f = fopen(dr->unit_file, "r");
	for (i = 0; f == NULL && dr->unit_file == NULL && where[i]; i++)
		f = fopen(where[i], "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strcmp(line, "ProtectSystem=strict") == 0)
			dr->strict = 1;
		if (strncmp(line, "ReadWritePaths=", 15) != 0)
			continue;
		v = line + 15;
		for (tok = strtok_r(v, " ", &save); tok != NULL;
		    tok = strtok_r(NULL, " ", &save)) {
			tok += strspn(tok, "-+");
			if ((dr->rw = reallocarray(dr->rw, dr->nrw + 1,
			    sizeof *dr->rw)) != NULL)
				dr->rw[dr->nrw++] = strdup(tok);
		}
	}
	fclose(f);
}

/* The map: --map FILE, else the hub's own. */
static struct share_map *
doctor_map(struct doctor *dr)
{
	struct share_map	*m = NULL;
	json_t			*req, *rep = NULL;
	const char		*text;
	char			*cause = NULL;

	if (dr->map_file != NULL) {
		if (share_map_load_file(dr->map_file, &m, &cause) != 0)
			doctor_say(dr, "share", DOCTOR_FAIL, "fix the map "
			    "(docs/share-map.md)", "%s", cause);
		free(cause);
		return (m);
	}
	if (dr->status == NULL || strcmp(json_string_value(json_object_get(
	    dr->status, "role")), "hub") != 0) {
		doctor_say(dr, "share", DOCTOR_SKIP, NULL, "give --map FILE to "
		    "check this site's share roots");
		return (NULL);
	}
	req = json_pack("{s:s}", "op", "share.get");
	if (cli_request(&cmd_doctor_entry, dr->state, req, &rep) == 0 &&
	    (text = json_string_value(json_object_get(rep, "map"))) != NULL &&
	    share_map_load_text(text, strlen(text), "the hub's map", &m,
	    &cause) != 0)
		doctor_say(dr, "share", DOCTOR_FAIL, "ferry share import FILE",
		    "%s", cause);
	else if (m == NULL)
		doctor_say(dr, "share", DOCTOR_FAIL, "ferry share import FILE",
		    "the hub has no share map");
	free(cause);
	json_decref(req);
	json_decref(rep);
	return (m);
}

static void
doctor_roots(struct doctor *dr)
{
	struct share_map	*m;

	if ((m = doctor_map(dr)) == NULL)
		return;
	doctor_unit(dr);
	share_map_site_roots(m, dr->conf_site, SHARE_OS_LINUX,
	    doctor_root_cb, dr);
	share_map_free(m);
}

/* The hub's clock, as its answer to a jobs request (relayed) says. */
static int
doctor_hub_time(struct doctor *dr, const char *dir, long long *t)
{
	struct jsonline_conn	*c = NULL;
	json_t			*req, *rep = NULL;
	char			 path[4096];
	time_t			 t0 = time(NULL);
	int			 r;

	req = json_pack("{s:s, s:i}", "op", "jobs", "limit", 1);
	snprintf(path, sizeof path, "%s/%s", dir, JSONLINE_SOCKET_NAME);
	if ((r = jsonline_connect(path, &c, NULL)) == 0 &&
	    (r = jsonline_request(c, req, NULL)) == 0)
		r = jsonline_recv(c, &rep, NULL);
	jsonline_free(c);
	json_decref(req);
	if (r == 0 && json_is_integer(json_object_get(rep, "time")))
		/* Half the round trip is when the hub read its clock. */
		*t = (long long)json_integer_value(json_object_get(rep,
		    "time")) - ((long long)time(NULL) - (long long)t0) / 2;
	else
		r = -1;
	json_decref(rep);
	return (r);
}

static void
doctor_clock(struct doctor *dr, const char *dir)
{
	long long	 t, skew;

	if (dr->conf_role != NULL && strcmp(dr->conf_role, "hub") == 0) {
		doctor_say(dr, "clock", DOCTOR_OK, NULL, "the hub's own clock "
		    "is the reference");
		return;
	}
	if (dr->status == NULL || doctor_hub_time(dr, dir, &t) != 0) {
		doctor_say(dr, "clock", DOCTOR_SKIP, NULL, "the hub's time is "
		    "known once the link is up");
		return;
	}
	skew = (long long)time(NULL) - t;
	if (skew > DOCTOR_CLOCK_SKEW || skew < -DOCTOR_CLOCK_SKEW)
		doctor_say(dr, "clock", DOCTOR_FAIL, "run NTP on both machines "
		    "(timedatectl set-ntp true)", "%+lld s from the hub's "
		    "clock: enrolment and certificates need close clocks",
		    skew);
	else
		doctor_say(dr, "clock", DOCTOR_OK, NULL, "%+lld s from the "
		    "hub's clock", skew);
}

/* 1 if nothing listens on TCP port (a bind to it works). */
static int
doctor_port_free(int port)
{
	struct sockaddr_in	sin;
	int			fd, one = 1, ok;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (1);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	ok = bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0 ||
	    errno == EACCES;
	close(fd);
	return (ok);
}

static void
doctor_ports(struct doctor *dr)
{
	struct buf	busy;
	int		port, nbusy = 0, hub;

	hub = dr->conf_role != NULL && strcmp(dr->conf_role, "hub") == 0;
	/* The hub's daemon holds the control port itself. */
	if (hub && dr->status == NULL && !doctor_port_free(DOCTOR_PORT_CONTROL))
		doctor_say(dr, "ports", DOCTOR_FAIL, "ss -ltnp 'sport = 45190' "
		    "names the program holding it", "port %d is taken by "
		    "another program", DOCTOR_PORT_CONTROL);
	buf_init(&busy, 0);
	for (port = DOCTOR_PORT_FIRST; port <= DOCTOR_PORT_LAST; port++) {
		if (!doctor_port_free(port)) {
			nbusy++;
			buf_printf(&busy, " %d", port);
		}
	}
	if (nbusy == DOCTOR_PORT_LAST - DOCTOR_PORT_FIRST + 1)
		doctor_say(dr, "ports", DOCTOR_FAIL, "ss -ltnp names the "
		    "programs holding them", "every data port (%d-%d) is "
		    "taken", DOCTOR_PORT_FIRST, DOCTOR_PORT_LAST);
	else
		doctor_say(dr, "ports", DOCTOR_OK, NULL, "%d of %d data ports "
		    "%d-%d free%s%s (open %s45191-45210 in the firewall)",
		    DOCTOR_PORT_LAST - DOCTOR_PORT_FIRST + 1 - nbusy,
		    DOCTOR_PORT_LAST - DOCTOR_PORT_FIRST + 1, DOCTOR_PORT_FIRST,
		    DOCTOR_PORT_LAST, nbusy ? "; in use:" : "", buf_str(&busy),
		    hub ? "45190 and " : "");
	buf_free(&busy);
}

/* 0 if host:port takes a TCP connection within 5 seconds. */
static int
doctor_reach(const char *host, const char *port)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	struct pollfd	 pfd;
	socklen_t	 len = sizeof(int);
	int		 fd, err = -1, r = -1;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return (-1);
	for (ai = res; ai != NULL && r != 0; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK,
		    0)) == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			r = 0;
		else if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, 5000) == 1 && getsockopt(fd,
			    SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
				r = 0;
		}
		close(fd);
	}
	freeaddrinfo(res);
	return (r);
}

static void
doctor_ftrack(struct doctor *dr)
{
	const char	*dir = dr->ff_state, *url;
	char		 path[4096], host[512], *p;
	struct stat	 sb;
	json_t		*doc;

	if (dir == NULL && (dir = getenv("FERRY_FTRACK_STATE")) == NULL)
		dir = "/var/lib/ferry-ftrack";
	snprintf(path, sizeof path, "%s/ftrack-credentials", dir);
	if (stat(path, &sb) == -1) {
		doctor_say(dr, "ftrack", DOCTOR_SKIP, NULL, "ferry-ftrack is "
		    "not set up here (no %s)", path);
		return;
	}
	if ((sb.st_mode & 077) != 0 || sb.st_uid != geteuid()) {
		doctor_say(dr, "ftrack", DOCTOR_FAIL, "chmod 600 the file, as "
		    "the user ferry-ftrack runs as", "%s: mode %03o, owner uid "
		    "%ld: ferry-ftrack refuses it", path,
		    (unsigned)(sb.st_mode & 0777), (long)sb.st_uid);
		return;
	}
	doc = json_load_file(path, 0, NULL);
	url = json_string_value(json_object_get(doc, "server_url"));
	if (url == NULL || json_string_length(json_object_get(doc,
	    "api_user")) == 0 || json_string_length(json_object_get(doc,
	    "api_key")) == 0) {
		doctor_say(dr, "ftrack", DOCTOR_FAIL, "ferry-ftrack "
		    "--ftrack-url URL --ftrack-user USER --ftrack-api-key-file "
		    "FILE --store-credentials", "%s lacks the server, the user "
		    "or the key", path);
		json_decref(doc);
		return;
	}
	/* "https://host[:port]/...": a TCP connection is enough here. */
	snprintf(host, sizeof host, "%s", strstr(url, "://") ? strstr(url,
	    "://") + 3 : url);
	host[strcspn(host, "/")] = '\0';
	p = strrchr(host, ':');
	if (p != NULL)
		*p++ = '\0';
	if (doctor_reach(host, p ? p : strncmp(url, "http:", 5) == 0 ? "80" :
	    "443") != 0)
		doctor_say(dr, "ftrack", DOCTOR_FAIL, "check DNS, the proxy "
		    "and the firewall towards ftrack", "credentials stored, but "
		    "%s cannot be reached", url);
	else
		doctor_say(dr, "ftrack", DOCTOR_OK, NULL, "credentials stored "
		    "(mode 600); %s reachable", url);
	json_decref(doc);
}

static void
doctor_clear(struct doctor *dr)
{
	size_t	i;

	json_decref(dr->status);
	json_decref(dr->checks);
	free(dr->conf_role);
	free(dr->conf_listen);
	free(dr->conf_hub);
	free(dr->conf_hub_fp);
	free(dr->conf_site);
	free(dr->conf_flush);
	for (i = 0; i < dr->nrw; i++)
		free(dr->rw[i]);
	free(dr->rw);
}

static int
cmd_doctor_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "map", required_argument, NULL, 'm' },
		{ "unit", required_argument, NULL, 'u' },
		{ "ftrack-state", required_argument, NULL, 'f' },
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	struct doctor	 dr;
	const char	*dir;
	json_t		*out;
	int		 ch;

	memset(&dr, 0, sizeof dr);
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': dr.json = 1; break;
		case 'm': dr.map_file = optarg; break;
		case 'u': dr.unit_file = optarg; break;
		case 'f': dr.ff_state = optarg; break;
		case 'S': dr.state = optarg; break;
		default: return (cli_usage(&cmd_doctor_entry));
		}
	}
	if (optind != argc)
		return (cli_usage(&cmd_doctor_entry));
	dr.checks = json_array();
	dir = statedir_choose(dr.state);
	if (doctor_state(&dr, dir) == 0) {
		doctor_daemon(&dr, dir);
		doctor_hub(&dr);
		doctor_mail(&dr);
		doctor_roots(&dr);
		doctor_clock(&dr, dir);
	}
	doctor_ports(&dr);
	doctor_ftrack(&dr);
	if (dr.json) {
		out = json_pack("{s:O, s:b}", "checks", dr.checks, "ok",
		    !dr.failed);
		cli_json_print(out);
		json_decref(out);
	}
	else if (dr.failed)
		printf("something is wrong: see the fixes above\n");
	else
		printf("all checks passed\n");
	ch = dr.failed ? CLI_EXIT_FAILED : CLI_EXIT_OK;
	doctor_clear(&dr);
	return (ch);
}
