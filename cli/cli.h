/*
 * The ferry command-line tool. Each subcommand lives in its own
 * cmd-NAME.c and exports one struct cmd_entry, listed in cmd_table
 * (ferry.c). Adding a command is one new file and one table line.
 */
#ifndef FERRY_CLI_H
#define FERRY_CLI_H

/* Exit statuses shared by every subcommand (see ferry(1)). */
#define CLI_EXIT_OK		0
#define CLI_EXIT_FAILED		1	/* the command ran; some work failed */
#define CLI_EXIT_USAGE		2	/* bad arguments or bad input files */

#include <stddef.h>

struct cmd_entry {
	const char	*name;
	const char	*usage;		/* arguments, after "ferry NAME " */
	const char	*summary;	/* one line for "ferry help" */
	/* argv[0] is the command name; returns an exit status. */
	int		(*exec)(int argc, char **argv);
};

extern const struct cmd_entry cmd_audit_entry;
extern const struct cmd_entry cmd_cancel_entry;
extern const struct cmd_entry cmd_doctor_entry;
extern const struct cmd_entry cmd_invite_entry;
extern const struct cmd_entry cmd_job_entry;
extern const struct cmd_entry cmd_acl_entry;
extern const struct cmd_entry cmd_jobs_entry;
extern const struct cmd_entry cmd_map_entry;
extern const struct cmd_entry cmd_pause_entry;
extern const struct cmd_entry cmd_resume_entry;
extern const struct cmd_entry cmd_retry_entry;
extern const struct cmd_entry cmd_send_entry;
extern const struct cmd_entry cmd_share_entry;
extern const struct cmd_entry cmd_site_entry;
extern const struct cmd_entry cmd_sites_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_publish_entry;
extern const struct cmd_entry cmd_root_entry;

/* cmd-root.c: each share's root for an agent, and why, one a line. */
void	cli_roots_print(const struct json_t *roots);
extern const struct cmd_entry cmd_mail_entry;
extern const struct cmd_entry cmd_hub_entry;

/* cli.c */
void	cli_error(const struct cmd_entry *cmd, const char *fmt, ...)
	    __attribute__((format(FERRY_PRINTF_FORMAT, 2, 3)));
int	cli_usage(const struct cmd_entry *cmd);
/*
 * Sends req to the local ferryd (state: --state, else FERRY_STATE, else
 * the default) and stores its final answer in *rep. On an error answer or
 * no daemon, prints why and returns CLI_EXIT_FAILED.
 */
struct json_t;
int	cli_request(const struct cmd_entry *cmd, const char *state,
	    const struct json_t *req, struct json_t **rep);

/*
 * `ferry CMD SUB ARG [--state DIR]`, a command with one subcommand taking
 * one argument: sends {"op": op, key: ARG} and stores the answer in *rep
 * (NULL when nothing was sent). hint ends the usage error.
 */
int	cli_sub_request(const struct cmd_entry *cmd, int argc, char **argv,
	    const char *sub, const char *op, const char *key,
	    const char *hint, struct json_t **rep);

/* The same, printing nothing: for what a command adds if it can. */
int	cli_request_quiet(const char *state, const struct json_t *req,
	    struct json_t **rep);

/*
 * Prints obj as one line of compact JSON. "done", the local API's mark of
 * a final answer, is left out, except for a job, where it says whether the
 * job is done.
 */
void	cli_json_print(const struct json_t *obj);
/*
 * The value of key in the local ferryd.conf (state as for cli_request),
 * newly allocated; NULL when it is not there.
 */
char	*cli_conf_get(const char *state, const char *key);
/* The user name for a submitter the hub wrote as "uid N"; else who. */
const char *cli_who(const char *who, char *buf, size_t n);

/*
 * bar.c: one progress line for a job (as the API gives it), with the
 * rate and ETA of meter m at time now (monotonic seconds).
 */
#include <stdio.h>
struct human_meter;
void	cli_bar(FILE *f, const struct json_t *job,
	    const struct human_meter *m, double now, int inplace);
/* Seconds on a monotonic clock. */
double	cli_now(void);

/* cmd-sites.c: one site of the hub's "sites" answer, as a line. */
void	cli_site_print(const struct json_t *site);

/* site-sftp.c: `ferry site add NAME --sftp ...` and `ferry site check`. */
struct site_sftp {
	const char	*sftp, *key, *known, *pass, *via;
};
int	site_sftp_add(const struct cmd_entry *cmd, const char *state,
	    const char *name, const struct site_sftp *o);
int	site_sftp_check(const struct cmd_entry *cmd, const char *state,
	    const char *name);

/* cmd-send.c: follows job id until it ends; 0 if it ended done. */
int	cli_wait_job(const struct cmd_entry *cmd, const char *state,
	    long long id, int quiet);

#endif
