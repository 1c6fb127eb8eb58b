#!/bin/sh
# A big send of one path (16,500 files, stored in batches while the hub
# lists it: agent/hub-jobstream.c, agent/hub-jobstore.c) runs while it
# is still being stored (issue 14): its stored tasks are transferred,
# but the job does not end before its last batch is in. The hub's
# test-store-hold (tests only) holds the batches after the first while
# $HOLD exists: the first 4,096 files are delivered while the rest
# waits, and all of them done must not make the job done (a job that
# ended there would have said so to `ferry send --wait`, to mail and to
# ftrack with 12,404 files never sent). Then a hub kill -9'd with a job
# half stored and half run: started again, it removes the job and the
# files delivered stay. (A planned send, of several paths, whose
# storing fails halfway on a full disk: tests/security/
# store-full-planned.sh; a smaller one and max-job-files: tests/agent/
# store-listing.sh.)
. "${srcdir:-.}/tests/agent/lib.sh"
need python3
# tests/pg/store-overlap.sh: the same with the hub's store on PostgreSQL.
if [ -n "${STORE_OVERLAP_PG:-}" ]; then
	. "${srcdir:-.}/tests/pg/lib.sh"
	pg_start
	HUB_INIT="--store $PG_URL --store-password-file $PG_PASSFILE"
fi

held_hub 16500

held_send "$S/big" "$N"
# Its first transfer started while it was being stored: files done
# with some of its files not stored yet (and the hub's log in that
# order: held_send).
checks=$((checks + 1))
awk -v n=$N '$2 > 0 && $2 < n && $3 > 0 { ok = 1 } END { exit !ok }' \
    "$TMP/polls" || fail "no file of job $job delivered while it was stored"
# Every stored file done, the rest not stored yet: the job is not done.
checks=$((checks + 1))
awk -v n=$N '$2 > 0 && $2 < n && $3 == $2 { ok = 1 } END { exit !ok }' \
    "$TMP/polls" || fail "never all stored files done while job $job was stored"
# Its end once the last batch was in: done, every file delivered.
run 0 "$FERRY" jobs --json --limit 1 --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '.[0] | "\(.state) \(.files) \(.done_files)"' "$TMP/out")" = \
    "done $N $N" ] || fail "job $job after its send: $(head -c 300 "$TMP/out")"
checks=$((checks + 1))
[ "$(find "$L/big" -type f | wc -l)" = "$N" ] ||
    fail "$(find "$L/big" -type f | wc -l) files at la, not $N"
checks=$((checks + 1))
cmp -s "$S/big/d016/f016499" "$L/big/d016/f016499" ||
    fail "the last file is not whole at la"

# Killed halfway: the first batch delivered, the hub kill -9'd before the
# next one; started again, it removes the job, the files stay.
rm -rf "$L/big"
touch "$HOLD"
"$FERRY" send --from hq --to la --state "$HUB" "$S/big" \
    >"$TMP/send2.out" 2>&1 &
sp=$!
half=""
i=0
while [ -z "$half" ] && [ $i -lt "$(slow 600)" ] && kill -0 "$sp" 2>/dev/null; do
	"$FERRY" jobs --json --limit 1 --state "$HUB" >"$TMP/poll" 2>/dev/null &&
	    half=$(jq -r --argjson j "$job" --argjson n $N '.[0] | select(.id >
	    $j and .files < $n and .done_files > 0 and .done_files == .files) |
	    .id' "$TMP/poll")
	i=$((i + 1))
	sleep 0.05
done
kill -9 "$HUBPID"
rm -f "$HOLD"
wait "$sp" 2>/dev/null || :
checks=$((checks + 1))
if [ -z "$half" ] || grep -q "job $half: $N files from" "$HUB.log"; then
	fail "the kill did not come with a job half stored and run"
else
	delivered=$(find "$L/big" -type f | wc -l)
	echo "killed with job $half half stored, $delivered files delivered"
	start_daemon "$HUB"
	HUBPID=$DPID
	wait_linked la-server
	run 0 "$FERRY" jobs --json --all --state "$HUB"
	checks=$((checks + 1))
	[ "$(jq -r '[.[].id] | join(" ")' "$TMP/out")" = "$job" ] ||
	    fail "after the restart, not only job $job: $(head -c 400 "$TMP/out")"
	checks=$((checks + 1))
	grep -q "job $half was being stored when the hub stopped" "$HUB.log" ||
	    fail "the hub did not say it removed job $half"
	checks=$((checks + 1))
	[ "$delivered" -gt 0 ] &&
	    [ "$(find "$L/big" -type f | wc -l)" = "$delivered" ] ||
	    fail "the files delivered before the kill did not stay"
	# Sent again, whole.
	run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/big"
	checks=$((checks + 1))
	[ "$(find "$L/big" -type f | wc -l)" = "$N" ] ||
	    fail "the send after the restart did not deliver all $N files"
fi
stop_and_check
finish
