/*
 * ferry-ftrack [--state DIR] [--hub-state DIR] [--config FILE] [--syslog]
 *     [--debug] [credentials]
 *
 * The ftrack action listener (docs/ftrack.md, ferry-ftrack(1)): runs in
 * the foreground, as systemd wants it, on the hub's machine. Start-up
 * checks everything it can so that a mistake is a clear error then
 * (exit 1), not a silent listener: the state directory and its lock, the
 * configuration, the credentials against ftrack, and the event hub.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "clock.h"
#include "credentials.h"
#include "err.h"
#include "eventhub.h"
#include "ferry-ftrack.h"
#include "lockfile.h"
#include "log.h"
#include "rest.h"
#include "sdnotify.h"
#include "spool.h"
#include "statedir.h"

#define FF_POLL_MS	250
#define FF_IDLE_CHECK_MS 500	/* an idle one asks its hub this often */

enum { OPT_STATE = 1, OPT_HUB_STATE, OPT_CONFIG, OPT_CA_FILE, OPT_SYSLOG,
    OPT_DEBUG, OPT_HELP, OPT_VERSION };

static const struct option ff_options[] = {
	CREDENTIALS_LONG_OPTIONS,
	{ "state", required_argument, NULL, OPT_STATE },
	{ "hub-state", required_argument, NULL, OPT_HUB_STATE },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "ca-file", required_argument, NULL, OPT_CA_FILE },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* The command line. */
struct ff_args {
	struct credentials_args	 cred;
	const char		*state;
	const char		*hub_state;
	const char		*config;
	const char		*ca_file;
	int			 use_syslog;
	int			 level;
};

static volatile sig_atomic_t	ff_signalled;

static void
ff_on_signal(int sig)
{
	(void)sig;
	ff_signalled = 1;
}

static int
ff_usage(FILE *f)
{
	fprintf(f, "usage: ferry-ftrack [--state DIR] [--hub-state DIR] "
	    "[--config FILE]\n\t[--ca-file FILE] [--syslog] [--debug] %s\n\t"
	    "[--ftrack-api-key KEY]\n", CREDENTIALS_USAGE);
	return (f == stdout ? FF_EXIT_OK : FF_EXIT_USAGE);
}

/* Returns -1 to go on, or the exit status. */
static int
ff_parse(struct ff_args *a, int argc, char **argv)
{
	int	opt;

	memset(a, 0, sizeof *a);
	credentials_args_init(&a->cred);
	a->level = LOG_LEVEL_INFO;
	while ((opt = getopt_long(argc, argv, "", ff_options, NULL)) != -1) {
		if (credentials_option(&a->cred, opt, optarg))
			continue;
		switch (opt) {
		case OPT_STATE: a->state = optarg; break;
		case OPT_HUB_STATE: a->hub_state = optarg; break;
		case OPT_CONFIG: a->config = optarg; break;
		case OPT_CA_FILE: a->ca_file = optarg; break;
		case OPT_SYSLOG: a->use_syslog = 1; break;
		case OPT_DEBUG: a->level = LOG_LEVEL_DEBUG; break;
		case OPT_HELP: return (ff_usage(stdout));
		case OPT_VERSION:
			printf("ferry-ftrack %s\n", PACKAGE_VERSION);
			return (FF_EXIT_OK);
		default: return (ff_usage(stderr));
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ferry-ftrack: unexpected argument \"%s\"\n",
		    argv[optind]);
		return (ff_usage(stderr));
	}
	return (-1);
}

/* An option, else its environment variable (empty is unset), else dflt. */
static const char *
ff_setting(const char *arg, const char *env_name, const char *dflt)
{
	const char	*env = getenv(env_name);

	if (arg != NULL)
		return (arg);
	return (env != NULL && *env != '\0' ? env : dflt);
}

/* The lock: a second instance is refused, naming the pid that holds it. */
static int
ff_lock(struct ff *ff, char **cause)
{
	return (lockfile_take(ff->state, "ferry-ftrack", &ff->lockfd, cause));
}

/* The session, and a first call that proves the credentials. */
static int
ff_rest(struct ff *ff, char **cause)
{
	struct rest_opts	 o;
	struct person		 me;
	int			 r;

	rest_opts_init(&o);
	o.url = ff->cred.url;
	o.user = ff->cred.user;
	o.api_key = ff->cred.api_key;
	o.ca_file = ff->ca_file;
	if ((r = rest_global_init(cause)) != 0 ||
	    (r = rest_new(&o, &ff->rest, cause)) != 0)
		return (r);
	if ((r = person_lookup(ff, ff->cred.user, &me, cause)) != 0)
		return (r);
	snprintf(ff->my_user_id, sizeof ff->my_user_id, "%s", me.id);
	person_clear(&me);
	return (0);
}

