/*
 * ferryd run [--state DIR] [--syslog] [--debug] [--allow-root]
 * Runs the daemon in the foreground (as systemd wants it): the hub or an
 * agent, as `ferryd init` or `ferryd enroll` made this state directory.
 * Not as root unless --allow-root says so (it then warns): the ferry
 * user is enough. Files it makes follow the umask of ferryd.conf.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compat.h"
#include "conf.h"
#include "err.h"
#include "ferryd.h"
#include "human.h"
#include "identity.h"
#include "lockfile.h"
#include "log.h"
#include "sdnotify.h"
#include "statedir.h"
#include "store.h"
#include "transfer.h"

static int	cmd_run_exec(int, char **);

const struct ferryd_cmd ferryd_cmd_run = {
	.name = "run",
	.usage = "[--state DIR] [--public-address ADDR] "
	    "[--source-address ADDR] [--syslog] [--debug] [--allow-root] "
	    "[--api-user SID]",
	.summary = "run the daemon in the foreground",
	.exec = cmd_run_exec,
};

static volatile sig_atomic_t	run_signalled;
/* Which signal stopped it, and who sent it (0: unknown), for the log. */
static volatile sig_atomic_t	run_signo, run_sender;
static struct ferryd		*run_daemon;

static void
run_on_signal(int sig)
{
	run_signo = sig;
	run_signalled = 1;
	/* A standby hub waits inside hub_run (hub-lease.c), watching this. */
	if (run_daemon != NULL)
		run_daemon->stop = 1;
}

/*
 * The hooks a platform's service manager drives ferryd run through
 * (ferryd-win.c hands them to agent/win/): stop is what SIGTERM does,
 * only a flag set, so any thread may call it.
 */
#ifdef SA_SIGINFO
/*
 * The sender's pid goes in the "stopping" line: a hub stopped by a
 * signal nobody meant for it (a test's stale pid, tests/agent/
 * stale-pid.sh) said only "stopping", and who sent it was lost.
 */
static void
run_on_siginfo(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	run_sender = si != NULL ? (sig_atomic_t)si->si_pid : 0;
	run_on_signal(sig);
}
#endif

void
ferryd_run_stop(void)
{
	run_on_signal(SIGTERM);
}

int
ferryd_run_exec(int argc, char **argv)
{
	return (cmd_run_exec(argc, argv));
}

/* A mask of ferryd.conf's keyword key, at most max; def if not set. */
static int
run_mask(const char *v, const char *key, unsigned max, unsigned def,
    unsigned *out, char **cause)
{
	*out = def;
	if (v != NULL && human_parse_mask(v, max, out) != 0)
		return (err_set(cause, FERRY_ERR_PARSE, "%s: %s %s is not an "
		    "octal mode such as 027, from 0 to %03o", CONF_NAME, key,
		    v, max));
	return (0);
}

/*
 * The umask of ferryd.conf (octal, default 027) for what ferryd makes,
 * and receive-umask (default 0) for the modes of what it receives: a
 * sender's mode & 0775, less those bits (transfer.h).
 */
static int
run_umask(struct ferryd *d, char **cause)
{
	unsigned	v;
	int		r;

	/* Not the owner's bits: ferryd must read what it received. */
	if ((r = run_mask(d->conf.recv_umask, "receive-umask", 077, 0,
	    &d->recv_umask, cause)) != 0)
		return (r);
	if ((r = run_mask(d->conf.umask, "umask", 0777, 027, &v, cause)) != 0)
		return (r);
	umask((mode_t)v);
	return (0);
}

/*
 * receive-flush: how files received are made durable before they take
 * their names (transfer.h). auto: one syncfs a batch where the share's
 * root is a file system of its own, else each file flushed; fs: a
 * syncfs wherever, for a volume that is ferry's or mostly quiet (it
 * flushes everything written to it); files: each file, everywhere.
 */
static int
run_flush(struct ferryd *d, char **cause)
{
	static const char	*names[] = { "auto", "files", "fs" };
	static const int	 modes[] = { TRANSFER_FLUSH_AUTO,
				    TRANSFER_FLUSH_FILES, TRANSFER_FLUSH_FS };
	const size_t		 n = sizeof names / sizeof names[0];
	const char		*v = d->conf.recv_flush;
	size_t			 i;

	d->recv_flush = TRANSFER_FLUSH_AUTO;
	for (i = 0; v != NULL && i < n; i++)
		if (strcmp(v, names[i]) == 0)
			break;
	if (i == n)
		return (err_set(cause, FERRY_ERR_PARSE, "%s: receive-flush "
		    "must be auto, files or fs, not \"%.64s\"", CONF_NAME, v));
	if (v != NULL)
		d->recv_flush = modes[i];
	return (0);
}

/*
 * Open files up to the hard limit: a hub holds three for each agent's
 * link (its socket and wake pipe), so 1,024, the usual soft limit, ends
 * near 330 agents (docs/benchmarks.md, "Scale"). Only the hub says what
 * it got, with what that allows.
 */
static void
run_nofile(int hub)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (hub)
		log_info("open files: at most %llu, for about %llu agents' "
		    "links", (unsigned long long)rl.rlim_cur,
		    (unsigned long long)(rl.rlim_cur > 100 ?
		    (rl.rlim_cur - 100) / 3 : 0));
}

