/*
 * Enrolment over real TLS on loopback: a good code, a wrong code, an
 * invite the hub refuses (expired or used), malformed codes, and a man in
 * the middle who relays messages between two TLS sessions: neither end
 * accepts him, though he relays every byte faithfully.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "enroll.h"
#include "err.h"
#include "identity.h"
#include "proto.h"
#include "test.h"
#include "tls.h"

#define TIMEOUT_MS	5000

static struct identity	*id_hub, *id_agent, *id_mitm;
static uint8_t		 invite_key[ENROLL_KEY_LEN];
static char		 invite_code[ENROLL_CODE_MAX];
static const char	*refusal;	/* what the lookup says, or NULL */

static int
listen_local(int *port)
{
	struct sockaddr_in	sa;
	socklen_t		len = sizeof sa;
	int			fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
	    listen(fd, 4) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) == -1)
		return (-1);
	*port = ntohs(sa.sin_port);
	return (fd);
}

static int
connect_local(int port)
{
	struct sockaddr_in	sa;
	int			fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sa, sizeof sa) == -1)
		return (-1);
	return (fd);
}

/* The hub's invite table: one invite, number 7. */
static int
lookup(void *arg, int64_t id, uint8_t *key, char **cause)
{
	(void)arg;
	if (id != 7)
		return (err_set(cause, FERRY_ERR_NOTFOUND, "no invite %jd",
		    (intmax_t)id));
	if (refusal != NULL)
		return (err_set(cause, FERRY_ERR_AUTH, "%s", refusal));
	memcpy(key, invite_key, ENROLL_KEY_LEN);
	return (0);
}

struct hub {
	int	 lfd;
	int	 result;
	char	*cause;
	char	*name;
	uint8_t	 seen[IDENTITY_FP_LEN];
};

/* One hub connection: check the enrolment, accept or refuse it. */
static void *
hub_main(void *arg)
{
	struct hub	*h = arg;
	struct tls_conn	*c = NULL;
	uint8_t		 key[ENROLL_KEY_LEN];
	json_t		*msg = NULL, *info;
	int64_t		 id;
	int		 fd;

	fd = accept(h->lfd, NULL, NULL);
	if ((h->result = tls_accept(fd, id_hub, NULL, TIMEOUT_MS, &c,
	    &h->cause)) != 0 ||
	    (h->result = proto_recv(c, &msg, &h->cause)) != 0)
		goto out;
	memcpy(h->seen, tls_peer_fp(c), IDENTITY_FP_LEN);
	h->result = enroll_hub_check(c, msg, lookup, NULL, &id, &h->name,
	    key, &h->cause);
	if (h->result != 0)
		enroll_hub_refuse(c, h->cause);
	else {
		info = json_pack("{s:s}", "site", "la");
		h->result = enroll_hub_accept(c, key, info, &h->cause);
		json_decref(info);
	}
	tls_shutdown(c, NULL);
out:
	json_decref(msg);
	tls_free(c);
	close(fd);
	return (NULL);
}

/* Runs an agent with code against a hub thread; returns the agent's result. */
static int
enroll_once(const char *code, struct hub *h, json_t **reply, char **cause)
{
	pthread_t	 t;
	struct tls_conn	*c = NULL;
	int		 port, fd, r;

	memset(h, 0, sizeof *h);
	if ((h->lfd = listen_local(&port)) == -1)
		TEST_SKIP("cannot listen on loopback");
	pthread_create(&t, NULL, hub_main, h);
	fd = connect_local(port);
	r = tls_connect(fd, id_agent, NULL, TIMEOUT_MS, &c, cause);
	if (r == 0)
		r = enroll_agent(c, code, "la-server", reply, cause);
	tls_free(c);
	close(fd);
	pthread_join(t, NULL);
	close(h->lfd);
	return (r);
}

static void
test_good(void)
{
	struct hub	 h;
	json_t		*reply = NULL;
	char		*cause = NULL;

	ASSERT_INT_EQ(enroll_once(invite_code, &h, &reply, &cause), 0);
	ASSERT_INT_EQ(h.result, 0);
	ASSERT_STR_EQ(h.name, "la-server");
	ASSERT_TRUE(memcmp(h.seen, identity_fp(id_agent), IDENTITY_FP_LEN) ==
	    0);
	ASSERT_STR_EQ(json_string_value(json_object_get(reply, "site")), "la");
	json_decref(reply);
	free(h.name);
	free(h.cause);
	free(cause);
}

static void
test_wrong_code(void)
{
	struct hub	 h;
	json_t		*reply = NULL;
	char		 code[ENROLL_CODE_MAX], *cause = NULL;

	/* The right invite number, another secret. */
	snprintf(code, sizeof code, "%s", invite_code);
	code[strlen(code) - 1] = code[strlen(code) - 1] == '0' ? '1' : '0';
	ASSERT_INT_EQ(enroll_once(code, &h, &reply, &cause), FERRY_ERR_AUTH);
	ASSERT_STR_CONTAINS(h.cause, "wrong code for invite 7");
	ASSERT_STR_CONTAINS(cause, "the hub refused the code: wrong code");
	ASSERT_TRUE(reply == NULL);
	free(h.cause);
	free(cause);
	cause = NULL;

	/* An invite number the hub never made. */
	ASSERT_INT_EQ(enroll_once("8-0011-2233-4455-6677-8899-aabb-ccdd-eeff",
	    &h, &reply, &cause), FERRY_ERR_AUTH);
	ASSERT_STR_CONTAINS(cause, "no invite 8");
	free(h.cause);
	free(cause);
}

