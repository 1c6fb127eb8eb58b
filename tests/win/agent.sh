#!/bin/sh
# The Windows agent under wine with a Linux hub (issue 18): ferryd.exe
# enrols with the hub on loopback and links; ferry.exe asks it for its
# status over the local API (loopback TCP with the endpoint file's token:
# wine 8 has no AF_UNIX); it receives a file and an image sequence, byte
# for byte; killed -9 in the middle of a large file, it is started again
# and the job completes with the file identical, nothing left under a
# final name meanwhile; a vendor's Windows agent publishes a version back.
#
# The agent's storage root is a Linux path in the share map ("linux"),
# which wine opens on its Z: drive: the hub does not yet know that an
# agent is on Windows and would pick its "windows" root (docs/windows.md).
#
# Needs wine and the Windows build ($FERRY_WIN_BUILD, default
# build/win/obj, else build/win, in the source tree, with
# agent/ferryd.exe and ferry.exe); else 77.
. "$srcdir/tests/agent/lib.sh"
need openssl
need python3
wine=$(command -v wine64 || command -v wine || echo /usr/lib/wine/wine64)
[ -x "$wine" ] || need wine64
# build/win/obj is where docs/windows.md builds it; build/win is as good.
WB=${FERRY_WIN_BUILD:-$srcdir/build/win/obj}
[ -n "${FERRY_WIN_BUILD:-}" ] || [ -d "$WB" ] || WB=$srcdir/build/win
if [ ! -f "$WB/agent/ferryd.exe" ] || [ ! -f "$WB/ferry.exe" ]; then
	echo "SKIP: no $WB/agent/ferryd.exe or ferry.exe (docs/windows.md)" >&2
	exit 77
fi
export WINEPREFIX="$TMP/wine" WINEDEBUG=-all
wineserver=$(dirname "$wine")/wineserver
[ -x "$wineserver" ] || wineserver=$(command -v wineserver || echo true)
trap 'stop_daemons; wine_done "$wineserver"' EXIT
"$wine" wineboot -i >/dev/null 2>&1 || true

wpath() {
	printf 'Z:%s' "$1" | tr / '\\'
}
LA=$(wpath "$TMP/la")

# start_wine_agent: ferryd.exe run in the background (WPID), until its
# local API's endpoint file is there.
start_wine_agent() {
	rm -f "$TMP/la/ferryd.sock"
	"$wine" "$WB/agent/ferryd.exe" run --state "$LA" >>"$TMP/la.log" 2>&1 &
	WPID=$!
	pids="$pids $WPID"
	i=0
	until grep -q '^ferry-local-tcp' "$TMP/la/ferryd.sock" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 600 ] || { fail "ferryd.exe did not start: $(cat "$TMP/la.log")"; return 1; }
		sleep 0.1
	done
}

S="$TMP/hq-storage" L="$TMP/la-storage"
mkdir -p "$S/show/sh010/plate" "$L"
openssl enc -aes-128-ctr -nosalt -pass pass:win -pbkdf2 -iter 1 </dev/zero \
    2>/dev/null | head -c 3000000 >"$S/show/sh010/comp.mov"
for f in 1001 1002 1003; do
	head -c 200000 /dev/urandom >"$S/show/sh010/plate/p.$f.exr"
done
cat >"$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$S",
  "sites": { "la": { "linux": "$L" } } } } }
JSON

make_hub
code=$("$FERRY" invite --site la --state "$HUB" | tail -n1)
run 0 "$wine" "$WB/agent/ferryd.exe" enroll "127.0.0.1:$port" "$code" \
    --state "$LA" --name la-ws
out_has "enrolled as la-ws" "ferryd.exe enroll"
start_wine_agent
wait_linked la-ws
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"

# ferry.exe asks the Windows ferryd through the token-guarded loopback.
run 0 "$wine" "$WB/ferry.exe" status --json --state "$LA"
checks=$((checks + 1))
tr -d '\r' <"$TMP/out" | jq -e . >/dev/null ||
    fail "ferry.exe status: $(cat "$TMP/out") $(cat "$TMP/err")"
# A client that has not read the endpoint file's token is refused.
lport=$(awk '{print $3}' "$TMP/la/ferryd.sock")
checks=$((checks + 1))
python3 - "$lport" >"$TMP/raw" 2>&1 <<'PY' || true
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"0" * 64 + b"\n" + b'{"op": "status"}\n')
data = b""
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        data += d
except Exception:
    pass
print(data.decode("utf-8", "replace"))
PY
grep -q "permission denied" "$TMP/raw" && ! grep -q '"agents"\|"site"' "$TMP/raw" ||
    fail "a client without the token was answered: $(cat "$TMP/raw")"

# A file and an image sequence from the hub to the Windows agent.
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" \
    "$S/show/sh010/comp.mov" "$S/show/sh010/plate/p.####.exr [1001-1003]"
checks=$((checks + 1))
diff -r "$S" "$L" >/dev/null || fail "la's copy differs: $(diff -r "$S" "$L" | head -3)"
# Sent again: the Windows agent answers the hub's compare (node-compare.c)
# that it holds all four, by its own look at their sizes and mtimes.
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" \
    "$S/show/sh010/comp.mov" "$S/show/sh010/plate/p.####.exr [1001-1003]"
