#!/bin/sh
# Jobs waiting for a site whose agent is away do not hold up the rest
# (issue 15, "Scale"): 200 one-file jobs queued for "far" (no agent), at
# the default priority, fill more than the dispatcher tries in a pass (64
# jobs) and, at scale, more than a batch (4,096 tasks); a job to la, sent
# after them, still starts at once. Before, it waited for ever.
. "${srcdir:-.}/tests/agent/lib.sh"
need python3

S="$TMP/hq-storage"
L="$TMP/la-storage"
F="$TMP/far-storage"
mkdir -p "$S/q" "$L" "$F"
i=0
while [ $i -lt 200 ]; do
	echo "$i" >"$S/q/f$i"
	i=$((i + 1))
done
echo "for la" >"$S/one.txt"
cat >"$TMP/map.json" <<JSON
{ "sites": ["far"], "shares": { "storage": { "linux": "$S",
  "sites": { "la": { "linux": "$L" }, "far": { "linux": "$F" } } } } }
JSON

make_hub
enrol_agent la la-server
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" site set far --bwlimit 0 --state "$HUB"
run 0 env FERRY_STATE="$HUB" PYTHONPATH="$srcdir/python" python3 - "$S" <<'PY'
import sys
from ferry_client import Client
c = Client()
for i in range(200):
    c.send(["%s/q/f%d" % (sys.argv[1], i)], "far", source="hq", priority=500)
print("queued")
PY
out_has queued
run 0 "$FERRY" jobs --json --limit 1 --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '.[0].state' "$TMP/out")" = queued ] || fail "far's jobs: $(cat "$TMP/out")"

# The job to la, after the 200: done within 20 s (it takes well under 1).
"$FERRY" send --from hq --to la --state "$HUB" "$S/one.txt" >"$TMP/out" ||
    fail "send to la: $(cat "$TMP/out")"
i=0
while [ ! -f "$L/one.txt" ] && [ $i -lt 200 ]; do
	i=$((i + 1))
	sleep 0.1
done
checks=$((checks + 1))
cmp -s "$S/one.txt" "$L/one.txt" ||
    fail "the job to la did not run while 200 jobs waited for far"
run 0 "$FERRY" jobs --json --all --state "$HUB"
checks=$((checks + 1))
[ "$(jq '[.[] | select(.to == "far" and .state == "queued")] | length' \
    "$TMP/out")" = 200 ] || fail "far's jobs did not stay queued"

stop_and_check
finish
