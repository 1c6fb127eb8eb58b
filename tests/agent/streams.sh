#!/bin/sh
# A transfer's streams through the daemon: ferry send --streams 4 stripes
# a 100 MiB file across 4 streams between two agents, directly and then
# through the hub's relay, byte-identical; bad counts are refused; a
# site's default (ferry site set --streams) applies to a job without its
# own; without either the hub chooses from the job's files; and a source
# rewritten while its chunks are on the wire is noticed by the sender,
# never finalised mixed at the receiver, and the retry delivers the new
# content; the hub at one end opens what was asked as well, one stream
# as well as four.
. "${srcdir:-.}/tests/agent/lib.sh"
need ss
need openssl
need xxhsum

ip -o addr show lo 2>/dev/null | grep -q "127.0.0.1/8" || {
	echo "SKIP: no 127.0.0.0/8 on lo"; exit 77; }

L="$TMP/la-storage" N="$TMP/ny-storage" S="$TMP/hq-storage"
mkdir -p "$L/show" "$N" "$S"
# gen PASS BYTES: incompressible bytes, the same for the same PASS.
gen() {
	openssl enc -aes-128-ctr -nosalt -pass "pass:$1" -pbkdf2 -iter 1 \
	    </dev/zero 2>/dev/null | head -c "$2"
}
gen big 104857600 >"$L/show/big.mov"
gen site 41943040 >"$L/show/site.mov"
mkdir -p "$S/show"
gen hub 41943040 >"$S/show/hub.mov"
for i in 1 2 3; do gen "small$i" 4096 >"$L/show/small$i.exr"; done
cat >"$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$S",
  "sites": { "la": { "linux": "$L" }, "ny": { "linux": "$N" } } } } }
JSON

same() {
	checks=$((checks + 1))
	cmp -s "$1" "$2" &&
	    [ "$(xxhsum -H2 <"$1" | cut -d' ' -f1)" = "$(xxhsum -H2 <"$2" | cut -d' ' -f1)" ] ||
	    fail "$2 differs from $1"
}
# logged FILE REGEX WHAT: a line of a daemon's log matches.
logged() {
	checks=$((checks + 1))
	grep -q -- "$2" "$1" || fail "$3: $(grep 'transfer' "$1" | tail -4)"
}

# xid JOB: the id of job JOB's (first) transfer, from the hub's log.
xid() {
	sed -n "s/.*transfer \([0-9]*\) (job $1): [0-9]* streams.*/\1/p" \
	    "$HUB.log" | head -n1
}

# enrol NAME ADDR SITE: an agent on ADDR with no public address.
enrol() {
	code=$("$FERRY" invite --site "$3" --state "$HUB" | tail -n1)
	"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/$1" \
	    --name "$1" --source-address "$2" >/dev/null ||
	    fail "enrolling $1 failed"
	start_daemon "$TMP/$1"
	wait_linked "$1"
}
HUB_CONF="retry-limit 4"
make_hub
enrol la-server 127.0.0.2 la
enrol ny-server 127.0.0.4 ny
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"

# Bad counts are refused before anything is asked of the hub.
for bad in 0 17 -1 four 4x; do
	run 2 "$FERRY" send --from la --to ny --streams "$bad" --state "$HUB" \
	    "$L/show/big.mov"
	err_has "--streams: $bad is not a number from 1 to 16"
done
run 2 "$FERRY" site set ny --streams 17 --state "$HUB"
err_has "--streams: 17 is not a number from 1 to 16, or auto"
# The hub refuses them too, whatever a local client sends.
for bad in 0 17 99999999999 '"4"' 2.5 true; do
	checks=$((checks + 1))
	req='{"op":"send","from":"la","to":"ny","paths":["'$L'/show/big.mov"],'
	"$EVIL" api "$HUB/ferryd.sock" "$req\"streams\":$bad}" \
	    >"$TMP/api.out" 2>&1 || true
	grep -q "send: streams must be a whole number from 1 to 16" \
	    "$TMP/api.out" ||
	    fail "the hub took a send with streams $bad: $(cat "$TMP/api.out")"
	checks=$((checks + 1))
	"$EVIL" api "$HUB/ferryd.sock" \
	    "{\"op\":\"site.set\",\"site\":\"ny\",\"streams\":$bad}" 2>&1 |
	    { [ "$bad" = 0 ] && cat >/dev/null || grep -q "streams (1 to 16"; } ||
	    fail "the hub took site.set with streams $bad"
