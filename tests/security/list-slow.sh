#!/bin/sh
# Attack: a restricted vendor starts a send from itself and its agent
# (the crafted one) answers the hub's "list" slowly, a page of one file
# with "more": true every 100 ms, for 6 s: each page comes well within
# the hub's per-page timeout, so only max-list-time (here 1 s; 3600 by
# default) ends it. The send must be refused naming the vendor and
# max-list-time, leave a list.limit audit record saying so, make no job,
# and the hub must still answer (docs/security.md, "Listings").
. "${srcdir:-.}/tests/security/lib.sh"

R=0123456789abcdef0123456789abcdef
V=fx@vendor.example
S="$TMP/hq" F="$TMP/fx"
mkdir -p "$S" "$F/up"
share_map "$S" "$V=$F"
HUB_CONF="max-list-time 1"
make_hub
enrol_evil fx-ws "$V"
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" acl set "$V" storage:up write --state "$HUB"

jq -cn --arg p "$F/up/f" '{re: "@req", more: true,
    files: [{path: "\($p)1", size: 1}]}' >"$TMP/slow.json"
send=$(jq -cn --arg v "$V" --arg p "$F/up" --arg r "$R" '{op: "api",
    req: $r, request: {op: "send", from: $v, to: "hq", paths: [$p]}}')
t0=$(date +%s)
"$EVIL" talk "$TMP/fx-ws" --hold 30000 --send "$send" \
    --on "list=@$TMP/slow.json" --repeat 60 --pace 100 >"$TMP/slow.out" 2>&1 &
ev=$!
i=0
until grep -q "\"re\":\"$R\"" "$TMP/slow.out" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 250 ] || break; sleep 0.1
done
t1=$(date +%s)
kill "$ev" 2>/dev/null; wait "$ev" 2>/dev/null || :
echo "slow listing: answered in $((t1 - t0)) s"
reply=$(grep "\"re\":\"$R\"" "$TMP/slow.out" | head -n1)
checks=$((checks + 1))
[ -n "$reply" ] || fail "no answer to the send in 25 s: $(cut -c1-300 "$TMP/slow.out")"
err=$(printf '%s\n' "$reply" | jq -r '.reply.error // empty')
checks=$((checks + 1))
case "$err" in
*"$V"*"still listing after 1 s"*"max-list-time"*) ;;
*) fail "not cut by max-list-time: $reply" ;;
esac
# Without the keyword (3600 s) the 60 pages end with "more" and the hub
# waits for the next page until its per-page timeout: another error.
checks=$((checks + 1))
[ "$(grep -c '"op":"list"' "$TMP/slow.out")" -ge 1 ] ||
    fail "the hub never asked for the listing: $(cut -c1-300 "$TMP/slow.out")"

# The audit trail names the vendor and the limit.
audit_has list.limit "$V"
checks=$((checks + 1))
jq -e --arg v "$V" 'any(.[]; .what == "list.limit" and
    (.who | contains($v)) and ((.detail | tostring) |
    contains("max-list-time")))' "$TMP/audit" >/dev/null ||
    fail "no list.limit record naming max-list-time: $(cat "$TMP/audit")"

# No job was made, and the hub still answers.
run 0 "$FERRY" jobs --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq length "$TMP/out")" = 0 ] || fail "a job was made: $(cat "$TMP/out")"
run 0 "$EVIL" talk "$TMP/fx-ws" --hold 500 --send '{"op":"ping"}'
checks=$((checks + 1))
grep -q '"op":"pong"' "$TMP/out" || fail "no pong after: $(cat "$TMP/out")"
finish
