#!/bin/sh
# Two hubs on one PostgreSQL store (docs/operations.md, "Active and
# standby"): the second is a copy of the first's state directory (the
# same key, hub.secret and ferryd.conf) and waits, without a control
# port, while the first holds the store's lease. Agents la and ny, a job
# between them in flight; kill -9 of the active hub: the standby takes
# over within 10 s on the same address, the agents come back, and the
# job is done once. Then a new job runs on the new active hub.
. "${srcdir:-.}/tests/agent/lib.sh"
. "${srcdir:-.}/tests/pg/lib.sh"
need ss
need openssl

pg_start
HUB_INIT="--store $PG_URL --store-password-file $PG_PASSFILE"
make_hub
HUB1=$HUBPID
B="$TMP/hub-b"
cp -a "$HUB" "$B"
rm -f "$B/ferryd.sock" "$B/ferryd.lock" "$B"/*.pid 2>/dev/null || true
start_daemon "$B"
HUB2=$DPID
sleep 2
checks=$((checks + 1))
grep -q "standby: another hub is active" "$B.log" ||
    fail "the second hub is not waiting as the standby: $(cat "$B.log")"
run 0 "$FERRY" status --state "$HUB"
out_has "^store: PostgreSQL; this hub is active" "ferry status names the active hub"
run 0 "$FERRY" status --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '"\(.store) \(.hub_state)"' "$TMP/out")" = "postgresql active" ] ||
    fail "status of the active hub: $(cat "$TMP/out")"

two_sites "$HUB"
enrol_agent la la-server
enrol_agent ny ny-server

openssl enc -aes-128-ctr -nosalt -pass pass:sb -pbkdf2 -iter 1 </dev/zero \
    2>/dev/null | head -c 12000000 >"$S/show/big.mov"
run 0 "$FERRY" site set ny --bwlimit 3M --state "$HUB"
run 0 "$FERRY" send --from la --to ny --state "$HUB" "$S/show/big.mov"
id=$(tail -n1 "$TMP/out")
wait_file "$N/show/.big.mov.ferry-part"
sleep 0.5
kill -9 "$HUB1"
wait "$HUB1" 2>/dev/null || true
t0=$(date +%s%N)
# From now on the hub is B: wait_linked and ferry ask it.
HUB=$B
wait_linked la-server
wait_linked ny-server
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
echo "standby took over, agents linked again, in $ms ms" >&2
checks=$((checks + 1))
[ "$ms" -lt 10000 ] || fail "takeover took $ms ms (more than 10 s)"
checks=$((checks + 1))
grep -q "active: this hub holds the store's lease now" "$B.log" ||
    fail "the standby did not say it took over"
run 0 "$FERRY" job "$id" --wait --state "$B"
checks=$((checks + 1))
cmp -s "$S/show/big.mov" "$N/show/big.mov" || fail "big.mov differs at ny"
run 0 pg_psql "SELECT state || ' ' || n_tasks || ' ' || n_done FROM jobs WHERE id = $id"
out_is "done 1 1"
run 0 pg_psql "SELECT count(*) FROM notices WHERE kind = 'job' AND job_id = $id"
out_is "1"

# The new active hub takes new work.
run 0 "$FERRY" site set ny --bwlimit 0 --state "$B"
echo after >"$S/show/after.txt"
run 0 "$FERRY" send --from la --to ny --wait --state "$B" "$S/show/after.txt"
checks=$((checks + 1))
cmp -s "$S/show/after.txt" "$N/show/after.txt" || fail "after.txt not delivered by the new hub"

stop_and_check
finish
