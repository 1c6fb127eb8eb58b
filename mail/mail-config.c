/* The hub's mail settings, one ferryd.conf keyword at a time. */
#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mail-int.h"

/* A number in [lo, hi], or -1. */
static long
mail_config_number(const char *value, long lo, long hi)
{
	char	*end;
	long	 n;

	n = strtol(value, &end, 10);
	if (*value == '\0' || *end != '\0' || n < lo || n > hi)
		return (-1);
	return (n);
}

static int
mail_config_string(char **dst, const char *value, char **cause)
{
	char	*s;

	if ((s = strdup(value)) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	free(*dst);
	*dst = s;
	return (0);
}

/* smtp-starttls required|off, smtp-tls implicit|starttls|off. */
static int
mail_config_security(struct mail_config *c, const char *keyword,
    const char *value, char **cause)
{
	if (strcmp(value, "required") == 0 || strcmp(value, "starttls") == 0)
		c->security = MAIL_STARTTLS;
	else if (strcmp(value, "off") == 0)
		c->security = MAIL_PLAIN;
	else if (strcmp(keyword, "smtp-tls") == 0 &&
	    strcmp(value, "implicit") == 0)
		c->security = MAIL_SMTPS;
	else
		return (err_set(cause, FERRY_ERR_INVAL, "%s: \"%s\" is not "
		    "one of %s", keyword, value, strcmp(keyword,
		    "smtp-starttls") == 0 ? "required, off" :
		    "implicit, starttls, off"));
	return (0);
}

int
mail_config_set(struct mail_config *c, const char *keyword,
    const char *value, char **cause)
{
	static const struct {
		const char	*keyword;
		size_t		 off;
	} strings[] = {
		{ "smtp-server", offsetof(struct mail_config, server) },
		{ "smtp-ca-file", offsetof(struct mail_config, ca_file) },
		{ "smtp-user", offsetof(struct mail_config, user) },
		{ "smtp-password-file",
		    offsetof(struct mail_config, password_file) },
		{ "mail-from", offsetof(struct mail_config, from) },
		{ "mail-templates", offsetof(struct mail_config, templates) },
	};
	size_t	i;
	long	n;

	for (i = 0; i < sizeof strings / sizeof strings[0]; i++) {
		if (strcmp(keyword, strings[i].keyword) == 0)
			return (mail_config_string((char **)((char *)c +
			    strings[i].off), value, cause));
	}
	if (strcmp(keyword, "smtp-starttls") == 0 ||
	    strcmp(keyword, "smtp-tls") == 0)
		return (mail_config_security(c, keyword, value, cause));
	if (strcmp(keyword, "smtp-port") == 0) {
		if ((n = mail_config_number(value, 1, 65535)) == -1)
			return (err_set(cause, FERRY_ERR_INVAL, "smtp-port: "
			    "\"%s\" is not a port", value));
		c->port = (int)n;
		return (0);
	}
	if (strcmp(keyword, "smtp-timeout") == 0) {
		if ((n = mail_config_number(value, 1, 3600)) == -1)
			return (err_set(cause, FERRY_ERR_INVAL, "smtp-timeout: "
			    "\"%s\" is not 1 to 3600 seconds", value));
		c->timeout_ms = n * 1000;
		return (0);
	}
	return (FERRY_ERR_NOTFOUND);
}

int
mail_config_check(const struct mail_config *c, char **cause)
{
	char	*name = NULL, *addr = NULL, *pw = NULL;
	int	 e;

	if (c->server == NULL)
		return (0);
	if (c->from == NULL)
		return (err_set(cause, FERRY_ERR_INVAL, "smtp-server is set "
		    "but mail-from is not: mail needs a sender address"));
	if ((e = mail_addr_parse(c->from, &name, &addr, cause)) != 0)
		return (e);
	free(name);
	free(addr);
	if ((c->user == NULL) != (c->password_file == NULL))
		return (err_set(cause, FERRY_ERR_INVAL, "smtp-user and "
		    "smtp-password-file go together"));
	/* Read once now, so that a file open to others stops the start. */
	if (c->password_file != NULL &&
	    (e = mail_smtp_password(c->password_file, &pw, cause)) != 0)
		return (e);
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	return (0);
}

void
mail_config_clear(struct mail_config *c)
{
	free(c->server);
	free(c->ca_file);
	free(c->user);
	free(c->password_file);
	free(c->from);
	free(c->templates);
	memset(c, 0, sizeof *c);
}
