#!/bin/sh
# The relay through the hub (issue 13): a hub (hq, 127.0.0.1) and two
# site agents that nobody can reach, la (127.0.0.2) and ny (127.0.0.4),
# neither with a public address, and a vendor behind NAT (127.0.0.3). la's every connection to the hub goes
# through relay-tap.py, a hostile relay on the path that sees what the
# hub's relay sees, records it, and flips a byte when told to.
. "${srcdir:-.}/tests/agent/lib.sh"
need openssl
need ip
need ss
need python3
need xxhsum
need curl

for a in 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.9; do
	ip -o addr show lo 2>/dev/null | grep -q "127.0.0.1/8" || {
		echo "SKIP: no 127.0.0.0/8 on lo"; exit 77; }
done

L="$TMP/la-storage" N="$TMP/ny-storage" S="$TMP/hq-storage" T="$TMP/tap"
F="$TMP/vendor-storage" V=vendor@fx.example
mkdir -p "$L/show/sh030" "$N" "$S" "$T" "$F/show/sh030"
head -c 700000 /dev/urandom >"$F/show/sh030/fx_v001.exr"
head -c 2500000 /dev/urandom >"$L/show/sh030/anim.mov"
# A file whose plaintext is easy to find in what the relay carried.
yes "FERRY-RELAY-PLAINTEXT-1b7e4f" | head -c 1000000 >"$L/show/sh030/notes.txt"
openssl enc -aes-128-ctr -nosalt -pass pass:relay-big -pbkdf2 -iter 1 \
    </dev/zero 2>/dev/null | head -c 24000000 >"$L/show/sh030/big.mov"
openssl enc -aes-128-ctr -nosalt -pass pass:relay-mid -pbkdf2 -iter 1 \
    </dev/zero 2>/dev/null | head -c 8000000 >"$L/show/sh030/mid.mov"
# Long enough at the relay-bwlimit (5 s) for the stolen tickets below to be
# tried while its transfer runs, however slowly python starts under load.
openssl enc -aes-128-ctr -nosalt -pass pass:relay-long -pbkdf2 -iter 1 \
    </dev/zero 2>/dev/null | head -c 40000000 >"$L/show/sh030/long.mov"
cat >"$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$S",
  "sites": { "la": { "linux": "$L" }, "ny": { "linux": "$N" },
             "$V": { "linux": "$F" } } } } }
JSON

# same FILE1 FILE2: byte-identical, by xxh3-128 as well as cmp.
same() {
	checks=$((checks + 1))
	cmp -s "$1" "$2" &&
	    [ "$(xxhsum -H2 <"$1" | cut -d' ' -f1)" = "$(xxhsum -H2 <"$2" | cut -d' ' -f1)" ] ||
	    fail "$2 differs from $1"
}

# A hub whose relay is capped at 8 MiB/s; failed tasks come back after
# 1 s, 3 attempts at most.
"$FERRYD" init --hub --site hq --listen "127.0.0.1:$port" --state "$HUB" \
    >/dev/null || fail "ferryd init failed"
printf 'retry-base 1\nretry-limit 3\nrelay-bwlimit 8M\n' >>"$HUB/ferryd.conf"
# The status page's /metrics counts what was relayed.
webport=$(free_port 1)
openssl rand -hex 24 >"$TMP/web.token"
chmod 600 "$TMP/web.token"
printf 'web 127.0.0.1:%s\nweb-token-file %s\n' "$webport" "$TMP/web.token" \
    >>"$HUB/ferryd.conf"
start_daemon "$HUB"
HUBPID=$DPID

# la reaches the hub through the tap, from its own address.
tport=$(free_port 2)
python3 "$srcdir/tests/agent/relay-tap.py" 127.0.0.2 "$tport" 127.0.0.1 \
    "$port" "$T" 600 2>"$TMP/tap.log" &
TAPPID=$!
pids="$pids $TAPPID"
i=0
until ss -ltnH "sport = :$tport" | grep -q .; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "the tap did not start"; sleep 0.1
done

# enrol NAME ADDR HUBADDR SITE: an agent on ADDR with no public address.
enrol() {
	code=$("$FERRY" invite --site "$4" --state "$HUB" | tail -n1)
	"$FERRYD" enroll "$3" "$code" --state "$TMP/$1" --name "$1" \
	    --source-address "$2" >/dev/null || fail "enrolling $1 failed"
	start_daemon "$TMP/$1"
	wait_linked "$1"
}
enrol la-server 127.0.0.2 "127.0.0.2:$tport" la
LAPID=$DPID
enrol ny-server 127.0.0.4 "127.0.0.1:$port" ny
NYPID=$DPID
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"

