#!/bin/sh
# Attack: a vendor asking the hub, through its agent, about a job that is
# not its own. The relay shows an agent only jobs that start or end at
# its place (hub-relay.c), but it looked after the hub had answered: a
# `job` request for the studio's 50,000-file job (neither "after" nor
# "limit", so every task at once, ~2 KB a task) was built in full, under
# the hub's lock, and then thrown away as "no such job here". Four at
# once cost the hub 216 MB of peak RSS, and held its lock (the
# dispatcher, every link) while each was built; again and again, as
# often as the vendor likes. The hub must check whose job it is before
# building the answer.
. "${srcdir:-.}/tests/security/lib.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
need python3

V=fx@vendor.example
S="$TMP/hq-storage" L="$TMP/b-storage" F="$TMP/fx-storage"
mkdir -p "$S/big" "$L" "$F"
tree_of "$S/big" 50000 empty
B=b@other.example
share_map "$S" "$V=$F" "$B=$L"
make_hub
enrol_evil fx-ws "$V"
enrol_evil b-ws "$B"
run 0 "$FERRY" share import "$TMP/map.json" --state "$HUB"
run 0 "$FERRY" acl set "$B" storage:big read --state "$HUB"
# Another vendor's job, whose agent is away: it stays queued.
run 0 "$FERRY" send --from hq --to "$B" --state "$HUB" "$S/big"
job=$(tail -n1 "$TMP/out")
sleep 1
before=$(awk '/^VmHWM:/ { print $2 }' "/proc/$HUBPID/status")

# Four links, each asking 4 times (4 answered at once: the relay's bound).
k=0
while [ $k -lt 4 ]; do
	set --
	i=0
	while [ $i -lt 4 ]; do
		req=$(printf '%032x' $((k * 16 + i + 1)))
		set -- "$@" --send "{\"op\":\"api\",\"req\":\"$req\",\"request\":{\"op\":\"job\",\"id\":$job}}"
		i=$((i + 1))
	done
	"$EVIL" talk "$TMP/fx-ws" --hold "$(slow 15000)" "$@" \
	    >"$TMP/fx$k.out" 2>&1 &
	evils="${evils:-} $!"
	k=$((k + 1))
done
t0=$(date +%s)
# Meanwhile the admin asks for the status: the hub's lock must not be
# held for long.
run 0 "$FERRY" status --state "$HUB"
t1=$(date +%s)
i=0
until [ "$(cat "$TMP"/fx?.out | grep -c 'no such job here' || true)" -ge 4 ]; do
	i=$((i + 1)); [ $i -lt "$(slow 600)" ] || break; sleep 0.1
done
sleep 1
after=$(awk '/^VmHWM:/ { print $2 }' "/proc/$HUBPID/status")
echo "peak RSS $before kB before, $after kB after the vendor's questions;" \
    "ferry status took $((t1 - t0)) s"
checks=$((checks + 1))
! grep -q '"tasks"' "$TMP"/fx?.out || fail "a vendor saw the job's tasks"
checks=$((checks + 1))
grep -q 'no such job here' "$TMP"/fx?.out ||
    fail "no refusal: $(cut -c1-300 "$TMP/fx0.out")"
checks=$((checks + 1))
[ $((after - before)) -lt 40000 ] ||
    fail "the vendor's questions about another's job cost the hub" \
    "$(((after - before) / 1024)) MB"
for p in $evils; do kill "$p" 2>/dev/null || :; done
wait $evils 2>/dev/null || :

# Its own job is still shown, a page of its tasks too.
run 0 "$FERRY" acl set "$V" storage:big/d000 read --state "$HUB"
run 0 "$FERRY" send --from hq --to "$V" --state "$HUB" "$S/big/d000"
own=$(tail -n1 "$TMP/out")
# (The hub may not have seen the four links close yet: a few tries.)
for try in 1 2 3 4 5; do
	"$EVIL" talk "$TMP/fx-ws" --hold "$(slow 3000)" --send "{\"op\":\"api\",\"req\":\"$(printf '%032x' 99)\",\"request\":{\"op\":\"job\",\"id\":$own,\"limit\":10}}" \
	    >"$TMP/own.out" 2>&1 || :
	grep -q "too many links" "$TMP/own.out" || break
	sleep 1
done
checks=$((checks + 1))
[ "$(grep '"re":' "$TMP/own.out" | jq '.reply.tasks | length')" = 10 ] ||
    fail "its own job was not shown: $(cut -c1-300 "$TMP/own.out")"
finish
