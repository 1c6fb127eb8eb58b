#!/bin/sh
# A send of one path with more than 4,096 files is stored while the hub
# lists it, and holds one of the hub's 16 places for jobs being stored
# (agent/hub-jobstore.c) for its whole listing. Found by an adversary's
# pass: 17 such sends at once (a slow listing: test-store-hold), and the
# 17th was refused ("the hub is storing 16 big jobs already"), though
# none was a planned send (more than 16,384 files); planned sends would
# have been refused too. Now such a send takes a place only while more
# than half are free, and is else listed whole first: none is refused.
. "${srcdir:-.}/tests/agent/lib.sh"
need python3
held_hub 4400
# No agent at la: nothing is dispatched, the sends only list and store.
kill "$APID"
wait "$APID" 2>/dev/null || :
touch "$HOLD"
sps=""
for i in $(seq 1 17); do
	"$FERRY" send --from hq --to la --state "$HUB" "$S/big" \
	    >"$TMP/send.$i" 2>&1 &
	sps="$sps $!"
done
# Until each is held or answered.
i=0
while [ $i -lt "$(slow 100)" ] && [ "$(grep -c "storing its files" \
    "$HUB.log")" -lt 8 ]; do
	i=$((i + 1))
	sleep 0.1
done
sleep 1
rm -f "$HOLD"
for p in $sps; do wait "$p" || :; done
refused=$(grep -l "big jobs" "$TMP"/send.* | wc -l)
ok=$(grep -c '^[0-9][0-9]*$' "$TMP"/send.* | grep -c ':1$')
echo "sends answered with a job: $ok of 17; refused for the places: $refused"
grep -h "ferry:" "$TMP"/send.* | head -n 3
checks=$((checks + 1))
[ "$refused" = 0 ] || fail "$refused of 17 sends of $N files refused for the hub's places"
checks=$((checks + 1))
[ "$ok" = 17 ] || fail "only $ok of 17 sends made a job"
run 0 "$FERRY" jobs --json --all --state "$HUB"
checks=$((checks + 1))
[ "$(jq '[.[] | select(.files == '$N')] | length' "$TMP/out")" = 17 ] ||
    fail "not 17 jobs of $N files: $(jq -c '[.[] | .files]' "$TMP/out")"
stop_and_check
finish
