#!/bin/sh
# Attack: answers nobody asked for. The vendor's crafted agent answers
# question numbers before the hub asks them (they were sequential), in a
# user's la -> hq job, listing a decoy instead of the file asked for; and
# sends answers with huge numbers and wrong types. The hub must accept an
# answer only from the agent it asked, for a question still open, drop
# the rest with an audit record, and carry on.
. "${srcdir:-.}/tests/security/lib.sh"

S="$TMP/hq-storage" L="$TMP/la-storage"
mkdir -p "$S/show/sh010" "$L/show/sh010"
echo "la's first" >"$L/show/sh010/first.mov"
echo "la's comp" >"$L/show/sh010/comp.mov"
echo "a decoy" >"$L/show/sh010/decoy.mov"
share_map "$S" la="$L"
make_hub
enrol_agent la la-server
enrol_evil vendor
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"

# A first job: the hub asks la one question.
run 0 "$FERRY" send --from la --to hq --wait --state "$HUB" \
    "$L/show/sh010/first.mov"

# The vendor answers the next questions before they are asked, and sends
# answers that no question could have: huge, negative, of every type.
decoy='"files":[{"path":"'"$L"'/show/sh010/decoy.mov","size":8}]'
set --
for re in 1 2 3 4 5 6 7 8 9 10 9223372036854775807 -1 0 '"2"' \
    '"ffffffffffffffffffffffffffffffff"' null true '[2]' '{"n":2}' 1.5; do
	set -- "$@" --send "{\"re\":$re,$decoy}"
done
run 0 "$EVIL" talk "$TMP/vendor" --hold 500 "$@"

# The user's job asks for comp.mov, and gets comp.mov.
run 0 "$FERRY" send --from la --to hq --wait --state "$HUB" \
    "$L/show/sh010/comp.mov"
checks=$((checks + 1))
[ ! -e "$S/show/sh010/decoy.mov" ] || fail "the vendor's decoy was sent"
checks=$((checks + 1))
cmp -s "$L/show/sh010/comp.mov" "$S/show/sh010/comp.mov" ||
    fail "comp.mov did not arrive"
audit_has answer. vendor

# The hub is still up and still answers.
run 0 "$FERRY" status --state "$HUB"
finish
