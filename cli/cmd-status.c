/*
 * ferry status [--json] [--state DIR]
 * What the local ferryd is and how its links are.
 */
#include "config.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"

static int	cmd_status_exec(int, char **);

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "[--json] [--local] [--state DIR]",
	.summary = "show the local daemon and its links",
	.exec = cmd_status_exec,
};

/* The hub's outbox (docs/mail.md): what waits, and why. */
static void
status_mail(const json_t *mail)
{
	const char	*err;

	if (mail == NULL)
		return;
	if (!json_is_true(json_object_get(mail, "on"))) {
		printf("mail: off (no smtp-server in ferryd.conf)\n");
		return;
	}
	err = json_string_value(json_object_get(mail, "last_error"));
	printf("mail: %jd queued, %jd sent, %jd failed%s%s\n",
	    (intmax_t)json_integer_value(json_object_get(mail, "queued")),
	    (intmax_t)json_integer_value(json_object_get(mail, "sent")),
	    (intmax_t)json_integer_value(json_object_get(mail, "failed")),
	    err != NULL ? "; last error: " : "", err != NULL ? err : "");
}

/*
 * The store's hubs (issue 17): on a hub, each one's state by its own
 * word and how long ago it gave it; on an agent, the keys it pins.
 */
/* The hub's state, with what "fenced" means for whoever reads it. */
static const char *
status_hub_state(const char *st)
{
	if (st != NULL && strcmp(st, "fenced") == 0)
		return ("fenced (it cannot confirm its lease on the store: it "
		    "dispatches nothing and takes no work until it can, or "
		    "until the standby has taken over)");
	return (st != NULL ? st : "?");
}

static void
status_hubs(const json_t *hubs)
{
	const char	*state;
	json_t		*h;
	json_int_t	 seen;
	size_t		 i;

	if (json_array_size(hubs) == 0)
		return;
	printf("hubs:\n");
	json_array_foreach(hubs, i, h) {
		state = json_string_value(json_object_get(h, "state"));
		seen = json_integer_value(json_object_get(h, "last_seen"));
		printf("  %s ", json_string_value(json_object_get(h,
		    "address")));
		if (state == NULL)
			printf("pinned%s", json_is_true(json_object_get(h,
			    "linked")) ? ", linked now" : "");
		else if (strcmp(state, "standby") == 0)
			printf("standby (waiting for the lease)");
		else
			printf("%s", state);
		if (state != NULL && json_is_true(json_object_get(h, "self")))
			printf(" (this hub)");
		else if (state != NULL && seen == 0)
			printf(", never seen");
		else if (state != NULL)
			printf(", last seen %jd s ago", (intmax_t)(time(NULL) -
			    seen));
		printf(", key %s\n", json_string_value(json_object_get(h,
		    "fingerprint")));
	}
}

/*
 * A standby hub passes status on to the active one (docs/operations.md,
 * "The local API on either hub"): which hub answered, and through which;
 * or why no active hub could be asked.
 */
static void
status_via(const json_t *rep)
{
	const json_t	*via = json_object_get(rep, "via");
	const char	*err = json_string_value(json_object_get(rep,
			    "forward_error"));

	if (via != NULL)
		printf("answered by the active hub at %s, through the standby "
		    "hub at %s (key %s) on this machine\n",
		    json_string_value(json_object_get(via, "to")),
		    json_string_value(json_object_get(via, "address")),
		    json_string_value(json_object_get(via, "fingerprint")));
	if (err != NULL)
		printf("this hub is the standby, and answers for itself: %s\n",
		    err);
}

