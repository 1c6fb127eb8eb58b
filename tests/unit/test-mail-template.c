/* mail/'s templates, and the outbox's states without an SMTP server. */
#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "mail-int.h"
#include "test.h"

static char	tmpdir[] = "/tmp/test-mail-template.XXXXXX";

static void
put(const char *name, const char *text)
{
	char	 path[256];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	if ((f = fopen(path, "w")) != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static void
drop(const char *name)
{
	char	path[256];

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	unlink(path);
}

/* Loads tmpdir's templates; the error's cause into *causep. */
static int
load(struct mail_templates **tp, char **causep)
{
	*causep = NULL;
	return (mail_templates_load(tmpdir, tp, causep));
}

static char *
compose(const struct mail_templates *t, enum mail_kind k,
    const struct mail_vars *v)
{
	struct mail_notice	 n;
	char			*msg = NULL, *cause = NULL;

	memset(&n, 0, sizeof n);
	n.kind = k;
	n.key = "key";
	n.to = "ana@vendor.example";
	n.vars = *v;
	if (mail_compose(t, "ferry@studio.example", &n, 0, &msg, &cause) != 0)
		TEST_FAIL("compose: %s", cause);
	free(cause);
	return (msg);
}

static void
test_builtin(void)
{
	struct mail_templates	*t = NULL;
	struct mail_vars	 v = { "42", "a.exr\nb.exr", "la:/proj/in",
	    "ana@vendor.example", "disk full at la", "2" };
	char			*cause = NULL, *m;
	int			 k;

	ASSERT_INT_EQ(mail_templates_load(NULL, &t, &cause), 0);
	if (t == NULL)
		return;
	m = compose(t, MAIL_FAILED, &v);
	ASSERT_STR_CONTAINS(m, "\r\nSubject: ferry: job 42 failed\r\n");
	ASSERT_STR_CONTAINS(m, "Your ferry job 42 to la:/proj/in failed:\r\n"
	    "disk full at la\r\n");
	ASSERT_STR_CONTAINS(m, "a.exr\r\nb.exr\r\n");
	free(m);
	/* Each kind names the job or the place, and nothing is left over. */
	for (k = 0; k < MAIL_NKINDS; k++) {
		m = compose(t, k, &v);
		ASSERT_TRUE(m != NULL && strstr(m, "{{") == NULL);
		ASSERT_STR_CONTAINS(m, "la:/proj/in");
		free(m);
	}
	m = compose(t, MAIL_DELIVERED, &v);
	ASSERT_STR_CONTAINS(m, "Subject: ferry: 2 file(s) delivered to you "
	    "(job 42)");
	free(m);
	ASSERT_INT_EQ(mail_kind_parse("publish"), MAIL_PUBLISH);
	ASSERT_INT_EQ(mail_kind_parse("nope"), -1);
	ASSERT_STR_EQ(mail_kind_file(MAIL_ACCESS), "access.txt");
	mail_templates_free(t);
	mail_templates_free(NULL);
}

static void
test_override(void)
{
	struct mail_templates	*t = NULL;
	struct mail_vars	 v = { "7", "x.mov", "hq:/in", "bo", NULL,
	    "1" };
	char			*cause = NULL, *m;

	put("failed.txt", "Subject: Échec {{job}}\n\nBonjour,\n\n{{files}} "
	    "n'est pas arrivé: {{reason}}.\n");
	ASSERT_INT_EQ(load(&t, &cause), 0);
	if (t == NULL)
		return;
	m = compose(t, MAIL_FAILED, &v);
	/* A NULL value shows as nothing; the subject is encoded. */
	ASSERT_STR_CONTAINS(m, "x.mov n'est pas arriv=C3=A9: .");
	ASSERT_STR_CONTAINS(m, "Subject: =?UTF-8?B?");
	free(m);
	/* The other kinds are still the built-in ones. */
	m = compose(t, MAIL_ACCESS, &v);
	ASSERT_STR_CONTAINS(m, "bo gave you access to hq:/in with ferry.");
	free(m);
	mail_templates_free(t);
	drop("failed.txt");
}

static void
test_errors(void)
{
	struct mail_templates	*t = NULL;
	char			*cause = NULL, want[256];

	put("publish.txt", "Subject: {{who}} published\n\nline 3\n"
	    "job {{job}} by {{nmae}}\n");
	ASSERT_INT_EQ(load(&t, &cause), FERRY_ERR_PARSE);
	snprintf(want, sizeof want, "%s/publish.txt:4: unknown placeholder "
	    "{{nmae}}", tmpdir);
	ASSERT_STR_CONTAINS(cause, want);
	ASSERT_TRUE(t == NULL);
	free(cause);

	put("publish.txt", "Subject: {{bad}}\n\nbody\n");
	ASSERT_INT_EQ(load(&t, &cause), FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "publish.txt:1: unknown placeholder "
	    "{{bad}}");
	free(cause);

	put("publish.txt", "Subject: x\n\none\ntwo {{job\n}}\n");
	ASSERT_INT_EQ(load(&t, &cause), FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "publish.txt:4: \"{{\" without \"}}\"");
	free(cause);

	put("publish.txt", "Hello {{who}}\n");
	ASSERT_INT_EQ(load(&t, &cause), FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "publish.txt:1: a template is a "
	    "\"Subject: \" line");
	free(cause);
	drop("publish.txt");
}

static void
test_subject_line(void)
{
	struct mail_templates	*t = NULL;
	struct mail_vars	 v;
	char			 files[600], *cause = NULL, *m;
	const char		*p;

	memset(&v, 0, sizeof v);
	put("delivered.txt", "Subject: got {{files}}\n\nok\n");
	ASSERT_INT_EQ(load(&t, &cause), 0);
	if (t == NULL)
		return;
	/* A file name's newline cannot start a header of its own. */
	v.files = "a.exr\r\nBcc: all@studio.example";
	m = compose(t, MAIL_DELIVERED, &v);
	ASSERT_STR_CONTAINS(m, "Subject: got a.exr  Bcc: all@studio.example"
	    "\r\n");
	ASSERT_TRUE(strstr(m, "\r\nBcc:") == NULL);
	free(m);
	/* A long list is cut: the subject stays a subject. */
	memset(files, 'f', sizeof files - 1);
	files[sizeof files - 1] = '\0';
	v.files = files;
	m = compose(t, MAIL_DELIVERED, &v);
	p = strstr(m, "Subject: ");
	ASSERT_TRUE(p != NULL && strstr(p, "...\r\n") != NULL &&
	    (size_t)(strstr(p, "...\r\n") - p) == 9 + MAIL_SUBJECT_MAX - 3);
	free(m);
	mail_templates_free(t);
	drop("delivered.txt");
}

/* The outbox's states, claimed and finished by hand as mail_outbox_step. */
static void
test_outbox(void)
{
	struct mail_templates	*t = NULL;
	struct mail_outbox	*ob = NULL;
	struct mail_claim	 cl;
	struct mail_policy	 pol = { 10, 25, 4, 0 };
	struct mail_notice	 n = { MAIL_FAILED, "failed:9", "a@b.example",
	    { "9", "f", "p", "w", "r", "1" } };
	char			 path[256], *cause = NULL;
	int64_t			 when = 0;

	snprintf(path, sizeof path, "%s/outbox.db", tmpdir);
	ASSERT_INT_EQ(mail_templates_load(NULL, &t, &cause), 0);
	ASSERT_INT_EQ(mail_outbox_open(path, 1000, &ob, &cause), 0);
	if (ob == NULL || t == NULL)
		return;
	mail_outbox_set_policy(ob, &pol);
	ASSERT_INT_EQ(mail_outbox_next(ob, &when, &cause), FERRY_ERR_NOTFOUND);
	ASSERT_INT_EQ(mail_outbox_add(ob, t, "f@s.example", &n, 1000, &cause),
	    0);
	/* The same notice again is refused; it is the caller's "done". */
	ASSERT_INT_EQ(mail_outbox_add(ob, t, "f@s.example", &n, 1001, &cause),
	    FERRY_ERR_EXIST);
	ASSERT_STR_CONTAINS(cause, "queued already");
	free(cause);
	ASSERT_INT_EQ(mail_outbox_next(ob, &when, &cause), 0);
	ASSERT_INT_EQ(when, 1000);

	/* Down: retried after 10 s, then 20, then 25 (the most), then no. */
	ASSERT_INT_EQ(mail_outbox_claim(ob, 1000, &cl, &cause), 0);
	ASSERT_INT_EQ(cl.attempts, 1);
	ASSERT_INT_EQ(mail_outbox_claim(ob, 1000, &cl, &cause),
	    FERRY_ERR_NOTFOUND);
	ASSERT_INT_EQ(mail_outbox_finish(ob, &cl, FERRY_ERR_UNREACHABLE,
	    "refused", 1000, &cause), 0);
	mail_claim_clear(&cl);
	ASSERT_INT_EQ(mail_outbox_next(ob, &when, &cause), 0);
	ASSERT_INT_EQ(when, 1010);
	ASSERT_INT_EQ(mail_outbox_claim(ob, 1009, &cl, &cause),
	    FERRY_ERR_NOTFOUND);
	ASSERT_INT_EQ(mail_outbox_claim(ob, 1010, &cl, &cause), 0);
	ASSERT_INT_EQ(mail_outbox_finish(ob, &cl, FERRY_ERR_TIMEOUT, "slow",
	    1010, &cause), 0);
	mail_claim_clear(&cl);
	ASSERT_INT_EQ(mail_outbox_next(ob, &when, &cause), 0);
	ASSERT_INT_EQ(when, 1030);

	/* A crash while sending: reopened, it is due again at once. */
	ASSERT_INT_EQ(mail_outbox_claim(ob, 1030, &cl, &cause), 0);
	mail_claim_clear(&cl);
	mail_outbox_close(ob);
	ASSERT_INT_EQ(mail_outbox_open(path, 1040, &ob, &cause), 0);
	mail_outbox_set_policy(ob, &pol);
	ASSERT_INT_EQ(mail_outbox_next(ob, &when, &cause), 0);
	ASSERT_INT_EQ(when, 1040);
	ASSERT_INT_EQ(mail_outbox_claim(ob, 1040, &cl, &cause), 0);
	ASSERT_INT_EQ(cl.attempts, 4);
	/* The fourth attempt was the last one: failed for good. */
	ASSERT_INT_EQ(mail_outbox_finish(ob, &cl, FERRY_ERR_UNREACHABLE, "x",
	    1040, &cause), 0);
	mail_claim_clear(&cl);
	ASSERT_INT_EQ(mail_outbox_next(ob, &when, &cause), FERRY_ERR_NOTFOUND);

	/* A 5xx is final at once; a success is sent, and stays sent. */
	n.key = "failed:10";
	ASSERT_INT_EQ(mail_outbox_add(ob, t, "f@s.example", &n, 2000, &cause),
	    0);
	ASSERT_INT_EQ(mail_outbox_claim(ob, 2000, &cl, &cause), 0);
	ASSERT_INT_EQ(mail_outbox_finish(ob, &cl, FERRY_ERR_DENIED, "550",
	    2000, &cause), 0);
	mail_claim_clear(&cl);
	n.key = "failed:11";
	ASSERT_INT_EQ(mail_outbox_add(ob, t, "f@s.example", &n, 2000, &cause),
	    0);
	ASSERT_INT_EQ(mail_outbox_claim(ob, 2000, &cl, &cause), 0);
	ASSERT_INT_EQ(mail_outbox_finish(ob, &cl, 0, NULL, 2000, &cause), 0);
	mail_claim_clear(&cl);
	ASSERT_INT_EQ(mail_outbox_claim(ob, 9999, &cl, &cause),
	    FERRY_ERR_NOTFOUND);

	/*
	 * per_rcpt_hour: a@b.example had 3 "failed:" messages queued (at
	 * 1000, 2000 and 2000), whatever became of them; a fourth within
	 * the hour is refused, another address is not, nor another kind for
	 * the same address (a flood of one kind does not hold back
	 * another), and the hour moves on.
	 */
	pol.per_rcpt_hour = 3;
	mail_outbox_set_policy(ob, &pol);
	cause = NULL;	/* freed above */
	n.key = "failed:12";
	ASSERT_INT_EQ(mail_outbox_add(ob, t, "f@s.example", &n, 2100, &cause),
	    FERRY_ERR_TOOBIG);
	ASSERT_STR_CONTAINS(cause, "a@b.example had 3 messages in the last "
	    "hour");
	free(cause);
	cause = NULL;
	n.key = "failed:12.2";
	ASSERT_INT_EQ(mail_outbox_add(ob, t, "f@s.example", &n, 2100, &cause),
	    FERRY_ERR_TOOBIG);
	free(cause);
	cause = NULL;
	n.key = "publish:12";
	ASSERT_INT_EQ(mail_outbox_add(ob, t, "f@s.example", &n, 2100, &cause),
	    0);
	n.key = "failed:12";
	n.to = "c@d.example";
	ASSERT_INT_EQ(mail_outbox_add(ob, t, "f@s.example", &n, 2100, &cause),
	    0);
	n.to = "a@b.example";
	n.key = "failed:13";
	ASSERT_INT_EQ(mail_outbox_add(ob, t, "f@s.example", &n, 4601, &cause),
	    0);
	mail_outbox_close(ob);
	mail_templates_free(t);
	unlink(path);
	snprintf(path, sizeof path, "%s/outbox.db-wal", tmpdir);
	unlink(path);
	snprintf(path, sizeof path, "%s/outbox.db-shm", tmpdir);
	unlink(path);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL)
		TEST_SKIP("no temporary directory");
	test_builtin();
	test_override();
	test_errors();
	test_subject_line();
	test_outbox();
	rmdir(tmpdir);
	return (TEST_DONE());
}
