/*
 * Questions over a control link, either way: the hub asks an agent to
 * list its files, an agent relays a person's request to the hub. Each
 * question gets an unpredictable id (128 random bits, in hex) and a row
 * in d->asks naming the one peer asked; an answer ("re") counts only if
 * it comes from that peer, for a question still open, once. The table
 * is bounded, and every row leaves it when its asker stops waiting, so
 * that late or forged answers find nothing to fill.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "clock.h"
#include "err.h"
#include "ferryd.h"
#include "hex.h"

/*
 * Seconds a page waits for the asker to take the one before. The asker
 * closes the question when it stops (ask_close wakes this at once), and
 * max-list-time bounds a listing, so this is only a last bound: with 60
 * a slow asker (a 16,384-file plan grown one file at a time under ASan)
 * had the next page dropped as "answer.repeated", and then waited for
 * it in vain.
 */
#define ASK_PAGE_WAIT	3600

/* Seconds an abandoned question waits for its late answer. */
#define ASK_ABANDON_S	120

/* The abandoned questions whose time is up go. */
static void
ask_sweep(struct ferryd *d)
{
	const char	*id;
	json_t		*row;
	void		*tmp;

	json_object_foreach_safe(d->asks, tmp, id, row) {
		if (json_is_true(json_object_get(row, "abandoned")) &&
		    clock_now() > json_integer_value(json_object_get(row,
		    "until")))
			json_object_del(d->asks, id);
	}
}

int
ask_open(struct ferryd *d, const char *to, char *id, char **cause)
{
	uint8_t	raw[ASK_ID_LEN / 2];

	if (d->asks == NULL && (d->asks = json_object()) == NULL)
		return (FERRY_ERR_NOMEM);
	ask_sweep(d);
	if (json_object_size(d->asks) >= ASK_MAX)
		return (err_set(cause, FERRY_ERR_TOOBIG, "%d questions are "
		    "waiting for answers already", ASK_MAX));
	if (RAND_bytes(raw, sizeof raw) != 1)
		return (err_set(cause, FERRY_ERR_CRYPTO, "no random bytes"));
	hex_encode(raw, sizeof raw, id);
	if (json_object_set_new(d->asks, id, json_pack("{s:s}", "to",
	    to)) != 0)
		return (FERRY_ERR_NOMEM);
	return (0);
}

/*
 * Waits (d->mu held) until question id has a reply, *reply (borrowed) or
 * NULL: the question gone, the time up or the daemon stopping (an error).
 */
static int
ask_await(struct ferryd *d, const char *id, int timeout_s, json_t **reply,
    char **cause)
{
	struct timespec	 t;
	json_t		*row;
	int64_t		 start = clock_now();

	*reply = NULL;
	while ((row = json_object_get(d->asks, id)) != NULL &&
	    (*reply = json_object_get(row, "reply")) == NULL) {
		if (json_is_true(json_object_get(row, "gone")))
			return (err_set(cause, FERRY_ERR_CLOSED, "the agent's "
			    "link closed before it answered"));
		if (clock_now() - start > timeout_s || d->stop)
			return (err_set(cause, FERRY_ERR_TIMEOUT, "no answer "
			    "within %d s", timeout_s));
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_sec += 1;
		pthread_cond_timedwait(&d->answered, &d->mu, &t);
	}
	return (0);
}

int
ask_wait(struct ferryd *d, const char *id, int timeout_s, json_t **reply,
    char **cause)
{
	int	r;

	r = ask_await(d, id, timeout_s, reply, cause);
	if (*reply != NULL)
		json_incref(*reply);
	else if (r == 0)
		r = err_set(cause, FERRY_ERR_CLOSED, "the question was lost");
	/* Later answers find nothing; a slow one's is dropped quietly. */
	if (r == FERRY_ERR_TIMEOUT)
		ask_abandon(d, id);
	else
		json_object_del(d->asks, id);
	return (r);
}

