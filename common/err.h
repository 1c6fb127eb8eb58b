/*
 * One table of error codes for every library in ferry (the OpenSSH ssherr
 * idea). Library functions return 0 or one of these negative codes; a
 * human-readable detail, when there is one, travels separately in a
 * "cause" string.
 */
#ifndef FERRY_ERR_H
#define FERRY_ERR_H

#define FERRY_ERR_TABLE(X) \
	X(FERRY_OK,            0,  "success") \
	X(FERRY_ERR_INTERNAL, -1,  "internal error") \
	X(FERRY_ERR_NOMEM,    -2,  "out of memory") \
	X(FERRY_ERR_INVAL,    -3,  "invalid argument") \
	X(FERRY_ERR_IO,       -4,  "input/output error") \
	X(FERRY_ERR_PARSE,    -5,  "malformed input") \
	X(FERRY_ERR_NOTFOUND, -6,  "not found") \
	X(FERRY_ERR_TRAVERSAL, -7, "path climbs out of its share") \
	X(FERRY_ERR_BADNAME,  -8,  "name not allowed") \
	X(FERRY_ERR_NOSHARE,  -9,  "path is under no share") \
	X(FERRY_ERR_TOOBIG,   -10, "limit exceeded") \
	X(FERRY_ERR_EXIST,    -11, "already exists") \
	X(FERRY_ERR_CRYPTO,   -12, "cryptographic library error") \
	X(FERRY_ERR_TLS,      -13, "TLS handshake or session failed") \
	X(FERRY_ERR_AUTH,     -14, "peer not authenticated") \
	X(FERRY_ERR_TIMEOUT,  -15, "timed out") \
	X(FERRY_ERR_CLOSED,   -16, "connection closed by peer") \
	X(FERRY_ERR_PROTO,    -17, "protocol violation") \
	X(FERRY_ERR_EXPIRED,  -18, "expired") \
	X(FERRY_ERR_USED,     -19, "already used") \
	X(FERRY_ERR_STATE,    -20, "not allowed in the current state") \
	X(FERRY_ERR_CANCELLED, -21, "cancelled") \
	X(FERRY_ERR_UNREACHABLE, -22, "peer cannot be reached") \
	X(FERRY_ERR_DENIED,   -23, "not allowed")

enum ferry_err {
#define FERRY_ERR_ENUM(name, value, text) name = value,
	FERRY_ERR_TABLE(FERRY_ERR_ENUM)
#undef FERRY_ERR_ENUM
};

/* Returns a static description of code; never NULL, even for unknown codes. */
const char	*err_str(int code);

/*
 * Stores a newly allocated printf-formatted message in *cause (if cause is
 * not NULL) and returns code, so that callers can write
 * "return err_set(cause, FERRY_ERR_PARSE, "...", ...);".
 * If the message cannot be allocated, *cause is left NULL.
 */
int		 err_set(char **cause, int code, const char *fmt, ...)
		     __attribute__((format(FERRY_PRINTF_FORMAT, 3, 4)));

#endif
