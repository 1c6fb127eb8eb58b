#!/bin/sh
# The crafted agent itself: enrolled by a real `ferryd enroll`, it links
# to the hub with the real control protocol and is welcomed under its
# enrolled name; the same program with a key the hub never enrolled is
# refused. Every attack test builds on this.
. "${srcdir:-.}/tests/security/lib.sh"

make_hub
enrol_evil vendor
run 0 "$EVIL" talk "$TMP/vendor" --hold 300 --send '{"op":"ping"}'
checks=$((checks + 1))
head -n1 "$TMP/out" | jq -e '.op == "welcome" and .name == "vendor" and
    .user == "vendor@vendor.example"' >/dev/null ||
    fail "no welcome: $(cat "$TMP/out" "$TMP/err")"
checks=$((checks + 1))
grep -q '"op":"pong"' "$TMP/out" || fail "no pong: $(cat "$TMP/out")"
# A hello that claims no address is not a suspicious one.
checks=$((checks + 1))
! "$FERRY" audit --state "$HUB" | grep -q "address.ignored" ||
    fail "a hello without an address was audited"

rogue_key rogue vendor
run 1 "$EVIL" talk "$TMP/rogue" --hold 300
checks=$((checks + 1))
grep -q "not enrolled" "$TMP/out" "$TMP/err" ||
    fail "rogue key: $(cat "$TMP/out" "$TMP/err")"
finish
