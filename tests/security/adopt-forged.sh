#!/bin/sh
# Attack: a forged "I am running transfer X" after a failover (issue 17).
# A new active hub takes over a transfer between two agents when both
# report it in their hello (hub-adopt.c). A crafted agent (an enrolled
# vendor, no end of the transfer) links to the new hub first, with a
# hello that reports the transfer as its own, as the sender (every file
# delivered, the transfer ended well) and as the receiver, naming the
# real other end's key. If the hub believed it, the task would be done
# with no file delivered. The hub must refuse both reports (not in its
# welcome's "adopt", audited adopt.refused), leave the task running,
# and take the transfer over from its real ends, which finish it: done
# once, the file identical at ny.
. "${srcdir:-.}/tests/security/lib.sh"
. "${srcdir:-.}/tests/pg/lib.sh"
need jq
need openssl
SIZE=24000000

pg_two_hubs

two_sites "$A"
enrol_agent la la-server
LA=$APID
enrol_agent ny ny-server
NY=$APID
enrol_evil vendor
kill "$LA" "$NY"
wait "$LA" "$NY" 2>/dev/null || true
echo "hub-standby 127.0.0.2:$port" >>"$TMP/la-server/ferryd.conf"
echo "source-address 127.0.0.4" >>"$TMP/la-server/ferryd.conf"
printf 'hub-standby 127.0.0.2:%s\nsource-address 127.0.0.3\npublic-address 127.0.0.3\n' \
    "$port" >>"$TMP/ny-server/ferryd.conf"
start_daemon "$TMP/la-server"
start_daemon "$TMP/ny-server"
wait_linked la-server
wait_linked ny-server
run 0 "$FERRY" site set ny --bwlimit 3M --state "$A"
FP_LA=$("$FERRYD" fingerprint --state "$TMP/la-server" | tail -n1)
FP_NY=$("$FERRYD" fingerprint --state "$TMP/ny-server" | tail -n1)

f="$S/show/big.mov"
openssl enc -aes-128-ctr -nosalt -pass pass:big -pbkdf2 -iter 1 \
    </dev/zero 2>/dev/null | head -c "$SIZE" >"$f"
run 0 "$FERRY" send --from la --to ny --state "$A" "$f"
id=$(tail -n1 "$TMP/out")
i=0
while :; do
	p=$(find "$N" -name ".big.mov.ferry-part" 2>/dev/null || true)
	[ -n "$p" ] && [ "$(stat -c %s "$p")" -ge $((SIZE / 4)) ] && break
	i=$((i + 1)); [ $i -lt 400 ] || { fail "no transfer under way"; break; }
	sleep 0.05
done
run 0 pg_psql "SELECT id FROM claims WHERE job_id = $id"
xid=$(cat "$TMP/out")
[ -n "$xid" ] || fail "no claim on job $id's transfer"

# The hub dies; the crafted agent is at B the moment it is active.
kill -9 "$pid_A"
wait "$pid_A" 2>/dev/null || true
i=0
until grep -q "listening on 127.0.0.2:$port" "$B.log"; do
	i=$((i + 1)); [ $i -lt 300 ] || { fail "B did not take over"; break; }
	sleep 0.02
done
sed -i "s/^hub .*/hub 127.0.0.2:$port/" "$TMP/vendor/ferryd.conf"
hello=$(jq -cn --argjson x "$xid" --argjson j "$id" --arg ny "$FP_NY" \
    --arg la "$FP_LA" '{op: "hello", name: "vendor", run: 1, running: [
	{id: $x, job: $j, role: "send", peer_fp: $ny, bytes: 24000000,
	 done: [0], ended: true, ok: true},
	{id: $x, job: $j, role: "recv", peer_fp: $la, bytes: 24000000,
	 ended: true, ok: true}]}')
run 0 "$EVIL" talk "$TMP/vendor" --first "$hello" --hold 500
checks=$((checks + 1))
[ "$(head -n1 "$TMP/out" | jq -c '.adopt')" = "[]" ] ||
    fail "the hub took the forged reports: $(head -n1 "$TMP/out")"
HUB=$B
audit_has adopt.refused vendor
# The task is not done by its word: the real transfer still runs.
run 0 pg_psql "SELECT state FROM tasks WHERE job_id = $id"
out_is "running"

# The real ends report it, and finish it, once.
run 0 "$FERRY" job "$id" --wait --state "$B"
checks=$((checks + 1))
grep -q "transfer $xid (job $id, la-server to ny-server) carries on under this hub" \
    "$B.log" || fail "B did not take the transfer over from la and ny: $(grep "transfer" "$B.log" | tail -n 5)"
checks=$((checks + 1))
cmp -s "$f" "$N/show/big.mov" || fail "big.mov differs at ny"
run 0 pg_psql "SELECT count(*) FROM notices WHERE kind = 'job' AND job_id = $id"
out_is "1"
finish