static void
test_refused(void)
{
	struct hub	 h;
	json_t		*reply = NULL;
	char		*cause = NULL;

	refusal = "invite 7 expired at 2026-11-20 10:00 UTC";
	ASSERT_INT_EQ(enroll_once(invite_code, &h, &reply, &cause),
	    FERRY_ERR_AUTH);
	ASSERT_STR_CONTAINS(cause, "expired at 2026-11-20");
	refusal = "invite 7 was already used";
	free(cause);
	cause = NULL;
	free(h.cause);
	ASSERT_INT_EQ(enroll_once(invite_code, &h, &reply, &cause),
	    FERRY_ERR_AUTH);
	ASSERT_STR_CONTAINS(cause, "already used");
	refusal = NULL;
	free(h.cause);
	free(cause);
}

static void
test_parse(void)
{
	uint8_t	key[ENROLL_KEY_LEN], key2[ENROLL_KEY_LEN];
	char	code[ENROLL_CODE_MAX], upper[ENROLL_CODE_MAX], *cause = NULL;
	int64_t	id;
	size_t	i;

	ASSERT_INT_EQ(enroll_code_new(42, code, key, NULL), 0);
	ASSERT_TRUE(strncmp(code, "42-", 3) == 0);
	/* Upper case and stray spaces are what people type: still the key. */
	for (i = 0; code[i] != '\0'; i++)
		upper[i] = code[i] == '-' ? ' ' : (char)toupper(code[i]);
	upper[i] = '\0';
	upper[2] = '-';
	ASSERT_INT_EQ(enroll_code_parse(upper, &id, key2, &cause), 0);
	ASSERT_INT_EQ(id, 42);
	ASSERT_TRUE(memcmp(key, key2, sizeof key) == 0);
	ASSERT_INT_EQ(enroll_code_parse("hello", &id, key2, &cause),
	    FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "starts with the invite number");
	ASSERT_INT_EQ(enroll_code_parse("3-abcd", &id, key2, &cause),
	    FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "too short");
	ASSERT_INT_EQ(enroll_code_parse("3-zz00", &id, key2, &cause),
	    FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "unexpected 'z'");
	free(cause);
}

struct mitm {
	int	lfd;
	int	hub_port;
};

/*
 * The man in the middle: the agent's TLS server with his own key, and a
 * TLS client to the real hub; he passes each message on unchanged.
 */
static void *
mitm_main(void *arg)
{
	struct mitm	*m = arg;
	struct tls_conn	*a = NULL, *b = NULL;
	json_t		*msg = NULL;
	int		 fa, fb;

	fa = accept(m->lfd, NULL, NULL);
	fb = connect_local(m->hub_port);
	if (tls_accept(fa, id_mitm, NULL, TIMEOUT_MS, &a, NULL) == 0 &&
	    tls_connect(fb, id_mitm, NULL, TIMEOUT_MS, &b, NULL) == 0 &&
	    proto_recv(a, &msg, NULL) == 0 && proto_send(b, msg, NULL) == 0) {
		json_decref(msg);
		msg = NULL;
		if (proto_recv(b, &msg, NULL) == 0)
			proto_send(a, msg, NULL);
	}
	json_decref(msg);
	tls_free(a);
	tls_free(b);
	close(fa);
	close(fb);
	return (NULL);
}

static void
test_mitm(void)
{
	struct hub	 h;
	struct mitm	 m;
	pthread_t	 th, tm;
	struct tls_conn	*c = NULL;
	json_t		*reply = NULL;
	char		*cause = NULL;
	int		 port, fd, r;

	memset(&h, 0, sizeof h);
	h.lfd = listen_local(&m.hub_port);
	m.lfd = listen_local(&port);
	pthread_create(&th, NULL, hub_main, &h);
	pthread_create(&tm, NULL, mitm_main, &m);
	fd = connect_local(port);
	r = tls_connect(fd, id_agent, NULL, TIMEOUT_MS, &c, &cause);
	if (r == 0)
		r = enroll_agent(c, invite_code, "la-server", &reply, &cause);
	ASSERT_INT_EQ(r, FERRY_ERR_AUTH);
	ASSERT_TRUE(reply == NULL);
	/* The hub saw the relay's key and a proof that does not fit it. */
	ASSERT_INT_EQ(h.result, FERRY_ERR_AUTH);
	ASSERT_STR_CONTAINS(h.cause, "wrong code for invite 7");
	fprintf(stderr, "mitm: agent: %s\n  hub: %s\n", cause, h.cause);
	tls_free(c);
	close(fd);
	pthread_join(tm, NULL);
	pthread_join(th, NULL);
	close(h.lfd);
	close(m.lfd);
	free(h.cause);
	free(cause);
}

int
main(void)
{
	char	*cause = NULL;

	signal(SIGPIPE, SIG_IGN);
	if (identity_generate("hub", &id_hub, &cause) != 0 ||
	    identity_generate("agent", &id_agent, &cause) != 0 ||
	    identity_generate("mitm", &id_mitm, &cause) != 0 ||
	    enroll_code_new(7, invite_code, invite_key, &cause) != 0) {
		TEST_FAIL("set-up: %s", cause);
		return (TEST_DONE());
	}
	test_parse();
	test_good();
	test_wrong_code();
	test_refused();
	test_mitm();
	identity_free(id_hub);
	identity_free(id_agent);
	identity_free(id_mitm);
	return (TEST_DONE());
}
