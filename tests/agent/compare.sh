#!/bin/sh
# A send that finds its files at the receiver (docs/agent.md, "A send
# that finds its files there"): the hub asks la which of the files it
# lists la holds already, by the receiver's own quick check (size and
# mtime), and stores those done without a transfer. What differs (new
# content, another size or mtime, missing, a symlink in its place) is
# sent as always; with la away, the job waits for it as before, and
# while it waits (paused) no other send to la is answered from la;
# compare-first 0 in the hub's ferryd.conf turns the asking off.
. "${srcdir:-.}/tests/agent/lib.sh"
need sqlite3

S="$TMP/hq-storage" L="$TMP/la-storage"
mkdir -p "$S/show/sh010/plates" "$S/show/sh020" "$L"
for i in 1 2 3 4 5 6; do
	echo "frame $i of sh010" >"$S/show/sh010/plates/f$i.exr"
done
echo "sh020's comp" >"$S/show/sh020/comp.mov"
hub_and_la "$S" "$L"
q() { hub_q "$1"; }
# transfers JOB: how many transfers the hub started for JOB.
transfers() { grep -c "transfer [0-9]* (job $1)" "$HUB.log" || true; }

run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/show"
j1=$(q "SELECT max(id) FROM jobs")
checks=$((checks + 1))
[ "$(transfers "$j1")" -ge 1 ] || fail "job $j1 (a first send) ran no transfer"

# All there: the job is done at once, with no transfer at all.
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/show"
j2=$(q "SELECT max(id) FROM jobs")
log_has "$HUB.log" "job $j2: 7 of its files found at la already, not sent"
checks=$((checks + 1))
[ "$(transfers "$j2")" = 0 ] || fail "job $j2 ran $(transfers "$j2") transfer(s)"
checks=$((checks + 1))
[ "$(q "SELECT state, n_tasks, n_done, n_queued, bytes_done = bytes_total
    FROM jobs WHERE id = $j2")" = "done|7|7|0|1" ] ||
    fail "job $j2: $(q "SELECT state, n_tasks, n_done, n_queued, bytes_done,
    bytes_total FROM jobs WHERE id = $j2")"
checks=$((checks + 1))
[ "$(q "SELECT count(*) FROM tasks WHERE job_id = $j2 AND state = 'done'
    AND started IS NOT NULL AND finished IS NOT NULL
    AND bytes_done = size")" = 7 ] || fail "job $j2's tasks are not all done"
run 0 "$FERRY" jobs --state "$HUB"
out_has "^ *$j2 .*done" "ferry jobs shows job $j2 done"

# Differences at la: new content of another size at hq; the same size
# but another mtime; one missing at la; a symlink where a file was (to a
# copy with the right size and mtime: never followed); a directory of the
# file's name. Same size, same mtime, other bytes: the quick check takes
# it as there (as rsync's does), so it stays.
echo "frame 1 of sh010, v2, longer" >"$S/show/sh010/plates/f1.exr"
touch -d '2021-06-01 12:00:00.5' "$L/show/sh010/plates/f2.exr"
rm "$L/show/sh010/plates/f3.exr"
cp -p "$S/show/sh010/plates/f4.exr" "$TMP/f4-copy"
rm "$L/show/sh010/plates/f4.exr"
ln -s "$TMP/f4-copy" "$L/show/sh010/plates/f4.exr"
printf 'frame 6 of sh01X\n' >"$TMP/f6"
touch -r "$L/show/sh010/plates/f6.exr" "$TMP/f6"
cp -p "$TMP/f6" "$L/show/sh010/plates/f6.exr"
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/show"
j3=$(q "SELECT max(id) FROM jobs")
# Found: f5, f6 and comp.mov; f4's symlink is not followed.
log_has "$HUB.log" "job $j3: 3 of its files found at la already, not sent"
for f in f1 f2 f3 f5; do
	checks=$((checks + 1))
	cmp -s "$S/show/sh010/plates/$f.exr" "$L/show/sh010/plates/$f.exr" ||
	    fail "$f.exr was not sent again"
done
checks=$((checks + 1))
[ "$(cat "$L/show/sh010/plates/f6.exr")" = "frame 6 of sh01X" ] ||
    fail "f6.exr (same size and mtime) was sent: the quick check changed"
checks=$((checks + 1))
[ "$(transfers "$j3")" -ge 1 ] || fail "job $j3 ran no transfer"

# la away: the hub does not wait for it; the job is stored queued and
# runs once la is back.
kill "$APID"; wait "$APID" 2>/dev/null || true
wait_unlinked la-server
echo "sh020's comp, v2" >"$S/show/sh020/comp.mov"
run 0 "$FERRY" send --from hq --to la --state "$HUB" "$S/show/sh020"
j4=$(tail -n1 "$TMP/out")
checks=$((checks + 1))
[ "$(q "SELECT n_done FROM jobs WHERE id = $j4")" = 0 ] ||
    fail "job $j4 has files done while la was away"
# Paused, job 4 still has a file to bring to la: a send now is not
# answered from what la holds (job 4's version would land after it).
run 0 "$FERRY" pause "$j4" --state "$HUB"
start_daemon "$TMP/la-server"
wait_linked la-server
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" \
    "$S/show/sh010/plates"
j5=$(q "SELECT max(id) FROM jobs")
checks=$((checks + 1))
! grep -q "job $j5: .* found at" "$HUB.log" ||
    fail "job $j5 was answered from la while job $j4 was paused"
checks=$((checks + 1))
[ "$(transfers "$j5")" -ge 1 ] || fail "job $j5 ran no transfer"
run 0 "$FERRY" resume "$j4" --state "$HUB"
until_settled "$j4"
checks=$((checks + 1))
cmp -s "$S/show/sh020/comp.mov" "$L/show/sh020/comp.mov" ||
    fail "comp.mov v2 did not arrive after la came back"

# compare-first 0: the hub asks nothing; the receiver skips, as before.
kill "$HUBPID"; wait "$HUBPID" 2>/dev/null || true
echo "compare-first 0" >>"$HUB/ferryd.conf"
start_daemon "$HUB"
HUBPID=$DPID
wait_linked la-server
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/show"
j6=$(q "SELECT max(id) FROM jobs")
checks=$((checks + 1))
! grep -q "job $j6: .* found at" "$HUB.log" ||
    fail "job $j6 was answered from la with compare-first 0"
checks=$((checks + 1))
[ "$(transfers "$j6")" -ge 1 ] || fail "job $j6 ran no transfer"
checks=$((checks + 1))
[ "$(q "SELECT state FROM jobs WHERE id = $j6")" = done ] ||
    fail "job $j6 is not done"
finish
