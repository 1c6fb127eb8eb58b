/*
 * ftrack credentials: flags before the environment before the stored
 * file; storing (0600 from the start, atomically); refusing a stored file
 * or key file open to others; --no-stored-credentials; clear errors that
 * name what is missing and never show the key.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "credentials.h"
#include "err.h"
#include "test.h"

#define KEY_STORED	"stored-0000aaaa-11bb-22cc-33dd-444444eeeeee"
#define KEY_ENV		"env-1111bbbb-22cc-33dd-44ee-555555ffffff"
#define KEY_FILE	"file-2222cccc-33dd-44ee-55ff-666666aaaaaa"
#define KEY_FLAG	"flag-3333dddd-44ee-55ff-66aa-777777bbbbbb"

static char	dir[] = "/tmp/test-credentials.XXXXXX";
static char	stored[256];
static char	target[256];		/* where test links point */
static char	tmp_target[256];

/* No cause may ever carry a key, whichever. */
static void
check_no_key(const char *cause)
{
	static const char *keys[] = { KEY_STORED, KEY_ENV, KEY_FILE, KEY_FLAG,
	    "SECRETKEY", "0000aaaa", "1111bbbb" };
	size_t	i;

	if (cause == NULL)
		return;
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		test_checks++;
		if (strstr(cause, keys[i]) != NULL)
			TEST_FAIL("cause shows a key: %s", cause);
	}
}

static void
clear_env(void)
{
	unsetenv("FTRACK_SERVER");
	unsetenv("FTRACK_API_USER");
	unsetenv("FTRACK_API_KEY");
	unsetenv("FTRACK_APIKEY");
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE	*f;

	unlink(path);
	f = fopen(path, "w");
	if (f == NULL) {
		TEST_FAIL("cannot write %s", path);
		return;
	}
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void
write_stored(mode_t mode)
{
	write_file(stored, "{\"server_url\": \"https://stored.example.com\", "
	    "\"api_user\": \"stored-user\", \"api_key\": \"" KEY_STORED "\"}\n",
	    mode);
}

/* Resolves; on failure checks the code and that the cause shows no key. */
static int
resolve(const struct credentials_args *a, const char *sd,
    struct credentials *c, char **cause)
{
	int	e;

	free(*cause);
	*cause = NULL;
	e = credentials_resolve(a, sd, c, cause);
	check_no_key(*cause);
	return (e);
}

static void
test_precedence(void)
{
	struct credentials_args	 a;
	struct credentials	 c;
	char			*cause = NULL;

	clear_env();
	write_stored(0600);
	credentials_args_init(&a);
	/* Everything from the stored file. */
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), 0);
	ASSERT_STR_EQ(c.url, "https://stored.example.com");
	ASSERT_STR_EQ(c.user, "stored-user");
	ASSERT_STR_EQ(c.api_key, KEY_STORED);
	ASSERT_STR_EQ(c.key_from, stored);
	credentials_clear(&c);

	/* The environment beats the stored file, value by value. */
	setenv("FTRACK_SERVER", "https://env.example.com/", 1);
	setenv("FTRACK_API_USER", "env-user", 1);
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), 0);
	ASSERT_STR_EQ(c.url, "https://env.example.com/");
	ASSERT_STR_EQ(c.url_from, "FTRACK_SERVER");
	ASSERT_STR_EQ(c.user, "env-user");
	ASSERT_STR_EQ(c.api_key, KEY_STORED);
	credentials_clear(&c);

	/* Flags beat the environment. */
	a.user = "flag-user";
	a.api_key = KEY_FLAG;
	setenv("FTRACK_API_KEY", KEY_ENV, 1);
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), 0);
	ASSERT_STR_EQ(c.url, "https://env.example.com/");
	ASSERT_STR_EQ(c.user, "flag-user");
	ASSERT_STR_EQ(c.user_from, "--ftrack-user");
	ASSERT_STR_EQ(c.api_key, KEY_FLAG);
	ASSERT_STR_EQ(c.key_from, "--ftrack-api-key");
	ASSERT_TRUE(credentials_key_in_argv(&a));
	credentials_clear(&c);

	/* Without the flag, the environment's key; an empty one is unset. */
	a.api_key = NULL;
	ASSERT_TRUE(!credentials_key_in_argv(&a));
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), 0);
	ASSERT_STR_EQ(c.api_key, KEY_ENV);
	credentials_clear(&c);
	setenv("FTRACK_API_KEY", "", 1);
	setenv("FTRACK_APIKEY", KEY_ENV, 1);
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), 0);
	ASSERT_STR_EQ(c.api_key, KEY_ENV);
	ASSERT_STR_EQ(c.key_from, "FTRACK_APIKEY");
	credentials_clear(&c);
	free(cause);
	clear_env();
}