# 1. la -> ny: neither can be reached, the hub relays; the files arrive
# whole, and the plaintext never crossed the relay.
run 0 "$FERRY" send --from la --to ny --wait --state "$HUB" \
    "$L/show/sh030/anim.mov" "$L/show/sh030/notes.txt"
same "$L/show/sh030/anim.mov" "$N/show/sh030/anim.mov"
same "$L/show/sh030/notes.txt" "$N/show/sh030/notes.txt"
checks=$((checks + 1))
grep -q "la-server to ny-server through the hub's relay" "$HUB.log" ||
    fail "the hub did not say it relayed: $(tail -5 "$HUB.log")"
# The job (the hub's first) says it went through the relay, and how much.
run 0 "$FERRY" job 1 --state "$HUB"
out_has "through the hub's relay: "
# The splice counts a stream's bytes when it closes, which may be just
# after the job is done: wait for them (5 s at most).
i=0
while "$FERRY" job 1 --json --state "$HUB" >"$TMP/out" &&
    [ "$(jq '.relayed_bytes // 0' "$TMP/out")" -le 3500000 ] && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
checks=$((checks + 1))
[ "$(jq '.relayed_bytes' "$TMP/out")" -gt 3500000 ] ||
    fail "job 1's relayed_bytes: $(cat "$TMP/out")"
checks=$((checks + 1))
relayed=$(curl -sf -H "Authorization: Bearer $(cat "$TMP/web.token")" \
    "http://127.0.0.1:$webport/metrics" | sed -n 's/^ferry_relayed_bytes_total //p')
[ "${relayed:-0}" -gt 3500000 ] ||
    fail "/metrics: ferry_relayed_bytes_total ${relayed:-missing}"
checks=$((checks + 1))
tapped=$(wc -c <"$T/tap")
[ "$tapped" -gt 3500000 ] ||
    fail "the tap saw $tapped bytes: the data did not go through the relay"
checks=$((checks + 1))
! grep -q "FERRY-RELAY-PLAINTEXT" "$T/tap" ||
    fail "the relay carried the plaintext of notes.txt"
checks=$((checks + 1))
! grep -a -q "anim.mov" "$T/tap" || fail "the relay carried a file name in clear"
checks=$((checks + 1))
[ "$(wc -l <"$T/tickets")" -eq 2 ] ||
    fail "la presented $(wc -l <"$T/tickets") relay tickets, not 2"

# A vendor behind NAT (127.0.0.3, no public address either), with a
# grant: la sends it a shot through the relay, and it publishes back.
code=$("$FERRY" invite --user "$V" --clearance restricted --state "$HUB" | tail -n1)
"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/fx-ws" --name fx-ws \
    --source-address 127.0.0.3 >/dev/null || fail "enrolling fx-ws failed"
start_daemon "$TMP/fx-ws"
wait_linked fx-ws
run 0 "$FERRY" acl set "$V" storage:show/sh030 write --state "$HUB"
run 0 "$FERRY" send --from la --to "$V" --wait --state "$HUB" \
    "$L/show/sh030/anim.mov"
same "$L/show/sh030/anim.mov" "$F/show/sh030/anim.mov"
run 0 "$FERRY" send --from "$V" --to la --wait --state "$HUB" \
    "$F/show/sh030/fx_v001.exr"
same "$F/show/sh030/fx_v001.exr" "$L/show/sh030/fx_v001.exr"
checks=$((checks + 1))
grep -q "fx-ws to la-server through the hub's relay" "$HUB.log" ||
    fail "the vendor's publish was not relayed: $(tail -5 "$HUB.log")"

# stranger FROM TICKET: a relay hello from FROM to the hub's port; prints
# how many bytes the hub answered before closing (0: nothing).
stranger() {
	python3 - "$1" "$2" "$port" <<'PY'
import socket, sys
src, ticket, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port), source_address=(src, 0))
s.sendall(b"FERRYRL1" + bytes.fromhex(ticket))
s.settimeout(20)
got = b""
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        got += d
except OSError:
    pass
print(len(got))
PY
}

