#!/bin/sh
# Attack: an enrolled vendor making the hub spend threads. Each request a
# person relays through an agent ("api") ran on a thread of its own; a
# vendor's crafted agent sends 300 sends at once from its own endpoint,
# and never answers the hub's question (list) that each of them asks it
# back, so every thread waits. The hub must bound what one agent's
# requests hold, refuse the rest at once, and record it.
. "${srcdir:-.}/tests/security/lib.sh"

V=fx@vendor.example
S="$TMP/hq-storage" F="$TMP/fx-storage"
mkdir -p "$S"
share_map "$S" "$V=$F"
make_hub
enrol_evil fx-ws "$V"
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" acl set "$V" storage:show write --state "$HUB"
t0=$(hub_threads)
set --
i=0
while [ $i -lt 300 ]; do
	req=$(printf '%032x' $((i + 1)))
	set -- "$@" --send "{\"op\":\"api\",\"req\":\"$req\",\"request\":{\"op\":\"send\",\"from\":\"$V\",\"to\":\"hq\",\"paths\":[\"$F/show/a$i\"]}}"
	i=$((i + 1))
done
"$EVIL" talk "$TMP/fx-ws" --hold 4000 "$@" >"$TMP/fx.out" 2>&1 &
pids="$pids $!"
wait_grep '"op":"list"' "$TMP/fx.out" || fail "the hub asked nothing back"
sleep 2
t1=$(hub_threads)
echo "300 relayed sends: $t1 threads (idle: $t0)"
checks=$((checks + 1))
[ $((t1 - t0)) -le 10 ] || fail "one agent's requests hold $((t1 - t0)) threads"
checks=$((checks + 1))
grep -q "too many requests" "$TMP/fx.out" ||
    fail "no request was refused: $(grep -c '"re"' "$TMP/fx.out") answers"
audit_has api.limit fx-ws
run 0 "$FERRY" status --state "$HUB"
finish
