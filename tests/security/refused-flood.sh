#!/bin/sh
# Attack: the audit trail written for each refused request of a vendor.
# A vendor asks, through its own agent, for a file its grant does not
# cover (show/sh010: it may read sh030 only), again and again. Each is
# refused (held: the grant), and each refusal was an audit record
# `send.refused` and a log line of its own, however often it came: the
# relay answers 4 of an agent's requests at once, and a refusal is
# quick, so a crafted agent writes rows into the hub's store (a disk
# flush each) and lines into its log as fast as it can ask, for the
# life of the store. The relay's own refusals (hub-relay.c) were already
# once a minute per agent; a refusal for what a person's agent asked
# must be too. The first one is kept, naming the file.
. "${srcdir:-.}/tests/security/data-lib.sh"
N=100
sec_setup
FX="$TMP/fx-ws"
# refused: the send.refused records in the hub's audit trail.
refused() {
	"$FERRY" audit --json --limit 0 --state "$HUB" |
	    jq '[.[] | select(.what == "send.refused")] | length'
}
k=0
while [ $k -lt $N ]; do
	"$FERRY" send --from hq --to "$V" --state "$FX" \
	    "$S/show/sh010/secret.mov" >"$TMP/out" 2>&1 &&
	    fail "send $k of sh010 was taken: $(cat "$TMP/out")"
	k=$((k + 1))
done
checks=$((checks + 1))
grep -q "may not read" "$TMP/out" || fail "the last refusal: $(cat "$TMP/out")"
audit_has send.refused show/sh010/secret.mov
n=$(refused)
echo "send.refused records for $N refused sends: $n"
checks=$((checks + 1))
[ "$n" -le 10 ] || fail "$n send.refused records for $N refused sends"
checks=$((checks + 1))
lines=$(grep -c -e 'send refused' -e 'send\.refused' "$HUB.log" 2>/dev/null || true)
[ "$lines" -le 20 ] || fail "$lines log lines of refused sends"
stop_and_check
finish
