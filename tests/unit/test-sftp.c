/*
 * The SFTP library's pure parts: USER@HOST[:PORT]:ROOT targets. The rest
 * runs against a real sshd in tests/sftp/.
 */
#include "config.h"

#include <stdlib.h>

#include "err.h"
#include "sftp.h"
#include "test.h"

static void
test_target_ok(const char *spec, const char *user, const char *host,
    int port, const char *root)
{
	struct sftp_target	t;
	char			*cause = NULL;

	ASSERT_INT_EQ(sftp_target_parse(spec, &t, &cause), 0);
	if (cause != NULL) {
		TEST_FAIL("%s: %s", spec, cause);
		free(cause);
		return;
	}
	ASSERT_STR_EQ(t.user, user);
	ASSERT_STR_EQ(t.host, host);
	ASSERT_INT_EQ(t.port, port);
	ASSERT_STR_EQ(t.root, root);
	sftp_target_clear(&t);
	ASSERT_TRUE(t.user == NULL && t.root == NULL);
}

static void
test_target_bad(const char *spec, const char *why)
{
	struct sftp_target	t;
	char			*cause = NULL;

	ASSERT_INT_EQ(sftp_target_parse(spec, &t, &cause), FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, why);
	free(cause);
}

int
main(void)
{
	test_target_ok("vendor@sftp.example.com:/incoming", "vendor",
	    "sftp.example.com", 22, "/incoming");
	test_target_ok("v@10.0.0.5:2222:/srv/x/", "v", "10.0.0.5", 2222,
	    "/srv/x");
	test_target_ok("v@[2001:db8::1]:2022:studio", "v", "2001:db8::1",
	    2022, "studio");
	test_target_ok("v@[::1]:/", "v", "::1", 22, "/");
	test_target_ok("first.last@h:up/load", "first.last", "h", 22,
	    "up/load");

	test_target_bad("sftp.example.com:/x", "not USER@HOST");
	test_target_bad("@h:/x", "not USER@HOST");
	test_target_bad("v@h", "no host, or no \":ROOT\"");
	test_target_bad("v@:/x", "no host");
	test_target_bad("v@h:", "without \"..\"");
	test_target_bad("v@h:0:/x", "bad port");
	test_target_bad("v@h:65536:/x", "bad port");
	test_target_bad("v@h:22x:/x", "bad port");
	test_target_bad("v@h:1234567890:/x", "bad port");
	test_target_bad("v@[::1:/x", "no ']'");
	test_target_bad("v@h:/srv/../etc", "without \"..\"");
	return (TEST_DONE());
}
