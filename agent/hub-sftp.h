/*
 * Agentless SFTP sites on the hub (docs/sftp.md): a site whose files live
 * on a vendor's SFTP server, reached by the hub itself as the client with
 * libsftp. hub-sftp-site.c holds the API (site.add, site.check, each
 * site's kind in sites) and what
 * planning a job needs (paths on the server, listing it); hub-sftp.c runs
 * a job's tasks, as hub-dispatch.c runs a transfer between agents.
 */
#ifndef FERRY_HUB_SFTP_H
#define FERRY_HUB_SFTP_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "sftp.h"
#include "store.h"

struct ferryd;
struct share_map;
struct share_map_result;
struct dispatch_due;

/* An SFTP site, as stored, with its target parsed. */
struct hub_sftp_site {
	struct store_sftp	conf;
	struct sftp_target	target;
	int			mapped;	/* the share map names the site */
};

/*
 * 1 and *out when site is an SFTP site, 0 when it is not, or an error.
 * The caller holds d->mu.
 */
int	hub_sftp_site_get(struct ferryd *d, const char *site,
	    struct hub_sftp_site **out, char **cause);
void	hub_sftp_site_free(struct hub_sftp_site *s);

/*
 * Connects to s's server as the hub, with root (NULL: the target's) as
 * the remote root; the passphrase is read from its file for the
 * connection only. extra gives progress, abort and rate (may be NULL).
 */
int	hub_sftp_connect(const struct hub_sftp_site *s, const char *root,
	    const struct sftp_opts *extra, struct sftp **out, char **cause);

/*
 * Whether remote path p lies at or below the target's root (a relative
 * p is below it, if it does not climb): 0 and *rel
 * (borrowed from p; "" for the root itself), else FERRY_ERR_DENIED
 * naming the site and its root.
 */
int	hub_sftp_below(const struct hub_sftp_site *s, const char *p,
	    const char **rel, char **cause);

/*
 * Planning a job (hub-jobs.c). sftp_plan_open: the SFTP end of a job
 * from `from` to `to`, or *out NULL when neither is one; the other end
 * must be the hub's own site. sftp_plan_translate: path (as from sees
 * it) as to sees it, when one of them is s's site. sftp_plan_list: the
 * files below the remote paths given, listed on the server, each passed
 * to add with its remote path and size.
 */
int	sftp_plan_open(struct ferryd *d, const char *from, const char *to,
	    struct share_map *m, struct hub_sftp_site **out, char **cause);
int	sftp_plan_translate(const struct hub_sftp_site *s,
	    const struct share_map *m, const char *from, const char *to,
	    const char *path, struct share_map_result *res, char **cause);
int	sftp_plan_list(const struct hub_sftp_site *s, const json_t *paths,
	    int (*add)(const char *, int64_t, void *), void *arg,
	    char **cause);

/* The API's site.add: an SFTP site. */
json_t	*sftp_site_add(struct ferryd *d, const char *op, const json_t *req,
	    uid_t uid);
/*
 * For the "sites" answer (hub-window.c): a site's kind (hub, agent,
 * sftp) and an SFTP site's server and file paths, added to o. The caller
 * holds d->mu.
 */
void	sftp_site_describe(struct ferryd *d, const char *name, json_t *o);
/* site.check: connects as a job would; the host key's fingerprint. */
json_t	*sftp_site_check(struct ferryd *d, const char *op, const json_t *req,
	    uid_t uid);

/*
 * hub-sftp.c: starts the due tasks of job (the caller holds d->mu) when
 * one of its ends is an SFTP site: 0 if it started them (or failed
 * them), -1 if they wait (the site is busy), 1 if it is not an SFTP job.
 */
struct store_job;
int	sftp_dispatch_job(struct ferryd *d, struct share_map *m,
	    struct dispatch_due *due, const struct store_job *j);

#endif
