#!/bin/sh
# A send of one path is stored while the hub lists it (issue 14,
# agent/hub-jobstream.c): once 4,096 files are listed they are stored
# and move, while the rest is listed. The hub's test-store-hold (tests
# only) holds each batch after the first while $HOLD exists, the
# listing with it: the first 4,096 files of a 4,400-file send (too few
# for a planned send, which tests/agent/store-overlap.sh covers) are
# delivered while the rest is not even listed, and the job is not done
# before its last batch is in. Then a send that breaks max-job-files
# after its first batches ran: refused, its job removed, what it
# delivered stays, and a send again within the limit skips those.
. "${srcdir:-.}/tests/agent/lib.sh"
need python3

N=4400
M=8600
S="$TMP/hq-storage"
L="$TMP/la-storage"
mkdir -p "$S/big" "$S/bigger" "$L"
tree_of "$S/big" "$N"
tree_of "$S/bigger" "$M"
HOLD="$TMP/hold"
HUB_CONF="test-store-hold $HOLD
max-job-files 8500"
hub_and_la "$S" "$L"

held_send "$S/big" "$N"
checks=$((checks + 1))
awk '$2 == 4096 && $3 == 4096 { ok = 1 } END { exit !ok }' "$TMP/polls" ||
    fail "job $job's first 4,096 files were not all delivered before the rest was stored"
run 0 "$FERRY" jobs --json --limit 1 --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '.[0] | "\(.state) \(.files) \(.done_files)"' "$TMP/out")" = \
    "done $N $N" ] || fail "job $job after its send: $(head -c 300 "$TMP/out")"
checks=$((checks + 1))
[ "$(find "$L/big" -type f | wc -l)" = "$N" ] ||
    fail "$(find "$L/big" -type f | wc -l) files at la, not $N"
checks=$((checks + 1))
cmp -s "$S/big/d004/f004399" "$L/big/d004/f004399" ||
    fail "the last file is not whole at la"

# Past max-job-files (8,500) after two batches were stored: the second
# is held until the first is delivered, so files have arrived when the
# listing goes on and breaks the limit.
touch "$HOLD"
"$FERRY" send --from hq --to la --wait --state "$HUB" "$S/bigger" \
    >"$TMP/send2.out" 2>&1 &
sp=$!
poll_held "$TMP/polls2" "$M"
st=0
wait "$sp" || st=$?
checks=$((checks + 1))
[ "$st" != 0 ] || fail "a send of $M files passed max-job-files 8500"
checks=$((checks + 1))
grep -q "max-job-files" "$TMP/send2.out" &&
    grep -q "stopped after 8192 of its files" "$TMP/send2.out" ||
    fail "the refusal does not say why and how far: $(cat "$TMP/send2.out")"
delivered=$(find "$L/bigger" -type f 2>/dev/null | wc -l)
echo "refused after $delivered files delivered: $(head -c 300 "$TMP/send2.out")"
checks=$((checks + 1))
[ "$delivered" -ge 4096 ] || fail "only $delivered files delivered before the refusal"
# Its job goes once its transfers have stopped.
i=0
while [ $i -lt "$(slow 100)" ]; do
	"$FERRY" jobs --json --all --state "$HUB" >"$TMP/jobs" 2>/dev/null &&
	    [ "$(jq -r '[.[].id] | join(" ")' "$TMP/jobs")" = "$job" ] && break
	i=$((i + 1))
	sleep 0.1
done
checks=$((checks + 1))
[ "$(jq -r '[.[].id] | join(" ")' "$TMP/jobs")" = "$job" ] ||
    fail "the refused send's job stayed: $(head -c 400 "$TMP/jobs")"
checks=$((checks + 1))
find "$L/bigger" -type f | head -n 200 | while read -r f; do
	cmp -s "$f" "$S/bigger/${f#"$L/bigger/"}" || echo "$f"
done | grep -q . && fail "a file delivered before the refusal is not whole"
# Within the limit (one directory of it), the files there are skipped.
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/bigger/d000"
checks=$((checks + 1))
[ "$(find "$L/bigger/d000" -type f | wc -l)" = 1000 ] ||
    fail "the send again did not deliver d000 whole"
stop_and_check
finish
