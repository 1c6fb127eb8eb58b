#!/bin/sh
# Attack: a vendor stalling everyone's jobs by going offline. A job for a
# vendor whose agent is not connected waits in the queue, as it should;
# but the dispatcher looked only at the first job due, so every job
# queued after it waited too. A job between the hub and la must go
# through while the vendor's waits.
. "${srcdir:-.}/tests/security/lib.sh"

V=fx@vendor.example
S="$TMP/hq-storage" L="$TMP/la-storage" F="$TMP/fx-storage"
mkdir -p "$S/show/sh010" "$L"
echo "comp" >"$S/show/sh010/comp.mov"
share_map "$S" la="$L" "$V=$F"
make_hub
enrol_agent la la-server
enrol_evil fx-ws "$V"
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" acl set "$V" storage:show/sh010 read --state "$HUB"
# The vendor's job first: it waits for an agent that is not there.
run 0 "$FERRY" send --from hq --to "$V" --state "$HUB" \
    "$S/show/sh010/comp.mov"
sleep 2
run 0 timeout 30 "$FERRY" send --from hq --to la --wait --state "$HUB" \
    "$S/show/sh010/comp.mov"
checks=$((checks + 1))
cmp -s "$S/show/sh010/comp.mov" "$L/show/sh010/comp.mov" ||
    fail "la's job waited behind the vendor's"
# Still waiting for its agent: queued, its only file not yet started.
run 0 "$FERRY" jobs --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '[.[] | select(.to == "'"$V"'")][0].state' "$TMP/out")" = queued ] ||
    fail "the vendor's job: $(cat "$TMP/out")"
finish