static void
test_missing(void)
{
	struct credentials_args	 a;
	struct credentials	 c;
	char			*cause = NULL;

	clear_env();
	unlink(stored);
	credentials_args_init(&a);
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), FERRY_ERR_NOTFOUND);
	ASSERT_STR_CONTAINS(cause, "the server URL (--ftrack-url or "
	    "FTRACK_SERVER)");
	ASSERT_STR_CONTAINS(cause, "the API user (--ftrack-user or "
	    "FTRACK_API_USER)");
	ASSERT_STR_CONTAINS(cause, "the API key (--ftrack-api-key-file or "
	    "FTRACK_API_KEY)");
	ASSERT_STR_CONTAINS(cause, stored);
	ASSERT_TRUE(c.url == NULL && c.api_key == NULL);

	/* Only what is missing is named. */
	setenv("FTRACK_SERVER", "https://env.example.com", 1);
	a.user = "flag-user";
	ASSERT_INT_EQ(resolve(&a, NULL, &c, &cause), FERRY_ERR_NOTFOUND);
	ASSERT_STR_CONTAINS(cause, "missing ftrack credentials: the API key");
	ASSERT_TRUE(strstr(cause, "server URL") == NULL);
	ASSERT_TRUE(strstr(cause, "API user") == NULL);
	ASSERT_STR_CONTAINS(cause, "no state directory");
	free(cause);
	clear_env();
}

static void
test_no_stored(void)
{
	struct credentials_args	 a;
	struct credentials	 c;
	char			*cause = NULL;

	clear_env();
	write_stored(0600);
	credentials_args_init(&a);
	a.no_stored = 1;
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), FERRY_ERR_NOTFOUND);
	ASSERT_STR_CONTAINS(cause, "not read (--no-stored-credentials)");
	/* Even a stored file that would be refused is not looked at. */
	write_stored(0644);
	setenv("FTRACK_SERVER", "https://env.example.com", 1);
	setenv("FTRACK_API_USER", "env-user", 1);
	setenv("FTRACK_API_KEY", KEY_ENV, 1);
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), 0);
	ASSERT_STR_EQ(c.api_key, KEY_ENV);
	credentials_clear(&c);
	free(cause);
	clear_env();
}

static void
test_refused_modes(void)
{
	static const mode_t modes[] = { 0644, 0640, 0604, 0660, 0606 };
	struct credentials_args	 a;
	struct credentials	 c;
	char			*cause = NULL, want[64];
	size_t			 i;

	clear_env();
	credentials_args_init(&a);
	for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		write_stored(modes[i]);
		ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), FERRY_ERR_AUTH);
		snprintf(want, sizeof want, "has mode %04o", modes[i]);
		ASSERT_STR_CONTAINS(cause, want);
		ASSERT_STR_CONTAINS(cause, stored);
		ASSERT_STR_CONTAINS(cause, "chmod 600");
		ASSERT_STR_CONTAINS(cause, "--no-stored-credentials");
	}
	/* A symbolic link is refused: the file checked is the file read. */
	write_stored(0600);
	rename(stored, target);
	ASSERT_INT_EQ(symlink(target, stored), 0);
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "symbolic link");
	unlink(stored);
	unlink(target);
	free(cause);
}

static void
test_bad_stored(void)
{
	struct credentials_args	 a;
	struct credentials	 c;
	char			*cause = NULL;

	clear_env();
	credentials_args_init(&a);
	/* jansson would quote the bad token, the key itself: not shown. */
	write_file(stored, "{\"api_key\": SECRETKEY0000aaaa}", 0600);
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "not a JSON object (line 1");
	write_file(stored, "{\"api_key\": 42}", 0600);
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "\"api_key\" must be a non-empty string");
	/* A key with a line break in it would split an HTTP header. */
	write_file(stored, "{\"server_url\": \"https://x\", \"api_user\": "
	    "\"u\", \"api_key\": \"1111bbbb\\r\\nX: y\"}", 0600);
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "API key from");
	ASSERT_STR_CONTAINS(cause, "control character");
	write_file(stored, "{\"server_url\": \"ftp://x\", \"api_user\": "
	    "\"u\", \"api_key\": \"k\"}", 0600);
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "\"ftp://x\", is not an http:// or "
	    "https:// URL");
	unlink(stored);
	free(cause);
}

static void
test_key_file(void)
{
	struct credentials_args	 a;
	struct credentials	 c;
	char			*cause = NULL, path[300];

	clear_env();
	setenv("FTRACK_SERVER", "https://env.example.com", 1);
	setenv("FTRACK_API_USER", "env-user", 1);
	setenv("FTRACK_API_KEY", KEY_ENV, 1);
	snprintf(path, sizeof path, "%s/key", dir);
	credentials_args_init(&a);
	a.api_key_file = path;
	write_file(path, KEY_FILE "\r\n", 0600);
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), 0);
	ASSERT_STR_EQ(c.api_key, KEY_FILE);
	ASSERT_STR_CONTAINS(c.key_from, "--ftrack-api-key-file");
	ASSERT_TRUE(!credentials_key_in_argv(&a));
	credentials_clear(&c);
	/* Group may read it (a service's group); others may not. */
	chmod(path, 0640);
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), 0);
	credentials_clear(&c);
	chmod(path, 0604);
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), FERRY_ERR_AUTH);
	ASSERT_STR_CONTAINS(cause, "has mode 0604");
	ASSERT_STR_CONTAINS(cause, "chmod o-rwx");
	write_file(path, "\n", 0600);
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "is empty");
	write_file(path, KEY_FILE "\n" KEY_FILE "\n", 0600);
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "only the key, on one line");
	unlink(path);
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), FERRY_ERR_NOTFOUND);
	ASSERT_STR_CONTAINS(cause, path);
	a.api_key = KEY_FLAG;
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "not both");
	free(cause);
	clear_env();
}

