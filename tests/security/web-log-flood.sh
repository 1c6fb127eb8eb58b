#!/bin/sh
# An unauthenticated client floods the status page's port with
# connections past its limits: libmicrohttpd wrote a line to the hub's
# stderr for each one it turned away (45,000 lines, 2.7 MB, in 3 s on
# loopback), around ferryd's logger, drowning what the log is for. Its
# messages go through the logger now, at most a few a minute.
. "${srcdir:-.}/tests/security/lib.sh"
need python3

webport=$(free_port 1)
HUB_CONF="web 127.0.0.1:$webport"
make_hub
python3 - "$webport" <<'PY' >"$TMP/flood" 2>&1 || fail "the flood: $(cat "$TMP/flood")"
import socket, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
n, t = 0, time.time()
while n < 3000 and time.time() - t < 20:
    try:
        s = socket.create_connection(("127.0.0.1", port))
        s.close()
        n += 1
    except OSError:
        pass
print("refused connections:", n)
PY
sleep 0.5
checks=$((checks + 1))
lines=$(wc -l <"$HUB.log")
[ "$lines" -lt 40 ] || fail "$(cat "$TMP/flood") made $lines log lines: $(sort "$HUB.log" | uniq -c | sort -rn | head -3)"
checks=$((checks + 1))
! grep -v '^[0-9-]*T[0-9:.]*Z ferryd: ' "$HUB.log" | grep -q . ||
    fail "lines around the logger: $(grep -v '^[0-9-]*T[0-9:.]*Z ferryd: ' "$HUB.log" | head -3)"
# The page still answers (another address: the flood's are closed now).
checks=$((checks + 1))
code=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 \
    "http://127.0.0.1:$webport/metrics")
[ "$code" = 200 ] || fail "the page after the flood: $code"
finish
