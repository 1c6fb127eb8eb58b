#!/bin/sh
# Attack: a crafted vendor agent reports share roots no ferryd would: in
# its hello (relative paths, "..", control characters, the wrong types,
# too many) and in relayed requests that name another person ("_endpoint",
# "endpoint"), to set or read someone else's roots or to publish as them.
# The hub must refuse the bad roots with a record, keep the link, and act
# only for the agent's own person whatever the request says.
. "${srcdir:-.}/tests/security/lib.sh"

hub_storage
enrol_evil vendor
enrol_evil other
R=0123456789abcdef0123456789abcdef

# Bad roots in the hello: each refused and audited; the link stays.
for roots in '{"set":{"storage":"relative/x"}}' \
    '{"set":{"storage":"/a/../../etc"}}' \
    '{"set":{"storage":"/a\u0001b"}}' \
    '{"set":{"../x":"/a"}}' \
    '{"set":{"storage":7}}' \
    '{"env":{"lower-case":"/a"}}' \
    '{"home":"not/absolute"}'; do
	run 0 "$EVIL" talk "$TMP/vendor" --hold 300 --first \
	    "{\"op\":\"hello\",\"name\":\"vendor\",\"roots\":$roots}" \
	    --send '{"op":"ping"}'
	checks=$((checks + 1))
	grep -q '"op":"pong"' "$TMP/out" ||
	    fail "the link did not survive roots $roots: $(cat "$TMP/out" "$TMP/err")"
done
audit_has roots.refused vendor
many=$(seq 1 80 | awk '{ printf "%s\"s%d\":\"/r/%d\"", (NR > 1 ? "," : ""), $1, $1 }')
run 0 "$EVIL" talk "$TMP/vendor" --hold 300 --first \
    "{\"op\":\"hello\",\"name\":\"vendor\",\"roots\":{\"set\":{$many}}}"
checks=$((checks + 1))
grep -q "more than 64 roots" "$HUB.log" || fail "80 roots not refused"
# Each refused (the audit trail keeps one a minute, the log each).
checks=$((checks + 1))
[ "$(grep -c "vendor: its share roots are refused" "$HUB.log")" -ge 8 ] ||
    fail "not every bad hello refused: $(grep "roots are refused" "$HUB.log")"
run 0 "$FERRY" root list vendor@vendor.example --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r .roots.storage.from "$TMP/out")" = default ] ||
    fail "a refused root was kept: $(cat "$TMP/out")"

# Relayed requests naming another person act for the agent's own.
run 0 "$EVIL" talk "$TMP/vendor" --hold 1000 --send "{\"op\":\"api\",\"req\":\"$R\",\"request\":{\"op\":\"roots.report\",\"_endpoint\":\"other@vendor.example\",\"_agent\":\"other\",\"roots\":{\"set\":{\"storage\":\"$TMP/stolen\"}}}}"
run 0 "$FERRY" root list other@vendor.example --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r .roots.storage.path "$TMP/out")" != "$TMP/stolen" ] ||
    fail "a vendor set another person's root: $(cat "$TMP/out")"
run 0 "$FERRY" root list vendor@vendor.example --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r .roots.storage.path "$TMP/out")" = "$TMP/stolen" ] ||
    fail "the report was not taken as the vendor's own: $(cat "$TMP/out")"
run 0 "$EVIL" talk "$TMP/vendor" --hold 1000 --send "{\"op\":\"api\",\"req\":\"$R\",\"request\":{\"op\":\"roots\",\"endpoint\":\"other@vendor.example\"}}"
checks=$((checks + 1))
grep -q '"endpoint":"vendor@vendor.example"' "$TMP/out" ||
    fail "roots answered for another: $(cat "$TMP/out")"

# A publish "as" the other person, or of the hub's own files, is the
# vendor's own: the hub asks the vendor's agent (which answers nothing
# here) for the files, never the other's.
run 0 "$EVIL" talk "$TMP/vendor" --hold 2000 --send "{\"op\":\"api\",\"req\":\"$R\",\"request\":{\"op\":\"publish\",\"_endpoint\":\"hq\",\"_by\":\"hq\",\"paths\":[\"$TMP/stolen/show\"]}}"
checks=$((checks + 1))
grep -q '"op":"list"' "$TMP/out" ||
    fail "publish was not asked of the vendor itself: $(cat "$TMP/out")"
checks=$((checks + 1))
! grep -q "ferry publish runs on\|is the hub's own site" "$TMP/out" ||
    fail "publish taken as the hub's: $(cat "$TMP/out")"
finish