/* Reads back the stored file's mode and values. */
static void
check_stored(mode_t want_mode, const char *want_key)
{
	struct stat	 sb;
	json_t		*o;

	ASSERT_INT_EQ(stat(stored, &sb), 0);
	ASSERT_INT_EQ(sb.st_mode & 07777, want_mode);
	o = json_load_file(stored, 0, NULL);
	ASSERT_STR_EQ(json_string_value(json_object_get(o, "server_url")),
	    "https://flag.example.com");
	ASSERT_STR_EQ(json_string_value(json_object_get(o, "api_user")),
	    "flag-user");
	ASSERT_STR_EQ(json_string_value(json_object_get(o, "api_key")),
	    want_key);
	json_decref(o);
	ASSERT_TRUE(access(tmp_target, F_OK) == -1);
}

static void
test_store(void)
{
	struct credentials_args	 a;
	struct credentials	 c;
	struct stat		 before, after;
	char			*cause = NULL, tmp[300];
	mode_t			 old;

	clear_env();
	unlink(stored);
	credentials_args_init(&a);
	a.url = "https://flag.example.com";
	a.user = "flag-user";
	a.api_key = KEY_FLAG;
	a.store = 1;
	/* Whatever the umask, the file is 0600. */
	old = umask(0);
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), 0);
	credentials_clear(&c);
	check_stored(0600, KEY_FLAG);
	ASSERT_INT_EQ(stat(stored, &before), 0);
	/*
	 * Storing again replaces the file by rename, never writing through
	 * a link left at the temporary name.
	 */
	snprintf(tmp, sizeof tmp, "%s.tmp", stored);
	ASSERT_INT_EQ(symlink(tmp_target, tmp), 0);
	umask(0277);
	a.api_key = KEY_STORED;
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), 0);
	credentials_clear(&c);
	umask(old);
	check_stored(0600, KEY_STORED);
	ASSERT_INT_EQ(stat(stored, &after), 0);
	ASSERT_TRUE(before.st_ino != after.st_ino);
	ASSERT_TRUE(access(tmp, F_OK) == -1);
	/* A later run finds them without any flag. */
	credentials_args_init(&a);
	ASSERT_INT_EQ(resolve(&a, dir, &c, &cause), 0);
	ASSERT_STR_EQ(c.user, "flag-user");
	credentials_clear(&c);
	/* Nowhere to store them. */
	a.store = 1;
	a.url = "https://flag.example.com";
	a.user = "u";
	a.api_key = KEY_FLAG;
	ASSERT_INT_EQ(resolve(&a, NULL, &c, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "no state directory");
	free(cause);
	unlink(stored);
}

static void
test_options(void)
{
	static const struct option opts[] = {
		CREDENTIALS_LONG_OPTIONS,
		{ "other", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	char *argv[] = { "prog", "--ftrack-url", "https://x", "--ftrack-user",
	    "u", "--ftrack-api-key-file", "/k", "--store-credentials",
	    "--no-stored-credentials", "--other", "--ftrack-api-key", "K",
	    NULL };
	struct credentials_args	a;
	int			opt, others = 0;

	credentials_args_init(&a);
	optind = 1;
	while ((opt = getopt_long(12, argv, "", opts, NULL)) != -1) {
		if (!credentials_option(&a, opt, optarg))
			others++;
	}
	ASSERT_INT_EQ(others, 1);
	ASSERT_STR_EQ(a.url, "https://x");
	ASSERT_STR_EQ(a.user, "u");
	ASSERT_STR_EQ(a.api_key_file, "/k");
	ASSERT_STR_EQ(a.api_key, "K");
	ASSERT_TRUE(a.store && a.no_stored);
	ASSERT_TRUE(credentials_key_in_argv(&a));
	ASSERT_STR_CONTAINS(CREDENTIALS_ARGV_WARNING, "process list");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		TEST_SKIP("cannot make a temporary directory");
	snprintf(stored, sizeof stored, "%s/%s", dir, CREDENTIALS_FILE);
	snprintf(target, sizeof target, "%s/target", dir);
	snprintf(tmp_target, sizeof tmp_target, "%s/tmp-target", dir);
	test_precedence();
	test_missing();
	test_no_stored();
	test_refused_modes();
	test_bad_stored();
	test_key_file();
	test_store();
	test_options();
	unlink(stored);
	unlink(tmp_target);
	rmdir(dir);
	return (TEST_DONE());
}
