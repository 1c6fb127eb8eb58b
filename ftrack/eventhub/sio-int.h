/*
 * socket.io 0.9 packets, as ftrack's event hub speaks them over a
 * WebSocket: "type:id:endpoint:data", one packet a message. Pure
 * functions: parse and format, no I/O.
 *
 *	0::		disconnect	5:::{"name":..,"args":[..]}	event
 *	1::		connect		6:::1+[..]	ack
 *	2::		heartbeat	7:::2+0		error (reason+advice)
 *	3:::text	message		8::		noop
 *	4:::{..}	JSON message
 *
 * The id field may end in "+" (the sender wants an ack carrying data). The
 * data field is everything after the third colon and may hold colons.
 *
 * Library tier: 0 or a negative FERRY_ERR_* code, with a cause.
 *
 * Private to ftrack/eventhub/ (and its tests and fuzz targets).
 */
#ifndef FERRY_SIO_INT_H
#define FERRY_SIO_INT_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"

enum sio_type {
	SIO_DISCONNECT = 0,
	SIO_CONNECT = 1,
	SIO_HEARTBEAT = 2,
	SIO_MESSAGE = 3,
	SIO_JSON = 4,
	SIO_EVENT = 5,
	SIO_ACK = 6,
	SIO_ERROR = 7,
	SIO_NOOP = 8
};

/* Message ids past this are refused (they are counters, never large). */
#define SIO_ID_MAX	999999999UL

/* A parsed packet. endpoint and data point into the parsed text. */
struct sio_packet {
	enum sio_type	 type;
	int		 has_id;
	unsigned long	 id;
	int		 ack_data;	/* the id ended in "+" */
	const char	*endpoint;	/* not NUL-terminated */
	size_t		 endpoint_len;
	int		 has_data;	/* a third colon was present */
	const char	*data;		/* not NUL-terminated; "" if none */
	size_t		 data_len;
};

/* "event", "heartbeat", ...; "unknown" for anything else. */
const char	*sio_type_name(int type);

/*
 * Parses s[0..n). FERRY_ERR_PARSE, naming the field, for a type that is
 * not one digit 0-8, a missing colon, or an id that is not a number
 * (optionally followed by "+") of at most 9 digits.
 */
int	 sio_packet_parse(const char *s, size_t n, struct sio_packet *p,
	     char **cause);
/*
 * Appends p as text to out. FERRY_ERR_INVAL for an unknown type, an id
 * over SIO_ID_MAX, or an endpoint holding a colon.
 */
int	 sio_packet_format(struct buf *out, const struct sio_packet *p,
	     char **cause);

/*
 * Decodes the data of an event packet: a JSON object with a string "name"
 * and an array "args" (an absent "args" becomes []). Sets *event to a new
 * reference to that object. FERRY_ERR_PARSE otherwise.
 */
int	 sio_event_decode(const char *data, size_t n, json_t **event,
	     char **cause);
/* Appends the packet 5:::{"name":name,"args":args} (args: an array). */
int	 sio_event_format(struct buf *out, const char *name,
	     const json_t *args, char **cause);

/*
 * Describes an error packet's data ("2+0") for a message: "unauthorized
 * (advice: reconnect)", or the raw text, printable, when it is not known.
 */
void	 sio_error_describe(const struct sio_packet *p, char *out,
	     size_t size);

#endif