int
ask_answered(struct ferryd *d, const char *from, const json_t *msg,
    const char **why)
{
	const char	*id = json_string_value(json_object_get(msg, "re"));
	json_t		*row;
	struct timespec	 t;
	int64_t		 start;

	if (id == NULL || strlen(id) != ASK_ID_LEN ||
	    strspn(id, "0123456789abcdef") != ASK_ID_LEN) {
		*why = "answer.malformed";
		return (-1);
	}
	if ((row = json_object_get(d->asks, id)) == NULL) {
		*why = "answer.unasked";
		return (-1);
	}
	if (strcmp(json_string_value(json_object_get(row, "to")), from) != 0) {
		*why = "answer.wrong-agent";
		return (-1);
	}
	/* Its asker gave up on it (ask_abandon): late, not forged. */
	if (json_is_true(json_object_get(row, "abandoned"))) {
		json_object_del(d->asks, id);
		return (1);
	}
	/*
	 * A question answered in pages: the next page waits (and this
	 * link's thread with it, so the agent's sends wait for TCP) until
	 * the asker has taken the last one. One page in memory at a time.
	 */
	start = clock_now();
	while (json_is_true(json_object_get(row, "paged")) &&
	    json_object_get(row, "reply") != NULL &&
	    clock_now() - start <= ASK_PAGE_WAIT && !d->stop) {
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_sec += 1;
		pthread_cond_timedwait(&d->answered, &d->mu, &t);
		if ((row = json_object_get(d->asks, id)) == NULL) {
			*why = "answer.unasked";
			return (-1);
		}
	}
	if (json_object_get(row, "reply") != NULL) {
		*why = "answer.repeated";
		return (-1);
	}
	if (json_object_get(row, "last") != NULL) {
		*why = "answer.after-last";	/* a page after "more": false */
		return (-1);
	}
	json_object_set(row, "reply", (json_t *)(uintptr_t)msg);
	pthread_cond_broadcast(&d->answered);
	return (0);
}

int
ask_open_paged(struct ferryd *d, const char *to, char *id, char **cause)
{
	int	r;

	if ((r = ask_open(d, to, id, cause)) == 0)
		json_object_set_new(json_object_get(d->asks, id), "paged",
		    json_true());
	return (r);
}

int
ask_next(struct ferryd *d, const char *id, int timeout_s, json_t **reply,
    int *more, char **cause)
{
	json_t	*row;
	int	 r;

	*more = 0;
	r = ask_await(d, id, timeout_s, reply, cause);
	row = json_object_get(d->asks, id);
	if (*reply == NULL) {
		json_object_del(d->asks, id);
		return (r != 0 ? r : err_set(cause, FERRY_ERR_CLOSED, "the "
		    "question was lost"));
	}
	json_incref(*reply);
	*more = json_is_true(json_object_get(*reply, "more"));
	/* Taken: the next page may come (ask_answered waits for this). */
	json_object_del(row, "reply");
	if (!*more)
		json_object_set_new(row, "last", json_true());
	pthread_cond_broadcast(&d->answered);
	return (0);
}

void
ask_peer_gone(struct ferryd *d, const char *to)
{
	const char	*id;
	json_t		*row;

	/* Its questions cannot be answered now: nobody waits them out. */
	json_object_foreach(d->asks, id, row) {
		if (strcmp(json_string_value(json_object_get(row, "to")),
		    to) == 0)
			json_object_set_new(row, "gone", json_true());
	}
	pthread_cond_broadcast(&d->answered);
}

void
ask_abandon(struct ferryd *d, const char *id)
{
	json_t	*row = json_object_get(d->asks, id);

	if (row == NULL)
		return;
	/* An answer already in counts for nothing: the question goes. */
	if (json_object_get(row, "reply") != NULL) {
		ask_close(d, id);
		return;
	}
	json_object_set_new(row, "abandoned", json_true());
	json_object_set_new(row, "until", json_integer(clock_now() +
	    ASK_ABANDON_S));
}

void
ask_close(struct ferryd *d, const char *id)
{
	json_object_del(d->asks, id);	/* later pages find nothing */
	pthread_cond_broadcast(&d->answered);
}

json_t *
ask_why(const json_t *msg)
{
	const json_t	*re = json_object_get(msg, "re");
	static const char *const types[] = { "object", "array", "string",
	    "integer", "real", "true", "false", "null" };

	/* Only what is short enough to keep: the id, or its type. */
	if ((json_is_string(re) && strlen(json_string_value(re)) <= 64) ||
	    json_is_integer(re))
		return (json_pack("{s:O}", "re", (json_t *)(uintptr_t)re));
	return (json_pack("{s:s}", "re_type", types[json_typeof(re)]));
}
