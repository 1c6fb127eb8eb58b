#!/bin/sh
# A real transfer between Linux and Windows: the Linux ferry-peer and the
# mingw-built ferry-peer.exe under wine, over TCP on loopback and TLS with
# pinned keys, both ways; byte-identical trees, mtimes kept, no partial
# file left; a changed file goes as a delta and replaces the Windows
# copy; a Windows receiver killed -9 mid-file keeps its partial file and
# the next try resumes it; a Windows sender killed -9 likewise.
#
# Needs wine and the Windows build (docs/windows.md): its ferry-peer.exe
# is looked for in $FERRY_WIN_BUILD (default build/win/obj, else
# build/win, in the source tree). Without either it skips (77).
. "$srcdir/tests/lib.sh"
wine=$(command -v wine64 || command -v wine || echo /usr/lib/wine/wine64)
[ -x "$wine" ] || need wine64
# build/win/obj is where docs/windows.md builds it; build/win is as good.
WB=${FERRY_WIN_BUILD:-$srcdir/build/win/obj}
[ -n "${FERRY_WIN_BUILD:-}" ] || [ -d "$WB" ] || WB=$srcdir/build/win
WIN_PEER=$WB/transfer/tools/ferry-peer.exe
if [ ! -f "$WIN_PEER" ]; then
	echo "SKIP: no $WIN_PEER (build it: docs/windows.md)" >&2
	exit 77
fi
: "${PEER:?PEER must name the Linux ferry-peer (make check sets it)}"
command -v jq >/dev/null || need jq

# A wine prefix of this test's own (tens of seconds the first time);
# its wineserver goes with the scratch directory (tests/lib.sh's
# wine_done).
export WINEPREFIX="$TMP/wine" WINEDEBUG=-all
wineserver=$(dirname "$wine")/wineserver
[ -x "$wineserver" ] || wineserver=$(command -v wineserver || echo true)
trap 'wine_done "$wineserver"' EXIT
"$wine" wineboot -i >/dev/null 2>&1 || true

# wpath PATH: the Windows name of a Linux path (wine's Z: drive).
wpath() {
	printf 'Z:%s' "$1" | tr / '\\'
}
# (The Windows peer is run as "$wine" "$WIN_PEER", never through a shell
# function: $! of a function run in the background is a subshell's pid,
# and kill -9 must reach the Windows process itself.)
W_FP=$("$wine" "$WIN_PEER" keygen --state "$(wpath "$TMP/w")" | tr -d '\r')
L_FP=$("$PEER" keygen --state "$TMP/l")
checks=$((checks + 1))
[ -f "$TMP/w/key.pem" ] && [ -n "$W_FP" ] || fail "no Windows identity"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/token"

gen() {
	openssl enc -aes-128-ctr -nosalt -pass "pass:${3:-ferry}" \
	    -pbkdf2 -iter 1 </dev/zero 2>/dev/null |
	    head -c "$(($2 * 1048576))" >"$1"
}

# wait_listen FILE PID: the port a receiver printed.
wait_listen() {
	i=0
	while ! grep -q '^listening' "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 600 ] || ! kill -0 "$2" 2>/dev/null; then
			echo "receiver did not start:" >&2
			cat "$1.err" >&2 || true
			return 1
		fi
		sleep 0.1
	done
	tr -d '\r' <"$1" | awk '{print $2; exit}'
}

# wait_part FILE BYTES [LOG...]: a partial file has grown past BYTES; if
# it does not, the two peers' error output (LOG...) says why.
wait_part() {
	i=0
	while [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -lt "$2" ]; do
		i=$((i + 1))
		if [ $i -ge 1200 ]; then
			fail "no partial data in $1"
			shift 2
			for f; do
				echo "$f:" >&2
				cat "$f" >&2 || true
			done
			return 1
		fi
		sleep 0.05
	done
}