static void
ff_notice(struct eventhub *hub, enum eventhub_notice what,
    const char *detail, void *arg)
{
	(void)hub;
	(void)arg;
	if (what == EVENTHUB_CONNECTED)
		log_info("event hub: connected (%s)", detail);
	else if (what == EVENTHUB_DISCONNECTED)
		log_warnx("event hub: disconnected: %s", detail);
	else
		log_debug("event hub: ignored %s", detail);
}

static int
ff_hub(struct ff *ff, char **cause)
{
	struct eventhub_options	 o;
	int			 r;

	memset(&o, 0, sizeof o);
	o.server_url = ff->cred.url;
	o.api_user = ff->cred.user;
	o.api_key = ff->cred.api_key;
	o.application_id = FF_APPLICATION_ID;
	o.ca_file = ff->ca_file;
	o.on_notice = ff_notice;
	o.notice_arg = ff;
	if ((r = eventhub_new(&o, &ff->hub, cause)) != 0 ||
	    (r = events_subscribe(ff, cause)) != 0)
		return (r);
	r = eventhub_connect(ff->hub, cause);
	/* Unreachable now is not fatal: it keeps trying. Refused is. */
	if (r != 0 && r != FERRY_ERR_AUTH && r != FERRY_ERR_PROTO) {
		log_warnx("event hub: %s (trying again)", *cause);
		free(*cause);
		*cause = NULL;
		r = 0;
	}
	return (r);
}

/* Warns now if the local hub cannot be asked: launches would fail. */
static void
ff_check_hub(struct ff *ff)
{
	json_t	*req, *rep = NULL;
	char	*cause = NULL;

	req = json_pack("{s:s}", "op", "endpoints");
	if (ferryapi_call(ff->hub_state, req, &rep, &cause) != 0) {
		log_warnx("the ferry hub at %s cannot be asked yet: %s",
		    ff->hub_state, cause);
		free(cause);
	} else
		log_info("ferry hub: site %s, %zu sites and %zu users",
		    json_string_value(json_object_get(rep, "hub_site")),
		    json_array_size(json_object_get(rep, "sites")),
		    json_array_size(json_object_get(rep, "users")));
	json_decref(req);
	json_decref(rep);
}

static int
ff_setup(struct ff *ff, const struct ff_args *a, char **cause)
{
	struct credentials_args	 cred;
	int			 r;

	if ((r = statedir_open(ff->state, cause)) != 0 ||
	    (r = ff_lock(ff, cause)) != 0 ||
	    (r = ffconf_load(a->config, &ff->conf, cause)) != 0)
		return (r);
	if (credentials_key_in_argv(&a->cred))
		log_warnx("%s", CREDENTIALS_ARGV_WARNING);
	/* Stored only once ftrack has taken them. */
	cred = a->cred;
	cred.store = 0;
	if ((r = credentials_resolve(&cred, ff->state, &ff->cred,
	    cause)) != 0 ||
	    (r = spool_open(ff->state, clock_now(), &ff->spool, cause)) != 0 ||
	    (r = ff_rest(ff, cause)) != 0)
		return (r);
	if (a->cred.store) {
		if ((r = credentials_store(ff->state, &ff->cred, cause)) != 0)
			return (r);
		log_info("credentials of %s stored in %s", ff->cred.user,
		    ff->state);
	}
	return (0);
}

/*
 * Idle until the hub beside this ferry-ftrack is the active one (docs/
 * ftrack.md, "Beside two hubs"): a ferry-ftrack beside each hub, and
 * only the active one's answers ftrack, so that production staff see one
 * Send and a press runs once. 0 once active; -1 when stopped.
 */
