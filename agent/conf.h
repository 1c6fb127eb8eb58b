/*
 * ferryd.conf: "keyword value" lines in the state directory, written by
 * `ferryd init` and `ferryd enroll` and read by `ferryd run`. '#' starts a
 * comment. Unknown keywords are errors, named with file and line.
 */
#ifndef FERRY_CONF_H
#define FERRY_CONF_H

#include <stddef.h>

#define CONF_NAME		"ferryd.conf"
#define CONF_CONTROL_PORT	45190

struct conf {
	char	*role;		/* "hub" or "agent" */
	char	*site;		/* the site this machine belongs to */
	char	*user;		/* for a person's agent: their e-mail */
	char	*name;		/* this agent's name, for people */
	char	*listen;	/* hub: ADDR[:PORT] of the control port */
	char	*hub;		/* agent: the hub's ADDR[:PORT] */
	char	*hub_fp;	/* agent: the hub's pinned fingerprint */
	char	*public_addr;	/* reachable address, if any */
	char	*source_addr;	/* connect from this address */
	char	*retry_base;	/* hub: seconds before a first retry */
	char	*retry_limit;	/* hub: attempts before a task fails */
	char	*stall_timeout;	/* hub: seconds without progress */
	char	*per_agent;	/* hub: transfers at once per agent */
	char	*compare_first;	/* hub: 0: never ask what is there */
	char	*recv_min_rate;	/* receiver: bytes/s from a person's agent */
	char	*recv_rate_window; /* receiver: seconds it is judged over */
	char	*partial_age;	/* seconds before partial files are swept */
	char	*umask;		/* octal, for files ferryd makes; 027 */
	char	*recv_flush;	/* auto|files|fs: how received files are
				   made durable (transfer.h) */
	char	*recv_umask;	/* octal, bits taken from received modes */
	char	*relay_bwlimit;	/* hub: cap on relayed bytes, a rate */
	char	*web;		/* hub: status page ADDR[:PORT] or off */
	char	*web_cert;	/* hub: its TLS certificate (PEM) */
	char	*web_key;	/* hub: its TLS key (PEM, 0600) */
	char	*web_token_file; /* hub: the token it asks for (0600) */
	char	*test_clock;	/* hub, tests only: the windows' clock
				   offset file (clock_now_shifted) */
	char	*test_store_hold; /* hub, tests only: a file that holds
				   a big job's batches (hub-jobstore.c) */
	char	*home_folder;	/* hub: a vendor's, SHARE:PATH/{email} */
	char	*home_folder_emp; /* hub: an employee's, the same */
	char	*mail_admins;	/* hub: addresses, comma-separated */
	char	*mail_retry;	/* hub: seconds before mail's first retry */
	char	*mail_rate;	/* hub: messages to one address an hour */
	char	*store;		/* hub: a postgresql:// URL; unset: hub.db */
	char	*store_pwfile;	/* hub: its 0600 password file, if any */
	char	*max_job_files;	/* hub: files in one send, at most */
	char	*max_list_time;	/* hub: seconds an agent may list one send */
	char	*max_agent_jobs; /* hub: a place's unfinished jobs from its
				   agents */
	char	*max_agent_msgs; /* hub: control messages a second from
				   one agent's link */
	char	*hub_standby;	/* agent: more hubs' ADDR[:PORT], comma-
				   separated, with hub-fingerprint's key */
	/*
	 * hub: the lines of libmail's keywords (smtp-*, mail-*: "keyword
	 * value"), which the hub gives it (hub-mail.c), and their numbers.
	 */
	char	**mail_lines;
	int	 *mail_lineno;
	size_t	  nmail_lines;
};

/* Reads DIR/ferryd.conf into c (cleared first). */
int	conf_load(const char *dir, struct conf *c, char **cause);
/* Writes c to DIR/ferryd.conf atomically, mode 0600. */
int	conf_save(const char *dir, const struct conf *c, char **cause);
/*
 * Writes dir/name, 0600, whole or not at all (name.tmp, flushed, renamed):
 * text's n bytes, and a newline if they do not end in one.
 */
int	conf_write_file(const char *dir, const char *name, const char *text,
	    size_t n, char **cause);
void	conf_clear(struct conf *c);
/* A positive number from a value, or def when unset or not one. */
long	conf_int(const char *value, long def);
/* Splits "host[:port]" (or "[v6]:port"); port defaults to def. */
int	conf_split_addr(const char *spec, int def, char **host, int *port,
	    char **cause);

#endif
