#!/bin/sh
# The compare before a send (docs/agent.md, "A send that finds its files
# there") past its pages and the plan's spill: 17,500 files (more than a
# plan holds in memory, 16,384, so its records go to disk with their
# marks) under one share root and a few under another root, in one send.
# Sent again, all are found; three changed (one in the other root) are
# the only ones sent.
. "${srcdir:-.}/tests/agent/lib.sh"
need sqlite3
need python3

S="$TMP/hq-storage" L="$TMP/la-storage"
P="$TMP/hq-plates" LP="$TMP/la-plates"
mkdir -p "$S" "$L" "$P/sh010" "$LP"
python3 - "$S/big" <<'PY'
import os, sys
for d in range(18):
    os.makedirs(os.path.join(sys.argv[1], "d%02d" % d))
    for f in range(972 + (d == 0) * 4):
        with open(os.path.join(sys.argv[1], "d%02d" % d, "f%04d" % f), "w") as o:
            o.write("file %d of %d\n" % (f, d))
PY
echo "a plate" >"$P/sh010/a.exr"
echo "b plate" >"$P/sh010/b.exr"
total=$(find "$S/big" "$P/sh010" -type f | wc -l)
cat >"$TMP/map.json" <<JSON
{ "shares": {
  "storage": { "linux": "$S", "sites": { "la": { "linux": "$L" } } },
  "plates": { "linux": "$P", "sites": { "la": { "linux": "$LP" } } } } }
JSON
make_hub
enrol_agent la la-server
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
q() { hub_q "$1"; }

run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/big" \
    "$P/sh010"
checks=$((checks + 1))
[ "$(find "$L/big" "$LP/sh010" -type f | wc -l)" = "$total" ] ||
    fail "la has $(find "$L/big" "$LP/sh010" -type f | wc -l) of $total files"

run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/big" \
    "$P/sh010"
j2=$(q "SELECT max(id) FROM jobs")
log_has "$HUB.log" "job $j2: $total of its files found at la already"
checks=$((checks + 1))
[ "$(q "SELECT state, n_done, n_tasks FROM jobs WHERE id = $j2")" = \
    "done|$total|$total" ] || fail "job $j2: $(q "SELECT state, n_done,
    n_tasks FROM jobs WHERE id = $j2")"
checks=$((checks + 1))
grep -q "transfer [0-9]* (job $j2)" "$HUB.log" && fail "job $j2 ran a transfer"

echo "changed" >"$S/big/d00/f0003"
echo "changed too" >"$S/big/d17/f0970"
echo "b plate, v2" >"$P/sh010/b.exr"
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" "$S/big" \
    "$P/sh010"
j3=$(q "SELECT max(id) FROM jobs")
log_has "$HUB.log" "job $j3: $((total - 3)) of its files found at la already"
for f in big/d00/f0003 big/d17/f0970; do
	checks=$((checks + 1))
	cmp -s "$S/$f" "$L/$f" || fail "$f was not sent again"
done
checks=$((checks + 1))
cmp -s "$P/sh010/b.exr" "$LP/sh010/b.exr" || fail "b.exr was not sent again"
checks=$((checks + 1))
[ "$(q "SELECT count(*) FROM tasks WHERE job_id = $j3 AND
    state = 'done'")" = "$total" ] || fail "job $j3 is not all done"
finish
