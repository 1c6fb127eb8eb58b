#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "credentials.h"
#include "err.h"
#include "statedir.h"

/* Environment variables, in the order they are tried, per value. */
static const char *credentials_env_url[] = { "FTRACK_SERVER", NULL };
static const char *credentials_env_user[] = { "FTRACK_API_USER", NULL };
static const char *credentials_env_key[] = {
	"FTRACK_API_KEY", "FTRACK_APIKEY", NULL
};

void
credentials_args_init(struct credentials_args *a)
{
	memset(a, 0, sizeof *a);
}

int
credentials_option(struct credentials_args *a, int opt, const char *arg)
{
	switch (opt) {
	case CREDENTIALS_OPT_URL:
		a->url = arg;
		return (1);
	case CREDENTIALS_OPT_USER:
		a->user = arg;
		return (1);
	case CREDENTIALS_OPT_KEY:
		a->api_key = arg;
		return (1);
	case CREDENTIALS_OPT_KEY_FILE:
		a->api_key_file = arg;
		return (1);
	case CREDENTIALS_OPT_STORE:
		a->store = 1;
		return (1);
	case CREDENTIALS_OPT_NO_STORED:
		a->no_stored = 1;
		return (1);
	}
	return (0);
}

int
credentials_key_in_argv(const struct credentials_args *a)
{
	return (a->api_key != NULL);
}

void
credentials_clear(struct credentials *c)
{
	if (c->api_key != NULL)
		explicit_bzero(c->api_key, strlen(c->api_key));
	free(c->api_key);
	free(c->url);
	free(c->user);
	free(c->url_from);
	free(c->user_from);
	free(c->key_from);
	memset(c, 0, sizeof *c);
}

/* Sets *dst to a copy of value, and *from to where it came from. */
static int
credentials_take(char **dst, char **from, const char *value,
    const char *where)
{
	if (*dst != NULL || value == NULL || *value == '\0')
		return (0);
	if ((*dst = strdup(value)) == NULL || (*from = strdup(where)) == NULL)
		return (FERRY_ERR_NOMEM);
	return (0);
}

static int
credentials_take_env(char **dst, char **from, const char **names)
{
	int	e = 0;

	for (; *names != NULL && e == 0; names++)
		e = credentials_take(dst, from, getenv(*names), *names);
	return (e);
}

static int
credentials_from_flags(const struct credentials_args *a,
    struct credentials *c, char **cause)
{
	char	*where;
	int	 e = 0;

	if (a->api_key != NULL && a->api_key_file != NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "give "
		    "--ftrack-api-key or --ftrack-api-key-file, not both"));
	e |= credentials_take(&c->url, &c->url_from, a->url, "--ftrack-url");
	e |= credentials_take(&c->user, &c->user_from, a->user,
	    "--ftrack-user");
	e |= credentials_take(&c->api_key, &c->key_from, a->api_key,
	    "--ftrack-api-key");
	if (e != 0)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	if (a->api_key_file == NULL)
		return (0);
	if ((e = credentials_file_read_key(a->api_key_file, &c->api_key,
	    cause)) != 0)
		return (e);
	if (asprintf(&where, "--ftrack-api-key-file %s", a->api_key_file) ==
	    -1)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	c->key_from = where;
	return (0);
}

static int
credentials_missing(const struct credentials *c)
{
	return (c->url == NULL || c->user == NULL || c->api_key == NULL);
}

/* Fills what is still missing from the stored file, if there is one. */
static int
credentials_from_stored(const char *path, struct credentials *c,
    char **cause)
{
	struct credentials	 s;
	char			*why = NULL;
	int			 e;

	memset(&s, 0, sizeof s);
	e = credentials_file_load(path, &s, &why);
	if (e == FERRY_ERR_NOTFOUND)
		e = 0;
	else if (e == FERRY_ERR_AUTH)
		e = err_set(cause, e, "%s; or ignore them with "
		    "--no-stored-credentials", why != NULL ? why : "");
	else if (e != 0)
		e = err_set(cause, e, "%s", why != NULL ? why : err_str(e));
	free(why);
	if (e == 0 && (credentials_take(&c->url, &c->url_from, s.url,
	    path) != 0 || credentials_take(&c->user, &c->user_from, s.user,
	    path) != 0 || credentials_take(&c->api_key, &c->key_from,
	    s.api_key, path) != 0))
		e = err_set(cause, FERRY_ERR_NOMEM, "out of memory");
	credentials_clear(&s);
	return (e);
}