static int
ff_idle(struct ff *ff)
{
	char	*why = NULL;
	int	 said = 0, a;

	while (!ff_signalled) {
		a = ferryapi_active(ff->hub_state, &ff->hub_single, &why);
		if (a == 1 || (a == -1 && ff->hub_single)) {
			free(why);
			ff->active_until = clock_ms() + FF_ACTIVE_FRESH_MS;
			if (said)
				log_info("the hub beside this ferry-ftrack is "
				    "the active one now: answering ftrack");
			return (0);
		}
		if (!said) {
			log_info("idle: %s; the ferry-ftrack beside the active "
			    "hub answers ftrack, and this one takes over once "
			    "its hub is active", why != NULL ? why :
			    "its hub cannot be asked");
			sdnotify_status(NULL, "idle: %s", why != NULL ? why :
			    "its hub cannot be asked");
			said = 1;
		}
		free(why);
		why = NULL;
		/*
		 * The Jobs of deliveries this one started are its own: it
		 * follows them through its hub, which passes the questions
		 * on to the active one, and nobody else would (not while its
		 * hub cannot be asked at all: that would only fail).
		 */
		if (a == 0)
			progress_tick(ff);
		nanosleep(&(struct timespec){ 0, FF_IDLE_CHECK_MS * 1000000L },
		    NULL);
	}
	return (-1);
}

/*
 * Answers ftrack while the hub beside it is active: the event hub, the
 * spool's events, the Jobs' progress and publishes. 0 when its hub is
 * not active any more (or stopped); -1 on a fatal error.
 */
static int
ff_listen(struct ff *ff)
{
	char	*cause = NULL;
	int	 r = 0;

	if (ff_hub(ff, &cause) != 0) {
		log_error("%s", cause != NULL ? cause : "event hub");
		free(cause);
		return (-1);
	}
	ff_check_hub(ff);
	ff->answering = 1;
	events_replay(ff);
	sdnotify_status(NULL, "listening to %s as %s", ff->cred.url,
	    ff->cred.user);
	log_info("listening to %s as %s (ferry hub at %s)", ff->cred.url,
	    ff->cred.user, ff->hub_state);
	while (!ff_signalled) {
		if (eventhub_poll(ff->hub, FF_POLL_MS, &cause) < 0) {
			log_error("event hub: %s", cause);
			free(cause);
			r = -1;
			break;
		}
		if (!ferryapi_beside_active(ff)) {
			log_warnx("the hub beside this ferry-ftrack is not the "
			    "active one now: no longer answering ftrack");
			break;
		}
		progress_tick(ff);
	}
	ff->answering = 0;
	eventhub_close(ff->hub, 1000);
	eventhub_free(ff->hub);
	ff->hub = NULL;
	return (r);
}

static int
ff_run(struct ff *ff)
{
	struct sigaction	 sa;
	int			 r;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ff_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* Ready: idle or listening, it is what it should be. */
	sdnotify_ready(NULL);
	while ((r = ff_idle(ff)) == 0 && (r = ff_listen(ff)) == 0)
		;
	sdnotify_stopping(NULL);
	log_info("stopping");
	return (ff_signalled ? 0 : r);
}

static void
ff_free(struct ff *ff)
{
	if (ff->hub != NULL) {
		eventhub_close(ff->hub, 1000);
		eventhub_free(ff->hub);
	}
	spool_close(ff->spool);
	rest_free(ff->rest);
	credentials_clear(&ff->cred);
	ffconf_clear(&ff->conf);
	json_decref(ff->progress);
	lockfile_release(ff->lockfd);
	rest_global_cleanup();
}

int
main(int argc, char **argv)
{
	struct ff_args	 a;
	struct ff	 ff;
	char		*cause = NULL;
	int		 r;

	signal(SIGPIPE, SIG_IGN);
	log_init("ferry-ftrack", LOG_LEVEL_INFO, 0);
	if ((r = ff_parse(&a, argc, argv)) != -1)
		return (r);
	log_init("ferry-ftrack", (enum log_level)a.level, a.use_syslog);
	memset(&ff, 0, sizeof ff);
	ff.lockfd = -1;
	ff.state = ff_setting(a.state, FF_STATE_ENV, FF_STATE_DEFAULT);
	ff.hub_state = statedir_choose(a.hub_state);
	ff.progress = json_object();
	ff.stall = getenv(FF_STALL_ENV);
	ff.stopping = &ff_signalled;
	/* NULL: the system's CAs. */
	ff.ca_file = ff_setting(a.ca_file, FF_CA_FILE_ENV, NULL);
	if ((r = ff_setup(&ff, &a, &cause)) != 0) {
		log_error("%s", cause != NULL ? cause : err_str(r));
		free(cause);
		ff_free(&ff);
		return (FF_EXIT_FAILED);
	}
	r = ff_run(&ff);
	ff_free(&ff);
	return (r == 0 ? FF_EXIT_OK : FF_EXIT_FAILED);
}
