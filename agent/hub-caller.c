/*
 * Who asked: the local API's caller as the audit trail and the job's
 * "by" name them. A local client is its uid (SO_PEERCRED); a request a
 * standby hub forwarded (hub-forward.c) carries "_caller", which only
 * the active hub sets, after checking the standby's key, to name the
 * user on the standby's machine and that hub ("root (uid 0) on hub
 * 10.0.0.12:45190"): the uid alone would name someone else here.
 */
#include "config.h"

#include <pwd.h>
#include <stdio.h>

#include "ferryd.h"

const char *
caller_uid(const json_t *req, uid_t uid, char *buf, size_t n)
{
	const char	*fwd = json_string_value(json_object_get(req,
			    "_caller"));

	if (fwd != NULL)
		snprintf(buf, n, "%s", fwd);
	else
		snprintf(buf, n, "uid %u", (unsigned)uid);
	return (buf);
}

const char *
caller_name(const json_t *req, uid_t uid, char *buf, size_t n)
{
	struct passwd	 pw, *res = NULL;
	char		 tmp[1024];

	if (json_object_get(req, "_caller") != NULL)
		return (caller_uid(req, uid, buf, n));
	if (getpwuid_r(uid, &pw, tmp, sizeof tmp, &res) == 0 && res != NULL)
		snprintf(buf, n, "%s", pw.pw_name);
	else
		snprintf(buf, n, "uid %u", (unsigned)uid);
	return (buf);
}