/* Names every missing value, where it can come from, and what was seen. */
static int
credentials_report_missing(const struct credentials_args *a,
    const char *stored, const struct credentials *c, char **cause)
{
	struct buf	b;
	int		n = 0, e;

	buf_init(&b, 0);
	buf_addstr(&b, "missing ftrack credentials:");
	if (c->url == NULL)
		buf_printf(&b, "%s the server URL (--ftrack-url or "
		    "FTRACK_SERVER)", n++ > 0 ? "," : "");
	if (c->user == NULL)
		buf_printf(&b, "%s the API user (--ftrack-user or "
		    "FTRACK_API_USER)", n++ > 0 ? "," : "");
	if (c->api_key == NULL)
		buf_printf(&b, "%s the API key (--ftrack-api-key-file or "
		    "FTRACK_API_KEY)", n++ > 0 ? "," : "");
	if (stored == NULL)
		buf_addstr(&b, "; no state directory for stored credentials");
	else if (a->no_stored)
		buf_addstr(&b, "; stored credentials not read "
		    "(--no-stored-credentials)");
	else
		buf_printf(&b, "; %s does not have them either (save them "
		    "once with --store-credentials)", stored);
	e = err_set(cause, FERRY_ERR_NOTFOUND, "%s", buf_str(&b));
	buf_free(&b);
	return (e);
}

static int
credentials_has_control(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return (1);
	}
	return (0);
}

/* Checks the values before they are used or stored; never shows the key. */
static int
credentials_check(const struct credentials *c, char **cause)
{
	if ((strncasecmp(c->url, "https://", 8) != 0 &&
	    strncasecmp(c->url, "http://", 7) != 0) ||
	    credentials_has_control(c->url) || strchr(c->url, ' ') != NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "the ftrack server URL "
		    "from %s, \"%.200s\", is not an http:// or https:// URL",
		    c->url_from, c->url));
	if (credentials_has_control(c->user))
		return (err_set(cause, FERRY_ERR_INVAL, "the ftrack API user "
		    "from %s has a control character", c->user_from));
	if (credentials_has_control(c->api_key))
		return (err_set(cause, FERRY_ERR_INVAL, "the ftrack API key "
		    "from %s has a control character (a stray line break?)",
		    c->key_from));
	return (0);
}

static int
credentials_find(const struct credentials_args *a, const char *stored,
    struct credentials *c, char **cause)
{
	int	e;

	if ((e = credentials_from_flags(a, c, cause)) != 0)
		return (e);
	if (credentials_take_env(&c->url, &c->url_from,
	    credentials_env_url) != 0 || credentials_take_env(&c->user,
	    &c->user_from, credentials_env_user) != 0 ||
	    credentials_take_env(&c->api_key, &c->key_from,
	    credentials_env_key) != 0)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	if (credentials_missing(c) && stored != NULL && !a->no_stored &&
	    (e = credentials_from_stored(stored, c, cause)) != 0)
		return (e);
	if (credentials_missing(c))
		return (credentials_report_missing(a, stored, c, cause));
	return (credentials_check(c, cause));
}

int
credentials_resolve(const struct credentials_args *a, const char *statedir,
    struct credentials *c, char **cause)
{
	char	*stored = NULL;
	int	 e = 0;

	memset(c, 0, sizeof *c);
	if (statedir != NULL)
		e = statedir_path(statedir, CREDENTIALS_FILE, &stored, cause);
	if (e == 0)
		e = credentials_find(a, stored, c, cause);
	if (e == 0 && a->store)
		e = credentials_store(statedir, c, cause);
	free(stored);
	if (e != 0)
		credentials_clear(c);
	return (e);
}

int
credentials_store(const char *statedir, const struct credentials *c,
    char **cause)
{
	char	*path;
	int	 e;

	if (statedir == NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "no state directory to "
		    "store the credentials in"));
	if ((e = statedir_path(statedir, CREDENTIALS_FILE, &path, cause)) != 0)
		return (e);
	e = credentials_file_store(path, c, cause);
	free(path);
	return (e);
}
