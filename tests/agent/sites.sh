#!/bin/sh
# Jobs in every direction between a hub (hq, 127.0.0.1), a site agent (la,
# 127.0.0.2, not reachable from outside), a vendor's agent (a restricted
# user, 127.0.0.3, with a public address) and a second site (ny,
# 127.0.0.4, not reachable either). Each agent connects from its own
# address, and every data port opens for that address only.
. "${srcdir:-.}/tests/agent/lib.sh"
need openssl
need ip
need ss

# Each 127.x address must be usable (Linux routes all of 127/8 to lo).
for a in 127.0.0.2 127.0.0.3 127.0.0.4; do
	ip -o addr show lo 2>/dev/null | grep -q "127.0.0.1/8" || {
		echo "SKIP: no 127.0.0.0/8 on lo"; exit 77; }
done

V=vendor@fx.example
S="$TMP/hq-storage" L="$TMP/la-storage" F="$TMP/vendor-storage"
N="$TMP/ny-storage"
mkdir -p "$S/show/sh010/plate" "$S/show/sh020" "$L/show/sh030" \
    "$F/show/sh020" "$N"
openssl enc -aes-128-ctr -nosalt -pass pass:sites -pbkdf2 -iter 1 \
    </dev/zero 2>/dev/null | head -c 2000000 >"$S/show/sh010/comp.mov"
for f in 1001 1002 1003; do
	head -c 100000 /dev/urandom >"$S/show/sh010/plate/p.$f.exr"
done
head -c 300000 /dev/urandom >"$S/show/sh020/secret.mov"
head -c 500000 /dev/urandom >"$L/show/sh030/anim.mov"
head -c 400000 /dev/urandom >"$F/show/sh020/fx_v001.exr"
cat >"$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$S",
  "sites": { "la": { "linux": "$L" }, "ny": { "linux": "$N" },
             "$V": { "linux": "$F" } } } } }
JSON

# enrol NAME ADDR INVITE-ARGS... [-- ENROLL-ARGS]: an agent on ADDR.
enrol() {
	name=$1 addr=$2; shift 2
	code=$("$FERRY" invite "$@" --state "$HUB" | tail -n1)
	"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/$name" \
	    --name "$name" --source-address "$addr" $EXTRA >/dev/null ||
	    fail "enrolling $name failed"
	start_daemon "$TMP/$name"
	wait_linked "$name"
}

make_hub
EXTRA= enrol la-server 127.0.0.2 --site la
LAPID=$DPID
EXTRA="--public-address 127.0.0.3" enrol fx-ws 127.0.0.3 --user "$V" \
    --clearance restricted
FXPID=$DPID
EXTRA= enrol ny-server 127.0.0.4 --site ny
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"

# The hub sees each agent at its own address.
run 0 "$FERRY" status --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '.agents["la-server"].address // .agents["la-server"].from // empty' \
    "$TMP/out" | cut -d: -f1)" = 127.0.0.2 ] ||
    grep -q "la-server connected from 127.0.0.2" "$HUB.log" ||
    fail "la-server did not connect from 127.0.0.2: $(cat "$TMP/out")"

# hq -> la, then la -> hq: both directions with the hub.
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/show/sh010"
checks=$((checks + 1))
diff -r "$S/show/sh010" "$L/show/sh010" >/dev/null ||
    fail "hq -> la: copies differ"
run 0 "$FERRY" send --from la --to hq --wait --state "$HUB" "$L/show/sh030"
checks=$((checks + 1))
cmp -s "$L/show/sh030/anim.mov" "$S/show/sh030/anim.mov" ||
    fail "la -> hq: anim.mov did not arrive whole"
run 0 "$FERRY" jobs --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '.[] | select(.from == "la") | "\(.state) \(.done_files)/\(.files)"' \
    "$TMP/out")" = "done 1/1" ] || fail "la -> hq job: $(cat "$TMP/out")"

