/*
 * The crafted agent's toolkit: see evil.h. It calls the project's own
 * pieces (conf.c, proto.c, link.c, tls.c) so that what it sends is what a
 * real agent could send, byte for byte.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "evil.h"
#include "identity.h"
#include "link.h"
#include "proto.h"
#include "tls.h"

int
evil_load(struct evil *e, const char *state, char **cause)
{
	struct conf	c;
	int		r;

	memset(e, 0, sizeof *e);
	e->fd = -1;
	if ((r = conf_load(state, &c, cause)) != 0)
		return (r);
	if (c.hub == NULL || c.hub_fp == NULL)
		r = err_set(cause, FERRY_ERR_INVAL, "%s names no hub", state);
	if (r == 0)
		r = conf_split_addr(c.hub, CONF_CONTROL_PORT, &e->host,
		    &e->port, cause);
	if (r == 0)
		r = identity_fp_parse(c.hub_fp, e->hub_fp, cause);
	if (r == 0)
		r = identity_load_dir(state, &e->id, cause);
	if (r == 0) {
		e->state = strdup(state);
		e->name = c.name ? strdup(c.name) : NULL;
		e->source = c.source_addr ? strdup(c.source_addr) : NULL;
	}
	conf_clear(&c);
	if (r != 0)
		evil_free(e);
	return (r);
}

void
evil_free(struct evil *e)
{
	evil_close(e);
	identity_free(e->id);
	free(e->state);
	free(e->name);
	free(e->host);
	free(e->source);
	memset(e, 0, sizeof *e);
	e->fd = -1;
}

int
evil_connect(struct evil *e, int timeout_ms, char **cause)
{
	int	r;

	if ((r = link_dial(e->host, e->port, e->source, &e->fd, cause)) != 0)
		return (r);
	link_nodelay(e->fd);
	if ((r = tls_connect(e->fd, e->id, e->hub_fp, timeout_ms, &e->c,
	    cause)) != 0) {
		close(e->fd);
		e->fd = -1;
	}
	return (r);
}

int
evil_hello(struct evil *e, const char *address, json_t **welcome,
    char **cause)
{
	json_t	*msg;
	int	 r;

	msg = json_pack("{s:s, s:s, s:s?}", "op", "hello", "name",
	    e->name ? e->name : "", "address", address);
	r = evil_send(e, msg, cause);
	json_decref(msg);
	if (r == 0)
		r = proto_recv(e->c, welcome, cause);
	return (r);
}

int
evil_send(struct evil *e, const json_t *msg, char **cause)
{
	if (e->c == NULL)
		return (err_set(cause, FERRY_ERR_CLOSED, "not connected"));
	return (proto_send(e->c, msg, cause));
}

int
evil_recv(struct evil *e, int timeout_ms, json_t **msg, char **cause)
{
	struct pollfd	pfd = { e->fd, POLLIN, 0 };
	int		n;

	*msg = NULL;
	if (e->c == NULL)
		return (err_set(cause, FERRY_ERR_CLOSED, "not connected"));
	if (!tls_pending(e->c)) {
		while ((n = poll(&pfd, 1, timeout_ms)) == -1 && errno == EINTR)
			;
		if (n == 0)
			return (err_set(cause, FERRY_ERR_TIMEOUT, "nothing "
			    "within %d ms", timeout_ms));
	}
	return (proto_recv(e->c, msg, cause));
}

int
evil_wait_op(struct evil *e, const char *op, int timeout_ms, json_t **msg,
    void (*skipped)(const json_t *, void *), void *arg, char **cause)
{
	struct timespec	 t0, t;
	const char	*got;
	json_t		*m;
	int		 left, r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = timeout_ms - (int)((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return (err_set(cause, FERRY_ERR_TIMEOUT, "no %s "
			    "within %d ms", op ? op : "message", timeout_ms));
		if ((r = evil_recv(e, left, &m, cause)) != 0)
			return (r);
		got = json_string_value(json_object_get(m, "op"));
		if (op != NULL ? (got != NULL && strcmp(got, op) == 0) :
		    (json_object_get(m, "re") != NULL || (got != NULL &&
		    strcmp(got, "pong") != 0))) {
			*msg = m;
			return (0);
		}
		if (skipped != NULL)
			skipped(m, arg);
		json_decref(m);
	}
}

void
evil_close(struct evil *e)
{
	if (e->c != NULL) {
		tls_shutdown(e->c, NULL);
		tls_free(e->c);
		e->c = NULL;
	}
	if (e->fd != -1) {
		close(e->fd);
		e->fd = -1;
	}
}

int
evil_json_file(const char *path, json_t **out, char **cause)
{
	json_error_t	jerr;

	if (strcmp(path, "-") == 0)
		*out = json_loadf(stdin, 0, &jerr);
	else
		*out = json_load_file(path, 0, &jerr);
	if (*out == NULL)
		return (err_set(cause, FERRY_ERR_PARSE, "%s:%d: %s", path,
		    jerr.line, jerr.text));
	return (0);
}

json_t *
evil_fill(const json_t *template, const json_t *msg)
{
	static const char *const keys[] = { "req", "id", "token", "port" };
	json_t		*out, *v;
	const char	*k, *s;
	size_t		 i;

	if (json_is_string(template)) {
		s = json_string_value(template);
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			if (s[0] == '@' && strcmp(s + 1, keys[i]) == 0 &&
			    (v = json_object_get(msg, keys[i])) != NULL)
				return (json_deep_copy(v));
		}
		return (json_deep_copy(template));
	}
	if (json_is_array(template)) {
		out = json_array();
		json_array_foreach(template, i, v)
			json_array_append_new(out, evil_fill(v, msg));
		return (out);
	}
	if (json_is_object(template)) {
		out = json_object();
		json_object_foreach((json_t *)(uintptr_t)template, k, v)
			json_object_set_new(out, k, evil_fill(v, msg));
		return (out);
	}
	return (json_deep_copy(template));
}
