/* Internal to the WebSocket client: the connection and its raw I/O. */
#ifndef FERRY_WS_CONN_INT_H
#define FERRY_WS_CONN_INT_H

#include <stdint.h>

#include <curl/curl.h>

#include "buf.h"
#include "ws-frame-int.h"

/* Time allowed for a pong or a close owed to the server. */
#define WS_CONTROL_SEND_MS	5000

struct ws_conn {
	CURL		*curl;
	curl_socket_t	 fd;
	struct ws_parser parser;
	struct buf	 out;		/* the frame being sent */
	int64_t		 last_rx;
	int		 sent_close;
	int		 dead;		/* no more I/O on this connection */
	char		 errbuf[CURL_ERROR_SIZE];
};

/* Sends all of data before deadline (clock_ms), or fails. */
int	 ws_write_all(struct ws_conn *c, const void *data, size_t len,
	     int64_t deadline, char **cause);
/*
 * Reads what has arrived, waiting until deadline for something: 1 with
 * *got > 0, 0 on timeout, FERRY_ERR_CLOSED at the end of the stream.
 */
int	 ws_read_some(struct ws_conn *c, void *data, size_t size, size_t *got,
	     int64_t deadline, char **cause);

#endif