# A vendor gets only what an ACL lets it read.
run 1 "$FERRY" send --from hq --to "$V" --state "$HUB" "$S/show/sh020"
err_has "may not read storage:show/sh020/secret.mov"
run 0 "$FERRY" acl set "$V" storage:show/sh010 read --state "$HUB"
run 0 "$FERRY" send --from hq --to "$V" --wait --state "$HUB" \
    "$S/show/sh010/comp.mov"
checks=$((checks + 1))
cmp -s "$S/show/sh010/comp.mov" "$F/show/sh010/comp.mov" ||
    fail "hq -> vendor: comp.mov differs"
checks=$((checks + 1))
[ ! -e "$F/show/sh020/secret.mov" ] || fail "the vendor got secret.mov"

# Publishing back needs write access where it lands.
run 1 "$FERRY" send --from "$V" --to hq --state "$HUB" \
    "$F/show/sh020/fx_v001.exr"
err_has "may not write storage:show/sh020/fx_v001.exr"
run 0 "$FERRY" acl set "$V" storage:show/sh020 write --state "$HUB"
run 0 "$FERRY" send --from "$V" --to hq --wait --state "$HUB" \
    "$F/show/sh020/fx_v001.exr"
checks=$((checks + 1))
cmp -s "$F/show/sh020/fx_v001.exr" "$S/show/sh020/fx_v001.exr" ||
    fail "vendor -> hq: fx_v001.exr differs"

# The vendor publishes from its own machine, through its own ferryd: the
# hub acts for it, and shows it its own jobs only.
head -c 200000 /dev/urandom >"$F/show/sh020/fx_v002.exr"
run 0 "$FERRY" send --from "$V" --to hq --wait --state "$TMP/fx-ws" \
    "$F/show/sh020/fx_v002.exr"
checks=$((checks + 1))
cmp -s "$F/show/sh020/fx_v002.exr" "$S/show/sh020/fx_v002.exr" ||
    fail "vendor's own send: fx_v002.exr differs"
run 0 "$FERRY" jobs --json --state "$TMP/fx-ws"
checks=$((checks + 1))
[ "$(jq -r '[.[] | select(.from != "'"$V"'" and .to != "'"$V"'")] | length' \
    "$TMP/out")" = 0 ] && [ "$(jq length "$TMP/out")" -ge 3 ] ||
    fail "the vendor sees other jobs: $(cat "$TMP/out")"
run 1 "$FERRY" send --from la --to hq --state "$TMP/fx-ws" "$L/show/sh030"
err_has "must start or end at $V"
run 1 "$FERRY" job 1 --state "$TMP/fx-ws"
err_has "no such job"

# Agent to agent: the vendor is reachable, so it listens, whichever way
# the files go.
run 1 "$FERRY" send --from la --to "$V" --state "$HUB" \
    "$L/show/sh030/anim.mov"
err_has "may not read storage:show/sh030/anim.mov"
run 0 "$FERRY" acl set "$V" storage:show/sh030 read --state "$HUB"
run 0 "$FERRY" send --from la --to "$V" --wait --state "$HUB" \
    "$L/show/sh030/anim.mov"
checks=$((checks + 1))
cmp -s "$L/show/sh030/anim.mov" "$F/show/sh030/anim.mov" ||
    fail "la -> vendor: anim.mov differs"
run 0 "$FERRY" send --from "$V" --to la --wait --state "$HUB" \
    "$F/show/sh020/fx_v001.exr"
checks=$((checks + 1))
cmp -s "$F/show/sh020/fx_v001.exr" "$L/show/sh020/fx_v001.exr" ||
    fail "vendor -> la: fx_v001.exr differs"

# Neither la nor ny can be reached and the job may not be relayed
# through the hub (tests/agent/relay.sh has the relay): the job fails,
# naming the agent that needs a public address.
run 1 "$FERRY" send --from la --to ny --no-relay --wait --state "$HUB" \
    "$L/show/sh030/anim.mov"
err_has "start ny-server with 'ferryd run --public-address ADDR'"
checks=$((checks + 1))
[ ! -e "$N/show/sh030/anim.mov" ] || fail "ny got a file"

