/*
 * Building a message (RFC 5322 headers, RFC 2047 encoded words, RFC 2045
 * quoted-printable). Lines end in CRLF; dot-stuffing is libcurl's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "buf.h"
#include "err.h"
#include "hex.h"
#include "mail-int.h"

/* Raw bytes per encoded word: 45 make 60 base64 characters, 72 in all. */
#define MAIL_WORD_BYTES	45
/* Quoted-printable lines stay within 76 characters, "=" included. */
#define MAIL_QP_LINE	76

static int
mail_is_ascii(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80)
			return (0);
	}
	return (1);
}

/* Whether s holds a control character (a header line cannot). */
static int
mail_has_ctl(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return (1);
	}
	return (0);
}

/* An address as SMTP takes it: local@domain, no space, no brackets. */
static int
mail_addr_check(const char *addr, const char *spec, char **cause)
{
	const char	*at = strrchr(addr, '@');

	if (at == NULL || at == addr || at[1] == '\0' || mail_has_ctl(addr) ||
	    strpbrk(addr, " <>(),;:\"\\[]") != NULL || !mail_is_ascii(addr))
		return (err_set(cause, FERRY_ERR_INVAL, "not an e-mail "
		    "address: \"%s\"", spec));
	return (0);
}

int
mail_addr_parse(const char *spec, char **namep, char **addrp, char **cause)
{
	const char	*lt, *gt;
	char		*name = NULL, *addr;
	size_t		 n;
	int		 e;

	if ((lt = strchr(spec, '<')) == NULL)
		addr = strdup(spec);
	else {
		gt = strchr(lt, '>');
		if (gt == NULL || gt[1] != '\0')
			return (err_set(cause, FERRY_ERR_INVAL, "not an e-mail "
			    "address: \"%s\"", spec));
		addr = strndup(lt + 1, (size_t)(gt - lt - 1));
		for (n = (size_t)(lt - spec); n > 0 && spec[n - 1] == ' '; n--)
			;
		if (n > 0 && (name = strndup(spec, n)) == NULL) {
			free(addr);
			return (err_set(cause, FERRY_ERR_NOMEM, "out of "
			    "memory"));
		}
	}
	if (addr == NULL) {
		free(name);
		return (err_set(cause, FERRY_ERR_NOMEM, "out of memory"));
	}
	e = mail_addr_check(addr, spec, cause);
	if (e == 0 && name != NULL && (mail_has_ctl(name) ||
	    strpbrk(name, "\"\\<>") != NULL))
		e = err_set(cause, FERRY_ERR_INVAL, "the name in \"%s\" cannot "
		    "hold quotes, backslashes or brackets", spec);
	if (e != 0) {
		free(name);
		free(addr);
		return (e);
	}
	*namep = name;
	*addrp = addr;
	return (0);
}

size_t
mail_utf8_cut(const char *s, size_t max)
{
	size_t	n = strlen(s);

	if (n <= max)
		return (n);
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return (max);
}

/* Appends value as encoded words, folded between them. */
static int
mail_words_add(struct buf *b, const char *value)
{
	unsigned char	 out[4 * MAIL_WORD_BYTES / 3 + 4];
	size_t		 n;
	int		 e = 0;

	while (*value != '\0' && e == 0) {
		n = mail_utf8_cut(value, MAIL_WORD_BYTES);
		if (n == 0)
			n = 1;
		EVP_EncodeBlock(out, (const unsigned char *)value, (int)n);
		e = buf_printf(b, "=?UTF-8?B?%s?=", out);
		value += n;
		if (*value != '\0' && e == 0)
			e = buf_addstr(b, "\r\n ");
	}
	return (e);
}

int
mail_header_add(struct buf *b, const char *name, const char *value)
{
	int	e;

	if ((e = buf_printf(b, "%s: ", name)) != 0)
		return (e);
	/* Text that looks like an encoded word is encoded, so it stays text. */
	if (mail_is_ascii(value) && strstr(value, "=?") == NULL)
		e = buf_addstr(b, value);
	else
		e = mail_words_add(b, value);
	return (e != 0 ? e : buf_addstr(b, "\r\n"));
}

/* Appends one line (without its end) quoted-printable. */
static int
mail_qp_line(struct buf *b, const char *s, size_t len)
{
	char	tok[4];
	size_t	i, col = 0, tl;
	int	c, e = 0;

	for (i = 0; i < len && e == 0; i++) {
		c = (unsigned char)s[i];
		/* Space or tab ending a line would be lost in transport. */
		if ((c >= 33 && c <= 126 && c != '=') ||
		    ((c == ' ' || c == '\t') && i + 1 < len))
			tl = (size_t)snprintf(tok, sizeof tok, "%c", c);
		else
			tl = (size_t)snprintf(tok, sizeof tok, "=%02X", c);
		if (col + tl > MAIL_QP_LINE - 1) {
			e = buf_addstr(b, "=\r\n");
			col = 0;
		}
		if (e == 0)
			e = buf_add(b, tok, tl);
		col += tl;
	}
	return (e);
}

