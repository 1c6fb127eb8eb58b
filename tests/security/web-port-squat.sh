#!/bin/sh
# Another local user takes the status page's default port (45180) before
# the hub starts. Unasked, the page is a convenience and the hub starts
# without it; but a hub with web-token-file set was asked for a page that
# takes a token, and a browser sends the ferry_token cookie to whatever
# answers on 127.0.0.1 (cookies ignore ports): starting without the page,
# with only a log line, hands the token to the squatter. It must refuse.
# The status page's default port is one for the whole machine, and other
# tests' hubs take it: this test runs in a network namespace of its own
# where it can (root, as CI is).
if [ -z "${FERRY_OWN_NETNS:-}" ] && command -v unshare >/dev/null &&
    unshare -n true 2>/dev/null; then
	FERRY_OWN_NETNS=1 exec unshare -n sh -c \
	    'ip link set lo up && exec sh "$0" "$@"' "$0" "$@"
fi
. "${srcdir:-.}/tests/security/lib.sh"
need python3

python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 45180)); s.listen(5)
open(sys.argv[1], "w").close()
time.sleep(60)' "$TMP/squatting" &
squatter=$!
pids="$pids $squatter"
i=0
until [ -e "$TMP/squatting" ] || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
openssl rand -hex 24 >"$TMP/web.token"
chmod 600 "$TMP/web.token"

"$FERRYD" init --hub --site hq --listen "127.0.0.1:$port" --state "$HUB" \
    >/dev/null || fail "ferryd init failed"
echo "web-token-file $TMP/web.token" >>"$HUB/ferryd.conf"
run 1 timeout 10 "$FERRYD" run $ROOT_OK --state "$HUB"
err_has "cannot listen"
checks=$((checks + 1))
[ ! -S "$HUB/ferryd.sock" ] || fail "the hub started without its page"

# Unasked (no web keyword at all), it still starts and says why not.
sed -i '/^web-token-file/d' "$HUB/ferryd.conf"
start_daemon "$HUB"
log_has "$HUB.log" "no status page"
kill "$squatter" 2>/dev/null || true
finish
