#!/bin/sh
# Attack: hub lists and hub keys that are not the store's (issue 17).
# 1. A crafted (enrolled) agent sends the hub a "hubs" message naming its
#    own key as a hub: the hub drops it (a list goes hub to agent only),
#    records it, and its hubs stay one.
# 2. A stranger hub C, with a key of its own and a store of its own, on
#    an address a real agent tries (hub-standby): when the real hub is
#    gone the agent reaches C and refuses it, sends it nothing (C never
#    sees it linked), pins nothing of it, and comes back to its own hub.
# 3. An oversized list (17 hubs) from the agent's own hub: dropped whole.
. "${srcdir:-.}/tests/security/lib.sh"

make_hub
FP_A=$("$FERRYD" fingerprint --state "$HUB" | tail -n1)
enrol_evil vendor
FP_V=$("$FERRYD" fingerprint --state "$TMP/vendor" | tail -n1)
run 0 "$EVIL" talk "$TMP/vendor" --hold 1000 --send \
    "{\"op\":\"hubs\",\"hubs\":[{\"fingerprint\":\"$FP_V\",\"address\":\"127.0.0.9:1\"}]}" \
    --send '{"op":"ping"}'
checks=$((checks + 1))
grep -q '"op":"pong"' "$TMP/out" || fail "the link did not survive: $(cat "$TMP/out" "$TMP/err")"
audit_has message.refused vendor
run 0 "$FERRY" status --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r '[.hubs[] | "\(.fingerprint) \(.state) \(.self)"] | join(" ")' "$TMP/out")" = "$FP_A active true" ] ||
    fail "the hub's hubs changed: $(jq -c .hubs "$TMP/out")"

# A real agent: the hub's list (itself alone) is pinned.
S="$TMP/la-storage"
mkdir -p "$S"
enrol_agent la la-server
LA=$APID
i=0
until [ -f "$TMP/la-server/hubs.json" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
done
checks=$((checks + 1))
[ "$(jq -r '[.hubs[].fingerprint] | join(" ")' "$TMP/la-server/hubs.json")" = "$FP_A" ] ||
    fail "la pins other than its hub: $(cat "$TMP/la-server/hubs.json" 2>&1)"

# The stranger C, on la's list of addresses, reached when A is gone.
C="$TMP/hub-c"
run 0 "$FERRYD" init --hub --site hq --listen "127.0.0.3:$port" --state "$C"
start_daemon "$C"
kill "$LA"
wait "$LA" 2>/dev/null || true
echo "hub-standby 127.0.0.3:$port" >>"$TMP/la-server/ferryd.conf"
kill "$HUBPID"
wait "$HUBPID" 2>/dev/null || true
start_daemon "$TMP/la-server"
i=0
until grep -q "127.0.0.3:$port has key" "$TMP/la-server.log"; do
	i=$((i + 1)); [ $i -lt 150 ] || break; sleep 0.1
done
checks=$((checks + 1))
grep -q "the hub at 127.0.0.3:$port has key .* which is none of the hub keys pinned here" \
    "$TMP/la-server.log" || fail "la did not refuse C: $(tail -n 20 "$TMP/la-server.log")"
run 0 "$FERRY" status --json --state "$C"
checks=$((checks + 1))
[ "$(jq -r '.agents | length' "$TMP/out")" = 0 ] || fail "la linked to the stranger C"
checks=$((checks + 1))
grep -q "la-server" "$C.log" && fail "C heard la's name: $(cat "$C.log")"
checks=$((checks + 1))
[ "$(jq -r '[.hubs[].fingerprint] | join(" ")' "$TMP/la-server/hubs.json")" = "$FP_A" ] ||
    fail "la pinned C's key: $(cat "$TMP/la-server/hubs.json")"
run 0 "$FERRY" status --json --state "$TMP/la-server"
checks=$((checks + 1))
[ "$(jq -r .connected "$TMP/out")" = false ] || fail "la says it is linked: $(cat "$TMP/out")"

# A back: la returns to it.
start_daemon "$HUB"
HUBPID=$DPID
wait_linked la-server

# 3. An oversized list from the pinned hub itself (its store given 16
#    more hubs behind its back): la drops it whole and keeps what it had.
kill "$HUBPID"
wait "$HUBPID" 2>/dev/null || true
for i in $(seq 1 16); do
	echo "INSERT INTO hubs (fingerprint, address, added) VALUES ('X$i', '10.9.9.$i:1', 1);"
done | sqlite3 "$HUB/hub.db"
lines=$(wc -l <"$TMP/la-server.log")
start_daemon "$HUB"
HUBPID=$DPID
wait_linked la-server
i=0
until tail -n +"$lines" "$TMP/la-server.log" | grep -q "list of hubs dropped"; do
	i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
done
checks=$((checks + 1))
tail -n +"$lines" "$TMP/la-server.log" | grep -q \
    "the hub's list of hubs dropped: the hub list has 17 hubs (1 to 16 taken)" ||
    fail "la took or ignored an oversized list: $(tail -n 5 "$TMP/la-server.log")"
checks=$((checks + 1))
[ "$(jq -r '[.hubs[].fingerprint] | join(" ")' "$TMP/la-server/hubs.json")" = "$FP_A" ] ||
    fail "la's pins changed: $(cat "$TMP/la-server/hubs.json")"
finish
