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
/* The hub's invites: number 7 is the one the agent was given. */
static const char	 invite_code[] = "k3qf-9x2m-7ptw-4hcz-e8rv-1nby-6dga-5jsk";
static struct enroll_candidate cand[2];
static const char	*refusal;	/* what the hub says of 7, or NULL */

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
	json_t		*msg = NULL, *info;
	size_t		 which;
	int		 fd;

	fd = accept(h->lfd, NULL, NULL);
	if ((h->result = tls_accept(fd, id_hub, NULL, TIMEOUT_MS, &c,
	    &h->cause)) != 0 ||
	    (h->result = proto_recv(c, &msg, &h->cause)) != 0)
		goto out;
	memcpy(h->seen, tls_peer_fp(c), IDENTITY_FP_LEN);
	h->result = enroll_hub_check(c, msg, cand, 2, &which, &h->name,
	    &h->cause);
	if (h->result == 0 && cand[which].id == 7 && refusal != NULL)
		h->result = err_set(&h->cause, FERRY_ERR_AUTH, "%s", refusal);
	if (h->result != 0)
		enroll_hub_refuse(c, h->cause);
	else {
		info = json_pack("{s:s}", "site", "la");
		h->result = enroll_hub_accept(c, cand[which].key, info,
		    &h->cause);
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
	char		*cause = NULL;

	ASSERT_INT_EQ(enroll_once("k3qf-9x2m-7ptw-4hcz-e8rv-1nby-6dga-5jsm",
	    &h, &reply, &cause), FERRY_ERR_AUTH);
	ASSERT_STR_CONTAINS(h.cause, "wrong or unknown enrolment code");
	ASSERT_STR_CONTAINS(cause, "the hub refused the code: wrong or "
	    "unknown");
	ASSERT_TRUE(reply == NULL);
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
	free(h.name);
	ASSERT_INT_EQ(enroll_once(invite_code, &h, &reply, &cause),
	    FERRY_ERR_AUTH);
	ASSERT_STR_CONTAINS(cause, "already used");
	refusal = NULL;
	free(h.cause);
	free(h.name);
	free(cause);
}

static void
test_parse(void)
{
	uint8_t	key[ENROLL_KEY_LEN], key2[ENROLL_KEY_LEN];
	char	*cause = NULL;

	/* Case, dashes and spaces are what people type: still the key. */
	ASSERT_INT_EQ(enroll_code_key("k3qf9x2m7ptw4hcze8rv1nby6dga5jsk", key,
	    NULL), 0);
	ASSERT_INT_EQ(enroll_code_key("K3QF 9X2M-7PTW 4HCZ-E8RV-1NBY-6DGA-5JSK",
	    key2, &cause), 0);
	ASSERT_TRUE(memcmp(key, key2, sizeof key) == 0);
	ASSERT_INT_EQ(enroll_code_key("abc", key2, &cause), FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "too short");
	ASSERT_INT_EQ(enroll_code_key("k3qf/9x2m", key2, &cause),
	    FERRY_ERR_PARSE);
	ASSERT_STR_CONTAINS(cause, "unexpected '/'");
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
	ASSERT_STR_CONTAINS(h.cause, "wrong or unknown enrolment code");
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

	cand[0].id = 6;
	cand[1].id = 7;
	signal(SIGPIPE, SIG_IGN);
	if (identity_generate("hub", &id_hub, &cause) != 0 ||
	    identity_generate("agent", &id_agent, &cause) != 0 ||
	    identity_generate("mitm", &id_mitm, &cause) != 0 ||
	    enroll_code_key("zzzz-zzzz-zzzz-zzzz", cand[0].key, &cause) != 0 ||
	    enroll_code_key(invite_code, cand[1].key, &cause) != 0) {
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
