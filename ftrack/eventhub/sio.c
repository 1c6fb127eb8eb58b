/* socket.io 0.9 packets: parse and format, no I/O. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "sio-int.h"

#define SIO_ID_DIGITS	9

const char *
sio_type_name(int type)
{
	static const char *const names[] = {
		"disconnect", "connect", "heartbeat", "message", "json",
		"event", "ack", "error", "noop"
	};

	if (type < SIO_DISCONNECT || type > SIO_NOOP)
		return ("unknown");
	return (names[type]);
}

/* Parses the id field s[0..n): digits, maybe followed by "+". */
static int
sio_parse_id(const char *s, size_t n, struct sio_packet *p, char **cause)
{
	size_t	i, digits = n;

	if (n == 0)
		return (0);
	if (s[n - 1] == '+') {
		p->ack_data = 1;
		digits--;
	}
	if (digits == 0 || digits > SIO_ID_DIGITS)
		goto bad;
	for (i = 0; i < digits; i++) {
		if (!isdigit((unsigned char)s[i]))
			goto bad;
		p->id = p->id * 10 + (unsigned long)(s[i] - '0');
	}
	p->has_id = 1;
	return (0);
bad:
	return (err_set(cause, FERRY_ERR_PARSE, "socket.io message id field "
	    "of %zu bytes is not a number of at most %d digits", n,
	    SIO_ID_DIGITS));
}

int
sio_packet_parse(const char *s, size_t n, struct sio_packet *p, char **cause)
{
	const char	*id, *colon, *end = s + n;
	int		 r;

	memset(p, 0, sizeof *p);
	p->data = "";
	p->endpoint = "";
	if (n == 0 || s[0] < '0' || s[0] > '8')
		return (err_set(cause, FERRY_ERR_PARSE, "socket.io packet "
		    "type is not a digit 0-8 (packet of %zu bytes)", n));
	p->type = (enum sio_type)(s[0] - '0');
	if (n < 2 || s[1] != ':')
		return (err_set(cause, FERRY_ERR_PARSE, "socket.io %s packet "
		    "has no ':' after its type", sio_type_name(p->type)));
	id = s + 2;
	if ((colon = memchr(id, ':', (size_t)(end - id))) == NULL)
		return (err_set(cause, FERRY_ERR_PARSE, "socket.io %s packet "
		    "has no ':' after its id field", sio_type_name(p->type)));
	if ((r = sio_parse_id(id, (size_t)(colon - id), p, cause)) != 0)
		return (r);
	p->endpoint = colon + 1;
	if ((colon = memchr(p->endpoint, ':', (size_t)(end - p->endpoint))) ==
	    NULL) {
		p->endpoint_len = (size_t)(end - p->endpoint);
		return (0);
	}
	p->endpoint_len = (size_t)(colon - p->endpoint);
	p->has_data = 1;
	p->data = colon + 1;
	p->data_len = (size_t)(end - p->data);
	return (0);
}

int
sio_packet_format(struct buf *out, const struct sio_packet *p, char **cause)
{
	size_t	start = out->len;
	int	r;

	if (p->type < SIO_DISCONNECT || p->type > SIO_NOOP)
		return (err_set(cause, FERRY_ERR_INVAL,
		    "cannot format socket.io packet type %d", (int)p->type));
	if (p->has_id && p->id > SIO_ID_MAX)
		return (err_set(cause, FERRY_ERR_INVAL,
		    "socket.io message id %lu is too large", p->id));
	if (memchr(p->endpoint, ':', p->endpoint_len) != NULL)
		return (err_set(cause, FERRY_ERR_INVAL,
		    "socket.io endpoint may not hold ':'"));
	r = buf_printf(out, "%d:", (int)p->type);
	if (r == 0 && p->has_id)
		r = buf_printf(out, "%lu%s", p->id, p->ack_data ? "+" : "");
	if (r == 0)
		r = buf_addch(out, ':');
	if (r == 0)
		r = buf_add(out, p->endpoint, p->endpoint_len);
	if (r == 0 && p->has_data && (r = buf_addch(out, ':')) == 0)
		r = buf_add(out, p->data, p->data_len);
	if (r != 0) {
		out->len = start;
		return (err_set(cause, r, "cannot format a socket.io packet"));
	}
	return (0);
}

int
sio_event_decode(const char *data, size_t n, json_t **event, char **cause)
{
	json_error_t	 jerr;
	json_t		*obj, *args;
	int		 r;

	if ((obj = json_loadb(data, n, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		return (err_set(cause, FERRY_ERR_PARSE, "socket.io event is "
		    "not JSON: %s at byte %d", jerr.text, jerr.position));
	if (!json_is_object(obj)) {
		r = err_set(cause, FERRY_ERR_PARSE,
		    "socket.io event is not a JSON object");
		goto fail;
	}
	if (!json_is_string(json_object_get(obj, "name"))) {
		r = err_set(cause, FERRY_ERR_PARSE,
		    "socket.io event has no string \"name\"");
		goto fail;
	}
	if ((args = json_object_get(obj, "args")) == NULL) {
		if (json_object_set_new(obj, "args", json_array()) != 0) {
			r = err_set(cause, FERRY_ERR_NOMEM, "json_array");
			goto fail;
		}
	} else if (!json_is_array(args)) {
		r = err_set(cause, FERRY_ERR_PARSE,
		    "socket.io event \"args\" is not an array");
		goto fail;
	}
	*event = obj;
	return (0);
fail:
	json_decref(obj);
	return (r);
}

int
sio_event_format(struct buf *out, const char *name, const json_t *args,
    char **cause)
{
	json_t	*jname;
	char	*sname = NULL, *sargs = NULL;
	int	 r;

	if (!json_is_array(args))
		return (err_set(cause, FERRY_ERR_INVAL,
		    "socket.io event args must be an array"));
	if ((jname = json_string(name)) != NULL)
		sname = json_dumps(jname, JSON_ENCODE_ANY);
	json_decref(jname);
	sargs = json_dumps(args, JSON_COMPACT);
	if (sname == NULL || sargs == NULL)
		r = err_set(cause, FERRY_ERR_INVAL, "cannot encode a socket.io "
		    "event (a name that is not UTF-8, or out of memory)");
	else if ((r = buf_printf(out, "5:::{\"name\":%s,\"args\":%s}", sname,
	    sargs)) != 0)
		r = err_set(cause, r, "cannot format a socket.io event");
	free(sname);
	free(sargs);
	return (r);
}

void
sio_error_describe(const struct sio_packet *p, char *out, size_t size)
{
	static const char *const reasons[] = {
		"transport not supported", "client not handshaken",
		"unauthorized"
	};
	const char	*plus;
	size_t		 i, n;

	plus = memchr(p->data, '+', p->data_len);
	if (p->data_len >= 1 && p->data[0] >= '0' && p->data[0] <= '2' &&
	    (p->data_len == 1 || (plus == p->data + 1 &&
	    p->data_len == 3 && p->data[2] == '0'))) {
		snprintf(out, size, "%s%s", reasons[p->data[0] - '0'],
		    plus != NULL ? " (advice: reconnect)" : "");
		return;
	}
	n = p->data_len < size - 1 ? p->data_len : size - 1;
	for (i = 0; i < n; i++)
		out[i] = isprint((unsigned char)p->data[i]) ? p->data[i] : '?';
	out[n] = '\0';
}