done
run 0 "$FERRY" jobs --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq length "$TMP/out")" = 0 ] || fail "a refused send made a job"

# 1. Directly: ny is reachable at its address, so it listens and la
# connects 4 streams; the file is striped across all 4 (loopback's round
# trip alone would stripe it across none).
run 0 "$FERRY" site set ny --address 127.0.0.4 --state "$HUB"
run 0 "$FERRY" send --from la --to ny --streams 4 --wait --state "$HUB" \
    "$L/show/big.mov"
same "$L/show/big.mov" "$N/show/big.mov"
logged "$HUB.log" "(job 1): 4 streams (the job's)" "the hub's streams for job 1"
logged "$TMP/la-server.log" "transfer $(xid 1): 4 streams, 1 file(s) striped" \
    "la did not stripe the file across 4 streams"
# ferry job says so as well, once the sender's report is in (5 s at most).
i=0
while "$FERRY" job 1 --json --state "$HUB" >"$TMP/out" &&
    [ "$(jq '.striped // 0' "$TMP/out")" = 0 ] && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
checks=$((checks + 1))
[ "$(jq -c '[.streams, .striped]' "$TMP/out")" = "[4,1]" ] ||
    fail "job 1's streams and striped: $(cat "$TMP/out")"
checks=$((checks + 1))
! grep -q "through the hub's relay" "$HUB.log" || fail "job 1 was relayed"
checks=$((checks + 1))
[ -z "$(find "$N" -name '.*')" ] || fail "hidden files left: $(find "$N" -name '.*')"

# 2. Through the relay: nobody can reach ny now; the hub's relay joins
# 4 pairs of connections (tickets good for 4 each) and the file is
# striped across them.
rm -f "$N/show/big.mov"
run 0 "$FERRY" site set ny --address none --state "$HUB"
run 0 "$FERRY" send --from la --to ny --streams 4 --wait --state "$HUB" \
    "$L/show/big.mov"
same "$L/show/big.mov" "$N/show/big.mov"
logged "$HUB.log" "la-server to ny-server through the hub's relay" \
    "job 2 did not go through the relay"
logged "$HUB.log" "(job 2): 4 streams (the job's)" "the hub's streams for job 2"
logged "$TMP/la-server.log" "transfer $(xid 2): 4 streams, 1 file(s) striped" \
    "la did not stripe job 2 across 4 relayed streams"
# More than the relay takes (8) are capped there, not refused.
rm -f "$N/show/big.mov"
run 0 "$FERRY" send --from la --to ny --streams 16 --wait --state "$HUB" \
    "$L/show/big.mov"
same "$L/show/big.mov" "$N/show/big.mov"
logged "$HUB.log" "transfer $(xid 3): 8 streams through the relay, not 16" \
    "the relay's cap was not applied"
logged "$TMP/la-server.log" "transfer $(xid 3): 8 streams, 1 file(s) striped" \
    "la did not stripe job 3 across 8 relayed streams"
run 0 "$FERRY" site set ny --address 127.0.0.4 --state "$HUB"

# 3. A site's default: ny's 3, for a job that asks for none, shown by
# ferry sites; a job's own count still wins over it.
run 0 "$FERRY" site set ny --streams 3 --state "$HUB"
out_is "site ny: 3 streams per transfer"
run 0 "$FERRY" sites ny --state "$HUB"
out_has "3 streams per transfer" "ferry sites ny"
run 0 "$FERRY" sites --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq '.sites[] | select(.name == "ny") | .streams' "$TMP/out")" = 3 ] ||
    fail "sites --json: $(cat "$TMP/out")"
run 0 "$FERRY" send --from la --to ny --wait --state "$HUB" \
    "$L/show/site.mov"
same "$L/show/site.mov" "$N/show/site.mov"
logged "$HUB.log" "(job 4): 3 streams (the destination site's)" \
    "ny's default was not applied"
logged "$TMP/la-server.log" "transfer $(xid 4): 3 streams, 1 file(s) striped" \
    "la did not stripe across ny's 3 streams"

