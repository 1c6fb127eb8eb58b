#!/bin/sh
# kill -9 during a held start (agent/hub-dispatch.h, "held": the rows stay
# queued for the transfer's first second or two). jobs.sh kills the hub
# and the agent once the start is written; here within its first half
# second. The hub's kill: the restarted hub finds the tasks queued and
# runs them again, every file arrives whole, no attempt is counted, and
# the job's counters add up (done, every task done with its started
# time). la's kill: the transfer fails, the failure is counted on the
# tasks it cut (the held start written first), and la's restart brings
# the job to done.
. "${srcdir:-.}/tests/agent/lib.sh"
need sqlite3
need openssl

S="$TMP/hq-storage"
L="$TMP/la-storage"
mkdir -p "$S/a" "$S/b" "$L"
gen() { openssl enc -aes-128-ctr -nosalt -pass "pass:$1" -pbkdf2 -iter 1 \
    </dev/zero 2>/dev/null | head -c "$2"; }
for d in a b; do
	gen "$d" 6000000 >"$S/$d/big.mov"
	i=0
	while [ $i -lt 50 ]; do
		printf '%s %d\n' "$d" $i >"$S/$d/f$i"
		i=$((i + 1))
	done
done
hub_and_la "$S" "$L"
run 0 "$FERRY" site set la --bwlimit 2M --state "$HUB"
q() { sqlite3 "$HUB/hub.db" "$1"; }

# job_sums ID ATTEMPTS: the job done, its counters and its tasks agree.
job_sums() {
	checks=$((checks + 1))
	got=$(q "SELECT j.state, j.n_queued, j.n_running, j.n_done,
	    (SELECT count(*) FROM tasks WHERE job_id = j.id AND state = 'done'
	    AND started IS NOT NULL AND started <= finished),
	    (SELECT count(*) FROM tasks WHERE job_id = j.id)
	    FROM jobs j WHERE j.id = $1")
	[ "$got" = "done|0|0|51|51|51" ] || fail "job $1: $got"
	run 0 "$FERRY" jobs --json --state "$HUB"
	checks=$((checks + 1))
	got=$(jq -r ".[] | select(.id == $1) |
	    \"\(.state) \(.done_files)/\(.files)\"" "$TMP/out")
	[ "$got" = "done 51/51" ] || fail "jobs --json, job $1: $got"
	checks=$((checks + 1))
	got=$(q "SELECT sum(attempts) FROM tasks WHERE job_id = $1")
	[ "$2" = any ] || [ "$got" = "$2" ] ||
	    fail "job $1: $got attempts counted, not $2"
}

# The hub killed while the start is held.
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/a"
ja=$(tail -n1 "$TMP/out")
sleep 0.4
checks=$((checks + 1))
[ "$(q "SELECT count(*) FROM tasks WHERE job_id = $ja AND state = 'running'")" = 0 ] ||
    fail "job $ja's start was written within 0.4 s: the hold was not tested"
kill -9 "$HUBPID"
wait "$HUBPID" 2>/dev/null || true
start_daemon "$HUB"
HUBPID=$DPID
wait_linked la-server
run 0 "$FERRY" job "$ja" --wait --state "$HUB"
checks=$((checks + 1))
diff -r "$S/a" "$L/a" >/dev/null || fail "la's a/ differs"
job_sums "$ja" 0

# la killed while the start is held.
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/b"
jb=$(tail -n1 "$TMP/out")
sleep 0.4
kill -9 "$APID"
wait "$APID" 2>/dev/null || true
sleep 1
checks=$((checks + 1))
got=$(q "SELECT count(*) FROM tasks WHERE job_id = $jb AND attempts > 0")
[ "$got" -ge 1 ] || fail "la's death counted no attempt: $(q \
    "SELECT state, count(*), sum(attempts) FROM tasks WHERE job_id = $jb
    GROUP BY state")"
start_daemon "$TMP/la-server"
APID=$DPID
run 0 "$FERRY" job "$jb" --wait --state "$HUB"
checks=$((checks + 1))
diff -r "$S/b" "$L/b" >/dev/null || fail "la's b/ differs"
job_sums "$jb" any
checks=$((checks + 1))
[ -z "$(find "$L" -name '.*ferry-*')" ] || fail "partial files left at la"

stop_and_check
finish