# same DIR1 DIR2: identical trees, and file mtimes equal to the second
# (Windows keeps 100 ns, Linux 1 ns).
same() {
	checks=$((checks + 1))
	diff -r "$1" "$2" >"$TMP/diff" 2>&1 ||
	    { fail "trees differ: $(head -5 "$TMP/diff")"; return 0; }
	(cd "$1" && find . -type f -printf '%p %TY%Tm%Td%TH%TM%TS\n' |
	    sed 's/\.[0-9]*$//' | sort) >"$TMP/m1"
	(cd "$2" && find . -type f ! -name '.*ferry-*' \
	    -printf '%p %TY%Tm%Td%TH%TM%TS\n' | sed 's/\.[0-9]*$//' |
	    sort) >"$TMP/m2"
	cmp -s "$TMP/m1" "$TMP/m2" ||
	    fail "mtimes differ: $(diff "$TMP/m1" "$TMP/m2" | head -4)"
	checks=$((checks + 1))
	left=$(find "$2" -name '.*.ferry-*')
	[ -z "$left" ] || fail "leftover files: $left"
}

# 1. Windows sends to Linux: a tree with a nested folder, an empty file
# and a UTF-8 name.
mkdir -p "$TMP/s1/sub/deeper" "$TMP/d1"
gen "$TMP/s1/big.bin" 5
echo hello >"$TMP/s1/sub/small.txt"
: >"$TMP/s1/sub/deeper/empty"
printf 'caf\303\251\n' >"$TMP/s1/sub/caf$(printf '\303\251').txt"
"$PEER" recv --state "$TMP/l" --peer-fp "$W_FP" --token-file "$TMP/token" \
    --listen 127.0.0.1 --peer-addr 127.0.0.1 --dest "$TMP/d1" \
    --timeout 60000 --streams 2 >"$TMP/r1" 2>"$TMP/r1.err" &
RPID=$!
PORT=$(wait_listen "$TMP/r1" $RPID)
run 0 "$wine" "$WIN_PEER" send --state "$(wpath "$TMP/w")" \
    --peer-fp "$L_FP" --token-file "$(wpath "$TMP/token")" \
    --connect "127.0.0.1:$PORT" --src "$(wpath "$TMP/s1")" \
    --timeout 60000 --streams 2
checks=$((checks + 1))
wait $RPID || fail "Linux receiver: $(cat "$TMP/r1.err")"
same "$TMP/s1" "$TMP/d1"

# 2. Linux sends to Windows, the same tree and a second file.
mkdir -p "$TMP/d2"
gen "$TMP/s1/other.bin" 3 other
"$wine" "$WIN_PEER" recv --state "$(wpath "$TMP/w")" --peer-fp "$L_FP" \
    --token-file "$(wpath "$TMP/token")" --listen 127.0.0.1 \
    --peer-addr 127.0.0.1 --dest "$(wpath "$TMP/d2")" --timeout 60000 \
    --streams 2 >"$TMP/r2" 2>"$TMP/r2.err" &
RPID=$!
PORT=$(wait_listen "$TMP/r2" $RPID)
run 0 "$PEER" send --state "$TMP/l" --peer-fp "$W_FP" \
    --token-file "$TMP/token" --connect "127.0.0.1:$PORT" \
    --src "$TMP/s1" --timeout 60000 --streams 2
checks=$((checks + 1))
wait $RPID || fail "Windows receiver: $(cat "$TMP/r2.err")"
same "$TMP/s1" "$TMP/d2"

# 2b. Again, with one file changed in the middle: it goes as a delta
# against the Windows copy, and its new version replaces the old one
# under the final name (the rename's replace below the folder's handle).
printf 'CHANGED' | dd of="$TMP/s1/big.bin" bs=1 seek=2000000 conv=notrunc \
    2>/dev/null
"$wine" "$WIN_PEER" recv --state "$(wpath "$TMP/w")" --peer-fp "$L_FP" \
    --token-file "$(wpath "$TMP/token")" --listen 127.0.0.1 \
    --peer-addr 127.0.0.1 --dest "$(wpath "$TMP/d2")" --timeout 60000 \
    --streams 2 >"$TMP/r2b" 2>"$TMP/r2b.err" &