# 4. Nothing asked: a job of small files gets 2 streams, a large file 8
# (striped as the measured round trip says: on loopback, not at all).
run 0 "$FERRY" site set ny --streams auto --state "$HUB"
out_is "site ny: streams chosen by the hub"
run 0 "$FERRY" send --from la --to ny --wait --state "$HUB" \
    "$L/show/small1.exr" "$L/show/small2.exr" "$L/show/small3.exr"
logged "$HUB.log" "(job 5): 2 streams (the default)" "small files' streams"
rm -f "$N/show/site.mov"
run 0 "$FERRY" send --from la --to ny --wait --state "$HUB" \
    "$L/show/site.mov"
same "$L/show/site.mov" "$N/show/site.mov"
logged "$HUB.log" "(job 6): 8 streams (a large file's)" "a large file's streams"

# 5. The source changes while its chunks cross (a 16 MiB/s cap makes
# 64 MiB take 4 s): its first 8 MiB, already sent, are rewritten. The
# sender's size/mtime check catches it; no mixed file appears under its
# name; the retry brings the new content.
gen old 67108864 >"$L/show/moving.mov"
run 0 "$FERRY" site set ny --bwlimit 16M --state "$HUB"
"$FERRY" send --from la --to ny --streams 4 --wait --state "$HUB" \
    "$L/show/moving.mov" >"$TMP/moving.out" 2>&1 &
SENDPID=$!
i=0
until [ -n "$(find "$N" -name '*moving*' -size +8M 2>/dev/null)" ]; do
	i=$((i + 1)); [ $i -lt 200 ] || break; sleep 0.05
done
checks=$((checks + 1))
[ ! -e "$N/show/moving.mov" ] || fail "moving.mov arrived before the change"
gen new 8388608 | dd of="$L/show/moving.mov" conv=notrunc 2>/dev/null
# Watch the final name until the job ends: never the old content, never mixed.
while kill -0 "$SENDPID" 2>/dev/null; do
	if [ -e "$N/show/moving.mov" ] &&
	    ! cmp -s "$L/show/moving.mov" "$N/show/moving.mov"; then
		fail "moving.mov appeared under its name, not the new content"
		break
	fi
	sleep 0.05
done
wait "$SENDPID" || true
same "$L/show/moving.mov" "$N/show/moving.mov"
# The sender noticed: what it had sent of the old version went again, so
# more than the file crossed (a sender that did not would have sent the
# file once, and left the old first 8 MiB in it).
checks=$((checks + 1))
wire=$(sed -n "s/.*la-server: transfer $(xid 7) done, [0-9]* bytes delivered, \([0-9]*\) on the wire.*/\1/p" "$HUB.log")
echo "moving.mov: ${wire:-?} bytes on the wire for 67108864" >&2
[ "${wire:-0}" -gt $((67108864 + 8388608)) ] ||
    fail "moving.mov crossed once (${wire:-no} bytes): the change went unnoticed"
run 0 "$FERRY" site set ny --bwlimit 0 --state "$HUB"

# 6. The hub itself at one end: it listens for the 4 streams it asked.
run 0 "$FERRY" send --from hq --to ny --streams 4 --wait --state "$HUB" \
    "$S/show/hub.mov"
same "$S/show/hub.mov" "$N/show/hub.mov"
logged "$HUB.log" "(job 8): 4 streams (the job's)" "the hub's own streams"
# One stream, from the hub and to it: the hub used to set the idle time
# of 2 streams whatever it had opened, and crashed on a missing second.
rm -f "$N/show/hub.mov"
run 0 "$FERRY" send --from hq --to ny --streams 1 --wait --state "$HUB" \
    "$S/show/hub.mov"
same "$S/show/hub.mov" "$N/show/hub.mov"
logged "$HUB.log" "(job 9): 1 streams (the job's)" "the hub's one stream"
run 0 "$FERRY" send --from la --to hq --streams 1 --wait --state "$HUB" \
    "$L/show/small1.exr"
same "$L/show/small1.exr" "$S/show/small1.exr"
logged "$HUB.log" "(job 10): 1 streams (the job's)" "one stream to the hub"

stop_and_check
finish
