#!/bin/sh
# Attack: a vendor's reports of running transfers, many times over. A
# hub that starts again (kill -9, then ferryd run: SQLite here, as on a
# failover between two hubs) waits for the two ends of each transfer its
# last run claimed to report it in their hello (hub-adopt.c), and takes
# up to 64 reports a hello. A crafted vendor knows the claimed
# transfer's id without being told it (the last run, which its welcome
# carried, plus one) and links with hellos that report it 64 times each
# as its own, then 64 ids no claim names. Each refused report was
# written to the audit trail (adopt.refused: 64 records a hello, from
# an agent, as often as it links) and each report to the log. The
# refusals must be recorded as every other refusal an agent can repeat
# (once a minute per agent and kind), the log bounded per hello, and
# the real transfer still carried on and done once.
. "${srcdir:-.}/tests/security/lib.sh"
need ip
ip -o addr show lo 2>/dev/null | grep -q "127.0.0.1/8" || {
	echo "SKIP: no 127.0.0.0/8 on lo"; exit 77; }
need openssl
SIZE=12000000
la_ny_direct
enrol_evil vendor
run 0 "$FERRY" site set ny --bwlimit 2M --state "$HUB"
FP_NY=$("$FERRYD" fingerprint --state "$TMP/ny-server" | tail -n1)

# The vendor's welcome names this run.
run 0 "$EVIL" talk "$TMP/vendor" --hold 100
hubrun=$(head -n1 "$TMP/out" | jq -r '.run')
f="$S/show/big.mov"
openssl enc -aes-128-ctr -nosalt -pass pass:big -pbkdf2 -iter 1 \
    </dev/zero 2>/dev/null | head -c "$SIZE" >"$f"
run 0 "$FERRY" send --from la --to ny --state "$HUB" "$f"
id=$(tail -n1 "$TMP/out")
i=0
while :; do
	p="$N/show/.big.mov.ferry-part"
	[ -f "$p" ] && [ "$(stat -c %s "$p")" -ge $((SIZE / 6)) ] && break
	i=$((i + 1)); [ $i -lt 400 ] || { fail "no transfer under way"; break; }
	sleep 0.05
done
xid=$((hubrun + 1))
run 0 sqlite3 "$HUB/hub.db" "SELECT count(*) FROM claims WHERE id = $xid"
out_is 1

kill -9 "$HUBPID"
wait "$HUBPID" 2>/dev/null || true
make_hub_again() {
	start_daemon "$HUB"
	HUBPID=$DPID
}
make_hub_again
wait_grep "listening on" "$HUB.log" || fail "the hub did not start again"

forged=$(jq -cn --argjson x "$xid" --argjson j "$id" --arg ny "$FP_NY" \
    '{op: "hello", name: "vendor", run: 1, running: [range(64) |
	{id: $x, job: $j, role: "send", peer_fp: $ny, done: [0],
	 ended: true, ok: true}]}')
unknown=$(jq -cn --argjson x "$xid" '{op: "hello", name: "vendor", run: 1,
    running: [range(64) | {id: ($x + 1000 + .), job: 1, role: "send"}]}')
lines0=$(wc -l <"$HUB.log")
for k in 1 2 3; do
	run 0 "$EVIL" talk "$TMP/vendor" --first "$forged" --hold 100
	checks=$((checks + 1))
	[ "$(head -n1 "$TMP/out" | jq -c '.adopt')" = "[]" ] ||
	    fail "the hub took the forged reports: $(head -n1 "$TMP/out")"
	run 0 "$EVIL" talk "$TMP/vendor" --first "$unknown" --hold 100
done
audit_has adopt.refused vendor
checks=$((checks + 1))
n=$(jq '[.[] | select(.what == "adopt.refused")] | length' "$TMP/audit")
[ "$n" -le 1 ] ||
    fail "3 hellos wrote $n adopt.refused records (once a minute per agent)"
checks=$((checks + 1))
lines=$(tail -n +"$((lines0 + 1))" "$HUB.log" | grep -c "transfer" || true)
[ "$lines" -le 30 ] ||
    fail "6 hellos wrote $lines log lines about transfers: $(tail -n +"$((lines0 + 1))" "$HUB.log" | grep "transfer" | sort | uniq -c | sort -rn | head -n 4)"

# The real ends carry the transfer on, and it is done once. (About 1 run
# in 5 it was not: the hub, back within the second it had started in,
# began "the same run" and read the ends' reports as its own run's;
# tests/agent/run-restart.sh, hub-ids.c.)
run 0 "$FERRY" job "$id" --wait --state "$HUB"
run 0 "$FERRY" job "$id" --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '.state' "$TMP/out")" = done ] ||
    fail "job $id is not done: $(jq -c '{state, tasks}' "$TMP/out" | cut -c1-300)"
checks=$((checks + 1))
grep -q "transfer $xid (job $id, la-server to ny-server) carries on under this hub" \
    "$HUB.log" ||
    fail "the transfer was not carried on: $(grep "transfer" "$HUB.log" | tail -n 5)"
checks=$((checks + 1))
cmp -s "$f" "$N/show/big.mov" || fail "big.mov differs at ny"
finish
