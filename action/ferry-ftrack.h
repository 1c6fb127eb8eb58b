/*
 * ferry-ftrack, the ftrack action listener (docs/ftrack.md): one thread
 * drives the event hub; discover, launch and automation events are
 * spooled, handled and answered from its callbacks; between polls it
 * follows the ferry jobs it submitted and shows their progress as ftrack
 * Jobs. This header is private to the program.
 */
#ifndef FERRY_FTRACK_H
#define FERRY_FTRACK_H

#include <signal.h>
#include <stdint.h>

#include <jansson.h>

#include "credentials.h"
#include "ffconf.h"
#include "publish-plan.h"
#include "spool.h"

struct eventhub;
struct rest;
struct spool;
struct resolve_result;

#define FF_ACTION_ID		"ferry.send"
#define FF_ACTION_LABEL		"ferry Send"
#define FF_APPLICATION_ID	"ferry-ftrack"
#define FF_STATE_DEFAULT	"/var/lib/ferry-ftrack"
#define FF_STATE_ENV		"FERRY_FTRACK_STATE"
/* The CAs that ftrack's certificate must chain to (REST and event hub). */
#define FF_CA_FILE_ENV		"FERRY_FTRACK_CA_FILE"
/* A test hook: stall after the named step (docs/ftrack.md, tests). */
#define FF_STALL_ENV		"FERRY_FTRACK_TEST_STALL"

#define FF_EXIT_OK		0
#define FF_EXIT_FAILED		1
#define FF_EXIT_USAGE		2

/* The default priority of a job, as ferry send's. */
#define FF_PRIORITY		500
/* A finished job that cannot be registered is retried this often. */
#define FF_FINISH_ATTEMPTS	5

/* The listener. */
struct ff {
	const char	*state;		/* its own state directory */
	const char	*hub_state;	/* where ferryd's socket is */
	const char	*ca_file;	/* NULL: the system's CAs */
	struct ffconf	 conf;
	struct credentials cred;
	struct rest	*rest;
	struct eventhub	*hub;
	struct spool	*spool;
	char		 my_user_id[40];
	json_t		*progress;	/* {ferry job: last shown} */
	int64_t		 next_tick_ms;
	const char	*stall;		/* FERRY_FTRACK_TEST_STALL */
	const volatile sig_atomic_t *stopping; /* set by SIGTERM, SIGINT */
	int		 notify_missing; /* the hub has no "notify" (said) */
	int		 publish_list_failing; /* said once until it works */
	int		 lockfd;
	int64_t		 active_until;	/* clock_ms: the hub was active */
	int		 hub_single;	/* it said it is the one hub */
	int		 answering;	/* on the event hub: its hub is active */
};

/* An ftrack user: who launched, or whom a Job is for. */
struct person {
	char	*id;
	char	*username;
	char	*email;		/* NULL if ftrack has none */
	json_t	*roles;		/* names of their security roles */
};

/* A send to make: from a launch's form, or from an automation. */
struct launch_req {
	const char	*event_id;	/* the spooled event it answers */
	const json_t	*selection;
	const char	*source;	/* location names: ferry places */
	const char	*dest;
	int		 latest_only;
	int		 priority;
	const char	*note;
	json_t		*extra;		/* additional paths */
	const char	*for_user;	/* on whose behalf (hub's "by") */
	const struct person *job_user;	/* whose Jobs menu shows it */
};

/*
 * One event being handled: what a handler is given, and what it answers
 * through (event.c). events.c spools it, calls the handler of its topic,
 * records the outcome and then handles the derived events, in turn.
 */
struct ff_event {
	const json_t	*json;		/* as it arrived (borrowed) */
	const char	*id;
	char		 outcome[256];	/* for the spool's record */
	json_t		*derived;	/* events it made, to handle next */
};

/* event.c */
/* Says, for the spool's record, what handling the event came to. */
void	 event_note(struct ff_event *ev, const char *fmt, ...)
	     __attribute__((format(FERRY_PRINTF_FORMAT, 2, 3)));
/* Replies to the event with data (stolen; NULL: nothing). */
void	 event_reply(struct ff *ff, struct ff_event *ev, json_t *data);
json_t	*event_result(int success, const char *fmt, ...)
	     __attribute__((format(FERRY_PRINTF_FORMAT, 2, 3)));
/*
 * Queues an event made while handling ev (stolen): it is spooled before
 * ev is marked done, and handled after ev, never from inside its handler.
 */
void	 event_derive(struct ff_event *ev, json_t *event);

/* stall.c */
/* Stalls the process when the test hook names this step. */
void	 stall_after(struct ff *ff, const char *step, const char *event_id);