# 2. A stolen ticket, during a relayed transfer: from another address, and
# from la's own address once la has joined with it; a guessed one. Each
# gets nothing, and the transfer goes on undisturbed. One stream, so that
# once data flows la has used its ticket's every connection: a striped
# transfer (40 MB is striped) may still be opening its streams, and a slot
# not yet taken is open to la's own address (docs/security.md).
run 0 "$FERRY" send --from la --to ny --streams 1 --state "$HUB" "$L/show/sh030/long.mov"
mid=$(tail -n1 "$TMP/out")
wait_file "$N/show/sh030/.long.mov.ferry-part"
ticket=$(tail -n1 "$T/tickets")
# The three at once: one after the other, python's start under load
# took longer than the transfer.
stranger 127.0.0.9 "$ticket" >"$TMP/stolen-9" &
s1=$!
stranger 127.0.0.2 "$ticket" >"$TMP/stolen-2" &
s2=$!
stranger 127.0.0.9 "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
    >"$TMP/guessed" &
s3=$!
wait "$s1" "$s2" "$s3"
for from in 9 2; do
	checks=$((checks + 1))
	got=$(cat "$TMP/stolen-$from")
	[ "$got" = 0 ] || fail "a stolen ticket from 127.0.0.$from got $got bytes"
done
checks=$((checks + 1))
[ "$(cat "$TMP/guessed")" = 0 ] || fail "a guessed ticket got $(cat "$TMP/guessed") bytes"
checks=$((checks + 1))
[ -e "$N/show/sh030/long.mov" ] &&
    fail "long.mov arrived before the stolen tickets were all tried"
run 0 "$FERRY" job "$mid" --wait --state "$HUB"
same "$L/show/sh030/long.mov" "$N/show/sh030/long.mov"
run 0 "$FERRY" audit --json --state "$HUB"
checks=$((checks + 1))
jq -e '[.[] | select(.what == "relay.refused")] | length >= 2' "$TMP/out" \
    >/dev/null || fail "no relay.refused records: $(cat "$TMP/out")"
checks=$((checks + 1))
grep -q "relay connection from 127.0.0.9 refused: a ticket presented from another address" \
    "$HUB.log" || fail "the hub's log does not say why 127.0.0.9 was refused"
checks=$((checks + 1))
grep -q "relay connection from 127.0.0.2 refused: a ticket presented more times" \
    "$HUB.log" || fail "the hub's log does not say why la's address was refused"

# 3. The relay-bwlimit: 24 MB at 8 MiB/s take 2.5 s at least. kill -9 of
# the receiving agent mid-transfer: retried once it is back, resumed.
t0=$(date +%s.%N)
run 0 "$FERRY" send --from la --to ny --state "$HUB" "$L/show/sh030/big.mov"
bid=$(tail -n1 "$TMP/out")
wait_file "$N/show/sh030/.big.mov.ferry-part"
# Under valgrind (check-valgrind) the first bytes take longer to come.
i=0
while [ "$(stat -c %s "$N/show/sh030/.big.mov.ferry-part" 2>/dev/null ||
    echo 0)" -eq 0 ] && [ $i -lt "$(slow 0)" ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.7
kill -9 "$NYPID"
wait "$NYPID" 2>/dev/null || true
checks=$((checks + 1))
part=$(stat -c %s "$N/show/sh030/.big.mov.ferry-part" 2>/dev/null || echo 0)
[ "$part" -gt 0 ] && [ "$part" -lt 24000000 ] ||
    fail "no partial file at the kill ($part bytes)"
start_daemon "$TMP/ny-server"
NYPID=$DPID
wait_linked ny-server
run 0 "$FERRY" job "$bid" --wait --state "$HUB"
t1=$(date +%s.%N)
same "$L/show/sh030/big.mov" "$N/show/sh030/big.mov"
checks=$((checks + 1))
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 2.5) }' ||
    fail "24 MB relayed in $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s: no cap"
# The attempt that finished sent only what ny did not hold.
checks=$((checks + 1))
wire=$(grep "la-server: transfer [0-9]* done" "$HUB.log" | tail -n1 |
    sed -n 's/.* \([0-9]*\) on the wire.*/\1/p')
[ -n "$wire" ] && [ "$wire" -le $((24000000 - part + 65536)) ] ||
    fail "big.mov was not resumed: ${wire:-?} bytes on the wire after $part held"
run 0 "$FERRY" job "$bid" --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '"\(.state) \(.done_files)/\(.files)"' "$TMP/out")" = "done 1/1" ] ||
    fail "big.mov's job after the kill: $(cat "$TMP/out")"

