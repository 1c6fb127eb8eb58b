#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "credentials.h"
#include "err.h"
#include "secretfile.h"

/* The stored file's keys. */
static const char *credentials_file_keys[] = {
	"server_url", "api_user", "api_key"
};

/* Checks a key read from a file; the cause names the file, never the key. */
static int
credentials_file_check_key(const char *key, size_t len, const char *path,
    char **cause)
{
	size_t	i;

	if (strlen(key) != len)
		return (err_set(cause, FERRY_ERR_INVAL, "API key file %s has a "
		    "NUL byte", path));
	if (len == 0)
		return (err_set(cause, FERRY_ERR_INVAL, "API key file %s is "
		    "empty", path));
	for (i = 0; i < len; i++) {
		if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f)
			return (err_set(cause, FERRY_ERR_INVAL, "API key file "
			    "%s must hold only the key, on one line", path));
	}
	return (0);
}

int
credentials_file_read_key(const char *path, char **keyp, char **cause)
{
	struct buf	 b;
	char		*key;
	size_t		 len;
	int		 e;

	e = secretfile_read(path, "API key file", 007, 0, &b, cause);
	if (e != 0)
		return (e);
	len = b.len;
	key = buf_detach(&b);
	/* Editors end the line; the key is what comes before. */
	while (len > 0 && strchr(" \t\r\n", key[len - 1]) != NULL &&
	    key[len - 1] != '\0')
		key[--len] = '\0';
	if ((e = credentials_file_check_key(key, len, path, cause)) != 0) {
		explicit_bzero(key, len);
		free(key);
		return (e);
	}
	*keyp = key;
	return (0);
}

/* Takes one string of the stored object into *dst (if present). */
static int
credentials_file_field(json_t *o, const char *name, char **dst,
    const char *path, char **cause)
{
	json_t	*v = json_object_get(o, name);

	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_string(v) || json_string_length(v) == 0)
		return (err_set(cause, FERRY_ERR_PARSE, "stored credentials "
		    "%s: \"%s\" must be a non-empty string", path, name));
	if ((*dst = strdup(json_string_value(v))) == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	return (0);
}

int
credentials_file_load(const char *path, struct credentials *c,
    char **cause)
{
	json_t		*o;
	json_error_t	 jerr;
	struct buf	 b;
	char		**dst[3] = { &c->url, &c->user, &c->api_key };
	int		 e;
	size_t		 i;

	e = secretfile_read(path, "stored credentials", 077, 1, &b, cause);
	if (e != 0)
		return (e);
	o = json_loadb(buf_str(&b), b.len, JSON_REJECT_DUPLICATES, &jerr);
	secretfile_wipe(&b);
	/* jansson's text can quote the file, key and all: give only where. */
	if (!json_is_object(o))
		e = err_set(cause, FERRY_ERR_PARSE, "stored credentials %s: "
		    "not a JSON object (line %d, column %d); store them again "
		    "with --store-credentials", path, jerr.line, jerr.column);
	for (i = 0; i < 3 && e == 0; i++)
		e = credentials_file_field(o, credentials_file_keys[i], dst[i],
		    path, cause);
	json_decref(o);
	return (e);
}

/* Writes all of text to fd. */
static int
credentials_file_write_all(int fd, const char *text)
{
	size_t	off = 0, len = strlen(text);
	ssize_t	n;

	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		off += (size_t)n;
	}
	return (0);
}

/* Writes the JSON to a new file, created 0600 and never more open. */
static int
credentials_file_write_tmp(const char *tmp, const char *text, char **cause)
{
	int	fd, saved;

	if (unlink(tmp) == -1 && errno != ENOENT)
		return (err_set(cause, FERRY_ERR_IO, "cannot remove %s: %s",
		    tmp, strerror(errno)));
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return (err_set(cause, FERRY_ERR_IO, "cannot create %s: %s",
		    tmp, strerror(errno)));
	/* The umask may have taken bits off; the owner needs to read it. */
	if (fchmod(fd, 0600) == -1 || credentials_file_write_all(fd,
	    text) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(tmp);
		return (err_set(cause, FERRY_ERR_IO, "cannot write %s: %s",
		    tmp, strerror(saved)));
	}
	if (close(fd) == -1) {
		unlink(tmp);
		return (err_set(cause, FERRY_ERR_IO, "cannot write %s: %s",
		    tmp, strerror(errno)));
	}
	return (0);
}

/* Makes the rename durable; a failure here loses nothing already there. */
static void
credentials_file_sync_dir(const char *path)
{
	char	dir[4096];
	char	*slash;
	int	fd;

	snprintf(dir, sizeof dir, "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	(void)fsync(fd);
	close(fd);
}

int
credentials_file_store(const char *path, const struct credentials *c,
    char **cause)
{
	json_t	*o;
	char	*text, tmp[4096];
	int	 e;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
		return (err_set(cause, FERRY_ERR_TOOBIG, "path too long: "
		    "%.64s...", path));
	o = json_pack("{s:s, s:s, s:s}", credentials_file_keys[0], c->url,
	    credentials_file_keys[1], c->user, credentials_file_keys[2],
	    c->api_key);
	text = o != NULL ? json_dumps(o, JSON_INDENT(2)) : NULL;
	json_decref(o);
	if (text == NULL)
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	e = credentials_file_write_tmp(tmp, text, cause);
	explicit_bzero(text, strlen(text));
	free(text);
	if (e == 0 && rename(tmp, path) == -1) {
		e = err_set(cause, FERRY_ERR_IO, "cannot rename %s to %s: %s",
		    tmp, path, strerror(errno));
		unlink(tmp);
	}
	if (e == 0)
		credentials_file_sync_dir(path);
	return (e);
}
