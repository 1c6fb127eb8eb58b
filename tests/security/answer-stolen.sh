#!/bin/sh
# Attack: answering another agent's question, and replaying an answer.
# The hub asks one vendor agent (fx-a) to list its files for a job; a
# second agent (fx-b, another vendor) answers that question with the
# number it learnt, planting its own list. Then fx-a answers a question
# twice. Only the asked agent's first answer may count; the others are
# dropped with an audit record.
. "${srcdir:-.}/tests/security/lib.sh"

S="$TMP/hq-storage" A="$TMP/fx-a-storage" B="$TMP/fx-b-storage"
mkdir -p "$S/show/sh020"
share_map "$S" a@vendor.example="$A" b@vendor.example="$B"
make_hub
enrol_evil fx-a a@vendor.example
enrol_evil fx-b b@vendor.example
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" acl set a@vendor.example storage:show/sh020 write --state "$HUB"

# welcomed: until fx-a's crafted link has its welcome and the hub lists it
# (30 s: CI under load once sent the job before either, and the send
# found no agent of a@vendor.example).
welcomed() {
	wait_grep '"op":"welcome"' "$TMP/fx-a.out" ||
	    wait_grep '"op":"welcome"' "$TMP/fx-a.out" ||
	    wait_grep '"op":"welcome"' "$TMP/fx-a.out" ||
	    fail "fx-a got no welcome: $(cat "$TMP/fx-a.out")"
	wait_linked fx-a
}

# fx-a is asked and keeps silent; fx-b answers in its place.
"$EVIL" talk "$TMP/fx-a" --hold 20000 >"$TMP/fx-a.out" 2>&1 &
EPID=$!
pids="$pids $EPID"
welcomed
"$FERRY" send --from a@vendor.example --to hq --state "$HUB" \
    "$A/show/sh020/fx_v001.exr" >"$TMP/send.out" 2>&1 &
SPID=$!
wait_grep '"op":"list"' "$TMP/fx-a.out" || fail "fx-a was not asked"
req=$(grep '"op":"list"' "$TMP/fx-a.out" | head -n1 | jq -c .req)
run 0 "$EVIL" talk "$TMP/fx-b" --hold 300 --send \
    "{\"re\":$req,\"files\":[{\"path\":\"$A/show/sh020/planted.exr\",\"size\":1}]}"
checks=$((checks + 1))
if wait "$SPID"; then
	fail "the job was made from fx-b's answer: $(cat "$TMP/send.out")"
fi
# The send ended when fx-a's link closed (its 20 s hold), not at the
# hub's 60 s wait for a page: the asker hears that the agent went away.
checks=$((checks + 1))
grep -q "link closed before it answered" "$TMP/send.out" ||
    fail "the send did not end with fx-a's link: $(cat "$TMP/send.out")"
run 0 "$FERRY" jobs --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq length "$TMP/out")" = 0 ] || fail "a job was made: $(cat "$TMP/out")"
audit_has answer. fx-b
kill "$EPID" 2>/dev/null || :; wait "$EPID" 2>/dev/null || :

# fx-a answers its own question, twice: the first counts, the replay is
# dropped and recorded.
"$EVIL" talk "$TMP/fx-a" --hold 4000 --repeat 2 --on \
    "list={\"re\":\"@req\",\"files\":[{\"path\":\"$A/show/sh020/fx_v002.exr\",\"size\":3}]}" \
    >"$TMP/fx-a.out" 2>&1 &
pids="$pids $!"
welcomed
run 0 "$FERRY" send --from a@vendor.example --to hq --state "$HUB" \
    "$A/show/sh020/fx_v002.exr"
run 0 "$FERRY" jobs --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '.[0].files' "$TMP/out")" = 1 ] || fail "jobs: $(cat "$TMP/out")"
i=0
until "$FERRY" audit --json --limit 0 --state "$HUB" |
    jq -e 'any(.[]; .who == "fx-a" and (.what | startswith("answer.")))' \
    >/dev/null; do
	i=$((i + 1)); [ $i -lt 50 ] || break; sleep 0.1
done
audit_has answer. fx-a
finish