int
mail_qp_add(struct buf *b, const char *text)
{
	const char	*nl;
	size_t		 len;
	int		 e = 0;

	while (*text != '\0' && e == 0) {
		nl = strchr(text, '\n');
		len = nl != NULL ? (size_t)(nl - text) : strlen(text);
		if (len > 0 && text[len - 1] == '\r')
			len--;
		e = mail_qp_line(b, text, len);
		if (e == 0)
			e = buf_addstr(b, "\r\n");
		text = nl != NULL ? nl + 1 : text + strlen(text);
	}
	return (e);
}

/* Whether text can go as it is: ASCII, no control but tab, short lines. */
static int
mail_body_7bit(const char *text)
{
	size_t	col = 0;

	for (; *text != '\0'; text++) {
		if (*text == '\n') {
			col = 0;
			continue;
		}
		if ((unsigned char)*text >= 0x80 || ((unsigned char)*text <
		    0x20 && *text != '\t' && *text != '\r') || ++col > 998)
			return (0);
	}
	return (1);
}

/* Appends text with CRLF line ends. */
static int
mail_crlf_add(struct buf *b, const char *text)
{
	int	e = 0;

	for (; *text != '\0' && e == 0; text++) {
		if (*text == '\r')
			continue;
		e = *text == '\n' ? buf_addstr(b, "\r\n") : buf_addch(b, *text);
	}
	if (e == 0 && b->len > 0 && b->data[b->len - 1] != '\n')
		e = buf_addstr(b, "\r\n");
	return (e);
}

void
mail_date(int64_t t, char *out, size_t len)
{
	static const char	*days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char	*months[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm		 tm;
	time_t			 tt = (time_t)t;

	/* Named here, not by strftime(): the locale must not change them. */
	gmtime_r(&tt, &tm);
	snprintf(out, len, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int
mail_message_id(struct buf *b, const char *key, const char *to,
    const char *domain)
{
	uint8_t		 md[EVP_MAX_MD_SIZE];
	char		 hex[2 * 16 + 1];
	EVP_MD_CTX	*ctx;
	int		 ok;

	/* The key may hold anything; its hash is a valid id-left. */
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return (FERRY_ERR_NOMEM);
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, key, strlen(key) + 1) == 1 &&
	    EVP_DigestUpdate(ctx, to, strlen(to)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return (FERRY_ERR_CRYPTO);
	hex_encode(md, 16, hex);
	return (buf_printf(b, "<%s.ferry@%s>", hex, domain));
}

/* The From header: the name quoted, or encoded when it is not ASCII. */
static int
mail_from_add(struct buf *b, const char *name, const char *addr)
{
	int	e;

	if (name == NULL)
		return (buf_printf(b, "From: %s\r\n", addr));
	if (mail_is_ascii(name) && strstr(name, "=?") == NULL)
		return (buf_printf(b, "From: \"%s\" <%s>\r\n", name, addr));
	if ((e = buf_addstr(b, "From: ")) != 0 ||
	    (e = mail_words_add(b, name)) != 0)
		return (e);
	return (buf_printf(b, " <%s>\r\n", addr));
}

static int
mail_headers_add(struct buf *b, const struct mail_parts *p, const char *name,
    const char *addr)
{
	char	date[64];
	int	e;

	mail_date(p->date, date, sizeof date);
	if ((e = mail_from_add(b, name, addr)) != 0 ||
	    (e = buf_printf(b, "To: %s\r\n", p->to)) != 0 ||
	    (e = mail_header_add(b, "Subject", p->subject)) != 0 ||
	    (e = buf_printf(b, "Date: %s\r\nMessage-ID: ", date)) != 0 ||
	    (e = mail_message_id(b, p->key, p->to,
	    strrchr(addr, '@') + 1)) != 0)
		return (e);
	/* Auto-Submitted keeps vacation replies away (RFC 3834). */
	return (buf_printf(b, "\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: %s\r\n"
	    "Auto-Submitted: auto-generated\r\n\r\n",
	    mail_body_7bit(p->body) ? "7bit" : "quoted-printable"));
}

int
mail_build(const struct mail_parts *p, char **msgp, char **cause)
{
	struct buf	 b;
	char		*name = NULL, *addr = NULL, *to_name = NULL, *to = NULL;
	int		 e;

	if ((e = mail_addr_parse(p->from, &name, &addr, cause)) != 0)
		return (e);
	if ((e = mail_addr_parse(p->to, &to_name, &to, cause)) != 0)
		goto out;
	if (to_name != NULL || mail_has_ctl(p->subject)) {
		e = err_set(cause, FERRY_ERR_INVAL, "a recipient is an address "
		    "alone and a subject one line");
		goto out;
	}
	buf_init(&b, MAIL_MESSAGE_MAX);
	e = mail_headers_add(&b, p, name, addr);
	if (e == 0)
		e = mail_body_7bit(p->body) ? mail_crlf_add(&b, p->body) :
		    mail_qp_add(&b, p->body);
	if (e != 0) {
		buf_free(&b);
		e = err_set(cause, e, "message to %s: %s", p->to, err_str(e));
		goto out;
	}
	*msgp = buf_detach(&b);
out:
	free(name);
	free(addr);
	free(to_name);
	free(to);
	return (e);
}
