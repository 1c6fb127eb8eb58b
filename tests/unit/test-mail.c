/* The message builder and the configuration keywords of mail/. */
#include "config.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "err.h"
#include "mail-int.h"
#include "test.h"

static char	tmpdir[] = "/tmp/test-mail.XXXXXX";

/* Builds a message from these parts; NULL when the builder refused. */
static char *
build(const char *from, const char *to, const char *subject,
    const char *body, const char *key)
{
	struct mail_parts	 p = { from, to, subject, body, key,
	    1764696460 };
	char			*msg = NULL, *cause = NULL;

	if (mail_build(&p, &msg, &cause) != 0) {
		free(cause);
		return (NULL);
	}
	return (msg);
}

/* The value of header name in msg (up to its CRLF), in a static buffer. */
static const char *
header(const char *msg, const char *name)
{
	static char	 value[1024];
	char		 want[64];
	const char	*p, *end;

	snprintf(want, sizeof want, "\r\n%s: ", name);
	if (strncmp(msg, want + 2, strlen(want + 2)) == 0)
		p = msg + strlen(want + 2);
	else if ((p = strstr(msg, want)) != NULL)
		p += strlen(want);
	else
		return ("");
	end = strstr(p, "\r\n");
	snprintf(value, sizeof value, "%.*s", (int)(end - p), p);
	return (value);
}

static const char *
body_of(const char *msg)
{
	const char	*p = strstr(msg, "\r\n\r\n");

	return (p != NULL ? p + 4 : "");
}

static void
test_plain(void)
{
	char	*m, *m2, *m3;

	m = build("ferry@studio.example", "ana@vendor.example",
	    "ferry: job 42 failed", "line one\n.dot stays\nthree", "failed:42");
	ASSERT_TRUE(m != NULL);
	if (m == NULL)
		return;
	ASSERT_STR_EQ(header(m, "From"), "ferry@studio.example");
	ASSERT_STR_EQ(header(m, "To"), "ana@vendor.example");
	ASSERT_STR_EQ(header(m, "Subject"), "ferry: job 42 failed");
	ASSERT_STR_EQ(header(m, "Date"), "Tue, 02 Dec 2025 17:27:40 +0000");
	ASSERT_STR_EQ(header(m, "MIME-Version"), "1.0");
	ASSERT_STR_EQ(header(m, "Content-Type"), "text/plain; charset=utf-8");
	ASSERT_STR_EQ(header(m, "Content-Transfer-Encoding"), "7bit");
	ASSERT_STR_EQ(header(m, "Auto-Submitted"), "auto-generated");
	/* CRLF everywhere; the dot is libcurl's to stuff, not ours. */
	ASSERT_STR_EQ(body_of(m), "line one\r\n.dot stays\r\nthree\r\n");
	ASSERT_TRUE(strstr(m, "\n") == NULL || strstr(m, "\r\n") != NULL);
	ASSERT_TRUE(strncmp(header(m, "Message-ID"), "<", 1) == 0);
	ASSERT_STR_CONTAINS(header(m, "Message-ID"), ".ferry@studio.example>");
	ASSERT_INT_EQ(strlen(header(m, "Message-ID")), 1 + 32 + 21 + 1);

	/* The same notice makes the same message; another recipient not. */
	m2 = build("ferry@studio.example", "ana@vendor.example",
	    "ferry: job 42 failed", "line one\n.dot stays\nthree", "failed:42");
	m3 = build("ferry@studio.example", "bo@vendor.example",
	    "ferry: job 42 failed", "x", "failed:42");
	ASSERT_TRUE(m2 != NULL && strcmp(m, m2) == 0);
	if (m3 != NULL) {
		char id[256];

		snprintf(id, sizeof id, "%s", header(m, "Message-ID"));
		ASSERT_TRUE(strcmp(id, header(m3, "Message-ID")) != 0);
	}
	free(m);
	free(m2);
	free(m3);
}

