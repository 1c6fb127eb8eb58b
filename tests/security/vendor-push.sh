#!/bin/sh
# Attack: one vendor writing onto another person's machine. Vendor A may
# write storage:show (to publish its renders back to the studio); vendor
# B may read it and holds the studio's plate there; employee E works on
# the same show. A's person runs `ferry send --from A --to B` (and
# `--to E`) with a file of A's own under the plate's name: the send
# starts at A's place, as the relay requires, A may write the path and B
# may read it, so A's bytes replaced B's plate, and E's. A write grant
# lets a vendor publish into the studio, not into other people's
# machines: a restricted agent's send must end at a site.
. "${srcdir:-.}/tests/agent/lib.sh"
need ip

ip -o addr show lo 2>/dev/null | grep -q "127.0.0.1/8" || {
	echo "SKIP: no 127.0.0.1/8 on lo"; exit 77; }

A=a@fxone.example B=b@fxtwo.example E=emp@studio.example
S="$TMP/hq-storage" WA="$TMP/a-work" WB="$TMP/b-work" WE="$TMP/e-work"
mkdir -p "$S/show" "$WA/show" "$WB/show" "$WE/show"
echo "the studio's plate" >"$WB/show/plate.exr"
cp "$WB/show/plate.exr" "$WE/show/plate.exr"
echo "A's forgery" >"$WA/show/plate.exr"
cat >"$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$S" } } }
JSON

enrol() {
	name=$1 addr=$2 root=$3; shift 3
	code=$("$FERRY" invite "$@" --state "$HUB" | tail -n1)
	"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/$name" \
	    --name "$name" --source-address "$addr" \
	    --storage-root "storage=$root" >/dev/null ||
	    fail "enrolling $name failed"
	start_daemon "$TMP/$name"
	wait_linked "$name"
}

make_hub
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
enrol fx-a 127.0.0.3 "$WA" --user "$A" --clearance restricted
enrol fx-b 127.0.0.4 "$WB" --user "$B" --clearance restricted
enrol emp-ws 127.0.0.5 "$WE" --user "$E" --clearance employee
run 0 "$FERRY" acl set "$A" storage:show write --state "$HUB"
run 0 "$FERRY" acl set "$B" storage:show read --state "$HUB"

for to in "$B" "$E"; do
	run 1 "$FERRY" send --from "$A" --to "$to" --state "$TMP/fx-a" \
	    "$WA/show/plate.exr"
	echo "send to $to: $(cat "$TMP/out" "$TMP/err")"
	err_has "$to"
done
run 0 "$FERRY" jobs --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq 'length' "$TMP/out" 2>/dev/null || echo x)" = 0 ] ||
    fail "a job from A to a person was made: $(cut -c1-400 "$TMP/out")"
sleep 3
checks=$((checks + 1))
grep -q "studio's plate" "$WB/show/plate.exr" || fail "A overwrote B's plate"
checks=$((checks + 1))
grep -q "studio's plate" "$WE/show/plate.exr" || fail "A overwrote E's plate"

# A's publish back to the studio still goes.
run 0 "$FERRY" send --from "$A" --to hq --wait --state "$TMP/fx-a" \
    "$WA/show/plate.exr"
# An employee may still send to a vendor what the vendor may read.
run 0 "$FERRY" send --from "$E" --to "$B" --state "$TMP/emp-ws" \
    "$WE/show/plate.exr"
stop_and_check
echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