# kill -9 of the hub itself mid-transfer: the agents lose the relay and
# their links; the restarted hub queues the task again, relays anew, and
# the file resumes.
rm -f "$N/show/sh030/big.mov"
run 0 "$FERRY" send --from la --to ny --state "$HUB" "$L/show/sh030/big.mov"
hid=$(tail -n1 "$TMP/out")
wait_file "$N/show/sh030/.big.mov.ferry-part"
sleep 0.7
kill -9 "$HUBPID"
wait "$HUBPID" 2>/dev/null || true
hl=$(wc -l <"$HUB.log")
start_daemon "$HUB"
HUBPID=$DPID
wait_linked la-server
wait_linked ny-server
run 0 "$FERRY" job "$hid" --wait --state "$HUB"
same "$L/show/sh030/big.mov" "$N/show/sh030/big.mov"
checks=$((checks + 1))
sed -n "$((hl + 1)),\$p" "$HUB.log" |
    grep -q "la-server to ny-server through the hub's relay" ||
    fail "the restarted hub did not relay: $(tail -5 "$HUB.log")"

# Since agents learn the hub's own address (docs/operations.md, "What
# agents learn"), la may have come back from the hub's kill by that
# address rather than through the tap, and a tap it bypasses cannot
# tamper: a fresh start begins with ferryd.conf's hub, the tap.
kill "$LAPID"
wait "$LAPID" 2>/dev/null || true
start_daemon "$TMP/la-server"
LAPID=$DPID
wait_linked la-server
checks=$((checks + 1))
"$FERRY" status --json --state "$TMP/la-server" | jq -e --arg t \
    "127.0.0.2:$tport" '.hub == $t' >/dev/null ||
    fail "la is not linked through the tap"

# 4. The relay flips a byte of la's ciphertext: ny's TLS refuses the
# record, the transfer fails and is retried; the file arrives whole.
rm -f "$N/show/sh030/mid.mov"
echo 1000000 >"$T/tamper"
run 0 "$FERRY" send --from la --to ny --wait --state "$HUB" "$L/show/sh030/mid.mov"
checks=$((checks + 1))
[ -f "$T/tampered" ] || fail "the tap never tampered"
same "$L/show/sh030/mid.mov" "$N/show/sh030/mid.mov"
checks=$((checks + 1))
grep -q -i "bad record mac\|decrypt" "$TMP/ny-server.log" ||
    fail "ny did not see the altered record: $(tail -5 "$TMP/ny-server.log")"

# 5. The relay off for a site, then for a job: the old refusal, with a
# message that says which, and an audit record.
run 0 "$FERRY" site set ny --relay off --state "$HUB"
out_has "relay through the hub off"
run 1 "$FERRY" send --from la --to ny --state "$HUB" "$L/show/sh030/anim.mov"
err_has "the relay through the hub is off for ny ('ferry site set ny --relay on' allows it)"
err_has "start ny-server with 'ferryd run --public-address ADDR'"
run 0 "$FERRY" site set ny --relay on --state "$HUB"
run 1 "$FERRY" send --from la --to ny --no-relay --state "$HUB" \
    "$L/show/sh030/anim.mov"
err_has "this job may not be relayed through the hub (--no-relay)"
run 0 "$FERRY" audit --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq '[.[] | select(.what == "relay.off")] | length' "$TMP/out")" -ge 2 ] ||
    fail "no relay.off records: $(cat "$TMP/out")"
checks=$((checks + 1))
jq -e '[.[] | select(.what == "relay.off") | .detail | tostring |
    select(test("--no-relay"))] | length >= 1' "$TMP/out" >/dev/null ||
    fail "the job's relay.off record does not say why: $(cat "$TMP/out")"

# 6. Turned off after submission (ny was away, so nothing could refuse
# it then): the dispatcher refuses it with the same message and record.
kill "$NYPID"
wait "$NYPID" 2>/dev/null || true
wait_unlinked ny-server
rm -f "$N/show/sh030/anim.mov"
run 0 "$FERRY" send --from la --to ny --state "$HUB" "$L/show/sh030/anim.mov"
late=$(tail -n1 "$TMP/out")
run 0 "$FERRY" site set la --relay off --state "$HUB"
start_daemon "$TMP/ny-server"
NYPID=$DPID
wait_linked ny-server
run 1 "$FERRY" job "$late" --wait --state "$HUB"
run 0 "$FERRY" job "$late" --json --state "$HUB"
checks=$((checks + 1))
grep -q "the relay through the hub is off for la" "$TMP/out" ||
    fail "the late job's error: $(cat "$TMP/out")"
checks=$((checks + 1))
[ ! -e "$N/show/sh030/anim.mov" ] || fail "ny got a file with the relay off"
run 0 "$FERRY" site set la --relay on --state "$HUB"

# Bad switch values are refused by the CLI.
run 2 "$FERRY" site set ny --relay maybe --state "$HUB"
err_has "--relay: on or off, not maybe"

stop_and_check
finish
