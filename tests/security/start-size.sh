#!/bin/sh
# The hub's transfer.start to an agent carries a batch's names (up to
# 4,096 files): with long names it passed the control frame's 1 MiB and
# could not be sent, so the agent never heard of the transfer, the hub
# waited 15 s for a peer that was not coming, and the files' attempts
# were spent (found while weighing whether an agent could take less
# than 1 MiB from its hub: docs/security.md, "Not done yet"). 4,096
# files of 252-byte names, hub to la: one job, every file delivered at
# the first attempt, no transfer that waited for its peer.
. "${srcdir:-.}/tests/agent/lib.sh"
need python3

S="$TMP/hq-storage" L="$TMP/la-storage"
mkdir -p "$S/seq" "$L"
python3 - "$S/seq" <<'PY'
import os, sys
for i in range(4096):
    open(os.path.join(sys.argv[1], "x" * 242 + "%06d.exr" % i), "w").close()
PY
hub_and_la "$S" "$L"
run 0 timeout 120 "$FERRY" send --from hq --to la --wait --state "$HUB" \
    "$S/seq"
checks=$((checks + 1))
n=$(find "$L/seq" -type f | wc -l)
[ "$n" -eq 4096 ] || fail "$n of 4096 files arrived"
checks=$((checks + 1))
! grep -q "for the peer, 0 of" "$HUB.log" ||
    fail "a transfer's start never reached la: $(grep "for the peer" \
    "$HUB.log" | head -n 2)"
run 0 "$FERRY" job 1 --json --state "$HUB"
checks=$((checks + 1))
jq -e '[.tasks[] | select(.attempts > 1)] | length == 0' "$TMP/out" \
    >/dev/null || fail "files needed more than one attempt"
stop_and_check
finish
