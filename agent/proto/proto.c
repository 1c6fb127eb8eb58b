#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "frame.h"
#include "proto.h"
#include "tls.h"

int
proto_send(struct tls_conn *c, const json_t *msg, char **cause)
{
	uint8_t	*out;
	char	*text;
	size_t	 n;
	int	 r;

	if ((text = json_dumps(msg, JSON_COMPACT)) == NULL)
		return (FERRY_ERR_NOMEM);
	n = strlen(text);
	/* One write, so that header and body leave in one record. */
	if ((out = malloc(FRAME_HEADER_LEN + n)) == NULL) {
		free(text);
		return (FERRY_ERR_NOMEM);
	}
	memcpy(out + FRAME_HEADER_LEN, text, n);
	if ((r = frame_header_encode(out, FRAME_CONTROL, 0, n, cause)) == 0)
		r = tls_write(c, out, FRAME_HEADER_LEN + n, cause);
	free(out);
	free(text);
	return (r);
}

int
proto_recv(struct tls_conn *c, json_t **msg, char **cause)
{
	return (proto_recv_max(c, SIZE_MAX, msg, cause));
}

int
proto_recv_max(struct tls_conn *c, size_t max, json_t **msg, char **cause)
{
	uint8_t			 hdr[FRAME_HEADER_LEN];
	struct frame_header	 h;
	json_error_t		 jerr;
	char			*payload;
	int			 r;

	*msg = NULL;
	if ((r = tls_read(c, hdr, sizeof hdr, cause)) != 0 ||
	    (r = frame_header_parse(hdr, &h, cause)) != 0)
		return (r);
	if (h.type != FRAME_CONTROL && h.type != FRAME_ERROR)
		return (err_set(cause, FERRY_ERR_PROTO, "expected a CONTROL "
		    "frame, got %s", frame_type_name(h.type)));
	if (h.len > max)
		return (err_set(cause, FERRY_ERR_TOOBIG, "a %s frame of %u "
		    "bytes (at most %zu here)", frame_type_name(h.type),
		    (unsigned)h.len, max));
	if ((payload = malloc((size_t)h.len + 1)) == NULL)
		return (FERRY_ERR_NOMEM);
	if ((r = tls_read(c, payload, h.len, cause)) != 0) {
		free(payload);
		return (r);
	}
	payload[h.len] = '\0';
	if (h.type == FRAME_ERROR) {
		r = err_set(cause, FERRY_ERR_PROTO, "%s", payload);
		free(payload);
		return (r);
	}
	memset(&jerr, 0, sizeof jerr);
	*msg = json_loadb(payload, h.len, JSON_REJECT_DUPLICATES, &jerr);
	free(payload);
	if (*msg == NULL || !json_is_object(*msg)) {
		json_decref(*msg);
		*msg = NULL;
		return (err_set(cause, FERRY_ERR_PROTO, "bad control message: "
		    "%s", jerr.text[0] ? jerr.text : "not an object"));
	}
	return (0);
}
