/* The WebSocket opening handshake: key, request, and the server's answer. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "buf.h"
#include "err.h"
#include "ws-handshake-int.h"

/* Appended to the key before hashing (RFC 6455 section 1.3). */
#define WS_GUID	"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

int
ws_handshake_key(char key[WS_KEY_SIZE], char **cause)
{
	unsigned char	raw[16];

	if (RAND_bytes(raw, sizeof raw) != 1)
		return (err_set(cause, FERRY_ERR_CRYPTO,
		    "cannot draw a random WebSocket key"));
	EVP_EncodeBlock((unsigned char *)key, raw, sizeof raw);
	return (0);
}

int
ws_handshake_accept(const char *key, char accept[WS_ACCEPT_SIZE],
    char **cause)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	struct buf	 in;
	int		 r;

	buf_init(&in, 1024);
	if ((r = buf_addstr(&in, key)) != 0 ||
	    (r = buf_addstr(&in, WS_GUID)) != 0) {
		buf_free(&in);
		return (err_set(cause, r, "WebSocket key too long"));
	}
	r = EVP_Digest(in.data, in.len, md, &mdlen, EVP_sha1(), NULL);
	buf_free(&in);
	if (r != 1 || mdlen != 20)
		return (err_set(cause, FERRY_ERR_CRYPTO,
		    "cannot hash the WebSocket key with SHA-1"));
	EVP_EncodeBlock((unsigned char *)accept, md, mdlen);
	return (0);
}

/* Whether s can go into a request line or header without breaking it. */
static int
ws_header_safe(const char *s)
{
	return (s != NULL && strpbrk(s, "\r\n") == NULL);
}

int
ws_handshake_request(struct buf *out, const char *host, const char *target,
    const char *key, const char *const *headers, char **cause)
{
	size_t	i;
	int	r = 0;

	if (!ws_header_safe(host) || !ws_header_safe(key) ||
	    !ws_header_safe(target) || target[0] != '/' ||
	    strchr(target, ' ') != NULL)
		return (err_set(cause, FERRY_ERR_INVAL,
		    "bad host, path or key for a WebSocket upgrade request"));
	for (i = 0; headers != NULL && headers[i] != NULL; i++) {
		if (!ws_header_safe(headers[i]) ||
		    strchr(headers[i], ':') == NULL)
			return (err_set(cause, FERRY_ERR_INVAL, "extra header "
			    "%zu of a WebSocket upgrade is not one "
			    "\"Name: value\" line", i + 1));
	}
	r = buf_printf(out, "GET %s HTTP/1.1\r\nHost: %s\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
	    "User-Agent: ferry/%s\r\n", target, host, key, PACKAGE_VERSION);
	for (i = 0; r == 0 && headers != NULL && headers[i] != NULL; i++)
		r = buf_printf(out, "%s\r\n", headers[i]);
	if (r == 0)
		r = buf_addstr(out, "\r\n");
	if (r != 0)
		return (err_set(cause, r, "cannot build the upgrade request"));
	return (0);
}

size_t
ws_handshake_head_len(const char *p, size_t n)
{
	const char	*end;

	if ((end = memmem(p, n, "\r\n\r\n", 4)) == NULL)
		return (0);
	return ((size_t)(end - p) + 4);
}

/* Copies p[0..n) into out for a message: printable ASCII, at most 80. */
static const char *
ws_printable(char *out, size_t size, const char *p, size_t n)
{
	size_t	i;

	if (n > size - 1)
		n = size - 1;
	for (i = 0; i < n; i++)
		out[i] = isprint((unsigned char)p[i]) ? p[i] : '?';
	out[n] = '\0';
	return (out);
}

/* Whether the comma-separated list v[0..n) holds token, ignoring case. */
static int
ws_has_token(const char *v, size_t n, const char *token)
{
	size_t	i = 0, start, end, tlen = strlen(token);

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		start = i;
		while (i < n && v[i] != ',')
			i++;
		end = i;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (end - start == tlen && strncasecmp(v + start, token,
		    tlen) == 0)
			return (1);
	}
	return (0);
}

