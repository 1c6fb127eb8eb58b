# Sourced by the mail tests, after tests/lib.sh (or tests/agent/lib.sh):
# a real SMTP server (tests/mail/smtpd.py, Debian's python3-aiosmtpd) on
# SMTP_HOST (127.0.0.1 unless set) at a free port, SMTP_PORT.
#   smtpd_start DIR [ARGS...]: starts it, writing what arrives into DIR;
#   SPID is its pid. smtpd_stop: stops it. count DIR: messages in DIR.
#   mails, mail_count: what came into $TMP/in for an address; api: one
#   request on a daemon's socket; mail_hub_init: a hub set to mail.
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

# is GOT EXPECTED WHAT
is() {
	checks=$((checks + 1))
	[ "$1" = "$2" ] || fail "$3: got \"$1\", expected \"$2\""
}

# mails ADDR REGEX: the messages that came into $TMP/in for ADDR and
# match REGEX, a file a line; mail_count ADDR REGEX: how many.
mails() {
	for e in "$TMP"/in/*.env; do
		[ -f "$e" ] && [ "$(sed -n 2p "$e")" = "$1" ] || continue
		grep -l -- "$2" "${e%.env}.eml" 2>/dev/null || true
	done
}
mail_count() {
	mails "$1" "$2" | wc -l
}

# api JSON [STATE]: one request on the hub's (or STATE's daemon's)
# socket; the last answer in $TMP/out.
api() {
	"$PY" - "${2:-$HUB}/ferryd.sock" "$1" >"$TMP/out" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
buf = b""
while not buf.endswith(b"\n") or b'"done"' not in buf.splitlines()[-1]:
    d = s.recv(65536)
    if not d:
        break
    buf += d
print(buf.decode().strip().splitlines()[-1])
PY
}

# mail_hub_init ADMIN: makes the hub (tests/agent/lib.sh's HUB and port;
# not started), mailing ADMIN through this server, retrying each second.
mail_hub_init() {
	"$FERRYD" init --hub --site hq --listen "127.0.0.1:$port" \
	    --state "$HUB" >/dev/null || fail "ferryd init failed"
	cat >>"$HUB/ferryd.conf" <<EOF
retry-base 1
smtp-server $SMTP_HOST
smtp-port $SMTP_PORT
smtp-starttls off
mail-from ferry at hq <ferry@studio.example>
mail-admins $1
mail-retry-base 1
EOF
}