/* ferryapi.c: the local hub's API (docs/api.md) */
int	 ferryapi_call(const char *hub_state, const json_t *req,
	     json_t **repp, char **cause);
/* Whether a hub's refusal says the job does not exist. */
int	 ferryapi_no_such_job(const char *cause);
/*
 * Whether a hub of hub_state (this machine's) is the active one now:
 * only the ferry-ftrack beside the active hub answers ftrack (docs/
 * ftrack.md, "Beside two hubs"). ferryapi_active asks (1: active; 0:
 * not, -1: not asked, *why says so; *single: a hub of hub_state said it
 * is the only one, a SQLite store's); ferryapi_beside_active asks again
 * only when the
 * last yes is older than FF_ACTIVE_FRESH_MS.
 */
#define FF_ACTIVE_FRESH_MS	1500
int	 ferryapi_active(const char *hub_state, int *single, char **why);
int	 ferryapi_beside_active(struct ff *ff);

/* events.c: the topic table */
int	 events_subscribe(struct ff *ff, char **cause);
void	 events_replay(struct ff *ff);

/* selection.c */
struct selection_info {
	int	 supported;	/* every entity can be sent */
	int	 above_versions; /* a task, shot, project...: latest_only */
	size_t	 count;
};
int	 selection_check(struct ff *ff, const json_t *selection,
	     struct selection_info *si, char **cause);

/* person.c */
int	 person_lookup(struct ff *ff, const char *username,
	     struct person *p, char **cause);
int	 person_lookup_id(struct ff *ff, const char *id, struct person *p,
	     char **cause);
/* Whether the configured roles let p send (any role, if none is). */
int	 person_allowed(const struct ff *ff, const struct person *p);
void	 person_clear(struct person *p);
/* The launching user named by an event's source, or NULL. */
const char *person_event_username(const json_t *event);

/* discover.c */
void	 discover_handle(struct ff *ff, struct ff_event *ev);

/* form.c */
json_t	*form_build(struct ff *ff, const struct selection_info *si,
	     char **cause);
/* The ferry endpoints that are also ftrack Locations: {name: id}. */
int	 form_locations(struct ff *ff, json_t **locsp, char **cause);

/* launch.c */
void	 launch_handle(struct ff *ff, struct ff_event *ev);

/* submit.c */
/*
 * Resolves, submits one ferry job and starts following it; on success
 * *messagep says what was sent. Safe to run again for the same event: a
 * job submitted for it already is not submitted twice.
 */
int	 submit_run(struct ff *ff, const struct launch_req *req,
	     char **messagep, char **cause);

/* resolved.c: a resolve_result in the spool */
json_t	*resolved_to_json(const struct resolve_result *res);
int	 resolved_from_json(const json_t *files, struct resolve_result *res,
	     char **cause);

/* progress.c */
void	 progress_tick(struct ff *ff);
/* Creates the ftrack Job of a new delivery (retried by ticks). */
void	 progress_start(struct ff *ff, int64_t ferry_job);
/* Formats a byte count for people, as ferry does: "1.4 MiB". */
void	 progress_bytes(char *out, size_t len, int64_t bytes);

/* finish.c */
/* Registers what a done job delivered; returns components registered. */
int	 finish_register(struct ff *ff, const struct spool_delivery *d,
	     const json_t *job, size_t *countp, char **cause);
int	 finish_statuses(struct ff *ff, const struct spool_delivery *d,
	     char **cause);
/*
 * Registers files (as resolved.c keeps them: component_id, container_id,
 * path) in a location, each at dst[path] (NULL: not delivered), and
 * announces what was registered now. Safe to repeat: what is there stays.
 */
int	 finish_register_files(struct ff *ff, const char *dest,
	     const char *location_id, const json_t *files, const json_t *dst,
	     size_t *countp, char **cause);

/* publish.c */
/* Finds done publishes at the hub and takes each one step further. */
void	 publish_tick(struct ff *ff);

/* automate.c */
/* The topic of the events automate_handle() makes, one an assignment. */
#define AUTOMATE_ASSIGNED	"ferry.automation.assigned"
/* Whether the automation is configured (ftrack.update is subscribed). */
int	 automate_enabled(const struct ff *ff);
/* Whether an ftrack.update holds something an automation acts on. */
int	 automate_wanted(const struct ff *ff, const json_t *event);
/* Derives an event of its own from each assignment in an ftrack.update. */
void	 automate_handle(struct ff *ff, struct ff_event *ev);
/* Sends an assigned task to its assignee. */
void	 automate_assigned(struct ff *ff, struct ff_event *ev);

#endif
