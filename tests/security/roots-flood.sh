#!/bin/sh
# Attack: the audit trail written for each refused roots.report. A
# vendor's agent relays `roots.report` (what `ferry root set` sends)
# with roots the hub refuses (a relative path), 200 times over one link,
# 20 ms apart.
# Each refusal (held: roots-forged.sh) was an audit record
# `roots.refused`, however often it came, while the same refusal in a
# hello is recorded once a minute: rows in the hub's store as fast as
# the agent could ask (4 at once; each answered in well under 20 ms).
# As refused sends
# (refused-flood.sh): 10 a minute per agent at most, the first kept.
. "${srcdir:-.}/tests/security/lib.sh"

hub_storage
enrol_evil vendor
N=200
set --
k=0
while [ $k -lt $N ]; do
	req=$(printf '%032x' "$k")
	set -- "$@" --send "{\"op\":\"api\",\"req\":\"$req\",\"request\":{\"op\":\"roots.report\",\"roots\":{\"set\":{\"storage\":\"relative/x$k\"}}}}"
	k=$((k + 1))
done
# 20 ms apart: each is answered before the next (no api.limit).
run 0 "$EVIL" talk "$TMP/vendor" --hold 3000 --send-pace 20 "$@"
answered=$(grep -c 'relative/x' "$TMP/out" || true)
echo "answers naming the bad root: $answered of $N"
audit_has roots.refused vendor
n=$("$FERRY" audit --json --limit 0 --state "$HUB" |
    jq '[.[] | select(.what == "roots.refused")] | length')
echo "roots.refused records: $n"
checks=$((checks + 1))
[ "$n" -le 10 ] || fail "$n roots.refused records for $N refused reports ($answered answered)"
run 0 "$FERRY" root list vendor@vendor.example --json --state "$HUB"
checks=$((checks + 1))
[ "$(jq -r .roots.storage.from "$TMP/out")" = default ] ||
    fail "a refused root was kept: $(cat "$TMP/out")"
finish
