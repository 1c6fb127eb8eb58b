#!/bin/sh
# Attack: an enrolled vendor getting past the bound on its relayed
# requests (relay-flood.sh) by opening more links. The hub answers at
# most 4 of one agent's requests at once (docs/security.md, "Limits"),
# but counted them per link, and one key may hold 4 links: 4 links of
# the crafted agent, each relaying 4 sends whose listing it never
# answers, held 16 of the hub's threads and 16 open questions. The
# bound must be the agent's, whatever link a request comes on.
. "${srcdir:-.}/tests/security/lib.sh"

V=fx@vendor.example
S="$TMP/hq-storage" F="$TMP/fx-storage"
mkdir -p "$S"
share_map "$S" "$V=$F"
make_hub
enrol_evil fx-ws "$V"
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" acl set "$V" storage:show write --state "$HUB"

# Four links of one key, each sending 4 sends; all linked before any
# sends (a link that closes fails its agent's questions, ending them).
k=0
while [ $k -lt 4 ]; do
	set --
	i=0
	while [ $i -lt 4 ]; do
		req=$(printf '%032x' $((k * 16 + i + 1)))
		set -- "$@" --send "{\"op\":\"api\",\"req\":\"$req\",\"request\":{\"op\":\"send\",\"from\":\"$V\",\"to\":\"hq\",\"paths\":[\"$F/show/l$k-$i\"]}}"
		i=$((i + 1))
	done
	"$EVIL" talk "$TMP/fx-ws" --hold "$(slow 8000)" "$@" \
	    >"$TMP/fx$k.out" 2>&1 &
	pids="$pids $!"
	k=$((k + 1))
done
for k in 0 1 2 3; do
	wait_grep '"op":"welcome"' "$TMP/fx$k.out" ||
	    fail "link $k was not welcomed: $(cat "$TMP/fx$k.out")"
done
sleep 3
asked=$(cat "$TMP"/fx?.out | grep -c '"op":"list"' || true)
refused=$(cat "$TMP"/fx?.out | grep -c 'too many requests' || true)
echo "16 relayed sends on 4 links: $asked answered at once (lists asked)," \
    "$refused refused"
checks=$((checks + 1))
[ "$asked" -le 4 ] || fail "one agent's requests on 4 links: $asked" \
    "answered at once, more than 4"
checks=$((checks + 1))
[ "$refused" -ge 12 ] || fail "only $refused of 16 requests refused"
audit_has api.limit fx-ws
finish
