#!/bin/sh
# Attack: one vendor pulling another vendor's files off that vendor's
# own machine. A send relayed by an agent must start or end at the
# agent's own place (hub-relay.c), and the ACLs are the share's: vendor
# A may read storage:show (plates), vendor B may write it (to publish its
# renders back). A's person runs `ferry send --from B --to A` naming a
# folder on B's machine: the hub asks B's ferryd to list it, and B's
# work in progress, never published, goes straight to A. B's write
# grant lets B publish into the studio; it does not make B's machine a
# source for anyone who may read the share. The hub must refuse a send
# from an agent that starts at another person's machine.
. "${srcdir:-.}/tests/agent/lib.sh"
need ip

ip -o addr show lo 2>/dev/null | grep -q "127.0.0.1/8" || {
	echo "SKIP: no 127.0.0.1/8 on lo"; exit 77; }

A=a@fxone.example B=b@fxtwo.example
S="$TMP/hq-storage" WA="$TMP/a-work" WB="$TMP/b-work"
mkdir -p "$S/show" "$WA" "$WB/show/sh030/wip"
echo "B's unpublished comp" >"$WB/show/sh030/wip/comp.nk"
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
run 0 "$FERRY" acl set "$A" storage:show read --state "$HUB"
run 0 "$FERRY" acl set "$B" storage:show write --state "$HUB"

# A's person asks for B's folder, as B's machine names it.
run 1 "$FERRY" send --from "$B" --to "$A" --state "$TMP/fx-a" \
    "$WB/show/sh030/wip"
echo "send: $(cat "$TMP/out" "$TMP/err")"
err_has "not at another person's machine ($B)"
run 0 "$FERRY" jobs --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq 'length' "$TMP/out" 2>/dev/null || echo x)" = 0 ] ||
    fail "a job from B to A was made: $(cat "$TMP/out")"
sleep 3
checks=$((checks + 1))
[ ! -e "$WA/show/sh030/wip/comp.nk" ] ||
    fail "B's unpublished file arrived at A"

"$FERRY" audit --json --limit 0 --state "$HUB" >"$TMP/audit"
checks=$((checks + 1))
jq -e --arg b "$B" 'any(.[]; .what == "send.refused" and .detail.from == $b)' \
    "$TMP/audit" >/dev/null || fail "no send.refused: $(cat "$TMP/audit")"

# What A may do stays possible: a send from the studio to itself.
echo plate >"$S/show/plate.exr"
run 0 "$FERRY" send --from hq --to "$A" --state "$TMP/fx-a" \
    "$S/show/plate.exr"
# And B's own publish back into the share it may write.
run 0 "$FERRY" send --from "$B" --to hq --state "$TMP/fx-b" \
    "$WB/show/sh030/wip"
stop_and_check
echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