static int
run_setup(struct ferryd *d, char **cause)
{
	struct stat	sb;
	int		r;

	/* Before init or enroll, run makes nothing: not even the directory. */
	if (stat(d->state, &sb) == -1 && errno == ENOENT)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "%s does not exist: "
		    "run 'ferryd init' (a hub) or 'ferryd enroll' (an agent) "
		    "first, or give --state DIR", d->state));
	if ((r = statedir_open(d->state, cause)) != 0 ||
	    (r = conf_load(d->state, &d->conf, cause)) != 0 ||
	    (r = run_umask(d, cause)) != 0 ||
	    (r = run_flush(d, cause)) != 0 ||
	    (r = lockfile_take(d->state, "ferryd", &d->lockfd, cause)) != 0 ||
	    (r = identity_load_dir(d->state, &d->id, cause)) != 0 ||
	    (r = api_open(d, cause)) != 0)
		return (r);
	identity_fp_format(identity_fp(d->id), d->fp);
	return (0);
}

/*
 * Tells every thread to stop and, once they have (each polls at least
 * twice a second), frees what they shared. A transfer still running keeps
 * the store: the process ends around it, and the receiver keeps its
 * partial files for the next run.
 */
static void
run_stop(struct ferryd *d)
{
	int	busy;

	pthread_mutex_lock(&d->mu);
	d->stop = 1;
	pthread_cond_broadcast(&d->wake);
	pthread_mutex_unlock(&d->mu);
	api_close(d);
	/* Its handlers take d->mu: stopped (and waited for) without it. */
	web_stop();
	usleep(1500 * 1000);
	pthread_mutex_lock(&d->mu);
	busy = d->busy;
	/* The accept thread, its only user, has stopped by now. */
	gate_free(d);
	pthread_mutex_unlock(&d->mu);
	if (busy > 0)
		return;
	if (d->ctlfd != -1)
		close(d->ctlfd);
	store_close(d->store);
	json_decref(d->uplink_outq);
	json_decref(d->asks);
	json_decref(d->standby_hubs);
	free(d->uplink_error);
	free(d->uplink_addr);
	identity_free(d->id);
	conf_clear(&d->conf);
	lockfile_release(d->lockfd);
}

static int
cmd_run_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 'S' },
		{ "syslog", no_argument, NULL, 'l' },
		{ "debug", no_argument, NULL, 'd' },
		{ "public-address", required_argument, NULL, 'p' },
		{ "source-address", required_argument, NULL, 's' },
		{ "allow-root", no_argument, NULL, 'R' },
		{ "api-user", required_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 }
	};
	/* Static: what transfers still running at exit use stays reachable. */
	static struct ferryd d;
	struct sigaction sa;
	const char	*pub = NULL, *src = NULL;
	char		*cause = NULL;
	int		 ch, r, use_syslog = 0, level = LOG_LEVEL_INFO;
	int		 allow_root = 0;

	memset(&d, 0, sizeof d);
	d.lockfd = d.apifd = d.ctlfd = -1;
	d.uplink_wake[0] = d.uplink_wake[1] = -1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'S': d.state = optarg; break;
		case 'l': use_syslog = 1; break;
		case 'd': level = LOG_LEVEL_DEBUG; break;
		case 'p': pub = optarg; break;
		case 's': src = optarg; break;
		case 'R': allow_root = 1; break;
		case 'A':
			/* Windows: the service's desktop user (cmd-service.c). */
			if (compat_local_allow(optarg) == -1) {
				ferryd_usage_error(&ferryd_cmd_run,
				    "--api-user %s: %s", optarg,
				    strerror(errno));
				return (FERRYD_EXIT_USAGE);
			}
			break;
		default:
			ferryd_usage_error(&ferryd_cmd_run, "bad option");
			return (FERRYD_EXIT_USAGE);
		}
	}
	log_init("ferryd", level, use_syslog);
	if (geteuid() == 0 && !allow_root) {
		log_error("refusing to run as root: run ferryd as the ferry "
		    "user (contrib/systemd/ferryd.service does), or give "
		    "--allow-root");
		return (FERRYD_EXIT_FAILED);
	}
	if (geteuid() == 0)
		log_warnx("running as root (--allow-root): a flaw in ferryd "
		    "or in what a peer sends would be root's");
	d.state = statedir_choose(d.state);
	pthread_mutex_init(&d.mu, NULL);
	pthread_cond_init(&d.wake, NULL);
	pthread_cond_init(&d.answered, NULL);
	if ((r = run_setup(&d, &cause)) != 0) {
		log_error("%s", cause ? cause : err_str(r));
		free(cause);
		return (FERRYD_EXIT_FAILED);
	}
	/* The command line wins over ferryd.conf, for this run only. */
	if (pub != NULL) {
		free(d.conf.public_addr);
		d.conf.public_addr = strdup(pub);
	}
	if (src != NULL) {
		free(d.conf.source_addr);
		d.conf.source_addr = strdup(src);
	}
	memset(&sa, 0, sizeof sa);
	run_daemon = &d;
#ifdef SA_SIGINFO
	sa.sa_sigaction = run_on_siginfo;
	sa.sa_flags = SA_SIGINFO;
#else
	sa.sa_handler = run_on_signal;
#endif
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	run_nofile(strcmp(d.conf.role, "hub") == 0);
	r = strcmp(d.conf.role, "hub") == 0 ? hub_run(&d) : uplink_run(&d);
	run_daemon = NULL;
	if (r != FERRYD_EXIT_OK) {
		log_error("not started (exit status %d): its socket goes", r);
		api_close(&d);
		return (r);
	}
	sdnotify_ready(NULL);
	while (!run_signalled)
		api_serve_once(&d, 500);
	sdnotify_stopping(NULL);
	if (run_sender > 0)
		log_info("stopping: signal %d from pid %ld", (int)run_signo,
		    (long)run_sender);
	else
		log_info("stopping: signal %d", (int)run_signo);
	run_stop(&d);
	return (FERRYD_EXIT_OK);
}