RPID=$!
PORT=$(wait_listen "$TMP/r2b" $RPID)
run 0 "$PEER" send --state "$TMP/l" --peer-fp "$W_FP" \
    --token-file "$TMP/token" --connect "127.0.0.1:$PORT" \
    --src "$TMP/s1" --timeout 60000 --streams 2 --stats "$TMP/stats2b"
checks=$((checks + 1))
wait $RPID || fail "Windows receiver (delta): $(cat "$TMP/r2b.err")"
same "$TMP/s1" "$TMP/d2"
checks=$((checks + 1))
[ "$(jq -r .delta "$TMP/stats2b")" -ge 1 ] &&
    [ "$(jq -r .wire_bytes "$TMP/stats2b")" -lt 1000000 ] ||
    fail "the changed file did not go as a delta: $(cat "$TMP/stats2b")"
# The four unchanged files are skipped by size and mtime, although the
# Windows copies keep their mtimes in 100 ns ticks (compat_mtime_step).
checks=$((checks + 1))
[ "$(jq -r .skipped "$TMP/stats2b")" -eq 4 ] &&
    [ "$(jq -r .delta "$TMP/stats2b")" -eq 1 ] ||
    fail "unchanged files were sent again: $(cat "$TMP/stats2b")"

# 3. The Windows receiver is killed -9 mid-file: the partial file and its
# sidecar stay, nothing under the final name; the next try resumes.
mkdir -p "$TMP/s3" "$TMP/d3"
gen "$TMP/s3/big.bin" 48 third
"$wine" "$WIN_PEER" recv --state "$(wpath "$TMP/w")" --peer-fp "$L_FP" \
    --token-file "$(wpath "$TMP/token")" --listen 127.0.0.1 \
    --peer-addr 127.0.0.1 --dest "$(wpath "$TMP/d3")" --timeout 60000 \
    --streams 1 >"$TMP/r3" 2>"$TMP/r3.err" &
RPID=$!
PORT=$(wait_listen "$TMP/r3" $RPID)
"$PEER" send --state "$TMP/l" --peer-fp "$W_FP" --token-file "$TMP/token" \
    --connect "127.0.0.1:$PORT" --src "$TMP/s3" --streams 1 \
    --timeout 60000 --bwlimit 8M >/dev/null 2>"$TMP/s3.err" &
SPID=$!
wait_part "$TMP/d3/.big.bin.ferry-part" 12000000 "$TMP/r3.err" "$TMP/s3.err"
kill -9 $RPID
wait $RPID 2>/dev/null || true
wait $SPID 2>/dev/null || true
checks=$((checks + 1))
[ ! -e "$TMP/d3/big.bin" ] && [ -f "$TMP/d3/.big.bin.ferry-meta" ] ||
    fail "after the kill: $(ls -a "$TMP/d3")"
held=$(stat -c %s "$TMP/d3/.big.bin.ferry-part")
"$wine" "$WIN_PEER" recv --state "$(wpath "$TMP/w")" --peer-fp "$L_FP" \
    --token-file "$(wpath "$TMP/token")" --listen 127.0.0.1 \
    --peer-addr 127.0.0.1 --dest "$(wpath "$TMP/d3")" --timeout 60000 \
    --streams 1 >"$TMP/r4" 2>"$TMP/r4.err" &
RPID=$!
PORT=$(wait_listen "$TMP/r4" $RPID)
run 0 "$PEER" send --state "$TMP/l" --peer-fp "$W_FP" \
    --token-file "$TMP/token" --connect "127.0.0.1:$PORT" \
    --src "$TMP/s3" --streams 1 --timeout 60000 --stats "$TMP/stats3"
checks=$((checks + 1))
wait $RPID || fail "Windows receiver after the kill: $(cat "$TMP/r4.err")"
same "$TMP/s3" "$TMP/d3"
resumed=$(jq -r .resumed_bytes "$TMP/stats3")
wire=$(jq -r .wire_bytes "$TMP/stats3")
size=$(stat -c %s "$TMP/s3/big.bin")
checks=$((checks + 1))
[ "$resumed" -gt 0 ] && [ "$resumed" -le "$held" ] ||
    fail "resumed $resumed bytes, $held were held"
