#!/bin/sh
# Attack: taking another agent's name. An agent chooses its own name at
# enrolment, and the hub finds an agent's link by name to hand it its
# part in a transfer (token, file list, root). A vendor enrolling as
# "la-server" must be refused, with an audit record, and la-server keeps
# getting its own transfers.
. "${srcdir:-.}/tests/security/lib.sh"

S="$TMP/hq-storage" L="$TMP/la-storage"
mkdir -p "$S/show/sh010" "$L"
echo "comp" >"$S/show/sh010/comp.mov"
share_map "$S" la="$L"
make_hub
enrol_agent la la-server
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
code=$("$FERRY" invite --user fx@vendor.example --clearance restricted \
    --state "$HUB" | tail -n1)
run 1 "$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/fx" \
    --name la-server
err_has "la-server"
audit_has enroll.refused 127.0.0.1
# The same code with a name of its own still works.
run 0 "$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/fx2" \
    --name fx-ws
run 0 "$FERRY" send --from hq --to la --wait --state "$HUB" \
    "$S/show/sh010/comp.mov"
checks=$((checks + 1))
cmp -s "$S/show/sh010/comp.mov" "$L/show/sh010/comp.mov" ||
    fail "la-server lost its transfer"
finish