log_has "$HUB.log" "4 of its files found at la already, not sent"

# Publish back: a vendor's Windows agent (a person's, restricted, its
# storage root given at enrolment) publishes a version to the studio.
V=vendor@fx.example W="$TMP/fx-work" FX=$(wpath "$TMP/fx")
mkdir -p "$W/show/sh030/fx_v001"
head -c 300000 /dev/urandom >"$W/show/sh030/fx_v001/fx.1001.exr"
head -c 300000 /dev/urandom >"$W/show/sh030/fx_v001/fx.1002.exr"
code=$("$FERRY" invite --user "$V" --clearance restricted --state "$HUB" |
    tail -n1)
run 0 "$wine" "$WB/agent/ferryd.exe" enroll "127.0.0.1:$port" "$code" \
    --state "$FX" --name fx-ws --storage-root "storage=$W"
# --api-user (a service's desktop user, docs/windows-service.md): a
# malformed SID refused before anything starts; a good one (BUILTIN\Users)
# added to the local API's endpoint file, and ferry.exe still gets in.
# Whether another account gets in needs Windows: wine keeps no DACL.
run 2 "$wine" "$WB/agent/ferryd.exe" run --state "$FX" --api-user 'S-1 & x'
err_has "--api-user S-1 & x: Invalid argument"
"$wine" "$WB/agent/ferryd.exe" run --state "$FX" --api-user S-1-5-32-545 \
    >>"$TMP/fx.log" 2>&1 &
pids="$pids $!"
wait_linked fx-ws
run 0 "$FERRY" acl set "$V" storage:show/sh030 write --state "$HUB"
run 0 "$wine" "$WB/ferry.exe" publish --note "from wine" --wait \
    --state "$FX" "$W/show/sh030/fx_v001"
checks=$((checks + 1))
diff -r "$W/show/sh030/fx_v001" "$S/show/sh030/fx_v001" >/dev/null ||
    fail "publish from Windows: not at the studio: $(cat "$TMP/out" "$TMP/err")"

# kill -9 of ferryd.exe in the middle of a large file: no final name
# meanwhile; started again, the job completes and the file is identical.
openssl enc -aes-128-ctr -nosalt -pass pass:big -pbkdf2 -iter 1 </dev/zero \
    2>/dev/null | head -c 64000000 >"$S/show/sh010/big.mov"
run 0 "$FERRY" site set la --bwlimit 8M --state "$HUB"
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/show/sh010/big.mov"
id=$(tail -n1 "$TMP/out")
part="$L/show/sh010/.big.mov.ferry-part"
# The bytes the partial file holds: its allocated blocks, not its size. A
# striped file's partial file has its full size from the start (its
# chunks are written where they belong), so waiting for the size killed
# ferryd.exe at whatever moment the file was made, often before any data
# or the sidecar, and a run could fail on that moment.
held_bytes() {
	stat -c '%b %B' "$part" 2>/dev/null | awk '{print $1 * $2}' | grep . ||
	    echo 0
}
i=0
while [ "$(held_bytes)" -lt 10000000 ]; do
	i=$((i + 1))
	[ $i -lt 600 ] || { fail "no partial file grew at $part"; break; }
	sleep 0.1
done
kill -9 "$WPID"
wait "$WPID" 2>/dev/null || true
checks=$((checks + 1))
[ ! -e "$L/show/sh010/big.mov" ] || fail "big.mov under its final name after the kill"
held=$(held_bytes)
checks=$((checks + 1))
[ "$held" -lt 64000000 ] || fail "ferryd.exe was killed after the whole file had come"
start_wine_agent
i=0
until "$FERRY" job "$id" --json --state "$HUB" 2>/dev/null |
    jq -e '.state == "done"' >/dev/null; do
	i=$((i + 1))
	[ $i -lt 1200 ] || { fail "job $id not done after the restart: $("$FERRY" job "$id" --state "$HUB" 2>&1)"; break; }
	sleep 0.1
done
checks=$((checks + 1))
cmp -s "$S/show/sh010/big.mov" "$L/show/sh010/big.mov" ||
    fail "big.mov differs after the kill and restart"
checks=$((checks + 1))
[ -z "$(find "$L" -name '.*.ferry-*')" ] ||
    fail "leftovers: $(find "$L" -name '.*.ferry-*')"
# Resumed, not sent again: what the restart's transfer put on the wire is
# the rest, and at most the chunks in flight at the kill (a few MB).
done_re='.*la-ws: transfer .* done, 64000000 bytes delivered, \([0-9]*\) on'
wire=$(sed -n "s/$done_re the wire.*/\\1/p" "$HUB.log" | tail -n 1)
checks=$((checks + 1))
[ -n "$wire" ] && [ "$wire" -le $((64000000 - held + 4000000)) ] ||
    fail "the restart sent ${wire:-?} bytes, $held were held"
echo "ferryd.exe killed with $held bytes of big.mov held; job $id done" \
    "after the restart with ${wire:-?} bytes on the wire" >&2
stop_and_check
finish