limit=$((size - resumed + 65536 + resumed / 1000 + 16384))
checks=$((checks + 1))
[ "$wire" -le "$limit" ] || fail "resume sent $wire bytes, limit $limit"
echo "Windows receiver killed at $held bytes; resumed $resumed," \
    "then $wire bytes on the wire for $size" >&2

# 4. The Windows sender is killed -9 mid-file; the Linux receiver keeps
# the partial file, and the next send from Windows resumes it.
mkdir -p "$TMP/d4"
"$PEER" recv --state "$TMP/l" --peer-fp "$W_FP" --token-file "$TMP/token" \
    --listen 127.0.0.1 --peer-addr 127.0.0.1 --dest "$TMP/d4" \
    --timeout 60000 --streams 1 >"$TMP/r5" 2>"$TMP/r5.err" &
RPID=$!
PORT=$(wait_listen "$TMP/r5" $RPID)
"$wine" "$WIN_PEER" send --state "$(wpath "$TMP/w")" --peer-fp "$L_FP" \
    --token-file "$(wpath "$TMP/token")" --connect "127.0.0.1:$PORT" \
    --src "$(wpath "$TMP/s3")" --streams 1 --timeout 60000 \
    --bwlimit 8M >/dev/null 2>"$TMP/s4.err" &
SPID=$!
wait_part "$TMP/d4/.big.bin.ferry-part" 12000000 "$TMP/r5.err" "$TMP/s4.err"
kill -9 $SPID
wait $SPID 2>/dev/null || true
wait $RPID 2>/dev/null || true
checks=$((checks + 1))
[ ! -e "$TMP/d4/big.bin" ] && [ -f "$TMP/d4/.big.bin.ferry-meta" ] ||
    fail "after the kill: $(ls -a "$TMP/d4")"
"$PEER" recv --state "$TMP/l" --peer-fp "$W_FP" --token-file "$TMP/token" \
    --listen 127.0.0.1 --peer-addr 127.0.0.1 --dest "$TMP/d4" \
    --timeout 60000 --streams 1 >"$TMP/r6" 2>"$TMP/r6.err" &
RPID=$!
PORT=$(wait_listen "$TMP/r6" $RPID)
run 0 "$wine" "$WIN_PEER" send --state "$(wpath "$TMP/w")" \
    --peer-fp "$L_FP" --token-file "$(wpath "$TMP/token")" \
    --connect "127.0.0.1:$PORT" --src "$(wpath "$TMP/s3")" --streams 1 \
    --timeout 60000 --stats "$(wpath "$TMP/stats4")"
checks=$((checks + 1))
wait $RPID || fail "Linux receiver after the kill: $(cat "$TMP/r6.err")"
same "$TMP/s3" "$TMP/d4"
checks=$((checks + 1))
[ "$(jq -r .resumed_bytes "$TMP/stats4")" -gt 0 ] ||
    fail "the Windows sender did not resume: $(cat "$TMP/stats4")"

# 5. A wrong pinned key: the Windows receiver refuses the Linux sender.
mkdir -p "$TMP/d5"
"$PEER" keygen --state "$TMP/x" >/dev/null
"$wine" "$WIN_PEER" recv --state "$(wpath "$TMP/w")" --peer-fp "$L_FP" \
    --token-file "$(wpath "$TMP/token")" --listen 127.0.0.1 \
    --peer-addr 127.0.0.1 --dest "$(wpath "$TMP/d5")" --timeout 20000 \
    --streams 1 >"$TMP/r7" 2>"$TMP/r7.err" &
RPID=$!
PORT=$(wait_listen "$TMP/r7" $RPID)
run 1 "$PEER" send --state "$TMP/x" --peer-fp "$W_FP" \
    --token-file "$TMP/token" --connect "127.0.0.1:$PORT" \
    --src "$TMP/s1" --streams 1 --timeout 20000
kill $RPID 2>/dev/null || true
wait $RPID 2>/dev/null || true
checks=$((checks + 1))
[ -z "$(ls -A "$TMP/d5")" ] || fail "an unpinned sender wrote: $(ls -A "$TMP/d5")"
finish