/* Decodes the encoded words of a Subject value back to its text. */
static void
decode_words(const char *v, char *out, size_t len)
{
	unsigned char	 raw[128];
	const char	*p = v, *end;
	size_t		 o = 0;
	int		 n;

	while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
		p += 10;
		end = strstr(p, "?=");
		n = EVP_DecodeBlock(raw, (const unsigned char *)p,
		    (int)(end - p));
		while (n > 0 && end[-1] == '=' && (end--, 1))
			n--;
		if (o + (size_t)n < len) {
			memcpy(out + o, raw, (size_t)n);
			o += (size_t)n;
		}
		p = strstr(p, "?=") + 2;
	}
	out[o] = '\0';
}

static void
test_encoded_subject(void)
{
	const char	*subject = "Livraison: 12 fichiers reçus — "
	    "plan_0010_comp_v003 déposé dans storage:vendors/ana (àéîõü)";
	char		*m, out[512];
	const char	*p, *v;

	m = build("Studio Ferry <ferry@studio.example>", "ana@vendor.example",
	    subject, "Voilà, ça marche.\nA line with a trailing space \n"
	    "a = sign", "delivered:7");
	ASSERT_TRUE(m != NULL);
	if (m == NULL)
		return;
	ASSERT_STR_EQ(header(m, "From"),
	    "\"Studio Ferry\" <ferry@studio.example>");
	p = strstr(m, "\r\nSubject: ");
	ASSERT_TRUE(p != NULL);
	/* Folded into words of at most 75 characters, cut between letters. */
	v = p + 11;
	decode_words(v, out, sizeof out);
	ASSERT_STR_EQ(out, subject);
	for (p = v; *p != '\0' && strncmp(p, "\r\nDate", 6) != 0; ) {
		size_t	w = strcspn(p, " \r");

		ASSERT_TRUE(w <= 75);
		p += w;
		p += strspn(p, " \r\n");
	}
	ASSERT_STR_EQ(header(m, "Content-Transfer-Encoding"),
	    "quoted-printable");
	ASSERT_STR_EQ(body_of(m), "Voil=C3=A0, =C3=A7a marche.\r\n"
	    "A line with a trailing space=20\r\na =3D sign\r\n");
	free(m);

	/* Text that looks like an encoded word is encoded itself. */
	m = build("ferry@studio.example", "ana@vendor.example",
	    "=?UTF-8?B?aGk=?=", "x", "k");
	ASSERT_TRUE(m != NULL && strncmp(header(m, "Subject"),
	    "=?UTF-8?B?PT9VVEYtOD9CP2FHaz0/PQ==?=", 30) == 0);
	free(m);
}

static void
test_long_lines(void)
{
	char	 body[400], *m;
	const char *p;
	size_t	 w;

	memset(body, 'x', sizeof body - 1);
	body[sizeof body - 1] = '\0';
	body[10] = (char)0xc3;
	body[11] = (char)0xa9;
	m = build("ferry@studio.example", "ana@vendor.example", "s", body,
	    "k");
	ASSERT_TRUE(m != NULL);
	if (m == NULL)
		return;
	/* Soft breaks keep every line within 76 characters. */
	for (p = body_of(m); *p != '\0'; p += w + 2) {
		w = strcspn(p, "\r");
		ASSERT_TRUE(w <= 76);
		if (p[w] == '\0')
			break;
	}
	ASSERT_STR_CONTAINS(body_of(m), "xxxxxxxxxx=C3=A9xx");
	ASSERT_STR_CONTAINS(body_of(m), "=\r\nxxx");
	free(m);
}

static void
test_refused(void)
{
	/* Nothing from a variable can add a header. */
	ASSERT_TRUE(build("ferry@studio.example",
	    "ana@vendor.example\r\nBcc: all@studio.example", "s", "b",
	    "k") == NULL);
	ASSERT_TRUE(build("ferry@studio.example", "ana@vendor.example",
	    "s\r\nBcc: all@studio.example", "b", "k") == NULL);
	ASSERT_TRUE(build("ferry", "ana@vendor.example", "s", "b",
	    "k") == NULL);
	ASSERT_TRUE(build("Evil \"x\" <ferry@studio.example>",
	    "ana@vendor.example", "s", "b", "k") == NULL);
	ASSERT_TRUE(build("ferry@studio.example", "Ana <ana@vendor.example>",
	    "s", "b", "k") == NULL);
	ASSERT_TRUE(build("ferry@studio.example", "a b@vendor.example", "s",
	    "b", "k") == NULL);
}