struct ws_answer {
	int	upgrade;	/* "Upgrade: websocket" seen */
	int	connection;	/* "Connection: ... upgrade ..." seen */
	int	accept;		/* the right Sec-WebSocket-Accept seen */
};

/* Checks one "Name: value" line of the answer. */
static int
ws_check_header(const char *line, size_t n, const char *want,
    struct ws_answer *a, char **cause)
{
	const char	*colon, *v;
	size_t		 nlen, vlen;
	char		 shown[81];

	if ((colon = memchr(line, ':', n)) == NULL)
		return (err_set(cause, FERRY_ERR_PROTO, "malformed header "
		    "\"%s\" in the WebSocket upgrade answer",
		    ws_printable(shown, sizeof shown, line, n)));
	nlen = (size_t)(colon - line);
	v = colon + 1;
	vlen = n - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
#define WS_NAME_IS(s) (nlen == strlen(s) && strncasecmp(line, s, nlen) == 0)
	if (WS_NAME_IS("Upgrade"))
		a->upgrade = ws_has_token(v, vlen, "websocket");
	else if (WS_NAME_IS("Connection"))
		a->connection = ws_has_token(v, vlen, "upgrade");
	else if (WS_NAME_IS("Sec-WebSocket-Accept"))
		a->accept = vlen == strlen(want) && memcmp(v, want, vlen) == 0;
	else if (WS_NAME_IS("Sec-WebSocket-Extensions") ||
	    WS_NAME_IS("Sec-WebSocket-Protocol"))
		return (err_set(cause, FERRY_ERR_PROTO, "the server chose "
		    "WebSocket %.*s \"%s\", but none was offered", (int)nlen,
		    line, ws_printable(shown, sizeof shown, v, vlen)));
#undef WS_NAME_IS
	return (0);
}

/* Checks "HTTP/1.1 101 Switching Protocols". */
static int
ws_check_status(const char *line, size_t n, char **cause)
{
	char	shown[81];
	int	status;

	if (n < 12 || strncmp(line, "HTTP/1.", 7) != 0 || line[8] != ' ' ||
	    !isdigit((unsigned char)line[9]) ||
	    !isdigit((unsigned char)line[10]) ||
	    !isdigit((unsigned char)line[11]))
		return (err_set(cause, FERRY_ERR_PROTO, "the answer to the "
		    "WebSocket upgrade is not HTTP: \"%s\"",
		    ws_printable(shown, sizeof shown, line, n)));
	status = (line[9] - '0') * 100 + (line[10] - '0') * 10 +
	    (line[11] - '0');
	if (status == 101)
		return (0);
	return (err_set(cause, status == 401 || status == 403 ?
	    FERRY_ERR_AUTH : FERRY_ERR_PROTO, "the server refused the "
	    "WebSocket upgrade: \"%s\"",
	    ws_printable(shown, sizeof shown, line, n)));
}

int
ws_handshake_check(const char *head, size_t len, const char *key,
    char **cause)
{
	struct ws_answer	 a;
	char			 want[WS_ACCEPT_SIZE];
	const char		*line = head, *eol, *end = head + len;
	size_t			 n;
	int			 r, first = 1;

	memset(&a, 0, sizeof a);
	if ((r = ws_handshake_accept(key, want, cause)) != 0)
		return (r);
	while (line < end &&
	    (eol = memmem(line, (size_t)(end - line), "\r\n", 2)) != NULL &&
	    eol != line) {
		n = (size_t)(eol - line);
		r = first ? ws_check_status(line, n, cause) :
		    ws_check_header(line, n, want, &a, cause);
		if (r != 0)
			return (r);
		first = 0;
		line = eol + 2;
	}
	if (first)
		return (err_set(cause, FERRY_ERR_PROTO,
		    "empty answer to the WebSocket upgrade"));
	if (!a.upgrade || !a.connection)
		return (err_set(cause, FERRY_ERR_PROTO, "the server answered "
		    "101 without \"Upgrade: websocket\" and \"Connection: "
		    "Upgrade\""));
	if (!a.accept)
		return (err_set(cause, FERRY_ERR_PROTO, "the server's "
		    "Sec-WebSocket-Accept is missing or does not match the key "
		    "sent"));
	return (0);
}