static void
status_print(const json_t *rep)
{
	const char	*name, *role;
	json_t		*agents, *a;

	status_via(rep);
	role = json_string_value(json_object_get(rep, "role"));
	printf("%s %s, key %s\n", role,
	    json_string_value(json_object_get(rep, "name")),
	    json_string_value(json_object_get(rep, "fingerprint")));
	/* Only a standby's peer has something to say (docs/operations.md). */
	if (json_is_string(json_object_get(rep, "store")) &&
	    strcmp(json_string_value(json_object_get(rep, "store")),
	    "postgresql") == 0)
		printf("store: PostgreSQL; this hub is %s\n",
		    status_hub_state(json_string_value(json_object_get(rep,
		    "hub_state"))));
	status_hubs(json_object_get(rep, "hubs"));
	if ((agents = json_object_get(rep, "agents")) != NULL) {
		printf("%zu agent(s) connected\n", json_object_size(agents));
		json_object_foreach(agents, name, a)
			printf("  %s (%s) from %s\n", name,
			    json_string_value(json_object_get(a, "site")) ?
			    json_string_value(json_object_get(a, "site")) :
			    json_string_value(json_object_get(a, "user")),
			    json_string_value(json_object_get(a, "address")));
		status_mail(json_object_get(rep, "mail"));
		return;
	}
	if (role != NULL && strcmp(role, "hub") == 0)
		return;		/* a standby: no agents, no link */
	printf("hub %s: %s%s%s\n",
	    json_string_value(json_object_get(rep, "hub")),
	    json_is_true(json_object_get(rep, "connected")) ? "connected" :
	    "not connected", json_object_get(rep, "link_error") ? ": " : "",
	    json_object_get(rep, "link_error") ?
	    json_string_value(json_object_get(rep, "link_error")) : "");
	status_hubs(json_object_get(rep, "hubs"));
}

/* Adds "roots" to rep: each share's root for this agent, from the hub. */
static void
status_roots(const char *state, json_t *rep)
{
	json_t	*req, *roots = NULL;

	req = json_pack("{s:s}", "op", "roots");
	if (cli_request_quiet(state, req, &roots) == 0)
		json_object_set(rep, "roots", json_object_get(roots, "roots"));
	json_decref(req);
	json_decref(roots);
}

/*
 * For people: one line naming the shares with no root here, whose
 * deliveries go to the home folder.
 */
static void
status_home(const json_t *rep)
{
	const char	*share, *path, *home = NULL;
	json_t		*v;
	char		 list[1024] = "";
	size_t		 n = 0;

	json_object_foreach(json_object_get(rep, "roots"), share, v) {
		if (!json_is_string(json_object_get(v, "from")) ||
		    strcmp(json_string_value(json_object_get(v, "from")),
		    "home") != 0 || (path = json_string_value(
		    json_object_get(v, "path"))) == NULL ||
		    strrchr(path, '/') == NULL)
			continue;
		snprintf(list + strlen(list), sizeof list - strlen(list),
		    "%s%s", n++ ? ", " : "", share);
		home = path;
	}
	/* The home base: a share's folder's parent. */
	if (n > 0)
		printf("no root set for %s: deliveries go to the home folder "
		    "%.*s ('ferry root set SHARE PATH' sets one)\n", list,
		    (int)(strrchr(home, '/') - home), home);
}

static int
cmd_status_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "local", no_argument, NULL, 'l' },
		{ "state", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*state = NULL;
	char		*text;
	json_t		*req, *rep = NULL;
	int		 ch, json = 0, local = 0, r;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 'l': local = 1; break;
		case 'S': state = optarg; break;
		default: return (cli_usage(&cmd_status_entry));
		}
	}
	/* --local: a standby hub's own status, not the active hub's. */
	req = json_pack("{s:s, s:b}", "op", "status", "local", local);
	r = cli_request(&cmd_status_entry, state, req, &rep);
	json_decref(req);
	if (r != 0)
		return (r);
	/* An agent's roots, from the hub: where deliveries land here. */
	if (json_object_get(rep, "agents") == NULL &&
	    json_is_true(json_object_get(rep, "connected")))
		status_roots(state, rep);
	if (json) {
		text = json_dumps(rep, JSON_COMPACT);
		printf("%s\n", text ? text : "{}");
		free(text);
	} else {
		status_print(rep);
		status_home(rep);
	}
	json_decref(rep);
	return (CLI_EXIT_OK);
}