/* Writes text to dir/name with mode; returns the path (static). */
static const char *
write_file(const char *name, const char *text, mode_t mode)
{
	static char	 path[256];
	FILE		*f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	if ((f = fopen(path, "w")) == NULL)
		return (path);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return (path);
}

static void
test_config(void)
{
	struct mail_config	 c;
	char			*cause = NULL, pwfile[256];

	memset(&c, 0, sizeof c);
	ASSERT_INT_EQ(mail_config_set(&c, "smtp-server", "mx.example",
	    &cause), 0);
	ASSERT_INT_EQ(mail_config_set(&c, "smtp-port", "2525", &cause), 0);
	ASSERT_INT_EQ(c.port, 2525);
	ASSERT_INT_EQ(mail_config_set(&c, "smtp-port", "70000", &cause),
	    FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "smtp-port");
	free(cause);
	cause = NULL;
	ASSERT_INT_EQ(mail_config_set(&c, "listen", "x", &cause),
	    FERRY_ERR_NOTFOUND);
	ASSERT_TRUE(cause == NULL);
	ASSERT_INT_EQ(c.security, MAIL_STARTTLS);
	ASSERT_INT_EQ(mail_config_set(&c, "smtp-starttls", "off", &cause), 0);
	ASSERT_INT_EQ(c.security, MAIL_PLAIN);
	ASSERT_INT_EQ(mail_config_set(&c, "smtp-starttls", "maybe", &cause),
	    FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "required, off");
	free(cause);
	cause = NULL;
	ASSERT_INT_EQ(mail_config_set(&c, "smtp-tls", "implicit", &cause), 0);
	ASSERT_INT_EQ(c.security, MAIL_SMTPS);
	ASSERT_INT_EQ(mail_config_set(&c, "smtp-timeout", "30", &cause), 0);
	ASSERT_INT_EQ(c.timeout_ms, 30000);

	/* A server with no sender, a user with no password, go no further. */
	ASSERT_INT_EQ(mail_config_check(&c, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "mail-from");
	free(cause);
	cause = NULL;
	ASSERT_INT_EQ(mail_config_set(&c, "mail-from",
	    "ferry <ferry@studio.example>", &cause), 0);
	ASSERT_INT_EQ(mail_config_set(&c, "smtp-user", "ferry", &cause), 0);
	ASSERT_INT_EQ(mail_config_check(&c, &cause), FERRY_ERR_INVAL);
	free(cause);
	cause = NULL;

	/* The password file: 0600, or a refusal that says how to mend it. */
	snprintf(pwfile, sizeof pwfile, "%s",
	    write_file("pw", "s3cret\n", 0644));
	ASSERT_INT_EQ(mail_config_set(&c, "smtp-password-file", pwfile,
	    &cause), 0);
	ASSERT_INT_EQ(mail_config_check(&c, &cause), FERRY_ERR_AUTH);
	ASSERT_STR_CONTAINS(cause, "SMTP password file");
	ASSERT_STR_CONTAINS(cause, "chmod 600");
	ASSERT_TRUE(cause != NULL && strstr(cause, "s3cret") == NULL);
	free(cause);
	cause = NULL;
	chmod(pwfile, 0600);
	ASSERT_INT_EQ(mail_config_check(&c, &cause), 0);
	write_file("pw", "\n", 0600);
	ASSERT_INT_EQ(mail_config_check(&c, &cause), FERRY_ERR_INVAL);
	ASSERT_STR_CONTAINS(cause, "empty");
	free(cause);
	mail_config_clear(&c);
	mail_config_clear(&c);
	unlink(pwfile);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL)
		TEST_SKIP("no temporary directory");
	test_plain();
	test_encoded_subject();
	test_long_lines();
	test_refused();
	test_config();
	rmdir(tmpdir);
	return (TEST_DONE());
}
