#!/bin/sh
# Attacks on home folders and storage roots (issue 13): an agent of the
# hub's own site setting roots (the hub would read and write wherever it
# said), a symlink planted where a home folder goes, roots that clash,
# and a publish climbing out of its share. Real ferryd agents; each
# refusal is checked for its message and its audit record.
. "${srcdir:-.}/tests/security/lib.sh"
need ip

S="$TMP/hq-storage" W="$TMP/fx-work"
V=fx@vendor.example
mkdir -p "$S/show/sh010" "$S/vendors" "$TMP/elsewhere" "$W/show"
head -c 50000 /dev/urandom >"$S/show/sh010/a.exr"
cat >"$TMP/map.json" <<JSON
{ "shares": { "storage": { "linux": "$S" },
              "projects": { "linux": "$S/projects" } } }
JSON

make_hub
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"

# 1. An agent enrolled as the hub's own site may not move the hub's
# roots: its hello's roots are refused, and so is `ferry root set`.
code=$("$FERRY" invite --site hq --state "$HUB" | tail -n1)
"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/hq-ws" \
    --name hq-ws --source-address 127.0.0.2 \
    --storage-root "storage=$TMP/elsewhere" >/dev/null ||
    fail "enrolling an agent of hq failed"
start_daemon "$TMP/hq-ws"
wait_linked hq-ws
audit_has roots.refused hq-ws
run 1 "$FERRY" root set storage "$TMP/elsewhere" --state "$TMP/hq-ws"
err_has "hq is the hub's own site: its roots are the share map's"
run 0 "$FERRY" root list hq --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r .roots.storage.path "$TMP/out")" = "$S" ] ||
    fail "the hub's root moved: $(cat "$TMP/out")"
checks=$((checks + 1))
[ -z "$(ls -A "$TMP/elsewhere")" ] || fail "the hub wrote elsewhere"

# 2. A symlink where a home folder goes: no folder through it, no grant.
ln -s "$TMP/elsewhere" "$S/vendors/$V"
code=$("$FERRY" invite --user "$V" --clearance restricted --state "$HUB" |
    tail -n1)
"$FERRYD" enroll "127.0.0.1:$port" "$code" --state "$TMP/fx-ws" \
    --name fx-ws --source-address 127.0.0.3 \
    --storage-root "storage=$W" >/dev/null || fail "enrolling fx-ws failed"
start_daemon "$TMP/fx-ws"
wait_linked fx-ws
audit_has home.failed "$V"
run 0 "$FERRY" acl list "$V" --state "$HUB"
out_is ""
checks=$((checks + 1))
[ -z "$(ls -A "$TMP/elsewhere")" ] || fail "a home folder through a symlink"

# 3. Two shares at one place are refused, with the reason and a record.
run 1 "$FERRY" root set projects "$W" --state "$TMP/fx-ws"
err_has "cannot both lie at $W"
audit_has roots.refused fx-ws
# ... and a roots.json edited by hand to say so again only leaves this
# agent's roots out: the map still works for everyone else.
kill "$DPID"; wait "$DPID" 2>/dev/null || true
printf '{"storage": "%s", "projects": "%s/p"}\n' "$S" "$S" \
    >"$TMP/fx-ws/roots.json"
start_daemon "$TMP/fx-ws"
wait_linked fx-ws
run 0 "$FERRY" root list hq --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r .roots.storage.path "$TMP/out")" = "$S" ] ||
    fail "the hub's view broke: $(cat "$TMP/out")"
printf '{"storage": "%s"}\n' "$W" >"$TMP/fx-ws/roots.json"

# 4. A publish that climbs out of its share with ".." is refused.
run 1 "$FERRY" publish --state "$TMP/fx-ws" "$W/../../../etc"
err_has "ferry root set SHARE PATH"

finish
