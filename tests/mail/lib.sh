# Sourced by the mail tests, after tests/lib.sh (or tests/agent/lib.sh):
# a real SMTP server (tests/mail/smtpd.py, Debian's python3-aiosmtpd) on
# SMTP_HOST (127.0.0.1 unless set) at a free port, SMTP_PORT.
#   smtpd_start DIR [ARGS...]: starts it, writing what arrives into DIR;
#   SPID is its pid. smtpd_stop: stops it. count DIR: messages in DIR.
PY=""
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import aiosmtpd' 2>/dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
	[ "${CI:-}" = true ] && { echo "FAIL: python3-aiosmtpd missing" >&2;
	    exit 1; }
	echo "SKIP: python3-aiosmtpd is not installed" >&2
	exit 77
fi
: "${SMTP_HOST:=127.0.0.1}"
SMTP_PORT=$("$PY" -c 'import socket, sys; s = socket.socket(); \
s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$SMTP_HOST")
SPID=""

smtpd_start() {
	d=$1; shift
	mkdir -p "$d"
	# The background shell truncates the file only when it gets to it.
	rm -f "$TMP/smtpd.out"
	"$PY" "$srcdir/tests/mail/smtpd.py" --host "$SMTP_HOST" \
	    --port "$SMTP_PORT" --dir "$d" "$@" \
	    >"$TMP/smtpd.out" 2>"$TMP/smtpd.err" &
	SPID=$!
	i=0
	until grep -q ready "$TMP/smtpd.out" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$SPID" 2>/dev/null; then
			cat "$TMP/smtpd.err" >&2
			fail "smtpd did not start"
			finish
			exit 1
		fi
		sleep 0.1
	done
}

smtpd_stop() {
	kill "$SPID"
	wait "$SPID" 2>/dev/null || true
	SPID=""
}

# count DIR: how many messages arrived there.
count() {
	ls "$1" 2>/dev/null | grep -c '\.eml$' || true
}
