/*
 * The hub on Windows: there is none (issue 18: the hub stays Linux-only).
 * ferryd.exe is the agent's role; what its shared files would call of the
 * hub's is here, once, instead of #ifdefs in them: the local API's hub
 * operations answer that this ferryd is an agent, and a state directory
 * made for a hub is refused. Only functions of the hub's files (hub-*.c,
 * agent/Makefile.inc's FERRYD_HUB_SOURCES) belong here: the agent's own
 * and the shared files are built for Windows from the same list as on
 * Linux (agent/Makefile-win.inc), so a stub here never hides one of them.
 */
#include "config.h"

#include <jansson.h>

#include "err.h"
#include "ferryd.h"
#include "hub-roots.h"
#include "hub-sftp.h"
#include "log.h"

static json_t *
none_error(const char *op)
{
	return (json_pack("{s:s+++, s:b}", "error", op, " is the hub's: ",
	    "this ferryd is an agent, and the hub runs on Linux only",
	    " (docs/windows.md)", "done", 1));
}

#define NONE_OP(name)							\
json_t *								\
name(struct ferryd *d, const char *op, const json_t *req, uid_t uid)	\
{									\
	(void)d, (void)req, (void)uid;					\
	return (none_error(op));					\
}

NONE_OP(jobs_query)
NONE_OP(roots_api)
NONE_OP(jobs_endpoints)
NONE_OP(jobs_acl)
NONE_OP(sftp_site_check)
NONE_OP(sftp_site_add)
NONE_OP(publish_api)
NONE_OP(jobs_site_set)
NONE_OP(jobs_share_import)
NONE_OP(jobs_share_get)
NONE_OP(jobs_send)
NONE_OP(jobs_acl_list)
NONE_OP(invite_api)
NONE_OP(hub_window_sites)
NONE_OP(hub_mail_notify)
NONE_OP(hub_mail_test)
NONE_OP(audit_api)
/* hub-hubs.c: hub.remove, the hub's list of its peer hubs. */
NONE_OP(hubs_api)

/* hub-forward-out.c: api-ops.c asks it only of a standby hub. */
json_t *
forward_request(struct ferryd *d, const json_t *req, uid_t uid, char **why)
{
	(void)d, (void)req, (void)uid;
	if (why != NULL)
		*why = NULL;
	return (none_error("forwarding"));
}

json_t *
hub_mail_status(struct ferryd *d)
{
	(void)d;
	return (json_null());
}

/*
 * hub-hubs.c's part of status: api-ops.c asks it only of a hub (a store
 * or a standby's lease), which this ferryd never is; an agent's list of
 * hubs is node-hubs.c's, built here.
 */
json_t *
hubs_status(struct ferryd *d, struct store *st)
{
	(void)d, (void)st;
	return (json_null());
}

int
hub_run(struct ferryd *d)
{
	(void)d;
	log_error("this state directory is a hub's; ferryd on Windows is "
	    "an agent only (the hub runs on Linux)");
	return (1);
}

void
web_stop(void)
{
}

void
gate_free(struct ferryd *d)
{
	(void)d;
}

/* The audit trail is the hub's; an agent's API logs what it drops. */
void
audit_note_limited(struct ferryd *d, const char *who, const char *what,
    json_t *detail)
{
	(void)d, (void)who, (void)what;
	json_decref(detail);
}
