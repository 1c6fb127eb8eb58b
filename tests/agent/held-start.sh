#!/bin/sh
# A transfer's start is held in memory while it runs (agent/hub-dispatch.h,
# "held"): its tasks' rows stay queued and go queued -> done in one write
# when it ends within a second or two (a no-op re-send), and are written
# running as before once anything else needs them. Here: a re-send that
# finds everything at la leaves every task done with the time it started;
# a slow transfer shows running within the hold's bound; and another
# job's task for the same file does not start while the first one's start
# is held (the walk keeps two tasks off one destination by its running
# rows, which a held start has not written yet).
. "${srcdir:-.}/tests/agent/lib.sh"
need sqlite3
need openssl

S="$TMP/hq-storage"
L="$TMP/la-storage"
mkdir -p "$S/small" "$L"
i=0
while [ $i -lt 300 ]; do
	printf 'file %d\n' $i >"$S/small/f$i"
	i=$((i + 1))
done
openssl enc -aes-128-ctr -nosalt -pass pass:held -pbkdf2 -iter 1 </dev/zero \
    2>/dev/null | head -c 6000000 >"$S/big.mov"
hub_and_la "$S" "$L"
q() { sqlite3 "$HUB/hub.db" "$1"; }

# The first send writes 300 files; the second finds them all there.
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/small"
first=$(tail -n1 "$TMP/out")
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/small"
again=$(tail -n1 "$TMP/out")
checks=$((checks + 1))
diff -r "$S/small" "$L/small" >/dev/null || fail "la's copy differs"
for id in "$first" "$again"; do
	checks=$((checks + 1))
	got=$(q "SELECT state, count(*), sum(started IS NULL),
	    sum(started > finished), sum(attempts) FROM tasks
	    WHERE job_id = $id GROUP BY state")
	[ "$got" = "done|300|0|0|0" ] || fail "job $id's tasks: $got"
	checks=$((checks + 1))
	got=$(q "SELECT state, n_queued, n_running, n_done FROM jobs
	    WHERE id = $id")
	[ "$got" = "done|0|0|300" ] || fail "job $id: $got"
done

# A slow transfer: 6 MB at 1 MB/s. Within the hold's bound (one to two
# seconds) and a margin, its task's row says running.
run 0 "$FERRY" site set la --bwlimit 1M --state "$HUB"
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/big.mov"
a=$(tail -n1 "$TMP/out")
# At once, another job for the same file to the same place, ahead of it
# in the queue (a walk reading the held row first keeps the second off
# that file by the walk's own bookkeeping alone).
run 0 "$FERRY" send --from hq --to la --priority 900 --state "$HUB" \
    "$S/big.mov"
b=$(tail -n1 "$TMP/out")
i=0
until [ "$(q "SELECT state FROM tasks WHERE job_id = $a")" = running ] ||
    [ $i -ge "$(slow 40)" ]; do
	sleep 0.1
	i=$((i + 1))
done
checks=$((checks + 1))
[ "$(q "SELECT tasks.state || ' ' || n_running FROM tasks JOIN jobs
    ON jobs.id = job_id WHERE job_id = $a")" = "running 1" ] ||
    fail "job $a after 4 s: $(q "SELECT * FROM tasks WHERE job_id = $a")"
run 0 "$FERRY" job "$b" --wait --state "$HUB"
run 0 "$FERRY" job "$a" --wait --state "$HUB"
checks=$((checks + 1))
cmp -s "$S/big.mov" "$L/big.mov" || fail "big.mov differs"
# The second job's task started once the first one's had finished.
checks=$((checks + 1))
got=$(q "SELECT (SELECT started FROM tasks WHERE job_id = $b) >=
    (SELECT finished FROM tasks WHERE job_id = $a)")
[ "$got" = 1 ] ||
    fail "both wrote big.mov at once: $(q "SELECT job_id, state, started, finished FROM tasks WHERE job_id IN ($a, $b)")"
checks=$((checks + 1))
[ -z "$(find "$L" -name '.*ferry-*')" ] || fail "partial files left at la"

stop_and_check
finish