# kill -9 of the sending agent mid-job, then a restart: the transfer is
# retried and resumes; the file arrives whole, once.
run 0 "$FERRY" site set hq --bwlimit 4M --state "$HUB"
openssl enc -aes-128-ctr -nosalt -pass pass:la-big -pbkdf2 -iter 1 \
    </dev/zero 2>/dev/null | head -c 16000000 >"$L/show/sh030/big.mov"
run 0 "$FERRY" send --from la --to hq --state "$HUB" "$L/show/sh030/big.mov"
bid=$(tail -n1 "$TMP/out")
wait_file "$S/show/sh030/.big.mov.ferry-part"
sleep 0.5
kill -9 "$LAPID"
wait "$LAPID" 2>/dev/null || true
start_daemon "$TMP/la-server"
wait_linked la-server
run 0 "$FERRY" job "$bid" --wait --state "$HUB"
checks=$((checks + 1))
cmp -s "$L/show/sh030/big.mov" "$S/show/sh030/big.mov" ||
    fail "la -> hq after kill -9 of la: big.mov differs"
run 0 "$FERRY" site set hq --bwlimit 0 --state "$HUB"

# kill -9 of the receiving vendor (which listens) mid-job, then a restart.
run 0 "$FERRY" site set "$V" --bwlimit 4M --state "$HUB"
run 0 "$FERRY" send --from la --to "$V" --state "$HUB" "$L/show/sh030/big.mov"
bid=$(tail -n1 "$TMP/out")
wait_file "$F/show/sh030/.big.mov.ferry-part"
sleep 0.5
kill -9 "$FXPID"
wait "$FXPID" 2>/dev/null || true
start_daemon "$TMP/fx-ws"
wait_linked fx-ws
run 0 "$FERRY" job "$bid" --wait --state "$HUB"
checks=$((checks + 1))
cmp -s "$L/show/sh030/big.mov" "$F/show/sh030/big.mov" ||
    fail "la -> vendor after kill -9 of the vendor: big.mov differs"
run 0 "$FERRY" job "$bid" --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '"\(.state) \(.done_files)/\(.files)"' "$TMP/out")" = "done 1/1" ] ||
    fail "la -> vendor job after the kill: $(cat "$TMP/out")"

# Send pressed twice: two jobs name one destination file. The second
# waits for the first rather than writing beside it, then finds the file
# delivered and unchanged: one copy crosses the wire.
openssl enc -aes-128-ctr -nosalt -pass pass:dup -pbkdf2 -iter 1 \
    </dev/zero 2>/dev/null | head -c 6000000 >"$S/show/sh010/dup.mov"
run 0 "$FERRY" site set la --bwlimit 4M --state "$HUB"
logline=$(wc -l <"$HUB.log")
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/show/sh010/dup.mov"
d1=$(tail -n1 "$TMP/out")
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/show/sh010/dup.mov"
d2=$(tail -n1 "$TMP/out")
run 0 "$FERRY" job "$d1" --wait --state "$HUB"
run 0 "$FERRY" job "$d2" --wait --state "$HUB"
checks=$((checks + 1))
cmp -s "$S/show/sh010/dup.mov" "$L/show/sh010/dup.mov" ||
    fail "dup.mov differs after two sends"
sleep 0.3
wire=$(sed -n "$((logline + 1)),\$p" "$HUB.log" |
    sed -n 's/.* \([0-9]*\) on the wire.*/\1/p' | awk '{ w += $1 } END { print w + 0 }')
checks=$((checks + 1))
[ "$wire" -gt 5000000 ] && [ "$wire" -lt 7000000 ] ||
    fail "two sends of one file moved $wire bytes (one copy expected)"
run 0 "$FERRY" site set la --bwlimit 0 --state "$HUB"

# No data port of any of our daemons is left open (other tests may have
# theirs open at the same time: only our processes count).
for p in $pids; do
	checks=$((checks + 1))
	! ss -ltnpH | grep "pid=$p," | awk '{print $4}' |
	    grep -qE ':(4519[1-9]|4520[0-9]|45210)$' ||
	    fail "a data port is still listening: $(ss -ltnpH | grep "pid=$p,")"
done

stop_and_check
finish
